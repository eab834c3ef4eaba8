"""The scheduler's loop and cadences without a runner: grids, first ticks, busy ticks."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from kiter.errors import EXIT_OK, IterationBusy, UsageError
from kiter.scheduler import (
    BackToBack,
    Cron,
    Every,
    RetryPolicy,
    Scheduler,
    shared_streams,
)
from kiter_support import FakeTime


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_every_ticks_on_its_grid_and_skips_ticks_missed_while_running() -> None:
    every = Every(60, start=1000.0)
    assert every.next_after(1000.0) == 1060.0
    assert every.next_after(1059.9) == 1060.0
    assert every.next_after(1185.0) == 1240.0  # a long iteration skips 1120 and 1180


def test_several_logical_names_on_one_stream_are_warned_about() -> None:
    warnings = shared_streams([("a", "logs", "a"), ("b", "logs", "b"), ("c", "clicks", "c")])
    assert warnings == [
        "stream logs is read by 2 logical names (a, b): they share each shard's 2 MB/s read "
        "limit, about 1 MB/s each"
    ]


def test_a_busy_logical_name_is_waited_for_not_counted_as_a_tick() -> None:
    fake = FakeTime()
    calls: list[float] = []

    def run_one(name: str) -> None:
        calls.append(fake.now)
        if len(calls) <= 2:
            raise IterationBusy("iteration 4 of top is running on other (pid 1) since T")

    scheduler = Scheduler(
        jobs=["top"],
        run_one=run_one,
        cadence=BackToBack(),
        iterations=2,
        retry=RetryPolicy(first_backoff=30),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_OK
    assert len(calls) == 4  # two busy ticks, then the two that count
    assert calls[1] - calls[0] >= 30 and calls[2] - calls[1] >= 30  # waited, never spun


def test_errors_that_waiting_cannot_mend_stop_the_loop_with_their_own_exit_code() -> None:
    from kiter.errors import Refused

    def run_one(name: str) -> None:
        raise Refused("records may have expired")

    fake = FakeTime()
    scheduler = Scheduler(
        jobs=["top"],
        run_one=run_one,
        cadence=BackToBack(),
        iterations=3,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    with pytest.raises(Refused, match="records may have expired"):
        scheduler.loop()
    assert fake.slept == []


def cron_scheduler(
    fake: FakeTime,
    calls: list[float],
    lines: list[str],
    *,
    cron: Cron | None = None,
    iterations: int = 2,
    start_now: bool = False,
    zone: tzinfo = UTC,
) -> Scheduler:
    """Rounds of one job on a cron cadence (every five minutes unless told), on the fake clock."""
    return Scheduler(
        jobs=["top"],
        run_one=lambda name: calls.append(fake.now),
        cadence=cron or Cron("*/5 * * * *"),
        iterations=iterations,
        echo=lines.append,
        clock=fake.clock,
        sleep=fake.sleep,
        start_now=start_now,
        zone=zone,
    )


def test_cron_waits_for_its_first_tick_before_the_first_round() -> None:
    fake = FakeTime(ts("2026-11-25 12:03:10"))
    calls: list[float] = []
    lines: list[str] = []
    assert cron_scheduler(fake, calls, lines).loop() == EXIT_OK
    assert calls == [ts("2026-11-25 12:05:00"), ts("2026-11-25 12:10:00")]
    assert lines[0] == "first iteration at 2026-11-25 12:05:00Z"


def test_now_runs_the_first_round_at_once_then_follows_the_cron() -> None:
    fake = FakeTime(ts("2026-11-25 12:03:10"))
    calls: list[float] = []
    lines: list[str] = []
    assert cron_scheduler(fake, calls, lines, start_now=True).loop() == EXIT_OK
    assert calls == [ts("2026-11-25 12:03:10"), ts("2026-11-25 12:05:00")]
    assert lines == ["next iteration at 2026-11-25 12:05:00Z"]


def test_wake_times_are_shown_in_the_cron_time_zone() -> None:
    fake = FakeTime(ts("2026-11-25 12:03:10"))
    lines: list[str] = []
    paris = ZoneInfo("Europe/Paris")
    cron = Cron("0 9 * * *", paris)
    assert cron_scheduler(fake, [], lines, cron=cron, iterations=1, zone=paris).loop() == EXIT_OK
    assert lines == ["first iteration at 2026-11-26 09:00:00+0100 (Europe/Paris)"]


class NeverFires:
    """A cadence with no tick at all (what an expression that never matches amounts to)."""

    def first_tick(self, now: float) -> float:
        raise UsageError("cron expression 'x' never fires")

    def next_after(self, when: float) -> float:
        raise UsageError("cron expression 'x' never fires")


@pytest.mark.parametrize("start_now", [False, True])
def test_a_cadence_that_never_fires_stops_the_loop_before_any_round(start_now: bool) -> None:
    fake = FakeTime()
    calls: list[str] = []
    scheduler = Scheduler(
        jobs=["top"],
        run_one=calls.append,
        cadence=NeverFires(),
        start_now=start_now,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    with pytest.raises(UsageError, match="never fires"):
        scheduler.loop()
    assert calls == []


def test_a_zero_backoff_still_waits_a_second_before_asking_a_busy_name_again() -> None:
    fake = FakeTime()
    calls: list[float] = []

    def run_one(name: str) -> None:
        calls.append(fake.now)
        if len(calls) <= 2:
            raise IterationBusy("iteration 4 of top is running on other (pid 1) since T")

    scheduler = Scheduler(
        jobs=["top"],
        run_one=run_one,
        cadence=BackToBack(),
        iterations=1,
        retry=RetryPolicy(first_backoff=0),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_OK
    assert [b - a for a, b in pairwise(calls)] == [1.0, 1.0]
