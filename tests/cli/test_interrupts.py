"""Ctrl-C and SIGTERM at the end of an iteration, on real kiter processes (EMR on a moto server).

Each process is stopped (SIGSTOP, `KITER_PAUSE_AT=before-record`) once its step COMPLETED and
before the outcome is written, with Ctrl-C and SIGTERM held off; the signal is sent then, and the
process resumed: the outcome is written, the signal taken, and what was recorded is said.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import emr_backends

from kiter.aws import Aws, AwsSettings
from kiter.metastore.table import CheckpointTable
from kiter_support import start_cluster, stopped

pytestmark = [pytest.mark.functional, pytest.mark.slow]


@pytest.fixture
def project(tmp_path: Path, moto_endpoint: str) -> tuple[Path, str]:
    """A connector job on an EMR cluster of the moto server; returns its folder and cluster."""
    # The server's backends are this process's, shared by every test: start from nothing.
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    aws = Aws(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    aws.client("s3").create_bucket(Bucket="scripts")
    aws.client("kinesis").create_stream(StreamName="weblogs", ShardCount=1)
    cluster = start_cluster(aws.client("emr"))
    (tmp_path / "kiter.toml").write_text(
        f'[aws]\nregion = "us-east-1"\nendpoint_url = "{moto_endpoint}"\n'
        f'[targets.emr]\nkind = "emr"\ncluster_id = "{cluster}"\n'
        'script_prefix = "s3://scripts/kiter"\npoll_seconds = [0.2, 0.5]\n'
        '[jobs.conn]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "weblogs"\n'
        'target = "emr"\n',
        encoding="utf-8",
    )
    return tmp_path, cluster


def signalled_while_recording(
    root: Path, cluster: str, signum: int, *args: str
) -> subprocess.CompletedProcess[str]:
    """`kiter ARGS`, its step COMPLETED, stopped before it records that, sent `signum`, resumed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kiter", "-C", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"KITER_PAUSE_AT": "before-record"},
    )
    try:
        steps = emr_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].clusters[cluster].steps
        deadline = time.monotonic() + 60
        while not stopped(process.pid):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "never reached before-record"
            for step in steps:
                step.state = "COMPLETED"  # moto would leave it RUNNING
            time.sleep(0.1)
        os.kill(process.pid, signum)  # pending: the process holds signals off while recording
    finally:
        os.kill(process.pid, signal.SIGCONT)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def recorded_state(endpoint: str, iteration: int = 0) -> str:
    item = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint).get_item(
        TableName="MyEMRKinesisTable",
        Key={"HashKey": {"S": "kiter#conn"}, "RangeKey": {"S": f"{iteration:010d}"}},
        ConsistentRead=True,
    )["Item"]
    return str(item["state"]["S"])


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_submit_stopped_as_it_records_a_success_prints_the_summary_then_what_was_recorded(
    project: tuple[Path, str], moto_endpoint: str, signum: int, code: int
) -> None:
    root, cluster = project

    done = signalled_while_recording(root, cluster, signum, "submit", "conn")

    assert done.returncode == code, done.stderr
    last = done.stderr.splitlines()[-2:]
    assert last[0].startswith("iteration 0 of conn, attempt 1, SUCCEEDED, ")
    assert last[1] == (
        "kiter: interrupted: iteration 0 of conn was recorded SUCCEEDED before the signal was "
        "handled"
    )
    assert "Traceback" not in done.stderr
    assert recorded_state(moto_endpoint) == "SUCCEEDED", done.stderr


def test_run_stopped_by_sigterm_as_it_records_a_success_says_so_and_exits_143(
    project: tuple[Path, str], moto_endpoint: str
) -> None:
    root, cluster = project

    done = signalled_while_recording(root, cluster, signal.SIGTERM, "run", "conn", "--every", "1h")

    assert done.returncode == 143, done.stderr
    # kiter run's lines start with their UTC time (2026-12-04 21:49:44Z ...).
    last = [
        re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ ", "", line)
        for line in done.stderr.splitlines()[-2:]
    ]
    assert last[0].startswith("conn: iteration 0 of conn, attempt 1, SUCCEEDED, ")
    assert last[1].startswith("kiter: interrupted: iteration 0 of conn was recorded SUCCEEDED")
    assert recorded_state(moto_endpoint) == "SUCCEEDED"
