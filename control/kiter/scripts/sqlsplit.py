"""Split a HiveQL script into statements the way the Hive CLI does, and find its `--` comments.

Semicolons end statements unless they sit inside quotes, inside a `--` comment, or are escaped as
`\\;`. HiveServer2 (and Spark's Thrift server) take one statement per call, so the client splits.
The statement text is returned verbatim (comments inside it included), without its terminating
semicolon: SET lines must reach the server exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Statement:
    """One statement of a script and the 1-based line where its first code character stands."""

    text: str
    line: int
    start: int = field(default=-1, compare=False)  # offset of its first code character
    end: int = field(default=-1, compare=False)  # offset of its `;` (the script's end if none)

    @property
    def first_line(self) -> str:
        """The first line of code, for error messages."""
        for raw in self.text.splitlines():
            stripped = raw.strip()
            if stripped and not stripped.startswith("--"):
                return stripped
        return self.text.strip()


def split_statements(script: str) -> list[Statement]:
    """The statements of `script`, in order; blank and comment-only pieces are dropped."""
    statements: list[Statement] = []
    buf: list[str] = []
    quote = ""  # the quote character we are inside, or ""
    in_comment = False
    line = 1
    start_line = 0  # line of the first code character of the current statement, 0 = none yet
    code_start = 0  # index in buf of that character: leading comments are not sent
    segment = 0  # offset in the script where buf begins (buf holds the script's characters)
    i, n = 0, len(script)
    while i < n:
        ch = script[i]
        if in_comment:
            buf.append(ch)
            if ch == "\n":
                in_comment = False
                line += 1
            i += 1
            continue
        if quote:
            buf.append(ch)
            if ch == "\\" and i + 1 < n:
                buf.append(script[i + 1])
                line += script[i + 1] == "\n"
                i += 2
                continue
            if ch == quote:
                quote = ""
            line += ch == "\n"
            i += 1
            continue
        if ch == "-" and script.startswith("--", i):
            in_comment = True
            buf.append(ch)
            i += 1
            continue
        if ch == "\\" and i + 1 < n and script[i + 1] == ";":
            # An escaped semicolon belongs to the statement; Hive keeps the backslash.
            if not start_line:
                start_line, code_start = line, len(buf)
            buf.append("\\;")
            i += 2
            continue
        if ch == ";":
            _flush(statements, buf[code_start:], start_line, segment + code_start, i)
            buf, start_line, code_start = [], 0, 0
            i += 1
            segment = i
            continue
        if ch in ("'", '"', "`"):
            quote = ch
        if not ch.isspace() and not start_line:
            start_line, code_start = line, len(buf)
        buf.append(ch)
        line += ch == "\n"
        i += 1
    _flush(statements, buf[code_start:], start_line, segment + code_start, n)
    return statements


def _flush(
    statements: list[Statement], buf: list[str], start_line: int, start: int, end: int
) -> None:
    if not start_line:
        return  # only whitespace and comments
    text = "".join(buf).rstrip()
    if text:
        statements.append(Statement(text=text, line=start_line, start=start, end=end))


def line_comment(line: str) -> str | None:
    """The text after one line's `--` comment marker (quotes respected), None without one."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif line.startswith("--", i):
            return line[i + 2 :]
    return None


def blank_block_comments(statement: str) -> tuple[str, int | None]:
    """`statement` with its `/* ... */` comments (nested ones too) turned into spaces, line
    breaks kept, as Hive 3's lexer hides them (HiveLexer's QUERY_HINT rule); `/*+ ... */` hints
    stay. Quotes and `--` comments are respected. The second value is the offset of a `/*` never
    closed in the statement (its `;` sat inside the comment: the splitter ended it there), else
    None."""
    if "/*" not in statement:
        return statement, None
    out = list(statement)
    quote = ""
    i, n = 0, len(statement)
    while i < n:
        ch = statement[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif statement.startswith("--", i):
            end = statement.find("\n", i)
            i = n if end < 0 else end
            continue
        elif statement.startswith("/*", i) and not statement.startswith("/*+", i):
            closed = _comment_end(statement, i)
            if closed is None:
                return "".join(out), i
            for k in range(i, closed):
                if out[k] != "\n":
                    out[k] = " "
            i = closed
            continue
        i += 1
    return "".join(out), None


def _comment_end(text: str, start: int) -> int | None:
    """Offset just past the `*/` that closes the comment opened at `start` (nesting counted)."""
    depth = 0
    i = start
    while i < len(text) - 1:
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return None
