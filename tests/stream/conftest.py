"""Fixtures for the stream reader and staging tests: fake AWS credentials, moto clients, a fake
clock, and a kinesalite server for the integration tier (started once per session on a free port)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
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
def kinesalite_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A kinesalite server on 127.0.0.1 for the whole session (integration tests only)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (KINESALITE_DIR / "node_modules" / "kinesalite").is_dir():
        pytest.skip("kinesalite is not installed: npm ci --prefix tests/kinesalite")
    port = _free_port()
    log = tmp_path_factory.mktemp("kinesalite") / "server.log"
    with log.open("w", encoding="utf-8") as out:  # never a pipe nobody reads: it would fill
        proc = subprocess.Popen(
            [node, str(KINESALITE_DIR / "server.js"), str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 30
        while "listening" not in log.read_text(encoding="utf-8"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"kinesalite did not start: {log.read_text(encoding='utf-8')}")
            time.sleep(0.05)
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
