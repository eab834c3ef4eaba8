"""`kiter iterations`' table: how long each iteration took, in kiter's one duration style."""

from __future__ import annotations

from kiter.cli.app import ledger_rows
from kiter.metastore.records import IterationRecord


def took(claimed: str, finished: str) -> str:
    record = IterationRecord("top", 0, "SUCCEEDED", claimed=claimed, finished=finished)
    columns, rows = ledger_rows([record])
    return str(rows[0][columns.index("took")])


def test_how_long_an_iteration_took_is_shown_as_everywhere_else() -> None:
    assert took("2026-11-25T12:00:00Z", "2026-11-25T12:00:05Z") == "5s"
    assert took("2026-11-25T12:00:00Z", "2026-11-25T12:01:05Z") == "1m05s"
    assert took("2026-11-25T12:00:00Z", "2026-11-25T14:03:00Z") == "2h03m"
