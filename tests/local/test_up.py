"""`kiter local up`'s sequence (kiter.local.up): which engines it installs, and going on without mvn."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kiter.local.stackstate import StackState
from kiter.local.up import UpOptions, bring_up


class StartedStack:
    """The stack as `bring_up` sees it: started, with no service to create streams on."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.asked: list[dict[str, Any]] = []

    def up(self, **options: Any) -> StackState:
        self.asked.append(options)
        return StackState(
            self.folder, moto=None, hiveserver2=None, started=None, started_now=("moto",)
        )


@pytest.fixture
def no_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Java on PATH, no mvn, and an empty engine cache."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(Path(java).resolve())
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("KITER_CACHE", str(tmp_path / "cache"))


def up(tmp_path: Path, options: UpOptions) -> list[str]:
    said: list[str] = []
    bring_up(
        StartedStack(tmp_path), options, streams=[], kinesis_at=lambda _url: None, echo=said.append
    )
    return said


def test_without_mvn_up_warns_for_each_engine_and_goes_on(tmp_path: Path, no_maven: None) -> None:
    said = up(tmp_path, UpOptions())

    assert said == [
        "warning: fetching Pig 0.17.0 needs Maven (mvn): install it (e.g. apt-get install maven)",
        "warning: fetching Hadoop 2.10.2 needs Maven (mvn): install it (e.g. apt-get install maven)",
    ]


def test_no_hadoop_and_no_pig_install_neither(tmp_path: Path, no_maven: None) -> None:
    assert up(tmp_path, UpOptions(pig=False, hadoop=False)) == []
    assert up(tmp_path, UpOptions(hadoop=False)) == [
        "warning: fetching Pig 0.17.0 needs Maven (mvn): install it (e.g. apt-get install maven)"
    ]
