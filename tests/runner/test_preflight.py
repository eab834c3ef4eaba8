"""Before anything runs: submit, stage and run refuse a `--var` nothing reads and a scaffold
placeholder where a job writes (exit 2), with nothing claimed, staged or started."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from kiter.cli.main import main

pytestmark = pytest.mark.functional

MakeProject = Callable[[str], Path]  # the project with this output for the Pig job

PROJECT = """\
[aws]
region = "us-east-1"

[staging]
location = "s3://kiter-staging/staged"

[targets.hive]
kind = "hiveserver2"
host = "127.0.0.1"
port = 1

[targets.emr]
kind = "emr"
cluster_id = "j-2AXXXXXXGAPLF"
script_prefix = "s3://kiter-scripts/prefix"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "hive"
mode = "staged"

[jobs.pig]
engine = "pig"
template = "top_errors.pig.j2"
stream = "weblogs"
target = "emr"
mode = "staged"

[jobs.pig.vars]
output = "{output}"
"""


@pytest.fixture
def make_project(tmp_path: Path, in_process_moto: None) -> MakeProject:
    boto3.client("kinesis", region_name="us-east-1").create_stream(
        StreamName="weblogs", ShardCount=1
    )

    def make(output: str) -> Path:
        (tmp_path / "kiter.toml").write_text(PROJECT.format(output=output), encoding="utf-8")
        assert kiter(tmp_path, "metastore", "create", "--on-demand")[0] == 0
        return tmp_path

    return make


def kiter(project: Path, *args: str) -> tuple[int, str]:
    """Runs kiter in process; returns the exit code and the last line on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            main(["-C", str(project), *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    lines = err.getvalue().splitlines()
    return code, lines[-1] if lines else ""


def _nothing_claimed(project: Path, job: str) -> bool:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["-C", str(project), "iterations", job, "--json"])
    return json.loads(out.getvalue())["iterations"] == []


def test_submit_refuses_a_var_nothing_reads_before_claiming(make_project: MakeProject) -> None:
    project = make_project("s3://bucket/out")
    code, err = kiter(project, "submit", "pig", "--var", "outptu=s3://x/y")
    assert code == 2
    assert err == (
        "kiter: error: unknown --var 'outptu': no template of job pig reads it "
        "(did you mean 'output'?)"
    )
    assert _nothing_claimed(project, "pig")


def test_submit_refuses_a_placeholder_output_before_claiming(make_project: MakeProject) -> None:
    project = make_project("s3://my-bucket/kiter/top-errors")
    code, err = kiter(project, "submit", "pig")
    assert code == 2
    assert err == (
        f"kiter: error: {project / 'kiter.toml'}:32: jobs.pig.vars.output is still the "
        "scaffold's placeholder 's3://my-bucket/kiter/top-errors': edit kiter.toml (for the "
        "embedded stack, run with --profile local)"
    )
    assert _nothing_claimed(project, "pig")


def test_submit_refuses_a_placeholder_given_as_a_var(make_project: MakeProject) -> None:
    project = make_project("s3://bucket/out")
    code, err = kiter(project, "submit", "pig", "--var", "output=s3://my-bucket/x")
    assert code == 2
    assert "--var output is the scaffold's placeholder 's3://my-bucket/x'" in err
    assert _nothing_claimed(project, "pig")


def test_stage_refuses_a_placeholder_output_before_reading(make_project: MakeProject) -> None:
    project = make_project("s3://my-bucket/kiter/top-errors")
    code, err = kiter(project, "stage", "pig")
    assert code == 2 and "jobs.pig.vars.output is still the scaffold's placeholder" in err
    assert _nothing_claimed(project, "pig")
    assert not (project / "staging").exists()


def test_run_refuses_before_any_job_runs(make_project: MakeProject) -> None:
    project = make_project("s3://my-bucket/kiter/top-errors")
    code, err = kiter(project, "run", "--all", "--iterations", "1")
    assert code == 2 and "jobs.pig.vars.output is still the scaffold's placeholder" in err
    assert _nothing_claimed(project, "top")  # listed first, and not started either
