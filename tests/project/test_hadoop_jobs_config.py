"""kiter.toml's streaming and jar jobs: their keys, and the targets that may run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiter.errors import ConfigError
from kiter.project import JarJobConfig, StreamingJobConfig, load_project
from sample_projects import WriteProject, run

TARGETS = """\
[staging]
location = "staging"

[targets.hadoop]
kind = "hadoop"

[targets.hive]
kind = "hiveserver2"
host = "hive.internal"

[targets.serverless]
kind = "emr-serverless"
application_id = "00f0000000000001"
execution_role_arn = "arn:aws:iam::123456789012:role/kiter"
script_prefix = "s3://b/scripts"
log_uri = "s3://b/logs"
"""

STREAMING = """
[jobs.status]
engine = "streaming"
stream = "AccessLogStream"
mode = "staged"
target = "hadoop"
mapper = "streaming/status_mapper.py"
reducer = "streaming/status_reducer.py"
reducers = 2
output = "out/status/iteration={{ iteration }}"
"""

WORDCOUNT = """
[jobs.wordcount]
engine = "jar"
stream = "AccessLogStream"
mode = "staged"
target = "hadoop"
jar = "jars/hadoop-mapreduce-examples-2.10.2.jar"
main_class = "org.apache.hadoop.examples.WordCount"
args = ["{{ input }}", "{{ output }}"]
output = "out/wordcount/{{ iteration }}"
"""


def load(write_project: WriteProject, text: str) -> object:
    return load_project(write_project(TARGETS + text), env={})


def test_a_streaming_job_loads_with_its_programs_and_a_map_only_default(
    write_project: WriteProject,
) -> None:
    project = load_project(
        write_project(
            TARGETS
            + STREAMING
            + WORDCOUNT.replace("[jobs.wordcount]", "[jobs.other]")
            + '\n[jobs.maponly]\nengine = "streaming"\nstream = "S"\nmode = "staged"\n'
            'mapper = "m.py"\noutput = "out/m"\n'
        ),
        env={},
    )

    status = project.job("status")
    assert isinstance(status, StreamingJobConfig)
    assert (status.mapper, status.reducer, status.reducers) == (
        "streaming/status_mapper.py",
        "streaming/status_reducer.py",
        2,
    )
    assert status.output == "out/status/iteration={{ iteration }}"
    maponly = project.job("maponly")
    assert isinstance(maponly, StreamingJobConfig)
    assert (maponly.reducer, maponly.combiner, maponly.files, maponly.reducers) == (
        None,
        None,
        [],
        None,
    )
    other = project.job("other")
    assert isinstance(other, JarJobConfig)
    assert other.args == ["{{ input }}", "{{ output }}"]
    assert other.main_class == "org.apache.hadoop.examples.WordCount"
    assert project.targets["hadoop"].kind == "hadoop"


def test_a_connector_mode_streaming_job_without_input_format_names_the_key(
    write_project: WriteProject,
) -> None:
    text = STREAMING.replace('mode = "staged"\ntarget = "hadoop"\n', "")
    with pytest.raises(ConfigError, match="needs input_format") as caught:
        load(write_project, text)
    assert str(caught.value).startswith(f"{write_project(TARGETS + text)}:")
    assert "kiter does not guess" in str(caught.value)


def test_a_connector_mode_streaming_job_with_input_format_loads(
    write_project: WriteProject,
) -> None:
    text = STREAMING.replace('mode = "staged"\ntarget = "hadoop"\n', "") + (
        'input_format = "org.example.KinesisInputFormat"\n'
    )
    job = load_project(write_project(TARGETS + text), env={}).job("status")
    assert isinstance(job, StreamingJobConfig)
    assert job.input_format == "org.example.KinesisInputFormat"


def test_the_connector_mode_error_exits_2_in_one_line(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(TARGETS + STREAMING.replace('mode = "staged"\ntarget = "hadoop"\n', ""))
    code, _, err = run(["-C", str(path.parent), "jobs"], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "input_format" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('mapper = "streaming/status_mapper.py"\n', ""), "missing required key 'mapper'"),
        (('reducer = "streaming/status_reducer.py"\n', ""), "reducers needs a reducer"),
        (("reducers = 2", "reducers = 0"), "reducers must be at least 1"),
        (("reducers = 2", 'template = "x.hql"'), "unknown key 'template'"),
        (
            ("reducers = 2", 'files = ["lib/status_mapper.py"]'),
            "both shipped as 'status_mapper.py'",
        ),
        (("reducers = 2", "files = [3]"), "files must be an array of strings"),
        (
            (
                'mode = "staged"\ntarget = "hadoop"\n',
                'input_format = "a.B"\ncross_account = true\n',
            ),
            "cross_account keys cannot travel",
        ),
        (("reducers = 2", 'input_format = "not a class"'), "must be a Java class name"),
        (('output = "out/status/iteration={{ iteration }}"\n', ""), "missing required key"),
        (('target = "hadoop"', 'target = "hive"'), "HiveServer2, which runs hive jobs"),
        (('target = "hadoop"', 'target = "serverless"'), "EMR Serverless, which runs hive jobs"),
        (('mode = "staged"\n', 'input_format = "a.B"\n'), "has no Kinesis connector"),
    ],
)
def test_a_bad_streaming_job_is_one_error_naming_the_key(
    write_project: WriteProject, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in STREAMING
    with pytest.raises(ConfigError, match=message):
        load(write_project, STREAMING.replace(old, new))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('args = ["{{ input }}", "{{ output }}"]', "args = [1]"), "args must be an array"),
        (('main_class = "org.apache.hadoop.examples.WordCount"\n', ""), None),
        (('jar = "jars/hadoop-mapreduce-examples-2.10.2.jar"\n', ""), "missing required key 'jar'"),
        (('target = "hadoop"', 'target = "serverless"'), "EMR Serverless"),
    ],
)
def test_a_bad_jar_job_is_one_error_naming_the_key(
    write_project: WriteProject, change: tuple[str, str], message: str | None
) -> None:
    old, new = change
    assert old in WORDCOUNT
    if message is None:  # the manifest's Main-Class then: checked by kiter validate
        assert isinstance(load(write_project, WORDCOUNT.replace(old, new)), object)
        return
    with pytest.raises(ConfigError, match=message):
        load(write_project, WORDCOUNT.replace(old, new))


def test_a_hive_job_on_the_hadoop_target_and_a_hive_key_elsewhere_are_refused(
    write_project: WriteProject,
) -> None:
    hive = (
        '\n[jobs.top]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "S"\n'
        'mode = "staged"\ntarget = "hadoop"\n'
    )
    with pytest.raises(ConfigError, match="local Hadoop engine, which runs jar and streaming jobs"):
        load(write_project, hive)
    with pytest.raises(ConfigError, match="unknown key 'mapper' in \\[jobs.top\\]"):
        load(write_project, hive.replace('target = "hadoop"', 'mapper = "m.py"'))


def test_the_hadoop_target_takes_a_heap_and_properties(write_project: WriteProject) -> None:
    text = TARGETS.replace(
        'kind = "hadoop"\n', 'kind = "hadoop"\nheap = "2g"\nproperties = { "a.b" = 1 }\n'
    )
    target = load_project(write_project(text), env={}).targets["hadoop"]
    assert (getattr(target, "heap", None), getattr(target, "properties", None)) == (
        "2g",
        {"a.b": 1},
    )
    with pytest.raises(ConfigError, match="must be a size like 512m"):
        load_project(
            write_project(TARGETS.replace('kind = "hadoop"\n', 'kind = "hadoop"\nheap = "lots"\n')),
            env={},
        )


def test_streaming_and_jar_jobs_need_no_template_file(
    write_project: WriteProject, tmp_path: Path
) -> None:
    project = load_project(write_project(TARGETS + STREAMING + WORDCOUNT), env={})
    assert sorted(project.jobs) == ["status", "wordcount"]
    assert not (tmp_path / "streaming").exists()  # programs are kiter validate's to find


def test_a_streaming_job_sent_to_hiveserver2_with_target_is_refused_in_one_line(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(TARGETS + STREAMING)

    code, out, err = run(["-C", str(path.parent), "submit", "status", "--target", "hive"], capsys)

    assert (code, out) == (2, "")
    assert err == (
        f"kiter: error: {path}: job status is a streaming job and target hive is HiveServer2, "
        'which runs hive jobs: point it at a target with kind = "emr" or kind = "hadoop"\n'
    )


EMR = """
[targets.emr]
kind = "emr"
cluster_id = "j-2AXXXXXXGAPLF"
script_prefix = "s3://scripts/kiter"
"""


def test_streaming_and_jar_jobs_load_on_emr_steps_in_both_modes(
    write_project: WriteProject,
) -> None:
    emr = TARGETS.replace('location = "staging"', 'location = "s3://stage/kiter"') + EMR
    connector = STREAMING.replace('mode = "staged"\n', 'input_format = "org.example.InFormat"\n')
    text = (
        emr
        + connector.replace('target = "hadoop"', 'target = "emr"')
        + WORDCOUNT.replace('target = "hadoop"', 'target = "emr"')
    )

    project = load_project(write_project(text), env={})

    assert {name: job.target for name, job in project.jobs.items()} == {
        "status": "emr",
        "wordcount": "emr",
    }
    assert project.job("status").mode == "connector"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('mapper = "streaming/status_mapper.py"', 'mapper = "streaming/status mapper.py"'),
            r"^jobs.status.mapper 'streaming/status mapper.py' holds a space, which Hadoop",
        ),
        (("reducers = 2", 'files = ["lookup,2026.tsv"]'), r"files 'lookup,2026.tsv' holds a ','"),
        (("reducers = 2", 'files = ["codes#1.tsv"]'), r"files 'codes#1.tsv' holds a '#'"),
        (
            ('reducer = "streaming/status_reducer.py"', 'reducer = "s3://b/status_reducer.py"'),
            r"reducer must be a file of the project, not the URL 's3://b/status_reducer.py'",
        ),
    ],
)
def test_a_program_hadoop_could_not_ship_by_its_path_is_one_error_naming_the_key(
    write_project: WriteProject, change: tuple[str, str], message: str
) -> None:
    # -files is a comma-separated list of URIs (a space is no URI, `#` names the link) and
    # streaming splits `-mapper "python3 NAME"` at spaces: on EMR and on local Hadoop alike.
    old, new = change
    assert old in STREAMING
    path = write_project(TARGETS + STREAMING.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_project(path, env={})
    assert re.search(message, caught.value.message)
    key = new.split(" ")[0]
    line = (
        (TARGETS + STREAMING.replace(old, new))
        .splitlines()
        .index(next(row for row in STREAMING.replace(old, new).splitlines() if row.startswith(key)))
    )
    assert caught.value.where == f"{path}:{line + 1}"


@pytest.mark.parametrize(
    ("jar", "message"),
    [
        ("s3n://apps/error-types.jar", "must be a path in the project or an s3:// URL, not"),
        ("s3://apps/", "names no object: give the jar's s3://bucket/key"),
    ],
)
def test_a_jar_neither_in_the_project_nor_an_s3_object_is_one_error_naming_the_key(
    write_project: WriteProject, jar: str, message: str
) -> None:
    old = 'jar = "jars/hadoop-mapreduce-examples-2.10.2.jar"'
    assert old in WORDCOUNT
    with pytest.raises(ConfigError) as caught:
        load(write_project, WORDCOUNT.replace(old, f'jar = "{jar}"'))
    assert caught.value.message.startswith(f"jobs.wordcount.jar {message}")
    assert str(caught.value.where).endswith(f":{(TARGETS + WORDCOUNT).splitlines().index(old) + 1}")
