"""The runner's side of the two-phase protocol: follow or start a run, keep its handle, let go.

An attempt first follows a run an earlier attempt left going on the engine (by the handle the
ledger recorded, else by the iteration's tag); only when there is none does it start one, fenced
(see kiter.lease). Every handle is in the ledger before anyone waits on it. When the lease is
lost while a run goes on, the run is cancelled unless the attempt that took over follows it.
Nothing here sequences the iteration: that is the runner's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from kiter.echo import Echo
from kiter.errors import LeaseLost
from kiter.targets.base import Abandoned, Handle, Outcome, Script, Target

if TYPE_CHECKING:
    from kiter.lease import LeaseKeeper
    from kiter.metastore.ledger import Claim, Ledger

# States in which an earlier attempt may have left a run going on the engine.
UNFINISHED = ("CLAIMED", "RUNNING")


class EngineRuns:
    """Runs of one attempt on one engine, as the ledger sees them."""

    def __init__(self, ledger: Ledger, echo: Echo) -> None:
        self.ledger = ledger
        self.echo = echo

    def execute(self, engine: Target, keeper: LeaseKeeper, script: Script, wait: bool) -> Outcome:
        """Follow a run an earlier attempt left going, else start one; its handle is in the ledger
        before anyone waits for it."""
        earlier = self._earlier_run(engine, keeper.held_claim, script)
        if earlier is not None:
            self.echo(f"following {earlier.id}, started by an earlier attempt of this iteration")
            self._record_handle(engine, keeper, earlier)
            if not wait and engine.detachable:
                return Outcome("SUBMITTED", earlier.id)
            outcome = self._follow(engine, keeper, earlier)
            if outcome.state == "SUCCEEDED":
                return outcome
            self.echo(f"{earlier.id} ended {outcome.state}: starting the iteration again")
        handle = engine.start(script, keeper)  # fenced: a holder that lost its lease starts nothing
        self._record_handle(engine, keeper, handle)
        if not wait and engine.detachable:
            return Outcome("SUBMITTED", handle.id)
        return self._follow(engine, keeper, handle)

    def _earlier_run(self, engine: Target, claim: Claim, script: Script) -> Handle | None:
        if claim.attempt == 1:
            # The iteration's first claim: no earlier attempt started anything of it (a holder
            # that lost its claim spent it, so a takeover is attempt 2 and looks).
            return None
        prior = claim.prior
        if prior is not None and prior.state in UNFINISHED and prior.submission_id:
            handle = engine.attach(prior.submission_id)
            if handle is not None:
                return handle
        return engine.find(script)

    def _record_handle(self, engine: Target, keeper: LeaseKeeper, handle: Handle) -> None:
        try:
            keeper.record_handle(handle)
        except Abandoned as exc:
            self._let_go(engine, keeper.held_claim, exc.handle)

    def _follow(self, engine: Target, keeper: LeaseKeeper, handle: Handle) -> Outcome:
        try:
            return engine.follow(handle, keeper)
        except Abandoned as exc:
            self._let_go(engine, keeper.held_claim, exc.handle)

    def _let_go(self, engine: Target, claim: Claim, handle: Handle) -> NoReturn:
        """The lease is gone: cancel what we started unless the new holder follows it."""
        record = self.ledger.get(claim.logical, claim.iteration)
        if (
            record is not None
            and record.attempts > claim.attempt
            and record.submission_id == handle.id
        ):
            what = f"attempt {record.attempts} follows {handle.id}: left it running"
        else:
            what = f"cancelled {handle.id} ({engine.cancel(handle)})"
        holder = self.ledger.lease(claim.logical)
        by = f" by {holder.owner.host} (pid {holder.owner.pid})" if holder else ""
        raise LeaseLost(
            f"lost the lease on iteration {claim.iteration} of {claim.logical} (taken over{by}): "
            f"{what}; nothing recorded by this run"
        )
