"""The runner's rules: claim, stage, render, submit, record; failures retried with the same number."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from runner_support import FakeTime, MakeRunner, ScriptedTarget, put, start_cluster

from kiter.aws import Aws
from kiter.errors import Interrupted, JobFailed, KiterError, Refused, TemplateError
from kiter.iterationresult import InterruptedAfterRecording
from kiter.metastore.ledger import Claim, Ledger
from kiter.project import Project
from kiter.targets.base import Handle, Outcome, Watch

pytestmark = pytest.mark.functional


def partition(project: Project, logical: str, iteration: int) -> bytes:
    folder = project.root / "staging" / logical / f"iteration={iteration}"
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()))


def lines(n: int, start: int = 0) -> list[str]:
    return [
        f"site.example.com 10.0.0.{i % 250} - - [25/Nov/2026:18:00:00 +0000] "
        f'"GET /p/{i} HTTP/1.1" 500 12 "-" "curl/8.0" eu-west-1'
        for i in range(start, start + n)
    ]


def test_iterations_advance_only_after_success(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    first = runner.run(project.job("connector"), project.targets["engine"])
    second = runner.run(project.job("connector"), project.targets["engine"])
    assert (first.iteration, second.iteration) == (0, 1)
    assert "SET kinesis.checkpoint.iteration.no=0;" in target.scripts[0].text
    assert "SET kinesis.checkpoint.iteration.no=1;" in target.scripts[1].text
    assert [r.state for r in runner.ledger.history("conn")] == ["SUCCEEDED", "SUCCEEDED"]


def test_a_failed_iteration_is_retried_with_the_same_number_as_a_rerun(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    target.answers = [Outcome("FAILED", "s-1", cause="FAILED: SemanticException table not found")]
    with pytest.raises(JobFailed, match="SemanticException table not found"):
        runner.run(project.job("connector"), project.targets["engine"])
    record = runner.ledger.get("conn", 0)
    assert record is not None and record.state == "FAILED"
    assert "SemanticException" in record.reason
    retry = runner.run(project.job("connector"), project.targets["engine"])
    assert (retry.iteration, retry.attempt, retry.rerun) == (0, 2, True)
    assert "SET kinesis.rerun.iteration.without.wait=true;" in target.scripts[1].text
    assert "SET kinesis.rerun.iteration.without.wait=false;" in target.scripts[0].text


def test_staged_iterations_read_each_record_once(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    runner = make_runner()
    put(aws, lines(30))
    first = runner.run(project.job("top"), project.targets["engine"])
    put(aws, lines(20, start=30))
    second = runner.run(project.job("top"), project.targets["engine"])
    assert first.read is not None and second.read is not None
    assert (first.read.total_records, second.read.total_records) == (30, 20)
    staged = partition(project, "top", 0) + partition(project, "top", 1)
    assert sorted(staged.decode().splitlines()) == sorted(lines(50))
    record = runner.ledger.get("top", 1)
    assert record is not None and record.stats["records"] == 20
    assert all(isinstance(s["end"], str | None) for s in record.shards.values())


def test_a_deliberate_rerun_stages_a_byte_identical_partition(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    runner = make_runner()
    put(aws, lines(25))
    runner.run(project.job("top"), project.targets["engine"])
    before = partition(project, "top", 0)
    put(aws, lines(10, start=25))  # arrives after iteration 0 ended: not part of it
    from kiter.runner import RunOptions

    rerun = runner.run(project.job("top"), project.targets["engine"], RunOptions(iteration=0))
    assert (rerun.iteration, rerun.attempt, rerun.rerun) == (0, 2, True)
    assert partition(project, "top", 0) == before
    assert runner.ledger.history("top")[-1].iteration == 0  # not a new iteration


def test_a_failed_staged_iteration_rereads_exactly_its_recorded_records(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    put(aws, lines(15))
    target.answers = [Outcome("FAILED", "x", cause="boom")]
    with pytest.raises(JobFailed, match="iteration 0 of top failed"):
        runner.run(project.job("top"), project.targets["engine"])
    before = partition(project, "top", 0)
    put(aws, lines(5, start=15))
    retry = runner.run(project.job("top"), project.targets["engine"])
    assert retry.iteration == 0 and partition(project, "top", 0) == before
    nxt = runner.run(project.job("top"), project.targets["engine"])
    assert nxt.read is not None and nxt.read.total_records == 5


def test_an_interrupt_marks_the_iteration_failed_and_releases_the_lease(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    target.answers = [KeyboardInterrupt()]
    with pytest.raises(Interrupted, match="cancelled statement 3"):
        runner.run(project.job("connector"), project.targets["engine"])
    record = runner.ledger.get("conn", 0)
    assert record is not None and record.state == "FAILED" and "interrupted" in record.reason
    assert runner.ledger.lease("conn") is None
    assert runner.run(project.job("connector"), project.targets["engine"]).iteration == 0


class CtrlCWhileRecording(Ledger):
    """A ledger whose writes of an outcome are where the user presses Ctrl-C."""

    def succeed(self, claim: Claim, stats: dict[str, Any]) -> None:
        signal.raise_signal(signal.SIGINT)
        super().succeed(claim, stats)

    def fail(self, claim: Claim, reason: str) -> None:
        signal.raise_signal(signal.SIGINT)
        super().fail(claim, reason)


@pytest.mark.parametrize(
    ("answer", "recorded"),
    [
        (Outcome("SUCCEEDED", "hs2:x"), "SUCCEEDED"),
        (Outcome("FAILED", "hs2:x", cause="boom"), "FAILED"),
    ],
)
def test_ctrl_c_while_an_outcome_is_written_leaves_it_written_and_says_what_it_was(
    project: Project,
    make_runner: MakeRunner,
    target: ScriptedTarget,
    answer: Outcome,
    recorded: str,
) -> None:
    runner = make_runner(ledger_class=CtrlCWhileRecording)
    target.answers = [answer]
    raised: BaseException | None = None
    try:
        runner.run(project.job("connector"), project.targets["engine"])
    except (KiterError, KeyboardInterrupt) as exc:
        raised = exc
    assert isinstance(raised, InterruptedAfterRecording)
    assert str(raised) == (
        f"iteration 0 of conn was recorded {recorded} before the signal was handled"
    )
    assert raised.result.outcome is answer and raised.exit_code == 130
    record = runner.ledger.get("conn", 0)
    assert record is not None and record.state == recorded
    assert runner.ledger.lease("conn") is None


def test_a_template_error_after_the_claim_leaves_the_iteration_failed_not_stuck(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    (project.root / "hiveql").mkdir()
    (project.root / "hiveql" / "top_errors.hql.j2").write_text("SELECT {{ nope }};\n")
    from kiter.project import load_project
    from kiter.render import Renderer

    runner.renderer = Renderer(load_project(project.path, env={}))  # sees the project's template
    with pytest.raises(TemplateError, match="undefined name"):
        runner.run(project.job("connector"), project.targets["engine"])
    record = runner.ledger.get("conn", 0)
    assert record is not None and record.state == "FAILED" and "undefined" in record.reason
    assert target.scripts == []


def test_a_pig_job_aimed_at_hiveserver2_is_refused_naming_the_emr_target(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    from kiter.errors import ConfigError

    with pytest.raises(ConfigError, match='kind = "emr"'):
        make_runner().run(project.job("pig"), project.targets["engine"])
    assert make_runner().ledger.history("pig") == []  # refused before any claim


def test_the_retention_guard_refuses_an_iteration_whose_records_may_have_expired(
    aws: Aws, project: Project, make_runner: MakeRunner, clock: FakeTime
) -> None:
    runner = make_runner()
    runner.run(project.job("connector"), project.targets["engine"])
    clock.now += 25 * 3600  # the stream keeps 24 hours
    with pytest.raises(Refused, match="new logical name starts over"):
        runner.run(project.job("connector"), project.targets["engine"])
    from kiter.runner import RunOptions

    forced = runner.run(project.job("connector"), project.targets["engine"], RunOptions(force=True))
    assert forced.iteration == 1


def test_cross_account_keys_reach_the_engine_but_not_the_ledger(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget, tmp_path: Path
) -> None:
    from dataclasses import replace

    job = replace(project.job("connector"), cross_account=True)
    env = {"KITER_KINESIS_ACCESS_KEY": "AKIAXEXAMPLE", "KITER_KINESIS_SECRET_KEY": "wJalr/SECRET"}
    runner = make_runner(env=env)
    runner.run(job, project.targets["engine"])
    assert "SET kinesis.secretKey=wJalr/SECRET;" in target.scripts[0].text
    record = runner.ledger.get("conn", 0)
    assert record is not None and "SECRET" not in str(record.to_json())


def test_a_cross_account_job_without_keys_in_the_environment_is_refused_before_claiming(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    from dataclasses import replace

    from kiter.errors import UsageError

    job = replace(project.job("connector"), cross_account=True)
    with pytest.raises(UsageError, match="KITER_KINESIS_ACCESS_KEY"):
        make_runner().run(job, project.targets["engine"])
    assert make_runner().ledger.history("conn") == []


def test_heartbeats_keep_a_long_iterations_lease_alive(
    aws: Aws, project: Project, target: ScriptedTarget
) -> None:
    import time

    from kiter.errors import IterationBusy
    from kiter.metastore.ledger import Ledger, Owner
    from kiter.render import Renderer
    from kiter.runner import Runner

    def ledger(owner: Owner) -> Ledger:
        return Ledger(
            aws.client("dynamodb"),
            "MyEMRKinesisTable",
            "HashKey",
            "RangeKey",
            owner=owner,
            lease_seconds=2,
        )

    seen: list[BaseException] = []

    class SlowTarget(ScriptedTarget):
        def follow(self, handle: Handle, watch: Watch) -> Outcome:
            time.sleep(3.5)  # well past the 2 s lease: only heartbeats keep it
            try:
                ledger(Owner("rival", 1, "r")).claim("conn")
            except IterationBusy as exc:
                seen.append(exc)
            return Outcome("SUCCEEDED", "slow")

    runner = Runner(
        project,
        aws=aws,
        renderer=Renderer(project),
        ledger=ledger(Owner.current()),
        make_target=lambda _config, _echo: SlowTarget(),
    )
    result = runner.run(project.job("connector"), project.targets["engine"])
    assert result.outcome.state == "SUCCEEDED"
    assert len(seen) == 1 and "iteration 0 of conn is running" in str(seen[0])
    record = runner.ledger.get("conn", 0)
    assert record is not None and (record.state, record.attempts) == ("SUCCEEDED", 1)


def test_a_staged_iteration_after_a_connector_one_is_refused_not_read_from_the_start(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    from dataclasses import replace

    runner = make_runner()
    put(aws, lines(6))
    connector = replace(project.job("top"), mode="connector")
    runner.run(connector, project.targets["engine"])  # records no shard boundaries
    with pytest.raises(Refused, match="recorded no shard boundaries .* new logical name"):
        runner.run(project.job("top"), project.targets["engine"])
    record = runner.ledger.get("top", 1)
    assert record is not None and record.state == "FAILED"


def test_the_retention_guard_stays_out_of_a_cross_account_stream(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    from dataclasses import replace

    job = replace(project.job("connector"), cross_account=True, stream="their-stream")
    env = {"KITER_KINESIS_ACCESS_KEY": "AKIAX", "KITER_KINESIS_SECRET_KEY": "s"}
    result = make_runner(env=env).run(job, project.targets["engine"])
    assert result.outcome.state == "SUCCEEDED"  # no describe of a stream we cannot see


def test_a_no_wait_submission_is_followed_to_its_end_by_the_next_submit(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.emr.models import emr_backends

    from kiter.runner import RunOptions
    from kiter.targets.emr import EmrTarget

    aws.client("s3").create_bucket(Bucket="scripts")
    emr = aws.client("emr")
    cluster = start_cluster(emr)
    steps = emr_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].clusters[cluster].steps
    emr_target = EmrTarget(
        "emr",
        s3=aws.client("s3"),
        emr=emr,
        cluster_id=cluster,
        script_prefix="s3://scripts/kiter",
        sleep=lambda _s: None,
    )
    runner = make_runner()
    runner.make_target = lambda _config, _echo: emr_target
    job, target = project.job("connector"), project.targets["emr"]

    first = runner.run(job, target, RunOptions(wait=False))
    assert first.outcome.state == "SUBMITTED"
    record = runner.ledger.get("conn", 0)
    assert record is not None and (record.state, record.submission_id) == (
        "RUNNING",
        first.outcome.submission_id,
    )
    assert runner.ledger.lease("conn") is None  # nobody watches it: the next submit may

    steps[0].state = "COMPLETED"
    second = runner.run(job, target)
    assert (second.iteration, second.outcome.state) == (0, "SUCCEEDED")
    assert second.outcome.submission_id == first.outcome.submission_id
    assert len(emr.list_steps(ClusterId=cluster)["Steps"]) == 1  # followed, not resubmitted
    assert [r.state for r in runner.ledger.history("conn")] == ["SUCCEEDED"]
    assert runner.run(job, target, RunOptions(wait=False)).iteration == 1


def test_a_staged_job_on_emr_stages_to_s3_and_the_step_reads_that_partition(
    aws: Aws, tmp_path: Path
) -> None:
    from kiter.project import load_project
    from kiter.render import Renderer
    from kiter.runner import Runner, RunOptions
    from kiter.targets.emr import EmrTarget

    s3 = aws.client("s3")
    for bucket in ("staging", "scripts"):
        s3.create_bucket(Bucket=bucket)
    emr = aws.client("emr")
    cluster = start_cluster(emr)
    (tmp_path / "kiter.toml").write_text(
        '[staging]\nlocation = "s3://staging/kiter"\n'
        f'[targets.emr]\nkind = "emr"\ncluster_id = "{cluster}"\n'
        'script_prefix = "s3://scripts/kiter"\n'
        '[jobs.top]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "weblogs"\n'
        'target = "emr"\nmode = "staged"\n'
    )
    project = load_project(tmp_path / "kiter.toml", env={})
    put(aws, lines(9))
    emr_target = EmrTarget(
        "emr",
        s3=s3,
        emr=emr,
        cluster_id=cluster,
        script_prefix="s3://scripts/kiter",
        sleep=lambda _s: None,
    )
    from kiter.metastore.ledger import Ledger, Owner

    ledger = Ledger(
        aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey", owner=Owner.current()
    )
    runner = Runner(
        project,
        aws=aws,
        renderer=Renderer(project),
        ledger=ledger,
        make_target=lambda _config, _echo: emr_target,
    )

    result = runner.run(project.job("top"), project.targets["emr"], RunOptions(wait=False))

    assert result.outcome.state == "SUBMITTED" and result.read is not None
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="staging")["Contents"]]
    assert keys and all(k.startswith("kiter/top/iteration=0/") for k in keys)
    staged = b"".join(s3.get_object(Bucket="staging", Key=k)["Body"].read() for k in keys)
    assert sorted(staged.decode().splitlines()) == sorted(lines(9))
    script = s3.get_object(Bucket="scripts", Key="kiter/top/0/1/top.hql")["Body"].read().decode()
    assert "LOCATION 's3://staging/kiter/top/iteration=0';" in script
    assert "STORED BY" not in script


def test_the_retention_guard_asks_the_stream_only_past_the_24_hour_minimum(
    aws: Aws, project: Project, make_runner: MakeRunner, clock: FakeTime
) -> None:
    kinesis = aws.client("kinesis")
    kinesis.increase_stream_retention_period(StreamName="weblogs", RetentionPeriodHours=48)
    runner = make_runner()
    calls: list[str] = []
    kinesis.meta.events.register(
        "before-call.kinesis.DescribeStreamSummary", lambda **_kw: calls.append("describe")
    )
    runner.aws._clients["kinesis"] = kinesis  # count the calls of the runner's own client
    runner.run(project.job("connector"), project.targets["engine"])
    clock.now += 20 * 3600
    runner.run(project.job("connector"), project.targets["engine"])
    assert calls == []  # younger than any stream's retention: nothing to ask
    clock.now += 25 * 3600  # iteration 2's records came after iteration 1 started, 25 h ago
    runner.run(project.job("connector"), project.targets["engine"])
    assert calls == ["describe"]  # past 24 h: the stream's 48 h decide, and allow it
    clock.now += 50 * 3600
    with pytest.raises(Refused, match="beyond the stream's retention of 48 h"):
        runner.run(project.job("connector"), project.targets["engine"])
