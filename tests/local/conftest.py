"""Fixtures for the local stack's tests: fake AWS credentials, a project folder, fake Java and Spark.

Every stack a test starts is stopped by the fixture that made its folder, pass or fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiter.local.stack import LocalStack

MakeStack = Callable[..., LocalStack]


def make_table(ddb: Any, name: str = "t", *, stream: bool = False) -> None:
    """A table keyed h (hash) and r (range), both strings, in moto (the relief tests' table)."""
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "h", "KeyType": "HASH"},
            {"AttributeName": "r", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "h", "AttributeType": "S"},
            {"AttributeName": "r", "AttributeType": "S"},
        ],
        **(
            {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}
            if stream
            else {}
        ),
    )


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    """A folder with a minimal kiter.toml; its stack lives in .kiter/local."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "kiter.toml").write_text("[local]\nmoto_port = 0\nhiveserver2_port = 0\n")
    return root


@pytest.fixture
def make_stack(project_root: Path) -> Iterator[MakeStack]:
    """Build LocalStacks on the project's folder; whatever they started is stopped afterwards."""
    folder = project_root / ".kiter" / "local"

    def make(**kwargs: object) -> LocalStack:
        return LocalStack(folder, **kwargs)  # type: ignore[arg-type]

    yield make
    LocalStack(folder).down()


def write_executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def java_11(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """JAVA_HOME and PATH lead to a `java` that says it is 11."""
    home = tmp_path / "jdk11"
    write_executable(
        home / "bin" / "java", "#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n"
    )
    monkeypatch.setenv("JAVA_HOME", str(home))
    monkeypatch.setenv("PATH", f"{home / 'bin'}:/usr/bin:/bin")
    return home


@pytest.fixture
def broken_spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SPARK_HOME leads to a spark-submit that fails at once, as a bad JVM option would."""
    home = tmp_path / "spark"
    write_executable(
        home / "bin" / "spark-submit",
        "#!/bin/sh\necho 'Error: Could not create the Java Virtual Machine (fake).'\nexit 1\n",
    )
    monkeypatch.setenv("SPARK_HOME", str(home))
    return home
