"""The scheduler's loop and cadences without a runner: grids, cron, busy ticks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiter.errors import EXIT_OK, UsageError
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


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/5 * * * *", "2026-11-25 12:03:10", "2026-11-25 12:05:00"),
        ("*/5 * * * *", "2026-11-25 12:05:00", "2026-11-25 12:10:00"),
        ("0 9 * * 1", "2026-11-25 12:00:00", "2026-11-30 09:00:00"),  # next Monday
        ("30 2 1 * *", "2026-12-05 00:00:00", "2027-01-01 02:30:00"),
        ("0 0 29 2 *", "2026-03-01 00:00:00", "2028-02-29 00:00:00"),
        ("15,45 8-9 * * 7", "2026-11-29 08:20:00", "2026-11-29 08:45:00"),  # Sunday as 7
        ("0 12 13 * 5", "2026-11-25 00:00:00", "2026-11-27 12:00:00"),  # Friday or the 13th
    ],
)
def test_cron_expressions_find_the_next_matching_minute(
    expression: str, after: str, expected: str
) -> None:
    assert Cron(expression).next_after(ts(after)) == ts(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "needs 5 fields"),
        ("61 * * * *", "outside 0-59"),
        ("*/0 * * * *", "outside"),
        ("a * * * *", "bad minute field"),
    ],
)
def test_a_bad_cron_expression_says_which_field(expression: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Cron(expression)


def test_several_logical_names_on_one_stream_are_warned_about() -> None:
    warnings = shared_streams([("a", "logs", "a"), ("b", "logs", "b"), ("c", "clicks", "c")])
    assert warnings == [
        "stream logs is read by 2 logical names (a, b): they share each shard's 2 MB/s read "
        "limit, about 1 MB/s each"
    ]


def test_a_busy_logical_name_is_waited_for_not_counted_as_a_tick() -> None:
    from kiter.errors import IterationBusy

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
