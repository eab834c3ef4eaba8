"""`kiter status`: each job's last iteration, one running now, the next number and the backlog,
with an exit code monitors can use."""

from __future__ import annotations

import json
import re
import time

import pytest
from runner_support import FakeTime, MakeRunner, ScriptedTarget, put, start_cluster

from kiter.aws import Aws
from kiter.errors import JobFailed
from kiter.jobstatus import JobStatus, job_status, status_rows
from kiter.metastore.ledger import Ledger, Owner
from kiter.project import Project
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
    assert not behind.healthy
    assert re.search(
        r"oldest unread record is (1m5\d|2m[0-1]\d)s old \(more than 1m00s\)", behind.problems[0]
    )


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
    (status,) = json.loads(out)["jobs"]
    assert status["healthy"] is False and status["last"]["state"] == "FAILED"


# -- what is under way: the same story as `kiter iterations` -------------------------------------


def holder_ledger(aws: Aws, clock: FakeTime, host: str = "worker-1") -> Ledger:
    """The project's ledger as another process on `host` uses it."""
    return Ledger(
        aws.client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=Owner(host, 42, "r"),
        lease_seconds=60,
        clock=clock,
    )


def shown(status: JobStatus) -> dict[int, tuple[str, int]]:
    """Each iteration status names, with the ledger state and attempts it gives it."""
    seen = {}
    if status.last is not None:
        seen[status.last.iteration] = (status.last.state, status.last.attempts)
    if status.current is not None:
        record = status.current.record
        seen[record.iteration] = (record.state, record.attempts)
    return seen


def agrees_with_iterations(status: JobStatus, ledger: Ledger) -> bool:
    """What status says of each iteration is what `kiter iterations` reads for it."""
    history = {r.iteration: (r.state, r.attempts) for r in ledger.history(status.logical_name)}
    return all(history.get(n) == said for n, said in shown(status).items())


def test_status_agrees_with_iterations_in_every_state_an_iteration_passes_through(
    aws: Aws, project: Project, make_runner: MakeRunner, clock: FakeTime
) -> None:
    job, kinesis, ledger = project.job("connector"), aws.client("kinesis"), make_runner().ledger
    holder = holder_ledger(aws, clock)

    def now() -> JobStatus:
        status = job_status(job, ledger, kinesis, now=clock)
        assert agrees_with_iterations(status, ledger)
        return status

    never = now()
    assert (never.last, never.current, never.next) == (None, None, 0) and never.healthy
    assert (never.to_json()["running"], never.to_json()["current"]) == (None, None)
    assert status_rows([never])[1][0][3] == "never ran"

    claim = holder.claim("conn")
    held = now()
    assert held.current is not None and held.current.status == "running"
    assert (held.current.record.state, held.current.record.attempts) == ("CLAIMED", 1)
    assert held.to_json()["running"]["owner"]["host"] == "worker-1" and held.healthy

    holder.running(claim, "s-STEP0", "emr")
    holder.detach(claim, "s-STEP0")
    detached = now()
    assert detached.current is not None and detached.current.status == "detached"
    running = detached.to_json()["running"]
    assert (running["iteration"], running["state"], running["submission_id"]) == (
        0,
        "RUNNING",
        "s-STEP0",
    )
    assert running["watched"] is False and running["since"] == detached.current.record.started
    assert detached.healthy and detached.last is None
    assert "0 RUNNING s-STEP0 since" in status_rows([detached])[1][0][7]

    holder.succeed(holder.claim("conn"), {"records": 3})  # the next submit follows it to its end
    succeeded = now()
    assert succeeded.last is not None and (succeeded.last.iteration, succeeded.next) == (0, 1)
    assert succeeded.current is None and succeeded.to_json()["running"] is None

    holder.fail(holder.claim("conn"), "SemanticException: no table")
    failed = now()
    assert failed.last is not None and (failed.last.iteration, failed.last.state) == (1, "FAILED")
    assert failed.current is None and not failed.healthy


def test_an_iteration_that_failed_four_times_shows_its_attempts_and_then_its_fifth_one(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget, clock: FakeTime
) -> None:
    runner = make_runner()
    job = project.job("connector")
    for n in range(4):
        target.answers = [Outcome("FAILED", "x", cause=f"boom {n}")]
        with pytest.raises(JobFailed):
            runner.run(job, project.targets["engine"])
    failed = job_status(job, runner.ledger, aws.client("kinesis"), now=clock)
    assert failed.last is not None and (failed.last.state, failed.last.attempts) == ("FAILED", 4)
    assert failed.problems == [
        "iteration 0 FAILED: boom 3 [4 attempts] (the next submit retries it)"
    ]
    assert status_rows([failed])[1][0][2:5] == (0, "FAILED", 4)

    holder_ledger(aws, clock).claim("conn")
    retried = job_status(job, runner.ledger, aws.client("kinesis"), now=clock)
    assert retried.healthy and retried.last is None
    assert retried.current is not None and retried.current.record.attempts == 5
    row = status_rows([retried])[1][0]
    assert row[3] != "never ran" and "0 CLAIMED on worker-1 since" in row[7]
    assert "(attempt 5)" in row[7]


def test_a_claim_whose_holder_stopped_is_shown_abandoned_without_anything_running(
    aws: Aws, project: Project, make_runner: MakeRunner, clock: FakeTime
) -> None:
    ledger = make_runner().ledger
    holder_ledger(aws, clock).claim("conn")
    clock.advance(61)  # past the lease: nobody renewed it
    status = job_status(project.job("connector"), ledger, aws.client("kinesis"), now=clock)
    assert status.current is not None and status.current.status == "abandoned"
    assert status.to_json()["running"] is None and status.running is None
    assert agrees_with_iterations(status, ledger) and status.healthy
    assert "0 CLAIMED, its lease of worker-1 expired" in status_rows([status])[1][0][7]


def test_a_staged_iteration_not_yet_run_is_staged_and_healthy(
    aws: Aws,
    project: Project,
    make_runner: MakeRunner,
    clock: FakeTime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runner = make_runner()
    put(aws, ["a"] * 4)
    runner.run(project.job("top"), project.targets["engine"])
    put(aws, ["b"] * 3)
    runner.stage(project.job("top"))
    status = job_status(project.job("top"), runner.ledger, aws.client("kinesis"), now=clock)
    assert status.healthy and status.problems == []
    assert status.last is not None and (status.last.iteration, status.last.state) == (
        0,
        "SUCCEEDED",
    )
    assert status.current is not None and (
        status.current.record.iteration,
        status.current.status,
    ) == (
        1,
        "staged",
    )
    assert agrees_with_iterations(status, runner.ledger)

    code, out, _ = run(["-C", str(project.root), "status", "top"], capsys)
    assert code == 0 and "1 staged at" in out and "FAILED" not in out
    code, out, _ = run(["-C", str(project.root), "status", "top", "--json"], capsys)
    (shown_json,) = json.loads(out)["jobs"]
    assert (shown_json["current"]["status"], shown_json["running"]) == ("staged", None)


def test_after_submit_no_wait_on_emr_status_shows_the_step_running_as_iterations_does(
    aws: Aws, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.client("s3").create_bucket(Bucket="scripts")
    cluster = start_cluster(aws.client("emr"))
    toml = project.root / "kiter.toml"
    toml.write_text(toml.read_text().replace('cluster_id = "j-1"', f'cluster_id = "{cluster}"'))
    root = str(project.root)
    code, _, err = run(["-C", root, "submit", "connector", "--target", "emr", "--no-wait"], capsys)
    assert code == 0, err
    (step,) = aws.client("emr").list_steps(ClusterId=cluster)["Steps"]

    code, out, _ = run(["-C", root, "iterations", "connector", "--json"], capsys)
    (record,) = json.loads(out)["iterations"]
    assert (record["state"], record["submission_id"]) == ("RUNNING", step["Id"])

    code, out, _ = run(["-C", root, "status", "connector", "--json"], capsys)
    assert code == 0
    (status,) = json.loads(out)["jobs"]
    running = status["running"]
    assert (running["iteration"], running["state"], running["submission_id"]) == (
        0,
        "RUNNING",
        step["Id"],
    )
    assert running["since"] == record["started"] and running["watched"] is False
    assert status["current"]["status"] == "detached" and status["healthy"] is True

    code, out, _ = run(["-C", root, "status", "connector"], capsys)
    assert code == 0 and "never ran" not in out
    assert f"0 RUNNING {step['Id']} since {record['started']}, not watched (attempt 1)" in out
