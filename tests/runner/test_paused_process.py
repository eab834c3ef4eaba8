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
from kiter_support import start_cluster

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
