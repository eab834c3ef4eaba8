"""Connector scripts as users already have them: validated without false alarms, rendered with
kiter's iteration and logical name only, and read from a staged iteration in staged mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.adopt.owned import check_effective_settings
from kiter.errors import SettingError, TemplateError
from kiter.project import load_project
from kiter.render import Renderer
from kiter.scripts import effective_settings, split_statements
from kiter.validation import validate_job
from sample_projects import WriteProject

SCRIPTS = Path(__file__).with_name("scripts")
CORPUS = {
    "access_log_status.hql": "AccessLogStream",
    "errors_by_iteration.hql": "WebLogEvents",
    "json_clicks.hql": "ClickStream",
    "top10_errors.pig": "AccessLogStream",
}
# The script's owned settings whose value kiter changes (for logical name "imported", iteration 5): only
# they are reported; a line setting what kiter sets anyway is replaced without a word.
CHANGED_SETS = {
    "access_log_status.hql": 2,
    "errors_by_iteration.hql": 4,
    "json_clicks.hql": 2,
    "top10_errors.pig": 3,  # logical name, iteration, the loader's timeout
}


def _project(write_project: WriteProject, script: str, mode: str = "connector") -> Path:
    engine = "pig" if script.endswith(".pig") else "hive"
    folder = "piglatin" if engine == "pig" else "hiveql"
    text = (SCRIPTS / script).read_text(encoding="utf-8")
    # The Pig script's own parameters; the Hive scripts read none a job var fills.
    variables = 'vars = { OUTPUT = "s3://out/top10", ITERATION = "7" }\n' if engine == "pig" else ""
    return write_project(
        f'[staging]\nlocation = "s3://stage/kiter"\n'
        f'[jobs.imported]\nengine = "{engine}"\ntemplate = "{script}"\n'
        f'stream = "{CORPUS[script]}"\nlogical_name = "imported"\nmode = "{mode}"\n' + variables,
        files={f"{folder}/{script}": text},
    )


@pytest.mark.parametrize("script", sorted(CORPUS))
def test_a_connector_script_validates_without_false_alarms(
    write_project: WriteProject, script: str
) -> None:
    project = load_project(_project(write_project, script), env={})
    check = validate_job(Renderer(project), project.job("imported"), 5)
    assert check.ok, check.problems
    errors = [p for p in check.problems if not p.startswith("warning: ")]
    assert errors == []


@pytest.mark.parametrize("script", sorted(CORPUS))
def test_every_owned_line_is_replaced_and_reported_with_its_line(
    write_project: WriteProject, script: str
) -> None:
    path = _project(write_project, script)
    project = load_project(path, env={})
    renderer = Renderer(project)
    rendered = renderer.render(project.job("imported"), 5)
    source = (SCRIPTS / script).read_text(encoding="utf-8")
    assert len(rendered.notes) == CHANGED_SETS[script]
    template = project.find_template(script)
    for note in rendered.notes:
        where, _, what = note.partition(": ")
        file, _, line = where.rpartition(":")
        assert file == str(template)
        assert "kinesis." in source.splitlines()[int(line) - 1].lower()
        assert what.startswith("kiter owns ")
    # The body keeps its lines: kiter's block is on top, the script's own lines follow it.
    body = rendered.submit_text.split("\n\n", 1)[1]
    assert body.count("\n") == source.count("\n")
    engine = project.job("imported").engine
    check_effective_settings(
        rendered.submit_text, engine, renderer.settings(project.job("imported"), 5)
    )
    found = effective_settings(rendered.submit_text, engine)
    assert found["kinesis.checkpoint.iteration.no"][0] == "5"
    assert found["kinesis.checkpoint.logical.name"][0] == "imported"


def test_a_conflict_that_slips_past_the_renderer_is_refused_before_submitting() -> None:
    from kiter.checkpoint import CheckpointSettings

    settings = CheckpointSettings("MyEMRKinesisTable", "HashKey", "RangeKey", "imported", 5)
    text = settings.block("hive") + "\nSET kinesis.checkpoint.logical.name=TestLogicalName;\n"
    with pytest.raises(SettingError, match="logical.name=TestLogicalName on line 9"):
        check_effective_settings(text, "hive", settings)


def test_an_owned_setting_slipped_into_a_pig_loader_is_refused_before_submitting() -> None:
    from kiter.checkpoint import CheckpointSettings

    settings = CheckpointSettings("MyEMRKinesisTable", "HashKey", "RangeKey", "imported", 5)
    text = settings.block("pig") + (
        "\nraw = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader("
        "'kinesis.checkpoint.iteration.no=0') AS (line:chararray);\n"
    )
    with pytest.raises(
        SettingError, match="gives the Kinesis loader kinesis.checkpoint.iteration.no"
    ):
        check_effective_settings(text, "pig", settings)


@pytest.mark.parametrize("script", ["access_log_status.hql", "errors_by_iteration.hql"])
def test_staged_mode_reads_this_iterations_partition_through_an_external_table(
    write_project: WriteProject, script: str
) -> None:
    project = load_project(_project(write_project, script, mode="staged"), env={})
    rendered = Renderer(project).render(project.job("imported"), 5)
    text = rendered.submit_text
    assert "KinesisStorageHandler" not in text and "kinesis.stream.name" not in text
    statements = [s.text for s in split_statements(text)]
    creates = [s for s in statements if s.upper().startswith("CREATE EXTERNAL TABLE")]
    kinesis_table = next(
        c for c in creates if "LOCATION 's3://stage/kiter/imported/iteration=5'" in c
    )
    name = kinesis_table.split()[3]
    assert statements[statements.index(kinesis_table) - 1] == f"DROP TABLE IF EXISTS {name}"
    assert "STORED AS TEXTFILE" in kinesis_table
    assert "SERDE" in kinesis_table or "DELIMITED" in kinesis_table
    source = (SCRIPTS / script).read_text(encoding="utf-8")
    assert text.split("\n\n", 1)[1].count("\n") == source.count("\n")


def test_staged_mode_keeps_a_tables_comment_serde_and_other_properties(
    write_project: WriteProject,
) -> None:
    project = load_project(_project(write_project, "json_clicks.hql", mode="staged"), env={})
    text = Renderer(project).render(project.job("imported"), 3).submit_text
    create = next(
        s.text for s in split_statements(text) if s.text.startswith("CREATE EXTERNAL TABLE clicks")
    )
    assert "COMMENT 'clickstream, one JSON object a record'" in create
    assert "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'" in create
    assert "TBLPROPERTIES ('owner'='marketing')" in create


def test_staged_pig_loads_this_iterations_partition_with_the_same_schema(
    write_project: WriteProject,
) -> None:
    project = load_project(_project(write_project, "top10_errors.pig", mode="staged"), env={})
    text = Renderer(project).render(project.job("imported"), 5).submit_text
    assert "KinesisStreamLoader" not in text
    assert "raw_logs = LOAD 's3://stage/kiter/imported/iteration=5' USING TextLoader()\n" in text
    assert "AS (line:chararray);" in text


def test_a_multi_field_pig_schema_is_refused_in_staged_mode(write_project: WriteProject) -> None:
    path = write_project(
        '[jobs.p]\nengine = "pig"\ntemplate = "p.pig"\nstream = "S"\nmode = "staged"\n',
        files={
            "piglatin/p.pig": "x = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader()"
            " AS (a:chararray, b:int);\nDUMP x;\n"
        },
    )
    project = load_project(path, env={})
    with pytest.raises(
        TemplateError, match=r"p\.pig:1: the Kinesis load has the schema \(a:chararray, b:int\)"
    ):
        Renderer(project).render(project.job("p"), 0)


def test_a_script_reading_another_stream_is_an_error_with_its_line(
    write_project: WriteProject,
) -> None:
    path = _project(write_project, "access_log_status.hql")
    text = path.read_text().replace('stream = "AccessLogStream"', 'stream = "OtherStream"')
    path.write_text(text)
    project = load_project(path, env={})
    with pytest.raises(
        TemplateError, match=r"access_log_status\.hql:20: the script reads stream 'AccessLogStream'"
    ):
        Renderer(project).render(project.job("imported"), 0)


@pytest.mark.parametrize(
    "properties",
    [
        '"kinesis.checkpoint.iteration.no"="5"',
        "'kinesis.checkpoint.logical.name' = 'other'",
        '"KINESIS.nodata.timeout"="1"',
    ],
)
def test_a_setting_kiter_owns_given_as_a_table_property_is_refused_at_its_line(
    write_project: WriteProject, properties: str
) -> None:
    # The storage handler reads a table's properties as settings: one could outrank kiter's block.
    template = (
        "CREATE TABLE t (line STRING)\n"
        "STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'\n"
        f'TBLPROPERTIES ("kinesis.stream.name"="S",\n  {properties});\n'
        "SELECT line FROM t;\n"
    )
    path = write_project(
        '[jobs.t]\nengine = "hive"\ntemplate = "t.hql"\nstream = "S"\n',
        files={"hiveql/t.hql": template},
    )
    project = load_project(path, env={})
    key = properties.split("=")[0].strip().strip("'\"")
    with pytest.raises(TemplateError, match=rf"t\.hql:4: the script gives {key} as a table prop"):
        Renderer(project).render(project.job("t"), 0)


@pytest.mark.parametrize("script", ["access_log_status.hql", "top10_errors.pig"])
def test_characters_whose_lower_case_is_longer_do_not_hide_another_stream(
    write_project: WriteProject, script: str
) -> None:
    # 'İ'.lower() is two characters: offsets found in the lower-case text must still be the text's.
    path = _project(write_project, script)
    source = next(path.parent.glob(f"*/{script}"))
    source.write_text("-- " + "İ" * 100 + "\n" + source.read_text(encoding="utf-8"), "utf-8")
    path.write_text(path.read_text().replace('stream = "AccessLogStream"', 'stream = "Other"'))
    project = load_project(path, env={})

    with pytest.raises(TemplateError, match=r"the script reads stream 'AccessLogStream'"):
        Renderer(project).render(project.job("imported"), 0)


@pytest.mark.parametrize(
    "line",
    [
        'TBLPROPERTIES ("kinesis.stream.name"="S", "kinesis.secretKey"="wJalrXUtnFEMISECRET")',
        "SET kinesis.accessKey=AKIAIOSFODNN7SECRET;",
    ],
)
def test_credentials_in_a_hive_script_are_refused_without_showing_them(
    write_project: WriteProject, line: str
) -> None:
    path = write_project(
        '[jobs.h]\nengine = "hive"\ntemplate = "h.hql"\nstream = "S"\n',
        files={"hiveql/h.hql": f"SELECT 1;\n{line}\n"},
    )
    project = load_project(path, env={})
    with pytest.raises(
        TemplateError, match=r"h\.hql:2: the script holds Kinesis credentials"
    ) as caught:
        Renderer(project).render(project.job("h"), 0)
    assert "wJalrXUtnFEMI" not in str(caught.value) and "AKIAIOSFODNN7" not in str(caught.value)


def test_credentials_as_pig_loader_arguments_are_refused(write_project: WriteProject) -> None:
    path = write_project(
        '[jobs.p]\nengine = "pig"\ntemplate = "p.pig"\nstream = "S"\n',
        files={
            "piglatin/p.pig": "x = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader(\n"
            "  'kinesis.secretKey=wJalrXUtnFEMISECRET') AS (line:chararray);\n"
        },
    )
    project = load_project(path, env={})
    with pytest.raises(TemplateError, match=r"p\.pig:2: the script holds Kinesis credentials"):
        Renderer(project).render(project.job("p"), 0)


def test_owned_pig_loader_arguments_are_dropped_in_connector_mode(
    write_project: WriteProject,
) -> None:
    project = load_project(_project(write_project, "top10_errors.pig"), env={})
    rendered = Renderer(project).render(project.job("imported"), 5)
    assert "KinesisStreamLoader()" in rendered.submit_text
    assert "kinesis.iteration.timeout=5" not in rendered.submit_text
    assert any(
        "the loader argument 'kinesis.iteration.timeout=5' is dropped" in n for n in rendered.notes
    )


def test_hive_variables_are_substituted_for_checks_and_kept_for_the_engine(
    write_project: WriteProject,
) -> None:
    project = load_project(_project(write_project, "errors_by_iteration.hql"), env={})
    rendered = Renderer(project).render(project.job("imported"), 5)
    assert "PARTITION (iteration_no=${hiveconf:kinesis.checkpoint.iteration.no})" in rendered.text
    assert "LOCATION '${hiveconf:output}'" in rendered.text


def test_a_pig_parameter_with_no_value_anywhere_is_an_error_in_connector_mode_too(
    write_project: WriteProject,
) -> None:
    path = _project(write_project, "top10_errors.pig")
    path.write_text(path.read_text().replace(', ITERATION = "7"', ""))
    project = load_project(path, env={})
    check = validate_job(Renderer(project), project.job("imported"), 5)
    assert not check.ok  # Pig refuses a script with an undefined parameter before it runs
    assert any("parameter $ITERATION has no value" in p for p in check.problems)
