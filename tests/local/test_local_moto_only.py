"""The stack with the moto server alone (`up --no-hive`): fast, no Java or Spark needed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from kiter.errors import ServiceError, UsageError
from kiter.local import processes
from kiter.local.motoserver import reset_moto
from kiter.local.stack import LocalStack, resolve_endpoint, resolve_hiveserver2

from .conftest import MakeStack

pytestmark = pytest.mark.functional


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else already listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_port_zero_picks_a_free_port_and_records_it(make_stack: MakeStack) -> None:
    stack = make_stack()
    state = stack.up(hiveserver2=False)

    assert state.moto is not None and state.hiveserver2 is None
    assert state.moto.port > 0 and state.moto.alive
    assert state.started_now == ("moto",)
    record = json.loads((stack.folder / "stack.json").read_text())
    assert record["moto"] == {
        "pid": state.moto.pid,
        "port": state.moto.port,
        "url": f"http://127.0.0.1:{state.moto.port}",
    }
    assert record["started"]
    assert (stack.folder / "moto.pid").read_text().strip() == str(state.moto.pid)
    assert (stack.folder / "moto.log").exists()


def test_moto_answers_boto3_and_reset_forgets_everything(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.up(hiveserver2=False)
    url = resolve_endpoint(stack.folder)
    kinesis = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1")
    kinesis.create_stream(StreamName="AccessLogStream", ShardCount=1)
    assert kinesis.list_streams()["StreamNames"] == ["AccessLogStream"]

    reset_moto(url)

    assert kinesis.list_streams()["StreamNames"] == []


def test_a_second_up_starts_nothing(make_stack: MakeStack) -> None:
    first = make_stack().up(hiveserver2=False)
    second = make_stack().up(hiveserver2=False)

    assert second.started_now == ()
    assert second.moto is not None and first.moto is not None
    assert second.moto.pid == first.moto.pid and second.moto.port == first.moto.port


def test_the_server_outlives_the_stack_object_and_down_stops_it(make_stack: MakeStack) -> None:
    state = make_stack().up(hiveserver2=False)
    assert state.moto is not None

    stopped = make_stack().down()

    assert stopped == [f"stopped moto (pid {state.moto.pid}, port {state.moto.port})"]
    assert not processes.is_running(state.moto.pid)
    assert not port_answers(state.moto.port)
    folder = make_stack().folder
    assert not (folder / "moto.pid").exists() and not (folder / "stack.json").exists()
    assert make_stack().status() is None


def test_a_configured_port_already_taken_is_refused_naming_the_port(
    make_stack: MakeStack, listening_port: int
) -> None:
    stack = make_stack(moto_port=listening_port)

    with pytest.raises(UsageError, match=rf"port {listening_port} .* already taken"):
        stack.up(hiveserver2=False)

    assert not (stack.folder / "moto.pid").exists()


def test_a_configured_free_port_is_used(make_stack: MakeStack) -> None:
    port = processes.free_port()
    state = make_stack(moto_port=port).up(hiveserver2=False)

    assert state.moto is not None and state.moto.port == port
    assert resolve_endpoint(make_stack().folder) == f"http://127.0.0.1:{port}"


def test_a_stale_pid_file_is_cleaned_quietly_by_status(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.folder.mkdir(parents=True)
    (stack.folder / "moto.pid").write_text(f"{dead_pid()}\n")
    (stack.folder / "stack.json").write_text(json.dumps({"moto": {"pid": 1, "port": 5}}))

    assert stack.status() is None
    assert not (stack.folder / "moto.pid").exists()
    assert not (stack.folder / "stack.json").exists()


def test_a_stale_pid_file_is_cleaned_quietly_by_down(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.folder.mkdir(parents=True)
    (stack.folder / "hiveserver2.pid").write_text(f"{dead_pid()}\n")

    assert stack.down() == []
    assert not (stack.folder / "hiveserver2.pid").exists()


def test_a_pid_file_naming_someone_elses_process_is_never_signalled(
    make_stack: MakeStack,
) -> None:
    stack = make_stack()
    stack.folder.mkdir(parents=True)
    (stack.folder / "moto.pid").write_text(f"{os.getpid()}\n")

    assert stack.down() == []
    assert not (stack.folder / "moto.pid").exists()


def test_up_after_a_stale_pid_file_starts_a_fresh_server(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.folder.mkdir(parents=True)
    (stack.folder / "moto.pid").write_text(f"{dead_pid()}\n")

    state = stack.up(hiveserver2=False)

    assert state.started_now == ("moto",)
    assert state.moto is not None and state.moto.alive


def test_resolving_local_while_the_stack_is_down_says_to_run_local_up(
    make_stack: MakeStack,
) -> None:
    folder = make_stack().folder
    with pytest.raises(UsageError, match="not running: run `kiter local up`"):
        resolve_endpoint(folder)
    with pytest.raises(UsageError, match="not running: run `kiter local up`"):
        resolve_hiveserver2(folder)


def test_resolving_hiveserver2_with_moto_alone_says_to_run_local_up(
    make_stack: MakeStack,
) -> None:
    stack = make_stack()
    stack.up(hiveserver2=False)

    with pytest.raises(UsageError, match="kiter local up"):
        resolve_hiveserver2(stack.folder)


def test_resolving_hiveserver2_with_moto_alone_says_the_stack_runs_without_it(
    make_stack: MakeStack,
) -> None:
    stack = make_stack()
    stack.up(hiveserver2=False)

    with pytest.raises(UsageError) as caught:
        resolve_hiveserver2(stack.folder)

    assert str(caught.value) == (
        "the local stack runs without HiveServer2 (started with --no-hive): "
        "`kiter local up` starts it"
    )


def test_java_11_is_refused_before_anything_starts(make_stack: MakeStack, java_11: Path) -> None:
    stack = make_stack()

    with pytest.raises(UsageError, match=r"needs Java 17\+ \(found Java 11\)"):
        stack.up(hiveserver2=True)

    assert not (stack.folder / "moto.pid").exists()
    assert stack.status() is None


def test_a_java_home_without_java_is_refused_before_anything_starts(
    make_stack: MakeStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    stack = make_stack()

    with pytest.raises(UsageError, match="has no bin/java"):
        stack.up(hiveserver2=True)

    assert stack.status() is None


def test_java_11_does_not_stop_moto_alone(make_stack: MakeStack, java_11: Path) -> None:
    state = make_stack().up(hiveserver2=False)

    assert state.moto is not None and state.moto.alive


def test_a_hive_engine_that_fails_to_start_stops_moto_and_quotes_its_log(
    make_stack: MakeStack, broken_spark: Path
) -> None:
    stack = make_stack()

    with pytest.raises(ServiceError, match="Could not create the Java Virtual Machine") as caught:
        stack.up(hiveserver2=True, timeout=30)

    assert "exited before" in str(caught.value)
    assert stack.status() is None
    assert not (stack.folder / "moto.pid").exists()
    assert not (stack.folder / "hiveserver2.pid").exists()
    assert not (stack.folder / "stack.json").exists()


def test_a_failing_hive_engine_leaves_an_earlier_moto_running(
    make_stack: MakeStack, broken_spark: Path
) -> None:
    before = make_stack().up(hiveserver2=False)

    with pytest.raises(ServiceError, match="exited before"):
        make_stack().up(hiveserver2=True, timeout=30)

    after = make_stack().status()
    assert after is not None and after.moto is not None and before.moto is not None
    assert after.moto.pid == before.moto.pid and after.moto.alive
    assert after.hiveserver2 is None


def test_reset_of_a_server_that_is_gone_is_a_service_error() -> None:
    port = processes.free_port()
    with pytest.raises(ServiceError, match=f"127.0.0.1:{port}"):
        reset_moto(f"http://127.0.0.1:{port}")


def test_down_of_a_folder_that_never_existed_reports_nothing(tmp_path: Path) -> None:
    assert LocalStack(tmp_path / "nowhere").down() == []
    assert not (tmp_path / "nowhere").exists()
