"""Every test runs apart from the developer's AWS and kiter settings.

No test may reach real AWS or read a KITER_* variable that happens to be set in the shell: each
starts with fake credentials, one region, no endpoint, and none of kiter's environment settings.
Room-specific fixtures live in each test folder's conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiter_support import moto_server
from sample_projects import LIBRARY_PROJECT, WriteProject


@pytest.fixture(scope="session")
def kiter_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder of the test run's own: no engines in it, botocore's parsed models kept."""
    return tmp_path_factory.mktemp("kiter-cache")


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, kiter_cache: Path
) -> None:
    for key in list(os.environ):
        if key.startswith(("AWS_", "KITER_")):
            monkeypatch.delenv(key)
    if request.node.get_closest_marker("integration") is None:
        # Unit and functional tests start no JVM: `kiter validate` finds no local Pig engine to
        # ask (it asks Pig about every Pig job when one is installed). Nor do they write to the
        # developer's cache folder (kiter.botodata keeps parsed models there).
        monkeypatch.setenv("KITER_CACHE", str(kiter_cache))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # Nor the developer's ~/.aws files: a profile's region or keys there would change the tests.
    monkeypatch.setenv("AWS_CONFIG_FILE", os.path.join(os.sep, "nonexistent", "aws", "config"))
    monkeypatch.setenv(
        "AWS_SHARED_CREDENTIALS_FILE", os.path.join(os.sep, "nonexistent", "aws", "credentials")
    )
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_env(isolated_environment: None) -> None:
    """For fixtures that name their dependency on fake AWS settings explicitly."""


@pytest.fixture
def moto_endpoint(isolated_environment: None) -> Iterator[str]:
    """A moto server of this test's own on 127.0.0.1 (for tests that run kiter processes)."""
    with moto_server() as url:
        yield url


@pytest.fixture
def in_process_moto(isolated_environment: None) -> Iterator[None]:
    """moto's in-process mock for every AWS client this test makes."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def write_project(tmp_path: Path) -> WriteProject:
    """Write kiter.toml (and optional extra files) into a fresh folder; returns kiter.toml's path."""

    def write(text: str, files: dict[str, str] | None = None) -> Path:
        for name, content in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        path = tmp_path / "kiter.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def library_project(write_project: WriteProject) -> Path:
    return write_project(LIBRARY_PROJECT)
