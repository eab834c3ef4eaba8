"""The whole stack, moto and the Spark Thrift Server, started once for this module (15-40 s).

The tests run in file order on the one stack; the last one takes it down and checks that nothing is
left behind. The module fixture takes it down again in any case.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from pyhive import hive

from kiter.cli.app import App
from kiter.cli.local import local
from kiter.errors import UsageError
from kiter.local import processes, sparkengine
from kiter.local.stack import LocalStack, StackState, resolve_endpoint, resolve_hiveserver2

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass(frozen=True)
class Running:
    root: Path
    stack: LocalStack
    state: StackState
    up_seconds: float


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    try:
        sparkengine.require()
    except UsageError as exc:
        pytest.skip(str(exc))
    root = tmp_path_factory.mktemp("local-project")
    (root / "kiter.toml").write_text("[local]\n")
    stack = LocalStack(root / ".kiter" / "local")
    started = time.monotonic()
    try:
        state = stack.up(hiveserver2=True, timeout=150)
        yield Running(root, stack, state, time.monotonic() - started)
    finally:
        stack.down()


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_up_starts_both_services_and_records_them(running: Running) -> None:
    state, folder = running.state, running.stack.folder
    assert state.started_now == ("moto", "hiveserver2")
    assert state.moto is not None and state.hiveserver2 is not None
    assert state.moto.alive and state.hiveserver2.alive
    assert state.moto.port != state.hiveserver2.port
    record = json.loads((folder / "stack.json").read_text())
    assert record["hiveserver2"] == {
        "pid": state.hiveserver2.pid,
        "host": "127.0.0.1",
        "port": state.hiveserver2.port,
        "engine": "spark",
    }
    assert record["moto"]["pid"] == state.moto.pid
    assert (folder / "hiveserver2.pid").read_text().strip() == str(state.hiveserver2.pid)
    assert (folder / "hiveserver2.log").stat().st_size > 0


def test_status_shows_both_alive(running: Running) -> None:
    status = running.stack.status()

    assert status is not None and status.alive
    assert [s.name for s in status.services] == ["moto", "hiveserver2"]
    assert status.hiveserver2 is not None
    assert status.hiveserver2.url == f"jdbc:hive2://127.0.0.1:{status.hiveserver2.port}/default"


def test_a_second_up_through_the_cli_starts_nothing(running: Running) -> None:
    result = CliRunner().invoke(local, ["up"], obj=App(project_dir=str(running.root)))

    assert result.exit_code == 0, result.output
    assert "nothing started" in result.stderr
    assert running.state.hiveserver2 is not None
    assert f"pid {running.state.hiveserver2.pid}" in result.stdout
    status = running.stack.status()
    assert status is not None and status.hiveserver2 is not None
    assert status.hiveserver2.pid == running.state.hiveserver2.pid


def test_pyhive_runs_select_1_on_the_recorded_port(running: Running) -> None:
    host, port = resolve_hiveserver2(running.stack.folder)

    with contextlib.closing(hive.Connection(host=host, port=port, username="kiter")) as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]


def test_boto3_creates_a_kinesis_stream_on_the_recorded_moto(running: Running) -> None:
    kinesis = boto3.client(
        "kinesis", endpoint_url=resolve_endpoint(running.stack.folder), region_name="us-east-1"
    )
    kinesis.create_stream(StreamName="AccessLogStream", ShardCount=2)

    description = kinesis.describe_stream(StreamName="AccessLogStream")["StreamDescription"]
    assert len(description["Shards"]) == 2


def test_engine_logs_stay_off_stderr_unless_verbose_and_results_stay_alone_on_stdout(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    from sample_projects import run

    (running.root / "kiter.toml").write_text(
        '[local]\n[targets.local]\nkind = "hiveserver2"\nhost = "local"\n'
    )
    code, out, err = run(["-C", str(running.root), "query", "SELECT 7 AS seven"], capsys)
    assert code == 0, err
    assert out.split() == ["seven", "-----", "7"]
    assert err == ""  # no Spark INFO, no statement lines: a quiet default
    code, out, err = run(["-C", str(running.root), "-v", "query", "SELECT 7 AS seven"], capsys)
    assert code == 0 and out.split() == ["seven", "-----", "7"]
    assert "statement 1/1 (line 1): SELECT 7 AS seven" in err
    assert "SparkExecuteStatementOperation" in err  # the engine's own log lines


def test_down_stops_both_and_leaves_no_files(running: Running) -> None:
    moto, hs2 = running.state.moto, running.state.hiveserver2
    assert moto is not None and hs2 is not None

    stopped = running.stack.down()

    assert stopped == [
        f"stopped hiveserver2 (pid {hs2.pid}, port {hs2.port})",
        f"stopped moto (pid {moto.pid}, port {moto.port})",
    ]
    assert not processes.is_running(moto.pid) and not processes.is_running(hs2.pid)
    assert not port_answers(moto.port) and not port_answers(hs2.port)
    folder = running.stack.folder
    for name in ("moto.pid", "hiveserver2.pid", "stack.json"):
        assert not (folder / name).exists()
    assert running.stack.status() is None
