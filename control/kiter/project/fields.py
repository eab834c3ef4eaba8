"""The vocabulary of kiter.toml's schema: one setting's type, default, bounds and shape.

A config dataclass declares each of its settings once, as `name: type = setting(...)`; `schema()`
reads the declarations back for the loader, which checks every value against them.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

REQUIRED: Any = object()


@dataclasses.dataclass(frozen=True)
class Field:
    """One setting: its TOML type, default (or required) and allowed values."""

    type: type | tuple[type, ...]
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    help: str = ""
    low: float | None = None  # numbers: the smallest allowed
    high: float | None = None  # numbers: the largest allowed
    pattern: str | None = None  # strings: what the whole value must match
    shape: str = ""  # strings: what `pattern` allows, in words

    def problem(self, value: Any) -> str | None:
        """What is wrong with a value of the right type, or None."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):
                return "must be a finite number"
            if self.low is not None and value < self.low:
                return f"must be at least {_number(self.low)}"
            if self.high is not None and value > self.high:
                return f"must be at most {_number(self.high)}"
        if isinstance(value, str) and self.pattern and not _matches(self.pattern, value):
            return f"must be {self.shape}, not {value!r}"
        return None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches(pattern: str, value: str) -> bool:
    return _pattern(pattern).fullmatch(value) is not None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# A Kinesis stream name, a DynamoDB table name.
STREAM_NAME = r"[A-Za-z0-9_.-]{1,128}"
STREAM_SHAPE = "a Kinesis stream name (1-128 of A-Z a-z 0-9 _ . -)"
TABLE_NAME = r"[A-Za-z0-9_.-]{3,255}"
TABLE_SHAPE = "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"
# A checkpoint value the connector reads back verbatim from a SET line.
PLAIN_VALUE = r"(?:(?![;='\"`\\#$])[!-~]){1,255}"
PLAIN_SHAPE = "1-255 printable ASCII characters without spaces, ; = quotes \\ # or $"
# Characters a staging location may not hold: they would end or change the quoted literal the
# scripts read it from (quotes, backslash), end a statement, or start a variable substitution.
LOCATION_FORBIDDEN = re.compile(r"['\"`\\;$\x00-\x1f\x7f]")


def setting(
    kind: type | tuple[type, ...],
    default: Any = REQUIRED,
    *,
    choices: tuple[str, ...] = (),
    help: str = "",
    low: float | None = None,
    high: float | None = None,
    pattern: str | None = None,
    shape: str = "",
) -> Any:
    """A dataclass field that is a kiter.toml setting (the loader always fills it)."""
    spec = Field(kind, default, choices, help, low, high, pattern, shape)
    return dataclasses.field(metadata={"setting": spec})


def schema(cls: type) -> dict[str, Field]:
    """The settings a config dataclass declares, in declaration order."""
    return {
        f.name: f.metadata["setting"] for f in dataclasses.fields(cls) if "setting" in f.metadata
    }
