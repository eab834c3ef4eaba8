"""The local Hadoop target's process handling, with a stand-in for the JVM (fake_hadoop.py): the
fence before the start, the output replaced by the run itself, rows read back, a failure in one
line, Ctrl-C stopping the run and the programs it started."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiter.attemptscript import script_for
from kiter.errors import Interrupted, LeaseLost, UsageError
from kiter.local.hadoopengine import HadoopEngine
from kiter.project import load_project
from kiter.render import Renderer
from kiter.targets.base import Script, Unwatched
from kiter.targets.hadoop import HadoopTarget, explain_run

FAKE = Path(__file__).with_name("fake_hadoop.py")

PROJECT = """\
[staging]
location = "staging"

[targets.hadoop]
kind = "hadoop"

[jobs.count]
engine = "streaming"
stream = "S"
mode = "staged"
target = "hadoop"
mapper = "streaming/{mapper}"
output = "out/count/{{{{ iteration }}}}"
"""

COUNT = """\
import sys
from collections import Counter

counts = Counter(line.split()[0] for line in sys.stdin)
for word, n in sorted(counts.items()):
    print(f"{word}\\t{n}")
"""

BROKEN = """\
import sys


def first(line):
    return int(line.split()[0])


for line in sys.stdin:
    print(first(line))
"""

SLEEPER = """\
import os
import time
from pathlib import Path

Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
time.sleep(600)
"""


@dataclass(frozen=True)
class FakeEngine(HadoopEngine):
    """The engine's commands, run by a Python stand-in for Hadoop Streaming."""

    def streaming_command(
        self, run_dir: Path, argv: Sequence[str], *, heap: str = "1g"
    ) -> list[str]:
        del run_dir, heap
        return [sys.executable, str(FAKE), *argv]


class Fence:
    """A Watch that records its fences and can refuse them."""

    def __init__(self, refuse: bool = False) -> None:
        self.fences = 0
        self.refuse = refuse

    def fence(self) -> None:
        self.fences += 1
        if self.refuse:
            raise LeaseLost("the lease is gone")

    def held(self) -> bool:
        return True

    def moved(self, handle: object) -> None:
        del handle


def make(tmp_path: Path, mapper: str = "count.py", program: str = COUNT) -> Script:
    (tmp_path / "kiter.toml").write_text(PROJECT.format(mapper=mapper))
    (tmp_path / "streaming").mkdir(exist_ok=True)
    (tmp_path / "streaming" / mapper).write_text(program)
    partition = tmp_path / "staging" / "count" / "iteration=2"
    partition.mkdir(parents=True, exist_ok=True)
    (partition / "shardId-000000000000.txt").write_text("b 1\na 2\nb 3\n")
    project = load_project(tmp_path / "kiter.toml", env={})
    job = project.job("count")
    return script_for(job, Renderer(project).render(job, 2), iteration=2)


def target(tmp_path: Path, sleep: Callable[[float], None] = time.sleep) -> HadoopTarget:
    return HadoopTarget(
        "hadoop",
        engine=FakeEngine(tmp_path / "engine"),
        runs=tmp_path / ".kiter" / "local" / "hadoop",
        workdir=tmp_path,
        poll_interval=0.05,
        sleep=sleep,
    )


def test_a_run_writes_its_output_and_the_part_files_come_back_as_rows(tmp_path: Path) -> None:
    hadoop = target(tmp_path)
    script = make(tmp_path)

    handle = hadoop.start(script, Unwatched())
    outcome = hadoop.follow(handle, Unwatched())

    assert outcome.state == "SUCCEEDED", outcome.cause
    assert outcome.columns == ["$0", "$1"]
    assert outcome.rows == [("a", 1), ("b", 2)]
    assert handle.id == f"hadoop:{tmp_path}/.kiter/local/hadoop/count/2/1"


def test_a_rerun_replaces_the_output_an_earlier_run_left(tmp_path: Path) -> None:
    hadoop = target(tmp_path)
    script = make(tmp_path)
    first = hadoop.follow(hadoop.start(script, Unwatched()), Unwatched())
    (tmp_path / "out" / "count" / "2" / "part-00009").write_text("stale\t1\n")

    again = hadoop.follow(hadoop.start(script, Unwatched()), Unwatched())

    assert (first.state, again.state) == ("SUCCEEDED", "SUCCEEDED"), again.cause
    assert again.rows == first.rows


def test_a_start_fences_once_and_a_refused_fence_starts_and_removes_nothing(
    tmp_path: Path,
) -> None:
    hadoop = target(tmp_path)
    script = make(tmp_path)
    watch = Fence()
    hadoop.follow(hadoop.start(script, watch), watch)
    assert watch.fences == 1

    with pytest.raises(LeaseLost):
        hadoop.start(script, Fence(refuse=True))

    assert (tmp_path / "out" / "count" / "2" / "part-00000").exists()
    assert not (
        tmp_path / ".kiter" / "local" / "hadoop" / "count" / "2" / "1" / "stderr.log"
    ).exists()


def test_a_failing_mapper_is_one_line_at_its_project_file_and_line_and_the_log(
    tmp_path: Path,
) -> None:
    hadoop = target(tmp_path)
    script = make(tmp_path, "broken.py", BROKEN)

    outcome = hadoop.follow(hadoop.start(script, Unwatched()), Unwatched())

    run_dir = tmp_path / ".kiter" / "local" / "hadoop" / "count" / "2" / "1"
    assert outcome.state == "FAILED"
    assert outcome.cause == (
        "streaming/broken.py:5: ValueError: invalid literal for int() with base 10: 'b' "
        "(whole log: .kiter/local/hadoop/count/2/1/hadoop-run.log, and stderr.log beside it)"
    )
    assert explain_run(run_dir, tmp_path) == outcome.cause  # what `kiter logs` says later
    assert "\n" not in outcome.cause


def test_ctrl_c_stops_the_run_and_the_programs_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "mapper.pid"
    monkeypatch.setenv("PID_FILE", str(pid_file))

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        if pid_file.exists() and pid_file.read_text():
            raise KeyboardInterrupt

    hadoop = target(tmp_path, sleep)
    handle = hadoop.start(make(tmp_path, "sleeper.py", SLEEPER), Unwatched())

    with pytest.raises(Interrupted, match="cancelled the Hadoop run in .* \\(stopped it\\)"):
        hadoop.follow(handle, Unwatched())

    mapper = int(pid_file.read_text())
    assert handle.live.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        for _ in range(100):  # reaped by init once killed: gone within moments
            os.kill(mapper, 0)
            time.sleep(0.05)


def test_an_output_outside_the_local_file_system_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    script = make(tmp_path)
    assert script.command is not None
    elsewhere = Script(
        job=script.job,
        engine=script.engine,
        text=script.text,
        logical_name=script.logical_name,
        iteration=script.iteration,
        command=type(script.command)(
            "streaming",
            settings=script.command.settings,
            arguments=script.command.arguments,
            input=script.command.input,
            output="s3://bucket/out",
            files=script.command.files,
        ),
    )
    watch = Fence()

    with pytest.raises(UsageError, match="writes local folders only"):
        target(tmp_path).start(elsewhere, watch)
    assert watch.fences == 0
