"""Holding a claimed iteration in the ledger: heartbeats, the run's handle, boundaries, outcomes.

Every write here is conditional on the claim's lease token: a holder whose lease was taken over
gets `LeaseLost` and changes nothing its successor wrote. This part takes no claim (claiming.py
does) and reads only to say who took a lost lease over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kiter.errors import LeaseLost, Refused
from kiter.metastore.dynamo import ConditionFailed, to_av
from kiter.metastore.items import HEAD, REMOVE_LEASE
from kiter.metastore.ledgerreads import LedgerReads
from kiter.metastore.ledgertable import LedgerTable
from kiter.metastore.records import Claim, iso


class LedgerHolding:
    """The ledger's writes under a claim, on the table the ledger hands it."""

    def __init__(self, table: LedgerTable, reads: LedgerReads) -> None:
        self.table = table
        self.db = table.db  # the table's own, not copies
        self.items = table.items
        self.reads = reads

    # ---- holding ------------------------------------------------------------------------------

    def _lost(self, claim: Claim) -> LeaseLost:
        lease = self.reads.lease(claim.logical)
        if lease is not None and lease.token != claim.token and lease.expires > self.table.clock():
            return LeaseLost(lease.busy_message())
        return LeaseLost(
            f"iteration {claim.iteration} of {claim.logical} is no longer held by this run: "
            "its lease was taken over or released"
        )

    def _item_update(
        self,
        claim: Claim,
        action: str,
        update: str,
        values: dict[str, Any],
        *,
        condition: str = "#token = :token",
    ) -> None:
        body = self.db.update(
            self.items.item_key(claim.logical, claim.iteration),
            update,
            condition,
            values | {":token": claim.token},
        )
        try:
            self.db.update_item(action, body)
        except ConditionFailed:
            raise self._lost(claim) from None

    def heartbeat(self, claim: Claim) -> Claim:
        """Extend the lease by lease_seconds from now; LeaseLost when it was lost."""
        expires = self.table.clock() + self.table.lease_seconds
        values = {":token": claim.token, ":expires": expires, ":one": 1}
        try:
            self.db.transact(
                f"extend the lease on iteration {claim.iteration} of {claim.logical}",
                self.db.update(
                    self.items.key(claim.logical, HEAD),
                    "SET #expires = :expires, #version = #version + :one",
                    "#token = :token",
                    values,
                ),
                self.db.update(
                    self.items.item_key(claim.logical, claim.iteration),
                    "SET #expires = :expires",
                    "#token = :token",
                    values,
                ),
            )
        except ConditionFailed:
            raise self._lost(claim) from None
        return replace(
            claim, lease_expires=expires, record=replace(claim.record, lease_expires=expires)
        )

    def confirm(self, claim: Claim, *, until: float) -> None:
        """Prove, just before an engine starts, that the claim is still ours and its lease runs
        at least until `until`: a write the ledger takes only from that holder. LeaseLost else.

        The fence of a start: a holder stopped past its lease and taken over fails here, before
        it starts anything (a heartbeat-only check could still pass on a stale local clock).
        """
        self._item_update(
            claim,
            f"confirm the lease on iteration {claim.iteration} of {claim.logical}",
            "SET #fenced = :now",
            {":now": iso(self.table.clock()), ":until": until},
            condition="#token = :token AND #expires >= :until",
        )

    def running(
        self, claim: Claim, submission_id: str, target: str, *, script_sha256: str = ""
    ) -> None:
        """The run was started (or is followed) as `submission_id`: state RUNNING."""
        now = iso(self.table.clock())
        self._item_update(
            claim,
            f"mark iteration {claim.iteration} of {claim.logical} RUNNING",
            "SET #state = :running, #submission = :submission, #target = :target, "
            "#sha = :sha, #started = :now, #first_started = if_not_exists(#first_started, :now)",
            {
                ":running": "RUNNING",
                ":submission": submission_id,
                ":target": target,
                ":sha": script_sha256,
                ":now": now,
            },
        )

    def record_boundaries(self, claim: Claim, shards: Mapping[str, Mapping[str, Any]]) -> None:
        """Store per-shard start/end sequence numbers (strings) and stats before submission.

        A rerun must re-read exactly what an earlier attempt recorded: changing a recorded
        shard's start or end is refused.
        """
        clean: dict[str, dict[str, Any]] = {}
        for shard, bounds in shards.items():
            entry = dict(bounds)
            for end in ("start", "end"):
                value = entry.get(end)
                if isinstance(value, int) and not isinstance(value, bool):
                    value = str(value)  # exact; floats would not be
                if value is not None and not isinstance(value, str):
                    raise TypeError(
                        f"shard {shard} {end}: sequence numbers are strings, got {value!r}"
                    )
                entry[end] = value
            old = claim.record.shards.get(shard)
            if (
                old
                and old.get("end") is not None
                and ((old.get("start"), old.get("end")) != (entry["start"], entry["end"]))
            ):
                raise Refused(
                    f"iteration {claim.iteration} of {claim.logical} recorded shard {shard} as "
                    f"[{old.get('start')}, {old.get('end')}]; a rerun must re-read exactly those "
                    f"records, not [{entry['start']}, {entry['end']}]"
                )
            clean[shard] = entry
        self._item_update(
            claim,
            f"record the shard boundaries of iteration {claim.iteration} of {claim.logical}",
            "SET #shards = :shards",
            {":shards": clean},
        )
        claim.record.shards = clean

    def record_staged(self, claim: Claim, name: str, facts: Mapping[str, Any]) -> None:
        """Note something staged with the iteration (a snapshot's sha256 and rows) for reruns."""
        staged = claim.record.staged | {name: dict(facts)}
        self._item_update(
            claim,
            f"record what was staged with iteration {claim.iteration} of {claim.logical}",
            "SET #staged = :staged",
            {":staged": staged},
        )
        claim.record.staged = staged

    def succeed(self, claim: Claim, stats: Mapping[str, Any]) -> None:
        """Iteration SUCCEEDED: store stats, release the lease, move next past it."""
        self._finish(claim, "SUCCEEDED", "", dict(stats))

    def fail(self, claim: Claim, reason: str) -> None:
        """Iteration FAILED: store why and release the lease; next stays on this iteration."""
        self._finish(claim, "FAILED", reason, None)

    def detach(self, claim: Claim, submission_id: str) -> None:
        """The script runs on without a watcher (--no-wait): RUNNING under its submission id,
        lease released. The next claim of the logical name takes this iteration again and can
        follow the submission (Claim.prior) to its end instead of submitting anew."""
        self._finish(
            claim,
            "RUNNING",
            "submitted without waiting (--no-wait): the next submit follows it",
            None,
            submission_id=submission_id,
        )

    def restore(self, claim: Claim) -> None:
        """Give the claim back as if it never happened: the iteration as it stood before it (no
        attempt spent; a never-claimed iteration's item removed), the lease released."""
        values: dict[str, Any] = {":token": claim.token, ":one": 1}
        head_write = self.db.update(
            self.items.key(claim.logical, HEAD),
            "SET #version = #version + :one" + REMOVE_LEASE,
            "#token = :token",
            values,
        )
        key = self.items.item_key(claim.logical, claim.iteration)
        prior = claim.prior
        if prior is None:
            item_write: dict[str, Any] = {
                "Delete": {
                    "TableName": self.table.name,
                    "Key": key,
                    "ConditionExpression": "#token = :token",
                    "ExpressionAttributeNames": self.db.names_for("#token"),
                    "ExpressionAttributeValues": {":token": to_av(claim.token)},
                }
            }
        else:
            owner = "#owner = :owner, " if prior.owner else ""
            item_write = self.db.update(
                key,
                f"SET {owner}#state = :state, #attempts = :attempts, #target = :target, "
                "#submission = :submission, #sha = :sha, #claimed = :claimed, "
                "#started = :started, #finished = :finished, #reason = :reason "
                f"REMOVE #token, #expires{'' if prior.owner else ', #owner'}",
                "#token = :token",
                values
                | {
                    ":owner": prior.owner.to_json() if prior.owner else None,
                    ":state": prior.state,
                    ":attempts": prior.attempts,
                    ":target": prior.target,
                    ":submission": prior.submission_id,
                    ":sha": prior.script_sha256,
                    ":claimed": prior.claimed,
                    ":started": prior.started,
                    ":finished": prior.finished,
                    ":reason": prior.reason,
                },
            )
        try:
            self.db.transact(
                f"give back iteration {claim.iteration} of {claim.logical}",
                item_write,
                head_write,
            )
        except ConditionFailed:
            raise self._lost(claim) from None

    def _finish(
        self,
        claim: Claim,
        state: str,
        reason: str,
        stats: dict[str, Any] | None,
        *,
        submission_id: str = "",
    ) -> None:
        now = iso(self.table.clock())
        item_set = "SET #state = :state, #reason = :reason"
        if state != "RUNNING":
            item_set += ", #finished = :now"
        if stats is not None:
            item_set += ", #stats = :stats"
        if submission_id:
            item_set += ", #submission = :submission"
        head_set = "SET #version = #version + :one"
        if state == "SUCCEEDED" and claim.advances:
            head_set += ", #next = :after"
        values = {
            ":token": claim.token,
            ":state": state,
            ":now": now,
            ":reason": reason,
            ":stats": stats,
            ":one": 1,
            ":after": claim.iteration + 1,
            ":submission": submission_id,
        }
        try:
            self.db.transact(
                f"mark iteration {claim.iteration} of {claim.logical} {state}",
                self.db.update(
                    self.items.item_key(claim.logical, claim.iteration),
                    item_set + " REMOVE #token, #expires",
                    "#token = :token",
                    values,
                ),
                self.db.update(
                    self.items.key(claim.logical, HEAD),
                    head_set + REMOVE_LEASE,
                    "#token = :token",
                    values,
                ),
            )
        except ConditionFailed:
            raise self._lost(claim) from None
