"""The checks on `kinesis.*` settings shared by Hive and Pig: the settings a script makes (read by
`kiter.scripts`) against the ones kiter computed for this iteration.

Never renders, submits or talks to AWS, and never raises on bad input (a broken script is the
normal case here, so it becomes problems).
"""

from __future__ import annotations

from collections.abc import Mapping

from kiter.checkpoint import KNOWN_KINESIS_KEYS, near_miss
from kiter.scripts import Problem
from kiter.secrets import SECRET_KEYS


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
