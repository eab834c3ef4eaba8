"""Values from outside a template, and how each may enter a script.

A `Value` is a string kiter did not write (a job var, a `--var`, the stream, the staging
location) that holds nothing which would end the literal or statement around it, or start a Hive
or Pig variable substitution: it prints as it is. Any other such string is `Unprintable`: printing
it or making text of it any other way (a filter, `~`, `%`) is refused. The filters put
any text into a context safely: `hive_string` and `pig_string`
write a quoted literal escaped for that dialect, `identifier` refuses anything but a plain name.
A refusal is a UsageError naming the value; the renderer adds the template's file:line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kiter.errors import UsageError

if TYPE_CHECKING:
    from kiter.project import JobConfig

# What a value printed as it is may not hold, and how to say it.
_RAW_FORBIDDEN = {
    "'": "a quote",
    '"': "a quote",
    "`": "a backquote",
    "\\": "a backslash",
    ";": "a semicolon",
    "$": "a '$' (variable substitution)",
    "\n": "a line break",
    "\r": "a line break",
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class Value(str):
    """A string from outside the template; `origin` says where it was set."""

    origin: str

    def __new__(cls, text: str, origin: str) -> Value:
        value = super().__new__(cls, text)
        value.origin = origin
        return value


class Unprintable:
    """An outside string that holds what a script must not get as it is (a quote, `;`, `$`, a
    line break, ...). Not a string: only the filters that put a value into its context take it
    (`hive_string`, `pig_string`; `identifier` and `pig_path` refuse it); whatever else would
    turn it into text (printing it, `| trim`, `| replace`, `~`, `%`) is refused, naming where it
    was set. A string filter's result is a plain str no check could trace back to it."""

    __slots__ = ("origin", "text")

    def __init__(self, text: str, origin: str) -> None:
        self.text = text
        self.origin = origin

    def __str__(self) -> str:
        raise UsageError(_unprintable(self.text, self.origin))

    def __repr__(self) -> str:
        return f"<{self.origin}>"

    def __eq__(self, other: object) -> bool:
        return self.text == (other.text if isinstance(other, Unprintable) else other)

    def __hash__(self) -> int:
        return hash(self.text)

    def __len__(self) -> int:
        return len(self.text)


def outside_values(job: JobConfig, overrides: Mapping[str, str]) -> dict[str, Any]:
    """The job's vars with `--var` overrides, strings marked with where they came from: a plain
    one a `Value`, any other `Unprintable`."""
    values: dict[str, Any] = {}
    for key, value in job.vars.items():
        values[key] = (
            _outside(value, f"jobs.{job.name}.vars.{key}") if isinstance(value, str) else value
        )
    for key, value in overrides.items():
        values[key] = _outside(value, f"--var {key}")
    return values


def _outside(text: str, origin: str) -> Value | Unprintable:
    return Value(text, origin) if is_plain(text) else Unprintable(text, origin)


def _unprintable(text: str, origin: str) -> str:
    return (
        f"{origin} = {_described(text)} holds {_problem(text)}: written into the script as it "
        "is, it would change the statement around it (quote it with | hive_string or "
        "| pig_string)"
    )


def _described(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return repr(shown)


# The common case in one match: nothing forbidden, no ASCII control character.
_PLAIN = re.compile(r"[^'\"`\\;$\x00-\x1f\x7f]*")


def is_plain(text: str) -> bool:
    """Whether `text` can be printed as it is anywhere in a script."""
    return bool(_PLAIN.fullmatch(text)) and text.isprintable()


def _problem(text: str) -> str | None:
    if is_plain(text):
        return None
    for ch in text:
        if ch in _RAW_FORBIDDEN:
            return _RAW_FORBIDDEN[ch]
        if not ch.isprintable():
            return "a control character"
    return None


def _origin(value: Any) -> str:
    return value.origin if isinstance(value, Value | Unprintable) else "the value"


def _text(value: Any) -> str:
    return value.text if isinstance(value, Unprintable) else str(value)


def hive_string(value: Any) -> str:
    """A single-quoted HiveQL string literal of `value`, escaped as Hive and Spark SQL unescape.

    `;` and `$` are written as octal escapes, so neither a statement splitter nor Hive's
    `${...}` substitution (which runs on the raw text) can see them.
    """
    out = ["'"]
    for ch in _text(value):
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch in ";$" or (ord(ch) < 32 or ord(ch) == 127):
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    out.append("'")
    return "".join(out)


def pig_string(value: Any) -> str:
    """A single-quoted Pig Latin string literal of `value`, escaped as Pig's lexer unescapes.

    `$` is written as `\\u0024`, so Pig's parameter substitution (on the raw text) cannot see it.
    """
    out = ["'"]
    for ch in _text(value):
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "$" or ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append("'")
    return "".join(out)


def identifier(value: Any) -> str:
    """`value` as a Hive or Pig identifier: refused unless it is a plain name."""
    text = _text(value)
    if not _IDENTIFIER.fullmatch(text):
        raise UsageError(
            f"{_origin(value)} = {_described(text)} is not an identifier (a letter or _, then "
            "letters, digits and _, at most 128)"
        )
    return text


# What Grunt's unquoted path token (rmf, fs, ls) ends at or cannot hold.
_PATH_FORBIDDEN = re.compile(r"[\s'\";$`\\]")


def pig_path(value: Any) -> str:
    """`value` as an unquoted Grunt path (`rmf PATH`): refused if it holds a space, a quote,
    a semicolon, a backslash or a `$`, which Grunt's commands cannot take."""
    text = _text(value)
    bad = _PATH_FORBIDDEN.search(text)
    if bad or not text:
        what = "is empty" if not text else f"holds {_described(bad.group()) if bad else ''}"
        raise UsageError(
            f"{_origin(value)} = {_described(text)} cannot be a Pig path: it {what} "
            "(Grunt's rmf takes a bare path)"
        )
    return text
