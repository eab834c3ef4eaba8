"""A job of two imported connector scripts (one creates the Kinesis table, the next queries it),
run staged on the real Spark Thrift Server: each iteration's rows are exactly a computation over
that iteration's records, a rerun gives the same."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.local.traffic import put_lines
from kiter.runner import RunOptions

from .conftest import ImportStaged

pytestmark = pytest.mark.integration

SEVERAL = Path(__file__).parents[2] / "adopt" / "several"
# What create_visits.q's RegexSerDe reads, as Python writes it: group 6 is the status.
VISIT = re.compile(
    r'([^ ]*) ([^ ]*) ([^ ]*) \[([^\]]*)\] "([^"]*)" (-|[0-9]*) (-|[0-9]*) "([^"]*)" "([^"]*)"'
)


def _lines(statuses: list[int], tag: str) -> list[str]:
    return [
        f'192.168.1.{n % 200} - - [04/Dec/2026:21:{n % 60:02d}:00 +0000] "GET /{tag}/{n} HTTP/1.1" '
        f'{status} {300 + n} "-" "Mozilla/5.0"'
        for n, status in enumerate(statuses)
    ]


def _expected(lines: list[str]) -> Counter[str]:
    found = [VISIT.fullmatch(line) for line in lines]
    assert all(found)
    return Counter(match.group(6) for match in found if match)


def test_a_two_script_job_runs_staged_with_the_rows_of_each_iteration_alone(
    import_staged: ImportStaged,
) -> None:
    create, query = SEVERAL / "create_visits.q", SEVERAL / "status_counts.q"
    project, runner = import_staged(create, query)
    job, target = project.job("status_counts"), project.targets["spark"]
    assert job.templates == ("create_visits.q", "status_counts.q")
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    kinesis.create_stream(StreamName="VisitLogStream", ShardCount=2)

    def rows_of(result: Any) -> Counter[str]:
        return Counter({str(status): int(count) for status, count in result.outcome.rows})

    first_lines = _lines([200] * 5 + [301] * 2 + [404] * 4, "home")
    put_lines(kinesis, "VisitLogStream", first_lines)
    first = runner.run(job, target)
    assert first.iteration == 0 and first.read is not None and first.read.total_records == 11
    assert rows_of(first) == _expected(first_lines)

    second_lines = _lines([200] * 3 + [500] * 6, "cart")
    put_lines(kinesis, "VisitLogStream", second_lines)
    second = runner.run(job, target)
    assert second.iteration == 1
    assert rows_of(second) == _expected(second_lines)  # nothing of iteration 0

    again = runner.run(job, target, RunOptions(iteration=0))
    assert again.rerun and rows_of(again) == _expected(first_lines)
    ledger = runner.ledger.history("VisitCounts")
    assert [(r.iteration, r.state) for r in ledger] == [(0, "SUCCEEDED"), (1, "SUCCEEDED")]
