"""The scheduler's loop and cadences without a runner: grids, first ticks, busy ticks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from kiter.cadence import BackToBack, Cron, Every
from kiter.errors import EXIT_OK, IterationBusy, UsageError
from kiter.scheduler import RetryPolicy, Scheduler, shared_streams
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


def busy_twice(iterations: int, first_backoff: float) -> list[float]:
    """When each run of a job started whose logical name another holder runs the first two
    times; the loop must end EXIT_OK."""
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
        iterations=iterations,
        retry=RetryPolicy(first_backoff=first_backoff),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_OK
    return calls


def test_a_busy_logical_name_is_waited_for_not_counted_as_a_tick() -> None:
    calls = busy_twice(iterations=2, first_backoff=30)
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
    calls = busy_twice(iterations=1, first_backoff=0)
    assert [b - a for a, b in pairwise(calls)] == [1.0, 1.0]


def test_a_slow_job_does_not_delay_the_ticks_of_another() -> None:
    """`slow` holds its first iteration until `fast` has had three ticks of its own cadence."""
    import threading

    fake = FakeTime(1000.0)
    fast_ticks: list[float] = []
    third_fast_tick = threading.Event()

    def run_one(name: str) -> None:
        if name == "fast":
            fast_ticks.append(fake.now)
            if len(fast_ticks) == 3:
                third_fast_tick.set()
        elif not third_fast_tick.wait(timeout=30):
            raise AssertionError("fast never ticked while slow ran")

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        time.sleep(0.001)  # let the worker threads run: they live in real time

    scheduler = Scheduler(
        jobs=["slow", "fast"],
        run_one=run_one,
        cadence=Every(60, start=fake.now),
        iterations=3,
        clock=fake.clock,
        sleep=sleep,
        max_parallel=2,
    )
    assert scheduler.loop() == EXIT_OK
    # On its grid while slow held its first iteration (give or take the naps of thread starts).
    grid = [1000.0, 1060.0, 1120.0]
    assert all(0 <= t - g < 10 for t, g in zip(fast_ticks[:3], grid, strict=True)), fast_ticks


def test_a_job_that_gives_up_leaves_the_others_running_and_the_loop_ends_with_exit_1() -> None:
    from kiter.errors import EXIT_FAILED, JobFailed

    fake = FakeTime()
    runs: dict[str, int] = {"broken": 0, "fine": 0}
    lines: list[str] = []

    def run_one(name: str) -> None:
        runs[name] += 1
        if name == "broken":
            raise JobFailed("the engine said no")

    scheduler = Scheduler(
        jobs=["broken", "fine"],
        run_one=run_one,
        cadence=Every(60, start=fake.now),
        iterations=5,
        retry=RetryPolicy(max_retries=2, first_backoff=1),
        echo=lines.append,
        clock=fake.clock,
        sleep=fake.sleep,
        max_parallel=2,
    )
    assert scheduler.loop() == EXIT_FAILED
    assert runs == {"broken": 3, "fine": 5}
    assert "broken: giving up after 2 retries of the same iteration: the engine said no" in lines
    assert any(line.startswith("fine: next iteration at") for line in lines)


def test_no_more_jobs_run_at_once_than_max_parallel() -> None:
    import threading

    fake = FakeTime()
    lock = threading.Lock()
    now_running: list[str] = []
    most = 0

    def run_one(name: str) -> None:
        nonlocal most
        with lock:
            now_running.append(name)
            most = max(most, len(now_running))
        threading.Event().wait(0.05)
        with lock:
            now_running.remove(name)

    scheduler = Scheduler(
        jobs=[f"job{i}" for i in range(6)],
        run_one=run_one,
        cadence=BackToBack(),
        iterations=2,
        clock=fake.clock,
        sleep=fake.sleep,
        max_parallel=2,
    )
    assert scheduler.loop() == EXIT_OK
    assert most == 2


def test_ctrl_c_asks_every_running_job_to_stop_and_waits_for_each() -> None:
    import threading

    from kiter.errors import Interrupted
    from kiter.stopping import Stop

    stop = Stop()
    started = threading.Barrier(3, timeout=10)
    stopped: list[str] = []

    def run_one(name: str) -> None:
        started.wait()
        try:
            while True:
                stop.sleep(0.01)  # an engine wait: a stop request ends it
        except KeyboardInterrupt:
            stopped.append(name)
            raise Interrupted(f"iteration of {name} interrupted and marked FAILED") from None

    def sleep(seconds: float) -> None:
        if started.n_waiting == 2:
            started.wait()
            raise KeyboardInterrupt  # Ctrl-C reaches the main thread while both jobs run
        threading.Event().wait(seconds)

    scheduler = Scheduler(
        jobs=["a", "b"],
        run_one=run_one,
        cadence=BackToBack(),
        iterations=1,
        sleep=sleep,
        max_parallel=2,
        stop=stop,
    )
    with pytest.raises(Interrupted, match="stopped 2 running iteration"):
        scheduler.loop()
    assert sorted(stopped) == ["a", "b"]
