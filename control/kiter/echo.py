"""Echo: where a room sends a line of progress or engine log (stderr in the CLI, a list in tests);
Progress: the one line a wait keeps up to date (a status line on a terminal, heartbeats off it).

Every room that reports progress takes an `Echo` instead of printing; an Echo never gets secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

Echo = Callable[[str], None]


def no_echo(_line: str) -> None:
    """An Echo that drops everything (for --quiet and for tests that do not look)."""


class Progress(Protocol):
    """Where a wait shows how it goes: one line per run, rewritten in place on a terminal,
    repeated as a heartbeat off it (kiter.cli.progress). Targets get one as they get an Echo;
    the lines an Echo prints stay, this one is replaced by the next."""

    def update(self, state: str, since: float | None = None, detail: str = "") -> None:
        """The run is in `state` ("step s-1 RUNNING"), entered at `since` (epoch seconds, as the
        engine tells it; None: when this line first showed the state); `detail` goes after."""
        ...

    def calling(self, what: str) -> AbstractContextManager[None]:
        """Around a call that may not answer: the line says "waiting for {what}" once it has
        not answered within a second."""
        ...

    def done(self) -> None:
        """The wait is over: the line goes away until the next update."""
        ...


class NoProgress:
    """A Progress that shows nothing (for --quiet, for tests that do not look, for callers that
    have no terminal line to give)."""

    def update(self, state: str, since: float | None = None, detail: str = "") -> None:
        del state, since, detail

    def calling(self, what: str) -> AbstractContextManager[None]:
        del what
        return nullcontext()

    def done(self) -> None:
        pass


NO_PROGRESS: Progress = NoProgress()
