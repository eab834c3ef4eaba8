"""A request to stop, shared by the threads that run iterations side by side (`kiter run`).

Signals reach only the main thread. A job running in a worker thread learns of Ctrl-C or
SIGTERM from a `Stop`: its engine waits sleep on it, and a requested stop ends such a sleep with
KeyboardInterrupt, which the targets already answer the documented way (cancel what they started,
raise Interrupted); the lease keeper refuses to start an engine or go on after a phase once a
stop was requested. The runner then records the iteration FAILED and releases its lease, as it
does for Ctrl-C in the main thread. Nothing here imports anything else from kiter.
"""

from __future__ import annotations

import threading


class Stop:
    """Set once, by whoever handles the signal; read by every thread running an iteration."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def request(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> None:
        """time.sleep that a stop request cuts short with KeyboardInterrupt."""
        if self._event.wait(max(0.0, seconds)):
            raise KeyboardInterrupt


NEVER = Stop()  # for code paths where only the main thread runs and signals arrive as usual
