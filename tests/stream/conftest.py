"""Fixtures for the stream reader and staging tests: fake AWS credentials, moto clients, a fake
clock, and a kinesalite server for the integration tier (started once per session on a free port)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from stream_helpers import FakeTime

REPO = Path(__file__).resolve().parents[2]
KINESALITE_DIR = REPO / "tests" / "kinesalite"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def kinesis(in_process_moto: None) -> Any:
    return boto3.client("kinesis", region_name="us-east-1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def kinesalite_endpoint() -> Iterator[str]:
    """A kinesalite server on 127.0.0.1 for the whole session (integration tests only)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (KINESALITE_DIR / "node_modules" / "kinesalite").is_dir():
        pytest.skip("kinesalite is not installed: npm ci --prefix tests/kinesalite")
    port = _free_port()
    proc = subprocess.Popen(
        [node, str(KINESALITE_DIR / "server.js"), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("listening"):
            raise RuntimeError(f"kinesalite did not start: {line}{proc.stdout.read()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def kinesalite(kinesalite_endpoint: str) -> Any:
    """A client of the session's kinesalite (streams are per test: name them uniquely)."""
    return boto3.client(
        "kinesis",
        endpoint_url=kinesalite_endpoint,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )
