"""The EMR Serverless target through kiter.toml and the CLI: loading and cross-checks, `kiter
submit` and `kiter run`, `kiter logs` of a job run, `kiter iam-policy`, on moto in process."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from sls_moto import HIVE_DRIVER_STDERR, LOG_BUCKET, REGION, ROLE, SCRIPT_BUCKET, RunDriver

from kiter.cli.main import main
from kiter.errors import ConfigError
from kiter.project import EmrServerlessConfig, load_project

pytestmark = pytest.mark.functional

TARGET = f"""\
[targets.sls]
kind = "emr-serverless"
application_id = "APP"
execution_role_arn = "{ROLE}"
script_prefix = "s3://{SCRIPT_BUCKET}/kiter"
log_uri = "s3://{LOG_BUCKET}/hive-logs"
"""
JOB = """\
[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "sls"
mode = "staged"
"""
STAGING = '[staging]\nlocation = "s3://staging/kiter"\n'


def write(folder: Path, text: str) -> Path:
    path = folder / "kiter.toml"
    path.write_text(text, encoding="utf-8")
    return path


def kiter(folder: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(["-C", str(folder), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- kiter.toml -----------------------------------------------------------------------------------


def test_a_serverless_target_loads_with_its_settings_and_defaults(tmp_path: Path) -> None:
    extra = 'configuration = { "hive.tez.container.size" = 4096 }\nexecution_timeout_minutes = 60\n'
    project = load_project(write(tmp_path, STAGING + TARGET + extra + JOB), env={})

    target = project.targets["sls"]
    assert isinstance(target, EmrServerlessConfig)
    assert (target.kind, target.application_id, target.application_name) == (
        "emr-serverless",
        "APP",
        None,
    )
    assert target.execution_timeout_minutes == 60
    assert target.configuration == {"hive.tez.container.size": 4096}
    assert (target.poll_seconds, target.log_wait_seconds, target.parameters) == ([15, 30], 600, "")


def test_a_pig_job_aimed_at_emr_serverless_is_a_config_error_naming_job_and_target(
    tmp_path: Path,
) -> None:
    pig = JOB.replace('engine = "hive"', 'engine = "pig"').replace(".hql.j2", ".pig.j2")
    path = write(tmp_path, STAGING + TARGET + pig)

    with pytest.raises(
        ConfigError,
        match="job top is a pig job and target sls is EMR Serverless, which runs hive jobs",
    ):
        load_project(path, env={})


def test_a_connector_job_aimed_at_emr_serverless_is_refused_with_the_reason(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, STAGING + TARGET + JOB.replace('mode = "staged"\n', ""))

    with pytest.raises(
        ConfigError, match="no document shows the Kinesis connector on EMR Serverless"
    ):
        load_project(path, env={})


def test_a_target_flag_pointing_a_connector_job_at_emr_serverless_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hs2 = '[targets.hs2]\nkind = "hiveserver2"\nhost = "127.0.0.1"\n'
    connector = JOB.replace('target = "sls"', 'target = "hs2"').replace('mode = "staged"\n', "")
    write(tmp_path, STAGING + TARGET + hs2 + connector)

    code, _, err = kiter(tmp_path, "submit", "top", "--target", "sls", capsys=capsys)

    assert code == 2
    assert "job top runs in connector mode" in err and "Traceback" not in err


def test_a_staged_job_on_emr_serverless_needs_staging_on_s3(tmp_path: Path) -> None:
    path = write(tmp_path, '[staging]\nlocation = "staging"\n' + TARGET + JOB)

    with pytest.raises(ConfigError, match="set staging.location to an s3:// URL"):
        load_project(path, env={})


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('application_id = "APP"\n', "", "needs application_id or application_name"),
        (
            'application_id = "APP"\n',
            'application_id = "APP"\napplication_name = "x"\n',
            "needs application_id or application_name",
        ),
        ("log_uri = ", "# log_uri = ", "missing required key 'log_uri'"),
        ('log_uri = "s3://', 'log_uri = "/var/', "targets.sls.log_uri must be an s3:// URL"),
        (f'= "{ROLE}"', '= "kiter-job-runs"', "must be an IAM role ARN"),
    ],
    ids=["neither-id-nor-name", "both", "no-log-uri", "log-uri-not-s3", "bad-role"],
)
def test_a_bad_serverless_target_table_is_a_config_error(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = write(tmp_path, STAGING + TARGET.replace(old, new) + JOB)

    with pytest.raises(ConfigError, match=message):
        load_project(path, env={})


# -- the CLI on moto ------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path, in_process_moto: None) -> Path:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("staging", SCRIPT_BUCKET, LOG_BUCKET):
        s3.create_bucket(Bucket=bucket)
    boto3.client("kinesis", region_name=REGION).create_stream(StreamName="weblogs", ShardCount=1)
    app = boto3.client("emr-serverless", region_name=REGION).create_application(
        name="kiter-hive", releaseLabel="emr-7.1.0", type="HIVE"
    )["applicationId"]
    write(tmp_path, STAGING + TARGET.replace('"APP"', f'"{app}"') + JOB)
    (tmp_path / "app").write_text(app)
    return tmp_path


def test_kiter_submit_and_kiter_run_each_run_an_iteration_as_one_job_run(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = (folder / "app").read_text()
    assert kiter(folder, "metastore", "create", "--on-demand", capsys=capsys)[0] == 0

    code, _, err = kiter(folder, "submit", "top", capsys=capsys)
    assert code == 0, err
    assert "iteration 0 of top, attempt 1, SUCCEEDED" in err
    code, _, err = kiter(folder, "run", "top", "--iterations", "1", capsys=capsys)
    assert code == 0, err
    assert "iteration 1 of top" in err

    names = sorted(r.name for r in RunDriver(app).runs())
    assert names == ["kiter:top:top:0:1", "kiter:top:top:1:1"]


def test_kiter_logs_explains_a_failed_job_run_of_an_iteration(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = (folder / "app").read_text()
    s3 = boto3.client("s3", region_name=REGION)
    assert kiter(folder, "metastore", "create", "--on-demand", capsys=capsys)[0] == 0
    assert kiter(folder, "submit", "top", "--no-wait", capsys=capsys)[0] == 0
    [run] = RunDriver(app).runs()
    RunDriver(app).set_state(run.id, "FAILED", details="Job failed. ExitCode: 2.")
    key = f"hive-logs/applications/{app}/jobs/{run.id}/HIVE_DRIVER/stderr.gz"
    s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=gzip.compress(HIVE_DRIVER_STDERR.encode()))

    code, out, err = kiter(folder, "logs", "top", "-i", "0", capsys=capsys)

    assert code == 0, err
    assert f"job run {run.id} (kiter:top:top:0:1) FAILED" in out
    assert "FAILED: SemanticException [Error 10001]" in out
    assert f"logs: s3://{LOG_BUCKET}/{key.rsplit('/', 1)[0]}/" in out


def test_iam_policy_grants_the_application_its_runs_the_role_and_the_prefixes_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, '[aws]\nregion = "eu-west-1"\n' + STAGING + TARGET + JOB)

    code, out, err = kiter(tmp_path, "iam-policy", "--account", "123456789012", capsys=capsys)

    assert code == 0, err
    by_sid: dict[str, Any] = {s["Sid"]: s for s in json.loads(out)["Statement"]}
    app_arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/APP"
    assert by_sid["KiterEmrServerlessApplications"]["Resource"] == [app_arn]
    assert "emr-serverless:StartJobRun" in by_sid["KiterEmrServerlessApplications"]["Action"]
    assert by_sid["KiterEmrServerlessJobRuns"]["Resource"] == [f"{app_arn}/jobruns/*"]
    assert set(by_sid["KiterEmrServerlessJobRuns"]["Action"]) == {
        "emr-serverless:GetJobRun",
        "emr-serverless:CancelJobRun",
    }
    assert by_sid["KiterPassJobRole"]["Resource"] == [ROLE]
    assert by_sid["KiterPassJobRole"]["Condition"] == {
        "StringLike": {"iam:PassedToService": "emr-serverless.amazonaws.com"}
    }
    assert by_sid["KiterS3Objects"]["Resource"] == [
        f"arn:aws:s3:::{SCRIPT_BUCKET}/kiter/*",
        "arn:aws:s3:::staging/kiter/*",
    ]
    assert by_sid["KiterS3ReadLogs"] == {
        "Sid": "KiterS3ReadLogs",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{LOG_BUCKET}/hive-logs/*"],
    }
    assert "KiterEmrServerlessLookup" not in by_sid  # no ListApplications on "*" by id


def test_iam_policy_adds_list_applications_only_for_a_target_found_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    named = TARGET.replace('application_id = "APP"', 'application_name = "kiter-hive"')
    write(tmp_path, STAGING + named + JOB)

    code, out, err = kiter(tmp_path, "iam-policy", capsys=capsys)

    assert code == 0, err
    by_sid = {s["Sid"]: s for s in json.loads(out)["Statement"]}
    assert by_sid["KiterEmrServerlessLookup"]["Action"] == ["emr-serverless:ListApplications"]
    assert by_sid["KiterEmrServerlessApplications"]["Resource"] == [
        "arn:aws:emr-serverless:us-east-1:*:/applications/*"
    ]
