"""A local engine's process (the Pig and Hadoop targets): spawned to die with kiter, its output read.

The process gets SIGTERM when kiter dies, even by kill -9 (PR_SET_PDEATHSIG), and default signal
handling (a JVM that inherits an ignored SIGINT cannot be interrupted). With `session`, it leads a
process group of its own: a terminal's Ctrl-C reaches kiter alone, which stops the whole group
(the JVM and the programs it started). This room knows no engine and no target.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def spawn(command: list[str], workdir: Path, *, session: bool = False) -> subprocess.Popen[str]:
    """Start `command` in `workdir` with its stdout and stderr piped, as text."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return subprocess.Popen(
        command,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        preexec_fn=in_child,  # one C call, no Python locks: safe beside threads
        restore_signals=True,
        start_new_session=session,
    )


def drain(stream: IO[str] | None, sink: Callable[[str], Any], name: str) -> threading.Thread:
    """Read `stream` line by line into `sink` on a thread of its own."""

    def read() -> None:
        if stream is None:
            return
        for line in stream:
            sink(line.rstrip("\n"))

    thread = threading.Thread(target=read, name=name, daemon=True)
    thread.start()
    return thread


def stop_group(process: subprocess.Popen[str], grace: float = 10.0) -> str:
    """SIGTERM to the process group `process` leads, SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return f"it had ended with exit {process.returncode}"
    with _gone():
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with _gone():
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return "killed it"
    with _gone():  # what the JVM started and left behind
        os.killpg(process.pid, signal.SIGKILL)
    return "stopped it"


class _gone:
    """Ignore a process group that has already ended."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, ProcessLookupError)
