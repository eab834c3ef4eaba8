"""The log of every run: each attempt of an iteration writes its own file under the project.

`.kiter/logs/<logical>/<iteration>/<attempt>.log` holds, each line stamped with its UTC time:
kiter's own lines for the attempt (the claim, staging, the target's progress), the engine's log
lines, the rendered script's sha256 and the outcome. Every line passes through the attempt's
redactor before it is written. An attempt number used twice (a guard refused it, then it ran)
appends to the same file.

The folder is kept within a bound, pruned when `kiter submit` or `kiter run` starts (at most once
an hour, whichever process: the time of `logs.pruned` beside the folder says when) and every hour `kiter run` runs: files
older than `KEEP_DAYS` go, then the oldest until all of them hold at most `KEEP_BYTES`; one attempt's
file stops growing at `FILE_BYTES` (its outcome is written all the same). Writing a run log never
fails a run: a file that cannot be written is said once, and the run goes on without it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import quote

from kiter.durations import format_duration
from kiter.echo import Echo, no_echo
from kiter.secrets import NO_SECRETS, Redactor
from kiter.watch import AttemptReport, AttemptStarted, utc_iso

KEEP_DAYS = 30
KEEP_BYTES = 200 * 1024 * 1024
FILE_BYTES = 20 * 1024 * 1024
_WAITING_LINES = 500  # lines kept while no attempt is open (before its claim)
_PRUNED = ".pruned"  # `logs.pruned` beside the folder: its time says when it was last pruned


def logs_root(project_root: Path) -> Path:
    return project_root / ".kiter" / "logs"


def attempt_path(root: Path, logical: str, iteration: int, attempt: int) -> Path:
    return root / _folder(logical) / str(iteration) / f"{attempt}.log"


def attempt_logs(root: Path, logical: str, iteration: int) -> list[tuple[int, Path]]:
    """The attempts of an iteration that have a log, by attempt number."""
    folder = root / _folder(logical) / str(iteration)
    found = []
    for path in folder.glob("*.log") if folder.is_dir() else ():
        if path.stem.isdigit():
            found.append((int(path.stem), path))
    return sorted(found)


def prune(
    root: Path,
    now: float,
    *,
    keep_seconds: float = KEEP_DAYS * 86400,
    keep_bytes: int = KEEP_BYTES,
) -> int:
    """Delete run logs past the bound (too old, then the oldest over the size); how many."""
    files = []
    try:
        for path in root.rglob("*.log") if root.is_dir() else ():
            info = path.stat()
            files.append((info.st_mtime, info.st_size, path))
    except OSError:
        return 0  # a folder that cannot be read is not pruned; the runs go on
    files.sort()
    total = sum(size for _, size, _ in files)
    removed = 0
    emptied: set[Path] = set()  # the folders of removed files, up to the root's own
    for mtime, size, path in files:
        if mtime >= now - keep_seconds and total <= keep_bytes:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed += 1
        emptied.update(path.relative_to(root).parents)
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        if folder.parts:  # not the root itself
            with contextlib.suppress(OSError):  # only the empty ones go
                (root / folder).rmdir()
    return removed


class Pruning:
    """Keeps the bound for a process that runs for days: prunes when asked (at start), then at
    most every `every` seconds, after an attempt ends."""

    def __init__(
        self, root: Path, *, clock: Callable[[], float] = time.time, every: float = 3600.0
    ) -> None:
        self.root, self.clock, self.every = root, clock, every
        self._due = 0.0
        self._lock = threading.Lock()

    def now(self) -> int:
        """Prune unless any process did within `every` (the mark's time says when): a submit a
        minute must not read every run log each time."""
        with self._lock:
            at = self.clock()
            self._due = at + self.every
            mark = self.root.with_name(self.root.name + _PRUNED)  # beside the logical names
            with contextlib.suppress(OSError):
                info = mark.stat()
                # A mark from the future (a clock set back, a copied folder) is no mark.
                if stat.S_ISREG(info.st_mode) and at - self.every < info.st_mtime <= at:
                    return 0
            removed = prune(self.root, at)
            with contextlib.suppress(OSError):
                mark.touch()
                os.utime(mark, (at, at))
            return removed

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        pass

    def attempt_ended(self, report: AttemptReport) -> None:
        if self.clock() >= self._due:
            self.now()


class RunLog:
    """One job's run logs: its attempts come one at a time, their lines from any thread.

    `kiter(echo)` and `engine(log)` wrap the channels the runner and the targets write to, so
    each line goes on to its usual place and into the open attempt's file.
    """

    def __init__(
        self,
        root: Path,
        *,
        clock: Callable[[], float] = time.time,
        max_bytes: int = FILE_BYTES,
        warn: Echo = no_echo,
    ) -> None:
        self.root = root
        self.clock = clock
        self.max_bytes = max_bytes
        self.warn = warn
        self._lock = threading.Lock()
        self._waiting: deque[tuple[float, str, str]] = deque(maxlen=_WAITING_LINES)
        self._file: IO[str] | None = None
        self._written = 0
        self._cut = False
        self._redact: Redactor = NO_SECRETS
        self._broken = False

    def kiter(self, echo: Echo) -> Echo:
        return self._tee(echo, "kiter")

    def engine(self, log: Echo) -> Echo:
        return self._tee(log, "engine")

    def _tee(self, echo: Echo, source: str) -> Echo:
        def tee(line: str) -> None:
            self.line(line, source)
            echo(line)

        return tee

    def line(self, text: str, source: str = "kiter") -> None:
        with self._lock:
            if self._file is None:
                self._waiting.append((self.clock(), source, text))
            else:
                self._write(self.clock(), source, text)

    # ---- the watcher ------------------------------------------------------------------------

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        path = attempt_path(self.root, started.logical_name, started.iteration, started.attempt)
        with self._lock:
            self._close()
            self._redact, self._written, self._cut = redact, 0, False
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._file = path.open("a", encoding="utf-8")
            except OSError as exc:
                self._give_up(path, exc)
                return
            self._write(
                started.at,
                "kiter",
                f"job {started.job}, logical name {started.logical_name}, iteration "
                f"{started.iteration}, attempt {started.attempt}, target {started.target}, "
                f"pid {os.getpid()}",
            )
            while self._waiting:
                self._write(*self._waiting.popleft())

    def attempt_ended(self, report: AttemptReport) -> None:
        with self._lock:
            if self._file is None:
                return
            end = report.ended
            if report.script_sha256:
                self._write(end, "kiter", f"script sha256 {report.script_sha256}", always=True)
            facts = [format_duration(report.duration_seconds)]
            if report.records is not None:
                facts.append(f"{report.records} records, {report.bytes} bytes staged")
            if report.submission_id:
                facts.append(report.submission_id)
            self._write(end, "kiter", f"outcome {report.state} ({', '.join(facts)})", always=True)
            if report.cause:
                self._write(end, "kiter", f"cause: {report.cause}", always=True)
            self._close()

    # ---- the file ---------------------------------------------------------------------------

    def _write(self, at: float, source: str, text: str, *, always: bool = False) -> None:
        """One line (or a message's lines) into the open file, while it is under its cap;
        `always` for the attempt's end, which is written past the cap too."""
        if self._file is None or (self._cut and not always):
            return
        stamp = f"{utc_iso(at)} {source:<6} "
        lines = "".join(f"{stamp}{line}\n" for line in self._redact(text).splitlines() or [""])
        size = len(lines.encode("utf-8"))
        if not always and self._written + size > self.max_bytes:
            lines = (
                f"{stamp}(the rest of this attempt's lines are left out: {self.max_bytes} bytes)\n"
            )
            self._cut = True
        try:
            self._file.write(lines)
            self._file.flush()  # `kiter logs` of a running attempt shows what it did so far
        except OSError as exc:
            self._give_up(Path(self._file.name), exc)
            return
        self._written += size

    def _give_up(self, path: Path, exc: OSError) -> None:
        self._close()
        if not self._broken:
            self._broken = True
            self.warn(f"cannot write the run log {path}: {exc.strerror or exc}; going on without")

    def _close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


def _folder(name: str) -> str:
    """A logical name as one folder name: no separator, never `.` or `..`."""
    folder = quote(name, safe="")
    return folder.replace(".", "%2E") if folder in (".", "..") else folder
