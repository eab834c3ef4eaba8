"""The README stays true: every configuration key and command is documented, and its template
and kiter.toml examples work as written."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from kiter.cli.main import COMMANDS
from kiter.project import JOB_ENGINE_FIELDS, JOB_FIELDS, SECTIONS, TARGET_FIELDS, load_project
from kiter.render import Renderer
from kiter.validation import validate_job

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


def _examples(kind: str) -> list[tuple[str, str]]:
    """README's fenced blocks announced by a `<!-- kiter:KIND [PATH] -->` line: (PATH, text)."""
    pattern = rf"^<!-- kiter:{kind}(?: (\S+))? -->\n```\w*\n(.*?)^```$"
    return [
        (m.group(1) or "", m.group(2))
        for m in re.finditer(pattern, README, flags=re.MULTILINE | re.DOTALL)
    ]


TEMPLATES = _examples("template")
TOMLS = _examples("toml")
# Tables shown on their own (a job or two, no targets): TOML that parses, with known keys.
FRAGMENTS = _examples("toml-fragment")


def test_every_template_and_kiter_toml_example_is_announced_and_so_tested() -> None:
    assert {path.split("/")[0] for path, _ in TEMPLATES} == {"hiveql", "piglatin"}
    assert README.count("```jinja\n") == len(TEMPLATES)
    assert TOMLS and README.count("```toml\n") == len(TOMLS) + len(FRAGMENTS)


@pytest.mark.parametrize("fragment", [text for _, text in FRAGMENTS])
def test_every_kiter_toml_fragment_parses_and_names_only_known_job_keys(fragment: str) -> None:
    import tomllib

    for name, job in tomllib.loads(fragment).get("jobs", {}).items():
        known = set(JOB_FIELDS) | set(JOB_ENGINE_FIELDS.get(job.get("engine"), {}))
        assert set(job) <= known, (name, set(job) - known)


def _project(folder: Path, toml: str) -> Path:
    for path, text in TEMPLATES:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    (folder / "kiter.toml").write_text(toml, encoding="utf-8")
    return folder / "kiter.toml"


@pytest.mark.parametrize("toml", [text for _, text in TOMLS])
def test_every_kiter_toml_example_loads(tmp_path: Path, toml: str) -> None:
    project = load_project(_project(tmp_path, toml), env={})
    assert project.jobs


@pytest.mark.parametrize("mode", ["connector", "staged"])
def test_every_template_example_renders_and_validates_in_both_modes(
    tmp_path: Path, mode: str
) -> None:
    used = set()
    for index, (_, toml) in enumerate(TOMLS):
        project = load_project(_project(tmp_path / str(index), toml), env={})
        for job in project.jobs.values():
            job = replace(job, mode=mode)
            text = Renderer(project).render(job, 3).text
            assert "kinesis.checkpoint.iteration.no" in text
            if job.engine == "hive" or mode == "connector":  # staged Pig: Pig's own parser, a JVM
                check = validate_job(Renderer(project), job, 3)
                assert check.ok and check.problems == [], check.problems
            found = project.find_template(job.template)
            assert found is not None
            used.add(found.resolve().relative_to(project.root).as_posix())
    assert TEMPLATES and used == {path for path, _ in TEMPLATES}
