"""The status lines of kiter's waits: one per running job, rewritten in place on a terminal (rich's
`Live`), and off a terminal a heartbeat line at least once a minute. Below them, the demo's
spinner and `kiter local`'s counter (waits of kiter's own, not an engine's).

Targets report through `kiter.echo.Progress` (a state, when the engine says it was entered, a
detail); this room is the one implementation that draws it. rich is imported only when a board
opens on a terminal, so `kiter --help` does not pay for it. The board adds the time in the state
and a word about a call that has not answered within a second; it never decides anything.
The lines an Echo prints (state changes, errors) are not its business: they stay, this is the
line that is replaced.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from kiter.durations import format_duration
from kiter.echo import Echo, Progress

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

# Off a terminal a waiting line is repeated at least this often (cron mails, CI logs, journald).
HEARTBEAT_SECONDS = 60.0
# A call that has not answered within this long is said to be waited for.
CALL_PATIENCE_SECONDS = 1.0
# How often the board looks at its lines (the heartbeat thread, the terminal's refresh).
TICK_SECONDS = 0.5
# The terminal a board draws on, while it does: kiter's other stderr lines go above its lines.
_drawing: list[Console] = []


def above_board(text: str) -> bool:
    """Print a line of stderr above the board drawn on the terminal; False when none is (the
    caller prints it as usual). Colours already in `text` (ANSI) are kept, markup is not read."""
    if not _drawing:
        return False
    from rich.text import Text

    _drawing[-1].print(Text.from_ansi(text), soft_wrap=True)
    return True


@dataclass
class _Line:
    """What one job's wait is at: its state and since when, and a call in flight."""

    label: str
    state: str = ""
    since: float = 0.0
    detail: str = ""
    call: str = ""
    call_since: float = 0.0
    call_told: bool = False
    call_thread: int = 0
    printed: float = 0.0  # off a terminal: when this line was last printed


class Board:
    """The status lines of the jobs that wait; `line(label)` gives each job its Progress.

    On a terminal (`console` given and one) the lines live under the other output and are
    rewritten in place; otherwise each line is printed through `echo` once it has waited a
    minute in the same state, then once a minute, and a call unanswered within a second is
    said once. `tick()` does that; a thread calls it twice a second unless `ticker` is False
    (tests call it from their fake sleep).
    """

    def __init__(
        self,
        echo: Echo,
        *,
        console: Console | None = None,
        clock: Callable[[], float] = time.time,
        heartbeat: float = HEARTBEAT_SECONDS,
        ticker: bool = True,
    ) -> None:
        self.echo = echo
        self.console = console
        self.clock = clock
        self.heartbeat = heartbeat
        self.ticker = ticker
        self.lines: list[_Line] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._live: Any = None
        self._spinners: dict[int, Any] = {}  # a line's spinner, kept so that it turns
        self._threads: dict[int, Progress] = {}  # the line of each thread's unclaimed calls

    @property
    def in_place(self) -> bool:
        """Whether the lines are rewritten in place (a terminal) rather than repeated."""
        return self.console is not None

    def line(self, label: str = "") -> Progress:
        line = _Line(label)
        with self._lock:
            self.lines.append(line)
        return BoardLine(self, line)

    def calls(self, what: str) -> AbstractContextManager[None]:
        """An AWS call of this thread (`kiter.aws.Aws.on_call`): shown on a line of its own
        unless a job's line already waits for a call on this thread (the target's own words)."""
        here = threading.get_ident()
        with self._lock:
            if any(line.call and line.call_thread == here for line in self.lines):
                return nullcontext()
            if here not in self._threads:
                line = _Line("")
                self.lines.append(line)
                self._threads[here] = BoardLine(self, line)
            mine = self._threads[here]
        return mine.calling(what)

    # -- what a line says --------------------------------------------------------------------

    def words(self, line: _Line, now: float) -> str:
        """`label: state for 1m02s · detail · waiting for X (3s)`."""
        parts = (
            [f"{line.state} for {format_duration(max(now - line.since, 0))}"] if line.state else []
        )
        if line.state and line.detail:
            parts.append(line.detail)
        waited = now - line.call_since
        if line.call and waited >= CALL_PATIENCE_SECONDS:
            parts.append(f"waiting for {line.call} ({format_duration(waited)})")
        text = " · ".join(parts)
        return f"{line.label}: {text}" if line.label else text

    # -- off a terminal: heartbeats ------------------------------------------------------------

    def tick(self) -> None:
        """Print what is due off a terminal: a call waited for, a heartbeat."""
        if self.in_place:
            return
        now = self.clock()
        due = []
        with self._lock:
            for line in self.lines:
                if (
                    line.call
                    and not line.call_told
                    and now - line.call_since >= CALL_PATIENCE_SECONDS
                ):
                    line.call_told = True
                    line.printed = now
                    due.append(self.words(line, now))
                elif line.state and now - line.printed >= self.heartbeat:
                    line.printed = now
                    due.append(self.words(line, now))
        for text in due:
            self.echo(text)

    def _beat(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self.tick()

    # -- on a terminal: rich's Live ------------------------------------------------------------

    def _render(self) -> RenderableType:
        from rich.console import Group
        from rich.spinner import Spinner

        now = self.clock()
        shown = []
        with self._lock:
            for line in self.lines:
                words = self.words(line, now)  # "" for a line with nothing to say yet
                if words:
                    spinner = self._spinners.setdefault(id(line), Spinner("dots", style="cyan"))
                    spinner.update(text=words)
                    shown.append(spinner)
        return Group(*shown)

    def __enter__(self) -> Board:
        if self.console is not None:
            from rich.live import Live

            # transient: the status lines go when the board closes. kiter's other lines reach
            # stderr through click, which writes past rich's redirection: they come through
            # `above_board` instead.
            self._live = Live(
                console=self.console,
                get_renderable=self._render,
                refresh_per_second=4,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
            _drawing.append(self.console)
        elif self.ticker:
            threading.Thread(target=self._beat, name="kiter-heartbeat", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._live is not None:
            _drawing.remove(self.console)  # type: ignore[arg-type]  # set when _live is
            self._live.stop()
            self._live = None


class BoardLine:
    """One job's Progress on a Board."""

    def __init__(self, board: Board, line: _Line) -> None:
        self.board = board
        self.line = line

    def update(self, state: str, since: float | None = None, detail: str = "") -> None:
        board, line = self.board, self.line
        now = board.clock()
        with board._lock:
            if state != line.state:
                # The state changed: its Echo line says so; the heartbeat counts from here.
                line.state, line.printed = state, now
                line.since = now if since is None else since
            elif since is not None:
                line.since = since
            line.detail = detail
        board.tick()

    @contextmanager
    def calling(self, what: str) -> Iterator[None]:
        board, line = self.board, self.line
        with board._lock:
            line.call, line.call_since, line.call_told = what, board.clock(), False
            line.call_thread = threading.get_ident()
        try:
            yield
        finally:
            with board._lock:
                line.call = ""

    def done(self) -> None:
        with self.board._lock:
            self.line.state = ""
            self.line.call = ""


def terminal_console() -> Console | None:
    """rich's Console on stderr when stderr is a terminal that can be drawn on (rich honours
    NO_COLOR and TERM=dumb itself), else None: heartbeat lines instead."""
    if not sys.stderr.isatty():
        return None  # checked before importing rich: most unattended runs stop here
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal and not console.is_dumb_terminal else None


# -- the demo's and `kiter local`'s own waits: a block timed, a count going up ------------------


@contextmanager
def spinner(text: str) -> Iterator[None]:
    """Show `text` while the block runs (a board's line: in place on a terminal, a heartbeat off
    it); say how long it took when it ends."""
    console = terminal_console()
    start = time.monotonic()
    if console is None:
        click.echo(f"{text} ...", err=True)
    ok = False
    try:
        with Board(lambda line: click.echo(line, err=True), console=console) as board:
            board.line().update(text)
            yield
        ok = True
    finally:
        mark = "done" if ok else "stopped"
        click.echo(f"{text}: {mark} in {format_duration(time.monotonic() - start)}", err=True)


class Counter:
    """A count that goes up: rewritten in place on a terminal, a line every few seconds off it."""

    def __init__(self, text: str, *, every: float = 5.0) -> None:
        self.text = text  # with {n} and {rate} in it
        self.tty = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
        self.every = every
        self.started = time.monotonic()
        self.shown = self.started
        self.count = 0

    def __call__(self, count: int) -> None:
        self.count = count
        now = time.monotonic()
        if self.tty:
            click.echo(f"\r\033[K{self._line(now)}", nl=False, err=True)
        elif now - self.shown >= self.every:
            click.echo(self._line(now), err=True)
            self.shown = now

    def done(self) -> None:
        if self.tty:
            click.echo("\r\033[K", nl=False, err=True)
        click.echo(self._line(time.monotonic()), err=True)

    def _line(self, now: float) -> str:
        rate = self.count / max(now - self.started, 1e-3)
        return self.text.format(n=f"{self.count:,}", rate=f"{rate:,.0f}")
