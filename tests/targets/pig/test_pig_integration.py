"""The local Pig target against real Pig 0.17.0 (local mode, fetched by kiter.local.pigengine)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiter.attemptscript import script_for
from kiter.errors import Interrupted
from kiter.local.traffic import Traffic, expected_top_errors
from kiter.project import load_project
from kiter.render import Renderer
from kiter.targets.base import Script, Unwatched
from kiter.targets.pig import PigTarget
from kiter_support import kiter_process

from .conftest import pig_script, run_pig

pytestmark = pytest.mark.integration

MakeTarget = Callable[..., PigTarget]

PROJECT = """\
[staging]
location = "staging"

[targets.pig]
kind = "pig"

[jobs.top_errors_pig]
engine = "pig"
template = "top_errors.pig.j2"
stream = "AccessLogStream"
logical_name = "top-errors-pig"
target = "pig"
mode = "staged"
vars = { output = "out/top-errors" }

[jobs.load_iteration_pig]
engine = "pig"
template = "load_iteration.pig.j2"
stream = "AccessLogStream"
logical_name = "weblogs-pig"
target = "pig"
mode = "staged"
vars = { output = "out/weblogs" }

[jobs.engagement_pig]
engine = "pig"
template = "engagement.pig.j2"
stream = "ClickStream"
logical_name = "engagement-pig"
target = "pig"
mode = "staged"
campaign_table = "AdCampaigns"
vars = { output = "out/engagement" }
"""


def staged(root: Path, logical: str, iteration: int, lines: list[str]) -> None:
    partition = root / "staging" / logical / f"iteration={iteration}"
    partition.mkdir(parents=True)
    (partition / "shardId-000000000000.txt").write_text("".join(f"{line}\n" for line in lines))


def builtin_script(root: Path, job_name: str, iteration: int) -> Script:
    """The script `kiter submit` would run for this iteration of a built-in job."""
    project = load_project(root / "kiter.toml")
    job = project.jobs[job_name]
    return script_for(job, Renderer(project).render(job, iteration), iteration=iteration)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "kiter.toml").write_text(PROJECT)
    return tmp_path


def test_the_builtin_top_errors_job_gives_the_expected_top_ten_and_a_rerun_replaces_it(
    project: Path, pig_target: MakeTarget
) -> None:
    lines = Traffic(seed=11).lines(800)
    staged(project, "top-errors-pig", 3, lines)
    target = pig_target()

    first = run_pig(target, builtin_script(project, "top_errors_pig", 3))
    again = run_pig(target, builtin_script(project, "top_errors_pig", 3))

    assert first.state == "SUCCEEDED", first.cause
    assert first.columns == ["region", "browser", "domain", "status", "errors"]
    assert first.rows == expected_top_errors(lines)
    assert again.rows == first.rows
    assert sorted(p.name for p in (project / "out/top-errors/iteration=3").glob("part-*")) == [
        "part-r-00000"
    ]


def test_the_builtin_load_job_stores_every_parsed_record_of_the_iteration(
    project: Path, pig_target: MakeTarget
) -> None:
    lines = Traffic(seed=5).lines(120)
    staged(project, "weblogs-pig", 0, lines)

    outcome = run_pig(pig_target(), builtin_script(project, "load_iteration_pig", 0))

    assert outcome.state == "SUCCEEDED", outcome.cause
    assert len(outcome.rows) == 120
    assert outcome.columns[:3] == ["domain", "client", "request_time"]
    assert {row[-1] for row in outcome.rows} <= {
        "eu-west-1",
        "us-east-1",
        "ap-southeast-2",
        "sa-east-1",
        "us-west-2",
        "eu-central-1",
    } | {line.rsplit(" ", 1)[1] for line in lines}


def test_the_builtin_engagement_job_joins_the_staged_campaign_snapshot(
    project: Path, pig_target: MakeTarget
) -> None:
    clicks = [
        "2026-11-25T18:00:00\tu1\tnews.example\tad1\tview",
        "2026-11-25T18:00:01\tu1\tnews.example\tad1\tclick",
        "2026-11-25T18:00:02\tu2\tnews.example\tad2\tview",
        "2026-11-25T18:00:03\tu2\tnews.example\tad2\tview",
        "2026-11-25T18:00:04\tu3\tshop.example\tad2\tclick",
    ]
    staged(project, "engagement-pig", 0, clicks)
    staged(project, "engagement-pig-campaigns", 0, ["ad1\tsports\tspring", "ad2\tcars\tsummer"])

    outcome = run_pig(pig_target(), builtin_script(project, "engagement_pig", 0))

    assert outcome.state == "SUCCEEDED", outcome.cause
    assert sorted(outcome.rows) == [
        ("news.example", "cars", 2, 0, 0.0),
        ("news.example", "sports", 1, 1, 1.0),
        ("shop.example", "cars", 0, 1, 1.0),
    ]


def test_a_template_mistake_is_named_by_template_file_and_line(
    project: Path, pig_target: MakeTarget
) -> None:
    template = project / "piglatin" / "broken.pig.j2"
    template.parent.mkdir()
    template.write_text(
        "-- a comment\n{{ kiter_preamble() }}\nraw = LOAD '{{ staging.partition }}' AS (line:chararray);\n"
        "x = FOREACH nosuch GENERATE line;\nSTORE x INTO 'out/x';\n"
    )
    (project / "kiter.toml").write_text(
        PROJECT + '\n[jobs.broken]\nengine = "pig"\ntemplate = "broken.pig.j2"\n'
        'stream = "S"\nlogical_name = "broken"\ntarget = "pig"\nmode = "staged"\n'
    )
    script = builtin_script(project, "broken", 0)

    outcome = run_pig(pig_target(), script)

    assert outcome.state == "FAILED"
    line = script.text.splitlines().index("x = FOREACH nosuch GENERATE line;") + 1
    assert outcome.cause == (
        f"{template}:4: (script line {line}, column 12) Pig exit 6: 1200: Undefined alias: nosuch"
    )


def test_a_failed_job_shows_the_cause_pig_only_logged(
    tmp_path: Path, pig_target: MakeTarget
) -> None:
    script = pig_script(
        "raw = LOAD 'does/not/exist' AS (line:chararray);\nSTORE raw INTO 'out/missing';\n"
    )
    outcome = run_pig(pig_target(), script)
    assert outcome.state == "FAILED"
    assert "Input path does not exist: file:" in outcome.cause
    assert outcome.cause.startswith("script line 1: Pig exit 6: 2118: ")


def test_parameters_reach_the_script_as_exactly_their_text(
    tmp_path: Path, pig_target: MakeTarget
) -> None:
    (tmp_path / "in.txt").write_text("x\n")
    value = "it's a $dollar\tand \\ backslash"
    script = pig_script(
        "raw = LOAD 'in.txt' AS (line:chararray);\n"
        "out = FOREACH raw GENERATE CONCAT(line, '$V') AS v;\n"
        "STORE out INTO '$OUT' USING PigStorage(',', '-schema');\n",
        variables={"V": value.replace("\\", "\\\\").replace("'", "\\'"), "OUT": "out dir/p"},
    )
    outcome = run_pig(pig_target(), script)
    assert outcome.state == "SUCCEEDED", outcome.cause
    assert (outcome.columns, outcome.rows) == (["v"], [("x" + value,)])
    assert (tmp_path / "out dir" / "p" / "_SUCCESS").exists()


def test_ctrl_c_while_pig_runs_stops_the_jvm(tmp_path: Path, pig_target: MakeTarget) -> None:
    (tmp_path / "in.txt").write_text("".join(f"{i}\n" for i in range(1000)))
    polls: list[float] = []

    def interrupt_soon(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 3:
            raise KeyboardInterrupt
        time.sleep(seconds)

    target = pig_target(sleep=interrupt_soon)
    handle = target.start(
        pig_script("raw = LOAD 'in.txt' AS (n:int);\ng = GROUP raw ALL;\nDUMP g;\n")
    )
    with pytest.raises(Interrupted, match="cancelled the Pig run in .* \\(stopped it\\)"):
        target.follow(handle, Unwatched())
    pid = handle.live.process.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_validate_asks_pig_itself_and_names_the_template_line(
    project: Path, pig_engine: object
) -> None:
    template = project / "piglatin" / "typo.pig.j2"
    template.parent.mkdir()
    template.write_text(
        "{{ kiter_preamble() }}\nraw = LOAD '{{ staging.partition }}' AS (line:chararray);\n"
        "g = GROUP raw ALL;\nn = FOREACH g GENERATE COUNTT(raw);\nSTORE n INTO 'out/n';\n"
    )
    (project / "kiter.toml").write_text(
        PROJECT + '\n[jobs.typo]\nengine = "pig"\ntemplate = "typo.pig.j2"\n'
        'stream = "S"\nlogical_name = "typo"\ntarget = "pig"\nmode = "staged"\n'
    )
    done = kiter_process(project, "validate", "typo", "top_errors_pig")
    assert done.returncode == 1
    assert "ok    top_errors_pig" in done.stdout
    assert f"{template}:4: (script line " in done.stdout
    assert "Pig's check (exit 6): 1070: Could not resolve COUNTT" in done.stdout
