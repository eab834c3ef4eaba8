"""The retention guard: may the records of an iteration have left the stream?"""

from __future__ import annotations

from kiter.metastore.ledger import Claim, IterationRecord, Owner, iso
from kiter.metastore.retention import retention_check

HOUR = 3600.0
NOW = 1_750_000_000.0


def _iso(hours_ago: float) -> str:
    return iso(NOW - hours_ago * HOUR)


def _claim(record: IterationRecord, previous: IterationRecord | None) -> Claim:
    return Claim(
        logical=record.logical,
        iteration=record.iteration,
        attempt=record.attempts,
        rerun=True,
        previous=previous,
        record=record,
        owner=Owner("h", 1, "r"),
        token="t",
        lease_expires=NOW + 300,
        advances=True,
    )


def test_the_oldest_first_arrival_of_the_shards_decides() -> None:
    record = IterationRecord(
        "orders",
        4,
        "FAILED",
        attempts=1,
        first_started=_iso(1),
        shards={
            "a": {"start": "1", "end": "2", "first_arrival": _iso(30)},
            "b": {"start": "3", "end": "4", "first_arrival": _iso(2)},
        },
    )
    text = retention_check(record, 24, NOW)
    assert text is not None
    assert text.startswith(f"iteration 4 of orders reads records from about {_iso(30)}")
    assert "oldest first arrival recorded for its shards" in text
    assert "30.0 h ago, beyond the stream's retention of 24 h" in text
    assert "connector would fail" in text
    assert "new logical name" in text and "--force" in text
    assert retention_check(record, 48, NOW) is None


def test_without_arrivals_the_first_start_of_the_previous_iteration_decides() -> None:
    previous = IterationRecord("orders", 3, "SUCCEEDED", first_started=_iso(26))
    record = IterationRecord("orders", 4, "FAILED", first_started=_iso(1))
    text = retention_check(_claim(record, previous), 24, NOW)
    assert text is not None and "the first start of iteration 3" in text
    assert retention_check(_claim(record, previous), 27, NOW) is None


def test_a_fresh_iteration_after_a_long_pause_is_refused_too() -> None:
    previous = IterationRecord("orders", 7, "SUCCEEDED", first_started=_iso(200))
    fresh = IterationRecord("orders", 8, "CLAIMED", attempts=1)
    assert retention_check(_claim(fresh, previous), 168, NOW) is not None


def test_without_a_previous_iteration_its_own_first_start_decides() -> None:
    record = IterationRecord("orders", 0, "FAILED", first_started=_iso(25))
    text = retention_check(record, 24, NOW)
    assert text is not None and "its own first start" in text


def test_nothing_known_means_nothing_to_refuse() -> None:
    assert retention_check(IterationRecord("orders", 0, "CLAIMED"), 24, NOW) is None
