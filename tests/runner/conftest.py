"""Fixtures for the runner: moto in process (DynamoDB, Kinesis, S3), a project, a scripted target."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from runner_support import PROJECT, REGION, FakeTime, MakeRunner, ScriptedTarget

from kiter.aws import Aws, AwsSettings
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter.project import Project, TargetConfig, load_project
from kiter.render import Renderer
from kiter.runner import Runner


@pytest.fixture
def aws(in_process_moto: None) -> Aws:
    aws = Aws(AwsSettings(region=REGION))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    aws.client("kinesis").create_stream(StreamName="weblogs", ShardCount=2)
    return aws


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "kiter.toml").write_text(PROJECT, encoding="utf-8")
    return load_project(tmp_path / "kiter.toml", env={})


@pytest.fixture
def target() -> ScriptedTarget:
    return ScriptedTarget()


@pytest.fixture
def clock() -> FakeTime:
    """Starts at the real time (the records' arrival times are real) and moves by hand."""
    return FakeTime(time.time())


@pytest.fixture
def make_runner(aws: Aws, project: Project, target: ScriptedTarget, clock: FakeTime) -> MakeRunner:
    def make(
        env: dict[str, str] | None = None,
        lines: list[str] | None = None,
        ledger_class: type[Ledger] = Ledger,
    ) -> Runner:
        ledger = ledger_class(
            aws.client("dynamodb"),
            "MyEMRKinesisTable",
            "HashKey",
            "RangeKey",
            owner=Owner.current(),
            lease_seconds=60,
            clock=clock,
        )

        def make_target(config: TargetConfig, echo: Any) -> Any:
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
