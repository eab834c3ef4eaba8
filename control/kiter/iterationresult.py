"""What one iteration came to: its result, the wall time of its steps, what the ledger keeps of a
success, and the interruption that came after its outcome was recorded.

Plain values for the runner and the commands that show them; nothing here claims, runs or writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiter.durations import format_duration
from kiter.errors import Interrupted
from kiter.targets.base import Outcome

if TYPE_CHECKING:
    from kiter.stream.plan import IterationRead


@dataclass
class IterationResult:
    job: str
    logical_name: str
    iteration: int
    attempt: int
    rerun: bool
    outcome: Outcome
    read: IterationRead | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # read, submit, total
    checkpoint_table: str = ""  # the connector's, kept for kiter.tablehistory

    def summary(self) -> str:
        parts = [
            f"iteration {self.iteration} of {self.logical_name}",
            f"attempt {self.attempt}",
            self.outcome.state,
        ]
        if self.read is not None:
            parts.append(f"{self.read.total_records} records staged")
        parts.append(format_duration(self.seconds.get("total", 0.0)))
        return ", ".join(parts)


class InterruptedAfterRecording(Interrupted):
    """Ctrl-C or SIGTERM came while the outcome was being written: signals wait for that write,
    so the outcome is in the ledger, and `result` goes along for the command to show."""

    kind = "interrupted"

    def __init__(self, result: IterationResult) -> None:
        state = result.outcome.state
        recorded = {"SUCCEEDED": state, "SUBMITTED": "RUNNING (not waited for)"}.get(
            state, "FAILED"
        )
        super().__init__(
            f"iteration {result.iteration} of {result.logical_name} was recorded {recorded} "
            "before the signal was handled"
        )
        self.result = result


class StepTimer:
    """Wall time of the steps of one iteration, and of all of it."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.seconds: dict[str, float] = {}

    def time(self, step: str, call: Callable[..., Any], *args: Any) -> Any:
        began = time.monotonic()
        try:
            return call(*args)
        finally:
            self.seconds[step] = time.monotonic() - began

    def totals(self) -> dict[str, float]:
        return self.seconds | {"total": time.monotonic() - self.started}


def success_stats(result: IterationResult, sha256: str) -> dict[str, Any]:
    """What the ledger keeps of a SUCCEEDED iteration: its run, script, times and counts."""
    stats: dict[str, Any] = {
        "submission_id": result.outcome.submission_id,
        "script_sha256": sha256,
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        "rows": len(result.outcome.rows),
    }
    if result.read is None:
        stats["checkpoint_table"] = result.checkpoint_table
    else:
        stats |= {
            "records": result.read.total_records,
            "bytes": result.read.total_bytes,
            "throttles": result.read.total_throttles,
        }
    return stats
