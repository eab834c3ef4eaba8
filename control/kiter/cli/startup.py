"""What a kiter process does about the cyclic garbage collector: it waits out start-up and exit.

A command builds at its start most of what it keeps to its end: modules, botocore's service
models and clients (a `kiter submit` makes about a million objects in a third of a second). At
the interpreter's default thresholds the collector scans them about 180 times meanwhile, once
all of them, finding a few hundred cycles: about 7% of `kiter submit --no-wait`
(bench/submit.py). So a process started as `kiter` runs its first seconds without the collector;
a command still running after that (a submit that waits, `kiter run`) collects as usual, with
what start-up built frozen out of the collector's way (`gc.freeze`: those objects live to the
end anyway, and a cycle left by start-up stays, a few hundred objects once).

At exit the interpreter collects again, more than once, over everything still alive, only for
the process to end: about 40 ms of a 300 ms submit. The last exit handler freezes it all first,
so those collections find nothing to scan. What that skips is the finalizers of objects in
reference cycles (anything else is still freed as modules are torn down); Python promises none
at exit, and kiter does not wait for one: it closes what it writes (run logs are flushed line by
line, staged files closed at commit or abort), and stdout and stderr are flushed after it.

Nothing here knows about commands; `kiter.cli.main.main` calls it when it runs as the program.
"""

from __future__ import annotations

import atexit
import gc
import threading

# How long a command runs before the collector comes back: start-up takes well under it.
COLLECT_AFTER_S = 5.0


def defer_garbage_collection(after: float = COLLECT_AFTER_S) -> threading.Timer | None:
    """Turn the collector off for `after` seconds (a daemon timer turns it back on, start-up's
    objects frozen) and have the process freeze what is alive when it exits. None, and nothing
    changed, when the collector was off already: whoever turned it off decides about it."""
    if not gc.isenabled():
        return None
    gc.disable()
    # Registered first, run last: after the handlers that libraries register as they load.
    atexit.register(gc.freeze)
    timer = threading.Timer(after, _resume)
    timer.daemon = True  # a command that ends sooner does not wait for it
    timer.start()
    return timer


def _resume() -> None:
    gc.freeze()
    gc.enable()
