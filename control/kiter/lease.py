"""Holding a claim while its iteration runs: heartbeats, the lease check, deferred signals.

A `LeaseKeeper` renews the claim's lease from a daemon thread and is the `Watch` a target asks:
`fence()` proves the lease with a conditional write right before the target starts its engine,
`held()` is False once the lease was taken over (also when this process was stopped past its
lease and the heartbeat never ran: the local clock then says the lease ran out, and a renewal is
tried before answering), and `moved()` records the run's new engine handle in the ledger. The
runner alone decides what happens to a run whose lease is lost.

Words: `Ledger.claim` takes a claim; the keeper's `held_claim` is the claim it holds; a
`record_*` method writes something into the iteration's item (`record_handle` here,
`record_boundaries` and `record_staged` on the ledger); a `record` is an `IterationRecord`.

The one window left: a process stopped for longer than a third of its lease *between* a fence
that succeeded and the start call right after it could still start an engine once its lease was
taken over. Nothing runs in that window but the start call itself (no read, render or upload).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from kiter import pausepoints
from kiter.echo import Echo
from kiter.errors import Interrupted, IterationBusy, KiterError, LeaseLost
from kiter.stopping import NEVER, Stop
from kiter.targets.base import Abandoned, Handle

if TYPE_CHECKING:
    from kiter.metastore.ledger import Claim, Ledger

# How much of the lease must be left for held() to trust it without asking the ledger.
_TRUST_FRACTION = 0.25
# How much of the lease a fence proves is left: an engine start must come within it.
_FENCE_FRACTION = 1 / 3


class LeaseKeeper:
    """Keeps one claim's lease alive and answers whether it is still ours."""

    def __init__(
        self, ledger: Ledger, claim: Claim, target: str, echo: Echo, stop: Stop = NEVER
    ) -> None:
        self.ledger = ledger
        self.stop_request = stop
        self.target = target
        self.echo = echo
        self.script_sha256 = ""  # of the script the run was started with, once rendered
        self._claim = claim
        self._lock = threading.Lock()
        self._lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiter-heartbeat", daemon=True)

    @property
    def held_claim(self) -> Claim:
        """The claim as last renewed (its lease_expires moves with every heartbeat)."""
        return self._claim

    @property
    def lost(self) -> bool:
        return self._lost

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    # ---- the Watch a target asks ------------------------------------------------------------

    def held(self) -> bool:
        """Whether the lease is still ours; renews it first when it may have run out."""
        if self._lost:
            return False
        left = self._claim.lease_expires - self.ledger.clock()
        if left > self.ledger.lease_seconds * _TRUST_FRACTION:
            return True
        try:
            self._renew()
        except IterationBusy:
            return False
        except KiterError:
            # The ledger cannot be reached: the lease is ours until it runs out.
            return self._claim.lease_expires > self.ledger.clock()
        return True

    def fence(self) -> None:
        """Prove the lease is ours for a third of its length more, with a write only its holder
        can make; the caller starts its engine at once. LeaseLost when it is not ours.

        A fence whose own write took longer than half that margin (the process was stopped in
        the call) is written again, so the start always follows a recent proof.
        """
        pausepoints.reach("before-start")
        self._refuse_if_stopped("starting its engine")
        margin = self.ledger.lease_seconds * _FENCE_FRACTION
        for _ in range(3):
            began = time.monotonic()
            with self._lock:
                if self._lost:
                    raise self._gone()
                until = self.ledger.clock() + margin
                try:
                    if self._claim.lease_expires < until:
                        self._claim = self.ledger.heartbeat(self._claim)
                    self.ledger.confirm(self._claim, until=until)
                except IterationBusy:
                    self._lost = True
                    raise self._gone() from None
            if time.monotonic() - began < margin / 2:
                return
        raise LeaseLost(
            f"could not prove the lease on iteration {self._claim.iteration} of "
            f"{self._claim.logical} within {margin / 2:.0f} s: started nothing"
        )

    def check(self, phase: str) -> None:
        """After a phase that may have taken long: Interrupted when a stop was requested meanwhile,
        LeaseLost when the lease is no longer ours."""
        self._refuse_if_stopped(f"going on after {phase}")
        if not self.held():
            raise self._gone(f" after {phase}")

    def _refuse_if_stopped(self, what: str) -> None:
        if self.stop_request.requested:
            claim = self._claim
            raise Interrupted(
                f"stopped before {what}: iteration {claim.iteration} of {claim.logical}"
            )

    def _gone(self, when: str = "") -> LeaseLost:
        claim = self._claim
        try:
            holder = self.ledger.lease(claim.logical)
        except KiterError:
            holder = None
        by = f" by {holder.owner.host} (pid {holder.owner.pid})" if holder else ""
        return LeaseLost(
            f"lost the lease on iteration {claim.iteration} of {claim.logical}{when} "
            f"(taken over{by}): started nothing; nothing recorded by this run"
        )

    def moved(self, handle: Handle) -> None:
        """Record the run's new engine handle; Abandoned when the lease is gone."""
        self.record_handle(handle)

    def record_handle(self, handle: Handle) -> None:
        """The run is `handle` now: the ledger says so before anyone waits for it."""
        try:
            with self._lock:
                self.ledger.running(
                    self._claim, handle.id, self.target, script_sha256=self.script_sha256
                )
        except IterationBusy as exc:
            self._lost = True
            raise Abandoned(handle, str(exc)) from None

    # ---- renewing -------------------------------------------------------------------------

    def _renew(self) -> None:
        with self._lock:
            if self._lost:
                raise IterationBusy("the lease is lost")
            try:
                self._claim = self.ledger.heartbeat(self._claim)
            except IterationBusy:
                self._lost = True
                raise

    def _loop(self) -> None:
        interval = max(1.0, self.ledger.lease_seconds / 3)
        wait = interval
        while not self._stop.wait(wait):
            try:
                self._renew()
                wait = interval
            except IterationBusy as exc:
                self.echo(f"warning: lost the lease: {exc}")
                return
            except KiterError as exc:
                left = self._claim.lease_expires - self.ledger.clock()
                wait = max(0.5, min(interval, left / 3))
                self.echo(f"warning: heartbeat failed ({exc}); trying again in {wait:.0f} s")


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then take them as they would have been
    taken (main thread only; elsewhere a no-op).

    The OS may hand a signal to any thread that does not block it (a reader, a heartbeat thread
    whose join returned a moment before it exited), while Python runs every handler in the main
    thread: so the handlers are swapped for one that notes the signal, rather than the signals
    blocked in this thread alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    previous = {held: signal.signal(held, note) for held in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for held, handler in previous.items():
            # None: a handler not installed from Python, which cannot be put back; the default.
            signal.signal(held, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)
