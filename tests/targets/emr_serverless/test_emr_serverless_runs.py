"""Iterations on EMR Serverless end to end: runner, ledger, staging on S3 and the target, on moto
in process. Each iteration starts at most one job run, whatever fails."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sls_moto import (
    HIVE_DRIVER_STDERR,
    LOG_BUCKET,
    REGION,
    ROLE,
    SCRIPT_BUCKET,
    FakeTime,
    RunDriver,
)

from kiter.aws import Aws, AwsSettings
from kiter.errors import Interrupted, JobFailed
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter.project import Project, load_project
from kiter.render import Renderer
from kiter.runner import Runner, RunOptions
from kiter.targets.base import Script
from kiter.targets.emr_serverless import EmrServerlessTarget

pytestmark = pytest.mark.functional

LINES = [
    f'10.0.0.{i} - - [01/May/2024:10:00:0{i} +0000] "GET /x HTTP/1.1" 500 12' for i in range(9)
]


@pytest.fixture
def aws(s3: Any) -> Aws:
    aws = Aws(AwsSettings(region=REGION))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    aws.client("kinesis").create_stream(StreamName="weblogs", ShardCount=2)
    aws.client("s3").create_bucket(Bucket="staging")
    return aws


@pytest.fixture
def project(tmp_path: Path, application_id: str) -> Project:
    (tmp_path / "kiter.toml").write_text(
        '[aws]\nregion = "us-east-1"\n'
        '[staging]\nlocation = "s3://staging/kiter"\n'
        f'[targets.sls]\nkind = "emr-serverless"\napplication_id = "{application_id}"\n'
        f'execution_role_arn = "{ROLE}"\nscript_prefix = "s3://{SCRIPT_BUCKET}/kiter"\n'
        f'log_uri = "s3://{LOG_BUCKET}/hive-logs"\n'
        '[jobs.top]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "weblogs"\n'
        'target = "sls"\nmode = "staged"\n',
        encoding="utf-8",
    )
    return load_project(tmp_path / "kiter.toml", env={})


@pytest.fixture
def clock() -> FakeTime:
    import time

    return FakeTime(time.time())


@pytest.fixture
def ledger(aws: Aws, clock: FakeTime) -> Ledger:
    return Ledger(
        aws.client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=Owner.current(),
        lease_seconds=60,
        clock=clock,
    )


@pytest.fixture
def target(aws: Aws, sls: Any, application_id: str, fake_time: FakeTime) -> EmrServerlessTarget:
    return EmrServerlessTarget(
        "sls",
        s3=aws.client("s3"),
        emr_serverless=sls,
        application_id=application_id,
        execution_role_arn=ROLE,
        script_prefix=f"s3://{SCRIPT_BUCKET}/kiter",
        log_uri=f"s3://{LOG_BUCKET}/hive-logs",
        log_wait_seconds=60,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    )


@pytest.fixture
def runner(
    aws: Aws, project: Project, ledger: Ledger, target: EmrServerlessTarget, clock: FakeTime
) -> Runner:
    return Runner(
        project,
        aws=aws,
        renderer=Renderer(project),
        ledger=ledger,
        make_target=lambda _config, _echo: target,
        clock=clock,
        env={},
    )


def put(aws: Aws, lines: list[str]) -> None:
    kinesis = aws.client("kinesis")
    for i, line in enumerate(lines):
        kinesis.put_record(StreamName="weblogs", Data=line.encode(), PartitionKey=f"key-{i}")


def on_start(sls: Any, then: Callable[[str], None]) -> None:
    """Call `then(job_run_id)` as soon as EMR Serverless accepted a run (moto makes it SUCCESS)."""
    sls.meta.events.register(
        "after-call.emr-serverless.StartJobRun",
        lambda parsed, **_kw: then(parsed["jobRunId"]),
    )


def test_a_staged_iteration_reads_s3_staging_and_succeeds_with_one_job_run(
    aws: Aws, runner: Runner, project: Project, sls: Any, application_id: str, runs: RunDriver
) -> None:
    put(aws, LINES)

    result = runner.run(project.job("top"), project.targets["sls"])

    assert result.outcome.state == "SUCCEEDED" and result.read is not None
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="staging")["Contents"]]
    assert keys and all(k.startswith("kiter/top/iteration=0/") for k in keys)
    staged = b"".join(s3.get_object(Bucket="staging", Key=k)["Body"].read() for k in keys)
    assert sorted(staged.decode().splitlines()) == sorted(LINES)
    [run] = runs.runs()
    assert run.job_driver["hive"]["query"] == f"s3://{SCRIPT_BUCKET}/kiter/top/0/1/top.hql"
    script = s3.get_object(Bucket=SCRIPT_BUCKET, Key="kiter/top/0/1/top.hql")["Body"].read()
    assert "LOCATION 's3://staging/kiter/top/iteration=0';" in script.decode()
    assert "STORED BY" not in script.decode()
    record = runner.ledger.get("top", 0)
    assert record is not None and record.state == "SUCCEEDED"
    assert record.stats["submission_id"] == f"emr-serverless:{application_id}/{run.id}"


def test_a_crash_after_the_start_is_followed_by_the_next_submit_which_starts_nothing(
    runner: Runner,
    project: Project,
    ledger: Ledger,
    target: EmrServerlessTarget,
    runs: RunDriver,
    clock: FakeTime,
    fake_time: FakeTime,
) -> None:
    # What the crashed process did: claim iteration 0, start its run, die before recording it.
    claim = ledger.claim("top", None, target="sls")
    script = Script(job="top", engine="hive", text="SELECT 1;\n", logical_name="top", iteration=0)
    handle = target.start(script)
    runs.set_state(handle.id.rsplit("/", 1)[1], "RUNNING")
    clock.advance(120)  # its lease runs out
    fake_time.hooks[1] = lambda: runs.set_state(handle.id.rsplit("/", 1)[1], "SUCCESS")

    result = runner.run(project.job("top"), project.targets["sls"])

    assert (result.iteration, result.attempt) == (claim.iteration, 2)
    assert (result.outcome.state, result.outcome.submission_id) == ("SUCCEEDED", handle.id)
    assert len(runs.runs()) == 1  # followed, not started again


def test_a_no_wait_submission_is_followed_to_its_end_by_the_next_submit(
    runner: Runner, project: Project, sls: Any, runs: RunDriver
) -> None:
    on_start(sls, lambda run_id: runs.set_state(run_id, "QUEUED"))
    job, target = project.job("top"), project.targets["sls"]

    first = runner.run(job, target, RunOptions(wait=False))

    assert first.outcome.state == "SUBMITTED"
    record = runner.ledger.get("top", 0)
    assert record is not None and (record.state, record.submission_id) == (
        "RUNNING",
        first.outcome.submission_id,
    )
    [run] = runs.runs()
    run.state = "SUCCESS"
    second = runner.run(job, target)
    assert (second.iteration, second.outcome.state) == (0, "SUCCEEDED")
    assert second.outcome.submission_id == first.outcome.submission_id
    assert len(runs.runs()) == 1


def test_a_failed_run_is_recorded_failed_with_its_cause_and_the_rerun_gets_a_new_token(
    aws: Aws, runner: Runner, project: Project, sls: Any, application_id: str, runs: RunDriver
) -> None:
    def fail(run_id: str) -> None:
        runs.set_state(run_id, "FAILED", details="Job failed. ExitCode: 2.")
        aws.client("s3").put_object(
            Bucket=LOG_BUCKET,
            Key=f"hive-logs/applications/{application_id}/jobs/{run_id}/HIVE_DRIVER/stderr.gz",
            Body=gzip.compress(HIVE_DRIVER_STDERR.encode()),
        )

    on_start(sls, fail)
    job, target = project.job("top"), project.targets["sls"]

    with pytest.raises(JobFailed, match=r"Table not found 'staged_weblogs'"):
        runner.run(job, target)

    record = runner.ledger.get("top", 0)
    assert record is not None and record.state == "FAILED"
    assert "stateDetails: Job failed. ExitCode: 2." in record.reason
    tokens = {r.client_token for r in runs.runs()}
    with pytest.raises(JobFailed, match="iteration 0 of top failed"):
        runner.run(job, target)
    assert len(runs.runs()) == 2  # one run per attempt
    assert len({r.client_token for r in runs.runs()} - tokens) == 1


def test_an_interrupt_cancels_the_run_and_records_the_iteration_failed(
    runner: Runner, project: Project, sls: Any, runs: RunDriver, fake_time: FakeTime
) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    on_start(sls, lambda run_id: runs.set_state(run_id, "RUNNING"))
    fake_time.hooks[1] = interrupt

    with pytest.raises(Interrupted, match="asked EMR Serverless to cancel it"):
        runner.run(project.job("top"), project.targets["sls"])

    [run] = runs.runs()
    assert run.state == "CANCELLED"
    record = runner.ledger.get("top", 0)
    assert record is not None and record.state == "FAILED"
    assert record.reason.startswith("interrupted: ")
    assert runner.ledger.lease("top") is None
