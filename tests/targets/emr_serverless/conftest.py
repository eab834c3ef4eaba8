"""Fixtures for the EMR Serverless target: moto EMR Serverless per test, a HIVE application, a
job-run driver, the target on the shared remote fixtures (tests/targets/conftest.py), driver logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from sls_moto import LOG_BUCKET, REGION, ROLE, RunDriver

from kiter.targets.emr_serverless import EmrServerlessTarget

PushLogs = Callable[[str, dict[str, str]], None]


@pytest.fixture
def sls(in_process_moto: None) -> Any:
    return boto3.client("emr-serverless", region_name=REGION)


@pytest.fixture
def new_application(sls: Any) -> Callable[..., str]:
    def new(name: str = "kiter-hive", kind: str = "HIVE") -> str:
        return str(
            sls.create_application(name=name, releaseLabel="emr-7.1.0", type=kind)["applicationId"]
        )

    return new


@pytest.fixture
def application_id(new_application: Callable[..., str]) -> str:
    return new_application()


@pytest.fixture
def runs(application_id: str) -> RunDriver:
    return RunDriver(application_id)


@pytest.fixture
def make_target(
    remote_options: dict[str, Any], sls: Any, application_id: str
) -> Callable[..., EmrServerlessTarget]:
    def make(**overrides: Any) -> EmrServerlessTarget:
        kwargs = {
            **remote_options,
            "emr_serverless": sls,
            "application_id": application_id,
            "execution_role_arn": ROLE,
            "log_uri": f"s3://{LOG_BUCKET}/hive-logs/",
            **overrides,
        }
        return EmrServerlessTarget("sls-test", **kwargs)

    return make


@pytest.fixture
def push_driver_logs(put_logs: PushLogs, application_id: str) -> PushLogs:
    """Put gzipped logs where EMR Serverless does: <logUri>/applications/<app>/jobs/<run>/HIVE_DRIVER/."""

    def push(job_run_id: str, logs: dict[str, str]) -> None:
        put_logs(f"hive-logs/applications/{application_id}/jobs/{job_run_id}/HIVE_DRIVER", logs)

    return push
