"""Offline checks of rendered HiveQL: does every statement parse, is every SET one Hive applies.

The parser is sqlglot's Hive dialect, imported lazily so `import kiter` stays fast. sqlglot is
lenient where a linter must not be: text it cannot parse silently becomes an `exp.Command`, and a
bare `FOO BAR` parses as a column alias. Both are reported here, except for the real Hive statements
sqlglot does not model (ADD JAR, MSCK REPAIR TABLE, SET -v, ...). This room only reads text: it
never sends anything (least of all sqlglot's re-generated SQL, which changes case and quoting) to a
server, and it never raises on bad input. Statements, comments, SET lines and variables are read
by `kiter.scripts`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kiter.scripts import (
    Problem,
    Statement,
    blank_block_comments,
    effective_settings,
    hive_set_mistake,
    line_comment,
    split_statements,
    substitute_hive_variables,
)

# Words a Hive (or Spark SQL) statement can begin with. Anything else is a typo or stray text that
# sqlglot would happily read as an expression.
_STATEMENT_WORDS = frozenset(
    [
        "SELECT",
        "WITH",
        "FROM",
        "INSERT",
        "CREATE",
        "DROP",
        "ALTER",
        "TRUNCATE",
        "MSCK",
        "SET",
        "RESET",
        "ADD",
        "LIST",
        "DELETE",
        "DFS",
        "SHOW",
        "DESCRIBE",
        "DESC",
        "USE",
        "REFRESH",
        "INVALIDATE",
        "ANALYZE",
        "LOAD",
        "EXPLAIN",
        "UPDATE",
        "MERGE",
        "EXPORT",
        "IMPORT",
        "GRANT",
        "REVOKE",
        "CACHE",
        "UNCACHE",
        "CLEAR",
        "RELOAD",
        "ABORT",
        "KILL",
        "LOCK",
        "UNLOCK",
        "COMMIT",
        "ROLLBACK",
        "START",
        "VALUES",
        "MAP",
        "REDUCE",
    ]
)

# Real Hive statements that sqlglot turns into a Command, mangles (`DFS -ls` becomes a
# subtraction, `RESET` a column) or rejects (`INVALIDATE METADATA`). They are not parsed at all.
_OPAQUE = re.compile(
    r"""^(?:
        SET\b | RESET\b | DFS\b | SHOW\b | INVALIDATE\s+METADATA\b | MSCK\b | REFRESH\b
        | (?:ADD|LIST|DELETE)\s+(?:JARS?|FILES?|ARCHIVES?)\b | RELOAD\s+FUNCTIONS?\b
        | ALTER\s+TABLE\s+\S+\s+RECOVER\s+PARTITIONS\b | (?:MAP|REDUCE)\b
        | CLEAR\s+CACHE\b | (?:UN)?CACHE\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Statements sqlglot parses when it can (so a broken one is still caught) but may hand back as a
# Command for valid variants, such as ADD PARTITION with several partitions.
_COMMAND_OK = re.compile(
    r"""^(?:
        ALTER\s+TABLE\s+\S+\s+ADD\s+(?:IF\s+NOT\s+EXISTS\s+)?PARTITION\b
        | (?:DESCRIBE|DESC)\b | USE\b | ANALYZE\b | CREATE\s+TEMPORARY\s+FUNCTION\b | LOAD\s+DATA\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

_EXPLAIN = re.compile(
    r"^EXPLAIN(?:\s+(?:EXTENDED|FORMATTED|DEPENDENCY|AUTHORIZATION|LOCKS|VECTORIZATION|AST|CBO"
    r"|ANALYZE|COST|CODEGEN|LOGICAL|JOINCOST|ONLY|SUMMARY|OPERATOR|EXPRESSION|DETAIL))*\s+",
    re.IGNORECASE,
)

_TOKEN_REPR = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+.*?>", re.DOTALL)
_MISSING_PART = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]*?(\w+)'>")
_FIRST_LINE_WIDTH = 80


def check_hiveql(text: str, variables: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem found in a HiveQL script, in line order; [] when it looks fine.

    Hive substitutes `${hiveconf:K}`, `${hivevar:K}`, `${env:K}`, `${system:K}` and `${K}` before
    it parses: each statement is checked with them replaced by what `variables` knows (keys as
    `hiveconf:K`, `hivevar:K` or `K`; the script's own SETs are added), else by a placeholder
    name, which parses wherever a value or a name may stand.
    """
    problems: list[Problem] = []
    try:
        statements = split_statements(text)
    except Exception as exc:  # never let a lint crash hide the script's real state
        return [Problem(1, f"cannot split the script into statements: {exc}")]
    known = dict(variables or {})
    known.update({f"hiveconf:{k}": v for k, (v, _) in effective_settings(text, "hive").items()})
    for statement in statements:
        problems.extend(_semicolon_in_comment(statement))
        blanked, unclosed = blank_block_comments(statement.text)
        if unclosed is not None:
            problems.append(
                Problem(statement.line + statement.text.count("\n", 0, unclosed), _OPEN)
            )
            continue
        code = blanked.lstrip()
        line = statement.line + blanked[: len(blanked) - len(code)].count("\n")
        if not code:
            problems.append(Problem(statement.line, _ONLY_COMMENT))
            continue
        substituted = substitute_hive_variables(code, known)
        problems.extend(_check_statement(Statement(substituted, line)))
    return problems


# Hive's lexer hides /* */ comments, but its CLI and kiter split statements at every `;` first.
_OPEN = (
    "a /* comment is not closed before the statement's ';': Hive splits statements before it "
    "reads comments, so a ';' inside a /* */ comment ends the statement there; take it out"
)
_ONLY_COMMENT = (
    "a statement of only a /* */ comment: Hive's parser finds nothing in it; "
    "put the comment before the next statement's ';'"
)


def _semicolon_in_comment(statement: Statement) -> list[Problem]:
    """A `;` inside a `--` comment: the Hive CLI (EMR steps) ends the statement there; the
    HiveServer2 splitter does not. The same script would mean two things."""
    problems = []
    for offset, raw in enumerate(statement.text.splitlines()):
        comment = line_comment(raw)
        if comment is not None and ";" in comment:
            problems.append(
                Problem(
                    statement.line + offset,
                    "a ';' inside a -- comment: the Hive CLI (EMR steps) ends the statement "
                    "there, HiveServer2 does not; move it out of the comment",
                    "warning",
                )
            )
    return problems


def _check_statement(statement: Statement) -> list[Problem]:
    body = statement.text
    line = statement.line
    shown = _shorten(statement.first_line)
    open_quote = _unclosed_quote_line(body)
    if open_quote is not None:
        return [Problem(line + open_quote, "string literal is never closed")]
    first = re.match(r"[A-Za-z]+|\S", body)
    word = first.group(0).upper() if first else ""
    if word not in _STATEMENT_WORDS and word != "(":
        return [Problem(line, f"not a HiveQL statement: {shown}")]
    mistake = hive_set_mistake(body)
    if mistake:
        return [Problem(line, mistake)]
    explain = _EXPLAIN.match(body)
    if explain:
        # Check the statement being explained; its lines start on the same line as EXPLAIN.
        inner = body[explain.end() :]
        offset = body[: explain.end()].count("\n")
        return _check_statement(Statement(text=inner, line=line + offset))
    if _OPAQUE.match(body):
        return []
    return _parse(body, line, shown)


def _parse(body: str, line: int, shown: str) -> list[Problem]:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, SqlglotError

    try:
        with _quiet_sqlglot():
            nodes = sqlglot.parse(body, read="hive")
    except ParseError as exc:
        detail: dict[str, Any] = exc.errors[0] if exc.errors else {}
        where = line + max(int(detail.get("line") or 1), 1) - 1
        return [Problem(where, f"HiveQL syntax error: {_short_message(exc, detail)}")]
    except SqlglotError as exc:
        return [Problem(line, f"HiveQL syntax error: {_clean(str(exc))}")]
    except Exception as exc:  # sqlglot bugs (RecursionError on deep nesting, ...) are not ours
        return [Problem(line, f"sqlglot failed on this statement ({type(exc).__name__}): {shown}")]
    for node in nodes:
        if isinstance(node, exp.Command) and not _COMMAND_OK.match(body):
            return [Problem(line, f"sqlglot cannot parse this statement as HiveQL: {shown}")]
    return []


def _short_message(exc: Exception, detail: dict[str, Any]) -> str:
    description = _clean(str(detail.get("description") or exc).splitlines()[0])
    highlight = str(detail.get("highlight") or "").strip()
    if highlight and highlight not in description:
        return f"{description} (near {_shorten(highlight)!r})"
    return description


def _clean(message: str) -> str:
    """sqlglot prints whole Token and class objects in some messages; keep what a user can read."""
    message = _TOKEN_REPR.sub(lambda m: repr(m.group(1)), message)
    message = message.replace("'SENTINEL'", "the end of the statement")
    return _MISSING_PART.sub(lambda m: f"incomplete {m.group(1).upper()}", message)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _FIRST_LINE_WIDTH else text[: _FIRST_LINE_WIDTH - 3] + "..."


def _unclosed_quote_line(body: str) -> int | None:
    """0-based line within `body` of a quote that is never closed, with the splitter's rules."""
    quote = ""
    quote_line = 0
    line = 0
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if quote:
            if ch == "\\":
                line += body[i + 1 : i + 2] == "\n"
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch == "-" and body.startswith("--", i):
            end = body.find("\n", i)
            if end < 0:
                return None
            i = end
            continue
        elif ch in ("'", '"', "`"):
            quote, quote_line = ch, line
        line += ch == "\n"
        i += 1
    return quote_line if quote else None


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every Command fallback; a library must not write to stderr."""
    logger = logging.getLogger("sqlglot")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)
