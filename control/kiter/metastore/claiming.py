"""Claiming an iteration in the ledger: the next one (or an explicit re-run) under a new lease.

A claim reads the head and the two newest iterations in one Query, decides, and writes head,
iteration item and the checkpoint table's binding in one TransactWriteItems conditional on what
it read, so two claimers racing on one logical name cannot both win; a claimer that lost reads
again. A missing head is rebuilt from the items only where they say exactly how. This part
writes nothing under a held claim (holding.py does).
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from kiter.errors import ConfigError, IterationBusy, LedgerDamaged, Refused, ServiceError
from kiter.metastore.dynamo import ConditionFailed, from_item
from kiter.metastore.items import BINDING, BINDING_WRITE, HEAD, attribute
from kiter.metastore.ledgerreads import LedgerReads
from kiter.metastore.ledgertable import LedgerTable
from kiter.metastore.records import Claim, Head, IterationRecord, iso


@dataclass(frozen=True)
class _ClaimPlan:
    """Everything one claim attempt read, and the iteration it is about to take."""

    logical: str
    iteration: int
    head: Head | None
    existing: IterationRecord | None  # the iteration as it stands (None: never claimed)
    previous: IterationRecord | None  # iteration - 1
    now: float
    target: str
    notes: tuple[str, ...]

    @property
    def next(self) -> int:
        return self.head.next if self.head else 0

    @property
    def attempt(self) -> int:
        """The attempt number a claim of this plan takes (1-based, every claim counts)."""
        return (self.existing.attempts if self.existing else 0) + 1


@dataclass(frozen=True)
class ClaimPreview:
    """What a claim would take now, read without writing anything (`--dry-run`)."""

    logical: str
    iteration: int
    attempt: int
    rerun: bool  # a retry or a deliberate re-run: the iteration has been claimed before
    previous: IterationRecord | None  # iteration - 1: a staged read starts where it ended
    existing: IterationRecord | None  # the iteration as it stands (None: never claimed)
    advances: bool  # succeeding would move the ledger's next iteration past it
    notes: tuple[str, ...] = ()


class LedgerClaiming:
    """The ledger's claims, on the table the ledger hands it."""

    def __init__(
        self,
        table: LedgerTable,
        reads: LedgerReads,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_races: int = 8,
    ) -> None:
        self.table = table
        self.db = table.db  # the table's own, not copies
        self.items = table.items
        self.reads = reads
        self.sleep = sleep
        self.max_races = max_races

    def claim(
        self,
        logical: str,
        iteration: int | None = None,
        *,
        target: str = "",
    ) -> Claim:
        """Take the next iteration of `logical` (or iteration `iteration`) under a lease.

        Raises IterationBusy while another claim's lease is live, Refused for an iteration past
        the next one, LedgerDamaged when the items it must start from are missing or malformed,
        ConfigError for a negative one.
        """
        self.items.check_logical(logical)
        if iteration is not None and iteration < 0:
            raise ConfigError(f"iteration {iteration} of {logical}: iterations count from 0")
        for race in range(self.max_races):
            plan = self._plan_claim(logical, iteration, target)
            try:
                return self._write_claim(plan)
            except ConditionFailed as lost:
                if BINDING_WRITE in lost.failed:
                    raise self._bound_elsewhere(logical) from None
                # Someone changed the head or the item since we read them: read again.
                self.sleep(random.uniform(0.005, 0.02) * (race + 1))
        lease = self.reads.lease(logical)
        if lease is not None and lease.expires > self.table.clock():
            raise IterationBusy(lease.busy_message())
        raise ServiceError(
            f"could not claim an iteration of {logical}: the ledger changed under "
            f"{self.max_races} attempts in a row"
        )

    def preview(self, logical: str, iteration: int | None = None) -> ClaimPreview:
        """What `claim(logical, iteration)` would take now, decided as the claim decides but
        without writing anything (a missing head is worked out from the items, not rebuilt).

        Raises what the claim would raise: IterationBusy, Refused, LedgerDamaged, ConfigError.
        """
        self.items.check_logical(logical)
        if iteration is not None and iteration < 0:
            raise ConfigError(f"iteration {iteration} of {logical}: iterations count from 0")
        plan = self._plan_claim(logical, iteration, "", rebuild=False)
        return ClaimPreview(
            logical=logical,
            iteration=plan.iteration,
            attempt=plan.attempt,
            rerun=plan.existing is not None,
            previous=plan.previous,
            existing=plan.existing,
            advances=plan.iteration == plan.next,
            notes=plan.notes,
        )

    def _plan_claim(
        self, logical: str, iteration: int | None, target: str, *, rebuild: bool = True
    ) -> _ClaimPlan:
        """Read and decide; `rebuild=False` (a preview) writes no missing head back."""
        head, items = self.reads.top(logical)
        notes: tuple[str, ...] = ()
        if head is None and items:
            head = self._rebuild_head(logical) if rebuild else self._head_from_items(logical)
            done = "rebuilt" if rebuild else "would be rebuilt"
            notes = (
                f"the ledger head of {logical} was missing: {done} from its items "
                f"(next iteration {head.next})",
            )
        now = self.table.clock()
        if head is not None and head.lease is not None and head.lease.expires > now:
            raise IterationBusy(head.lease.busy_message())
        next_n = head.next if head else 0
        first = head.first if head else 0
        number = next_n if iteration is None else iteration
        if number > next_n:
            raise Refused(
                f"iteration {number} of {logical} cannot start: iteration {next_n} has not "
                f"SUCCEEDED yet (iterations run in order; the next one is {next_n})"
            )
        if number < first:
            raise Refused(
                f"iteration {number} of {logical} ran before kiter kept its ledger "
                f"(kiter's first iteration of it is {first})"
            )
        # The Query returned the two highest items, so next and next-1 are known when they
        # exist; only a re-run of an older iteration needs another read.
        missing = [n for n in (number, number - 1) if first <= n < next_n and n not in items]
        if missing:
            items |= self.reads.get_many(logical, missing)
        if number < next_n and number not in items:
            raise LedgerDamaged(
                f"iteration {number} of {logical} is missing from the ledger although the next "
                f"iteration is {next_n}: it cannot be run again"
            )
        if number - 1 >= first and number - 1 not in items:
            raise LedgerDamaged(
                f"iteration {number - 1} of {logical} is missing from the ledger: iteration "
                f"{number} starts where it ended, so it cannot run (restore the item, or start "
                "a new logical name)"
            )
        return _ClaimPlan(
            logical=logical,
            iteration=number,
            head=head,
            existing=self.items.parse_record(logical, items[number]) if number in items else None,
            previous=self.items.parse_record(logical, items[number - 1])
            if number - 1 in items
            else None,
            now=now,
            target=target,
            notes=notes,
        )

    def _rebuild_head(self, logical: str) -> Head:
        """A head from the iteration items (it was deleted), written only if no head appeared
        meanwhile."""
        worked_out = self._head_from_items(logical)
        body = self.db.update(
            self.items.key(logical, HEAD),
            "SET #next = :next, #first = :first, #version = :one",
            "attribute_not_exists(#hk)",
            {":next": worked_out.next, ":first": worked_out.first, ":one": 1},
        )
        with contextlib.suppress(ConditionFailed):  # another claimer rebuilt it first
            self.db.update_item(f"rebuild the ledger head of {logical}", body)
        head = self.reads.head(logical)
        assert head is not None
        return head

    def _head_from_items(self, logical: str) -> Head:
        """The head the iteration items imply (version 0: none stored), or LedgerDamaged when
        they have gaps; IterationBusy while one of them holds a live lease.

        By the invariant, the highest item is the frontier: SUCCEEDED means next is the one
        after it, anything else means it is next.
        """
        records = self.reads.history(logical)
        numbers = [r.iteration for r in records]
        first, last = numbers[0], numbers[-1]
        gaps = sorted(set(range(first, last + 1)) - set(numbers))
        if gaps:
            raise LedgerDamaged(
                f"the ledger head of {logical} is missing and iteration {gaps[0]} is too: "
                "kiter cannot tell where the logical name stands"
            )
        now = self.table.clock()
        held = [r for r in records if r.lease_expires and r.lease_expires > now and r.owner]
        if held:
            owner = held[-1].owner
            assert owner is not None
            raise IterationBusy(
                f"iteration {held[-1].iteration} of {logical} is running on {owner.host} "
                f"(pid {owner.pid}); its ledger head is missing and is rebuilt after it ends"
            )
        next_n = last + 1 if records[-1].state == "SUCCEEDED" else last
        return Head(logical=logical, next=next_n, version=0, first=first)

    def _write_claim(self, plan: _ClaimPlan) -> Claim:
        logical, number, head = plan.logical, plan.iteration, plan.head
        lease = head.lease if head else None
        token = uuid.uuid4().hex
        expires = plan.now + self.table.lease_seconds
        stamp = iso(plan.now)
        owner = self.table.owner
        head_values = {
            ":next": plan.next,
            ":token": token,
            ":number": number,
            ":host": owner.host,
            ":pid": owner.pid,
            ":run": owner.run_id,
            ":since": stamp,
            ":expires": expires,
        }
        take_lease = (
            "#next = :next, #token = :token, #lease_iteration = :number, #lease_host = :host, "
            "#lease_pid = :pid, #lease_run = :run, #lease_since = :since, #expires = :expires"
        )
        if head is None:
            head_write = self.db.update(
                self.items.key(logical, HEAD),
                f"SET {take_lease}, #version = :one",
                "attribute_not_exists(#hk)",
                head_values | {":one": 1},
            )
        else:
            head_write = self.db.update(
                self.items.key(logical, HEAD),
                f"SET {take_lease}, #version = :version_after",
                "#version = :version",
                head_values | {":version": head.version, ":version_after": head.version + 1},
            )
        existing = plan.existing
        attempt = plan.attempt
        took_over = (
            f"took over the expired lease of {lease.owner.host} (pid {lease.owner.pid})"
            if lease is not None and lease.iteration == number and existing is not None
            else ""
        )
        item_write = self.db.update(
            self.items.item_key(logical, number),
            "SET #state = :claimed, #attempts = :attempt, #owner = :owner, #token = :token, "
            "#expires = :expires, #target = :target, #sha = :empty, "
            "#created = if_not_exists(#created, :now), #claimed = :now, #started = :empty, "
            "#finished = :empty, #submission = :empty, #reason = :note",
            "#attempts = :attempts_before" if existing else "attribute_not_exists(#hk)",
            {
                ":claimed": "CLAIMED",
                ":attempt": attempt,
                ":owner": owner.to_json(),
                ":token": token,
                ":expires": expires,
                ":target": plan.target,
                ":now": stamp,
                ":empty": "",
                ":note": took_over,
                ":attempts_before": existing.attempts if existing else 0,
            },
        )
        writes = [head_write, item_write, self._binding_write(logical)]
        if lease is not None and lease.iteration != number:
            # The expired holder was on another iteration (a re-run of an old one): close it.
            writes.append(
                self.db.update(
                    self.items.item_key(logical, lease.iteration),
                    "SET #state = :failed, #reason = :why, #finished = :now "
                    "REMOVE #token, #expires",
                    "attribute_exists(#hk) AND #token = :old",
                    {
                        ":failed": "FAILED",
                        ":why": f"lease of {lease.owner.host} (pid {lease.owner.pid}) expired",
                        ":now": stamp,
                        ":old": lease.token,
                    },
                )
            )
        self.db.transact(f"claim iteration {number} of {logical}", *writes)
        record = replace(
            existing or IterationRecord(logical=logical, iteration=number, state="", created=stamp),
            state="CLAIMED",
            attempts=attempt,
            owner=owner,
            lease_expires=expires,
            target=plan.target,
            script_sha256="",
            claimed=stamp,
            started="",
            finished="",
            submission_id="",
            reason=took_over,
        )
        return Claim(
            logical=logical,
            iteration=number,
            attempt=attempt,
            rerun=existing is not None,
            previous=plan.previous,
            record=record,
            owner=owner,
            token=token,
            lease_expires=expires,
            advances=number == plan.next,
            prior=existing,
            notes=plan.notes,
        )

    def start_at(self, logical: str, first: int) -> None:
        """Begin kiter's ledger of a logical name that ran elsewhere up to iteration first-1
        (`kiter import --next-iteration`): its first claim takes `first`. Refused when kiter
        already has history for it."""
        self.items.check_logical(logical)
        head, items = self.reads.top(logical)
        if head is not None or items:
            raise Refused(
                f"kiter already has a ledger for {logical} (next iteration "
                f"{head.next if head else max(items)}): --next-iteration starts new ones only"
            )
        body = self.db.update(
            self.items.key(logical, HEAD),
            "SET #next = :first, #first = :first, #version = :one",
            "attribute_not_exists(#hk)",
            {":first": first, ":one": 1},
        )
        try:
            self.db.update_item(f"start the ledger of {logical} at {first}", body)
        except ConditionFailed:
            raise Refused(f"kiter already has a ledger for {logical}") from None

    def _binding_write(self, logical: str) -> dict[str, Any]:
        """The checkpoint table's note of which ledger table keeps this logical name."""
        return self.db.update(
            self.items.key(logical, BINDING),
            "SET #ledger_table = :mine",
            "attribute_not_exists(#hk) OR #ledger_table = :mine",
            {":mine": self.table.name},
            table=self.table.checkpoint_table,
        )

    def _bound_elsewhere(self, logical: str) -> ConfigError:
        item = self.db.call(
            "get_item",
            f"read the ledger binding of {logical}",
            TableName=self.table.checkpoint_table,
            Key=self.items.key(logical, BINDING),
            ConsistentRead=True,
        ).get("Item", {})
        other = from_item(item).get(attribute("#ledger_table"), "another table")
        return ConfigError(
            f"logical name {logical} of checkpoint table {self.table.checkpoint_table} is kept by the "
            f"ledger in table {other}, not {self.table.name}: two ledgers would run its iterations "
            "twice; use the same [metastore] ledger_table, or another logical name"
        )
