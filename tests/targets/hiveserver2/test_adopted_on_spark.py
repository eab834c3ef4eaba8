"""An imported connector script, unchanged, run staged on the real Spark Thrift Server: each
iteration's rows are exactly a computation over that iteration's records, a rerun gives the same."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.local.traffic import put_lines
from kiter.runner import RunOptions

from .conftest import ImportStaged

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).parents[2] / "adopt" / "scripts" / "access_log_status.hql"


def _lines(statuses: list[int], tag: str) -> list[str]:
    return [
        f'10.0.0.{n % 250} - - [25/Nov/2026:18:00:{n % 60:02d} +0000] "GET /{tag}/{n} HTTP/1.1" '
        f'{status} {100 + n} "-" "curl/8.0"'
        for n, status in enumerate(statuses)
    ]


def test_an_imported_script_runs_staged_with_the_rows_of_each_iteration_alone(
    import_staged: ImportStaged, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming" / SCRIPT.name
    incoming.parent.mkdir()
    shutil.copy(SCRIPT, incoming)
    project, runner = import_staged(incoming)
    job, target = project.job("access_log_status"), project.targets["spark"]
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    kinesis.create_stream(StreamName="AccessLogStream", ShardCount=2)

    def rows_of(result: Any) -> Counter[str]:
        return Counter({str(status): int(hits) for status, hits in result.outcome.rows})

    first_lines = _lines([200] * 7 + [404] * 3 + [500] * 2, "a")
    put_lines(kinesis, "AccessLogStream", first_lines)
    first = runner.run(job, target)
    assert first.iteration == 0 and first.read is not None and first.read.total_records == 12
    assert rows_of(first) == Counter({"200": 7, "404": 3, "500": 2})

    second_lines = _lines([200] * 2 + [503] * 4, "b")
    put_lines(kinesis, "AccessLogStream", second_lines)
    second = runner.run(job, target)
    assert second.iteration == 1
    assert rows_of(second) == Counter({"200": 2, "503": 4})  # nothing of iteration 0

    again = runner.run(job, target, RunOptions(iteration=0))
    assert again.rerun and rows_of(again) == rows_of(first)
    ledger = runner.ledger.history("TestLogicalName")
    assert [(r.iteration, r.state) for r in ledger] == [(0, "SUCCEEDED"), (1, "SUCCEEDED")]
