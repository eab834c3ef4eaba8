"""A streaming or jar job rendered: its Hadoop command for one iteration."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from kiter.attemptscript import script_for
from kiter.checkpoint import CheckpointSettings
from kiter.errors import SettingError, TemplateError, UsageError
from kiter.hadoopcommand import HadoopCommand
from kiter.project import Project, load_project
from kiter.render import Renderer
from kiter.render.commands import check_command_settings
from sample_projects import WriteProject

PROJECT = """\
[staging]
location = "staging"

[targets.hadoop]
kind = "hadoop"

[jobs.status]
engine = "streaming"
stream = "AccessLogStream"
logical_name = "status"
mode = "staged"
target = "hadoop"
mapper = "streaming/status_mapper.py"
reducer = "streaming/status_reducer.py"
combiner = "streaming/status_reducer.py"
files = ["streaming/agents.txt"]
reducers = 2
output = "out/status/iteration={{ iteration }}"
vars = { min_status = 400 }

[jobs.maponly]
engine = "streaming"
stream = "AccessLogStream"
mode = "staged"
mapper = "streaming/run.sh"
output = "file:///data/maponly/{{ logical_name }}/{{ iteration }}"

[jobs.wordcount]
engine = "jar"
stream = "AccessLogStream"
logical_name = "words"
mode = "staged"
target = "hadoop"
jar = "jars/examples.jar"
main_class = "org.apache.hadoop.examples.WordCount"
args = ["{{ input }}", "{{ output }}", "--label={{ vars.label }}-{{ iteration }}"]
output = "out/words/{{ iteration }}"
vars = { label = "run" }

[jobs.connector]
engine = "streaming"
stream = "AccessLogStream"
mapper = "m.py"
input_format = "org.example.KinesisInputFormat"
output = "s3://bucket/out/{{ iteration }}"
"""


@pytest.fixture
def project(write_project: WriteProject) -> Project:
    return load_project(write_project(PROJECT), env={})


def command(project: Project, job: str, iteration: int = 3, **overrides: str) -> HadoopCommand:
    rendered = Renderer(project).render(project.job(job), iteration, overrides=overrides)
    assert rendered.command is not None
    return rendered.command


def test_a_streaming_job_ships_its_programs_and_reads_the_iterations_partition(
    project: Project,
) -> None:
    streaming = command(project, "status")

    root = project.root
    assert streaming.files == (
        f"{root}/streaming/status_mapper.py",
        f"{root}/streaming/status_reducer.py",
        f"{root}/streaming/agents.txt",
    )
    assert streaming.input == f"file://{root}/staging/status/iteration=3"
    assert streaming.output == f"file://{root}/out/status/iteration=3"
    assert streaming.arguments == (
        "-mapper", "python3 status_mapper.py",
        "-combiner", "python3 status_reducer.py",
        "-reducer", "python3 status_reducer.py",
        "-numReduceTasks", "2",
        "-cmdenv", "min_status=400",
        "-input", streaming.input,
        "-output", streaming.output,
    )  # fmt: skip


def test_every_checkpoint_setting_goes_first_as_a_generic_option(project: Project) -> None:
    argv = command(project, "status").argv(files=["s3://b/m.py"], properties=[("a.b", "1")])

    assert argv[:4] == ["-D", "a.b=1", "-D", "kinesis.checkpoint.enabled=true"]
    assert "kinesis.checkpoint.iteration.no=3" in argv
    assert "kinesis.checkpoint.logical.name=status" in argv
    assert argv[argv.index("-files") + 1] == "s3://b/m.py"
    assert argv.index("-files") < argv.index("-mapper")


def test_a_map_only_job_has_no_reduce_tasks_and_a_non_python_program_runs_as_it_is(
    project: Project,
) -> None:
    maponly = command(project, "maponly", 7)

    assert maponly.arguments[:4] == ("-mapper", "run.sh", "-numReduceTasks", "0")
    assert maponly.output == "file:///data/maponly/maponly/7"


def test_a_connector_job_names_the_input_format_and_reads_the_stream(project: Project) -> None:
    connector = command(project, "connector")

    assert connector.input == "AccessLogStream"
    assert connector.output == "s3://bucket/out/3"
    arguments = list(connector.arguments)
    assert arguments[arguments.index("-inputformat") + 1] == "org.example.KinesisInputFormat"


def test_a_jar_jobs_args_see_input_output_iteration_and_vars(project: Project) -> None:
    jar = command(project, "wordcount", label="again")

    root = project.root
    assert jar.jar == f"{root}/jars/examples.jar"
    assert jar.main_class == "org.apache.hadoop.examples.WordCount"
    assert jar.arguments == (
        f"file://{root}/staging/words/iteration=3",
        f"file://{root}/out/words/3",
        "--label=again-3",
    )


def test_the_command_text_is_the_hadoop_command_as_a_shell_reads_it(project: Project) -> None:
    jar = command(project, "wordcount")

    words = shlex.split(jar.text.replace("\\\n", " "))
    assert words[:4] == ["hadoop", "jar", jar.jar, "org.apache.hadoop.examples.WordCount"]
    assert words[4:] == jar.argv()
    assert "  -D kinesis.checkpoint.iteration.no=3 \\\n" in jar.text


def test_the_script_for_a_run_carries_the_command(project: Project) -> None:
    job = project.job("status")
    rendered = Renderer(project).render(job, 3)
    script = script_for(job, rendered, iteration=3)

    assert script.command == rendered.command
    assert (script.engine, script.extension, rendered.extension) == ("streaming", "sh", "sh")
    assert script.text == rendered.text


def test_an_undefined_name_in_args_names_the_key_and_its_line(
    write_project: WriteProject,
) -> None:
    path = write_project(PROJECT.replace("{{ vars.label }}", "{{ lable }}"))
    project = load_project(path, env={})

    with pytest.raises(TemplateError, match=r"jobs.wordcount.args\[2\] = .*'lable' is undefined"):
        command(project, "wordcount")
    try:
        command(project, "wordcount")
    except TemplateError as exc:
        line = PROJECT.splitlines().index(
            'args = ["{{ input }}", "{{ output }}", "--label={{ vars.label }}-{{ iteration }}"]'
        )
        assert exc.where == f"{path}:{line + 1}"


def test_an_arg_whose_expression_prints_a_setting_kiter_owns_is_refused_at_render(
    write_project: WriteProject,
) -> None:
    # As written, such an arg is refused when kiter.toml loads (tests/test_programs.py).
    printed = '"-D{{ \'kinesis.checkpoint\' }}.iteration.no=0", "--label='
    text = PROJECT.replace('"--label=', printed)
    project = load_project(write_project(text), env={})

    with pytest.raises(UsageError, match=r"args sets kinesis.checkpoint.iteration.no: kiter owns"):
        command(project, "wordcount")


def test_an_output_that_holds_the_project_or_the_staged_data_is_refused(
    write_project: WriteProject,
) -> None:
    for output in (".", "..", "staging", "staging/status/iteration=3"):
        text = PROJECT.replace(
            'output = "out/status/iteration={{ iteration }}"', f'output = "{output}"'
        )
        project = load_project(write_project(text), env={})
        with pytest.raises(UsageError, match="which a rerun replaces"):
            command(project, "status")


def test_an_s3_output_that_holds_or_is_inside_the_s3_staging_location_is_refused(
    write_project: WriteProject,
) -> None:
    staged = PROJECT.replace('location = "staging"', 'location = "s3://stage/kiter"').replace(
        'target = "hadoop"\n', ""
    )
    for output in ("s3://stage", "s3://stage/kiter/", "s3://stage/kiter/status/{{ iteration }}"):
        text = staged.replace(
            'output = "out/status/iteration={{ iteration }}"', f'output = "{output}"'
        )
        project = load_project(write_project(text), env={})
        with pytest.raises(UsageError, match="which a rerun replaces, and (holds|is inside) the"):
            command(project, "status")
    text = staged.replace(
        'output = "out/status/iteration={{ iteration }}"',
        'output = "s3://stage/out/{{ iteration }}"',
    )
    assert command(load_project(write_project(text), env={}), "status").output == "s3://stage/out/3"


def test_a_var_no_jinja_string_of_a_jar_job_reads_is_refused(project: Project) -> None:
    with pytest.raises(UsageError, match="unknown --var 'lable'.*did you mean 'label'"):
        command(project, "wordcount", lable="x")


def test_a_streaming_jobs_programs_get_every_var(project: Project) -> None:
    assert "-cmdenv" in command(project, "status", extra="1").arguments


def test_the_last_look_refuses_a_command_whose_settings_are_not_the_claims(
    project: Project,
) -> None:
    streaming = command(project, "status")
    claim = CheckpointSettings("MyEMRKinesisTable", "HashKey", "RangeKey", "status", 3)
    other = CheckpointSettings("MyEMRKinesisTable", "HashKey", "RangeKey", "status", 4)

    check_command_settings(streaming, claim)
    with pytest.raises(SettingError, match="iteration.no=3, but this run is .*=4"):
        check_command_settings(streaming, other)


def test_render_out_writes_the_command_as_a_shell_file(project: Project, tmp_path: Path) -> None:
    from kiter.render import write_rendered

    written = write_rendered(Renderer(project).render(project.job("status"), 3), tmp_path / "o")

    assert written == tmp_path / "o" / "status" / "3.sh"
    assert written.read_text().startswith("hadoop jar hadoop-streaming.jar \\\n")


def test_a_streaming_var_holding_a_space_is_refused_naming_it(project: Project) -> None:
    # Streaming joins every -cmdenv into one setting and splits it at spaces for the programs'
    # environment (PipeMapRed.addEnvironment): `-cmdenv region=us east` would reach them as `us`.
    with pytest.raises(UsageError, match=r"^jobs.status var region = 'us east' holds a space"):
        command(project, "status", region="us east")


@pytest.mark.parametrize(
    ("output", "theirs"),
    [
        ('"out/words/{{ iteration }}"', "out/words/3"),  # the same folder
        ('"out/words"', "out/words/3"),  # around it
        ('"out/words/{{ iteration }}/status"', "out/words/3"),  # inside it
    ],
    ids=["the same folder", "a folder around it", "a folder inside it"],
)
def test_an_output_another_jobs_iteration_of_the_same_number_writes_is_refused(
    write_project: WriteProject, output: str, theirs: str
) -> None:
    old = 'output = "out/status/iteration={{ iteration }}"'
    path = write_project(PROJECT.replace(old, f"output = {output}"))
    project = load_project(path, env={})
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if output in text)

    with pytest.raises(UsageError) as caught:
        command(project, "status")

    assert caught.value.where == f"{path}:{line}"
    assert f"and jobs.wordcount's is file://{path.parent / theirs}: a run empties its output " in (
        caught.value.message
    )
    assert "(give each job a folder of its own)" in caught.value.message


def test_outputs_are_compared_as_hadoop_reads_them(write_project: WriteProject) -> None:
    # jobs.maponly writes file:///data/maponly/maponly/3 for iteration 3.
    unresolved = 'output = "file:///data/x/../maponly//maponly/./{{ iteration }}/"'
    old = 'output = "out/status/iteration={{ iteration }}"'
    project = load_project(write_project(PROJECT.replace(old, unresolved)), env={})

    with pytest.raises(UsageError, match="and jobs.maponly's is file:///data/maponly/maponly/3: "):
        command(project, "status")


@pytest.mark.parametrize("broken", ['"{{ nope }}"', '"s3://[bad/{{ iteration }}"'])
def test_another_jobs_output_that_does_not_render_leaves_this_jobs_own_to_it(
    write_project: WriteProject, broken: str
) -> None:
    text = PROJECT.replace('output = "out/words/{{ iteration }}"', f"output = {broken}")
    project = load_project(write_project(text), env={})

    assert command(project, "status").output.endswith("/out/status/iteration=3")
