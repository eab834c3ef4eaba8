"""Where a line of a rendered script came from in its template.

Rendering keeps most lines as the template wrote them, but macros and blocks shift them: a line
of the rendered text is found in the template by its text, nearest to the same number, and
otherwise keeps its number. Used for engines' errors (Pig's `line N`) and adopted scripts' notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def template_line(rendered: str, source: str, line: int) -> int:
    """The template line that line `line` (1-based) of `rendered` most likely came from."""
    rendered_lines = rendered.splitlines()
    wanted = rendered_lines[line - 1].strip() if 0 < line <= len(rendered_lines) else ""
    if not wanted:
        return line
    matches = [n for n, text in enumerate(source.splitlines(), 1) if text.strip() == wanted]
    return min(matches, key=lambda n: abs(n - line)) if matches else line


def template_lines(rendered: str, source: str, block: str) -> Callable[[int], int | None]:
    """Line of `rendered` -> line of its template, where `block` (kiter's checkpoint block) was
    put at the top (before a blank line) or where the template placed it; None for a line of the
    block itself, which no template line wrote."""
    at = rendered.find(block) if block else -1
    if at < 0:
        return lambda line: template_line(rendered, source, line)
    size = block.count("\n") + 1
    if at == 0 and rendered.startswith(block + "\n\n") and "preamble(" not in source:
        body = rendered[len(block) + 2 :]
        return lambda line: (
            None if line <= size + 1 else template_line(body, source, line - size - 1)
        )
    first = rendered.count("\n", 0, at) + 1
    collapsed = rendered[:at] + "\x00" + rendered[at + len(block) :]  # the block as one line

    def where(line: int) -> int | None:
        if first <= line < first + size:
            return None
        return template_line(collapsed, source, line if line < first else line - size + 1)

    return where


# The comment line kiter.render.joining puts before each script of a job of several.
JOINED_HEADER = "-- kiter: script "


def joined_template_line(rendered: str, sources: Sequence[tuple[str, str]], line: int) -> str:
    """`template:N` for line `line` of a job's scripts joined into one text; `sources` are each
    script's template (path) and text, in order. Lines above the first script (kiter's checkpoint
    block) are named in the first template."""
    lines = rendered.splitlines()
    starts = [n for n, text in enumerate(lines, start=1) if text.startswith(JOINED_HEADER)]
    if len(starts) != len(sources):  # not a joined text after all: the first template, as one
        path, source = sources[0]
        return f"{path}:{template_line(rendered, source, line)}"
    index = max((i for i, start in enumerate(starts) if start < line), default=0)
    first = starts[index]
    end = starts[index + 1] - 1 if index + 1 < len(starts) else len(lines)
    part = "\n".join(lines[first:end])
    path, source = sources[index]
    return f"{path}:{template_line(part, source, max(line - first, 1))}"


def named_line(rendered: str, sources: Sequence[tuple[str, str]], line: int) -> str:
    """`template:N` for line `line` of a job's rendered text, of one template or several."""
    if len(sources) > 1:
        return joined_template_line(rendered, sources, line)
    path, source = sources[0]
    return f"{path}:{template_line(rendered, source, line)}"
