"""Following a run on an engine's API: growing waits, longer ones while it throttles, the
cancel that must not raise while kiter is already stopping, and finding the one resource
(cluster, application) a target names.

Used by the remote targets' skeleton (`remote.py`: EMR steps, EMR Serverless job runs). It only
sleeps through the sleep it is given and knows nothing of any service.
"""

from __future__ import annotations

from collections.abc import Callable

from kiter.errors import ConfigError, KiterError

THROTTLE_CODES = frozenset(
    {"ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"}
)
# How much further than the normal ceiling polling may back off while the API throttles us.
THROTTLE_CEILING_FACTOR = 4


def checked_poll_seconds(poll: tuple[float, float], *, where: str) -> tuple[float, float]:
    """(first, longest) wait between two looks, as floats; 0 < first <= longest."""
    low, high = poll
    if not 0 < low <= high:
        raise ConfigError(f"poll_seconds must be 0 < low <= high, got {poll}", where=where)
    return float(low), float(high)


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


def cancel_quietly(cancel: Callable[[], str], service: str) -> str:
    """Cancel on the way out of an interrupt: what happened, as words for the Interrupted."""
    try:
        answer = cancel()
    except KiterError as exc:
        return f"cancelling it failed ({exc})"
    except KeyboardInterrupt:
        return "cancel abandoned on a second interrupt"
    return f"asked {service} to cancel it ({answer})"


def only_named(
    found: list[tuple[str, str]],
    wanted: str,
    *,
    many: str,
    one: str,
    listing: str,
    key: str,
    where: str,
) -> str:
    """The id of the one (name, id) pair named `wanted`; else a ConfigError naming the matches
    (`many`: "EMR clusters") or every live one (`one`: "EMR cluster", under `listing`)."""
    matches = sorted(ident for name, ident in found if name == wanted)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(
            f"{len(matches)} {many} are named {wanted!r}: {', '.join(matches)}; "
            f"set {key} to one of them",
            where=where,
        )
    live = ", ".join(sorted(f"{name} ({ident})" for name, ident in found)) or "none"
    raise ConfigError(f"no {one} is named {wanted!r} ({listing}: {live})", where=where)
