"""`kiter query`: what it refuses before reaching any HiveServer2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sample_projects import MINIMAL, WriteProject, run

HIVE = MINIMAL + '[targets.h]\nkind = "hiveserver2"\nhost = "nowhere.invalid"\n'


def test_an_empty_stdin_is_a_usage_error_not_a_silent_success(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(HIVE)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = run(["-C", str(path.parent), "query"], capsys)
    assert (code, out) == (2, "")
    assert err == "kiter: error: no SQL in stdin: it is empty or holds only comments\n"


def test_a_file_of_comments_only_is_a_usage_error_naming_the_file(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_project(HIVE)
    sql = tmp_path / "report.hql"
    sql.write_text("-- the weekly report\n\n-- SELECT 1;\n", encoding="utf-8")
    code, out, err = run(["-C", str(path.parent), "query", "-f", str(sql)], capsys)
    assert (code, out) == (2, "")
    assert err == f"kiter: error: no SQL in {sql}: it is empty or holds only comments\n"


def test_an_empty_file_read_as_dash_is_stdin(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(HIVE)
    monkeypatch.setattr("sys.stdin", io.StringIO(" ;\n"))
    code, _, err = run(["-C", str(path.parent), "query", "-f", "-"], capsys)
    assert code == 2 and "no SQL in stdin" in err
