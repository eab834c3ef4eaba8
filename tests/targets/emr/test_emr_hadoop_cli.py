"""Streaming and jar jobs on an EMR steps target through the CLI, on moto in process: `kiter
submit` exactly once per iteration, `kiter logs` of a failed step, `kiter render` and `validate`."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import boto3
import emr_logsamples as samples
import pytest
from emr_hadoop_project import JOBS, OUT_BUCKET, write_job_files
from emr_moto import LOG_BUCKET, REGION, SCRIPT_BUCKET, StepDriver, start_cluster

from sample_projects import run

pytestmark = pytest.mark.functional

PROJECT = f"""\
[staging]
location = "s3://kiter-staging/iterations"

[targets.emr]
kind = "emr"
cluster_id = "CLUSTER"
script_prefix = "s3://{SCRIPT_BUCKET}/kiter"
{JOBS}"""


@pytest.fixture
def emr(in_process_moto: None) -> Any:
    return boto3.client("emr", region_name=REGION)


@pytest.fixture
def cluster(emr: Any) -> str:
    return start_cluster(emr, "kiter-hadoop")


@pytest.fixture
def root(tmp_path: Path, cluster: str, capsys: pytest.CaptureFixture[str]) -> str:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("kiter-staging", OUT_BUCKET, SCRIPT_BUCKET, LOG_BUCKET):
        s3.create_bucket(Bucket=bucket)
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="AccessLogStream", ShardCount=1)
    kinesis.put_record(StreamName="AccessLogStream", Data=b"GET / 404", PartitionKey="k")
    (tmp_path / "kiter.toml").write_text(PROJECT.replace("CLUSTER", cluster), encoding="utf-8")
    write_job_files(tmp_path)
    code, _, err = run(["-C", str(tmp_path), "metastore", "create", "--on-demand"], capsys)
    assert code == 0, err
    return str(tmp_path)


def args_of(emr: Any, cluster: str, step_id: str) -> list[str]:
    return list(emr.describe_step(ClusterId=cluster, StepId=step_id)["Step"]["Config"]["Args"])


@pytest.mark.parametrize("job", ["status", "words", "cascading"])
def test_a_job_submitted_twice_for_one_iteration_adds_one_step_carrying_the_iteration(
    root: str, emr: Any, cluster: str, job: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        code, _, err = run(["-C", root, "submit", job, "--no-wait"], capsys)
        assert code == 0, err

    (step,) = emr.list_steps(ClusterId=cluster)["Steps"]
    assert step["Name"] == f"kiter:{job}:{job}:0:1"
    assert "following " + step["Id"] in err
    args = args_of(emr, cluster, step["Id"])
    assert args[args.index("kinesis.checkpoint.iteration.no=0") - 1] == "-D"
    assert f"s3://kiter-staging/iterations/{job}/iteration=0" in args
    if job == "status":
        shipped = f"s3://{SCRIPT_BUCKET}/kiter/status/0/1/files/streaming/status_mapper.py"
        assert args[args.index("-files") + 1].split(",")[0] == shipped


def test_kiter_logs_explains_a_failed_streaming_step_by_the_mappers_traceback(
    root: str, emr: Any, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["-C", root, "submit", "status", "--no-wait"], capsys)
    assert code == 0, err
    (step,) = emr.list_steps(ClusterId=cluster)["Steps"]
    StepDriver(cluster).set_state(step["Id"], "FAILED")
    s3 = boto3.client("s3", region_name=REGION)
    logs = f"emr/{cluster}"
    container = f"{logs}/containers/{samples.APPLICATION}/container_1714557600000_0003_01_000002"
    for key, text in (
        (f"{logs}/steps/{step['Id']}/syslog.gz", samples.STREAMING_STEP_SYSLOG),
        (f"{container}/stderr.gz", samples.MAPPER_TASK_STDERR),
    ):
        s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=gzip.compress(text.encode()))

    code, out, err = run(["-C", root, "logs", "status", "-i", "0"], capsys)

    assert code == 0, err
    assert f"step {step['Id']} (kiter:status:status:0:1) FAILED" in out
    assert (
        "  streaming/status_mapper.py:12: ValueError: invalid literal for int() with base 10: '-'"
        in out.splitlines()
    )
    assert f"  whole log: s3://{LOG_BUCKET}/{container}/stderr.gz" in out.splitlines()


@pytest.mark.parametrize("job", ["status", "words", "cascading"])
def test_render_and_validate_keep_working_for_these_jobs_on_emr(
    root: str, job: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["-C", root, "render", job, "-i", "3"], capsys)
    assert code == 0, err
    assert "kinesis.checkpoint.iteration.no=3" in out

    code, out, err = run(["-C", root, "validate", job], capsys)
    assert code == 0, out + err


def test_a_jar_job_whose_args_set_the_iteration_itself_is_refused_before_any_claim_or_upload(
    root: str, emr: Any, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = Path(root) / "kiter.toml"
    owned = '"-D", "kinesis.checkpoint.iteration.no=7", "{{ input }}"'
    text = toml.read_text(encoding="utf-8").replace('"{{ input }}"', owned, 1)
    assert owned in text
    toml.write_text(text, encoding="utf-8")

    code, _, err = run(["-C", root, "submit", "words", "--no-wait"], capsys)

    assert code == 2
    line = next(n for n, text in enumerate(toml.read_text().splitlines(), 1) if owned in text)
    assert err.splitlines()[-1] == (
        f"kiter: error: {toml}:{line}: jobs.words.args sets kinesis.checkpoint.iteration.no: kiter "
        "owns it (it passes the iteration's checkpoint settings as -D options itself); remove it "
        "from args"
    )
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for table in dynamodb.list_tables()["TableNames"]:  # no iteration claimed, none spent
        assert dynamodb.scan(TableName=table)["Items"] == []
    assert emr.list_steps(ClusterId=cluster)["Steps"] == []
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=SCRIPT_BUCKET)
    assert "Contents" not in listed


def test_a_job_whose_output_another_job_writes_is_refused_before_anything_is_read_or_spent(
    root: str, emr: Any, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = Path(root) / "kiter.toml"
    theirs = 'output = "s3://kiter-out/words/{{ iteration }}"'
    # The same folder as Hadoop reads it: the repeated slash and the `.` resolve away.
    ours = 'output = "s3://kiter-out//words/./{{ iteration }}/"'
    text = toml.read_text(encoding="utf-8")
    assert theirs in text
    toml.write_text(
        text.replace('output = "s3://kiter-out/error-types/', 'output = "s3://x/'), "utf-8"
    )
    text = toml.read_text(encoding="utf-8").replace(
        'output = "s3://kiter-out/status/iteration={{ iteration }}"', ours
    )
    toml.write_text(text, encoding="utf-8")

    code, _, err = run(["-C", root, "submit", "status", "--no-wait"], capsys)

    assert code == 2
    assert (
        "jobs.status.output for iteration 0 is s3://kiter-out//words/./0/, and jobs.words's is"
        in (err)
    )
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for table in dynamodb.list_tables()["TableNames"]:  # the claim was given back, unspent
        items = dynamodb.scan(TableName=table)["Items"]
        assert all(item.get("status", {}).get("S") != "FAILED" for item in items), items
        assert all(int(item.get("attempts", {}).get("N", "0")) == 0 for item in items), items
    s3 = boto3.client("s3", region_name=REGION)
    assert "Contents" not in s3.list_objects_v2(Bucket="kiter-staging")  # nothing read or staged
    assert emr.list_steps(ClusterId=cluster)["Steps"] == []
