"""The HiveServer2 target without a server: refusals, unreachable servers, messages, redaction."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from kiter.errors import ServiceError, UsageError
from kiter.local.processes import free_port
from kiter.scripts import split_statements
from kiter.secrets import Redactor, script_secrets
from kiter.targets.hiveserver2 import HiveServer2Target
from kiter.targets.hs2errors import first_line
from kiter.targets.messages import clean_server_message
from kiter_support import RecordedProgress

SPARK_ERROR = (
    "org.apache.hive.service.cli.HiveSQLException: Error running query: [TABLE_OR_VIEW_NOT_FOUND]"
    " org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `nope`"
    " cannot be found. SQLSTATE: 42P01; line 1 pos 14;\n'Project [*]\n"
    "\tat org.apache.spark.sql.hive.thriftserver.HiveThriftServerErrors$.runningQueryError"
    "(HiveThriftServerErrors.scala:43)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
)


def test_ldap_without_a_password_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="LDAP needs a password"):
        HiveServer2Target("prod", host="hs2.example", auth="LDAP")


def test_a_closed_port_is_a_service_error_naming_host_and_port() -> None:
    port = free_port()
    target = HiveServer2Target("local", host="127.0.0.1", port=port, connect_timeout=5)
    with pytest.raises(ServiceError, match=f"cannot reach HiveServer2 at 127.0.0.1:{port}"):
        target.query("SELECT 1")


def test_the_connect_is_shown_as_a_wait_for_the_server_to_open_a_session() -> None:
    port = free_port()
    progress = RecordedProgress()
    target = HiveServer2Target("local", host="127.0.0.1", port=port, progress=progress)
    with pytest.raises(ServiceError):
        target.query("SELECT 1")
    assert progress.calls == [f"HiveServer2 at 127.0.0.1:{port} to open a session"]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers, like a hung HiveServer2."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            server.settimeout(0.1)
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        yield server.getsockname()[1]
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()


def test_a_server_that_never_answers_fails_after_the_connect_timeout(silent_server: int) -> None:
    target = HiveServer2Target("local", host="127.0.0.1", port=silent_server, connect_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ServiceError, match=f"127.0.0.1:{silent_server}"):
        target.query("SELECT 1")
    assert time.monotonic() - started < 5


def test_an_empty_script_succeeds_without_connecting() -> None:
    target = HiveServer2Target("local", host="127.0.0.1", port=free_port())
    outcome = target.query("-- nothing to run\n;")
    assert outcome.state == "SUCCEEDED"
    assert outcome.rows == []


def test_interrupt_with_nothing_running_reports_false() -> None:
    assert HiveServer2Target("local", host="127.0.0.1").interrupt() is False


def test_server_messages_lose_java_frames_and_wrapper_prefixes() -> None:
    assert clean_server_message(SPARK_ERROR) == (
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. SQLSTATE: 42P01;"
        " line 1 pos 14;\n'Project [*]"
    )


def test_hive_server_messages_pass_through_unchanged() -> None:
    message = (
        "Error while compiling statement: FAILED: SemanticException [Error 10001]: "
        "Line 1:14 Table not found 'nope'"
    )
    assert clean_server_message(message) == message


def test_secret_set_values_are_redacted_from_lines_and_statement_summaries() -> None:
    statements = split_statements(
        "SET kinesis.secretKey=s3cr3tValue; -- rotated\nSET kinesis.accessKey = AKIAEXAMPLE;\n"
        "SET kinesis.nodata.timeout=2;"
    )
    text = "\n".join(s.text for s in statements)
    redact = Redactor([*script_secrets(text), "hunter22", "ldap-pw"])
    line = "Submitting query 'SET kinesis.secretKey=s3cr3tValue' AKIAEXAMPLE hunter22 ldap-pw"
    assert redact(line) == "Submitting query 'SET kinesis.secretKey=****' **** **** ****"
    assert first_line(statements[0], redact) == "SET kinesis.secretKey=****"
    assert first_line(statements[2], redact) == "SET kinesis.nodata.timeout=2"
