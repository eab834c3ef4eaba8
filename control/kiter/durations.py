"""Durations as people type them (`90s`, `5m`, `1h30m`, `1H`, `2d`) and as kiter prints them.

Reading is pytimeparse's; kiter adds only what a scheduler needs on top of it: a unit is
required (is `10` ten seconds or ten minutes? is `1:30` ninety seconds or an hour and a half?),
a duration is never negative, and zero is taken only where the caller says it means something.
Printing has one style for every duration kiter shows (a run, a step, a wait): `4.2s`, `1m05s`,
`2h03m`, `1d04h`, each of which reads back as a duration.
"""

from __future__ import annotations

import re

from kiter.errors import UsageError

_UNIT = re.compile(r"[a-z]", re.IGNORECASE)
EXAMPLES = "e.g. 90s, 5m, 1h30m, 2d"


def parse_duration(text: str, *, option: str | None = None, allow_zero: bool = False) -> float:
    """`text` as seconds; a UsageError naming `option` (e.g. "--every") when it is not one.

    `allow_zero`: whether 0s means something where this duration is used (a retry without a
    wait does; a cadence of zero does not).
    """
    from pytimeparse import parse  # only where a duration is read: not on every command's start

    where = f"{option} " if option else ""
    seconds = parse(text) if _UNIT.search(text) else None
    if seconds is None:
        raise UsageError(f"{where}{text!r} is not a duration: give a unit, {EXAMPLES}")
    if seconds < 0:
        least = "0s or more" if allow_zero else "more than 0s"
        raise UsageError(f"{where}{text!r} is negative: give {least}")
    if seconds == 0 and not allow_zero:
        raise UsageError(f"{where}{text!r} is zero: give more than 0s")
    return float(seconds)


def format_duration(seconds: float) -> str:
    """`0s`, `4.2s`, `59s`, `1m05s`, `2h03m`, `1d04h`: tenths under a minute, then two units."""
    # A start and an end read on two hosts can be a little apart; never show a negative time.
    seconds = max(0.0, seconds)
    tenths = round(seconds, 1)
    if tenths < 60:
        return f"{tenths:.1f}".removesuffix(".0") + "s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    minutes = round(seconds / 60)
    if minutes < 24 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    hours = round(seconds / 3600)
    return f"{hours // 24}d{hours % 24:02d}h"
