"""The retention guard: an iteration whose records may have expired from the stream is refused.

Kinesis keeps records for the stream's retention period (24 hours to 365 days); the connector fails
on records that are gone, and staged mode would read others than the ones recorded. The guard
estimates the age of an iteration's oldest record from what the ledger recorded and asks the
stream its retention only when that age passes the 24-hour minimum every stream keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiter.aws import error_code, in_region
from kiter.echo import Echo
from kiter.errors import Refused, ServiceError
from kiter.metastore.records import Claim, IterationRecord, epoch, iso

# The shortest retention a Kinesis stream can have.
MIN_RETENTION_HOURS = 24


def guard_retention(
    claim: Claim,
    *,
    stream_hours: Callable[[], int | None],
    now: float,
    force: bool,
    echo: Echo,
) -> None:
    """Raise Refused when the claim's records may be older than the stream keeps them.

    `stream_hours` is asked only past the 24-hour minimum (one call fewer per iteration).
    With `force` a refusal becomes a warning.
    """
    if retention_check(claim, MIN_RETENTION_HOURS, now) is None:
        return
    hours = stream_hours()
    if hours is None:
        return
    refusal = retention_check(claim, hours, now)
    if refusal is None:
        return
    if force:
        echo(f"warning: {refusal} (--force: trying anyway)")
        return
    raise Refused(refusal)


def stream_retention_hours(kinesis: Any, stream: str, job: str, echo: Echo) -> int | None:
    """The stream's retention in hours; None (no guard) when it cannot be read."""
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream)
    except Exception as exc:  # no permission to describe it, say: no guard
        code = error_code(exc) or type(exc).__name__
        if code == "ResourceNotFoundException":
            raise ServiceError(
                f"stream {stream!r} of job {job} does not exist{in_region(kinesis)}"
            ) from None
        echo(f"warning: cannot read the retention of stream {stream}: {code}")
        return None
    return int(summary["StreamDescriptionSummary"]["RetentionPeriodHours"])


def retention_check(
    record_or_claim: Claim | IterationRecord, retention_hours: int, now: float
) -> str | None:
    """Refusal text when the records of this iteration may have left the stream, else None.

    The oldest record is estimated, best first, by the oldest first-arrival time recorded for its
    shards (staged mode), by when iteration K-1 was first started (K's records arrived after it
    had read to the tip), or by when K itself was first started (its records were there then).
    """
    if isinstance(record_or_claim, Claim):
        record, previous = record_or_claim.record, record_or_claim.previous
    else:
        record, previous = record_or_claim, None
    arrivals = [
        t
        for shard in record.shards.values()
        if (t := epoch(str(shard.get("first_arrival") or ""))) is not None
    ]
    if arrivals:
        oldest, basis = min(arrivals), "the oldest first arrival recorded for its shards"
    elif previous is not None and epoch(previous.first_started or previous.created) is not None:
        oldest = epoch(previous.first_started or previous.created) or 0.0
        basis = f"the first start of iteration {previous.iteration}"
    elif epoch(record.first_started) is not None:
        oldest = epoch(record.first_started) or 0.0
        basis = "its own first start"
    else:
        return None
    age_hours = (now - oldest) / 3600
    if age_hours <= retention_hours:
        return None
    return (
        f"iteration {record.iteration} of {record.logical} reads records from about {iso(oldest)} "
        f"({basis}), {age_hours:.1f} h ago, beyond the stream's retention of {retention_hours} h: "
        "they may have expired and the connector would fail on them. A new logical name starts "
        "over from the stream's current data; pass --force to try anyway"
    )
