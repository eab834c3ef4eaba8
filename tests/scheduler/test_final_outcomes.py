"""The scheduler tells each final outcome once, never a retry: what alerts fire on."""

from __future__ import annotations

from pathlib import Path

from kiter.alerts import Alerts
from kiter.cadence import BackToBack
from kiter.errors import EXIT_FAILED, EXIT_OK, JobFailed
from kiter.scheduler import RetryPolicy, Scheduler
from kiter.watch import AttemptReport
from kiter_support import FakeTime


class Engine:
    """Attempts of iterations, told to the alerts as the runner would, failing as scripted."""

    def __init__(self, alerts: Alerts, fails: dict[int, int]) -> None:
        self.alerts = alerts
        self.fails = fails  # iteration -> how many of its attempts fail
        self.iteration, self.attempt = 0, 0

    def run_one(self, job: str) -> None:
        self.attempt += 1
        failed = self.attempt <= self.fails.get(self.iteration, 0)
        state, cause = ("FAILED", "boom") if failed else ("SUCCEEDED", "")
        report = AttemptReport(job, "top", self.iteration, self.attempt, "e", state, cause, 0, 1)
        self.alerts.attempt_ended(report)
        if failed:
            raise JobFailed(f"iteration {self.iteration} of top failed on engine")
        self.iteration, self.attempt = self.iteration + 1, 0


def hook_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_hooks_fire_once_per_final_outcome_across_retries(tmp_path: Path) -> None:
    fired = tmp_path / "fired"
    log = f'echo "$KITER_STATE $KITER_ITERATION $KITER_ATTEMPT" >> {fired}'
    alerts = Alerts({"top": "top"}, on_success=log, on_failure=log)
    engine = Engine(alerts, fails={1: 2})  # iteration 1 succeeds at its third attempt
    fake = FakeTime()
    finals: list[tuple[str, BaseException | None]] = []

    def on_final(job: str, error: BaseException | None) -> None:
        finals.append((job, error))
        alerts.final(job, error)

    scheduler = Scheduler(
        jobs=["top"],
        run_one=engine.run_one,
        cadence=BackToBack(),
        iterations=3,
        retry=RetryPolicy(max_retries=3, first_backoff=10),
        clock=fake.clock,
        sleep=fake.sleep,
        on_final=on_final,
    )

    assert scheduler.loop() == EXIT_OK
    assert [error for _, error in finals] == [None, None, None]  # the two retries told nothing
    assert hook_lines(fired) == ["SUCCEEDED 0 1", "SUCCEEDED 1 3", "SUCCEEDED 2 1"]


def test_a_give_up_fires_the_failure_hook_once_with_the_last_attempt(tmp_path: Path) -> None:
    fired = tmp_path / "fired"
    alerts = Alerts(
        {"top": "top"},
        on_failure=f'echo "$KITER_STATE $KITER_ITERATION $KITER_ATTEMPT $KITER_CAUSE" >> {fired}',
    )
    engine = Engine(alerts, fails={0: 99})
    fake = FakeTime()
    scheduler = Scheduler(
        jobs=["top"],
        run_one=engine.run_one,
        cadence=BackToBack(),
        iterations=1,
        retry=RetryPolicy(max_retries=2, first_backoff=10),
        clock=fake.clock,
        sleep=fake.sleep,
        on_final=alerts.final,
    )

    assert scheduler.loop() == EXIT_FAILED
    assert engine.attempt == 3  # the first try and two retries
    assert hook_lines(fired) == ["FAILED 0 3 boom"]
