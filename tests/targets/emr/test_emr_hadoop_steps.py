"""Streaming and jar jobs as EMR steps, against moto S3 + EMR in process: the steps' shape, the
files uploaded for them, the output replaced and read back, a failure explained from task logs."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import emr_logsamples as samples
import pytest
from emr_hadoop_project import JOBS, MAPPER, OUT_BUCKET, write_job_files
from emr_moto import LOG_BUCKET, SCRIPT_BUCKET, StepDriver

from kiter.errors import UsageError
from kiter.project import Project, load_project
from kiter.render import Renderer
from kiter.runner import script_for
from kiter.targets.base import Handle, Script, Unwatched
from kiter.targets.emr import EmrTarget
from kiter_support import CallLog, FakeTime
from sample_projects import WriteProject

pytestmark = pytest.mark.functional

MakeTarget = Callable[..., EmrTarget]
PushLogs = Callable[[str, dict[str, str]], None]
CONTAINER = "container_1714557600000_0003_01_000002"
PREFIX = f"s3://{SCRIPT_BUCKET}/kiter/scripts"

PROJECT = f"""\
[staging]
location = "s3://kiter-staging/iterations"

[targets.emr]
kind = "emr"
cluster_id = "j-2AXXXXXXGAPLF"
script_prefix = "{PREFIX}"

{JOBS}
[jobs.s3jar]
engine = "jar"
stream = "AccessLogStream"
mode = "staged"
target = "emr"
jar = "s3://kiter-jars/cascading-app.jar"
args = ["{{{{ output }}}}"]
output = "s3://{OUT_BUCKET}/cascading/{{{{ iteration }}}}"

[jobs.connector]
engine = "streaming"
stream = "AccessLogStream"
target = "emr"
mapper = "streaming/status_mapper.py"
input_format = "org.example.KinesisInputFormat"
output = "s3://{OUT_BUCKET}/connector/{{{{ iteration }}}}"

[jobs.local_out]
engine = "streaming"
stream = "AccessLogStream"
mode = "staged"
target = "emr"
mapper = "streaming/status_mapper.py"
output = "out/{{{{ iteration }}}}"
"""


@pytest.fixture
def project(write_project: WriteProject, tmp_path: Path, s3: Any) -> Project:
    s3.create_bucket(Bucket=OUT_BUCKET)
    path = write_project(PROJECT)
    write_job_files(tmp_path)
    return load_project(path, env={})


@pytest.fixture
def target(make_target: MakeTarget, project: Project) -> EmrTarget:
    return make_target(workdir=project.root)


def script(project: Project, job: str, iteration: int = 4, attempt: int = 1) -> Script:
    config = project.job(job)
    rendered = Renderer(project).render(config, iteration)
    return script_for(config, rendered, iteration=iteration, attempt=attempt)


def only_step(emr: Any, cluster_id: str) -> dict[str, Any]:
    [step] = emr.list_steps(ClusterId=cluster_id)["Steps"]
    return dict(emr.describe_step(ClusterId=cluster_id, StepId=step["Id"])["Step"])


def settings_of(args: list[str]) -> dict[str, str]:
    return dict(args[i + 1].split("=", 1) for i, word in enumerate(args) if word == "-D")


# -- the steps ------------------------------------------------------------------------------------


def test_a_streaming_job_is_a_hadoop_streaming_step_with_settings_first_and_programs_from_s3(
    target: EmrTarget, project: Project, s3: Any, emr: Any, cluster_id: str
) -> None:
    handle = target.start(script(project, "status"))

    step = only_step(emr, cluster_id)
    assert handle.id == step["Id"]
    assert step["Name"] == "kiter:status:status:4:1"
    config = step["Config"]
    assert config["Jar"] == "command-runner.jar"
    args = config["Args"]
    folder = f"{PREFIX}/status/4/1/files/streaming"
    settings = settings_of(args)
    assert args[0] == "hadoop-streaming"
    assert args[1] == "-D"
    assert settings["kinesis.checkpoint.iteration.no"] == "4"
    assert settings["kinesis.checkpoint.logical.name"] == "status"
    first_own = args.index("-files")
    assert all(word != "-D" for word in args[first_own:])
    assert args[first_own:] == [
        "-files", f"{folder}/status_mapper.py,{folder}/status_reducer.py",
        "-mapper", "python3 status_mapper.py",
        "-reducer", "python3 status_reducer.py",
        "-numReduceTasks", "2",
        "-input", "s3://kiter-staging/iterations/status/iteration=4",
        "-output", f"s3://{OUT_BUCKET}/status/iteration=4",
    ]  # fmt: skip
    key = "kiter/scripts/status/4/1/files/streaming/status_mapper.py"
    uploaded = s3.get_object(Bucket=SCRIPT_BUCKET, Key=key)
    assert uploaded["Body"].read().decode() == MAPPER
    assert uploaded["ServerSideEncryption"] == "AES256"


def test_the_record_beside_a_step_is_the_rendered_command_whose_sha256_the_ledger_keeps(
    target: EmrTarget, project: Project, s3: Any
) -> None:
    # What the step ran is its Args (DescribeStep); the record is what `kiter render` showed.
    rendered = Renderer(project).render(project.job("status"), 4)

    target.start(script(project, "status"))

    key = "kiter/scripts/status/4/1/status.sh"
    body = s3.get_object(Bucket=SCRIPT_BUCKET, Key=key)["Body"].read()
    assert body.decode() == rendered.text
    assert hashlib.sha256(body).hexdigest() == rendered.sha256


def test_a_program_written_with_dot_dot_is_shipped_where_hadoop_reads_its_url(
    make_target: MakeTarget, write_project: WriteProject, tmp_path: Path, s3: Any, emr: Any
) -> None:
    # Hadoop normalizes a -files URI (`files/streaming/../x` is `files/x`), S3 keys are literal.
    old = 'reducer = "streaming/status_reducer.py"'
    assert old in PROJECT
    path = write_project(
        PROJECT.replace(old, 'reducer = "streaming/../streaming/status_reducer.py"')
    )
    write_job_files(tmp_path)
    s3.create_bucket(Bucket=OUT_BUCKET)
    project = load_project(path, env={})

    make_target(workdir=project.root).start(script(project, "status"))

    [step] = emr.list_steps(ClusterId=make_target().cluster_id)["Steps"]
    args = step["Config"]["Args"]
    folder = f"{PREFIX}/status/4/1/files/streaming"
    shipped = f"{folder}/status_mapper.py,{folder}/status_reducer.py"
    assert args[args.index("-files") + 1] == shipped
    listed = s3.list_objects_v2(Bucket=SCRIPT_BUCKET, Prefix="kiter/scripts/status/4/1/files/")
    keys = [obj["Key"] for obj in listed["Contents"]]
    assert keys == [
        "kiter/scripts/status/4/1/files/streaming/status_mapper.py",
        "kiter/scripts/status/4/1/files/streaming/status_reducer.py",
    ]


def test_a_jar_job_is_a_custom_jar_step_of_the_uploaded_jar_its_main_class_and_settings_first(
    target: EmrTarget, project: Project, s3: Any, emr: Any, cluster_id: str, steps: StepDriver
) -> None:
    step_id = target.start(script(project, "words")).id

    config = only_step(emr, cluster_id)["Config"]
    assert config["Jar"] == f"{PREFIX}/words/4/1/files/jars/wordcount.jar"
    # moto's DescribeStep leaves MainClass out: what AddJobFlowSteps was given.
    assert steps.step(step_id).hadoop_jar_step["MainClass"] == "org.example.WordCount"
    args = config["Args"]
    assert args[0] == "-D"
    assert settings_of(args)["kinesis.checkpoint.iteration.no"] == "4"
    assert args[-2:] == [
        "s3://kiter-staging/iterations/words/iteration=4",
        f"s3://{OUT_BUCKET}/words/4",
    ]
    jar = s3.get_object(
        Bucket=SCRIPT_BUCKET, Key="kiter/scripts/words/4/1/files/jars/wordcount.jar"
    )
    assert jar["Body"].read() == (project.root / "jars" / "wordcount.jar").read_bytes()


def test_a_jar_already_in_s3_runs_from_there_with_its_manifests_main_class(
    target: EmrTarget, project: Project, s3: Any, emr: Any, cluster_id: str, steps: StepDriver
) -> None:
    step_id = target.start(script(project, "s3jar")).id

    config = only_step(emr, cluster_id)["Config"]
    assert config["Jar"] == "s3://kiter-jars/cascading-app.jar"
    assert "MainClass" not in steps.step(step_id).hadoop_jar_step
    assert config["Args"][-1] == f"s3://{OUT_BUCKET}/cascading/4"
    listed = s3.list_objects_v2(Bucket=SCRIPT_BUCKET, Prefix="kiter/scripts/s3jar/4/1/files/")
    assert "Contents" not in listed


def test_a_cascading_app_is_one_custom_jar_step_of_its_uploaded_jar_run_by_its_manifest(
    target: EmrTarget, project: Project, s3: Any, emr: Any, cluster_id: str, steps: StepDriver
) -> None:
    # Cascading 4's Hadoop planners are not on Maven Central: on EMR such an app is a jar job,
    # and what kiter owns of it is the step's shape.
    step_id = target.start(script(project, "cascading")).id

    config = only_step(emr, cluster_id)["Config"]
    assert config["Jar"] == f"{PREFIX}/cascading/4/1/files/jars/cascading-app.jar"
    assert "MainClass" not in steps.step(step_id).hadoop_jar_step
    args = config["Args"]
    settings = settings_of(args)
    kiter_first = 2 * len(settings)
    assert args[:kiter_first:2] == ["-D"] * len(settings)
    assert settings["kinesis.checkpoint.iteration.no"] == "4"
    assert settings["kinesis.checkpoint.logical.name"] == "cascading"
    assert args[kiter_first:] == [
        "s3://kiter-staging/iterations/cascading/iteration=4",
        f"s3://{OUT_BUCKET}/error-types/4",
    ]
    key = "kiter/scripts/cascading/4/1/files/jars/cascading-app.jar"
    uploaded = s3.get_object(Bucket=SCRIPT_BUCKET, Key=key)["Body"].read()
    assert uploaded == (project.root / "jars" / "cascading-app.jar").read_bytes()


def test_a_connector_mode_streaming_step_names_the_input_format_and_reads_the_stream(
    target: EmrTarget, project: Project, emr: Any, cluster_id: str
) -> None:
    target.start(script(project, "connector"))

    args = only_step(emr, cluster_id)["Config"]["Args"]
    assert args[args.index("-inputformat") + 1] == "org.example.KinesisInputFormat"
    assert args[args.index("-input") + 1] == "AccessLogStream"
    assert settings_of(args)["kinesis.checkpoint.enabled"] == "true"


def test_an_output_outside_s3_is_refused_before_anything_is_uploaded(
    target: EmrTarget, project: Project, s3: Any, emr: Any, cluster_id: str
) -> None:
    with pytest.raises(UsageError, match=r"output must be an s3:// location"):
        target.start(script(project, "local_out"))

    assert "Contents" not in s3.list_objects_v2(Bucket=SCRIPT_BUCKET)
    assert emr.list_steps(ClusterId=cluster_id)["Steps"] == []


def test_a_folder_among_the_files_is_refused_before_anything_is_uploaded(
    make_target: MakeTarget, write_project: WriteProject, tmp_path: Path, s3: Any, emr: Any
) -> None:
    old = "reducers = 2\n"
    assert old in PROJECT
    path = write_project(PROJECT.replace(old, old + 'files = ["lookup"]\n', 1))
    write_job_files(tmp_path)
    (tmp_path / "lookup").mkdir()
    (tmp_path / "lookup" / "codes.tsv").write_text("404\tNot Found\n", encoding="utf-8")
    project = load_project(path, env={})
    target = make_target(workdir=project.root)

    with pytest.raises(UsageError, match=r"^job status ships lookup, which is a folder: "):
        target.start(script(project, "status"))

    assert "Contents" not in s3.list_objects_v2(Bucket=SCRIPT_BUCKET)
    assert emr.list_steps(ClusterId=target.cluster_id)["Steps"] == []


@pytest.mark.parametrize(
    ("output", "said"),
    [
        (f"s3://{OUT_BUCKET}", "is a whole bucket"),
        (f"s3://{SCRIPT_BUCKET}/kiter", "holds script_prefix"),
        # The attempt's own programs, uploaded before the output is replaced, would go with it.
        (f"{PREFIX}/status", "is inside script_prefix"),
    ],
)
def test_an_output_a_rerun_would_empty_too_much_of_is_refused_before_anything_is_uploaded(
    make_target: MakeTarget,
    write_project: WriteProject,
    tmp_path: Path,
    s3: Any,
    output: str,
    said: str,
) -> None:
    old = f'output = "s3://{OUT_BUCKET}/status/iteration={{{{ iteration }}}}"'
    assert old in PROJECT
    text = PROJECT.replace(old, f'output = "{output}"')
    # The other jobs write elsewhere: a whole bucket holding theirs is refused at render already.
    path = write_project(text.replace(f"s3://{OUT_BUCKET}/", "s3://kiter-elsewhere/"))
    write_job_files(tmp_path)
    project = load_project(path, env={})

    with pytest.raises(UsageError, match=f"which a rerun replaces, and {said}"):
        make_target(workdir=project.root).start(script(project, "status"))

    assert "Contents" not in s3.list_objects_v2(Bucket=SCRIPT_BUCKET)


# -- the output -----------------------------------------------------------------------------------


def test_a_rerun_replaces_the_iterations_output_after_the_fence_right_before_the_step(
    target: EmrTarget, project: Project, s3: Any, emr: Any
) -> None:
    for key in (
        "status/iteration=4/part-00000",
        "status/iteration=4/_SUCCESS",
        "status/iteration=4_$folder$",
        "status/iteration=40/part-00000",
    ):
        s3.put_object(Bucket=OUT_BUCKET, Key=key, Body=b"old\t1\n")
    log = CallLog(s3, emr)

    target.start(script(project, "status"), log)

    assert log[-4:] == ["fence", "ListObjectsV2", "DeleteObjects", "AddJobFlowSteps"]
    left = [obj["Key"] for obj in s3.list_objects_v2(Bucket=OUT_BUCKET)["Contents"]]
    assert left == ["status/iteration=40/part-00000"]


def test_a_succeeded_step_reads_its_part_files_back_as_rows(
    target: EmrTarget, project: Project, s3: Any, steps: StepDriver
) -> None:
    step_id = target.start(script(project, "status")).id
    s3.put_object(Bucket=OUT_BUCKET, Key="status/iteration=4/part-00001", Body=b"500\t2\n")
    s3.put_object(Bucket=OUT_BUCKET, Key="status/iteration=4/part-00000", Body=b"404\t7\nx\t1.5\n")
    s3.put_object(Bucket=OUT_BUCKET, Key="status/iteration=4/_SUCCESS", Body=b"")
    steps.set_state(step_id, "COMPLETED")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "SUCCEEDED"
    assert outcome.columns == ["$0", "$1"]
    assert outcome.rows == [(404, 7), ("x", 1.5), (500, 2)]


# -- failures -------------------------------------------------------------------------------------


class FailedStep:
    """A step of a job started and FAILED, its own logs pushed; task logs put where EMR puts them."""

    def __init__(self, target: EmrTarget, project: Project, steps: StepDriver, s3: Any) -> None:
        self.target, self.project, self.steps, self.s3 = target, project, steps, s3

    def __call__(self, job: str, step_logs: dict[str, str], push: PushLogs) -> str:
        step_id = self.target.start(script(self.project, job)).id
        self.steps.set_state(step_id, "FAILED")
        push(step_id, step_logs)
        return step_id

    def put(self, key: str, text: str) -> None:
        self.s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=gzip.compress(text.encode()))


@pytest.fixture
def failed(target: EmrTarget, project: Project, steps: StepDriver, s3: Any) -> FailedStep:
    return FailedStep(target, project, steps, s3)


@pytest.fixture
def task(cluster_id: str) -> str:
    """The log folder of the task that failed: <LogUri>/<cluster>/containers/<app>/<container>."""
    return f"emr/{cluster_id}/containers/{samples.APPLICATION}/{CONTAINER}"


def test_a_failed_streaming_step_is_explained_by_the_mappers_traceback_in_its_task_log(
    target: EmrTarget, failed: FailedStep, push_logs: PushLogs, task: str
) -> None:
    step_logs = {"syslog": samples.STREAMING_STEP_SYSLOG, "stderr": samples.STREAMING_STEP_STDERR}
    step_id = failed("status", step_logs, push_logs)
    failed.put(task.replace(CONTAINER, "container_1714557600000_0003_01_000001/stderr.gz"), "")
    failed.put(f"{task}/stderr.gz", samples.MAPPER_TASK_STDERR)
    failed.put(f"{task}/syslog.gz", samples.MAPPER_TASK_SYSLOG)

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "FAILED"
    assert outcome.cause.splitlines() == [
        f"step {step_id} (kiter:status:status:4:1) FAILED",
        "probable cause:",
        "  streaming/status_mapper.py:12: ValueError: invalid literal for int() with base 10: '-'",
        f"  whole log: s3://{LOG_BUCKET}/{task}/stderr.gz",
    ]


def test_a_failed_jar_step_is_explained_by_the_exception_its_task_died_of(
    target: EmrTarget, failed: FailedStep, push_logs: PushLogs, task: str
) -> None:
    step_id = failed("words", {"syslog": samples.JAR_STEP_SYSLOG}, push_logs)
    failed.put(f"{task}/syslog.gz", samples.JAR_TASK_SYSLOG)
    failed.put(f"{task}/stderr.gz", "log4j:WARN No appenders could be found.\n")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.cause.splitlines()[1:] == [
        "probable cause:",
        '  java.lang.NumberFormatException: For input string: "abc" (at WordCount.java:42)',
        f"  whole log: s3://{LOG_BUCKET}/{task}/syslog.gz",
    ]


def test_task_logs_in_the_layout_before_yarn_are_read_too(
    target: EmrTarget, failed: FailedStep, push_logs: PushLogs, cluster_id: str
) -> None:
    running = {"syslog": "INFO Running job: job_1714557600000_0003\n"}
    step_id = failed("status", running, push_logs)
    job = f"emr/{cluster_id}/task-attempts/job_1714557600000_0003"
    attempt = f"{job}/attempt_1714557600000_0003_m_000000_0"
    failed.put(f"{attempt}/stderr.gz", samples.MAPPER_TASK_STDERR)

    outcome = target.follow(Handle(step_id), Unwatched())

    assert "  streaming/status_mapper.py:12: ValueError" in outcome.cause
    assert f"  whole log: s3://{LOG_BUCKET}/{attempt}/stderr.gz" in outcome.cause


def test_without_task_logs_yet_the_client_side_exception_is_given_and_where_they_will_be(
    target: EmrTarget, failed: FailedStep, push_logs: PushLogs, task: str
) -> None:
    step_id = failed("status", {"syslog": samples.STREAMING_STEP_SYSLOG}, push_logs)

    cause = target.explain(step_id).splitlines()

    subprocess_failed = "PipeMapRed.waitOutputThreads(): subprocess failed with code 1"
    assert f"  java.lang.RuntimeException: {subprocess_failed}" in cause
    application = task.rsplit("/", 1)[0]
    assert (
        f"  task logs not (yet) at s3://{LOG_BUCKET}/{application}; "
        "EMR pushes them about every 5 minutes"
    ) in cause


def test_task_logs_pushed_after_the_steps_own_are_waited_for_within_the_bound(
    target: EmrTarget,
    failed: FailedStep,
    push_logs: PushLogs,
    task: str,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    step_id = failed("status", {"syslog": samples.STREAMING_STEP_SYSLOG}, push_logs)
    fake_time.hooks[2] = lambda: failed.put(f"{task}/stderr.gz", samples.MAPPER_TASK_STDERR)

    outcome = target.follow(Handle(step_id), Unwatched())

    assert "  streaming/status_mapper.py:12: ValueError" in outcome.cause
    assert "task logs not (yet)" not in outcome.cause
    assert fake_time.sleeps == [30, 30]
    waiting = "waiting up to 600 s for EMR to push task logs to s3://"
    assert any(line.startswith(waiting) for line in echoed)


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".deflate", zlib.compress)],
)
def test_compressed_part_files_read_back_as_the_rows_they_hold(
    target: EmrTarget,
    project: Project,
    s3: Any,
    steps: StepDriver,
    suffix: str,
    compress: Callable[[bytes], bytes],
) -> None:
    step_id = target.start(script(project, "status")).id
    key = f"status/iteration=4/part-00000{suffix}"
    s3.put_object(Bucket=OUT_BUCKET, Key=key, Body=compress(b"404\t7\nx\t1.5\n"))
    steps.set_state(step_id, "COMPLETED")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.rows == [(404, 7), ("x", 1.5)]


def test_part_files_of_a_codec_kiter_cannot_read_are_said_unread_not_shown_as_bytes(
    target: EmrTarget, project: Project, s3: Any, steps: StepDriver
) -> None:
    lines: list[str] = []
    target.echo = lines.append
    step_id = target.start(script(project, "status")).id
    key = "status/iteration=4/part-00000.snappy"
    s3.put_object(Bucket=OUT_BUCKET, Key=key, Body=b"\xff\x06\x00\x00sNaPpY")
    steps.set_state(step_id, "COMPLETED")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert (outcome.state, outcome.rows) == ("SUCCEEDED", [])
    shown = "\n".join(lines)
    assert f"rows not shown: s3://{OUT_BUCKET}/{key} is .snappy-compressed" in shown
