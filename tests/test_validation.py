"""`kiter validate`: every built-in passes; broken scripts fail with file:line and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.project import load_project
from kiter.render import Renderer
from kiter.validation import validate_job
from sample_projects import LIBRARY_JOBS, MINIMAL, WriteProject, run


@pytest.mark.parametrize("job", LIBRARY_JOBS)
def test_every_builtin_job_passes_validation(library_project: Path, job: str) -> None:
    project = load_project(library_project, env={})
    check = validate_job(Renderer(project), project.job(job), 4)
    assert check.ok, check.problems
    assert check.problems == []


def _check(
    write_project: WriteProject, body: str, engine: str = "hive", *, fails: bool = True
) -> list[str]:
    ext = "hql" if engine == "hive" else "pig"
    text = MINIMAL.replace("top_errors.hql.j2", f"mine.{ext}.j2").replace('"hive"', f'"{engine}"')
    path = write_project(text, files={f"hiveql/mine.{ext}.j2": body})
    project = load_project(path, env={})
    check = validate_job(Renderer(project), project.job("top"))
    assert check.ok is not fails, check.problems
    return check.problems


def test_a_mistyped_checkpoint_key_is_taken_over_and_named_with_its_line(
    write_project: WriteProject,
) -> None:
    problems = _check(
        write_project, "SET kinesis.checkpoint.hash.key.name=HashKey;\nSELECT 1;\n", fails=False
    )
    assert any(
        p.startswith("warning: ")
        and "mine.hql.j2:1: kiter owns kinesis.checkpoint.hash.key.name" in p
        and "did you mean kinesis.checkpoint.metastore.hash.key.name" in p
        for p in problems
    ), problems


def test_a_template_setting_the_iteration_is_taken_over_with_a_warning(
    write_project: WriteProject,
) -> None:
    problems = _check(
        write_project, "SET kinesis.checkpoint.iteration.no=9;\nSELECT 1;\n", fails=False
    )
    assert any(
        "kiter owns kinesis.checkpoint.iteration.no: the script's '9' is replaced (kiter sets 0)"
        in p
        for p in problems
    ), problems


def test_unparseable_hiveql_is_reported_at_its_templates_line(write_project: WriteProject) -> None:
    problems = _check(write_project, "SELECT 1;\n\nSELEC broken FROM;\n")
    assert any(
        p.endswith("mine.hql.j2:3: not a HiveQL statement: SELEC broken FROM") for p in problems
    ), problems
    assert not any(p.startswith("top/0.hql") for p in problems), problems


def test_a_pig_statement_without_a_semicolon_fails(write_project: WriteProject) -> None:
    body = (
        "raw = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);\n"
        "x = FILTER raw BY line != ''\nSTORE x INTO 'out';\n"
    )
    problems = _check(write_project, body, engine="pig")
    assert any("mine.pig.j2:2: " in p for p in problems), problems


def test_a_template_error_fails_validation_instead_of_crashing(write_project: WriteProject) -> None:
    problems = _check(write_project, "SELECT {{ nothing_here }};\n")
    assert "undefined name" in problems[0]


def test_the_command_exits_1_when_any_job_fails(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(
        MINIMAL.replace("top_errors.hql.j2", "mine.hql.j2"),
        files={"hiveql/mine.hql.j2": "SELEC 1;\n"},
    )
    code, out, err = run(["-C", str(path.parent), "validate"], capsys)
    assert code == 1
    template = path.parent / "hiveql" / "mine.hql.j2"
    assert out.startswith(f"FAIL  top (top/0.hql)\n  {template}:1: not a HiveQL statement: SELEC 1")
    assert "1 of 1 jobs failed validation" in err


def test_an_error_after_a_placed_preamble_names_the_templates_line(
    write_project: WriteProject,
) -> None:
    body = (
        '{% import "kiter/hive.j2" as kiter with context %}\n{{ kiter.preamble() }}\n'
        "SELECT {{ iteration }};\nSELEC broken;\n"
    )
    problems = _check(write_project, body)
    assert any(p.endswith("mine.hql.j2:4: not a HiveQL statement: SELEC broken") for p in problems)


def test_block_comments_are_accepted_where_hives_lexer_hides_them(
    write_project: WriteProject,
) -> None:
    # Hive 3's HiveLexer sends /* ... */ (nested too) to the hidden channel, /*+ ... */ is a hint.
    body = (
        "/* Rows of one iteration.\n   Two lines. */\nSELECT 1;\n"
        "SELECT /* inline */ 2 /* and /* nested */ one */;\n"
        "SELECT /*+ MAPJOIN(b) */ a.x FROM a JOIN b ON a.x = b.x;\n"
    )
    assert _check(write_project, body, fails=False) == []


def test_a_semicolon_inside_a_block_comment_or_a_comment_alone_is_refused_at_its_line(
    write_project: WriteProject,
) -> None:
    problems = _check(write_project, "SELECT 1;\n/* alone */;\nSELECT /* a; b */ 2;\n")
    assert any("mine.hql.j2:2: a statement of only a /* */ comment" in p for p in problems)
    assert any(
        "mine.hql.j2:3: a /* comment is not closed before the statement's ';'" in p
        for p in problems
    )
