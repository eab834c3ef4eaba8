"""A local engine's run (the Pig and Hadoop targets): the one skeleton both targets fill in, and
their process spawned to die with kiter, its output read, waited for.

`LocalTarget` is the two-phase protocol for an engine that runs on this machine. What a target
redefines: `start` (the run's files in a fresh `run_folder`, then the fence, then `spawn`) and
`outcome` (what a finished run came to). What it calls: `run_folder`, `started`. What should just
work: `find` and `attach` (nothing outlives an attempt, so nothing is found), `follow` (the wait,
its status line, the log forwarded) and `cancel`. `EngineRun` is one engine process: its stderr
and stdout read as they come, the log file it writes forwarded; a run says where its stderr is
kept and how it is stopped.

The process gets SIGTERM when kiter dies, even by kill -9 (PR_SET_PDEATHSIG), and default signal
handling (a JVM that inherits an ignored SIGINT cannot be interrupted). With `session`, it leads a
process group of its own: a terminal's Ctrl-C reaches kiter alone, which stops the whole group
(the JVM and the programs it started). This room knows no engine, nor the ledger.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, ClassVar

from kiter.echo import NO_PROGRESS, Progress
from kiter.errors import Interrupted
from kiter.targets.base import UNWATCHED, Abandoned, Echo, Handle, Outcome, Script, Watch, no_echo

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


def wait_for(
    run: EngineRun,
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


class EngineRun:
    """One engine process of a local target: its stderr and stdout read as they come (stdout is
    what a script prints, Pig's DUMP and DESCRIBE), the log file it writes in its run folder
    forwarded to the log channel. Subclasses keep stderr (`_error_line`) and stop the run."""

    run_log: ClassVar[str]  # the file the engine writes its log to, in the run folder

    def __init__(
        self, script: Script, run_dir: Path, process: subprocess.Popen[str], log: Echo, name: str
    ) -> None:
        self.script = script
        self.run_dir = run_dir
        self.process = process
        self._log = log
        self._readers = [
            drain(process.stderr, self._error_line, name),
            drain(process.stdout, log, name),
        ]
        self._run_log = LogTail(run_dir / self.run_log, log)

    def _error_line(self, line: str) -> None:
        self._log(line)

    def pump(self) -> None:
        """Forward what the engine added to its run log since the last call."""
        self._run_log.pump()

    def finish(self) -> None:
        """The run is over: its output read to the end, its log forwarded."""
        for reader in self._readers:
            reader.join(timeout=5)
        self.pump()

    def stop(self) -> str:
        """Stop the run; what happened, for the record."""
        raise NotImplementedError


class LocalTarget:
    """A target whose runs are processes on this machine, in a folder of their own each:
    `<runs>/<logical>/<iteration>/<attempt>/`. A run dies with the process that started it, so
    it cannot be detached and no earlier attempt's run is ever found or attached to."""

    kind: str  # the target kind (kiter.toml), as the Target protocol has it
    label: ClassVar[str]  # how lines name the engine: "Pig", "Hadoop"
    submission_prefix: ClassVar[str]  # a run's id is this and its folder
    detachable = False

    def __init__(
        self,
        name: str,
        *,
        engine: Any,  # the engine's commands (kiter.local); a subclass names its type
        runs: Path,
        workdir: Path,
        heap: str = "1g",
        properties: Mapping[str, str] | None = None,
        echo: Echo = no_echo,
        log: Echo = no_echo,
        progress: Progress = NO_PROGRESS,
        poll_interval: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.engine = engine
        self.runs = runs
        self.workdir = workdir  # the project folder: where runs start or errors name files from
        self.heap = heap
        self.properties = dict(properties or {})
        self._echo = echo
        self._log = log
        self._progress = progress
        self._now = now
        self.poll_interval = poll_interval
        self._sleep = sleep

    # -- to redefine -----------------------------------------------------------------------------

    def start(self, script: Script, watch: Watch = UNWATCHED) -> Handle:
        """The run's files written, then the fence, then the process spawned; `started`."""
        raise NotImplementedError

    def outcome(self, run: Any, handle: Handle) -> Outcome:
        """What the finished run came to (its output read back, or why it failed)."""
        raise NotImplementedError

    # -- to call ---------------------------------------------------------------------------------

    def run_folder(self, script: Script, folders: tuple[str, ...]) -> Path:
        """The attempt's run folder, fresh, with `folders` in it."""
        run_dir = self.runs / script.logical_name / str(script.iteration) / str(script.attempt)
        shutil.rmtree(run_dir, ignore_errors=True)
        for folder in folders:
            (run_dir / folder).mkdir(parents=True)
        return run_dir

    def started(self, run: EngineRun) -> Handle:
        self._echo(f"{self.label} {run.process.pid} running {run.script.job} in {run.run_dir}")
        return Handle(f"{self.submission_prefix}{run.run_dir}", live=run)

    # -- the two-phase protocol ------------------------------------------------------------------

    def find(self, script: Script) -> Handle | None:
        del script  # a run dies with the process that started it: none outlives an attempt
        return None

    def attach(self, submission_id: str) -> Handle | None:
        del submission_id
        return None

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        run: EngineRun = handle.live
        began = (
            self._now()
        )  # the engine tells no start time: its age is from when kiter followed it
        try:
            wait_for(
                run,
                handle,
                watch,
                what=f"{self.label} ran {run.script.job}",
                sleep=self._sleep,
                interval=self.poll_interval,
                beat=lambda: self._progress.update(
                    f"{self.label} {run.process.pid} running", began, run.script.job
                ),
            )
        finally:
            self._progress.done()
        run.finish()
        return self.outcome(run, handle)

    def cancel(self, handle: Handle) -> str:
        run: EngineRun | None = handle.live
        return run.stop() if run is not None else "not running here"
