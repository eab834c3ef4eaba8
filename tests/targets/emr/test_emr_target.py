"""The EMR steps target against moto S3 + EMR in process (step states driven through moto)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import emr_logsamples as samples
import pytest
from botocore.stub import Stubber
from emr_moto import LOG_BUCKET, SCRIPT_BUCKET, FakeTime, StepDriver

from kiter.errors import ConfigError, Interrupted, ServiceError, UsageError
from kiter.targets.base import Abandoned, Handle, Script, Unwatched
from kiter.targets.emr import EmrTarget
from kiter_support import CallLog, LostLease, interrupt, with_secret

pytestmark = pytest.mark.functional

MakeTarget = Callable[..., EmrTarget]


def only_step(emr: Any, cluster_id: str) -> dict[str, Any]:
    steps = emr.list_steps(ClusterId=cluster_id)["Steps"]
    assert len(steps) == 1
    return dict(steps[0])


# -- start ----------------------------------------------------------------------------------------


def test_hive_script_is_uploaded_encrypted_and_run_with_d_variables(
    make_target: MakeTarget, s3: Any, emr: Any, cluster_id: str, hive_script: Script
) -> None:
    handle = make_target().start(hive_script)

    key = "kiter/scripts/hourly/7/2/hourly_counts.hql"
    obj = s3.get_object(Bucket=SCRIPT_BUCKET, Key=key)
    assert obj["Body"].read().decode() == hive_script.text
    assert obj["ServerSideEncryption"] == "AES256"
    step = only_step(emr, cluster_id)
    assert handle.id == step["Id"]
    assert step["Name"] == "kiter:hourly_counts:hourly:7:2"
    assert step["ActionOnFailure"] == "CONTINUE"
    assert step["Config"]["Jar"] == "command-runner.jar"
    assert step["Config"]["Args"] == [
        "hive-script",
        "--run-hive-script",
        "--args",
        "-f",
        f"s3://{SCRIPT_BUCKET}/{key}",
        "-d",
        "OUTPUT=s3://out/hourly/7",
        "-d",
        "DAY=2024-05-01",
    ]


def test_pig_script_is_uploaded_as_pig_and_run_with_quoted_p_variables(
    make_target: MakeTarget, s3: Any, emr: Any, cluster_id: str, pig_script: Script
) -> None:
    make_target(script_prefix=f"s3://{SCRIPT_BUCKET}").start(pig_script)

    obj = s3.get_object(Bucket=SCRIPT_BUCKET, Key="ips/0/1/top_ips.pig")
    assert obj["ServerSideEncryption"] == "AES256"
    step = only_step(emr, cluster_id)
    assert step["Name"] == "kiter:top_ips:ips:0:1"
    assert step["Config"]["Args"] == [
        "pig-script",
        "--run-pig-script",
        "--args",
        "-f",
        f"s3://{SCRIPT_BUCKET}/ips/0/1/top_ips.pig",
        "-p",
        "OUTPUT='s3://out/ips/0'",
    ]


# A step being cancelled still runs: a new one would overlap it (EMR Serverless's CANCELLING too).
@pytest.mark.parametrize("state", ["PENDING", "RUNNING", "CANCEL_PENDING"])
def test_an_active_step_of_the_same_iteration_is_found_whatever_its_attempt(
    make_target: MakeTarget, steps: StepDriver, hive_script: Script, state: str
) -> None:
    target = make_target()
    first = target.start(hive_script)
    steps.set_state(first.id, state)
    later_attempt = Script(**{**hive_script.__dict__, "attempt": hive_script.attempt + 3})

    assert target.find(later_attempt) == Handle(first.id)
    other_iteration = Script(**{**hive_script.__dict__, "iteration": hive_script.iteration + 1})
    assert target.find(other_iteration) is None


def test_a_finished_step_of_the_same_iteration_is_not_found(
    make_target: MakeTarget, steps: StepDriver, hive_script: Script
) -> None:
    target = make_target()
    first = target.start(hive_script)
    steps.set_state(first.id, "FAILED")

    assert target.find(hive_script) is None


def test_attach_knows_a_recorded_step_of_this_cluster_and_nothing_else(
    make_target: MakeTarget, hive_script: Script
) -> None:
    target = make_target()
    step = target.start(hive_script)

    assert target.attach(step.id) == Handle(step.id)
    assert target.attach("s-NOT-A-STEP") is None
    assert target.attach("hs2:host:10000") is None


def test_a_named_cluster_is_looked_up_before_the_fence_which_the_add_follows_alone(
    make_target: MakeTarget, s3: Any, emr: Any, hive_script: Script
) -> None:
    log = CallLog(s3, emr)

    make_target(cluster_id=None, cluster_name="kiter-test").start(hive_script, log)

    assert log[-2:] == ["fence", "AddJobFlowSteps"]
    assert {"ListClusters", "PutObject"} <= set(log[:-2])


def test_step_arguments_over_emr_limit_are_refused_before_anything_is_uploaded(
    make_target: MakeTarget, s3: Any, hive_script: Script
) -> None:
    big = Script(**{**hive_script.__dict__, "variables": {"BLOB": "x" * 11_000}})

    with pytest.raises(UsageError, match="10240"):
        make_target().start(big)
    assert s3.list_objects_v2(Bucket=SCRIPT_BUCKET).get("KeyCount") == 0


# -- cluster lookup -------------------------------------------------------------------------------


def test_cluster_is_found_by_name_among_live_clusters(
    make_target: MakeTarget, new_cluster: Callable[..., str], emr: Any
) -> None:
    wanted = new_cluster("nightly")
    gone = new_cluster("nightly")
    emr.terminate_job_flows(JobFlowIds=[gone])

    target = make_target(cluster_id=None, cluster_name="nightly")

    assert target.cluster_id == wanted


def test_a_missing_cluster_name_is_a_config_error_naming_the_live_clusters(
    make_target: MakeTarget, cluster_id: str
) -> None:
    target = make_target(cluster_id=None, cluster_name="nightly")

    with pytest.raises(
        ConfigError, match=rf"no RUNNING/WAITING .*'nightly'.*kiter-test \({cluster_id}\)"
    ):
        _ = target.cluster_id


def test_an_ambiguous_cluster_name_is_a_config_error_naming_both_clusters(
    make_target: MakeTarget, new_cluster: Callable[..., str]
) -> None:
    one, two = new_cluster("nightly"), new_cluster("nightly")
    target = make_target(cluster_id=None, cluster_name="nightly")

    with pytest.raises(ConfigError, match="2 RUNNING/WAITING EMR clusters") as caught:
        _ = target.cluster_id
    assert one in str(caught.value) and two in str(caught.value)
    assert "2 RUNNING/WAITING EMR clusters" in str(caught.value)


def test_a_script_prefix_that_is_not_s3_is_a_config_error(make_target: MakeTarget) -> None:
    with pytest.raises(ConfigError, match="s3://bucket/prefix"):
        make_target(script_prefix="/tmp/scripts")


# -- follow -----------------------------------------------------------------------------------------


def test_follow_sees_the_step_to_completed_with_growing_polls_and_no_real_sleep(
    make_target: MakeTarget,
    steps: StepDriver,
    hive_script: Script,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    target = make_target()
    step_id = target.start(hive_script).id
    fake_time.hooks[4] = lambda: steps.set_state(step_id, "COMPLETED")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "SUCCEEDED"
    assert outcome.submission_id == step_id
    assert fake_time.sleeps == [15, 22.5, 30, 30]
    assert any(f"step {step_id}" in line and "RUNNING after 0s" in line for line in echoed)
    assert any("COMPLETED after 1m38s" in line for line in echoed)


def test_start_then_follow_returns_the_final_outcome(
    make_target: MakeTarget,
    steps: StepDriver,
    emr: Any,
    cluster_id: str,
    hive_script: Script,
    fake_time: FakeTime,
) -> None:
    fake_time.hooks[1] = lambda: steps.set_state(only_step(emr, cluster_id)["Id"], "COMPLETED")
    target = make_target()

    outcome = target.follow(target.start(hive_script), Unwatched())

    assert outcome.state == "SUCCEEDED"


def test_a_failed_hive_step_is_explained_from_failure_details_and_its_logs(
    make_target: MakeTarget,
    steps: StepDriver,
    push_logs: Callable[[str, dict[str, str]], None],
    cluster_id: str,
    hive_script: Script,
) -> None:
    target = make_target()
    step_id = target.start(hive_script).id
    steps.set_state(
        step_id,
        "FAILED",
        failure={
            "Reason": "Unknown Error.",
            "Message": "",
            "LogFile": f"s3://{LOG_BUCKET}/emr/{cluster_id}/steps/{step_id}/stderr.gz",
        },
    )
    push_logs(
        step_id,
        {"stderr": samples.HIVE_TABLE_NOT_FOUND_STDERR, "controller": samples.CONTROLLER_EXIT_1},
    )

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "FAILED"
    assert outcome.submission_id == step_id
    lines = outcome.cause.splitlines()
    assert lines[0] == f"step {step_id} (kiter:hourly_counts:hourly:7:2) FAILED"
    assert "Reason: Unknown Error." in lines
    assert f"LogFile: s3://{LOG_BUCKET}/emr/{cluster_id}/steps/{step_id}/stderr.gz" in lines
    assert "  FAILED: SemanticException [Error 10001]: Line 3:14 Table not found 'weblogs'" in lines
    assert "  Step failed with exitCode 1 and took 14 seconds" in lines
    assert "SLF4J" not in outcome.cause


def test_a_failed_pig_step_is_explained_by_grunt_error_and_innermost_exception(
    make_target: MakeTarget,
    steps: StepDriver,
    push_logs: Callable[[str, dict[str, str]], None],
    pig_script: Script,
) -> None:
    target = make_target()
    step_id = target.start(pig_script).id
    steps.set_state(step_id, "FAILED")
    push_logs(step_id, {"stderr": samples.PIG_ITERATOR_STDERR})

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "FAILED"
    assert "  ERROR 1066: Unable to open iterator for alias raw" in outcome.cause.splitlines()
    assert "java.io.IOException: Stream AccessLogStream not found" in outcome.cause
    assert "KinesisStreamLoader.java" not in outcome.cause


def test_logs_pushed_late_are_waited_for_within_the_bound(
    make_target: MakeTarget,
    steps: StepDriver,
    push_logs: Callable[[str, dict[str, str]], None],
    hive_script: Script,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    target = make_target()
    step_id = target.start(hive_script).id
    steps.set_state(step_id, "FAILED")
    fake_time.hooks[3] = lambda: push_logs(step_id, {"stderr": samples.HIVE_TABLE_NOT_FOUND_STDERR})

    outcome = target.follow(Handle(step_id), Unwatched())

    assert "Table not found 'weblogs'" in outcome.cause
    assert fake_time.sleeps == [30, 30, 30]
    assert any(
        line.startswith("waiting up to 600 s for EMR to push step logs to s3://") for line in echoed
    )


def test_logs_never_pushed_give_a_clear_cause_after_the_bounded_wait(
    make_target: MakeTarget,
    steps: StepDriver,
    cluster_id: str,
    hive_script: Script,
    fake_time: FakeTime,
) -> None:
    target = make_target(log_wait_seconds=100)
    step_id = target.start(hive_script).id
    steps.set_state(step_id, "FAILED")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "FAILED"
    url = f"s3://{LOG_BUCKET}/emr/{cluster_id}/steps/{step_id}/"
    assert f"step logs not available after 100 s at {url}" in outcome.cause
    assert sum(fake_time.sleeps) == 100


def test_a_cluster_without_log_uri_says_logs_are_unavailable_without_waiting(
    make_target: MakeTarget,
    new_cluster: Callable[..., str],
    hive_script: Script,
    fake_time: FakeTime,
) -> None:
    bare = new_cluster("no-logs", log_uri=None)
    target = make_target(cluster_id=bare)
    step_id = target.start(hive_script).id
    StepDriver(bare).set_state(step_id, "INTERRUPTED")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "FAILED"
    assert "created without LogUri" in outcome.cause
    assert fake_time.sleeps == []


def test_a_step_cancelled_before_it_started_is_not_waited_on_for_logs(
    make_target: MakeTarget, steps: StepDriver, hive_script: Script, fake_time: FakeTime
) -> None:
    target = make_target()
    step_id = target.start(hive_script).id
    steps.step(step_id).start_date_time = None
    steps.set_state(step_id, "CANCELLED")

    outcome = target.follow(Handle(step_id), Unwatched())

    assert outcome.state == "FAILED"
    assert "CANCELLED" in outcome.cause.splitlines()[0]
    assert fake_time.sleeps == []


def test_explain_fetches_and_extracts_the_cause_again_later(
    make_target: MakeTarget,
    steps: StepDriver,
    push_logs: Callable[[str, dict[str, str]], None],
    pig_script: Script,
) -> None:
    target = make_target()
    step_id = target.start(pig_script).id
    steps.set_state(step_id, "FAILED")
    push_logs(step_id, {"stderr": samples.PIG_PARSE_STDERR})

    later = make_target().explain(step_id)

    assert "ERROR 1000: Error during parsing." in later


def test_explain_of_a_running_step_says_so(make_target: MakeTarget, hive_script: Script) -> None:
    target = make_target()
    step_id = target.start(hive_script).id

    assert target.explain(step_id) == f"step {step_id} is RUNNING"


def test_following_an_unknown_step_is_a_service_error(make_target: MakeTarget) -> None:
    with pytest.raises(ServiceError, match="no step s-NOPE"):
        make_target().follow(Handle("s-NOPE"), Unwatched())


# -- cancel and throttling (Stubber: moto has no cancel_steps and never throttles) ---------------


def describe_answer(step_id: str, state: str) -> dict[str, Any]:
    return {
        "Step": {
            "Id": step_id,
            "Name": "kiter:hourly_counts:hourly:7:2",
            "Status": {"State": state},
        }
    }


def test_ctrl_c_while_following_cancels_the_step_and_raises_interrupted(
    make_target: MakeTarget, emr: Any, cluster_id: str, echoed: list[str]
) -> None:
    target = make_target(sleep=interrupt)
    with Stubber(emr) as stub:
        stub.add_response(
            "describe_step",
            describe_answer("s-1", "RUNNING"),
            {"ClusterId": cluster_id, "StepId": "s-1"},
        )
        stub.add_response(
            "cancel_steps",
            {"CancelStepsInfoList": [{"StepId": "s-1", "Status": "SUBMITTED"}]},
            {
                "ClusterId": cluster_id,
                "StepIds": ["s-1"],
                "StepCancellationOption": "SEND_INTERRUPT",
            },
        )

        with pytest.raises(Interrupted, match="asked EMR to cancel it"):
            target.follow(Handle("s-1"), Unwatched())
        stub.assert_no_pending_responses()
    assert "cancel of step s-1: SUBMITTED" in echoed


def test_a_refused_cancel_is_reported_in_the_interruption(
    make_target: MakeTarget, emr: Any, cluster_id: str
) -> None:
    target = make_target(sleep=interrupt)
    with Stubber(emr) as stub:
        stub.add_response("describe_step", describe_answer("s-1", "PENDING"))
        stub.add_client_error("cancel_steps", "InternalServerError", "try again")

        with pytest.raises(Interrupted, match=r"cancelling it failed .*InternalServerError"):
            target.follow(Handle("s-1"), Unwatched())


def test_throttled_describe_step_is_retried_with_a_longer_backoff(
    make_target: MakeTarget, emr: Any, fake_time: FakeTime, echoed: list[str]
) -> None:
    target = make_target()
    with Stubber(emr) as stub:
        stub.add_response("describe_step", describe_answer("s-1", "RUNNING"))
        stub.add_client_error("describe_step", "ThrottlingException", "Rate exceeded", 400)
        stub.add_client_error("describe_step", "ThrottlingException", "Rate exceeded", 400)
        stub.add_response("describe_step", describe_answer("s-1", "COMPLETED"))

        outcome = target.follow(Handle("s-1"), Unwatched())
        stub.assert_no_pending_responses()

    assert outcome.state == "SUCCEEDED"
    assert fake_time.sleeps == [15, 60, 120]
    assert sum("throttling" in line for line in echoed) == 2


@pytest.mark.parametrize(
    "look",
    [
        pytest.param(lambda target: target.follow(Handle("s-1"), Unwatched()), id="follow"),
        pytest.param(lambda target: target.explain("s-1"), id="explain"),
    ],
)
def test_other_describe_step_errors_become_one_line_service_errors(
    make_target: MakeTarget, emr: Any, look: Callable[[EmrTarget], object]
) -> None:
    target = make_target()
    with Stubber(emr) as stub:
        stub.add_client_error("describe_step", "AccessDeniedException", "not allowed", 400)

        with pytest.raises(
            ServiceError, match="describe step s-1: AccessDeniedException: not allowed"
        ):
            look(target)


def test_an_add_step_error_after_emr_took_the_step_reuses_it_instead_of_adding_again(
    make_target: MakeTarget, emr: Any, cluster_id: str, hive_script: Script, echoed: list[str]
) -> None:
    target = make_target()
    listed = {
        "Steps": [
            {
                "Id": "s-TOOK",
                "Name": "kiter:hourly_counts:hourly:7:2",
                "Status": {"State": "PENDING"},
            }
        ]
    }
    with Stubber(emr) as stub:
        stub.add_client_error("add_job_flow_steps", "InternalServerError", "timed out", 500)
        stub.add_response("list_steps", listed)

        handle = target.start(hive_script)
        stub.assert_no_pending_responses()

    assert handle.id == "s-TOOK"
    assert any("EMR has it as s-TOOK" in line for line in echoed)


def test_an_add_step_error_with_no_step_taken_is_a_service_error(
    make_target: MakeTarget, emr: Any, hive_script: Script
) -> None:
    target = make_target()
    with Stubber(emr) as stub:
        stub.add_client_error("add_job_flow_steps", "ValidationException", "cluster is gone", 400)
        stub.add_response("list_steps", {"Steps": []})

        with pytest.raises(ServiceError, match="ValidationException: cluster is gone"):
            target.start(hive_script)


@pytest.mark.parametrize(
    ("given_id", "given_name"), [(None, None), ("j-1", "nightly")], ids=["neither", "both"]
)
def test_a_target_needs_exactly_one_of_cluster_id_and_cluster_name(
    make_target: MakeTarget, given_id: str | None, given_name: str | None
) -> None:
    with pytest.raises(ConfigError, match="cluster_id"):
        make_target(cluster_id=given_id, cluster_name=given_name)


# -- secrets and leases ---------------------------------------------------------------------------


def test_a_script_with_secrets_runs_from_a_copy_deleted_when_its_step_ends(
    make_target: MakeTarget,
    s3: Any,
    emr: Any,
    cluster_id: str,
    steps: StepDriver,
    hive_script: Script,
) -> None:
    script = with_secret(hive_script)
    target = make_target()
    handle = target.start(script)

    kept = s3.get_object(Bucket=SCRIPT_BUCKET, Key="kiter/scripts/hourly/7/2/hourly_counts.hql")
    assert kept["Body"].read().decode() == script.record_text
    run_key = "kiter/scripts/hourly/7/2/_run/hourly_counts.hql"
    run_copy = s3.get_object(Bucket=SCRIPT_BUCKET, Key=run_key)["Body"].read().decode()
    assert run_copy == script.text
    assert f"s3://{SCRIPT_BUCKET}/{run_key}" in only_step(emr, cluster_id)["Config"]["Args"]

    steps.set_state(handle.id, "COMPLETED")
    assert target.follow(handle, Unwatched()).state == "SUCCEEDED"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=SCRIPT_BUCKET).get("Contents", [])]
    assert keys == ["kiter/scripts/hourly/7/2/hourly_counts.hql"]


def test_a_new_attempt_removes_run_copies_an_earlier_crash_left(
    make_target: MakeTarget, s3: Any, hive_script: Script
) -> None:
    stale = "kiter/scripts/hourly/7/1/_run/hourly_counts.hql"
    s3.put_object(Bucket=SCRIPT_BUCKET, Key=stale, Body=b"SET kinesis.secretKey=old;")
    make_target().start(hive_script)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=SCRIPT_BUCKET)["Contents"]]
    assert stale not in keys


def test_follow_stops_without_cancelling_once_the_lease_is_lost(
    make_target: MakeTarget, emr: Any, cluster_id: str, hive_script: Script
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    with pytest.raises(Abandoned, match="stopped following step") as caught:
        target.follow(handle, LostLease())
    assert caught.value.handle == handle
    assert only_step(emr, cluster_id)["Status"]["State"] in ("PENDING", "RUNNING")
