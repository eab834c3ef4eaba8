"""Every test runs apart from the developer's AWS and kiter settings.

No test may reach real AWS or read a KITER_* variable that happens to be set in the shell: each
starts with fake credentials, one region, no endpoint, and none of kiter's environment settings.
Room-specific fixtures live in each test folder's conftest.py.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("AWS_", "KITER_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_env(isolated_environment: None) -> None:
    """For fixtures that name their dependency on fake AWS settings explicitly."""
