"""A progress display for long waits: a spinner with elapsed time on a terminal, plain lines off it."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click

from kiter.durations import format_duration

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@contextmanager
def spinner(text: str) -> Iterator[None]:
    """Show `text` while the block runs; say how long it took when it ends."""
    tty = sys.stderr.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    start = time.monotonic()
    stop = threading.Event()

    def spin() -> None:
        frame = 0
        while not stop.wait(0.1):
            elapsed = time.monotonic() - start
            # Clear to the end of the line: the elapsed time can get shorter (9.9s, then 10s).
            line = f"{_FRAMES[frame % len(_FRAMES)]} {text} ({format_duration(elapsed)})"
            click.echo(f"\r\033[K{line}", nl=False, err=True)
            frame += 1

    thread = threading.Thread(target=spin, daemon=True)
    if tty:
        thread.start()
    else:
        click.echo(f"{text} ...", err=True)
    ok = False
    try:
        yield
        ok = True
    finally:
        stop.set()
        if tty:
            thread.join()
            click.echo("\r\033[K", nl=False, err=True)
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
