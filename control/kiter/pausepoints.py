"""Named points in an iteration where a process can be told to stop itself, for tests.

`KITER_PAUSE_AT=after-render` makes a kiter process send itself SIGSTOP when it reaches the
point named `after-render`, exactly as a long GC pause or a frozen VM would stop it there; a
SIGCONT resumes it. Tests use this to pause a real `kiter submit` at a known phase past its lease
(failpoints, as etcd and FoundationDB have them). With the variable unset, `reach` costs one
dictionary lookup. Nothing here imports anything else from kiter.

The points, in the order an iteration reaches them: after-claim, after-read (records read from
the stream, nothing staged yet), after-stage, after-render, after-upload (a remote target's script
in S3), before-start (the target is about to fence and start its engine), before-record (the
engine's outcome is known and about to be written, Ctrl-C and SIGTERM held off).
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "after-claim",
    "after-read",
    "after-stage",
    "after-render",
    "after-upload",
    "before-start",
    "before-record",
)


def reach(point: str) -> None:
    """Stop this process here (SIGSTOP) when KITER_PAUSE_AT names `point`."""
    if os.environ.get("KITER_PAUSE_AT") == point:
        os.kill(os.getpid(), signal.SIGSTOP)
