"""The demo path end to end on the real local stack: moto server + Spark Thrift Server.

Stack up, three staged iterations of the top-10 errors job through PyHive, a rerun of
iteration 1, stack down; each iteration's rows are checked against what the producer generated.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kiter.demorun import run_demo
from kiter.local.processes import is_running
from kiter.local.stack import LocalStack
from kiter.local.traffic import expected_top_errors

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_three_iterations_and_a_rerun_answer_what_the_producer_generated(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shown: list[tuple[str, list[tuple[object, ...]]]] = []
    result = run_demo(
        folder,
        iterations=3,
        records_per_iteration=600,
        show=lambda title, r: shown.append((title, r.outcome.rows)),
    )

    assert [r.iteration for r in result.iterations] == [0, 1, 2]
    assert all(r.outcome.state == "SUCCEEDED" for r in result.iterations)
    # Every produced record was staged exactly once across the iterations.
    staged = [line for n in range(3) for line in result.staged[n]]
    assert Counter(staged) == Counter(result.produced)
    assert len(result.produced) >= 1800
    # Hive's answer for each iteration is the top 10 of exactly that iteration's records.
    for n, outcome in enumerate(result.iterations):
        assert outcome.outcome.columns == ["region", "browser", "domain", "status", "errors"]
        assert [tuple(row) for row in outcome.outcome.rows] == expected_top_errors(
            result.staged[n]
        ), f"iteration {n}"
        assert outcome.read is not None
        assert outcome.read.total_records == len(result.staged[n])
    # The rerun read the same records and gave the same answer.
    assert result.rerun is not None
    assert (result.rerun.iteration, result.rerun.attempt, result.rerun.rerun) == (1, 2, True)
    assert result.rerun_identical
    # The Pig Latin version over the same staged records gave Hive's answer, iteration by iteration.
    assert result.pig_skipped == ""
    assert sorted(result.pig_rows) == [0, 1, 2]
    assert result.pig_agrees
    assert (folder / ".kiter/output/top-errors-pig/iteration=2/part-r-00000").exists()
    # And so did the Hadoop Streaming version (Python, two reducers) on real Hadoop.
    assert result.streaming_skipped == ""
    assert sorted(result.streaming_rows) == [0, 1, 2]
    assert result.streaming_agrees
    assert (folder / ".kiter/output/top-errors-streaming/iteration=2/part-00001").exists()
    assert [title for title, _ in shown] == [
        "iteration 0",
        "iteration 1",
        "iteration 2",
        "iteration 1, rerun",
    ]
    # The stack is down again: nothing recorded, no process left.
    stack = LocalStack(folder / ".kiter" / "local")
    assert stack.status() is None
    pids = [p for p in (folder / ".kiter" / "local").glob("*.pid")]
    assert pids == []


def test_the_main_command_runs_the_demo_and_reports_identical_reruns(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "cli-demo"
    done = subprocess.run(
        [sys.executable, "-m", "kiter", "demo", str(folder), "--records", "200", "--keep"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        assert done.returncode == 0, done.stderr[-3000:]
        assert "rerun of iteration 1: identical results" in done.stdout
        assert "the Pig Latin version, over the same records: the same top 10" in done.stdout
        assert "the Hadoop Streaming version (Python), over the same records: the same top 10" in (
            done.stdout
        )
        assert "iteration 2 (SUCCEEDED" in done.stdout
        assert "ledger" in done.stdout and "Traceback" not in done.stderr
        state = LocalStack(folder / ".kiter" / "local").status()
        assert state is not None and state.alive  # --keep left it running
        status = subprocess.run(
            [sys.executable, "-m", "kiter", "-C", str(folder), "iterations", "top_errors"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert status.returncode == 0, status.stderr
        assert status.stdout.count("SUCCEEDED") == 3
    finally:
        subprocess.run(
            [sys.executable, "-m", "kiter", "-C", str(folder), "local", "down"],
            capture_output=True,
            check=False,
        )
    assert LocalStack(folder / ".kiter" / "local").status() is None
    assert not any(is_running(int(p.read_text())) for p in (folder / ".kiter/local").glob("*.pid"))
