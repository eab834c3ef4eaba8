"""Fixtures for the runner: moto in process (DynamoDB, Kinesis, S3), a project, a scripted target."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from kiter.aws import Aws, AwsSettings
from kiter.errors import Interrupted
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter.project import Project, TargetConfig, load_project
from kiter.render import Renderer
from kiter.runner import Runner
from kiter.targets.base import Outcome, Script

REGION = "us-east-1"
PROJECT = """\
[aws]
region = "us-east-1"

[staging]
location = "staging"

[targets.engine]
kind = "hiveserver2"
host = "127.0.0.1"

[targets.emr]
kind = "emr"
cluster_id = "j-1"
script_prefix = "s3://scripts/kiter"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "top"
target = "engine"
mode = "staged"

[jobs.connector]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "conn"
target = "engine"

[jobs.pig]
engine = "pig"
template = "top_errors.pig.j2"
stream = "weblogs"
target = "engine"
vars = { output = "s3://out/top" }
"""


@dataclass
class ScriptedTarget:
    """A target that records what it is given and answers from a script of outcomes."""

    name: str = "engine"
    kind: str = "hiveserver2"
    answers: list[Outcome | BaseException] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)

    def submit(self, script: Script, *, wait: bool = True) -> Outcome:
        self.scripts.append(script)
        answer = self.answers.pop(0) if self.answers else Outcome("SUCCEEDED", "hs2:test")
        if isinstance(answer, KeyboardInterrupt):
            raise Interrupted("cancelled statement 3 on test")
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        aws = Aws(AwsSettings(region=REGION))
        CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
            on_demand=True, read=0, write=0, progress=lambda _: None
        )
        aws.client("kinesis").create_stream(StreamName="weblogs", ShardCount=2)
        yield aws


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "kiter.toml").write_text(PROJECT, encoding="utf-8")
    return load_project(tmp_path / "kiter.toml", env={})


@pytest.fixture
def target() -> ScriptedTarget:
    return ScriptedTarget()


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


MakeRunner = Callable[..., Runner]


@pytest.fixture
def make_runner(aws: Aws, project: Project, target: ScriptedTarget, clock: Clock) -> MakeRunner:
    def make(env: dict[str, str] | None = None, lines: list[str] | None = None) -> Runner:
        ledger = Ledger(
            aws.client("dynamodb"),
            "MyEMRKinesisTable",
            "HashKey",
            "RangeKey",
            owner=Owner.current(),
            lease_seconds=60,
            clock=clock,
        )

        def make_target(config: TargetConfig) -> Any:
            return target

        return Runner(
            project,
            aws=aws,
            renderer=Renderer(project),
            ledger=ledger,
            make_target=make_target,
            echo=(lines.append if lines is not None else lambda _: None),
            clock=clock,
            env=env or {},
        )

    return make


def put(aws: Aws, lines: list[str]) -> None:
    """Put web-log lines spread over the stream's shards."""
    kinesis = aws.client("kinesis")
    for i, line in enumerate(lines):
        kinesis.put_record(StreamName="weblogs", Data=line.encode(), PartitionKey=f"key-{i}")
