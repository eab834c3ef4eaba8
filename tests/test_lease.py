"""Holding Ctrl-C and SIGTERM off while the ledger is written (lease.signals_deferred)."""

from __future__ import annotations

import signal
import threading

import pytest

from kiter.lease import signals_deferred


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_another_thread_takes_waits_for_the_end_of_the_block(signum: int) -> None:
    # A thread started before the block, as a reader or a heartbeat thread just joined may be:
    # the OS may hand it the signal, and Python runs the handler in the main thread.
    go = threading.Event()

    def send() -> None:
        go.wait()
        signal.raise_signal(signum)

    sender = threading.Thread(target=send)
    sender.start()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    finished = False
    try:
        with pytest.raises(KeyboardInterrupt), signals_deferred():
            go.set()
            sender.join()
            for _ in range(1000):  # bytecodes, where a handler that is due runs
                pass
            finished = True
        assert {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} == handlers
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert finished
