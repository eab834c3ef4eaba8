"""Rendering: golden files for every built-in job, checkpoint injection, template errors, secrets."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from kiter.errors import TemplateError
from kiter.project import load_project
from kiter.render import Renderer, write_rendered
from sample_projects import LIBRARY_JOBS, MINIMAL, WriteProject

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("KITER_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("job", LIBRARY_JOBS)
def test_each_builtin_job_renders_exactly_as_its_golden_file(
    library_project: Path, job: str
) -> None:
    project = load_project(library_project, env={})
    rendered = Renderer(project).render(project.job(job), 7)
    golden = GOLDEN / f"{job}.{rendered.extension}"
    if UPDATE:
        golden.write_text(rendered.text, encoding="utf-8")
    assert rendered.text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("job", LIBRARY_JOBS)
def test_the_checkpoint_block_appears_exactly_once(library_project: Path, job: str) -> None:
    project = load_project(library_project, env={})
    text = Renderer(project).render(project.job(job), 2).text
    assert text.count("kinesis.checkpoint.iteration.no") == 1
    assert text.count("kinesis.checkpoint.logical.name") == 1


def test_a_template_without_the_preamble_gets_the_block_at_the_top(
    write_project: WriteProject,
) -> None:
    path = write_project(
        MINIMAL.replace("top_errors.hql.j2", "mine.hql.j2"),
        files={"hiveql/mine.hql.j2": "SELECT '{{ stream }}';\n"},
    )
    project = load_project(path, env={})
    text = Renderer(project).render(project.job("top"), 3).text
    lines = text.splitlines()
    assert lines[0] == "SET kinesis.checkpoint.enabled=true;"
    assert "SET kinesis.checkpoint.iteration.no=3;" in lines
    assert lines[-1] == "SELECT 'S';"


def test_vars_and_overrides_reach_the_template(write_project: WriteProject) -> None:
    path = write_project(
        MINIMAL.replace("top_errors.hql.j2", "mine.hql.j2") + 'vars = { out = "a", n = 3 }\n',
        files={"hiveql/mine.hql.j2": "SELECT '{{ out }}', {{ n }}, {{ vars.out }};\n"},
    )
    project = load_project(path, env={})
    text = Renderer(project).render(project.job("top"), 0, overrides={"out": "b"}).text
    assert text.endswith("SELECT 'b', 3, b;\n")


def test_a_changed_copy_of_a_job_renders_with_its_own_vars_and_settings(
    write_project: WriteProject,
) -> None:
    path = write_project(
        MINIMAL.replace("top_errors.hql.j2", "mine.hql.j2") + 'vars = { out = "a" }\n',
        files={"hiveql/mine.hql.j2": "SELECT '{{ out }}';\n"},
    )
    project = load_project(path, env={})
    renderer = Renderer(project)
    job = project.job("top")
    renderer.render(job, 0)
    changed = dataclasses.replace(job, vars={"out": "b"}, checkpoint_table="OtherTable")
    text = renderer.render(changed, 1).text
    assert text.endswith("SELECT 'b';\n")
    assert "SET kinesis.checkpoint.metastore.table.name=OtherTable;" in text


def test_a_rerun_renders_rerun_without_wait_true(library_project: Path) -> None:
    project = load_project(library_project, env={})
    text = Renderer(project).render(project.job("top_errors"), 5, rerun=True).text
    assert "SET kinesis.rerun.iteration.without.wait=true;" in text


def _template_error(
    write_project: WriteProject, body: str, files: dict[str, str] | None = None
) -> str:
    path = write_project(
        MINIMAL.replace("top_errors.hql.j2", "bad.hql.j2"),
        files={"hiveql/bad.hql.j2": body, **(files or {})},
    )
    project = load_project(path, env={})
    try:
        Renderer(project).render(project.job("top"), 0)
    except TemplateError as exc:
        return str(exc)
    raise AssertionError("the template rendered without an error")


def test_an_undefined_name_reports_the_template_file_and_line(write_project: WriteProject) -> None:
    message = _template_error(write_project, "SELECT 1;\n\nSELECT {{ missing_var }};\n")
    assert message.endswith(
        "hiveql/bad.hql.j2:3: undefined name: 'missing_var' is undefined "
        "(define it in the job's vars or pass --var)"
    ) or ("bad.hql.j2:3: undefined name: 'missing_var' is undefined" in message)


def test_a_template_using_kiters_macros_without_importing_them_is_told_the_import(
    write_project: WriteProject,
) -> None:
    message = _template_error(write_project, "{{ kiter.preamble() }}\nSELECT 1;\n")
    assert message.endswith(
        "bad.hql.j2:1: undefined name: 'kiter' is undefined (import kiter's macros first: "
        '{% import "kiter/hive.j2" as kiter with context %})'
    )


def test_a_syntax_error_reports_the_template_file_and_line(write_project: WriteProject) -> None:
    message = _template_error(write_project, "SELECT 1;\n{% if %}\n")
    assert "bad.hql.j2:2: template syntax error:" in message


def test_a_missing_include_reports_the_including_line(write_project: WriteProject) -> None:
    message = _template_error(write_project, "SELECT 1;\n\n{% include 'nowhere.j2' %}\n")
    assert "bad.hql.j2:3: template 'nowhere.j2' not found on the search path" in message


def test_an_error_inside_an_included_template_names_that_file(write_project: WriteProject) -> None:
    message = _template_error(
        write_project,
        "{% include 'part.j2' %}\n",
        files={"templates/part.j2": "-- part\n{{ nope }}\n"},
    )
    assert "templates/part.j2:2: undefined name" in message


@pytest.mark.parametrize(
    ("engine", "macros", "line"),
    [
        ("hive", "hive", "SET kinesis.checkpoint.iteration.no=99;"),
        ("pig", "pig", "SET kinesis.checkpoint.iteration.no 99;"),
    ],
)
def test_a_set_of_an_owned_setting_right_after_the_preamble_is_taken_over(
    write_project: WriteProject, engine: str, macros: str, line: str
) -> None:
    extension = "hql" if engine == "hive" else "pig"
    template = (
        f'{{% import "kiter/{macros}.j2" as kiter with context %}}\n'
        f"{{{{ kiter.preamble() }}}}\n{line}\nx = 1;\n"
    )
    path = write_project(
        MINIMAL.replace("top_errors.hql.j2", f"mine.{extension}.j2").replace(
            'engine = "hive"', f'engine = "{engine}"'
        ),
        files={f"{'hiveql' if engine == 'hive' else 'piglatin'}/mine.{extension}.j2": template},
    )
    project = load_project(path, env={})

    rendered = Renderer(project).render(project.job("top"), 3)

    assert line not in rendered.submit_text
    assert "kinesis.checkpoint.iteration.no=3;" in rendered.submit_text.replace(" ", "=")
    assert any("kinesis.checkpoint.iteration.no" in note for note in rendered.notes)


@pytest.mark.parametrize(
    "template",
    ['{% include "mine.hql.j2" %}', "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"],
    ids=["a template that includes itself", "a macro that calls itself"],
)
def test_a_template_without_end_is_one_error_naming_it(
    write_project: WriteProject, template: str
) -> None:
    path = write_project(
        MINIMAL.replace("top_errors.hql.j2", "mine.hql.j2"),
        files={"hiveql/mine.hql.j2": template + "\n"},
    )
    project = load_project(path, env={})
    with pytest.raises(TemplateError, match="without end") as caught:
        Renderer(project).render(project.job("top"), 0)
    assert str(caught.value).startswith(f"{path.parent / 'hiveql' / 'mine.hql.j2'}:1: ")


def test_placing_the_preamble_twice_is_an_error(write_project: WriteProject) -> None:
    message = _template_error(
        write_project,
        '{% import "kiter/hive.j2" as kiter with context %}{{ kiter.preamble() }}\n{{ kiter.preamble() }}\n',
    )
    assert "the checkpoint preamble is placed twice" in message


def test_cross_account_keys_reach_only_the_submitted_text(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + "cross_account = true\n")
    project = load_project(path, env={})
    secrets = {"kinesis.accessKey": "AKIAEXAMPLE", "kinesis.secretKey": "s3cr3t/Key+"}
    rendered = Renderer(project).render(project.job("top"), 1, secrets=secrets)
    assert "SET kinesis.secretKey=s3cr3t/Key+;" in rendered.submit_text
    assert "s3cr3t" not in rendered.text and "AKIAEXAMPLE" not in rendered.text
    assert "SET kinesis.secretKey=****;" in rendered.text
    assert rendered.settings["kinesis.secretKey"] == "****"
    assert "s3cr3t" not in json.dumps(rendered.manifest_entry())
    assert "s3cr3t" not in repr(rendered) and "AKIAEXAMPLE" not in repr(rendered)


def test_a_rendered_script_cannot_be_changed_after_it_is_made(library_project: Path) -> None:
    # What the guard before submit checked is what is submitted.
    project = load_project(library_project, env={})
    rendered = Renderer(project).render(project.job("top_errors"), 1)
    with pytest.raises(AttributeError):
        rendered.submit_text = "SET kinesis.checkpoint.iteration.no=7;"  # type: ignore[misc]


def test_out_writes_the_script_and_a_manifest_entry(library_project: Path, tmp_path: Path) -> None:
    project = load_project(library_project, env={})
    renderer = Renderer(project)
    first = renderer.render(project.job("top_errors"), 3)
    second = renderer.render(project.job("top_errors_pig"), 3)
    out = tmp_path / "build"
    assert write_rendered(first, out) == out / "top_errors" / "3.hql"
    write_rendered(second, out)
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["scripts"]["top_errors/3"]
    assert entry["sha256"] == first.sha256
    assert entry["settings"]["kinesis.checkpoint.iteration.no"] == "3"
    assert entry["template"] == "top_errors.hql.j2"
    assert manifest["scripts"]["top_errors_pig/3"]["path"] == "top_errors_pig/3.pig"
    assert (out / "top_errors" / "3.hql").read_text() == first.text
