"""The region on the command line: the one AWS's conventions name, said where a resource is named,
and an exit 2 with the ways to set one when nothing names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sample_projects import MINIMAL, WriteProject, run

AWS_CONFIG = """\
[profile foo]
region = eu-west-1
aws_access_key_id = testing
aws_secret_access_key = testing
"""


@pytest.fixture
def no_region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing names a region: no AWS variable, an AWS config file without one."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))


def test_iam_policy_takes_the_region_from_aws_region(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    path = write_project(MINIMAL)
    code, out, err = run(
        ["-C", str(path.parent), "iam-policy", "--account", "123456789012"], capsys
    )
    assert code == 0, err
    resources = json.dumps([s["Resource"] for s in json.loads(out)["Statement"]])
    assert "arn:aws:dynamodb:eu-west-1:123456789012:table/MyEMRKinesisTable" in resources
    assert "arn:aws:kinesis:eu-west-1:123456789012:stream/S" in resources
    assert "us-east-1" not in resources


def test_no_region_anywhere_is_exit_2_saying_how_to_set_one(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], no_region: None
) -> None:
    path = write_project(MINIMAL)
    code, out, err = run(["-C", str(path.parent), "iam-policy"], capsys)
    assert code == 2 and out == ""
    assert err == (
        "kiter: error: no AWS region: pass --region, or set KITER_AWS_REGION, region in "
        "kiter.toml's [aws], AWS_REGION or AWS_DEFAULT_REGION, or a region in the AWS profile "
        "(aws configure set region REGION)\n"
    )


def test_a_missing_table_is_named_in_the_aws_profiles_region(
    write_project: WriteProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_region: None,
    in_process_moto: None,
) -> None:
    config = tmp_path / "aws-config"
    config.write_text(AWS_CONFIG, encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    path = write_project('[metastore]\ntable = "EuTable"\n' + MINIMAL)
    args = ["-C", str(path.parent), "--aws-profile", "foo", "metastore", "describe"]
    code, _, err = run(args, capsys)
    assert code == 2
    assert err == (
        "kiter: error: table EuTable does not exist in eu-west-1: `kiter metastore create` creates it\n"
    )


def test_the_ledger_names_the_region_of_a_missing_table(
    write_project: WriteProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    in_process_moto: None,
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    path = write_project(MINIMAL)
    code, _, err = run(["-C", str(path.parent), "iterations", "top"], capsys)
    assert code == 2
    assert (
        "table MyEMRKinesisTable does not exist in eu-west-1: `kiter metastore create` creates it"
        in err
    )


def test_the_embedded_stack_has_a_region_when_nothing_names_one(
    write_project: WriteProject, no_region: None
) -> None:
    from kiter.project import load_project
    from kiter.wiring import LOCAL_REGION, local_aws

    project = load_project(write_project(MINIMAL))
    assert project.aws.region is None
    assert local_aws(project, "http://127.0.0.1:1").region == LOCAL_REGION == "us-east-1"


def test_the_embedded_stack_follows_a_region_that_is_named(
    write_project: WriteProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiter.project import load_project
    from kiter.wiring import local_aws

    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    project = load_project(write_project(MINIMAL))
    assert local_aws(project, "http://127.0.0.1:1").region == "eu-west-1"
