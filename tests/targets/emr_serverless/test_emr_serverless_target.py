"""The EMR Serverless target against moto S3 + EMR Serverless in process (run states driven
through moto's backend; botocore's Stubber where moto cannot express a case)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import ANY, Stubber
from sls_moto import HIVE_DRIVER_STDERR, LOG_BUCKET, ROLE, SCRIPT_BUCKET, FakeTime, RunDriver

from kiter.errors import ConfigError, Interrupted, ServiceError, UsageError
from kiter.targets.base import Abandoned, Handle, Script, Unwatched
from kiter.targets.emr_serverless import EmrServerlessTarget, submission_id
from kiter_support import CallLog, LostLease, interrupt, with_secret

pytestmark = pytest.mark.functional

MakeTarget = Callable[..., EmrServerlessTarget]
PushLogs = Callable[[str, dict[str, str]], None]


def only_run(sls: Any, application_id: str) -> dict[str, Any]:
    listed = sls.list_job_runs(applicationId=application_id)["jobRuns"]
    assert len(listed) == 1
    return dict(sls.get_job_run(applicationId=application_id, jobRunId=listed[0]["id"])["jobRun"])


def another_attempt(script: Script, attempt: int) -> Script:
    return Script(**{**script.__dict__, "attempt": attempt})


def run_id_of(handle: Handle) -> str:
    return handle.id.rsplit("/", 1)[1]


# -- start ----------------------------------------------------------------------------------------


def test_the_script_is_uploaded_encrypted_and_started_as_a_hive_job_run_with_hivevars(
    make_target: MakeTarget, s3: Any, sls: Any, application_id: str, hive_script: Script
) -> None:
    handle = make_target().start(hive_script)

    key = "kiter/scripts/hourly/7/2/hourly_counts.hql"
    obj = s3.get_object(Bucket=SCRIPT_BUCKET, Key=key)
    assert obj["Body"].read().decode() == hive_script.text
    assert obj["ServerSideEncryption"] == "AES256"
    run = only_run(sls, application_id)
    assert handle.id == f"emr-serverless:{application_id}/{run['jobRunId']}"
    assert run["name"] == "kiter:hourly_counts:hourly:7:2"
    assert run["executionRole"] == ROLE
    assert run["jobDriver"]["hive"] == {
        "query": f"s3://{SCRIPT_BUCKET}/{key}",
        "parameters": "--hivevar OUTPUT=s3://out/hourly/7 --hivevar DAY=2024-05-01",
    }
    assert run["configurationOverrides"] == {
        "monitoringConfiguration": {
            "s3MonitoringConfiguration": {"logUri": f"s3://{LOG_BUCKET}/hive-logs/"}
        }
    }


def test_hive_site_configuration_extra_parameters_and_timeout_go_into_the_request(
    make_target: MakeTarget, hive_script: Script
) -> None:
    target = make_target(
        configuration={"hive.tez.container.size": "4096"},
        parameters="--hiveconf hive.exec.scratchdir=s3://b/scratch  --hivevar ENV=prod",
        execution_timeout_minutes=90,
    )

    request = target.job_run_request(hive_script)

    assert request["executionTimeoutMinutes"] == 90
    assert request["configurationOverrides"]["applicationConfiguration"] == [
        {"classification": "hive-site", "properties": {"hive.tez.container.size": "4096"}}
    ]
    assert request["jobDriver"]["hive"]["parameters"] == (
        "--hiveconf hive.exec.scratchdir=s3://b/scratch --hivevar ENV=prod "
        "--hivevar OUTPUT=s3://out/hourly/7 --hivevar DAY=2024-05-01"
    )


def test_the_client_token_is_the_same_for_an_attempt_and_new_for_the_next(
    make_target: MakeTarget, hive_script: Script
) -> None:
    one, again = make_target(), make_target()
    token = one.client_token(hive_script)

    assert again.client_token(hive_script) == token
    assert one.client_token(another_attempt(hive_script, 3)) != token
    other_iteration = Script(**{**hive_script.__dict__, "iteration": 8})
    assert one.client_token(other_iteration) != token
    assert len(token) <= 64 and token.replace("-", "").isalnum()


def test_a_retried_start_after_a_timeout_returns_the_run_the_first_call_started(
    make_target: MakeTarget, sls: Any, application_id: str, hive_script: Script, echoed: list[str]
) -> None:
    calls: list[str] = []

    def time_out_once(**_kwargs: Any) -> None:
        calls.append("StartJobRun")
        if len(calls) == 1:  # EMR Serverless took the run; the answer never came back
            raise ReadTimeoutError(endpoint_url="https://emr-serverless.us-east-1.amazonaws.com")

    sls.meta.events.register("after-call.emr-serverless.StartJobRun", time_out_once)

    handle = make_target().start(hive_script)

    run = only_run(sls, application_id)  # one run: the retry did not start a second
    assert handle.id == submission_id(application_id, run["jobRunId"])
    assert calls == ["StartJobRun"]
    assert any("reported an error, but it is" in line for line in echoed)


def test_a_retried_start_after_a_server_error_sends_the_same_client_token(
    make_target: MakeTarget, sls: Any, application_id: str, hive_script: Script
) -> None:
    target = make_target(application_id="00app")
    expected = {
        **target.job_run_request(hive_script),
        "clientToken": target.client_token(hive_script),
    }
    with Stubber(sls) as stub:
        stub.add_response("get_application", {"application": _app("STARTED")})
        stub.add_client_error("start_job_run", "InternalServerException", "try again", 500)
        stub.add_response("list_job_runs", {"jobRuns": []}, {"applicationId": "00app"})
        stub.add_response(
            "start_job_run",
            {"applicationId": "00app", "jobRunId": "00run", "arn": _run("RUNNING")["arn"]},
            expected,
        )

        handle = target.start(hive_script)
        stub.assert_no_pending_responses()

    assert handle.id == "emr-serverless:00app/00run"


def test_every_start_try_is_fenced_after_the_upload_and_right_before_start_job_run(
    make_target: MakeTarget, s3: Any, sls: Any, hive_script: Script
) -> None:
    target = make_target(application_id="00app")
    log = CallLog(s3, sls)
    with Stubber(sls) as stub:
        stub.add_response("get_application", {"application": _app("STARTED")})
        stub.add_client_error("start_job_run", "InternalServerException", "try again", 500)
        stub.add_response("list_job_runs", {"jobRuns": []})
        stub.add_response(
            "start_job_run",
            {"applicationId": "00app", "jobRunId": "00run", "arn": _run("RUNNING")["arn"]},
        )

        target.start(hive_script, log)

    first = log.index("fence")
    assert log[first:] == ["fence", "StartJobRun", "ListJobRuns", "fence", "StartJobRun"]
    assert {"GetApplication", "PutObject"} <= set(log[:first])


def test_a_refused_start_is_a_service_error_without_a_second_try(
    make_target: MakeTarget, sls: Any, hive_script: Script
) -> None:
    target = make_target(application_id="00app")
    with Stubber(sls) as stub:
        stub.add_response("get_application", {"application": _app("STARTED")})
        stub.add_client_error("start_job_run", "ValidationException", "bad role", 400)
        stub.add_response("list_job_runs", {"jobRuns": []})

        with pytest.raises(ServiceError, match="start job run .*ValidationException: bad role"):
            target.start(hive_script)
        stub.assert_no_pending_responses()


def test_a_variable_holding_white_space_is_refused_before_anything_is_uploaded(
    make_target: MakeTarget, s3: Any, hive_script: Script
) -> None:
    spaced = Script(**{**hive_script.__dict__, "variables": {"TITLE": "top errors"}})

    with pytest.raises(UsageError, match="TITLE holds white space"):
        make_target().start(spaced)
    assert s3.list_objects_v2(Bucket=SCRIPT_BUCKET).get("KeyCount") == 0


def test_extra_parameters_other_than_hiveconf_and_hivevar_are_a_config_error(
    make_target: MakeTarget,
) -> None:
    with pytest.raises(ConfigError, match="not '--conf'"):
        make_target(parameters="--hiveconf a=b --conf spark.x=1")


def test_a_log_uri_that_is_not_s3_is_a_config_error(make_target: MakeTarget) -> None:
    with pytest.raises(ConfigError, match="log_uri must look like s3://bucket/prefix"):
        make_target(log_uri="/var/log/hive")


# -- the application ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["STOPPED", "CREATED"])
def test_a_stopped_or_created_application_is_started_and_shown_as_progress(
    make_target: MakeTarget,
    sls: Any,
    application_id: str,
    hive_script: Script,
    echoed: list[str],
    state: str,
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.emrserverless.models import emrserverless_backends

    emrserverless_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].applications[
        application_id
    ].state = state

    make_target().start(hive_script)

    assert sls.get_application(applicationId=application_id)["application"]["state"] == "STARTED"
    assert f"application {application_id} was {state}: starting it" in echoed
    assert f"application {application_id} STARTED" in echoed


def test_an_application_still_starting_is_waited_for_within_the_bound(
    make_target: MakeTarget, sls: Any, hive_script: Script, fake_time: FakeTime
) -> None:
    target = make_target(application_id="00app", start_wait_seconds=60)
    with Stubber(sls) as stub:
        for _ in range(4):
            stub.add_response("get_application", {"application": _app("STARTING")})

        with pytest.raises(ServiceError, match="application 00app is still STARTING after 60 s"):
            target.start(hive_script)
    assert fake_time.sleeps == [15, 22.5, 30]


def test_the_application_is_found_by_name_among_live_applications(
    make_target: MakeTarget, new_application: Callable[..., str], sls: Any
) -> None:
    wanted = new_application("nightly")
    gone = new_application("nightly")
    sls.stop_application(applicationId=gone)
    sls.delete_application(applicationId=gone)

    target = make_target(application_id=None, application_name="nightly")

    assert target.application_id == wanted


def test_a_missing_application_name_is_a_config_error_naming_the_live_ones(
    make_target: MakeTarget, application_id: str
) -> None:
    target = make_target(application_id=None, application_name="nightly")

    with pytest.raises(
        ConfigError, match=rf"no EMR Serverless .*'nightly'.*kiter-hive \({application_id}\)"
    ):
        _ = target.application_id


def test_an_ambiguous_application_name_is_a_config_error_naming_both(
    make_target: MakeTarget, new_application: Callable[..., str]
) -> None:
    one, two = new_application("nightly"), new_application("nightly")
    target = make_target(application_id=None, application_name="nightly")

    with pytest.raises(ConfigError, match="2 EMR Serverless applications are named") as caught:
        _ = target.application_id
    assert one in str(caught.value) and two in str(caught.value)


def test_a_spark_application_is_a_config_error_naming_its_type(
    make_target: MakeTarget, new_application: Callable[..., str], hive_script: Script
) -> None:
    spark = new_application("spark-app", kind="SPARK")

    with pytest.raises(ConfigError, match="of type SPARK: Hive scripts need a HIVE application"):
        make_target(application_id=spark).start(hive_script)


@pytest.mark.parametrize(("given_id", "given_name"), [(None, None), ("00app", "nightly")])
def test_a_target_needs_exactly_one_of_application_id_and_application_name(
    make_target: MakeTarget, given_id: str | None, given_name: str | None
) -> None:
    with pytest.raises(ConfigError, match="application_id or application_name"):
        make_target(application_id=given_id, application_name=given_name)


# -- find and attach ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state", ["SUBMITTED", "PENDING", "SCHEDULED", "QUEUED", "RUNNING", "CANCELLING"]
)
def test_an_active_run_of_the_same_iteration_is_found_whatever_its_attempt(
    make_target: MakeTarget, runs: RunDriver, hive_script: Script, state: str
) -> None:
    target = make_target()
    first = target.start(hive_script)
    runs.set_state(run_id_of(first), state)

    assert target.find(another_attempt(hive_script, 5)) == first
    other_iteration = Script(**{**hive_script.__dict__, "iteration": 8})
    assert target.find(other_iteration) is None


@pytest.mark.parametrize("state", ["SUCCESS", "FAILED", "CANCELLED"])
def test_a_finished_run_of_the_same_iteration_is_not_found(
    make_target: MakeTarget, runs: RunDriver, hive_script: Script, state: str
) -> None:
    target = make_target()
    first = target.start(hive_script)
    runs.set_state(run_id_of(first), state)

    assert target.find(hive_script) is None


def test_an_application_without_runs_has_nothing_to_find(
    make_target: MakeTarget, hive_script: Script
) -> None:
    assert make_target().find(hive_script) is None


def test_attach_knows_a_recorded_run_of_this_application_and_nothing_else(
    make_target: MakeTarget, new_application: Callable[..., str], hive_script: Script
) -> None:
    target = make_target()
    handle = target.start(hive_script)

    assert target.attach(handle.id) == handle
    assert target.attach(submission_id(target.application_id, "00nosuchrun")) is None
    assert target.attach(submission_id(new_application("other"), run_id_of(handle))) is None
    assert target.attach("s-2AXXXXXXGAPLF") is None


# -- follow ---------------------------------------------------------------------------------------


def test_follow_waits_through_every_state_including_queued_and_says_how_long_each_took(
    make_target: MakeTarget,
    runs: RunDriver,
    hive_script: Script,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    run_id = run_id_of(handle)
    runs.set_state(run_id, "SUBMITTED", started=False)
    for n, state in enumerate(["PENDING", "SCHEDULED", "QUEUED", "RUNNING", "SUCCESS"], 1):
        fake_time.hooks[n] = lambda state=state: runs.set_state(run_id, state)

    outcome = target.follow(handle, Unwatched())

    assert (outcome.state, outcome.submission_id) == ("SUCCEEDED", handle.id)
    assert fake_time.sleeps == [15, 22.5, 30, 30, 30]
    name = "kiter:hourly_counts:hourly:7:2"
    assert f"job run {run_id} ({name}) SUBMITTED" in echoed
    assert f"job run {run_id} ({name}) QUEUED after 30s SCHEDULED" in echoed
    assert f"job run {run_id} ({name}) SUCCESS after 30s RUNNING" in echoed


def test_a_long_state_is_reported_with_the_time_spent_in_it(
    make_target: MakeTarget,
    runs: RunDriver,
    hive_script: Script,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "QUEUED")
    fake_time.hooks[12] = lambda: runs.set_state(run_id_of(handle), "SUCCESS")

    target.follow(handle, Unwatched())

    assert f"job run {run_id_of(handle)} still QUEUED, 5m08s in it" in echoed


def test_a_state_kiter_does_not_know_is_waited_on_not_an_error(
    make_target: MakeTarget,
    runs: RunDriver,
    hive_script: Script,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "PREEMPTED")
    fake_time.hooks[2] = lambda: runs.set_state(run_id_of(handle), "SUCCESS")

    assert target.follow(handle, Unwatched()).state == "SUCCEEDED"
    assert any("PREEMPTED (a state kiter does not know: waiting)" in line for line in echoed)


def test_a_failed_run_is_explained_by_state_details_and_the_hive_driver_logs(
    make_target: MakeTarget,
    runs: RunDriver,
    push_driver_logs: PushLogs,
    application_id: str,
    hive_script: Script,
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    run_id = run_id_of(handle)
    runs.set_state(
        run_id,
        "FAILED",
        details="Job failed, please check complete logs in configured logging destination. ExitCode: 2.",
    )
    push_driver_logs(run_id, {"stderr": HIVE_DRIVER_STDERR, "stdout": "OK\n"})

    outcome = target.follow(handle, Unwatched())

    assert (outcome.state, outcome.submission_id) == ("FAILED", handle.id)
    lines = outcome.cause.splitlines()
    assert lines[0] == f"job run {run_id} (kiter:hourly_counts:hourly:7:2) FAILED"
    assert lines[1].startswith("stateDetails: Job failed, please check complete logs")
    assert (
        "  FAILED: SemanticException [Error 10001]: Line 4:16 Table not found 'staged_weblogs'"
        in lines
    )
    url = f"s3://{LOG_BUCKET}/hive-logs/applications/{application_id}/jobs/{run_id}/HIVE_DRIVER/"
    assert lines[-1] == f"logs: {url}"
    assert "SLF4J" not in outcome.cause


def test_driver_logs_pushed_late_are_waited_for_within_the_bound(
    make_target: MakeTarget,
    runs: RunDriver,
    push_driver_logs: PushLogs,
    hive_script: Script,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "FAILED")
    fake_time.hooks[2] = lambda: push_driver_logs(run_id_of(handle), {"stderr": HIVE_DRIVER_STDERR})

    outcome = target.follow(handle, Unwatched())

    assert "Table not found 'staged_weblogs'" in outcome.cause
    assert fake_time.sleeps == [30, 30]
    assert any(
        line.startswith("waiting up to 600 s for EMR to push Hive driver logs") for line in echoed
    )


def test_driver_logs_never_pushed_give_a_clear_cause_after_the_bounded_wait(
    make_target: MakeTarget,
    runs: RunDriver,
    application_id: str,
    hive_script: Script,
    fake_time: FakeTime,
) -> None:
    target = make_target(log_wait_seconds=100)
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "FAILED")

    outcome = target.follow(handle, Unwatched())

    url = f"s3://{LOG_BUCKET}/hive-logs/applications/{application_id}/jobs/{run_id_of(handle)}/HIVE_DRIVER/"
    assert f"Hive driver logs not available after 100 s at {url}" in outcome.cause
    assert sum(fake_time.sleeps) == 100


def test_a_run_cancelled_before_it_ran_is_not_waited_on_for_logs(
    make_target: MakeTarget, runs: RunDriver, hive_script: Script, fake_time: FakeTime
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "CANCELLED", started=False)

    outcome = target.follow(handle, Unwatched())

    assert outcome.state == "FAILED"
    assert "CANCELLED" in outcome.cause.splitlines()[0]
    assert "Hive driver logs not (yet) at s3://" in outcome.cause
    assert fake_time.sleeps == []


def test_explain_fetches_the_cause_again_later_and_says_when_a_run_did_not_fail(
    make_target: MakeTarget, runs: RunDriver, push_driver_logs: PushLogs, hive_script: Script
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "RUNNING")
    assert make_target().explain(handle.id) == f"job run {run_id_of(handle)} is RUNNING"

    runs.set_state(run_id_of(handle), "FAILED")
    push_driver_logs(run_id_of(handle), {"stderr": HIVE_DRIVER_STDERR})
    assert "Table not found 'staged_weblogs'" in make_target().explain(handle.id)


def test_following_an_unknown_run_is_a_service_error(
    make_target: MakeTarget, application_id: str, hive_script: Script
) -> None:
    target = make_target()
    target.start(hive_script)
    with pytest.raises(ServiceError, match="knows no job run 00nope"):
        target.follow(Handle(submission_id(application_id, "00nope")), Unwatched())


def test_follow_stops_without_cancelling_once_the_lease_is_lost(
    make_target: MakeTarget, runs: RunDriver, sls: Any, application_id: str, hive_script: Script
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "RUNNING")

    with pytest.raises(Abandoned, match="stopped following job run") as caught:
        target.follow(handle, LostLease())
    assert caught.value.handle == handle
    assert only_run(sls, application_id)["state"] == "RUNNING"


# -- cancel and throttling ------------------------------------------------------------------------


def test_ctrl_c_while_following_cancels_the_run_and_raises_interrupted(
    make_target: MakeTarget,
    runs: RunDriver,
    sls: Any,
    application_id: str,
    hive_script: Script,
    fake_time: FakeTime,
    echoed: list[str],
) -> None:
    target = make_target()
    handle = target.start(hive_script)
    runs.set_state(run_id_of(handle), "RUNNING")
    fake_time.hooks[1] = interrupt

    with pytest.raises(Interrupted, match="asked EMR Serverless to cancel it"):
        target.follow(handle, Unwatched())
    assert only_run(sls, application_id)["state"] == "CANCELLED"  # moto cancels at once
    assert f"cancel of job run {run_id_of(handle)}: requested" in echoed


def test_a_refused_cancel_is_reported_in_the_interruption(
    make_target: MakeTarget, sls: Any
) -> None:
    target = make_target(sleep=interrupt)
    with Stubber(sls) as stub:
        stub.add_response("get_job_run", {"jobRun": _run("RUNNING")})
        stub.add_client_error("cancel_job_run", "InternalServerException", "try again", 500)

        with pytest.raises(Interrupted, match=r"cancelling it failed .*InternalServerException"):
            target.follow(Handle("emr-serverless:00app/00run"), Unwatched())


def test_throttled_get_job_run_is_retried_with_a_longer_backoff(
    make_target: MakeTarget, sls: Any, fake_time: FakeTime, echoed: list[str]
) -> None:
    target = make_target()
    with Stubber(sls) as stub:
        stub.add_response(
            "get_job_run",
            {"jobRun": _run("QUEUED")},
            {"applicationId": "00app", "jobRunId": "00run"},
        )
        stub.add_client_error("get_job_run", "ThrottlingException", "Rate exceeded", 400)
        stub.add_client_error("get_job_run", "ThrottlingException", "Rate exceeded", 400)
        stub.add_response(
            "get_job_run", {"jobRun": _run("SUCCESS")}, {"applicationId": ANY, "jobRunId": ANY}
        )

        outcome = target.follow(Handle("emr-serverless:00app/00run"), Unwatched())
        stub.assert_no_pending_responses()

    assert outcome.state == "SUCCEEDED"
    assert fake_time.sleeps == [15, 60, 120]
    assert sum("throttling GetJobRun" in line for line in echoed) == 2


def test_other_get_job_run_errors_become_one_line_service_errors(
    make_target: MakeTarget, sls: Any
) -> None:
    with Stubber(sls) as stub:
        stub.add_client_error("get_job_run", "AccessDeniedException", "not allowed", 403)

        with pytest.raises(
            ServiceError, match="get job run 00run: AccessDeniedException: not allowed"
        ):
            make_target().follow(Handle("emr-serverless:00app/00run"), Unwatched())


# -- secrets --------------------------------------------------------------------------------------


def test_a_script_with_secrets_runs_from_a_copy_deleted_when_its_run_ends(
    make_target: MakeTarget, s3: Any, runs: RunDriver, hive_script: Script
) -> None:
    script = with_secret(hive_script)
    target = make_target()
    handle = target.start(script)
    run_key = "kiter/scripts/hourly/7/2/_run/hourly_counts.hql"
    assert s3.get_object(Bucket=SCRIPT_BUCKET, Key=run_key)["Body"].read().decode() == script.text

    assert target.follow(handle, Unwatched()).state == "SUCCEEDED"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=SCRIPT_BUCKET).get("Contents", [])]
    assert keys == ["kiter/scripts/hourly/7/2/hourly_counts.hql"]


def _app(state: str) -> dict[str, Any]:
    return {
        "applicationId": "00app",
        "name": "kiter-hive",
        "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00app",
        "releaseLabel": "emr-7.1.0",
        "type": "HIVE",
        "state": state,
        "createdAt": "2024-05-01T00:00:00Z",
        "updatedAt": "2024-05-01T00:00:00Z",
    }


def _run(state: str) -> dict[str, Any]:
    return {
        "applicationId": "00app",
        "jobRunId": "00run",
        "name": "kiter:hourly_counts:hourly:7:2",
        "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00app/jobruns/00run",
        "createdBy": "arn:aws:iam::123456789012:user/kiter",
        "createdAt": "2024-05-01T00:00:00Z",
        "updatedAt": "2024-05-01T00:00:00Z",
        "executionRole": ROLE,
        "state": state,
        "stateDetails": f"the job run is {state}",
        "releaseLabel": "emr-7.1.0",
        "jobDriver": {"hive": {"query": f"s3://{SCRIPT_BUCKET}/kiter/scripts/x.hql"}},
    }
