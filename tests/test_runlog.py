"""The log of every run: one file per attempt, its lines stamped and masked, kept within a bound."""

from __future__ import annotations

import os
import re
from pathlib import Path

from kiter.runlog import Pruning, RunLog, attempt_logs, attempt_path, prune
from kiter.secrets import Redactor
from kiter.watch import AttemptReport, AttemptStarted
from kiter_support import FakeTime

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def started(attempt: int = 1, logical: str = "top", at: float = 1_700_000_000.0) -> AttemptStarted:
    return AttemptStarted("top_errors", logical, 3, attempt, "engine", at)


def report(attempt: int = 1, logical: str = "top", **changes: object) -> AttemptReport:
    values: dict[str, object] = {
        "job": "top_errors",
        "logical_name": logical,
        "iteration": 3,
        "attempt": attempt,
        "target": "engine",
        "state": "SUCCEEDED",
        "cause": "",
        "started": 1_700_000_000.0,
        "ended": 1_700_000_004.2,
        "seconds": {"read": 1.0, "submit": 3.0, "total": 4.2},
        "records": 10,
        "bytes": 1234,
        "script_sha256": "ab" * 32,
        "submission_id": "hs2:test/1",
    }
    return AttemptReport(**(values | changes))  # type: ignore[arg-type]


def test_an_attempt_writes_kiters_and_the_engines_lines_the_sha256_and_the_outcome(
    tmp_path: Path,
) -> None:
    clock = FakeTime(1_700_000_000.0)
    shown: list[str] = []
    log = RunLog(tmp_path, clock=clock)
    kiter, engine = log.kiter(shown.append), log.engine(shown.append)

    kiter("claimed iteration 3 of top (attempt 2)")  # said before the runner reports the start
    log.attempt_started(started(attempt=2), Redactor())
    clock.advance(1.5)
    engine("INFO  : Compiling command(queryId=hive_1)")
    log.attempt_ended(report(attempt=2, state="FAILED", cause="FAILED: SemanticException\nline 2"))

    assert shown == [
        "claimed iteration 3 of top (attempt 2)",
        "INFO  : Compiling command(queryId=hive_1)",
    ]
    path = tmp_path / "top" / "3" / "2.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(re.match(rf"{STAMP} (kiter |engine) ", line) for line in lines), lines
    body = [line.split(" ", 1)[1] for line in lines]
    assert body == [
        "kiter  job top_errors, logical name top, iteration 3, attempt 2, target engine, "
        f"pid {os.getpid()}",
        "kiter  claimed iteration 3 of top (attempt 2)",
        "engine INFO  : Compiling command(queryId=hive_1)",
        f"kiter  script sha256 {'ab' * 32}",
        "kiter  outcome FAILED (4.2s, 10 records, 1234 bytes staged, hs2:test/1)",
        "kiter  cause: FAILED: SemanticException",
        "kiter  line 2",
    ]
    assert lines[2].startswith("2023-11-14T22:13:21.500Z engine")  # the engine line's own time


def test_secrets_never_reach_the_run_log(tmp_path: Path) -> None:
    log = RunLog(tmp_path)
    echo = log.kiter(lambda _: None)
    log.attempt_started(started(), Redactor(["AKIAEXAMPLEKEY"]))
    echo("SET kinesis.accessKey=AKIAEXAMPLEKEY;")
    log.engine(lambda _: None)("hadoop conf fs.s3a.secret.key = hunter22")
    log.attempt_ended(report(state="FAILED", cause="denied for AKIAEXAMPLEKEY"))

    text = attempt_path(tmp_path, "top", 3, 1).read_text(encoding="utf-8")
    assert "AKIAEXAMPLEKEY" not in text and "hunter22" not in text
    assert "SET kinesis.accessKey=****;" in text and "cause: denied for ****" in text


def test_each_attempt_has_a_file_of_its_own_and_a_number_used_twice_appends(
    tmp_path: Path,
) -> None:
    log = RunLog(tmp_path)
    for attempt, state in ((1, "REFUSED"), (1, "FAILED"), (2, "SUCCEEDED")):
        log.attempt_started(started(attempt), Redactor())
        log.attempt_ended(report(attempt, state=state))

    kept = attempt_logs(tmp_path, "top", 3)
    assert [number for number, _ in kept] == [1, 2]
    first = kept[0][1].read_text(encoding="utf-8")
    assert "outcome REFUSED" in first and "outcome FAILED" in first
    assert "outcome SUCCEEDED" in kept[1][1].read_text(encoding="utf-8")


def test_an_attempts_log_stops_at_its_cap_and_still_says_how_it_ended(tmp_path: Path) -> None:
    log = RunLog(tmp_path, max_bytes=2000)
    engine = log.engine(lambda _: None)
    log.attempt_started(started(), Redactor())
    for n in range(100):
        engine(f"engine line {n:03d} " + "x" * 40)
    log.attempt_ended(report())

    text = attempt_path(tmp_path, "top", 3, 1).read_text(encoding="utf-8")
    assert "engine line 099" not in text and "the rest of this attempt's lines are left out" in text
    assert text.splitlines()[-1].endswith(
        "outcome SUCCEEDED (4.2s, 10 records, 1234 bytes staged, hs2:test/1)"
    )
    assert len(text.encode()) < 2000 + 500


def test_a_logical_name_with_a_slash_or_dots_stays_one_folder_under_the_logs(
    tmp_path: Path,
) -> None:
    assert attempt_path(tmp_path, "team/top", 1, 1) == tmp_path / "team%2Ftop" / "1" / "1.log"
    assert attempt_path(tmp_path, "..", 1, 1) == tmp_path / "%2E%2E" / "1" / "1.log"


def test_prune_drops_logs_past_the_age_bound_then_the_oldest_over_the_size_bound(
    tmp_path: Path,
) -> None:
    now = 1_700_000_000.0
    ages = {"old/1/1.log": 40, "a/1/1.log": 5, "a/2/1.log": 3, "a/3/1.log": 1}  # days
    for name, days in ages.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 100)
        os.utime(path, (now - days * 86400, now - days * 86400))

    removed = prune(tmp_path, now, keep_seconds=30 * 86400, keep_bytes=250)

    assert removed == 2
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.log"))
    assert left == ["a/2/1.log", "a/3/1.log"]
    assert not (tmp_path / "old").exists() and not (tmp_path / "a" / "1").exists()


def test_a_start_within_the_hour_of_any_process_pruning_reads_no_run_log(tmp_path: Path) -> None:
    # A submit a minute would otherwise read every run log of the last 30 days at each start.
    now = 1_700_000_000.0
    assert Pruning(tmp_path, clock=lambda: now).now() == 0  # the first start prunes, and marks it
    old = tmp_path / "top" / "1" / "1.log"
    old.parent.mkdir(parents=True)
    old.write_text("x")
    os.utime(old, (now - 40 * 86400, now - 40 * 86400))

    assert Pruning(tmp_path, clock=lambda: now + 1800).now() == 0  # another process, 30 min on
    assert old.exists()
    assert Pruning(tmp_path, clock=lambda: now + 3601).now() == 1
    assert not old.exists() and not (tmp_path / "top").exists()


def test_a_mark_from_the_future_or_a_logical_name_like_the_mark_does_not_stop_pruning(
    tmp_path: Path,
) -> None:
    now = 1_700_000_000.0
    root = tmp_path / "logs"
    old = root / ".pruned" / "1" / "1.log"  # a job's logical name may be ".pruned"
    old.parent.mkdir(parents=True)
    old.write_text("x")
    os.utime(old, (now - 40 * 86400, now - 40 * 86400))
    mark = tmp_path / "logs.pruned"
    mark.touch()
    os.utime(mark, (now + 30 * 86400, now + 30 * 86400))  # a clock set back, a copied folder

    assert Pruning(root, clock=lambda: now).now() == 1
    assert not old.exists()
    assert mark.stat().st_mtime == now


def test_a_run_log_that_cannot_be_written_is_said_once_and_nothing_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the folder should be")
    warnings: list[str] = []
    log = RunLog(blocker, warn=warnings.append)
    for attempt in (1, 2):
        log.attempt_started(started(attempt), Redactor())
        log.kiter(lambda _: None)("a line")
        log.attempt_ended(report(attempt))

    assert len(warnings) == 1 and warnings[0].startswith(f"cannot write the run log {blocker}")
