"""A local engine's process (the Pig and Hadoop targets): spawned to die with kiter, its output read,
waited for.

The process gets SIGTERM when kiter dies, even by kill -9 (PR_SET_PDEATHSIG), and default signal
handling (a JVM that inherits an ignored SIGINT cannot be interrupted). With `session`, it leads a
process group of its own: a terminal's Ctrl-C reaches kiter alone, which stops the whole group
(the JVM and the programs it started). `wait_for` is the targets' follow loop. This room knows no
engine.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from kiter.errors import Interrupted
from kiter.targets.base import Abandoned, Handle, Watch

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


class Running(Protocol):
    """A local engine's run as a target holds it."""

    process: subprocess.Popen[str]
    run_dir: Path

    def pump(self) -> None:
        """Forward the engine's log written since the last call."""
        ...

    def stop(self) -> str:
        """Stop the run; what happened, for the record."""
        ...


def wait_for(
    run: Running,
    handle: Handle,
    watch: Watch,
    *,
    what: str,
    sleep: Callable[[float], None],
    interval: float,
    beat: Callable[[], None] = lambda: None,
) -> None:
    """Wait for the run's end, forwarding its log; `Abandoned` once the lease is gone (the run
    left as it is), `Interrupted` after Ctrl-C (the run stopped). `what` is e.g. "Pig ran job";
    `beat` is called at every look (a status line's update)."""
    try:
        while run.process.poll() is None:
            beat()
            if not watch.held():
                raise Abandoned(handle, f"the lease is gone while {what}")
            run.pump()
            sleep(interval)
    except KeyboardInterrupt:
        engine = what.split()[0]
        raise Interrupted(f"cancelled the {engine} run in {run.run_dir} ({run.stop()})") from None


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


class LogTail:
    """A log file an engine writes as it runs, forwarded to `sink` a complete line at a time."""

    def __init__(self, path: Path, sink: Callable[[str], Any]) -> None:
        self.path = path
        self._sink = sink
        self._offset = 0

    def pump(self) -> None:
        """Forward what the engine added since the last call."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            self._sink(line)


class _gone:
    """Ignore a process group that has already ended."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, ProcessLookupError)
