"""Echo: where a room sends a line of progress or engine log (stderr in the CLI, a list in tests).

Every room that reports progress takes an `Echo` instead of printing; an Echo never gets secrets.
"""

from __future__ import annotations

from collections.abc import Callable

Echo = Callable[[str], None]


def no_echo(_line: str) -> None:
    """An Echo that drops everything (for --quiet and for tests that do not look)."""
