"""`kiter report`: the ledger's iterations as charts in one self-contained HTML file.

series.py takes the numbers from the ledger (through its history, with a limit), svg.py draws
them, page.py lays them out. Nothing here writes to the ledger or reads the stream; the page
is written only where the command says.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiter.errors import UsageError
from kiter.project import JobConfig
from kiter.report.series import IterationPoint, JobSeries, read_series

DEFAULT_LAST = 500


@dataclass(frozen=True)
class Report:
    html: str
    series: list[JobSeries]


def build_report(
    jobs: Iterable[JobConfig], ledger: Any, *, last: int, now: float, title: str
) -> Report:
    """The report of `jobs`: each one's newest `last` iterations, read from `ledger`."""
    from kiter.report.page import page

    series = [read_series(job, ledger, last) for job in jobs]
    return Report(page(series, title=title, last=last, generated=now), series)


def write_report(path: Path, html: str) -> None:
    """Write the page whole or not at all: a browser open on the old one never sees half."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


__all__ = ["DEFAULT_LAST", "IterationPoint", "JobSeries", "Report", "build_report", "write_report"]
