"""`kiter run`'s loop: cadences, retries of the same iteration, order, and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from runner_support import MakeRunner, ScriptedTarget, start_cluster

from kiter.aws import Aws
from kiter.errors import EXIT_FAILED, EXIT_OK, UsageError
from kiter.project import Project
from kiter.scheduler import (
    BackToBack,
    Cron,
    Every,
    RetryPolicy,
    Scheduler,
    parse_duration,
    shared_streams,
)
from kiter.targets.base import Outcome


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("1m", 60), ("5", 300), ("1.5h", 5400), ("2d", 172800)]
)
def test_durations_read_as_people_write_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "-1m", "5 minutes", "m"])
def test_a_bad_duration_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="is not a duration"):
        parse_duration(text)


def test_every_ticks_on_its_grid_and_skips_ticks_missed_while_running() -> None:
    every = Every(60, start=1000.0)
    assert every.next_after(1000.0) == 1060.0
    assert every.next_after(1059.9) == 1060.0
    assert every.next_after(1185.0) == 1240.0  # a long iteration skips 1120 and 1180


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/5 * * * *", "2026-11-25 12:03:10", "2026-11-25 12:05:00"),
        ("*/5 * * * *", "2026-11-25 12:05:00", "2026-11-25 12:10:00"),
        ("0 9 * * 1", "2026-11-25 12:00:00", "2026-11-30 09:00:00"),  # next Monday
        ("30 2 1 * *", "2026-12-05 00:00:00", "2027-01-01 02:30:00"),
        ("0 0 29 2 *", "2026-03-01 00:00:00", "2028-02-29 00:00:00"),
        ("15,45 8-9 * * 7", "2026-11-29 08:20:00", "2026-11-29 08:45:00"),  # Sunday as 7
        ("0 12 13 * 5", "2026-11-25 00:00:00", "2026-11-27 12:00:00"),  # Friday or the 13th
    ],
)
def test_cron_expressions_find_the_next_matching_minute(
    expression: str, after: str, expected: str
) -> None:
    assert Cron(expression).next_after(ts(after)) == ts(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "needs 5 fields"),
        ("61 * * * *", "outside 0-59"),
        ("*/0 * * * *", "outside"),
        ("a * * * *", "bad minute field"),
    ],
)
def test_a_bad_cron_expression_says_which_field(expression: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Cron(expression)


def test_several_logical_names_on_one_stream_are_warned_about() -> None:
    warnings = shared_streams([("a", "logs", "a"), ("b", "logs", "b"), ("c", "clicks", "c")])
    assert warnings == [
        "stream logs is read by 2 logical names (a, b): they share each shard's 2 MB/s read "
        "limit, about 1 MB/s each"
    ]


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.functional
def test_a_failure_is_retried_with_the_same_iteration_then_the_loop_goes_on(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    target.answers = [Outcome("FAILED", "a", cause="x"), Outcome("FAILED", "b", cause="y")]
    fake = FakeTime()
    scheduler = Scheduler(
        jobs=["connector"],
        run_one=lambda name: runner.run(project.job(name), project.targets["engine"]),
        cadence=Every(60, start=fake.now),
        iterations=3,
        retry=RetryPolicy(max_retries=3, first_backoff=10),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_OK
    numbers = [s.iteration for s in target.scripts]
    assert numbers == [0, 0, 0, 1, 2]  # never 1 before 0 succeeded
    assert [s.attempt for s in target.scripts] == [1, 2, 3, 1, 1]
    history = runner.ledger.history("conn")
    assert [(r.iteration, r.state, r.attempts) for r in history] == [
        (0, "SUCCEEDED", 3),
        (1, "SUCCEEDED", 1),
        (2, "SUCCEEDED", 1),
    ]
    assert sum(fake.slept) >= 10 + 20  # the doubling backoff was honoured


@pytest.mark.functional
def test_the_loop_stops_with_exit_1_after_the_retry_limit(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    target.answers = [Outcome("FAILED", str(i), cause="still broken") for i in range(5)]
    fake = FakeTime()
    lines: list[str] = []
    scheduler = Scheduler(
        jobs=["connector"],
        run_one=lambda name: runner.run(project.job(name), project.targets["engine"]),
        cadence=Every(60, start=fake.now),
        iterations=None,
        retry=RetryPolicy(max_retries=2, first_backoff=5),
        echo=lines.append,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_FAILED
    assert [s.iteration for s in target.scripts] == [0, 0, 0]
    assert "giving up after 2 retries of the same iteration" in lines[-1]
    record = runner.ledger.get("conn", 0)
    assert record is not None and record.state == "FAILED"


SIGTERM_PROJECT = """\
[aws]
region = "us-east-1"

[targets.emr]
kind = "emr"
cluster_id = "{cluster}"
script_prefix = "s3://scripts/kiter"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "top"
target = "emr"
"""


@pytest.mark.functional
@pytest.mark.slow
def test_sigterm_cancels_the_running_iteration_and_records_it(tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KITER_"))} | {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "KITER_AWS_ENDPOINT_URL": url,
        }
        kw = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        boto3.client("kinesis", **kw).create_stream(StreamName="weblogs", ShardCount=1)
        boto3.client("s3", **kw).create_bucket(Bucket="scripts")
        cluster = start_cluster(boto3.client("emr", **kw))
        (tmp_path / "kiter.toml").write_text(SIGTERM_PROJECT.format(cluster=cluster))
        kiter = [sys.executable, "-m", "kiter", "-C", str(tmp_path)]
        subprocess.run(
            [*kiter, "metastore", "create", "--on-demand"], env=env, check=True, capture_output=True
        )
        # moto keeps the step RUNNING forever: the loop waits on it until the signal.
        proc = subprocess.Popen(
            [*kiter, "run", "top", "--every", "1m"], env=env, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        seen = ""
        assert proc.stderr is not None
        while "added step" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.readline()
        assert "added step" in seen
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
        assert proc.returncode == 130, seen + rest
        assert "Traceback" not in rest
        table = boto3.client("dynamodb", **kw)
        item = table.get_item(
            TableName="MyEMRKinesisTable",
            Key={"HashKey": {"S": "kiter#top"}, "RangeKey": {"S": "0000000000"}},
        )["Item"]
        assert item["state"]["S"] == "FAILED"
        assert "interrupted" in item["reason"]["S"]
        head = table.get_item(
            TableName="MyEMRKinesisTable",
            Key={"HashKey": {"S": "kiter#top"}, "RangeKey": {"S": "~head"}},
        )["Item"]
        assert "lease_token" not in head and "lease_expires" not in head  # lease released
        assert head["next_iteration"]["N"] == "0"  # iteration 0 runs again next time
        print(seen + rest)
    finally:
        server.stop()


def test_a_busy_logical_name_is_waited_for_not_counted_as_a_tick() -> None:
    from kiter.errors import IterationBusy

    fake = FakeTime()
    calls: list[float] = []

    def run_one(name: str) -> None:
        calls.append(fake.now)
        if len(calls) <= 2:
            raise IterationBusy("iteration 4 of top is running on other (pid 1) since T")

    scheduler = Scheduler(
        jobs=["top"],
        run_one=run_one,
        cadence=BackToBack(),
        iterations=2,
        retry=RetryPolicy(first_backoff=30),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert scheduler.loop() == EXIT_OK
    assert len(calls) == 4  # two busy ticks, then the two that count
    assert calls[1] - calls[0] >= 30 and calls[2] - calls[1] >= 30  # waited, never spun


def test_errors_that_waiting_cannot_mend_stop_the_loop_with_their_own_exit_code() -> None:
    from kiter.errors import Refused

    def run_one(name: str) -> None:
        raise Refused("records may have expired")

    fake = FakeTime()
    scheduler = Scheduler(
        jobs=["top"],
        run_one=run_one,
        cadence=BackToBack(),
        iterations=3,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    with pytest.raises(Refused):
        scheduler.loop()
    assert fake.slept == []
