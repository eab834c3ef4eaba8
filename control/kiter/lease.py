"""Holding a claim while its iteration runs: heartbeats, the lease check, deferred signals.

A `LeaseKeeper` renews the claim's lease from a daemon thread and is the `Watch` a target asks
while it follows a run: `held()` is False once the lease was taken over (also when this process
was stopped past its lease and the heartbeat never ran: the local clock then says the lease ran
out, and a renewal is tried before answering), and `moved()` records the run's new engine handle
in the ledger. The runner alone decides what happens to a run whose lease is lost.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kiter.echo import Echo
from kiter.errors import IterationBusy, KiterError
from kiter.targets.base import Abandoned, Handle

if TYPE_CHECKING:
    from kiter.metastore.ledger import Claim, Ledger

# How much of the lease must be left for held() to trust it without asking the ledger.
_TRUST_FRACTION = 0.25


class LeaseKeeper:
    """Keeps one claim's lease alive and answers whether it is still ours."""

    def __init__(self, ledger: Ledger, claim: Claim, target: str, echo: Echo) -> None:
        self.ledger = ledger
        self.target = target
        self.echo = echo
        self.script_sha256 = ""  # of the script the run was started with, once rendered
        self._claim = claim
        self._lock = threading.Lock()
        self._lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiter-heartbeat", daemon=True)

    @property
    def claim(self) -> Claim:
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

    def moved(self, handle: Handle) -> None:
        """Record the run's new engine handle; Abandoned when the lease is gone."""
        self.record(handle)

    def record(self, handle: Handle) -> None:
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
    """Hold SIGINT and SIGTERM until the block ends (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
