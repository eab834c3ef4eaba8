"""Fixtures for the EMR steps target: moto EMR per test, a live cluster, a step driver, the
target on the shared remote fixtures (tests/targets/conftest.py), a Pig script, step logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from emr_moto import StepDriver, start_cluster

from kiter.targets.base import Script
from kiter.targets.emr import EmrTarget
from kiter_support import REGION

PushLogs = Callable[[str, dict[str, str]], None]


@pytest.fixture
def emr(in_process_moto: None) -> Any:
    return boto3.client("emr", region_name=REGION)


@pytest.fixture
def new_cluster(emr: Any) -> Callable[..., str]:
    def new(name: str, **kwargs: Any) -> str:
        return start_cluster(emr, name, **kwargs)

    return new


@pytest.fixture
def cluster_id(emr: Any) -> str:
    return start_cluster(emr, "kiter-test")


@pytest.fixture
def steps(cluster_id: str) -> StepDriver:
    return StepDriver(cluster_id)


@pytest.fixture
def make_target(
    remote_options: dict[str, Any], emr: Any, cluster_id: str
) -> Callable[..., EmrTarget]:
    def make(**overrides: Any) -> EmrTarget:
        kwargs = {**remote_options, "emr": emr, "cluster_id": cluster_id, **overrides}
        return EmrTarget("emr-test", **kwargs)

    return make


@pytest.fixture
def pig_script() -> Script:
    return Script(
        job="top_ips",
        engine="pig",
        text="raw = LOAD 'AccessLogStream' USING "
        "com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);\n",
        logical_name="ips",
        iteration=0,
        variables={"OUTPUT": "s3://out/ips/0"},
    )


@pytest.fixture
def push_logs(put_logs: PushLogs, cluster_id: str) -> PushLogs:
    """Push gzipped step logs where EMR would: <LogUri>/<cluster-id>/steps/<step-id>/<name>.gz."""

    def push(step_id: str, logs: dict[str, str]) -> None:
        put_logs(f"emr/{cluster_id}/steps/{step_id}", logs)

    return push
