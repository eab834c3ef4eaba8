"""The loop over iterations on a cadence: `kiter run`.

Each tick runs the next iteration of every scheduled job through the runner. A failed iteration
is retried with the same number (the ledger hands it back, as a rerun) after a backoff, up to a
limit; then the loop stops. The ledger, not this loop, guarantees that N+1 never starts before N
succeeded. A cadence can be a fixed period (`--every 1m`: one minute works, Data Pipeline's
floor is 15) or a cron expression. Time and sleep are injected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kiter.durations import format_duration
from kiter.durations import parse_duration as parse_duration  # cli/status.py imports it here
from kiter.echo import Echo, no_echo
from kiter.errors import EXIT_FAILED, EXIT_OK, IterationBusy, JobFailed, ServiceError, UsageError


class Cadence(Protocol):
    def next_after(self, when: float) -> float:
        """The first tick strictly after `when` (epoch seconds)."""
        ...


@dataclass(frozen=True)
class BackToBack:
    """No cadence: the next iteration starts as soon as the last one ends."""

    def next_after(self, when: float) -> float:
        return when


@dataclass(frozen=True)
class Every:
    """Ticks every `seconds`, anchored at `start`; ticks missed while running are skipped."""

    seconds: float
    start: float

    def next_after(self, when: float) -> float:
        periods = int((when - self.start) // self.seconds) + 1
        return self.start + periods * self.seconds


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression (minute hour day-of-month month day-of-week), in UTC."""

    expression: str
    fields: tuple[frozenset[int], ...] = field(init=False, repr=False)
    dom_any: bool = field(init=False, repr=False)
    dow_any: bool = field(init=False, repr=False)

    _RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
    _NAMES = ("minute", "hour", "day of month", "month", "day of week")

    def __post_init__(self) -> None:
        parts = self.expression.split()
        if len(parts) != 5:
            raise UsageError(
                f"cron expression {self.expression!r} needs 5 fields "
                "(minute hour day-of-month month day-of-week)"
            )
        parsed = tuple(
            _cron_field(part, low, high, name, self.expression)
            for part, (low, high), name in zip(parts, self._RANGES, self._NAMES, strict=True)
        )
        # Sunday may be written 7.
        dow = frozenset(d % 7 for d in parsed[4])
        object.__setattr__(self, "fields", (*parsed[:4], dow))
        object.__setattr__(self, "dom_any", parts[2] == "*")
        object.__setattr__(self, "dow_any", parts[4] == "*")

    def next_after(self, when: float) -> float:
        minute, hour, dom, month, dow = self.fields
        t = datetime.fromtimestamp(when, UTC).replace(second=0, microsecond=0) + timedelta(
            minutes=1
        )
        limit = t + timedelta(days=366 * 5)
        while t < limit:
            if t.month not in month:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(t, dom, dow):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if t.hour not in hour:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in minute:
                t += timedelta(minutes=1)
                continue
            return t.timestamp()
        raise UsageError(f"cron expression {self.expression!r} never matches")

    def _day_matches(self, t: datetime, dom: frozenset[int], dow: frozenset[int]) -> bool:
        in_dom, in_dow = t.day in dom, (t.isoweekday() % 7) in dow
        # Cron's rule: when both day fields are restricted, either one matching is enough.
        if not self.dom_any and not self.dow_any:
            return in_dom or in_dow
        return in_dom and in_dow


def _cron_field(text: str, low: int, high: int, name: str, expression: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                first, last = low, high
            elif "-" in base:
                a, b = base.split("-", 1)
                first, last = int(a), int(b)
            else:
                first = int(base)
                last = high if step_text else first
        except ValueError:
            raise UsageError(f"cron expression {expression!r}: bad {name} field {text!r}") from None
        top = 7 if name == "day of week" else high
        if step < 1 or not (low <= first <= last <= top):
            raise UsageError(
                f"cron expression {expression!r}: {name} field {text!r} is outside {low}-{high}"
            )
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and after how long a failed iteration is retried with the same number."""

    max_retries: int = 3
    first_backoff: float = 10.0
    max_backoff: float = 300.0

    def backoff(self, retry: int) -> float:
        return min(self.max_backoff, self.first_backoff * 2 ** max(0, retry - 1))


DONE, BUSY, FAILED = "done", "busy", "failed"

# Failures the loop retries: the engine said no, or a service hiccuped. Bad config, a refused
# guard or a busy logical name are not made better by waiting a few seconds.
RETRYABLE = (JobFailed, ServiceError)


@dataclass
class Scheduler:
    """Runs `run_one(job_name)` for each job on every tick of `cadence`."""

    jobs: Sequence[str]
    run_one: Callable[[str], object]
    cadence: Cadence
    iterations: int | None = None  # stop after this many successful ticks; None: forever
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    echo: Echo = no_echo
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    completed: int = 0

    def loop(self) -> int:
        """Run until `iterations` ticks succeeded (exit 0) or a job gives up (exit 1).

        Errors retrying cannot mend (bad configuration, a refused guard) and Interrupted
        (SIGINT/SIGTERM, after the runner recorded it) propagate with their own exit codes.
        """
        while self.iterations is None or self.completed < self.iterations:
            outcomes = [self._run_with_retries(job) for job in self.jobs]
            if FAILED in outcomes:
                return EXIT_FAILED
            now = self.clock()
            if BUSY in outcomes:
                # Another run holds a logical name: this tick did not happen; wait and try again.
                wake = max(self.cadence.next_after(now), now + self.retry.first_backoff)
            else:
                self.completed += 1
                if self.iterations is not None and self.completed >= self.iterations:
                    break
                wake = self.cadence.next_after(now)
            if wake > now:
                self.echo(
                    f"next iteration at {datetime.fromtimestamp(wake, UTC):%Y-%m-%d %H:%M:%SZ}"
                )
                self._sleep_until(wake)
        return EXIT_OK

    def _run_with_retries(self, job: str) -> str:
        retries = 0
        while True:
            try:
                self.run_one(job)
                return DONE
            except IterationBusy as exc:
                self.echo(f"{job}: {exc}")
                return BUSY
            except RETRYABLE as exc:
                if not exc.retryable:
                    raise  # credentials, permissions, a missing table: waiting mends nothing
                retries += 1
                if retries > self.retry.max_retries:
                    self.echo(
                        f"{job}: giving up after {self.retry.max_retries} retries of the same "
                        f"iteration: {exc}"
                    )
                    return FAILED
                wait = self.retry.backoff(retries)
                self.echo(
                    f"{job}: failed ({_first_line(exc)}); retry {retries} of "
                    f"{self.retry.max_retries} with the same iteration in {format_duration(wait)}"
                )
                self._sleep_until(self.clock() + wait)

    def _sleep_until(self, wake: float) -> None:
        # Short naps so a signal is handled promptly even with a long cadence.
        while (left := wake - self.clock()) > 0:
            self.sleep(min(left, 1.0))


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def shared_streams(jobs: Sequence[tuple[str, str, str]]) -> list[str]:
    """Warnings for streams read by several logical names: they share 2 MB/s per shard.

    `jobs` holds (job, stream, logical name) triples.
    """
    readers: dict[str, set[str]] = {}
    for _job, stream, logical in jobs:
        readers.setdefault(stream, set()).add(logical)
    return [
        f"stream {stream} is read by {len(names)} logical names ({', '.join(sorted(names))}): "
        f"they share each shard's 2 MB/s read limit, about {2 / len(names):.2g} MB/s each"
        for stream, names in sorted(readers.items())
        if len(names) > 1
    ]
