"""The loop over iterations on a cadence: `kiter run`.

Each tick runs the next iteration of every scheduled job through the runner. A failed iteration
is retried with the same number (the ledger hands it back, as a rerun) after a backoff, up to a
limit; then the loop stops. The ledger, not this loop, guarantees that N+1 never starts before N
succeeded. A cadence can be a fixed period (`--every 1m`: one minute works, Data Pipeline's
floor is 15; the first round at once) or a cron expression in a time zone (cronsim's; the first
round at its first tick, unless told to start at once). Time and sleep are injected.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from kiter.durations import format_duration, parse_duration
from kiter.echo import Echo, no_echo
from kiter.errors import EXIT_FAILED, EXIT_OK, IterationBusy, JobFailed, ServiceError, UsageError


class Cadence(Protocol):
    def first_tick(self, now: float) -> float:
        """When the first round is due (`now` or earlier: at once); a UsageError if never."""
        ...

    def next_after(self, when: float) -> float:
        """The first tick strictly after `when` (epoch seconds)."""
        ...


@dataclass(frozen=True)
class BackToBack:
    """No cadence: the next iteration starts as soon as the last one ends."""

    def first_tick(self, now: float) -> float:
        return now

    def next_after(self, when: float) -> float:
        return when


@dataclass(frozen=True)
class Every:
    """Ticks every `seconds`, the first at `start`; ticks missed while running are skipped."""

    seconds: float
    start: float

    def first_tick(self, now: float) -> float:
        return self.start

    def next_after(self, when: float) -> float:
        periods = int((when - self.start) // self.seconds) + 1
        return self.start + periods * self.seconds


# crontab(5)'s macros; @reboot is not a cadence.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Each field's name and what it accepts, for messages; cronsim says only "Bad minute".
_FIELDS = (
    ("minute", 0, 59, "0-59"),
    ("hour", 0, 23, "0-23"),
    ("day-of-month", 1, 31, "1-31, L or LW"),
    ("month", 1, 12, "1-12 or JAN-DEC"),
    ("day-of-week", 0, 7, "0-7 or SUN-SAT (7 is Sunday too), 5L (last Friday), 1#2"),
)
_PROBE = datetime(2000, 1, 1, tzinfo=UTC)  # construction only parses; any instant will do


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression (minute hour day-of-month month day-of-week) or a macro such
    as @hourly, in `zone`. cronsim parses and matches it as Debian cron does: names (JAN, MON-FRI),
    L, LW, 5L, 1#2, either day field matching when both are restricted, and a fixed-time job
    run once across a daylight-saving change."""

    expression: str
    zone: tzinfo = UTC
    fields: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        text = self.expression.strip()
        fields = MACROS.get(text.lower(), text) if text.startswith("@") else text
        if fields.startswith("@"):
            raise UsageError(
                f"cron expression {self.expression!r}: unknown macro; use one of "
                f"{', '.join(MACROS)}"
            )
        if len(fields.split()) != 5:
            raise UsageError(
                f"cron expression {self.expression!r} needs 5 fields "
                "(minute hour day-of-month month day-of-week) or a macro such as @hourly"
            )
        try:
            # cronsim also refuses a day of month no chosen month has (0 0 30 2 *) right here.
            CronSim(fields, _PROBE)
        except CronSimError:
            raise UsageError(_why(self.expression, fields)) from None
        object.__setattr__(self, "fields", fields)

    def first_tick(self, now: float) -> float:
        return self.next_after(now)

    def next_after(self, when: float) -> float:
        start = datetime.fromtimestamp(when, self.zone)
        # cronsim works on wall-clock time for fixed-time jobs; in the hour repeated when clocks
        # go back it can answer a moment already past, which would run a round twice.
        for fire in CronSim(self.fields, start):
            if fire.timestamp() > when:
                return fire.timestamp()
        raise UsageError(
            f"cron expression {self.expression!r} never fires "
            f"(cronsim looks 50 years ahead of {start:%Y-%m-%d})"
        )


def _why(expression: str, fields: str) -> str:
    """Which field of a refused expression is wrong and why, found by trying each one alone."""
    parts = fields.split()
    for index, part in enumerate(parts):
        alone = " ".join(part if i == index else "*" for i in range(5))
        try:
            CronSim(alone, _PROBE)
        except CronSimError:
            return f"cron expression {expression!r}: {_field_problem(index, part)}"
    return (
        f"cron expression {expression!r} never fires: day-of-month {parts[2]!r} falls in none "
        f"of the months {parts[3]!r}"
    )


def _field_problem(index: int, part: str) -> str:
    name, low, high, accepted = _FIELDS[index]
    if any(int(step) == 0 for step in re.findall(r"/(\d+)", part)):
        return f"{name} field {part!r} has a step of 0; a step is 1 or more (*/1 is every {name})"
    # Numbers after / are steps and after # an nth weekday: not values of the field.
    values = [int(v) for v in re.findall(r"(?<![/#\d])\d+", part)]
    if any(not low <= v <= high for v in values):
        return f"{name} field {part!r} is outside {low}-{high}"
    return (
        f"bad {name} field {part!r}: it takes {accepted}, lists (a,b), ranges (a-b) and steps (*/n)"
    )


def parse_zone(name: str) -> tzinfo:
    """An IANA time zone (Europe/Paris), or UTC; a UsageError naming `name` when unknown."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(
            f"unknown time zone {name!r}: give an IANA name such as Europe/Paris, "
            "America/New_York or UTC"
        ) from None


def make_cadence(
    *, every: str | None, cron: str | None, zone: str | None, now: float
) -> tuple[Cadence, tzinfo]:
    """The cadence `kiter run` options ask for, checked before anything runs, with the zone its
    times are shown in."""
    if every and cron:
        raise UsageError("choose --every or --cron, not both")
    if zone is not None and not cron:
        raise UsageError("--tz applies to --cron only (--every and back-to-back runs need none)")
    tz = parse_zone(zone) if zone is not None else UTC
    if cron:
        return Cron(cron, tz), tz
    if every:
        return Every(parse_duration(every, option="--every"), start=now), tz
    return BackToBack(), tz


@dataclass(frozen=True)
class RetryPolicy:
    """How often and after how long a failed iteration is retried with the same number."""

    max_retries: int = 3
    first_backoff: float = 10.0
    max_backoff: float = 300.0

    def backoff(self, retry: int) -> float:
        return min(self.max_backoff, self.first_backoff * 2 ** max(0, retry - 1))


DONE, BUSY, FAILED = "done", "busy", "failed"
BUSY_FLOOR = 1.0  # seconds: the shortest wait before asking again for a busy logical name

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
    start_now: bool = False  # run the first round at once, not at the cadence's first tick
    zone: tzinfo = UTC  # the zone wake times are shown in
    completed: int = 0

    def loop(self) -> int:
        """Run until `iterations` ticks succeeded (exit 0) or a job gives up (exit 1).

        Errors retrying cannot mend (bad configuration, a refused guard) and Interrupted
        (SIGINT/SIGTERM, after the runner recorded it) propagate with their own exit codes.
        """
        # Found before anything runs: a cadence that never fires stops here, not after a round.
        first = self.cadence.first_tick(self.clock())
        if not self.start_now:
            self._wait_for(first, "first")
        while self.iterations is None or self.completed < self.iterations:
            outcomes = [self._run_with_retries(job) for job in self.jobs]
            if FAILED in outcomes:
                return EXIT_FAILED
            now = self.clock()
            if BUSY in outcomes:
                # Another run holds a logical name: this tick did not happen; wait and try again,
                # never sooner than a second (a zero --backoff must not poll the ledger in a spin).
                pause = max(self.retry.first_backoff, BUSY_FLOOR)
                wake = max(self.cadence.next_after(now), now + pause)
            else:
                self.completed += 1
                if self.iterations is not None and self.completed >= self.iterations:
                    break
                wake = self.cadence.next_after(now)
            self._wait_for(wake, "next")
        return EXIT_OK

    def _wait_for(self, wake: float, which: str) -> None:
        if wake > self.clock():
            self.echo(f"{which} iteration at {self._shown(wake)}")
            self._sleep_until(wake)

    def _shown(self, wake: float) -> str:
        if self.zone is UTC:
            return f"{datetime.fromtimestamp(wake, UTC):%Y-%m-%d %H:%M:%SZ}"
        local = datetime.fromtimestamp(wake, self.zone)
        return f"{local:%Y-%m-%d %H:%M:%S%z} ({self.zone})"

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
