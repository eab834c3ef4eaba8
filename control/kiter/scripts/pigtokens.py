"""Pig Latin as tokens and statements, the way Grunt reads them: words, strings, parameters.

What needs a Pig script's statements without Pig reads them here (the offline checks, the SET
lines, the Kinesis loads, the Pig target's last STORE). It only reads text and never raises on bad
input (problems are collected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kiter.scripts.problem import Problem

_CLOSERS = {")": "(", "]": "[", "}": "{"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?[LlFf]?|\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_PARAM = re.compile(r"\$(?:\{[^}\n]*\}|[A-Za-z_0-9]+)")
_TWO_CHAR = ("==", "!=", "<=", ">=", "::", "..")
# A word that can only begin a statement: seen first on a line inside another one, the `;` before
# it is missing.
_ONLY_AT_START = frozenset(
    ["STORE", "DUMP", "SET", "REGISTER", "DEFINE", "IMPORT", "SPLIT", "DESCRIBE", "ILLUSTRATE"]
)


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, number, param, punct
    text: str
    line: int
    start: int
    end: int
    first_on_line: bool

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass
class PigStatement:
    tokens: list[Token] = field(default_factory=list)
    end: int = -1  # offset of the `;` that closed it, -1 when none did

    @property
    def line(self) -> int:
        return self.tokens[0].line


def tokenize(text: str, problems: list[Problem]) -> list[Token]:
    tokens: list[Token] = []
    i, n, line = 0, len(text), 1
    line_has_token = False
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            line_has_token = False
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                problems.append(Problem(line, "comment opened with /* is never closed"))
                break
            line += text.count("\n", i, end)
            i = end + 2
            continue
        if ch == "%" and not line_has_token:
            # %default / %declare: preprocessor lines, no `;`; their values are free text.
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        start, first = i, not line_has_token
        line_has_token = True
        if ch == "'":
            i = _string_end(text, i, problems, line)
            tokens.append(Token("string", text[start:i], line, start, i, first))
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                problems.append(Problem(line, "command opened with ` is never closed"))
                end = n - 1
            tokens.append(Token("string", text[start : end + 1], line, start, end + 1, first))
            line += text.count("\n", start, end + 1)
            i = end + 1
            continue
        for kind, pattern in (("word", _WORD), ("number", _NUMBER), ("param", _PARAM)):
            match = pattern.match(text, i)
            if match:
                i = match.end()
                tokens.append(Token(kind, match.group(0), line, start, i, first))
                break
        else:
            width = 2 if text.startswith(_TWO_CHAR, i) else 1
            i += width
            tokens.append(Token("punct", text[start:i], line, start, i, first))
    return tokens


def _string_end(text: str, i: int, problems: list[Problem], line: int) -> int:
    """Offset just past the string starting at `i`; Pig strings cannot span lines."""
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            j += 1 if text[j + 1 : j + 2] == "\n" else 2
            continue
        if ch == "'":
            return j + 1
        if ch == "\n":
            break
        j += 1
    problems.append(Problem(line, "string opened with ' is never closed on its line"))
    return j


# Grunt's shell commands: a line each, no `;` (`rmf out/iteration=3`).
_GRUNT_COMMANDS = frozenset(
    ["RMF", "RM", "FS", "SH", "LS", "CD", "CAT", "MKDIR", "MV", "CP", "COPYFROMLOCAL",
     "COPYTOLOCAL", "PWD", "KILL"]
)  # fmt: skip


def pig_statements(tokens: list[Token], problems: list[Problem]) -> list[PigStatement]:
    statements: list[PigStatement] = []
    current = PigStatement()
    stack: list[tuple[Token, bool]] = []  # open brackets; bool: a FOREACH nested block
    command_line = 0  # the line of a Grunt command being read, else 0
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if command_line:
            if token.line == command_line and token.text != ";":
                current.tokens.append(token)
                continue
            statements.append(current)
            current, command_line = PigStatement(), 0
            if token.text == ";":
                continue
        if (
            not current.tokens
            and not stack
            and token.first_on_line
            and token.upper in _GRUNT_COMMANDS
        ):
            current.tokens.append(token)
            command_line = token.line
            continue
        if not stack and current.tokens and _starts_statement(token, following):
            problems.append(
                Problem(
                    current.tokens[-1].line,
                    f"missing ';' at the end of this statement (the next one starts at line "
                    f"{token.line})",
                )
            )
            statements.append(current)
            current = PigStatement()
        if token.kind == "punct" and token.text in "([{":
            nested = token.text == "{" and _opens_nested_block(current)
            stack.append((token, nested))
        elif token.kind == "punct" and token.text in _CLOSERS:
            if stack and stack[-1][0].text == _CLOSERS[token.text]:
                _, nested = stack.pop()
                if nested and not stack:
                    # A nested FOREACH block ends its statement; the `;` after it is optional.
                    current.tokens.append(token)
                    current.end = token.end
                    statements.append(current)
                    current = PigStatement()
                    continue
            else:
                problems.append(Problem(token.line, f"'{token.text}' has no matching opening"))
        elif token.kind == "punct" and token.text == ";":
            if any(opener.text == "{" for opener, _ in stack):
                current.tokens.append(token)  # a statement inside a nested block
                continue
            for opener, _ in stack:
                problems.append(
                    Problem(opener.line, f"'{opener.text}' is not closed before the ';'")
                )
            stack.clear()
            if current.tokens:
                current.end = token.start
                statements.append(current)
            current = PigStatement()
            continue
        current.tokens.append(token)
    for opener, _ in stack:
        problems.append(Problem(opener.line, f"'{opener.text}' is never closed"))
    if command_line:
        statements.append(current)
    elif current.tokens:
        problems.append(Problem(current.line, "statement is not closed with ';'"))
        statements.append(current)
    return statements


def _starts_statement(token: Token, following: Token | None) -> bool:
    """Whether `token`, first on its line inside an open statement, must begin a new one."""
    if not token.first_on_line or token.kind != "word":
        return False
    # `alias =` cannot continue a statement: Pig has no single `=` in expressions.
    return token.upper in _ONLY_AT_START or (following is not None and following.text == "=")


def _opens_nested_block(current: PigStatement) -> bool:
    tokens = current.tokens
    return len(tokens) >= 2 and tokens[-2].upper == "FOREACH"


def unquote(literal: str) -> str:
    body = literal[1:-1] if len(literal) >= 2 and literal.endswith("'") else literal[1:]
    return re.sub(r"\\(.)", r"\1", body)


def parameter_set_keys(text: str) -> list[tuple[str, int]]:
    """(key as written, line) of each SET whose key holds a Pig parameter (`SET $k 0;`,
    `SET '$k' 0;`, `SET kinesis.checkpoint.iteration.$n 0;`): which setting it is, only Pig's
    substitution says."""
    found: list[tuple[str, int]] = []
    if "$" not in text:
        return found
    for statement in pig_statements(tokenize(text, []), []):
        tokens = statement.tokens
        if len(tokens) < 2 or tokens[0].upper != "SET":
            continue
        # The key is its first token and every token written against it (no space between).
        last = 1
        while last + 1 < len(tokens) and tokens[last + 1].start == tokens[last].end:
            last += 1
        if any("$" in token.text for token in tokens[1 : last + 1]):
            found.append((text[tokens[1].start : tokens[last].end], tokens[1].line))
    return found
