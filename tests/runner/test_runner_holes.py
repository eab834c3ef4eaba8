"""The holes an adversarial run found, each closed: lost leases, slipped settings, guards that
spent attempts, re-staging that rewrote history, reruns that re-snapshotted, secrets that stayed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from runner_support import FakeTime, MakeRunner, ScriptedTarget, put

from kiter.aws import Aws
from kiter.errors import JobFailed, LeaseLost, Refused, SettingError
from kiter.metastore.ledger import Ledger, Owner
from kiter.project import Project
from kiter.runner import Runner
from kiter.targets.base import Abandoned, Handle, Outcome, Watch

pytestmark = pytest.mark.functional


def _rival(aws: Aws, clock: FakeTime) -> Ledger:
    return Ledger(
        aws.client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=Owner("rival", 2, "r"),
        lease_seconds=60,
        clock=clock,
    )


class LosingTarget(ScriptedTarget):
    """Follows until a rival takes the iteration over after the lease ran out."""

    def __init__(self, take_over: Any, *, followed_by_rival: bool) -> None:
        super().__init__()
        self.take_over = take_over
        self.followed_by_rival = followed_by_rival

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        self.take_over(handle, self.followed_by_rival)
        if not watch.held():
            raise Abandoned(handle, "stopped following")
        return Outcome("SUCCEEDED", handle.id)


def _take_over(aws: Aws, clock: FakeTime) -> Any:
    def take_over(handle: Handle, follow: bool) -> None:
        clock.now += 61  # this process was stopped past its 60 s lease
        rival = _rival(aws, clock)
        claim = rival.claim("conn")
        if follow:
            rival.running(claim, handle.id, "engine")

    return take_over


@pytest.mark.parametrize("followed", [False, True], ids=["nobody-follows", "rival-follows"])
def test_a_process_that_lost_its_lease_cancels_its_run_unless_the_new_holder_follows_it(
    aws: Aws, project: Project, make_runner: MakeRunner, clock: FakeTime, followed: bool
) -> None:
    target = LosingTarget(_take_over(aws, clock), followed_by_rival=followed)
    runner = make_runner()
    runner.make_target = lambda _config, _echo: target
    with pytest.raises(LeaseLost, match="lost the lease on iteration 0 of conn") as caught:
        runner.run(project.job("connector"), project.targets["engine"])
    assert caught.value.exit_code == 3
    assert "nothing recorded by this run" in str(caught.value)
    record = runner.ledger.get("conn", 0)
    assert record is not None
    assert (record.state, record.attempts) == ("RUNNING" if followed else "CLAIMED", 2)
    assert record.owner == Owner("rival", 2, "r")  # the first process wrote nothing after it
    if followed:
        assert target.cancelled == []
        assert "left it running" in str(caught.value)
    else:
        assert target.cancelled == ["hs2:test/1"]


def test_a_script_whose_effective_settings_slipped_past_the_renderer_is_never_submitted(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    real_render = runner.renderer.render

    def slipped(*args: Any, **kwargs: Any) -> Any:
        rendered = real_render(*args, **kwargs)
        text = rendered.submit_text + "SET hiveconf:kinesis.checkpoint.iteration.no=0;\n"
        return rendered._replace(submit_text=text)

    runner.run(project.job("connector"), project.targets["engine"])  # iteration 0
    runner.renderer.render = slipped  # type: ignore[method-assign]
    with pytest.raises(SettingError, match=r"sets kinesis.checkpoint.iteration.no=0 on line"):
        runner.run(project.job("connector"), project.targets["engine"])
    assert len(target.scripts) == 1  # nothing submitted for iteration 1
    record = runner.ledger.get("conn", 1)
    assert record is not None and record.state == "FAILED"
    assert "nothing was submitted" in record.reason


def test_a_retention_refusal_spends_no_attempt(
    aws: Aws, project: Project, make_runner: MakeRunner, clock: FakeTime
) -> None:
    runner = make_runner()
    runner.run(project.job("connector"), project.targets["engine"])
    clock.now += 25 * 3600
    for _ in range(3):
        with pytest.raises(Refused, match="beyond the stream's retention"):
            runner.run(project.job("connector"), project.targets["engine"])
    assert runner.ledger.get("conn", 1) is None
    assert runner.ledger.lease("conn") is None


def test_staging_a_succeeded_iteration_again_changes_nothing_the_ledger_says(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    runner = make_runner()
    put(aws, ["a line"] * 5)
    runner.run(project.job("top"), project.targets["engine"])
    before = runner.ledger.get("top", 0)
    read = runner.stage(project.job("top"), 0)
    assert read.total_records == 5
    after = runner.ledger.get("top", 0)
    assert after == before
    assert after is not None and after.state == "SUCCEEDED"


def _engagement(project: Project) -> Any:
    return replace(
        project.job("top"),
        name="engage",
        template="engagement.hql.j2",
        logical_name="engage",
        campaign_table="AdCampaigns",
    )


def _campaigns(aws: Aws, *rows: tuple[str, str]) -> None:
    ddb = aws.client("dynamodb")
    for ad, category in rows:
        ddb.put_item(
            TableName="AdCampaigns",
            Item={"AdId": {"S": ad}, "Category": {"S": category}, "Campaign": {"S": "c"}},
        )


def _snapshot(project: Project, iteration: int) -> bytes:
    folder = project.root / "staging" / "engage-campaigns" / f"iteration={iteration}"
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()))


def test_a_rerun_of_the_engagement_job_joins_the_campaigns_of_its_first_run(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    aws.client("dynamodb").create_table(
        TableName="AdCampaigns",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "AdId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "AdId", "AttributeType": "S"}],
    )
    _campaigns(aws, ("ad-1", "shoes"))
    runner = make_runner()
    put(aws, ["t\tu\tsite\tad-1\tclick"])
    job = _engagement(project)
    runner.run(job, project.targets["engine"])
    first = _snapshot(project, 0)
    _campaigns(aws, ("ad-2", "hats"))  # the table changes after iteration 0 ran
    from kiter.runner import RunOptions

    runner.run(job, project.targets["engine"], RunOptions(iteration=0))
    assert _snapshot(project, 0) == first
    record = runner.ledger.get("engage", 0)
    assert record is not None and record.staged["campaigns"]["rows"] == 1

    import shutil

    shutil.rmtree(project.root / "staging" / "engage-campaigns" / "iteration=0")
    with pytest.raises(Refused, match="snapshot staged with iteration 0 .* is gone"):
        runner.run(job, project.targets["engine"], RunOptions(iteration=0))


def test_a_failure_cause_reaches_stderr_and_the_ledger_with_known_secrets_masked(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    env = {"KITER_KINESIS_ACCESS_KEY": "AKIAIOSFODNN7EXAMPLE", "KITER_KINESIS_SECRET_KEY": secret}
    job = replace(project.job("connector"), cross_account=True)
    target.answers = [Outcome("FAILED", "s-1", cause=f"Invalid credentials: key {secret} refused")]
    lines: list[str] = []
    runner = make_runner(env=env, lines=lines)
    with pytest.raises(JobFailed, match="Invalid credentials") as caught:
        runner.run(job, project.targets["engine"])
    assert secret not in str(caught.value) and "key **** refused" in str(caught.value)
    record = runner.ledger.get("conn", 0)
    assert record is not None and secret not in record.reason and "****" in record.reason
    assert all(secret not in line for line in lines)


def test_an_error_raised_inside_the_run_is_masked_before_it_is_recorded(
    aws: Aws, project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    env = {"KITER_KINESIS_ACCESS_KEY": "AKIAIOSFODNN7EXAMPLE", "KITER_KINESIS_SECRET_KEY": secret}
    target.answers = [JobFailed(f"statement 9 failed: bad secret {secret}")]
    runner: Runner = make_runner(env=env)
    with pytest.raises(JobFailed, match="statement 9 failed") as caught:
        runner.run(replace(project.job("connector"), cross_account=True), project.targets["engine"])
    assert secret not in str(caught.value)
    record = runner.ledger.get("conn", 0)
    assert record is not None and secret not in record.reason


def test_a_staged_iteration_after_a_missing_one_is_refused_not_read_from_the_start(
    aws: Aws, project: Project, make_runner: MakeRunner, tmp_path: Path
) -> None:
    from kiter.errors import LedgerDamaged

    runner = make_runner()
    put(aws, ["one"])
    runner.run(project.job("top"), project.targets["engine"])
    aws.client("dynamodb").delete_item(
        TableName="MyEMRKinesisTable",
        Key={"HashKey": {"S": "kiter#top"}, "RangeKey": {"S": f"{0:010d}"}},
    )
    put(aws, ["two"])
    with pytest.raises(LedgerDamaged, match="iteration 0 of top is missing"):
        runner.run(project.job("top"), project.targets["engine"])
    assert not (project.root / "staging" / "top" / "iteration=1").exists()


def test_after_a_cross_account_run_on_emr_no_secret_is_left_anywhere(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.emr.models import emr_backends
    from runner_support import start_cluster

    from kiter.targets.emr import EmrTarget

    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    access = "AKIAIOSFODNN7EXAMPLE"
    env = {"KITER_KINESIS_ACCESS_KEY": access, "KITER_KINESIS_SECRET_KEY": secret}
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="scripts")
    emr = aws.client("emr")
    cluster = start_cluster(emr)
    steps = emr_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].clusters[cluster].steps
    lines: list[str] = []

    def sleep(_seconds: float) -> None:
        steps[0].state = "COMPLETED"  # the step ends while it is followed

    target = EmrTarget(
        "emr",
        s3=s3,
        emr=emr,
        cluster_id=cluster,
        script_prefix="s3://scripts/kiter",
        sleep=sleep,
        echo=lines.append,
    )
    runner = make_runner(env=env, lines=lines)
    runner.make_target = lambda _config, _echo: target
    job = replace(project.job("connector"), cross_account=True)
    result = runner.run(job, project.targets["emr"])
    assert result.outcome.state == "SUCCEEDED"

    leftovers = [
        s3.get_object(Bucket="scripts", Key=o["Key"])["Body"].read().decode()
        for o in s3.list_objects_v2(Bucket="scripts")["Contents"]
    ]
    assert len(leftovers) == 1 and "SET kinesis.secretKey=****;" in leftovers[0]
    items = str(aws.client("dynamodb").scan(TableName="MyEMRKinesisTable")["Items"])
    steps_listed = str(emr.list_steps(ClusterId=cluster))
    for place in (*leftovers, items, steps_listed, *lines, result.summary()):
        assert secret not in place and access not in place


def test_a_staged_iteration_of_nothing_says_so(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    lines: list[str] = []
    result = make_runner(lines=lines).run(project.job("top"), project.targets["engine"])
    assert result.read is not None and result.read.total_records == 0
    assert any(
        line.startswith("warning: iteration 0 of top read no records: stream weblogs had nothing")
        for line in lines
    )
    record = make_runner().ledger.get("top", 0)
    assert record is not None and record.state == "SUCCEEDED"  # recorded, as the connector does


@pytest.mark.parametrize("endpoint", [None, "http://kinesis.example:4566", "local"])
def test_an_empty_iteration_suggests_the_local_feeds_only_on_the_local_stack(
    aws: Aws, project: Project, make_runner: MakeRunner, endpoint: str | None
) -> None:
    lines: list[str] = []
    runner = make_runner(lines=lines)
    runner.project = replace(project, aws=replace(project.aws, endpoint_url=endpoint))
    runner.run(project.job("top"), project.targets["engine"])
    (warning,) = [line for line in lines if "read no records" in line]
    assert warning.endswith(
        "(recorded all the same, as the connector does"
        + (
            "; `kiter local traffic` or `kiter local put` feed the local stack)"
            if endpoint == "local"
            else ")"
        )
    )


def test_only_a_later_attempt_looks_for_a_run_an_earlier_one_left_going(
    project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    # The first claim of an iteration: nothing of it can be running (one call less a submit).
    target.answers = [Outcome("FAILED", "hs2:test/1", cause="boom")]
    runner = make_runner()
    with pytest.raises(JobFailed):
        runner.run(project.job("connector"), project.targets["engine"])
    runner.run(project.job("connector"), project.targets["engine"])
    assert target.looked_for == [2]
