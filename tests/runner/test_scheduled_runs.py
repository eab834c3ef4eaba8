"""`kiter run` over real runs: retries of the same iteration, the retry limit, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from runner_support import MakeRunner, ScriptedTarget, start_cluster

from kiter.aws import Aws
from kiter.cadence import Every
from kiter.errors import EXIT_FAILED, EXIT_OK
from kiter.project import Project
from kiter.scheduler import RetryPolicy, Scheduler
from kiter.targets.base import Outcome
from kiter_support import FakeTime


@pytest.mark.functional
def test_a_failure_is_retried_with_the_same_iteration_then_the_loop_goes_on(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    target.answers = [Outcome("FAILED", "a", cause="x"), Outcome("FAILED", "b", cause="y")]
    fake = FakeTime()
    scheduler = Scheduler(
        jobs=["connector"],
        run_one=lambda name: runner.run(project.job(name), project.targets["engine"]),
        cadence=Every(60, start=fake.now),
        iterations=3,
        retry=RetryPolicy(max_retries=3, first_backoff=10),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_OK
    numbers = [s.iteration for s in target.scripts]
    assert numbers == [0, 0, 0, 1, 2]  # never 1 before 0 succeeded
    assert [s.attempt for s in target.scripts] == [1, 2, 3, 1, 1]
    history = runner.ledger.history("conn")
    assert [(r.iteration, r.state, r.attempts) for r in history] == [
        (0, "SUCCEEDED", 3),
        (1, "SUCCEEDED", 1),
        (2, "SUCCEEDED", 1),
    ]
    assert sum(fake.slept) >= 10 + 20  # the doubling backoff was honoured


@pytest.mark.functional
def test_the_loop_stops_with_exit_1_after_the_retry_limit(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    target.answers = [Outcome("FAILED", str(i), cause="still broken") for i in range(5)]
    fake = FakeTime()
    lines: list[str] = []
    scheduler = Scheduler(
        jobs=["connector"],
        run_one=lambda name: runner.run(project.job(name), project.targets["engine"]),
        cadence=Every(60, start=fake.now),
        iterations=None,
        retry=RetryPolicy(max_retries=2, first_backoff=5),
        echo=lines.append,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_FAILED
    assert [s.iteration for s in target.scripts] == [0, 0, 0]
    assert "giving up after 2 retries of the same iteration" in lines[-1]
    record = runner.ledger.get("conn", 0)
    assert record is not None and record.state == "FAILED"


SIGTERM_PROJECT = """\
[aws]
region = "us-east-1"

[targets.emr]
kind = "emr"
cluster_id = "{cluster}"
script_prefix = "s3://scripts/kiter"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "top"
target = "emr"
"""


@pytest.mark.functional
@pytest.mark.slow
def test_sigterm_cancels_the_running_iteration_and_records_it(
    tmp_path: Path, moto_endpoint: str
) -> None:
    env, kw, kiter = _emr_project(tmp_path, moto_endpoint, SIGTERM_PROJECT, "weblogs", "scripts")
    # moto keeps the step RUNNING forever: the loop waits on it until the signal.
    proc = subprocess.Popen(
        [*kiter, "run", "top", "--every", "1m"], env=env, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    seen = ""
    assert proc.stderr is not None
    while "added step" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    assert "added step" in seen
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 143, seen + rest  # 128 + SIGTERM's number
    assert "Traceback" not in rest
    table = boto3.client("dynamodb", **kw)
    item = table.get_item(
        TableName="MyEMRKinesisTable",
        Key={"HashKey": {"S": "kiter#top"}, "RangeKey": {"S": "0000000000"}},
    )["Item"]
    assert item["state"]["S"] == "FAILED"
    assert "interrupted" in item["reason"]["S"]
    head = table.get_item(
        TableName="MyEMRKinesisTable",
        Key={"HashKey": {"S": "kiter#top"}, "RangeKey": {"S": "~head"}},
    )["Item"]
    assert "lease_token" not in head and "lease_expires" not in head  # lease released
    assert head["next_iteration"]["N"] == "0"  # iteration 0 runs again next time
    print(seen + rest)


def _emr_project(
    root: Path, url: str, project: str, stream: str, bucket: str
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """A project of EMR jobs on the moto server at `url` (its state outlives a test: a stream and
    a bucket of the test's own), its table created: (env, client kwargs, the kiter command)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KITER_"))} | {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "KITER_AWS_ENDPOINT_URL": url,
    }
    kw = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    boto3.client("kinesis", **kw).create_stream(StreamName=stream, ShardCount=1)
    boto3.client("s3", **kw).create_bucket(Bucket=bucket)
    cluster = start_cluster(boto3.client("emr", **kw))
    text = project.format(cluster=cluster).replace("s3://scripts/", f"s3://{bucket}/")
    (root / "kiter.toml").write_text(text)
    kiter = [sys.executable, "-m", "kiter", "-C", str(root)]
    subprocess.run(
        [*kiter, "metastore", "create", "--on-demand"], env=env, check=True, capture_output=True
    )
    return env, kw, kiter


TWO_JOBS = (
    SIGTERM_PROJECT
    + """
[jobs.other]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs2"
logical_name = "other"
target = "emr"
"""
)


@pytest.mark.functional
@pytest.mark.slow
def test_two_jobs_run_side_by_side_and_sigterm_stops_both_the_documented_way(
    tmp_path: Path, moto_endpoint: str
) -> None:
    env, kw, kiter = _emr_project(tmp_path, moto_endpoint, TWO_JOBS, "weblogs2", "scripts2")
    # moto keeps steps RUNNING forever: both jobs wait on theirs at once, until the signal.
    proc = subprocess.Popen(
        [*kiter, "run", "top", "other", "--every", "1m"], env=env, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    seen = ""
    assert proc.stderr is not None
    while seen.count("added step") < 2 and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    assert "top: added step" in seen and "other: added step" in seen, seen
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 143, seen + rest  # SIGTERM
    assert "Traceback" not in rest
    table = boto3.client("dynamodb", **kw)
    for logical in ("top", "other"):
        item = table.get_item(
            TableName="MyEMRKinesisTable",
            Key={"HashKey": {"S": f"kiter#{logical}"}, "RangeKey": {"S": "0000000000"}},
        )["Item"]
        assert (item["state"]["S"], "interrupted" in item["reason"]["S"]) == ("FAILED", True)
        head = table.get_item(
            TableName="MyEMRKinesisTable",
            Key={"HashKey": {"S": f"kiter#{logical}"}, "RangeKey": {"S": "~head"}},
        )["Item"]
        assert "lease_token" not in head  # released
