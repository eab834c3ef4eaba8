"""What the offline checks report, and the checks on `kinesis.*` settings shared by Hive and Pig.

A problem is a line number and a sentence meant for the person who wrote the script. This room only
reads text: it never renders, submits or talks to AWS, and it never raises on bad input (a broken
script is the normal case here, so it becomes problems).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from kiter.secrets import SECRET_KEYS

Severity = Literal["error", "warning"]

KNOWN_KINESIS_KEYS: tuple[str, ...] = (
    "kinesis.checkpoint.enabled",
    "kinesis.checkpoint.metastore.table.name",
    "kinesis.checkpoint.metastore.hash.key.name",
    "kinesis.checkpoint.metastore.range.key.name",
    "kinesis.checkpoint.metastore.hash.range.name",
    "kinesis.checkpoint.logical.name",
    "kinesis.checkpoint.iteration.no",
    "kinesis.rerun.iteration.without.wait",
    "kinesis.nodata.timeout",
    "kinesis.iteration.timeout",
    "kinesis.records.batchsize",
    "kinesis.endpoint.region",
    "kinesis.accessKey",
    "kinesis.secretKey",
)

# How close a key must be to a known one to be called a typo of it. The real typos (the missing
# `metastore.` infix) score about 0.86; unrelated kinesis.* keys stay below 0.75.
_NEAR_MISS_CUTOFF = 0.8


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a script, at a 1-based line."""

    line: int
    message: str
    severity: Severity = "error"

    def format(self, path: str) -> str:
        """`path:line: message`, the shape editors and CI logs turn into links."""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{path}:{self.line}: {prefix}{self.message}"


class FoundSettings(dict[str, tuple[str, int]]):
    """Settings a script makes, key → (value, line) of the last SET, as the engine would see them.

    `repeats` keeps every SET that overrode an earlier one of the same key, as (key, value, line),
    so `check_checkpoint` can report them although a plain dict cannot hold them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.repeats: list[tuple[str, str, int]] = []

    def record(self, key: str, value: str, line: int) -> None:
        if key in self:
            self.repeats.append((key, value, line))
        self[key] = (value, line)


def check_checkpoint(
    found: Mapping[str, tuple[str, int]], expected: Mapping[str, str]
) -> list[Problem]:
    """Compare the settings a script makes with the ones kiter computed for this iteration.

    Reports: an expected key missing (line 1) or set to another value; an expected or kinesis.* key
    set more than once (only visible when `found` is a `FoundSettings`); a kinesis.* key that is a
    near miss of a known one; and, as a warning, any other unknown kinesis.* key, which the
    connector would ignore without a word.
    """
    problems: list[Problem] = []
    for key, want in expected.items():
        if key not in found:
            problems.append(Problem(1, f"missing SET {key}"))
            continue
        got, line = found[key]
        if got != want:
            problems.append(Problem(line, _mismatch(key, want, got)))
    for key, value, line in getattr(found, "repeats", ()):
        if key in expected or key.startswith("kinesis."):
            problems.append(
                Problem(line, f"{key} is set more than once (now to {_shown(key, value)})")
            )
    for key, (_, line) in found.items():
        if not key.startswith("kinesis.") or key in KNOWN_KINESIS_KEYS or key in expected:
            continue
        guess = near_miss(key)
        if guess:
            problems.append(Problem(line, f"{key}: did you mean {guess}?"))
        else:
            problems.append(
                Problem(
                    line,
                    f"{key} is not a setting the Kinesis connector knows; it will be ignored",
                    "warning",
                )
            )
    return sorted(problems, key=lambda p: p.line)


def _mismatch(key: str, want: str, got: str) -> str:
    message = f"kiter expects {key}={_shown(key, want)}, the script sets {_shown(key, got)}"
    # Hive and Spark keep everything after `=` verbatim, so a trailing comment or quotes become
    # part of the value the connector reads.
    if "--" in got and got.split("--", 1)[0].strip() == want:
        message += " (a trailing -- comment becomes part of the value: put it on its own line)"
    elif len(got) >= 2 and got[0] == got[-1] and got[0] in "'\"" and got[1:-1] == want:
        message += " (Hive keeps the quotes as part of the value: drop them)"
    return message


def _shown(key: str, value: str) -> str:
    return "<secret>" if key in SECRET_KEYS else value


def near_miss(key: str) -> str | None:
    """The known kinesis.* key `key` is probably a typo of, or None."""
    lowered = {k.lower(): k for k in KNOWN_KINESIS_KEYS}
    matches = difflib.get_close_matches(key.lower(), lowered, n=1, cutoff=_NEAR_MISS_CUTOFF)
    return lowered[matches[0]] if matches else None
