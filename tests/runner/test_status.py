"""`kiter status`: each job's last iteration, one running now, the next number and the backlog,
with an exit code monitors can use."""

from __future__ import annotations

import time

import pytest
from runner_support import FakeTime, MakeRunner, ScriptedTarget, put

from kiter.aws import Aws
from kiter.metastore.ledger import Ledger, Owner
from kiter.project import Project
from kiter.status import job_status
from kiter.targets.base import Outcome
from sample_projects import run

pytestmark = pytest.mark.functional


def test_a_staged_job_shows_its_last_iteration_and_the_age_of_what_it_has_not_read(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    runner = make_runner()
    put(aws, ["a"] * 5)
    runner.run(project.job("top"), project.targets["engine"])
    caught_up = job_status(project.job("top"), runner.ledger, aws.client("kinesis"), now=time.time)
    assert caught_up.healthy and caught_up.backlog_seconds == 0.0
    assert (caught_up.last.iteration, caught_up.last.state, caught_up.next) == (0, "SUCCEEDED", 1)
    assert caught_up.open_shards == 2 and caught_up.running is None

    put(aws, ["b"] * 3)
    later = time.time() + 120  # two minutes after the unread records arrived
    behind = job_status(
        project.job("top"), runner.ledger, aws.client("kinesis"), now=lambda: later, max_age=60
    )
    assert behind.backlog_seconds is not None and 115 <= behind.backlog_seconds <= 130
    assert not behind.healthy and "oldest unread record is 2m old" in behind.problems[0]


def test_a_failed_last_iteration_is_unhealthy_and_one_running_now_is_shown(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget, clock: FakeTime
) -> None:
    runner = make_runner()
    target.answers = [Outcome("FAILED", "x", cause="SemanticException: no table")]
    with pytest.raises(Exception, match="SemanticException"):
        runner.run(project.job("connector"), project.targets["engine"])
    failed = job_status(project.job("connector"), runner.ledger, aws.client("kinesis"), now=clock)
    assert not failed.healthy and "iteration 0 FAILED: SemanticException" in failed.problems[0]
    assert failed.backlog_seconds is None and "connector mode" in failed.backlog_note

    holder = Ledger(
        aws.client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=Owner("worker-1", 42, "r"),
        clock=clock,
    )
    holder.claim("conn")
    running = job_status(project.job("connector"), runner.ledger, aws.client("kinesis"), now=clock)
    assert running.running is not None and running.running.owner.host == "worker-1"
    assert running.healthy  # the retry is under way


def test_the_command_prints_a_table_and_exits_1_for_an_unhealthy_job(
    aws: Aws,
    project: Project,
    make_runner: MakeRunner,
    target: ScriptedTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runner = make_runner()
    runner.run(project.job("connector"), project.targets["engine"])
    code, out, _ = run(["-C", str(project.root), "status", "connector"], capsys)
    assert code == 0
    header, row = out.splitlines()[:3:2]
    assert header.split()[:4] == ["job", "logical", "name", "last"]
    assert row.split()[:4] == ["connector", "conn", "0", "SUCCEEDED"]
    target.answers = [Outcome("FAILED", "x", cause="boom")]
    with pytest.raises(Exception, match="boom"):
        runner.run(project.job("connector"), project.targets["engine"])
    code, out, _ = run(["-C", str(project.root), "status", "connector", "--json"], capsys)
    assert code == 1
    import json

    (status,) = json.loads(out)
    assert status["healthy"] is False and status["last"]["state"] == "FAILED"
