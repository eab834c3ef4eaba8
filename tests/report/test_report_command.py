"""`kiter report` through the CLI, against the ledger on moto in process."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_support import Step, charts, drive

from kiter.metastore.ledger import Ledger
from kiter_support import FakeTime
from sample_projects import run

pytestmark = pytest.mark.functional


def kiter(project: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run(["-C", str(project), *args], capsys)


def test_the_report_of_every_job_is_written_to_a_file_and_nothing_to_stdout(
    project_dir: Path,
    ledger: Ledger,
    clock: FakeTime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    drive(ledger, clock, "top", [Step(), Step(ends=("FAILED", "SUCCEEDED"))])
    drive(ledger, clock, "conn", [Step()], staged=False)
    page = tmp_path / "report.html"
    code, out, err = kiter(project_dir, "report", "-o", str(page), capsys=capsys)
    assert (code, out) == (0, ""), err
    assert err == f"wrote {page}: top (2 iterations), conn (1 iteration), later (0 iterations)\n"
    drawn = charts(page.read_text(encoding="utf-8"))
    assert len(drawn[("top", "records")]) == 2 and len(drawn[("conn", "duration")]) == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_dash_prints_the_page_of_the_named_jobs_on_stdout(
    project_dir: Path, ledger: Ledger, clock: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    drive(ledger, clock, "top", [Step() for _ in range(5)])
    code, out, err = kiter(project_dir, "report", "top", "--last", "3", "-o", "-", capsys=capsys)
    assert code == 0, err
    assert out.startswith("<!doctype html>") and out.endswith("</html>\n")
    assert {job for job, _ in charts(out)} == {"top"}
    assert [m["data-iteration"] for m in charts(out)[("top", "records")]] == ["2", "3", "4"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no job named 'nope' (jobs: conn, later, top)"),
        (["-o", "missing/report.html"], "cannot write the report to missing/report.html: No such"),
    ],
)
def test_a_bad_job_or_path_is_one_line_and_exit_2(
    project_dir: Path,
    ledger: Ledger,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = kiter(project_dir, "report", *args, capsys=capsys)
    assert (code, out) == (2, "")
    assert err.startswith("kiter: error: ") and message in err and err.count("\n") == 1, err


def test_last_counts_from_one(
    project_dir: Path, ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = kiter(project_dir, "report", "--last", "0", capsys=capsys)
    assert (code, out) == (2, "")
    assert "Invalid value for '--last'" in err
