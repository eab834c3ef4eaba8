"""Alerts: a command's environment, its failures that change nothing, an SNS topic on moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.alerts import Alerts, SnsTopic
from kiter.errors import Interrupted, IterationBusy, JobFailed, ServiceError, UsageError
from kiter.watch import AttemptReport

LOGICAL = {"top_errors": "top"}


def report(**changes: Any) -> AttemptReport:
    values: dict[str, Any] = {
        "job": "top_errors",
        "logical_name": "top",
        "iteration": 4,
        "attempt": 3,
        "target": "engine",
        "state": "FAILED",
        "cause": "FAILED: SemanticException [Error 10001]: Table not found 'weblogs'",
        "started": 1_700_000_000.0,
        "ended": 1_700_000_030.0,
    }
    return AttemptReport(**(values | changes))


def environment_of(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_a_failure_hook_gets_the_outcome_in_its_environment_and_no_secret(tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    env = {"PATH": "/usr/bin:/bin", "KITER_KINESIS_SECRET_KEY": "s3cr3t-value"}
    alerts = Alerts(LOGICAL, on_failure=f"env > {out}", env=env)
    alerts.attempt_ended(report())

    alerts.final("top_errors", JobFailed("iteration 4 of top failed on engine"))

    seen = environment_of(out)
    assert {k: v for k, v in seen.items() if k.startswith("KITER_")} == {
        "KITER_JOB": "top_errors",
        "KITER_LOGICAL_NAME": "top",
        "KITER_ITERATION": "4",
        "KITER_ATTEMPT": "3",
        "KITER_STATE": "FAILED",
        "KITER_CAUSE": "FAILED: SemanticException [Error 10001]: Table not found 'weblogs'",
    }
    assert "s3cr3t-value" not in out.read_text()


def test_a_success_runs_the_success_hook_only(tmp_path: Path) -> None:
    said: list[str] = []
    alerts = Alerts(
        LOGICAL,
        on_success='echo "ok $KITER_JOB $KITER_ITERATION $KITER_STATE"',
        on_failure=f"touch {tmp_path / 'failed'}",
        say=said.append,
    )
    alerts.attempt_ended(report(state="SUCCEEDED", cause=""))
    alerts.final("top_errors", None)
    assert said == ["--on-success: ok top_errors 4 SUCCEEDED"]
    assert not (tmp_path / "failed").exists()


@pytest.mark.parametrize(
    "error",
    [Interrupted("interrupted"), IterationBusy("iteration 4 of top is running on h (pid 1)")],
)
def test_an_interruption_or_another_holder_is_no_final_outcome(
    tmp_path: Path, error: BaseException
) -> None:
    alerts = Alerts(LOGICAL, on_failure=f"touch {tmp_path / 'fired'}")
    alerts.attempt_ended(report(state="INTERRUPTED"))
    alerts.final("top_errors", error)
    assert not (tmp_path / "fired").exists()


def test_a_no_wait_submission_has_no_final_outcome_yet(tmp_path: Path) -> None:
    alerts = Alerts(LOGICAL, on_success=f"touch {tmp_path / 'fired'}")
    alerts.attempt_ended(report(state="SUBMITTED", cause=""))
    alerts.final("top_errors", None)
    assert not (tmp_path / "fired").exists()


def test_a_failure_before_any_claim_names_no_iteration(tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    alerts = Alerts(LOGICAL, on_failure=f"env > {out}")
    alerts.attempt_ended(report(state="SUCCEEDED", cause=""))
    alerts.final("top_errors", None)  # that success was told once: it is not the failure's

    alerts.final("top_errors", ServiceError("DynamoDB GetItem: endpoint unreachable"))

    seen = environment_of(out)
    assert (seen["KITER_ITERATION"], seen["KITER_ATTEMPT"], seen["KITER_STATE"]) == (
        "",
        "",
        "FAILED",
    )
    assert seen["KITER_CAUSE"] == "DynamoDB GetItem: endpoint unreachable"


def test_a_failing_hook_is_reported_and_changes_nothing() -> None:
    warnings: list[str] = []
    alerts = Alerts(LOGICAL, on_failure="echo paging is down >&2; exit 3", warn=warnings.append)
    alerts.attempt_ended(report())
    alerts.final("top_errors", JobFailed("failed"))  # no exception: kiter's outcome stands
    assert warnings == [
        "--on-failure command exited 3; kiter's outcome stands",
        "--on-failure: paging is down",
    ]


def test_a_hook_past_its_timeout_is_killed_with_its_children() -> None:
    warnings: list[str] = []
    alerts = Alerts(LOGICAL, on_failure="sleep 30; echo late", warn=warnings.append, timeout=0.2)
    alerts.attempt_ended(report())
    alerts.final("top_errors", JobFailed("failed"))
    assert warnings == [
        "--on-failure command timed out after 0.2s and was killed; kiter's outcome stands"
    ]


@pytest.mark.parametrize(
    "value", ["arn:aws:sns:us-east-1:123456789012:t", "sns:arn:aws:sqs:us-east-1:1:q", "sns:t"]
)
def test_notify_takes_an_sns_topic_arn_only(value: str) -> None:
    with pytest.raises(UsageError, match="give sns:ARN"):
        SnsTopic.parse(value, lambda region: None)


@pytest.mark.functional
def test_a_final_failure_is_published_to_the_sns_topic_once(in_process_moto: None) -> None:
    sns = boto3.client("sns", region_name="eu-west-1")
    sqs = boto3.client("sqs", region_name="eu-west-1")
    topic = sns.create_topic(Name="kiter-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="pager")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    regions: list[str] = []

    def client(region: str) -> Any:
        regions.append(region)
        return boto3.client("sns", region_name=region)

    alerts = Alerts(LOGICAL, notify=SnsTopic.parse(f"sns:{topic}", client))
    alerts.attempt_ended(report(state="SUCCEEDED", cause=""))
    alerts.final("top_errors", None)  # a success publishes nothing
    alerts.attempt_ended(report())
    alerts.final("top_errors", JobFailed("failed"))

    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    [envelope] = [json.loads(m["Body"]) for m in messages]
    assert envelope["Subject"] == "kiter: top_errors iteration 4 FAILED"
    assert "KITER_ATTEMPT=3" in envelope["Message"]
    assert "Table not found 'weblogs'" in envelope["Message"]
    assert envelope["MessageAttributes"]["state"]["Value"] == "FAILED"
    assert regions == ["eu-west-1"]  # the topic's region, whatever kiter's


@pytest.mark.functional
def test_a_publish_refused_is_a_warning_not_an_error(in_process_moto: None) -> None:
    warnings: list[str] = []
    missing = "sns:arn:aws:sns:us-east-1:123456789012:nowhere"
    topic = SnsTopic.parse(missing, lambda region: boto3.client("sns", region_name=region))
    alerts = Alerts(LOGICAL, notify=topic, warn=warnings.append)
    alerts.attempt_ended(report())
    alerts.final("top_errors", JobFailed("failed"))
    assert len(warnings) == 1
    assert warnings[0].startswith(f"--notify: could not publish to {missing[4:]}: SNS Publish")
