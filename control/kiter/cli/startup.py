"""What a kiter process does before its command: the cyclic garbage collector waits out start-up.

A command builds at its start most of what it keeps to its end: modules, botocore's service
models and clients (a `kiter submit` makes about a million objects in a third of a second). At
the interpreter's default thresholds the collector scans them about 180 times meanwhile, once
all of them, finding a few hundred cycles: about 7% of `kiter submit --no-wait`
(bench/submit.py). So a process started as `kiter` runs its first seconds without the collector;
a command still running after that (a submit that waits, `kiter run`) collects as usual, with
what start-up built frozen out of the collector's way (`gc.freeze`: those objects live to the
end anyway, and a cycle left by start-up stays, a few hundred objects once).

Nothing here knows about commands; `kiter.cli.main.main` calls it when it runs as the program.
"""

from __future__ import annotations

import gc
import threading

# How long a command runs before the collector comes back: start-up takes well under it.
COLLECT_AFTER_S = 5.0


def defer_garbage_collection(after: float = COLLECT_AFTER_S) -> threading.Timer | None:
    """Turn the collector off for `after` seconds (a daemon timer turns it back on, start-up's
    objects frozen). None, and nothing changed, when the collector was off already: whoever
    turned it off decides when it comes back."""
    if not gc.isenabled():
        return None
    gc.disable()
    timer = threading.Timer(after, _resume)
    timer.daemon = True  # a command that ends sooner does not wait for it
    timer.start()
    return timer


def _resume() -> None:
    gc.freeze()
    gc.enable()
