"""The embedded local stack: a moto server (AWS APIs) and Spark's Thrift Server (HiveServer2).

`kiter local up | down | status` drive one `LocalStack` per project folder (`.kiter/local`). Both
services bind 127.0.0.1 only, run detached so they outlive the command that started them, and are
found again through files in that folder: `moto.pid`, `hiveserver2.pid`, `stack.json` and their logs.
`resolve_endpoint` / `resolve_hiveserver2` say what "local" means in a project's configuration.

This room must not import click or print: progress goes through an injected echo. It knows nothing
of targets, the ledger or the runner.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiter.echo import Echo, no_echo
from kiter.errors import ServiceError, UsageError
from kiter.local import spark

HOST = "127.0.0.1"
MOTO = "moto"
HIVESERVER2 = "hiveserver2"
STATE_FILE = "stack.json"
LOCK_FILE = "stack.lock"
HIVE_RUN_DIR = "hive"  # Derby metastore, warehouse and scratch space: kept across down/up
HIVE3_RUN_DIR = "hive3"  # the same for Apache Hive's HiveServer2 (its own metastore)
MOTO_START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
# What /proc/<pid>/cmdline must contain for a recorded pid to still be ours: after a reboot a pid
# file can name an unrelated process, which `down` must never signal.
# What a recorded pid's command line holds when it is still ours (pids are reused).
_CMDLINE_MARKERS = {
    MOTO: ("kiter.local.motoserver",),
    HIVESERVER2: (spark.THRIFT_SERVER_CLASS, "org.apache.hive.service.server.HiveServer2"),
}

# Popen objects of moto servers this process started, so that stopping one reaps it (a zombie
# would otherwise linger until interpreter exit and Python would warn about it).
_moto_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class Service:
    """One service of the stack as recorded, and whether it answers right now."""

    name: str
    pid: int
    host: str
    port: int
    url: str
    alive: bool
    log_path: Path

    @property
    def memory_mb(self) -> float | None:
        """Resident memory of the process, from /proc (None when unknown)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "host": self.host,
            "port": self.port,
            "url": self.url,
            "alive": self.alive,
            "log": str(self.log_path),
            "memory_mb": round(self.memory_mb, 1) if self.alive and self.memory_mb else None,
        }


@dataclass(frozen=True)
class StackState:
    """What runs in one stack folder; `started_now` names what this call started."""

    folder: Path
    moto: Service | None
    hiveserver2: Service | None
    started: str | None
    started_now: tuple[str, ...] = ()

    @property
    def services(self) -> list[Service]:
        return [s for s in (self.moto, self.hiveserver2) if s is not None]

    @property
    def alive(self) -> bool:
        return bool(self.services) and all(s.alive for s in self.services)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "started": self.started,
            MOTO: self.moto.to_dict() if self.moto else None,
            HIVESERVER2: self.hiveserver2.to_dict() if self.hiveserver2 else None,
        }


def moto_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def hiveserver2_url(port: int) -> str:
    return f"jdbc:hive2://{HOST}:{port}/default"


class LocalStack:
    """Start, find and stop the local services recorded in `folder`."""

    def __init__(
        self,
        folder: Path,
        *,
        moto_port: int = 0,
        hiveserver2_port: int = 0,
        echo: Echo = no_echo,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.folder = Path(folder)
        self.moto_port = moto_port
        self.hiveserver2_port = hiveserver2_port
        self.echo = echo
        self.sleep = sleep

    # -- files -------------------------------------------------------------------------------

    def pid_path(self, name: str) -> Path:
        return self.folder / f"{name}.pid"

    def log_path(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    def _read_record(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _read_pid(self, name: str) -> int | None:
        try:
            return int(self.pid_path(name).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def _write_record(self, record: dict[str, Any]) -> None:
        services = [name for name in (MOTO, HIVESERVER2) if record.get(name)]
        if not services:
            self.state_path.unlink(missing_ok=True)
            return
        tmp = self.state_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.state_path)  # readers never see half a file

    def _forget(self, name: str) -> None:
        self.pid_path(name).unlink(missing_ok=True)
        record = self._read_record()
        if record.pop(name, None) is not None:
            self._write_record(record)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Two `kiter local up` at once would otherwise both see "nothing runs" and start twice.
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- what runs ---------------------------------------------------------------------------

    def _service(self, name: str, record: dict[str, Any]) -> Service | None:
        """The recorded service whose process still exists; stale records are removed quietly."""
        pid = self._read_pid(name)
        entry = record.get(name)
        if pid is None or not _is_ours(pid, name):
            if pid is not None or entry is not None:
                self._forget(name)
            return None
        if not isinstance(entry, dict):
            entry = {}  # killed between writing the pid and the record: still ours to stop
        port = int(entry.get("port", 0))
        host = str(entry.get("host", HOST))
        url = moto_url(port) if name == MOTO else hiveserver2_url(port)
        return Service(name, pid, host, port, url, spark.port_open(host, port), self.log_path(name))

    def _current(self) -> StackState:
        record = self._read_record()
        return StackState(
            folder=self.folder,
            moto=self._service(MOTO, record),
            hiveserver2=self._service(HIVESERVER2, record),
            started=record.get("started"),
        )

    def status(self) -> StackState | None:
        """What runs here, or None when nothing does (stale pid files are cleaned on the way)."""
        if not self.folder.is_dir():
            return None
        state = self._current()
        return state if state.services else None

    # -- up ----------------------------------------------------------------------------------

    def up(
        self, *, spark: bool = True, timeout: float = 180.0, hive_engine: str = "spark"
    ) -> StackState:
        """Start what is not running yet and wait until it answers; return what runs.

        `hive_engine`: the HiveServer2 to start, Spark's Thrift Server ("spark") or Apache Hive
        3.1.3 ("hive", installed beforehand by kiter.local.hive.install).

        Starts nothing when everything asked for already answers. Checks Java and the configured
        ports before starting anything, and leaves nothing it started behind when it fails.
        """
        with self._locked():
            current = self._current()
            want_hive = spark and current.hiveserver2 is None
            want_moto = current.moto is None
            if want_hive and hive_engine == "spark":
                _require_spark()
            if (
                want_moto
                and want_hive
                and self.moto_port
                and self.moto_port == self.hiveserver2_port
            ):
                raise UsageError(
                    f"[local] moto_port and hiveserver2_port are both {self.moto_port}: "
                    "give them different ports"
                )
            taken = {s.port for s in current.services}
            moto_port = self._port_for(MOTO, self.moto_port, taken) if want_moto else 0
            taken.add(moto_port)
            hive_port = (
                self._port_for(HIVESERVER2, self.hiveserver2_port, taken) if want_hive else 0
            )
            for service in current.services:
                self.echo(f"{service.name} already running (pid {service.pid}) on {service.url}")
                self._await_running(service, timeout)

            record = self._read_record()
            record.setdefault("started", _now())
            started: list[str] = []  # appended before each start, so a failure stops it too
            try:
                if want_moto:
                    started.append(MOTO)
                    self._start_moto(moto_port, record)
                if want_hive:
                    started.append(HIVESERVER2)
                    self._start_hiveserver2(hive_port, record, timeout, hive_engine)
            except BaseException:
                # Only what this call started: a moto left running by an earlier `up --no-hive`
                # stays up when the Hive engine fails to start.
                for name in reversed(started):
                    self._stop_service(name)
                raise
            state = self._current()
            return StackState(
                state.folder, state.moto, state.hiveserver2, state.started, tuple(started)
            )

    def _port_for(self, name: str, configured: int, taken: set[int]) -> int:
        if configured == 0:
            port = spark.free_port()
            while port in taken:  # two quick picks can return the same port
                port = spark.free_port()
            return port
        if not _port_free(configured):
            key = "moto_port" if name == MOTO else "hiveserver2_port"
            raise UsageError(
                f"port {configured} for the local {name} is already taken on {HOST}: stop what "
                f"listens there, or set [local] {key} in kiter.toml to another port (0 picks a "
                "free one)"
            )
        return configured

    def _start_moto(self, port: int, record: dict[str, Any]) -> None:
        log_path = self.log_path(MOTO)
        self.echo(f"starting moto on {moto_url(port)} (log: {log_path})")
        started = time.monotonic()
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "kiter.local.motoserver", "-H", HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                start_new_session=True,
            )
        _moto_children[proc.pid] = proc
        self._record(MOTO, proc.pid, record, {"pid": proc.pid, "port": port, "url": moto_url(port)})
        self._wait_for_moto(proc.pid, port, MOTO_START_TIMEOUT_S)
        self.echo(f"moto ready on {moto_url(port)} after {time.monotonic() - started:.1f} s")

    def _start_hiveserver2(
        self, port: int, record: dict[str, Any], timeout: float, engine: str
    ) -> None:
        log_path = self.log_path(HIVESERVER2)
        if engine == "hive":
            from kiter.local import hive

            server = f"Hive {hive.HIVE_VERSION}'s HiveServer2"
            self.echo(f"starting {server} on {HOST}:{port} (takes 6-10 s; log: {log_path})")
            pid = hive.start(self.folder / HIVE3_RUN_DIR, port, log_path=log_path)
        else:
            server = "the Spark Thrift Server"
            self.echo(f"starting {server} on {HOST}:{port} (takes 15-40 s; log: {log_path})")
            pid = spark.start_thrift_server(self.folder / HIVE_RUN_DIR, port, log_path=log_path)
        entry = {"pid": pid, "host": HOST, "port": port, "engine": engine}
        self._record(HIVESERVER2, pid, record, entry)
        waited = spark.wait_until_ready(
            HOST, port, timeout, pid=pid, log_path=log_path, sleep=self.sleep, server=server
        )
        self.echo(f"HiveServer2 ready on {hiveserver2_url(port)} after {waited:.1f} s")

    def _record(self, name: str, pid: int, record: dict[str, Any], entry: dict[str, Any]) -> None:
        # Written right after the spawn, before the wait: an interrupted `up` must leave enough
        # behind for `down` to find the process.
        self.pid_path(name).write_text(f"{pid}\n", encoding="ascii")
        record[name] = entry
        self._write_record(record)

    def _wait_for_moto(self, pid: int, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not _moto_answers(port):
            if not spark.is_running(pid):
                raise ServiceError(
                    f"the moto server (pid {pid}) exited before {moto_url(port)} answered; "
                    f"last lines of {self.log_path(MOTO)}:\n{spark.log_tail(self.log_path(MOTO))}"
                )
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"the moto server (pid {pid}) did not answer on {moto_url(port)} within "
                    f"{timeout:.0f} s; last lines of {self.log_path(MOTO)}:\n"
                    f"{spark.log_tail(self.log_path(MOTO))}"
                )
            self.sleep(0.1)

    def _await_running(self, service: Service, timeout: float) -> None:
        """A recorded process that does not answer yet is starting (or hung): wait, never respawn."""
        if service.alive:
            return
        self.echo(
            f"waiting for {service.name} (pid {service.pid}) to answer on port {service.port}"
        )
        try:
            if service.name == MOTO:
                self._wait_for_moto(service.pid, service.port, min(timeout, MOTO_START_TIMEOUT_S))
            else:
                spark.wait_until_ready(
                    service.host,
                    service.port,
                    timeout,
                    pid=service.pid,
                    log_path=service.log_path,
                    sleep=self.sleep,
                )
        except ServiceError as exc:
            raise ServiceError(f"{exc}\nrun `kiter local down`, then `kiter local up`") from exc

    # -- down --------------------------------------------------------------------------------

    def down(self) -> list[str]:
        """Stop every recorded service; return one line per service stopped."""
        if not self.folder.is_dir():
            return []
        with self._locked():
            state = self._current()
            stopped = []
            for service in reversed(state.services):
                self.echo(f"stopping {service.name} (pid {service.pid})")
                self._stop_service(service.name)
                stopped.append(f"stopped {service.name} (pid {service.pid}, port {service.port})")
            self.state_path.unlink(missing_ok=True)
            return stopped

    def _stop_service(self, name: str) -> None:
        pid = self._read_pid(name)
        if pid is not None and _is_ours(pid, name):
            spark.stop(pid, STOP_TIMEOUT_S, sleep=self.sleep)
            proc = _moto_children.pop(pid, None)
            if proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        self._forget(name)


# -- what "local" means in a project's configuration ---------------------------------------------


def resolve_endpoint(folder: Path) -> str:
    """The URL of the running local moto server recorded in `folder`."""
    state = LocalStack(folder).status()
    if state is None or state.moto is None or not state.moto.alive:
        raise UsageError("the local stack is not running: run `kiter local up`")
    return state.moto.url


def resolve_hiveserver2(folder: Path) -> tuple[str, int]:
    """(host, port) of the running local HiveServer2 recorded in `folder`."""
    state = LocalStack(folder).status()
    if state is None or state.hiveserver2 is None or not state.hiveserver2.alive:
        raise UsageError("the local stack is not running: run `kiter local up`")
    return state.hiveserver2.host, state.hiveserver2.port


def reset_moto(url: str) -> None:
    """Forget every resource the moto server at `url` holds (tests, demo re-runs)."""
    request = urllib.request.Request(f"{url.rstrip('/')}/moto-api/reset", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceError(f"could not reset the moto server at {url}: {exc}") from exc


# -- helpers ---------------------------------------------------------------------------------------


def _require_spark() -> None:
    spark.require_java()
    spark.spark_home()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _is_ours(pid: int, name: str) -> bool:
    if not spark.is_running(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return any(marker.encode() in cmdline for marker in _CMDLINE_MARKERS[name])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _moto_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"{moto_url(port)}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
