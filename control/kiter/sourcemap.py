"""Where a line of a rendered script came from in its template.

Rendering keeps most lines as the template wrote them, but macros and blocks shift them: a line
of the rendered text is found in the template by its text, nearest to the same number, and
otherwise keeps its number. Used for engines' errors (Pig's `line N`) and adopted scripts' notes.
"""

from __future__ import annotations


def template_line(rendered: str, source: str, line: int) -> int:
    """The template line that line `line` (1-based) of `rendered` most likely came from."""
    rendered_lines = rendered.splitlines()
    wanted = rendered_lines[line - 1].strip() if 0 < line <= len(rendered_lines) else ""
    if not wanted:
        return line
    matches = [n for n, text in enumerate(source.splitlines(), 1) if text.strip() == wanted]
    return min(matches, key=lambda n: abs(n - line)) if matches else line
