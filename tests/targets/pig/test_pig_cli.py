"""`kiter --profile local submit top_errors_pig` on a fresh scaffold: moto server, real Pig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiter.local.pigengine import PigEngine
from kiter.local.traffic import Traffic, expected_top_errors
from kiter_support import kiter_process, local_scaffold

pytestmark = pytest.mark.integration


@pytest.fixture
def scaffold(tmp_path: Path, pig_engine: PigEngine) -> Iterator[Path]:
    del pig_engine  # installed before the stack starts
    with local_scaffold(tmp_path, "--no-hive", "--shards", "2") as root:
        yield root


def test_the_scaffolds_pig_job_runs_staged_on_the_local_stack_and_prints_its_rows(
    scaffold: Path,
) -> None:
    lines = Traffic(seed=3).lines(400)
    put = kiter_process(scaffold, "--profile", "local", "local", "put", "AccessLogStream", "-",
                stdin="\n".join(lines) + "\n")  # fmt: skip
    assert put.returncode == 0, put.stderr

    run = kiter_process(
        scaffold, "--profile", "local", "submit", "top_errors_pig", "--format", "tsv"
    )

    assert run.returncode == 0, run.stderr
    header, *rows = run.stdout.splitlines()
    assert header == "region\tbrowser\tdomain\tstatus\terrors"
    assert rows == ["\t".join(map(str, row)) for row in expected_top_errors(lines)]
    assert "iteration 0 of top-errors-pig, attempt 1, SUCCEEDED, 400 records staged" in run.stderr
    assert "INFO" not in run.stderr  # Pig's own log is for -v
    stored = scaffold / ".kiter/output/top-errors-pig/iteration=0/part-r-00000"
    assert stored.read_text().splitlines() == rows


def test_a_hive_job_aimed_at_the_pig_target_is_a_config_error(scaffold: Path) -> None:
    run = kiter_process(scaffold, "--profile", "local", "submit", "top_errors", "--target", "pig")
    assert run.returncode == 2
    assert "job top_errors is a hive job and target pig is the local Pig engine" in run.stderr
