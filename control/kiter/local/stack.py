"""The embedded local stack: a moto server (AWS APIs) and a HiveServer2, of one project folder.

`kiter local up | down | status` drive one `LocalStack` per project folder (`.kiter/local`). The
HiveServer2 is one of two peer engines, Spark's Thrift Server (kiter.local.sparkengine) or Apache
Hive 3.1.3 (kiter.local.hiveengine); moto is started by kiter.local.motoserver; all three through
kiter.local.processes. Both services bind 127.0.0.1 only, run detached so they outlive the command
that started them, and are found again through files in that folder: `moto.pid`, `hiveserver2.pid`,
`stack.json` and their logs. `resolve_endpoint` / `resolve_hiveserver2` say what "local" means in a
project's configuration. The whole of `kiter local up` (engines installed, streams made) is
kiter.local.up's.

This room must not import click or print: progress goes through an injected echo. It knows nothing
of targets, the ledger or the runner.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from kiter.echo import Echo, no_echo
from kiter.errors import ServiceError, UsageError
from kiter.local import hiveengine, motoserver, processes, sparkengine
from kiter.local.stackstate import HIVESERVER2, MOTO, Service, StackState, hiveserver2_url

HOST = processes.HOST
STATE_FILE = "stack.json"
LOCK_FILE = "stack.lock"
STOP_TIMEOUT_S = 15.0


class HiveServer2Engine(Protocol):
    """What a HiveServer2 engine module offers the stack (sparkengine and hiveengine do)."""

    NAME: str  # its --hive-engine choice
    SERVER: str  # how messages name it
    STARTS_IN: str
    RUN_DIR: str  # its folder in the stack's: metastore, warehouse, scratch space
    SERVER_CLASS: str  # what its command line holds

    def require(self) -> None: ...

    def start(self, run_dir: Path, port: int, *, log_path: Path) -> int: ...


# A new HiveServer2 engine: a module offering HiveServer2Engine, and a line here.
ENGINES: dict[str, HiveServer2Engine] = {
    sparkengine.NAME: sparkengine,
    hiveengine.NAME: hiveengine,
}
# What a recorded pid's command line holds when it is still ours: pids are reused, and after a
# reboot a pid file can name an unrelated process, which `down` must never signal.
_CMDLINE_MARKERS = {
    MOTO: (motoserver.MODULE,),
    HIVESERVER2: tuple(engine.SERVER_CLASS for engine in ENGINES.values()),
}


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
        if pid is None or not processes.is_ours(pid, _CMDLINE_MARKERS[name]):
            if pid is not None or entry is not None:
                self._forget(name)
            return None
        if not isinstance(entry, dict):
            entry = {}  # killed between writing the pid and the record: still ours to stop
        port = int(entry.get("port", 0))
        host = str(entry.get("host", HOST))
        url = motoserver.url(port) if name == MOTO else hiveserver2_url(port)
        alive = processes.port_open(host, port)
        return Service(name, pid, host, port, url, alive, self.log_path(name))

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
        self, *, hiveserver2: bool = True, timeout: float = 180.0, hive_engine: str = "spark"
    ) -> StackState:
        """Start what is not running yet and wait until it answers; return what runs.

        `hiveserver2`: False starts moto alone. `hive_engine`: the HiveServer2 to start, a key of
        ENGINES: Spark's Thrift Server ("spark") or Apache Hive 3.1.3 ("hive", installed beforehand
        by kiter.local.hiveengine.install).

        Starts nothing when everything asked for already answers. Checks Java and the configured
        ports before starting anything, and leaves nothing it started behind when it fails.
        """
        with self._locked():
            current = self._current()
            want_hive = hiveserver2 and current.hiveserver2 is None
            want_moto = current.moto is None
            engine = ENGINES[hive_engine]
            if want_hive:
                engine.require()
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
                    self._start_hiveserver2(hive_port, record, timeout, engine)
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
            port = processes.free_port()
            while port in taken:  # two quick picks can return the same port
                port = processes.free_port()
            return port
        if not processes.port_free(configured):
            key = "moto_port" if name == MOTO else "hiveserver2_port"
            raise UsageError(
                f"port {configured} for the local {name} is already taken on {HOST}: stop what "
                f"listens there, or set [local] {key} in kiter.toml to another port (0 picks a "
                "free one)"
            )
        return configured

    def _start_moto(self, port: int, record: dict[str, Any]) -> None:
        log_path = self.log_path(MOTO)
        self.echo(f"starting moto on {motoserver.url(port)} (log: {log_path})")
        started = time.monotonic()
        pid = motoserver.start(self.folder, port, log_path=log_path)
        self._record(MOTO, pid, record, {"pid": pid, "port": port, "url": motoserver.url(port)})
        motoserver.wait(pid, port, motoserver.START_TIMEOUT_S, log_path=log_path, sleep=self.sleep)
        self.echo(f"moto ready on {motoserver.url(port)} after {time.monotonic() - started:.1f} s")

    def _start_hiveserver2(
        self, port: int, record: dict[str, Any], timeout: float, engine: HiveServer2Engine
    ) -> None:
        log_path = self.log_path(HIVESERVER2)
        self.echo(
            f"starting {engine.SERVER} on {HOST}:{port} (takes {engine.STARTS_IN}; log: {log_path})"
        )
        pid = engine.start(self.folder / engine.RUN_DIR, port, log_path=log_path)
        entry = {"pid": pid, "host": HOST, "port": port, "engine": engine.NAME}
        self._record(HIVESERVER2, pid, record, entry)
        waited = processes.wait_until_ready(
            HOST, port, timeout, pid=pid, log_path=log_path, sleep=self.sleep, server=engine.SERVER
        )
        self.echo(f"HiveServer2 ready on {hiveserver2_url(port)} after {waited:.1f} s")

    def _record(self, name: str, pid: int, record: dict[str, Any], entry: dict[str, Any]) -> None:
        # Written right after the spawn, before the wait: an interrupted `up` must leave enough
        # behind for `down` to find the process.
        self.pid_path(name).write_text(f"{pid}\n", encoding="ascii")
        record[name] = entry
        self._write_record(record)

    def _await_running(self, service: Service, timeout: float) -> None:
        """A recorded process that does not answer yet is starting (or hung): wait, never respawn."""
        if service.alive:
            return
        self.echo(
            f"waiting for {service.name} (pid {service.pid}) to answer on port {service.port}"
        )
        try:
            if service.name == MOTO:
                motoserver.wait(
                    service.pid,
                    service.port,
                    min(timeout, motoserver.START_TIMEOUT_S),
                    log_path=service.log_path,
                    sleep=self.sleep,
                )
            else:
                processes.wait_until_ready(
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
        if pid is not None and processes.is_ours(pid, _CMDLINE_MARKERS[name]):
            processes.stop(pid, STOP_TIMEOUT_S, sleep=self.sleep)
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
    if state is not None and state.hiveserver2 is None:
        # moto alone, after `kiter local up --no-hive`: "not running" would send the user to
        # check a stack that is up.
        raise UsageError(
            "the local stack runs without HiveServer2 (started with --no-hive): "
            "`kiter local up` starts it"
        )
    if state is None or state.hiveserver2 is None or not state.hiveserver2.alive:
        raise UsageError("the local stack is not running: run `kiter local up`")
    return state.hiveserver2.host, state.hiveserver2.port


# -- helpers ---------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
