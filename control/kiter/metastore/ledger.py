"""kiter's iteration ledger: which iteration of a logical name runs next, who holds it, how it went.

The ledger lives in the connector's checkpoint table under a reserved hash-key prefix
(`kiter#<logical name>`), or in a table of its own: one item per iteration (range key =
zero-padded number) and one *head* item per logical name (range key `~head`, which sorts after
every number) holding the next iteration to run and the current lease. Every change is a
conditional write or a TransactWriteItems on head + iteration item, so two claimers racing on one
logical name cannot both win, and a holder whose lease was taken over cannot overwrite its
successor. A *binding* item in the checkpoint table (range key `!ledger`) names the ledger table
that keeps the logical name, so two projects with different ledger tables cannot both run it.

This room never reads or writes the connector's own items (their layout is undocumented): every
key it builds starts with the prefix, every Query names a `kiter#` hash key, and the one Scan
(`summary`, `any_running`) filters on the prefix and ignores range keys that are not kiter's.
It knows nothing of targets, rendering or the stream; the runner sequences it with them.

`Ledger` owns three parts that share one `LedgerTable` (ledgertable.py: the table's calls and
keys, owner, clock, lease length, each stored once): `reads` (ledgerreads.py), `claiming`
(claiming.py: taking an iteration under a lease) and `holding` (holding.py: the writes under a
held claim). Its methods are the rest of kiter's one way in; keys and parsing are items.py's.

Invariant: head.next = (last SUCCEEDED iteration in sequence) + 1, from head.first (0 unless the
logical name ran elsewhere before kiter took it over). A claim without an explicit number takes
head.next, which is therefore the FAILED iteration when there is one. A damaged ledger (a missing
item, a missing head, a malformed attribute) is mended only where the items say exactly how, and
refused otherwise: iteration N > first starts where iteration N-1 ended, or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kiter.metastore.claiming import LedgerClaiming
from kiter.metastore.holding import LedgerHolding
from kiter.metastore.ledgerreads import LedgerReads
from kiter.metastore.ledgertable import LedgerTable
from kiter.metastore.records import (
    Claim,
    Head,
    IterationRecord,
    Lease,
    Owner,
    epoch,
    iso,
)

__all__ = [
    "Claim",
    "Head",
    "IterationRecord",
    "Lease",
    "Ledger",
    "Owner",
    "epoch",
    "iso",
]


class Ledger:
    """The iteration ledger of every logical name in one table."""

    def __init__(
        self,
        client: Any,
        table: str,
        hash_key: str,
        range_key: str,
        *,
        owner: Owner,
        lease_seconds: int = 300,
        clock: Callable[[], float] = time.time,
        prefix: str = "kiter#",
        sleep: Callable[[float], None] = time.sleep,
        max_races: int = 8,
        checkpoint_table: str | None = None,
    ) -> None:
        self.table = LedgerTable.open(
            client,
            table,
            hash_key,
            range_key,
            owner=owner,
            lease_seconds=lease_seconds,
            clock=clock,
            prefix=prefix,
            checkpoint_table=checkpoint_table,
        )
        self.reads = LedgerReads(self.table)
        self.claiming = LedgerClaiming(self.table, self.reads, sleep=sleep, max_races=max_races)
        self.holding = LedgerHolding(self.table, self.reads)

    @property
    def owner(self) -> Owner:
        return self.table.owner

    @property
    def clock(self) -> Callable[[], float]:
        return self.table.clock

    @property
    def lease_seconds(self) -> int:
        return self.table.lease_seconds

    # ---- claiming (claiming.py) ---------------------------------------------------------------

    def claim(self, logical: str, iteration: int | None = None, *, target: str = "") -> Claim:
        return self.claiming.claim(logical, iteration, target=target)

    def start_at(self, logical: str, first: int) -> None:
        self.claiming.start_at(logical, first)

    # ---- holding a claim (holding.py) ---------------------------------------------------------

    def heartbeat(self, claim: Claim) -> Claim:
        return self.holding.heartbeat(claim)

    def confirm(self, claim: Claim, *, until: float) -> None:
        self.holding.confirm(claim, until=until)

    def running(
        self, claim: Claim, submission_id: str, target: str, *, script_sha256: str = ""
    ) -> None:
        self.holding.running(claim, submission_id, target, script_sha256=script_sha256)

    def record_boundaries(self, claim: Claim, shards: Mapping[str, Mapping[str, Any]]) -> None:
        self.holding.record_boundaries(claim, shards)

    def record_staged(self, claim: Claim, name: str, facts: Mapping[str, Any]) -> None:
        self.holding.record_staged(claim, name, facts)

    def succeed(self, claim: Claim, stats: Mapping[str, Any]) -> None:
        self.holding.succeed(claim, stats)

    def fail(self, claim: Claim, reason: str) -> None:
        self.holding.fail(claim, reason)

    def detach(self, claim: Claim, submission_id: str) -> None:
        self.holding.detach(claim, submission_id)

    def restore(self, claim: Claim) -> None:
        self.holding.restore(claim)

    # ---- reading (ledgerreads.py) -------------------------------------------------------------

    def get(self, logical: str, n: int) -> IterationRecord | None:
        return self.reads.get(logical, n)

    def head(self, logical: str) -> Head | None:
        return self.reads.head(logical)

    def lease(self, logical: str) -> Lease | None:
        return self.reads.lease(logical)

    def history(
        self, logical: str, *, newest_first: bool = False, limit: int | None = None
    ) -> list[IterationRecord]:
        return self.reads.history(logical, newest_first=newest_first, limit=limit)

    def summary(self) -> dict[str, dict[str, int]]:
        return self.reads.summary()

    def any_running(self) -> list[Lease]:
        return self.reads.any_running()
