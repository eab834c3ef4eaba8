"""The local stack's processes: the Java they run on, ports, and servers started, awaited, stopped.

Every local server (moto, Spark's Thrift Server, Hive 3.1.3's HiveServer2) is started here the same
way: detached in a session of its own, so it outlives the `kiter local up` that started it, with its
output in one log file. Its pid is then what the stack records; `is_running`, `is_ours` and `stop`
take it from there, and `wait_for` waits until the server answers or quotes its log's last lines.

This room knows no engine, target or ledger, and never prints: engines and the stack call it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kiter.errors import ServiceError, UsageError

HOST = "127.0.0.1"
MIN_JAVA = 17  # Spark 4 and Hive 3.1.3 with its overlay; Pig narrows it (kiter.local.pigengine)

# Popen objects of servers this process started: kept so that stop() can reap them (a zombie would
# otherwise look alive) and so Python does not warn about a child still running at exit.
_children: dict[int, subprocess.Popen[bytes]] = {}


# -- Java -----------------------------------------------------------------------------------------


def java_executable() -> str | None:
    # spark-class runs $JAVA_HOME/bin/java whenever JAVA_HOME is set, never the one on PATH; the
    # other engines follow the same rule so that one JAVA_HOME chooses for all.
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = Path(java_home) / "bin" / "java"
        return str(java) if java.exists() else None
    return shutil.which("java")


def java_version() -> int | None:
    """The major version of the java the engines would run (JAVA_HOME first, then PATH), or None."""
    java = java_executable()
    if java is None:
        return None
    try:
        proc = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if not match:
        return None
    major = int(match.group(1))
    # Java 8 and older report themselves as "1.8.0_..."
    return int(match.group(2) or 0) if major == 1 else major


def require_java() -> int:
    """The java major version the HiveServer2 engines need, or a UsageError saying what to install."""
    version = java_version()
    if version is None or version < MIN_JAVA:
        java_home = os.environ.get("JAVA_HOME")
        if version is None and java_home:
            found = f"JAVA_HOME={java_home} has no bin/java that runs, and Spark would use it"
        else:
            found = "no java found" if version is None else f"found Java {version}"
        raise UsageError(
            f"the local Hive engine needs Java {MIN_JAVA}+ ({found}): install a JDK "
            f"(e.g. apt-get install openjdk-{MIN_JAVA}-jdk-headless) or set JAVA_HOME"
        )
    return version


def require_java_between(low: int, high: int, engine: str) -> int:
    """The java major version when `engine` (e.g. "the local Pig engine (Pig 0.17.0 on Hadoop
    2.10)") runs on it, else a UsageError saying what it needs."""
    version = java_version()
    if version is None or not low <= version <= high:
        found = "no java found" if version is None else f"found Java {version}"
        raise UsageError(
            f"{engine} needs Java {low} to {high} ({found}): set JAVA_HOME to such a JDK"
        )
    return version


# -- ports ----------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_free(port: int) -> bool:
    """Whether `port` on 127.0.0.1 can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# -- servers --------------------------------------------------------------------------------------


def start_detached(
    command: Sequence[str], *, cwd: Path, log_path: Path, env: Mapping[str, str] | None = None
) -> int:
    """Start a server in a session of its own, its output appended to log_path; return its pid.

    The process outlives the caller: `kiter local up` returns while the server keeps running.
    """
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=None if env is None else dict(env),
            start_new_session=True,
        )
    _children[proc.pid] = proc
    return proc.pid


def is_running(pid: int) -> bool:
    """Whether the process is alive (a child of ours that exited is reaped, not counted)."""
    proc = _children.get(pid)
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # An exited child nobody has reaped yet still answers kill(pid, 0): ask /proc (Linux).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def is_ours(pid: int, markers: Sequence[str]) -> bool:
    """Whether `pid` runs and its command line holds one of `markers`: after a reboot a pid file
    can name an unrelated process, which must never be signalled."""
    if not is_running(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return any(marker.encode() in cmdline for marker in markers)


def log_tail(log_path: Path, lines: int = 15) -> str:
    """The last lines of the server log, for error messages."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def wait_for(
    answers: Callable[[], bool],
    *,
    server: str,
    where: str,
    pid: int,
    log_path: Path,
    timeout: float,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Wait until `answers()` (the server at `where` serves); return the seconds waited.

    Raises ServiceError quoting the log's last lines when the process dies or the time runs out.
    """
    started = clock()
    while True:
        if not is_running(pid):
            raise ServiceError(
                f"{server} (pid {pid}) exited before {where} answered; "
                f"last lines of {log_path}:\n{log_tail(log_path)}"
            )
        if answers():
            return clock() - started
        if clock() - started > timeout:
            raise ServiceError(
                f"{server} (pid {pid}) did not answer on {where} within "
                f"{timeout:.0f} s; last lines of {log_path}:\n{log_tail(log_path)}"
            )
        sleep(interval)


def wait_until_ready(
    host: str,
    port: int,
    timeout: float,
    *,
    pid: int,
    log_path: Path,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    server: str = "the Spark Thrift Server",
) -> float:
    """Wait until a HiveServer2 session (either engine's) can run `SELECT 1`; return the seconds
    waited."""
    return wait_for(
        lambda: port_open(host, port) and _answers_select_1(host, port),
        server=server,
        where=f"{host}:{port}",
        pid=pid,
        log_path=log_path,
        timeout=timeout,
        sleep=sleep,
        clock=clock,
    )


def _answers_select_1(host: str, port: int) -> bool:
    from pyhive import hive
    from thrift.transport.TTransport import TTransportException

    try:
        with contextlib.closing(hive.Connection(host=host, port=port, username="kiter")) as conn:
            cursor = conn.cursor()
            cursor.execute("SELECT 1")
            return bool(cursor.fetchall() == [(1,)])
    except (OSError, EOFError, TTransportException, hive.OperationalError):
        return False


def stop(
    pid: int,
    timeout: float = 15.0,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """SIGTERM the server, then SIGKILL it if it is still alive after `timeout` seconds."""
    if not is_running(pid):
        _children.pop(pid, None)
        return
    _signal(pid, signal.SIGTERM)
    deadline = clock() + timeout
    while is_running(pid) and clock() < deadline:
        sleep(0.1)
    if is_running(pid):
        _signal(pid, signal.SIGKILL)
        proc = _children.get(pid)
        if proc is not None:
            proc.wait(timeout=10)
    _children.pop(pid, None)


def _signal(pid: int, sig: signal.Signals) -> None:
    # The server leads its own session (start_detached), so its group is ours to signal and
    # takes along anything the JVM may have forked; otherwise signal the pid alone.
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
