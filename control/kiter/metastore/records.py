"""What the ledger records and hands out: owners, leases, heads, iteration records, claims.

Plain data; reading and writing it is ledger.py's job, the retention guard over it retention.py's.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def iso(t: float) -> str:
    """Epoch seconds as an ISO-8601 UTC time to the second, e.g. 2025-01-31T12:00:00Z."""
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> float | None:
    """An ISO-8601 time (naive means UTC) as epoch seconds; None for '' or unparseable text."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


@dataclass(frozen=True)
class Owner:
    """Who holds a lease: the host, the process and the kiter run (unique per invocation)."""

    host: str
    pid: int
    run_id: str

    @classmethod
    def current(cls, run_id: str | None = None) -> Owner:
        return cls(socket.gethostname(), os.getpid(), run_id or uuid.uuid4().hex[:12])

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "pid": self.pid, "run_id": self.run_id}


@dataclass(frozen=True)
class Lease:
    """A live or expired lease on a logical name, as the head item records it."""

    logical: str
    iteration: int
    owner: Owner
    since: str
    expires: float
    token: str

    def busy_message(self) -> str:
        return (
            f"iteration {self.iteration} of {self.logical} is running on {self.owner.host} "
            f"(pid {self.owner.pid}) since {self.since}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "logical": self.logical,
            "iteration": self.iteration,
            "owner": self.owner.to_json(),
            "since": self.since,
            "expires": iso(self.expires),
        }


# The reason `kiter stage` records for an iteration it read and did not run: FAILED, so that the
# next claim takes it, but nothing failed (`kiter status` shows it as staged).
STAGED_NOT_RUN = "staged, not yet run"


@dataclass
class IterationRecord:
    """One iteration of one logical name as the ledger holds it (its latest attempt)."""

    logical: str
    iteration: int
    state: str
    attempts: int = 0
    owner: Owner | None = None
    lease_expires: float | None = None
    target: str = ""
    submission_id: str = ""
    script_sha256: str = ""
    created: str = ""  # first claim
    claimed: str = ""  # latest claim
    started: str = ""  # latest submission
    first_started: str = ""  # first submission ever
    finished: str = ""
    reason: str = ""
    shards: dict[str, dict[str, Any]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    # What else was staged with the iteration (a campaign snapshot: its sha256 and rows), so that
    # its reruns reuse it.
    staged: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def staged_not_run(self) -> bool:
        """Staged by `kiter stage` and waiting for a submit (kept FAILED for the next claim)."""
        return self.state == "FAILED" and self.reason.startswith(STAGED_NOT_RUN)

    def to_json(self) -> dict[str, Any]:
        return {
            "logical": self.logical,
            "iteration": self.iteration,
            "state": self.state,
            "attempts": self.attempts,
            "owner": self.owner.to_json() if self.owner else None,
            "lease_expires": iso(self.lease_expires) if self.lease_expires else None,
            "target": self.target,
            "submission_id": self.submission_id,
            "script_sha256": self.script_sha256,
            "created": self.created,
            "claimed": self.claimed,
            "started": self.started,
            "first_started": self.first_started,
            "finished": self.finished,
            "reason": self.reason,
            "shards": self.shards,
            "stats": self.stats,
            "staged": self.staged,
        }


@dataclass(frozen=True)
class Head:
    """A logical name's head item: the next iteration, the first kiter runs, the lease."""

    logical: str
    next: int
    version: int
    first: int = 0  # above 0 when the logical name ran elsewhere first (kiter import)
    lease: Lease | None = None


@dataclass(frozen=True)
class Claim:
    """A won claim: iteration `iteration` of `logical` is ours until the lease expires."""

    logical: str
    iteration: int
    attempt: int  # 1-based; counts every claim of this iteration
    rerun: bool  # retry of a FAILED/expired attempt or a deliberate re-run: set without-wait
    previous: IterationRecord | None  # iteration-1: its shard ends are our starts (staged)
    record: IterationRecord  # this iteration as claimed; recorded shards = re-read exactly these
    owner: Owner
    token: str
    lease_expires: float
    advances: bool  # succeeding moves head.next past this iteration (False for re-runs of old ones)
    prior: IterationRecord | None = None  # the iteration as it stood before this claim
    notes: tuple[str, ...] = ()  # what the claim had to mend on the way (a rebuilt head)

    def to_json(self) -> dict[str, Any]:
        return {
            "logical": self.logical,
            "iteration": self.iteration,
            "attempt": self.attempt,
            "rerun": self.rerun,
            "owner": self.owner.to_json(),
            "lease_expires": iso(self.lease_expires),
            "previous": self.previous.to_json() if self.previous else None,
            "record": self.record.to_json(),
        }
