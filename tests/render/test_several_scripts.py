"""Jobs of several scripts: rendered in order into one script text, each under a comment naming
it; in staged mode every Kinesis table of any of them reads this iteration's partition; an error
line is named in the template it came from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiter.attemptscript import script_for
from kiter.errors import ConfigError, TemplateError
from kiter.project import load_project
from kiter.render import Renderer
from kiter.render.joining import join_scripts
from kiter.scripts import effective_settings, kinesis_tables, split_statements
from kiter.validation import validate_job
from sample_projects import WriteProject, run

SEVERAL = Path(__file__).parents[1] / "adopt" / "several"
CREATE = (SEVERAL / "create_visits.q").read_text(encoding="utf-8")
QUERY = (SEVERAL / "status_counts.q").read_text(encoding="utf-8")
DYNAMODB_ONLY = (SEVERAL / "campaign_lookup.q").read_text(encoding="utf-8")


def _job(mode: str, templates: str = '["create_visits.q", "status_counts.q"]') -> str:
    return (
        "[jobs.visits]\n"
        'engine = "hive"\n'
        f"templates = {templates}\n"
        'stream = "VisitLogStream"\n'
        'logical_name = "VisitCounts"\n'
        f'mode = "{mode}"\n'
    )


def _files(**more: str) -> dict[str, str]:
    return {"hiveql/create_visits.q": CREATE, "hiveql/status_counts.q": QUERY} | {
        f"hiveql/{name}": text for name, text in more.items()
    }


def test_a_staged_job_of_two_scripts_reads_this_iterations_partition_in_the_second(
    write_project: WriteProject,
) -> None:
    project = load_project(write_project(_job("staged"), _files()), env={})
    job = project.job("visits")
    assert job.templates == ("create_visits.q", "status_counts.q")

    rendered = Renderer(project).render(job, 7)

    text = rendered.text
    first = text.index("-- kiter: script 1 of 2: create_visits.q\n")
    second = text.index("-- kiter: script 2 of 2: status_counts.q\n")
    assert first < text.index("CREATE EXTERNAL TABLE visits") < second < text.index("FROM visits")
    assert kinesis_tables(text) == []  # nothing left for the connector to read
    partition = project.staging.location + "/VisitCounts/iteration=7"
    assert f"LOCATION '{partition}'" in text
    assert rendered.templates == job.template_names and len(rendered.template_paths) == 2


def test_a_connector_job_of_two_scripts_owns_the_settings_over_the_joined_text(
    write_project: WriteProject,
) -> None:
    project = load_project(write_project(_job("connector"), _files()), env={})
    rendered = Renderer(project).render(project.job("visits"), 3)

    found = effective_settings(rendered.text, "hive")
    assert found["kinesis.checkpoint.iteration.no"][0] == "3"
    assert found["kinesis.checkpoint.logical.name"][0] == "VisitCounts"
    assert "STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'" in rendered.text
    check = validate_job(Renderer(project), project.job("visits"), 3)
    assert check.ok, check.problems


def test_a_line_of_the_joined_script_is_named_in_its_own_template(
    write_project: WriteProject,
) -> None:
    project = load_project(write_project(_job("staged"), _files()), env={})
    job = project.job("visits")
    rendered = Renderer(project).render(job, 0)
    script = script_for(job, rendered, iteration=0)

    line = rendered.submit_text.splitlines().index("FROM visits") + 1
    query = project.root / "hiveql" / "status_counts.q"
    assert script.template_line(line) == f"{query}:{QUERY.splitlines().index('FROM visits') + 1}"
    create = project.root / "hiveql" / "create_visits.q"
    line = rendered.submit_text.splitlines().index("  request STRING,") + 1
    assert script.template_line(line) == f"{create}:7"


def test_a_script_whose_last_statement_has_no_semicolon_is_ended_before_the_next() -> None:
    joined = join_scripts([("a.q", "SELECT 1 -- one\n"), ("b.q", "SELECT 2;\n")], "hive")
    assert [s.text for s in split_statements(joined)][1:] == ["SELECT 2"]
    assert split_statements(joined)[0].text.startswith("SELECT 1")


def test_one_template_renders_as_it_always_did(write_project: WriteProject) -> None:
    one = _job("connector", '["status_counts.q"]').replace("templates = [", "templates = [")
    project = load_project(write_project(one, _files()), env={})
    assert "-- kiter: script" not in Renderer(project).render(project.job("visits"), 0).text


def test_template_and_templates_together_are_refused(write_project: WriteProject) -> None:
    path = write_project(_job("staged") + 'template = "status_counts.q"\n', _files())
    with pytest.raises(ConfigError) as caught:
        load_project(path, env={})
    assert str(caught.value) == (
        f"{path}:3: jobs.visits sets both template and templates: keep one (templates = [...] "
        "runs several scripts in order)"
    )


@pytest.mark.parametrize("templates", ["[]", '["create_visits.q", 3]', '"create_visits.q"'])
def test_templates_must_be_an_array_of_names(write_project: WriteProject, templates: str) -> None:
    path = write_project(_job("staged", templates), _files())
    with pytest.raises(ConfigError, match="templates must be a non-empty array") as caught:
        load_project(path, env={})
    assert caught.value.where == f"{path}:3"


def test_a_missing_template_among_several_is_named_at_the_templates_line(
    write_project: WriteProject,
) -> None:
    path = write_project(_job("staged", '["create_visits.q", "nowhere.q"]'), _files())
    with pytest.raises(ConfigError, match="template 'nowhere.q' of job 'visits' not found") as c:
        load_project(path, env={})
    assert c.value.where == f"{path}:3"


def test_a_staged_job_whose_scripts_read_nothing_staged_is_refused(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(
        _job("staged", '["campaign_lookup.q"]'), _files(**{"campaign_lookup.q": DYNAMODB_ONLY})
    )
    project = load_project(path, env={})
    message = (
        "job visits is staged, but its scripts (campaign_lookup.q) read no Kinesis table or load "
        "and call no kiter.source_table/load_stream"
    )
    with pytest.raises(TemplateError, match=re.escape(message)):
        Renderer(project).render(project.job("visits"), 0)
    code, out, err = run(["-C", str(path.parent), "render", "visits"], capsys)
    assert (code, out) == (2, "") and message in err
    code, out, err = run(["-C", str(path.parent), "validate", "visits"], capsys)
    assert code == 1 and out.startswith("FAIL  visits") and message in out  # as a failed check


def test_the_query_alone_staged_is_refused_and_connector_mode_allows_it(
    write_project: WriteProject,
) -> None:
    path = write_project(_job("staged", '["status_counts.q"]'), _files())
    project = load_project(path, env={})
    with pytest.raises(TemplateError, match="job visits is staged"):
        Renderer(project).render(project.job("visits"), 0)
    path = write_project(_job("connector", '["status_counts.q"]'), _files())
    project = load_project(path, env={})
    assert "FROM visits" in Renderer(project).render(project.job("visits"), 0).text


CREATE_JOB = (
    '[jobs.create]\nengine = "hive"\ntemplate = "create_visits.q"\nstream = "VisitLogStream"\n'
)


def test_a_staged_query_of_a_table_another_job_defines_over_kinesis_is_refused_with_the_fix(
    write_project: WriteProject,
) -> None:
    path = write_project(CREATE_JOB + _job("staged", '["status_counts.q"]'), _files())
    project = load_project(path, env={})
    with pytest.raises(TemplateError) as caught:
        Renderer(project).render(project.job("visits"), 0)
    query = project.root / "hiveql" / "status_counts.q"
    assert str(caught.value) == (
        f"{query}:9: job visits is staged and reads table visits, which job create's script "
        "create_visits.q defines over Kinesis and this job's scripts do not: it would read "
        "whatever that table holds on the server, not this iteration's records; add "
        "create_visits.q to this job's templates, before the script that reads it "
        "(templates = [...])"
    )


def test_that_query_is_allowed_in_connector_mode_and_with_the_create_script_staged(
    write_project: WriteProject,
) -> None:
    path = write_project(CREATE_JOB + _job("connector", '["status_counts.q"]'), _files())
    project = load_project(path, env={})
    assert "FROM visits" in Renderer(project).render(project.job("visits"), 0).text
    path = write_project(CREATE_JOB + _job("staged"), _files())
    project = load_project(path, env={})
    assert "FROM visits" in Renderer(project).render(project.job("visits"), 0).text


def test_a_staged_pig_job_of_two_scripts_loads_this_iterations_partition(
    write_project: WriteProject,
) -> None:
    load = (
        "raw = LOAD 'VisitLogStream' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() "
        "AS (line:chararray);\n"
    )
    count = "grouped = GROUP raw ALL;\ntotal = FOREACH grouped GENERATE COUNT(raw);\nDUMP total;\n"
    job = (
        '[jobs.visits]\nengine = "pig"\ntemplates = ["load.pig", "count.pig"]\n'
        'stream = "VisitLogStream"\nmode = "staged"\n'
    )
    files = {"piglatin/load.pig": load, "piglatin/count.pig": count}
    project = load_project(write_project(job, files), env={})
    text = Renderer(project).render(project.job("visits"), 2).text
    partition = project.staging.location + "/visits/iteration=2"
    body = text[text.index("-- kiter: script 1 of 2: load.pig\n") :]
    assert body == (
        "-- kiter: script 1 of 2: load.pig\n"
        f"raw = LOAD '{partition}' USING TextLoader() AS (line:chararray);\n"
        "-- kiter: script 2 of 2: count.pig\n" + count
    )
