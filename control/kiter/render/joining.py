"""A job of several scripts as one script text: each rendered script in the job's order, under a
comment line naming it, so every target runs them as it runs one script (HiveServer2 in one
session, EMR as one step, EMR Serverless as one job run, Pig as one run).

`kiter.sourcemap.joined_template_line` reads the comment lines back to name a template's
file:line. This module only joins text: it renders and checks nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiter.scripts import split_statements
from kiter.sourcemap import JOINED_HEADER


def header(number: int, count: int, template: str) -> str:
    """The comment line before script `number` of `count` (a name on one line, whatever it holds)."""
    name = " ".join(template.split())
    return f"{JOINED_HEADER}{number} of {count}: {name}"


def join_scripts(parts: Sequence[tuple[str, str]], engine: str) -> str:
    """`parts` are (template name, rendered text) in the job's order; one part is its own text."""
    if len(parts) == 1:
        return parts[0][1]
    pieces = []
    for number, (template, text) in enumerate(parts, start=1):
        if engine == "hive":
            text = _terminated(text)
        pieces += [header(number, len(parts), template), "\n", text]
        if not text.endswith("\n"):
            pieces.append("\n")
    return "".join(pieces)


def _terminated(text: str) -> str:
    """The script with its last statement ended by `;`: Hive takes a script's last statement
    without one, but followed by the next script it would run into that script's first."""
    statements = split_statements(text)
    if not statements:
        return text
    last = statements[-1]
    if last.end < len(text) and text[last.end] == ";":
        return text
    # On a line of its own: the statement may end in a `--` comment.
    return text.rstrip("\n") + "\n;\n"
