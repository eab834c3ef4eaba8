"""A real kiter process stopped past its lease (SIGSTOP) and resumed (SIGCONT) with an EMR target
on a moto server: the attempt that took over follows its step, and nothing runs twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.aws import Aws, AwsSettings
from kiter.metastore.table import CheckpointTable
from kiter_support import kiter_process, paused_holders, start_cluster

pytestmark = [pytest.mark.functional, pytest.mark.slow]

LEASE = 10


def _project(root: Path, endpoint: str, cluster: str) -> Path:
    (root / "kiter.toml").write_text(
        f'[aws]\nregion = "us-east-1"\nendpoint_url = "{endpoint}"\n'
        f"[metastore]\nlease_seconds = {LEASE}\n"
        f'[targets.emr]\nkind = "emr"\ncluster_id = "{cluster}"\n'
        'script_prefix = "s3://scripts/kiter"\npoll_seconds = [0.5, 1]\nlog_wait_seconds = 0\n'
        '[jobs.conn]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "weblogs"\n'
        'target = "emr"\n',
        encoding="utf-8",
    )
    return root


def _kiter(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiter", "-C", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError("condition never held")


def test_a_process_paused_past_its_lease_never_runs_the_iteration_twice(
    moto_endpoint: str, tmp_path: Path
) -> None:
    endpoint = moto_endpoint
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.emr.models import emr_backends

    aws = Aws(AwsSettings(region="us-east-1", endpoint_url=endpoint))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    aws.client("s3").create_bucket(Bucket="scripts")
    emr = boto3.client("emr", region_name="us-east-1", endpoint_url=endpoint)
    cluster = start_cluster(emr)
    root = _project(tmp_path, endpoint, cluster)
    ddb = aws.client("dynamodb")

    def item() -> dict[str, Any]:
        found = ddb.get_item(
            TableName="MyEMRKinesisTable",
            Key={"HashKey": {"S": "kiter#conn"}, "RangeKey": {"S": f"{0:010d}"}},
            ConsistentRead=True,
        ).get("Item", {})
        return {k: next(iter(v.values())) for k, v in found.items()}

    first = _kiter(root, "submit", "conn")
    step = _until(lambda: item().get("submission_id", "").startswith("s-") and item())
    step_id = step["submission_id"]
    os.kill(first.pid, signal.SIGSTOP)
    try:
        time.sleep(LEASE + 1.5)  # the lease runs out while the first process cannot renew it
        second = _kiter(root, "submit", "conn")
        _until(lambda: item().get("attempts") == "2" and item().get("state") == "RUNNING")
        assert item()["submission_id"] == step_id  # attempt 2 follows the step, adds none
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, first_err = first.communicate(timeout=30)
    assert first.returncode == 3, first_err
    assert f"attempt 2 follows {step_id}: left it running" in first_err
    assert item()["state"] == "RUNNING"  # the first process recorded nothing

    cluster_steps = emr_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].clusters[cluster].steps
    cluster_steps[0].state = "COMPLETED"
    _, second_err = second.communicate(timeout=30)
    assert second.returncode == 0, second_err
    assert len(emr.list_steps(ClusterId=cluster)["Steps"]) == 1
    final = item()
    assert (final["state"], final["attempts"]) == ("SUCCEEDED", "2")
    assert json.dumps(final).count(step_id) >= 1


CONNECTOR_POINTS = ("after-claim", "after-render", "after-upload", "before-start")
STAGED_POINTS = (
    "after-claim",
    "after-read",
    "after-stage",
    "after-render",
    "after-upload",
    "before-start",
)
POINTS = {"connector": CONNECTOR_POINTS, "staged": STAGED_POINTS}


def _phase_project(root: Path, endpoint: str, cluster: str, stream: str) -> Path:
    """One job per pause point: connector jobs, and staged jobs on s3:// staging."""
    text = (
        f'[aws]\nregion = "us-east-1"\nendpoint_url = "{endpoint}"\n'
        f"[metastore]\nlease_seconds = {LEASE}\n"
        '[staging]\nlocation = "s3://staging/kiter"\n'
        f'[targets.emr]\nkind = "emr"\ncluster_id = "{cluster}"\n'
        'script_prefix = "s3://scripts/kiter"\npoll_seconds = [0.5, 1]\nlog_wait_seconds = 0\n'
    )
    for mode, points in POINTS.items():
        for point in points:
            text += (
                f'[jobs.{_job(mode, point)}]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\n'
                f'stream = "{stream}"\ntarget = "emr"\nmode = "{mode}"\n'
            )
    (root / "kiter.toml").write_text(text, encoding="utf-8")
    return root


def _job(mode: str, point: str) -> str:
    return f"{mode}_{point.replace('-', '_')}"


@pytest.mark.parametrize("mode", ["connector", "staged"])
def test_a_holder_paused_past_its_lease_at_any_phase_starts_no_step(
    moto_endpoint: str, tmp_path: Path, mode: str
) -> None:
    aws = Aws(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    for bucket in ("scripts", "staging"):
        aws.client("s3").create_bucket(Bucket=bucket)
    kinesis = aws.client("kinesis")
    stream = f"weblogs-{mode}"  # the moto server's state outlives a test
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    for i in range(20):
        kinesis.put_record(StreamName=stream, Data=f"line {i}".encode(), PartitionKey=str(i))
    emr = aws.client("emr")
    cluster = start_cluster(emr)
    root = _phase_project(tmp_path, moto_endpoint, cluster, stream)
    points = POINTS[mode]
    if mode == "staged":
        # Each iteration staged once: the paused holder's read is a rerun of exact boundaries,
        # which writes nothing to the ledger before the script starts.
        for point in points:
            staged = kiter_process(root, "stage", _job(mode, point))
            assert staged.returncode == 0, staged.stderr

    results = paused_holders(
        root,
        {point: ["submit", _job(mode, point)] for point in points},
        lease=LEASE,
        take_over=lambda point: kiter_process(root, "submit", _job(mode, point), "--no-wait"),
    )

    steps = [s["Name"] for s in emr.list_steps(ClusterId=cluster)["Steps"]]
    wrong = {}
    for point, (paused, second) in results.items():
        job = _job(mode, point)
        started = [name for name in steps if name.startswith(f"kiter:{job}:")]
        attempt = 2 if mode == "connector" else 3  # staged: `kiter stage` was attempt 1
        seen = (started, paused.returncode, second.returncode)
        if seen != ([f"kiter:{job}:{job}:0:{attempt}"], 3, 0) or not _lost_line(paused.stderr):
            wrong[point] = (*seen, paused.stderr.strip().splitlines()[-1:])
    assert wrong == {}


def _lost_line(stderr: str) -> bool:
    last = stderr.strip().splitlines()[-1]
    return (
        last.startswith("kiter: error: lost the lease on iteration 0") and "started nothing" in last
    )
