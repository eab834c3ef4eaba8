"""A reader process killed with SIGKILL mid-read leaves no visible partition, and reading again
afterwards stages exactly what an uninterrupted read does."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from stream_helpers import put_many, read_partition, stage_iteration

from kiter.stream.staging import open_staging

pytestmark = [pytest.mark.functional, pytest.mark.slow]

CHILD = Path(__file__).with_name("reader_child.py")


def _wait_for_partial_file(table: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for tmp in table.glob("_tmp-iteration=0-*"):
            if any(f.stat().st_size > 0 for f in tmp.iterdir()):
                return
        time.sleep(0.02)
    raise TimeoutError("the child never started writing")


def test_killed_reader_leaves_no_partition_and_a_reread_matches_an_uninterrupted_read(
    moto_endpoint: str, tmp_path: Path
):
    client: Any = boto3.client("kinesis", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_stream(StreamName="big", ShardCount=2)
    put_many(client, "big", [f"record-{i:05d}-{'x' * 100}".encode() for i in range(3000)])

    killed_url = f"file://{tmp_path / 'killed'}"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), moto_endpoint, "big", killed_url, "big", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_partial_file(tmp_path / "killed" / "big")
        child.send_signal(signal.SIGKILL)
        out, _err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert "committed" not in out
    visible = [p for p in (tmp_path / "killed" / "big").iterdir() if not p.name.startswith("_")]
    assert visible == []

    killed = open_staging(killed_url)
    clean = open_staging(f"file://{tmp_path / 'clean'}")
    for staging in (killed, clean):
        result = stage_iteration(
            client, staging, "big", logical="big", iteration=0, previous=None, fmt="jsonl"
        )
        assert result.total_records == 3000
    reread = read_partition(tmp_path / "killed" / "big" / "iteration=0")
    assert reread == read_partition(tmp_path / "clean" / "big" / "iteration=0")
    assert sorted(p.name for p in (tmp_path / "killed" / "big").iterdir()) == ["iteration=0"]
