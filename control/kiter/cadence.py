"""When iterations are due: a fixed period, back to back, or a cron expression in a time zone.

`kiter run --every 1m` ticks every minute from its start (Data Pipeline's floor is 15); `--cron`
ticks as Debian cron would (cronsim parses and matches it), in the zone `--tz` names. Every
cadence is checked before anything runs: one that never fires is a UsageError at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from kiter.durations import parse_duration
from kiter.errors import UsageError


class Cadence(Protocol):
    def first_tick(self, now: float) -> float:
        """When the first round is due (`now` or earlier: at once); a UsageError if never."""
        ...

    def next_after(self, when: float) -> float:
        """The first tick strictly after `when` (epoch seconds)."""
        ...


@dataclass(frozen=True)
class BackToBack:
    """No cadence: the next iteration starts as soon as the last one ends."""

    def first_tick(self, now: float) -> float:
        return now

    def next_after(self, when: float) -> float:
        return when


@dataclass(frozen=True)
class Every:
    """Ticks every `seconds`, the first at `start`; ticks missed while running are skipped."""

    seconds: float
    start: float

    def first_tick(self, now: float) -> float:
        return self.start

    def next_after(self, when: float) -> float:
        periods = int((when - self.start) // self.seconds) + 1
        return self.start + periods * self.seconds


# crontab(5)'s macros; @reboot is not a cadence.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Each field's name and what it accepts, for messages; cronsim says only "Bad minute".
_FIELDS = (
    ("minute", 0, 59, "0-59"),
    ("hour", 0, 23, "0-23"),
    ("day-of-month", 1, 31, "1-31, L or LW"),
    ("month", 1, 12, "1-12 or JAN-DEC"),
    ("day-of-week", 0, 7, "0-7 or SUN-SAT (7 is Sunday too), 5L (last Friday), 1#2"),
)
_PROBE = datetime(2000, 1, 1, tzinfo=UTC)  # construction only parses; any instant will do


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression (minute hour day-of-month month day-of-week) or a macro such
    as @hourly, in `zone`. cronsim parses and matches it as Debian cron does: names (JAN, MON-FRI),
    L, LW, 5L, 1#2, either day field matching when both are restricted, and a fixed-time job
    run once across a daylight-saving change."""

    expression: str
    zone: tzinfo = UTC
    fields: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        text = self.expression.strip()
        fields = MACROS.get(text.lower(), text) if text.startswith("@") else text
        if fields.startswith("@"):
            raise UsageError(
                f"cron expression {self.expression!r}: unknown macro; use one of "
                f"{', '.join(MACROS)}"
            )
        if len(fields.split()) != 5:
            raise UsageError(
                f"cron expression {self.expression!r} needs 5 fields "
                "(minute hour day-of-month month day-of-week) or a macro such as @hourly"
            )
        try:
            # cronsim also refuses a day of month no chosen month has (0 0 30 2 *) right here.
            CronSim(fields, _PROBE)
        except CronSimError:
            raise UsageError(_why(self.expression, fields)) from None
        object.__setattr__(self, "fields", fields)

    def first_tick(self, now: float) -> float:
        return self.next_after(now)

    def next_after(self, when: float) -> float:
        start = datetime.fromtimestamp(when, self.zone)
        # cronsim works on wall-clock time for fixed-time jobs; in the hour repeated when clocks
        # go back it can answer a moment already past, which would run a round twice.
        for fire in CronSim(self.fields, start):
            if fire.timestamp() > when:
                return fire.timestamp()
        raise UsageError(
            f"cron expression {self.expression!r} never fires "
            f"(cronsim looks 50 years ahead of {start:%Y-%m-%d})"
        )


def _why(expression: str, fields: str) -> str:
    """Which field of a refused expression is wrong and why, found by trying each one alone."""
    parts = fields.split()
    for index, part in enumerate(parts):
        alone = " ".join(part if i == index else "*" for i in range(5))
        try:
            CronSim(alone, _PROBE)
        except CronSimError:
            return f"cron expression {expression!r}: {_field_problem(index, part)}"
    return (
        f"cron expression {expression!r} never fires: day-of-month {parts[2]!r} falls in none "
        f"of the months {parts[3]!r}"
    )


def _field_problem(index: int, part: str) -> str:
    name, low, high, accepted = _FIELDS[index]
    if any(int(step) == 0 for step in re.findall(r"/(\d+)", part)):
        return f"{name} field {part!r} has a step of 0; a step is 1 or more (*/1 is every {name})"
    # Numbers after / are steps and after # an nth weekday: not values of the field.
    values = [int(v) for v in re.findall(r"(?<![/#\d])\d+", part)]
    if any(not low <= v <= high for v in values):
        return f"{name} field {part!r} is outside {low}-{high}"
    return (
        f"bad {name} field {part!r}: it takes {accepted}, lists (a,b), ranges (a-b) and steps (*/n)"
    )


def parse_zone(name: str) -> tzinfo:
    """An IANA time zone (Europe/Paris), or UTC; a UsageError naming `name` when unknown."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(
            f"unknown time zone {name!r}: give an IANA name such as Europe/Paris, "
            "America/New_York or UTC"
        ) from None


def make_cadence(
    *, every: str | None, cron: str | None, zone: str | None, now: float
) -> tuple[Cadence, tzinfo]:
    """The cadence `kiter run` options ask for, checked before anything runs, with the zone its
    times are shown in."""
    if every and cron:
        raise UsageError("choose --every or --cron, not both")
    if zone is not None and not cron:
        raise UsageError("--tz applies to --cron only (--every and back-to-back runs need none)")
    tz = parse_zone(zone) if zone is not None else UTC
    if cron:
        return Cron(cron, tz), tz
    if every:
        return Every(parse_duration(every, option="--every"), start=now), tz
    return BackToBack(), tz
