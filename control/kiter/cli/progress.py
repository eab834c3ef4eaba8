"""A progress display for long waits: a spinner with elapsed time on a terminal, plain lines off it."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click

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
            click.echo(
                f"\r{_FRAMES[frame % len(_FRAMES)]} {text} ({elapsed:.0f} s)", nl=False, err=True
            )
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
        click.echo(f"{text}: {mark} in {time.monotonic() - start:.1f} s", err=True)
