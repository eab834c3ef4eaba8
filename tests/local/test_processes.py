"""The local servers' processes, without starting a JVM: the java check, ports, stop, wait."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiter.errors import ServiceError, UsageError
from kiter.local import processes


def fake_java(tmp_path: Path, version_line: str) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(0o755)
    return home


def test_java_version_reads_the_major_version_of_a_modern_jdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = fake_java(tmp_path, 'openjdk version "17.0.15" 2025-04-15')
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert processes.java_version() == 17
    assert processes.require_java() == 17


def test_java_8_is_refused_with_a_message_naming_java_17(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = fake_java(tmp_path, 'java version "1.8.0_292"')
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert processes.java_version() == 8
    with pytest.raises(UsageError, match=r"needs Java 17\+ \(found Java 8\)"):
        processes.require_java()


def test_no_java_at_all_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert processes.java_version() is None
    with pytest.raises(UsageError, match="no java found"):
        processes.require_java()


def test_free_port_returns_a_port_nobody_listens_on() -> None:
    port = processes.free_port()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_stop_terminates_a_process_with_sigterm() -> None:
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    processes.stop(proc.pid, timeout=5)
    assert proc.wait(timeout=5) == -signal.SIGTERM
    assert not processes.is_running(proc.pid)


def test_stop_kills_a_process_that_ignores_sigterm() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "print('ready', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    processes.stop(proc.pid, timeout=0.5)
    assert proc.wait(timeout=5) == -signal.SIGKILL


def test_waiting_on_a_server_that_died_quotes_the_end_of_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("starting\nException in thread main: java.net.BindException: in use\n")
    proc = subprocess.Popen(["true"])
    proc.wait()
    with pytest.raises(ServiceError, match="exited before") as caught:
        processes.wait_until_ready(
            "127.0.0.1", processes.free_port(), 60, pid=proc.pid, log_path=log, sleep=lambda _: None
        )
    assert "exited before" in str(caught.value)
    assert "BindException: in use" in str(caught.value)


def test_waiting_gives_up_after_the_timeout(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("still starting\n")
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    ticks = iter(range(0, 1000, 10))
    try:
        with pytest.raises(ServiceError, match="did not answer .* within 30 s"):
            processes.wait_until_ready(
                "127.0.0.1",
                processes.free_port(),
                30,
                pid=proc.pid,
                log_path=log,
                sleep=lambda _: None,
                clock=lambda: float(next(ticks)),
            )
    finally:
        processes.stop(proc.pid, timeout=5)
        proc.wait(timeout=5)
