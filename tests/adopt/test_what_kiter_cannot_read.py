"""What kiter cannot read in a script is refused, not trusted: a Pig SET or a Kinesis loader
argument whose setting a parameter names, a DEFINE of the loader that gives it owned settings,
and in staged mode anything left that would still read the stream live."""

from __future__ import annotations

import re

import pytest

from kiter.adopt.owned import check_effective_settings
from kiter.checkpoint import CheckpointSettings
from kiter.errors import SettingError, TemplateError
from kiter.project import load_project
from kiter.render import Renderer
from kiter.render.rendered import Rendered
from sample_projects import WriteProject

LOADER = "com.amazon.emr.kinesis.pig.KinesisStreamLoader"
HANDLER = "com.amazon.emr.kinesis.hive.KinesisStorageHandler"
LOAD = f"raw = LOAD 'S' USING {LOADER}() AS (line:chararray);\nSTORE raw INTO 's3://b/o';\n"
TABLE = (
    f"CREATE TABLE t (line STRING) STORED BY '{HANDLER}' TBLPROPERTIES "
    '("kinesis.stream.name"="S");\n'
)


def _render(
    write_project: WriteProject, engine: str, script: str, mode: str = "connector"
) -> Rendered:
    name = "p.pig" if engine == "pig" else "h.hql"
    folder = "piglatin" if engine == "pig" else "hiveql"
    path = write_project(
        f'[staging]\nlocation = "s3://stage/kiter"\n'
        f'[jobs.j]\nengine = "{engine}"\ntemplate = "{name}"\nstream = "S"\nmode = "{mode}"\n',
        files={f"{folder}/{name}": script},
    )
    project = load_project(path, env={})
    return Renderer(project).render(project.job("j"), 3)


@pytest.mark.parametrize(
    ("script", "key"),
    [
        ("%declare k 'kinesis.checkpoint.iteration.no'\nSET '$k' 0;\n", "'$k'"),
        ("%declare k 'kinesis.checkpoint.iteration.no'\nSET $k 0;\n", "$k"),
        ("%default k kinesis.checkpoint.logical.name\nSET ${k} other;\n", "${k}"),
        (
            "%declare n no\nSET kinesis.checkpoint.iteration.$n 0;\n",
            "kinesis.checkpoint.iteration.$n",
        ),
    ],
)
def test_a_pig_set_whose_key_is_a_parameter_is_refused_at_its_line(
    write_project: WriteProject, script: str, key: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        _render(write_project, "pig", script + LOAD)
    where, _, message = str(caught.value).partition(": ")
    assert where.endswith("p.pig:2")
    assert message == (
        f"SET {key} takes its key from a Pig parameter: kiter owns the connector's checkpoint "
        "settings and cannot know which setting that is; write the key out"
    )


@pytest.mark.parametrize("argument", ["'$a'", "$a", "'kinesis.checkpoint.iteration.no=$n'"])
def test_a_kinesis_loader_argument_holding_a_parameter_is_refused(
    write_project: WriteProject, argument: str
) -> None:
    script = (
        "%default a 'kinesis.checkpoint.logical.name=other'\n%default n 0\n"
        f"raw = LOAD 'S' USING {LOADER}({argument}) AS (line:chararray);\n"
        "STORE raw INTO 's3://b/o';\n"
    )
    with pytest.raises(
        TemplateError,
        match=rf"p\.pig:3: the Kinesis loader is given {re.escape(argument)}, a Pig "
        "parameter: kiter owns the connector's checkpoint settings",
    ):
        _render(write_project, "pig", script)


def test_owned_arguments_of_a_define_of_the_loader_are_dropped_like_a_loads(
    write_project: WriteProject,
) -> None:
    script = (
        f"DEFINE KL {LOADER}('kinesis.checkpoint.metastore.table.name=OtherTable');\n"
        "raw = LOAD 'S' USING KL() AS (line:chararray);\nSTORE raw INTO 's3://b/o';\n"
    )
    rendered = _render(write_project, "pig", script)
    assert "OtherTable" not in rendered.submit_text
    assert f"DEFINE KL {LOADER}();" in rendered.submit_text
    assert any(
        note.endswith(
            "p.pig:1: kiter owns kinesis.checkpoint.metastore.table.name: the loader argument "
            "'kinesis.checkpoint.metastore.table.name=OtherTable' is dropped"
        )
        for note in rendered.notes
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            f"DEFINE KL {LOADER}('kinesis.checkpoint.metastore.table.name=O');\n",
            "gives the Kinesis loader kinesis.checkpoint.metastore.table.name on line 8",
        ),
        ("SET '$k' 0;\n", r"sets '\$k' on line 8, a key from a Pig parameter"),
        (
            f"x = LOAD 'S' USING {LOADER}($a);\n",
            r"gives the Kinesis loader \$a on line 8, a Pig parameter",
        ),
    ],
)
def test_the_check_before_submit_refuses_what_the_renderer_refuses(
    extra: str, message: str
) -> None:
    settings = CheckpointSettings("MyEMRKinesisTable", "HashKey", "RangeKey", "imported", 5)
    with pytest.raises(SettingError, match=message):
        check_effective_settings(settings.block("pig") + extra, "pig", settings)


STAGED = "in staged mode kiter reads the stream; this script would still read it live: "


@pytest.mark.parametrize(
    ("script", "line", "what"),
    [
        (
            f"raw = LOAD 'S' USING {LOADER}() AS (line:chararray);\nDEFINE KL {LOADER}();\n"
            "r2 = LOAD 'S' USING KL() AS (line:chararray);\nSTORE r2 INTO 's3://b/o';\n",
            2,
            f"{LOADER} names the Kinesis loader",
        ),
        (
            "%default L PigStorage\nraw = LOAD 'S' USING $L() AS (line:chararray);\n"
            "STORE raw INTO 's3://b/o';\n",
            2,
            "USING $L is a loader kiter cannot know",
        ),
    ],
)
def test_a_staged_pig_script_that_would_still_read_the_stream_is_refused(
    write_project: WriteProject, script: str, line: int, what: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        _render(write_project, "pig", script, mode="staged")
    where, _, message = str(caught.value).partition(": ")
    assert where.endswith(f"p.pig:{line}")
    assert message.startswith(STAGED + what + " (kiter rewrites only a LOAD '<stream>' USING")


@pytest.mark.parametrize(
    ("script", "line", "what"),
    [
        (
            TABLE + f"SET h={HANDLER};\nCREATE TABLE u (line STRING) STORED BY '${{hiveconf:h}}' "
            'TBLPROPERTIES ("kinesis.stream.name"="S");\nSELECT * FROM u;\n',
            2,
            f"{HANDLER} names the Kinesis storage handler",
        ),
        (
            TABLE + "CREATE TABLE u (line STRING) STORED BY '${hiveconf:h}' "
            'TBLPROPERTIES ("kinesis.stream.name"="S");\nSELECT * FROM u;\n',
            2,
            "STORED BY '${hiveconf:h}' is a class kiter cannot know",
        ),
        (
            "CREATE TABLE u (line STRING) STORED BY '${hiveconf:h}' "
            "TBLPROPERTIES ('${hiveconf:p}'='S');\nSELECT * FROM u;\n",
            1,
            "STORED BY '${hiveconf:h}' is a class kiter cannot know",
        ),
        (  # comments name the connector too: only code counts
            f"-- read with {HANDLER}, kinesis.stream.name=S\n"
            + TABLE
            + "CREATE TABLE u (line STRING) STORED AS TEXTFILE "
            "TBLPROPERTIES ('kinesis.stream.name'='S');\n",
            3,
            "'kinesis.stream.name' is a Kinesis table property",
        ),
    ],
)
def test_a_staged_hive_script_that_would_still_read_the_stream_is_refused(
    write_project: WriteProject, script: str, line: int, what: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        _render(write_project, "hive", script, mode="staged")
    where, _, message = str(caught.value).partition(": ")
    assert where.endswith(f"h.hql:{line}")
    assert message.startswith(STAGED + what + " (kiter rewrites only a CREATE TABLE")


def test_a_load_through_a_defines_alias_may_read_no_other_stream(
    write_project: WriteProject,
) -> None:
    script = (
        f"DEFINE KL {LOADER}();\nraw = LOAD 'S' USING KL() AS (line:chararray);\n"
        "r2 = LOAD 'Other' USING KL() AS (line:chararray);\nSTORE r2 INTO 's3://b/o';\n"
    )
    with pytest.raises(
        TemplateError, match=r"p\.pig:3: the script reads stream 'Other', but the job's stream"
    ):
        _render(write_project, "pig", script)


def test_owned_arguments_given_to_a_defines_alias_are_dropped_and_refused_before_submit(
    write_project: WriteProject,
) -> None:
    script = (
        f"DEFINE KL {LOADER}();\n"
        "raw = LOAD 'S' USING KL('kinesis.checkpoint.iteration.no=0') AS (line:chararray);\n"
        "STORE raw INTO 's3://b/o';\n"
    )
    rendered = _render(write_project, "pig", script)
    assert "USING KL() AS" in rendered.submit_text
    assert any("p.pig:2: kiter owns kinesis.checkpoint.iteration.no" in n for n in rendered.notes)
    settings = CheckpointSettings("MyEMRKinesisTable", "HashKey", "RangeKey", "imported", 5)
    with pytest.raises(SettingError, match="gives the Kinesis loader kinesis.checkpoint.iteration"):
        check_effective_settings(settings.block("pig") + script, "pig", settings)
