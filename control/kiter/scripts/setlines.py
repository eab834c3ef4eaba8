"""The SET lines of a script, in Hive's dialect or Pig's, read by one function: `set_lines`.

Hive: `SET key=value;` (and `SET hiveconf:key=value;`, the same setting to Hive); the value is
what Hive hands over: everything after the first `=`, trimmed, quotes and a trailing comment
kept. Pig: `SET key value;` or `SET key 'value';`, the value unquoted as Pig does. Only the SETs
the engine applies are lines here: Hive's `SET key value` (Pig's form) and Pig's `SET key=value`
(Hive's form) set nothing. Whatever must agree about what a script sets (kiter's rewriter of owned
settings, the check before submit, the offline checks, the redactor) reads it through here.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from kiter.scripts.pigtokens import PigStatement, pig_statements, tokenize, unquote
from kiter.scripts.problem import Problem
from kiter.scripts.sqlsplit import line_comment
from kiter.scripts.sqlsplit import split_statements as split_hive

# Hive's SetProcessor splits at the first `=` and trims both sides; Spark keeps the rest verbatim.
# Java's trim() removes every character up to U+0020, control characters too: around the key
# they are no part of it.
_HIVE_SET = re.compile(
    r"SET\s+[\x00-\x20]*(?P<key>[^\s\x00-\x20=]+)[\s\x00-\x20]*=(?P<value>.*)",
    re.IGNORECASE | re.DOTALL,
)
_JAVA_SPACE = "".join(chr(code) for code in range(0x21))
_HIVECONF = "hiveconf:"
# `SET key value` (Pig's form): Hive would print the variable and set nothing.
_HIVE_SET_PIG_FORM = re.compile(r"SET\s+(?P<key>[^\s=-][^\s=]*)\s+[^\s=]", re.IGNORECASE)


@dataclass(frozen=True)
class SetLine:
    """One SET the engine applies: its key as the engine reads it, its value, where it stands."""

    key: str  # as written, without Hive's `hiveconf:` prefix
    value: str
    line: int
    start: int  # offset of SET
    end: int  # just past the statement's `;` (or its last character)


def set_lines(text: str, dialect: str) -> list[SetLine]:
    """Every SET of the script the engine applies, in order; `dialect` is "hive" or "pig"."""
    found: list[SetLine] = []
    if dialect == "hive":
        for statement in split_hive(text):
            setting = hive_set(statement.text)
            if setting is not None:
                key, value = setting
                if key[: len(_HIVECONF)].lower() == _HIVECONF:
                    key = key[len(_HIVECONF) :]  # the same setting to Hive
                end = statement.end + (text[statement.end : statement.end + 1] == ";")
                found.append(SetLine(key, value, statement.line, statement.start, end))
        return found
    scratch: list[Problem] = []  # a broken script's problems are check_piglatin's to report
    for pig in pig_statements(tokenize(text, scratch), scratch):
        parsed = pig_set(pig, text)
        if isinstance(parsed, tuple):
            end = pig.end + 1 if pig.end >= 0 else pig.tokens[-1].end
            found.append(SetLine(*parsed, pig.line, pig.tokens[0].start, end))
    return found


def hive_set(statement: str) -> tuple[str, str] | None:
    """(key as written, value) when one HiveQL statement (without its `;`) is `SET key=value`,
    as written or as Hive's CLI hands it to SetProcessor: its `--` comments removed (a comment
    line between SET and the key, or before the `=`) and trimmed the Java way."""
    match = _HIVE_SET.fullmatch(statement)
    if match is None:
        match = _HIVE_SET.fullmatch(_without_line_comments(statement).strip(_JAVA_SPACE))
    return None if match is None else (match["key"], match["value"].strip())


def _without_line_comments(statement: str) -> str:
    """Each line cut at its `--` comment (quotes respected), as HiveStringUtils.removeComments."""
    lines = []
    for line in statement.split("\n"):
        comment = line_comment(line)
        lines.append(line if comment is None else line[: len(line) - len(comment) - 2])
    return "\n".join(lines)


def hive_set_mistake(statement: str) -> str | None:
    """Why one HiveQL statement that looks like a SET sets nothing (Pig's `SET key value`)."""
    match = _HIVE_SET_PIG_FORM.match(statement)
    if match is None or "=" in statement:
        return None
    return f"SET {match['key']} ... has no '=': that is Pig's form; Hive needs SET key=value"


def pig_set(statement: PigStatement, text: str) -> tuple[str, str] | Problem | None:
    """(key, value) of a well-formed Pig SET, a Problem for a malformed one, None for a bare SET
    or another statement."""
    tokens = statement.tokens
    if not tokens or tokens[0].upper != "SET":
        return None
    if len(tokens) == 1:
        return None  # Grunt lists every setting
    key = tokens[1]
    if key.kind != "word" and key.kind != "string":
        return Problem(key.line, f"SET needs a key, found {key.text!r}")
    key_text = unquote(key.text) if key.kind == "string" else key.text
    values = tokens[2:]
    if any(token.text == "=" for token in values):
        return Problem(
            key.line,
            f"SET {key_text}=... is Hive syntax; Pig needs SET {key_text} value (no '=')",
        )
    if not values:
        return Problem(key.line, f"SET {key_text} has no value")
    if len(values) == 1 and values[0].kind == "string":
        return key_text, unquote(values[0].text)
    end = statement.end if statement.end >= 0 else values[-1].end
    raw = text[values[0].start : end].strip()
    if any(a.end < b.start for a, b in itertools.pairwise(values)):
        return Problem(key.line, f"SET {key_text}: a value with spaces must be quoted")
    return key_text, raw


class FoundSettings(dict[str, tuple[str, int]]):
    """Settings a script makes, key → (value, line) of the last SET, as the engine would see them.

    `repeats` keeps every SET that overrode an earlier one of the same key, as (key, value, line),
    so a check can report them although a plain dict cannot hold them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.repeats: list[tuple[str, str, int]] = []

    def record(self, key: str, value: str, line: int) -> None:
        if key in self:
            self.repeats.append((key, value, line))
        self[key] = (value, line)


def effective_settings(text: str, dialect: str) -> FoundSettings:
    """The script's `set_lines` as the engine ends up with them: the last SET of a key wins.

    Never raises: the settings of a script too broken to read are none.
    """
    found = FoundSettings()
    try:
        lines = set_lines(text, dialect)
    except Exception:
        return found
    for setting in lines:
        found.record(setting.key, setting.value, setting.line)
    return found


def may_begin_key(lowered: str, at: int) -> bool:
    """Whether the word found at `at` of a script's lower-case text can begin a SET's key,
    without reading the script: a key begins a word of the text, so a word found inside another
    (`com.amazon.emr.kinesis.hive`, `"kinesis.stream.name"` in a table's properties, since no
    engine reads a key written in double quotes) cannot, and then `set_lines` need not run for it.
    (A Pig key quoted with a backslash escape inside the word itself is not seen; none needs one.)
    """
    before = lowered[at - 1] if at else " "
    return not (before.isalnum() or before in '_."$')


# The settings whose value kiter supplies when a Pig script sets one from a parameter.
PARAMETER_CARRIED = ("kinesis.checkpoint.iteration.no", "kinesis.checkpoint.logical.name")
_WHOLE_PARAMETER = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


@dataclass(frozen=True)
class CarriedParameter:
    """A Pig parameter that a SET of the iteration number or logical name takes its value from
    (`set kinesis.checkpoint.iteration.no $input;`, run with `pig -param input=N`)."""

    name: str
    key: str  # the setting, lower case
    line: int


def pig_carried_parameters(text: str) -> list[CarriedParameter]:
    """Every parameter a Pig script's SET of the iteration number or logical name is, whole."""
    found: list[CarriedParameter] = []
    if "$" not in text:
        return found
    # Reading a script's statements is hundreds of times a render's cost: only a text that
    # names one of the keys can set it.
    lowered = text.lower()
    if not any(key in lowered for key in PARAMETER_CARRIED):
        return found
    for setting in set_lines(text, "pig"):
        key = setting.key.lower()
        match = _WHOLE_PARAMETER.fullmatch(setting.value.strip())
        if key in PARAMETER_CARRIED and match:
            found.append(CarriedParameter(match[1] or match[2], key, setting.line))
    return found
