"""Fixtures for the offline tiers: a project folder on disk with every built-in job."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_projects import LIBRARY_PROJECT, WriteProject


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
