"""The HiveServer2 target against a real Spark Thrift Server (one per test session)."""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import pytest

from kiter.errors import Interrupted
from kiter.targets.base import Outcome, Script
from kiter.targets.hs2errors import StatementFailed

from .conftest import ThriftServer, run_script

pytestmark = pytest.mark.integration

# Long enough to run for minutes on two cores, so only a cancel can end it within the test.
ENDLESS = "SELECT count(*) FROM range(200000) a CROSS JOIN range(200000) b"

COMBINED_REGEX = (
    r"([^ ]*) ([^ ]*) ([^ ]*) (-|\\[[^\\]]*\\]) ([^ \"]*|\"[^\"]*\") (-|[0-9]*) (-|[0-9]*)"
    r"(?: ([^ \"]*|\"[^\"]*\") ([^ \"]*|\"[^\"]*\"))?"
)
# The known mix of the 30 log lines: status -> count.
STATUS_MIX = {"200": 14, "404": 9, "500": 4, "304": 3}


def server_cancels(server: ThriftServer) -> int:
    """How many operations the server has logged as cancelled so far."""
    return server.log_path.read_text(errors="replace").count("Cancel query with ")


def wait_for_cancels(server: ThriftServer, expected: int) -> int:
    deadline = time.monotonic() + 3
    while server_cancels(server) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return server_cancels(server)


def hive_script(text: str, variables: dict[str, str] | None = None) -> Script:
    return Script(
        job="test",
        engine="hive",
        text=text,
        logical_name="test-run",
        iteration=0,
        variables=variables or {},
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("kinesis.checkpoint.enabled", "true"),
        ("kinesis.checkpoint.logical.name", "clicks-daily"),
        ("kinesis.checkpoint.iteration.no", "7"),
        ("kinesis.endpoint.region", "eu-west-1"),
    ],
)
def test_set_kinesis_lines_are_stored_and_read_back(
    thrift_server: ThriftServer, key: str, value: str
) -> None:
    target = thrift_server.target(configuration={"kinesis.endpoint.region": "eu-west-1"})
    script = hive_script(
        "-- checkpoint settings, as kiter renders them\n"
        "SET kinesis.checkpoint.enabled=true;\n"
        "SET kinesis.checkpoint.logical.name=clicks-daily;\n"
        "SET kinesis.checkpoint.iteration.no=${hivevar:iteration};\n"
        f"SET {key};\n",
        variables={"iteration": "7"},
    )
    outcome = run_script(target, script)
    assert outcome.state == "SUCCEEDED"
    assert outcome.columns == ["key", "value"]
    assert outcome.rows == [(key, value)]
    assert re.fullmatch(
        rf"hs2:127\.0\.0\.1:{thrift_server.port}/[0-9a-f-]{{36}}", outcome.submission_id
    )


def test_secret_settings_never_reach_the_engine_log(thrift_server: ThriftServer) -> None:
    lines: list[str] = []
    target = thrift_server.target(echo=lines.append, log=lines.append)
    run_script(target, hive_script("SET kinesis.secretKey=wJalrXUtnFEMIK7MDENG;\nSELECT 1;"))
    assert any("Submitting query 'SET kinesis.secretKey=****'" in line for line in lines)
    assert not any("wJalrXUtnFEMIK7MDENG" in line for line in lines)


def write_access_log(folder: Path) -> None:
    folder.mkdir()
    statuses = [s for s, n in STATUS_MIX.items() for _ in range(n)]
    lines = [
        f'203.0.113.{i % 5} - - [25/Nov/2025:10:00:{i:02d} +0000] "GET /page/{i} HTTP/1.1" '
        f'{status} {100 + i} "-" "Mozilla/5.0 (X11; Linux)"'
        for i, status in enumerate(statuses)
    ]
    assert len(lines) == 30
    (folder / "access.log").write_text("\n".join(lines) + "\n")


def test_a_regex_serde_table_over_access_logs_answers_a_grouped_query(
    thrift_server: ThriftServer, tmp_path: Path, unique: str
) -> None:
    logs = tmp_path / "logs"
    write_access_log(logs)
    table = f"access_{unique}"
    script = hive_script(
        f"""
CREATE EXTERNAL TABLE {table} (
  host STRING, identity STRING, remote_user STRING, ts STRING, request STRING,
  status STRING, size STRING, referrer STRING, agent STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES ("input.regex" = "{COMBINED_REGEX}")
STORED AS TEXTFILE
LOCATION 'file://{logs}';

SELECT status, count(*) AS hits
FROM {table}
GROUP BY status
ORDER BY hits DESC, status
LIMIT 3;

DROP TABLE {table};
"""
    )
    outcome = run_script(thrift_server.target(), script)
    assert outcome.columns == ["status", "hits"]
    assert outcome.rows == [("200", 14), ("404", 9), ("500", 4)]
    assert (logs / "access.log").exists()  # dropping an external table leaves the data


def test_a_failing_statement_reports_its_number_line_and_the_server_message(
    thrift_server: ThriftServer, unique: str
) -> None:
    script = hive_script(
        "SET kinesis.checkpoint.enabled=true;\n"
        "SELECT 1;\n"
        "\n"
        "-- the table is missing\n"
        f"SELECT *\n  FROM missing_{unique};\n"
        "SELECT 2;\n"
    )
    with pytest.raises(StatementFailed, match="TABLE_OR_VIEW_NOT_FOUND") as caught:
        run_script(thrift_server.target(), script)
    error = caught.value
    assert (error.number, error.line, error.sql_state) == (3, 5, "42P01")
    assert str(error).startswith("statement 3 (line 5: SELECT *) failed: [TABLE_OR_VIEW_NOT_FOUND]")
    assert f"missing_{unique}" in error.server_message
    assert "\tat " not in str(error) and "HiveSQLException" not in str(error)


def test_the_rows_of_the_last_query_survive_later_ddl(
    thrift_server: ThriftServer, unique: str
) -> None:
    outcome = thrift_server.target().query(
        f"SELECT 41 + 1 AS answer; CREATE TABLE t_{unique} (a INT); DROP TABLE t_{unique}"
    )
    assert (outcome.columns, outcome.rows) == (["answer"], [(42,)])


def test_operation_logs_stream_through_the_engine_log_and_not_the_echo(
    thrift_server: ThriftServer,
) -> None:
    lines: list[str] = []
    echoed: list[str] = []
    outcome = thrift_server.target(echo=echoed.append, log=lines.append).query(
        "SELECT count(*) AS n FROM range(1000)"
    )
    assert outcome.rows == [(1000,)]
    assert lines[0] == "statement 1/1 (line 1): SELECT count(*) AS n FROM range(1000)"
    assert any("SparkExecuteStatementOperation" in line for line in lines[1:])
    assert not any("SparkExecuteStatementOperation" in line for line in echoed)


def test_cancel_from_another_thread_stops_a_long_query_and_the_server_still_answers(
    thrift_server: ThriftServer,
) -> None:
    target = thrift_server.target()
    cancels_before = server_cancels(thrift_server)
    cancelled: list[bool] = []
    timer = threading.Timer(1.0, lambda: cancelled.append(target.interrupt()))
    started = time.monotonic()
    timer.start()
    with pytest.raises(
        Interrupted, match=f"cancelled statement 1 on 127.0.0.1:{thrift_server.port}"
    ):
        target.query(ENDLESS)
    timer.join()
    assert cancelled == [True]
    assert wait_for_cancels(thrift_server, cancels_before + 1) == cancels_before + 1
    assert time.monotonic() - started < 10
    assert target.query("SELECT 1 AS one").rows == [(1,)]


def test_ctrl_c_while_waiting_cancels_the_operation(thrift_server: ThriftServer) -> None:
    lines: list[str] = []

    def sleep_then_interrupt(seconds: float) -> None:
        # The first pause between polls of statement 2 is where Ctrl-C lands.
        if any(line.startswith("statement 2/2") for line in lines):
            raise KeyboardInterrupt
        time.sleep(seconds)

    target = thrift_server.target(log=lines.append, sleep=sleep_then_interrupt)
    cancels_before = server_cancels(thrift_server)
    with pytest.raises(Interrupted, match="cancelled statement 2 on"):
        target.query("SELECT 1;\n" + ENDLESS)
    assert wait_for_cancels(thrift_server, cancels_before + 1) == cancels_before + 1
    assert thrift_server.target().query("SELECT 2 AS two").rows == [(2,)]


def test_ctrl_c_inside_a_thrift_call_cancels_through_a_fresh_session(
    thrift_server: ThriftServer,
) -> None:
    lines: list[str] = []
    # With no sleep between polls nearly all the time is spent inside Thrift calls, so SIGINT
    # almost surely lands mid-call and leaves a half-read reply on the connection.
    target = thrift_server.target(echo=lines.append, sleep=lambda _: None)
    cancels_before = server_cancels(thrift_server)
    main = threading.main_thread().ident
    assert main == threading.get_ident()
    timer = threading.Timer(1.0, signal.pthread_kill, args=(main, signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(Interrupted, match="cancelled statement 1 on"):
        target.query(ENDLESS)
    timer.join()
    assert time.monotonic() - started < 10
    assert not any(line.startswith("could not cancel") for line in lines)
    assert wait_for_cancels(thrift_server, cancels_before + 1) == cancels_before + 1
    assert target.query("SELECT 3 AS three").rows == [(3,)]


def test_a_hive_string_literal_reads_back_as_exactly_the_text_it_was_made_of(
    thrift_server: ThriftServer,
) -> None:
    from kiter.render.values import hive_string

    text = "x'); SET kinesis.checkpoint.iteration.no=0;\nDROP TABLE y; -- ${hiveconf:z} \\ \t$end"
    outcome = thrift_server.target().query(f"SELECT {hive_string(text)} AS v")
    assert outcome.rows == [(text,)]


def test_a_statement_still_running_is_recorded_and_a_later_attempt_waits_for_it(
    thrift_server: ThriftServer,
) -> None:
    """What a process stopped mid-statement leaves behind: the next attempt attaches to it."""
    from kiter.targets.base import Handle

    recorded: list[str] = []

    class Recording:
        def fence(self) -> None:
            pass

        def held(self) -> bool:
            return True

        def moved(self, handle: Handle) -> None:
            recorded.append(handle.id)

    first = thrift_server.target()
    slow = "SELECT count(*) AS n FROM range(20000) a CROSS JOIN range(20000) b"
    first_outcomes: list[Outcome] = []
    runner = threading.Thread(
        target=lambda: first_outcomes.append(
            first.follow(first.start(hive_script(slow)), Recording())
        ),
        daemon=True,
    )
    runner.start()
    deadline = time.monotonic() + 30
    while not recorded and time.monotonic() < deadline:
        time.sleep(0.1)
    assert recorded and recorded[0].startswith(f"hs2:{first.address}/op/")

    later = thrift_server.target()
    attached = later.attach(recorded[0])
    assert attached is not None
    outcome = later.follow(attached, Recording())
    runner.join(timeout=60)
    assert outcome.state == "CANCELLED"  # the other attempt's statement is over; run it anew
    assert not runner.is_alive()
    # Waiting on it from another session did not disturb it: it ran to its end.
    assert [(o.state, o.rows) for o in first_outcomes] == [("SUCCEEDED", [(400_000_000,)])]
