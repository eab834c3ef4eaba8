"""What an attempt tells those who watch it: when it started, and how it ended.

The runner reports every attempt it claimed to one `Watcher`: `attempt_started` right after the
claim, `attempt_ended` once, whatever the ending (an outcome from the engine, an error, Ctrl-C, a
lost lease). The run log (kiter.runlog), the metrics (kiter.metrics) and the alerts
(kiter.alerts) are watchers. A report holds facts only, its cause already masked by the runner's
redactor; a watcher must not raise (what it cannot do it says on its own channel) and must not
change the iteration's outcome. Nothing here imports the runner, the ledger or a target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from kiter.errors import Interrupted, LeaseLost, Refused
from kiter.secrets import Redactor

if TYPE_CHECKING:
    from kiter.stream.plan import IterationRead
    from kiter.targets.base import Outcome

# How an attempt ended: the ledger's states, and three it does not record as such.
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
SUBMITTED = "SUBMITTED"  # --no-wait: the engine took the script; its end is not known yet
INTERRUPTED = "INTERRUPTED"  # Ctrl-C or SIGTERM (the ledger says FAILED, "interrupted")
REFUSED = "REFUSED"  # a guard refused (expired records): no script ran
LOST = "LOST"  # another attempt took the iteration over; this one recorded nothing
CANCELLED = "CANCELLED"  # the engine says the run was cancelled (not by kiter)
STATES = (SUCCEEDED, FAILED, SUBMITTED, CANCELLED, INTERRUPTED, REFUSED, LOST)


@dataclass(frozen=True)
class AttemptStarted:
    job: str
    logical_name: str
    iteration: int
    attempt: int
    target: str
    at: float  # epoch seconds


@dataclass(frozen=True)
class AttemptReport:
    """One attempt's end: what the metrics, the run log and the alerts are made of."""

    job: str
    logical_name: str
    iteration: int
    attempt: int
    target: str
    state: str
    cause: str
    started: float  # epoch seconds
    ended: float
    seconds: Mapping[str, float] = field(default_factory=dict)  # read, submit (engine), total
    records: int | None = None  # staged jobs only
    bytes: int | None = None
    oldest_arrival: float | None = None  # epoch of the oldest record staged, when any was
    script_sha256: str | None = None
    submission_id: str = ""

    @property
    def read_seconds(self) -> float | None:
        return self.seconds.get("read")

    @property
    def engine_seconds(self) -> float | None:
        return self.seconds.get("submit")

    @property
    def duration_seconds(self) -> float:
        return self.seconds.get("total", max(0.0, self.ended - self.started))

    @property
    def backlog_age_seconds(self) -> float | None:
        """How old the oldest record this attempt staged was when its read ended (0: it read
        none); None for connector jobs, whose positions the connector keeps."""
        if self.records is None:
            return None
        if self.oldest_arrival is None:
            return 0.0
        read_end = self.started + (self.read_seconds or 0.0)
        return max(0.0, read_end - self.oldest_arrival)


class Watcher(Protocol):
    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None: ...

    def attempt_ended(self, report: AttemptReport) -> None: ...


class Nobody:
    """The watcher when nobody watches."""

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        pass

    def attempt_ended(self, report: AttemptReport) -> None:
        pass


NOBODY = Nobody()


class Watchers:
    """Several watchers as one, told in order."""

    def __init__(self, watchers: Iterable[Watcher]) -> None:
        self.watchers = list(watchers)

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        for watcher in self.watchers:
            watcher.attempt_started(started, redact)

    def attempt_ended(self, report: AttemptReport) -> None:
        for watcher in self.watchers:
            watcher.attempt_ended(report)


@dataclass
class Seen:
    """What an attempt got to before it ended: the runner fills it in as it goes."""

    started: AttemptStarted
    redact: Redactor
    read: IterationRead | None = None
    sha256: str | None = None
    outcome: Outcome | None = None

    def ended(
        self, at: float, seconds: Mapping[str, float], error: BaseException | None = None
    ) -> AttemptReport:
        """The report of the attempt, ended at `at` by its outcome or by `error`."""
        outcome, read, start = self.outcome, self.read, self.started
        state: str = FAILED
        if outcome is not None and (error is None or outcome.state != SUCCEEDED):
            state, cause = outcome.state, outcome.cause
        else:  # no outcome yet, or a success that could not be recorded
            state, cause = (ended_by(error), str(error)) if error else (FAILED, "")
        return AttemptReport(
            job=start.job,
            logical_name=start.logical_name,
            iteration=start.iteration,
            attempt=start.attempt,
            target=start.target,
            state=state,
            cause=self.redact(cause),
            started=start.at,
            ended=at,
            seconds=dict(seconds),
            records=read.total_records if read is not None else None,
            bytes=read.total_bytes if read is not None else None,
            oldest_arrival=oldest(s.first_arrival for s in read.stats.values()) if read else None,
            script_sha256=self.sha256,
            submission_id=outcome.submission_id if outcome is not None else "",
        )


def ended_by(error: BaseException) -> str:
    """The state of an attempt that ended with `error` instead of an engine's outcome."""
    if isinstance(error, LeaseLost):
        return LOST
    if isinstance(error, Interrupted | KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(error, Refused):
        return REFUSED
    return FAILED


def oldest(arrivals: Iterable[str | None]) -> float | None:
    """The earliest of the stream reader's ISO-8601 arrival times, as epoch seconds."""
    from kiter.metastore.records import epoch

    times = [t for a in arrivals if a and (t := epoch(a)) is not None]
    return min(times, default=None)


def utc_iso(epoch: float) -> str:
    """Epoch seconds as UTC ISO-8601 with milliseconds: 2024-05-01T12:00:00.123Z."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
