"""The local HiveServer2: Spark's Thrift Server started from pip's pyspark, on 127.0.0.1 only.

This room starts, waits for and stops one server process, for `kiter local up` and the tests.
It knows nothing of kiter's targets or of the ledger, and it never prints: callers report progress.
Everything the server writes (Derby metastore, warehouse, scratch space) stays under one run folder.
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
from collections.abc import Callable
from pathlib import Path

from kiter.errors import ServiceError, UsageError

MIN_JAVA = 17
THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"

# Popen objects of servers this process started: kept so that stop() can reap them (a zombie would
# otherwise look alive) and so Python does not warn about a child still running at exit.
_children: dict[int, subprocess.Popen[bytes]] = {}


def spark_home() -> Path:
    """The folder holding pyspark's bin/spark-submit and jars/."""
    try:
        from pyspark.find_spark_home import _find_spark_home
    except ImportError as exc:
        raise UsageError("the local Hive engine needs pyspark: pip install 'kiter[local]'") from exc
    try:
        return Path(_find_spark_home())
    except SystemExit:  # pyspark exits instead of raising when it finds nothing
        import pyspark

        return Path(pyspark.__file__).parent


def java_executable() -> str | None:
    # spark-class runs $JAVA_HOME/bin/java whenever JAVA_HOME is set, never the one on PATH.
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = Path(java_home) / "bin" / "java"
        return str(java) if java.exists() else None
    return shutil.which("java")


def java_version() -> int | None:
    """The major version of the java Spark would run (JAVA_HOME first, then PATH), or None."""
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
    """The java major version, or a UsageError saying what to install."""
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def thrift_server_command(run_dir: Path, port: int) -> list[str]:
    """The spark-submit command line of FACTS.md §3, with every path under run_dir."""
    run = run_dir.resolve()
    tmp = run / "tmp"
    return [
        str(spark_home() / "bin" / "spark-submit"),
        "--class", THRIFT_SERVER_CLASS,
        "--master", "local[2]",
        "--driver-memory", "1g",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", f"spark.sql.warehouse.dir={run / 'warehouse'}",
        "--conf", f"spark.local.dir={tmp}",
        "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={run} -Djava.io.tmpdir={tmp}",
        "--conf",
        "spark.hadoop.javax.jdo.option.ConnectionURL="
        f"jdbc:derby:;databaseName={run / 'metastore_db'};create=true",
        "--hiveconf", f"hive.server2.thrift.port={port}",
        "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
        "--hiveconf", "hive.server2.authentication=NONE",
        "--hiveconf", "hive.exec.dynamic.partition.mode=nonstrict",
        # Without these two, poll() blocks 5 s per call and fetch_logs() returns nothing; they
        # cannot be set per session.
        "--hiveconf", "hive.server2.long.polling.timeout=200ms",
        "--hiveconf", "hive.server2.logging.operation.level=VERBOSE",
        "spark-internal",
    ]  # fmt: skip


def start_thrift_server(run_dir: Path, port: int, *, log_path: Path) -> int:
    """Start the server detached (own session, output to log_path) and return its pid.

    The process outlives the caller: `kiter local up` returns while the server keeps running.
    """
    require_java()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "tmp").mkdir(exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            thrift_server_command(run_dir, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=run_dir,
            env=env,
            start_new_session=True,
        )
    _children[proc.pid] = proc
    return proc.pid


def adopt_child(proc: subprocess.Popen[bytes]) -> None:
    """Keep a server this process started (another engine's too) so that stop() can reap it."""
    _children[proc.pid] = proc


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


def log_tail(log_path: Path, lines: int = 15) -> str:
    """The last lines of the server log, for error messages."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


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
    """Wait until a session can run `SELECT 1`; return the seconds waited.

    Raises ServiceError quoting the log's last lines when the process dies or the time runs out.
    """
    started = clock()
    while True:
        if not is_running(pid):
            raise ServiceError(
                f"{server} (pid {pid}) exited before {host}:{port} answered; "
                f"last lines of {log_path}:\n{log_tail(log_path)}"
            )
        if port_open(host, port) and _answers_select_1(host, port):
            return clock() - started
        if clock() - started > timeout:
            raise ServiceError(
                f"{server} (pid {pid}) did not answer on {host}:{port} within "
                f"{timeout:.0f} s; last lines of {log_path}:\n{log_tail(log_path)}"
            )
        sleep(1.0)


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
    # The server leads its own session (start_new_session), so its group is ours to signal and
    # takes along anything the JVM may have forked; otherwise signal the pid alone.
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
