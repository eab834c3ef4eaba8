"""Waiting on an engine's API for a run to move: growing waits, longer ones while it throttles.

Shared by the targets that poll AWS for a run's state (EMR steps, EMR Serverless job runs). It
only sleeps through the sleep it is given and knows nothing of any service.
"""

from __future__ import annotations

from collections.abc import Callable

THROTTLE_CODES = frozenset(
    {"ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"}
)
# How much further than the normal ceiling polling may back off while the API throttles us.
THROTTLE_CEILING_FACTOR = 4


class Backoff:
    """Waits from `low` growing by half up to `high` seconds; up to 4x `high` while throttled."""

    def __init__(self, low: float, high: float, sleep: Callable[[float], None]) -> None:
        self.high = high
        self.delay = low
        self.sleep = sleep

    def wait(self) -> None:
        """The wait between two looks at a run that has not moved on yet."""
        self.sleep(self.delay)
        self.delay = min(self.delay * 1.5, self.high)

    def throttled(self) -> float:
        """Lengthen the wait after a throttled call; returns the seconds about to be slept."""
        self.delay = min(max(self.delay, self.high) * 2, self.high * THROTTLE_CEILING_FACTOR)
        return self.delay

    def sleep_throttled(self) -> None:
        self.sleep(self.delay)


def duration(seconds: float) -> str:
    """`1m38s`, `42s`: how long a run has been in a state."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
