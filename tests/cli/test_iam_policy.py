"""`kiter iam-policy`: the account checked, the scaffold's placeholders said, EMR step logs read
where the cluster pushes them (asked of EMR on moto in process, or given with --log-uri)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter_support import start_cluster
from sample_projects import MINIMAL, WriteProject, run

ACCOUNT = "123456789012"
EMR_TARGET = """\
[targets.emr]
kind = "emr"
{cluster}
script_prefix = "s3://scripts/kiter"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "emr"
"""


def policy_of(out: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(out)["Statement"]}


@pytest.mark.parametrize("account", ["abc", "12345", "1234567890123", "12345678901a"])
def test_an_account_that_is_not_twelve_digits_exits_2_naming_the_flag(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], account: str
) -> None:
    path = write_project(MINIMAL)

    code, out, err = run(["-C", str(path.parent), "iam-policy", "--account", account], capsys)

    assert (code, out) == (2, "")
    assert err == (
        f"kiter: error: --account {account!r} is not an AWS account id: give its 12 digits "
        "(e.g. 123456789012)\n"
    )


def test_the_scaffolds_placeholders_are_printed_with_a_warning_for_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], in_process_moto: None
) -> None:
    assert run(["init", str(tmp_path)], capsys)[0] == 0

    code, out, err = run(["-C", str(tmp_path), "iam-policy", "--account", ACCOUNT], capsys)

    assert code == 0, err
    arn = f"arn:aws:elasticmapreduce:us-east-1:{ACCOUNT}:cluster/j-XXXXXXXXXXXXX"
    assert policy_of(out)["KiterEmrSteps"]["Resource"] == [arn]
    assert err.splitlines() == [
        "warning: targets.emr.cluster_id is still the scaffold's placeholder "
        "'j-XXXXXXXXXXXXX': the policy names it as it is; edit kiter.toml and print the policy "
        "again",
        "warning: targets.emr.script_prefix is still the scaffold's placeholder "
        "'s3://my-bucket/kiter/scripts': the policy names it as it is; edit kiter.toml and print "
        "the policy again",
    ]


def test_step_logs_are_readable_under_the_clusters_log_uri_only(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], in_process_moto: None
) -> None:
    cluster = start_cluster(boto3.client("emr"), log_uri="s3n://emr-logs/kiter/")
    path = write_project(EMR_TARGET.format(cluster=f'cluster_id = "{cluster}"'))

    code, out, err = run(["-C", str(path.parent), "iam-policy", "--account", ACCOUNT], capsys)

    assert code == 0 and err == ""
    by_sid = policy_of(out)
    assert by_sid["KiterS3ReadLogs"]["Resource"] == [
        f"arn:aws:s3:::emr-logs/kiter/{cluster}/steps/*"
    ]
    [listing] = [s for s in by_sid.values() if s["Resource"] == "arn:aws:s3:::emr-logs"]
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [
        f"kiter/{cluster}/steps",
        f"kiter/{cluster}/steps/*",
    ]
    assert "KiterEmrLookup" not in by_sid


def test_a_cluster_found_by_name_adds_list_clusters_and_the_logs_of_any_cluster_there(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], in_process_moto: None
) -> None:
    start_cluster(boto3.client("emr"), "analytics", log_uri="s3://emr-logs/")
    path = write_project(EMR_TARGET.format(cluster='cluster_name = "analytics"'))

    code, out, err = run(["-C", str(path.parent), "iam-policy"], capsys)

    assert code == 0 and err == ""
    by_sid = policy_of(out)
    assert by_sid["KiterEmrLookup"] == {
        "Sid": "KiterEmrLookup",
        "Effect": "Allow",
        "Action": ["elasticmapreduce:ListClusters"],
        "Resource": "*",
    }
    assert by_sid["KiterEmrSteps"]["Resource"] == ["arn:aws:elasticmapreduce:us-east-1:*:cluster/*"]
    assert by_sid["KiterS3ReadLogs"]["Resource"] == ["arn:aws:s3:::emr-logs/j-*/steps/*"]


def test_log_uri_gives_the_logs_without_asking_emr(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(EMR_TARGET.format(cluster='cluster_id = "j-2AXXXXXXGAPLF"'))

    code, out, err = run(
        ["-C", str(path.parent), "iam-policy", "--log-uri", "s3://emr-logs/prod"], capsys
    )

    assert code == 0 and err == ""
    assert policy_of(out)["KiterS3ReadLogs"]["Resource"] == [
        "arn:aws:s3:::emr-logs/prod/j-2AXXXXXXGAPLF/steps/*"
    ]


def test_a_log_uri_that_is_not_s3_exits_2_naming_the_flag(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(EMR_TARGET.format(cluster='cluster_id = "j-2AXXXXXXGAPLF"'))

    code, out, err = run(["-C", str(path.parent), "iam-policy", "--log-uri", "/var/log"], capsys)

    assert (code, out) == (2, "")
    assert err == "kiter: error: --log-uri '/var/log' is not an s3://bucket/prefix URL\n"


def test_a_cluster_emr_does_not_know_is_warned_about_and_its_logs_left_out(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], in_process_moto: None
) -> None:
    path = write_project(EMR_TARGET.format(cluster='cluster_id = "j-2AXXXXXXGAPLF"'))

    code, out, err = run(["-C", str(path.parent), "iam-policy"], capsys)

    assert code == 0
    assert "KiterS3ReadLogs" not in policy_of(out)
    assert err.startswith(
        "warning: targets.emr: the policy grants no read of step logs: the LogUri of cluster "
        "j-2AXXXXXXGAPLF is unknown ("
    )
    assert err.endswith("); --log-uri gives it\n") and err.count("\n") == 1


def test_a_cluster_without_log_uri_needs_no_log_reads(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], in_process_moto: None
) -> None:
    cluster = start_cluster(boto3.client("emr"), log_uri=None)
    path = write_project(EMR_TARGET.format(cluster=f'cluster_id = "{cluster}"'))

    code, out, err = run(["-C", str(path.parent), "iam-policy"], capsys)

    assert code == 0
    assert "KiterS3ReadLogs" not in policy_of(out)
    assert err == (
        f"cluster {cluster} was created without LogUri: its steps leave no logs to read\n"
    )


def test_a_streaming_job_on_emr_may_replace_its_output_and_read_its_tasks_logs(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    streaming = (
        '\n[jobs.status]\nengine = "streaming"\nstream = "weblogs"\ntarget = "emr"\n'
        'mode = "staged"\nmapper = "m.py"\n'
        'output = "s3://kiter-out/status/iteration={{ iteration }}"\n'
    )
    emr = EMR_TARGET.format(cluster='cluster_id = "j-2AXXXXXXGAPLF"')
    path = write_project('[staging]\nlocation = "s3://stage/kiter"\n' + emr + streaming)

    code, out, err = run(
        ["-C", str(path.parent), "iam-policy", "--log-uri", "s3://emr-logs/prod"], capsys
    )

    assert code == 0, err
    by_sid = policy_of(out)
    assert "arn:aws:s3:::kiter-out/status/*" in by_sid["KiterS3Objects"]["Resource"]
    assert by_sid["KiterS3ReadLogs"]["Resource"] == [
        "arn:aws:s3:::emr-logs/prod/j-2AXXXXXXGAPLF/steps/*",
        "arn:aws:s3:::emr-logs/prod/j-2AXXXXXXGAPLF/containers/*",
        "arn:aws:s3:::emr-logs/prod/j-2AXXXXXXGAPLF/task-attempts/*",
    ]
