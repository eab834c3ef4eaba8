"""The README stays true: every configuration key and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiter.cli.main import COMMANDS
from kiter.project import JOB_ENGINE_FIELDS, JOB_FIELDS, SECTIONS, TARGET_FIELDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _reference() -> str:
    start = README.index("## Configuration reference")
    return README[start : README.index("\n## ", start + 1)]


KEYS = sorted(
    {key for fields in SECTIONS.values() for key in fields}
    | {key for fields in TARGET_FIELDS.values() for key in fields}
    | set(JOB_FIELDS)
    | {key for fields in JOB_ENGINE_FIELDS.values() for key in fields}
)


@pytest.mark.parametrize("key", KEYS)
def test_every_configuration_key_is_in_the_reference(key: str) -> None:
    assert re.search(rf"^\| `{re.escape(key)}` \|", _reference(), re.MULTILINE), key


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`kiter {command}" in README


def test_the_two_setup_commands_exist_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in README and "make test" in README
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
