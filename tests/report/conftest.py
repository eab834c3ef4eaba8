"""Fixtures for the report: a ledger in a fresh in-process moto on a clock the test moves, and a
project of a staged and a connector job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiter.aws import Aws, AwsSettings
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter.project import Project, load_project
from kiter_support import FakeTime
from sample_projects import WriteProject

START = 1_750_000_000.0  # 2025-06-15T15:06:40Z


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime(START, sleep_advances=False)


@pytest.fixture
def ddb(in_process_moto: None) -> Any:
    client = Aws(AwsSettings(region="us-east-1")).client("dynamodb")
    CheckpointTable(client, "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    return client


@pytest.fixture
def ledger(ddb: Any, clock: FakeTime) -> Ledger:
    return Ledger(
        ddb,
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=Owner("worker-1", 42, "run-1"),
        clock=clock,
        sleep=clock.sleep,
    )


PROJECT = """\
[aws]
region = "us-east-1"

[targets.hive]
kind = "hiveserver2"
host = "127.0.0.1"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "hive"
mode = "staged"

[jobs.conn]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "hive"

[jobs.later]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "hive"
mode = "staged"
"""


@pytest.fixture
def project_dir(write_project: WriteProject) -> Path:
    """A project of three jobs: `top` (staged), `conn` (connector), `later` (staged)."""
    return write_project(PROJECT).parent


@pytest.fixture
def project(project_dir: Path) -> Project:
    return load_project(project_dir / "kiter.toml", env={})
