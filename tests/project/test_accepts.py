"""Which job may run on which target: each kind's one declaration, asked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.errors import ConfigError, UsageError
from kiter.project import load_project
from kiter.project.targetkinds import kind_of_submission

TARGETS = """\
[aws]
region = "us-east-1"

[staging]
location = "{staging}"

[targets.hs2]
kind = "hiveserver2"
host = "127.0.0.1"

[targets.emr]
kind = "emr"
cluster_id = "j-2AXXXXXXGAPLF"
script_prefix = "s3://scripts/kiter"

[targets.pig]
kind = "pig"
"""


def _project(tmp_path: Path, job: str, staging: str = "s3://stage/kiter") -> Path:
    path = tmp_path / "kiter.toml"
    path.write_text(TARGETS.format(staging=staging) + job, encoding="utf-8")
    return path


def _job(engine: str, target: str, mode: str = "connector") -> str:
    template = "top_errors.hql.j2" if engine == "hive" else "top_errors.pig.j2"
    return (
        f'[jobs.j]\nengine = "{engine}"\ntemplate = "{template}"\nstream = "s"\n'
        f'target = "{target}"\nmode = "{mode}"\nvars = {{ output = "s3://out/x" }}\n'
    )


def test_a_pig_job_aimed_at_hiveserver2_is_refused_at_load_with_the_kinds_that_run_pig(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project(_project(tmp_path, _job("pig", "hs2")), env={})
    assert (
        "job j is a pig job and target hs2 is HiveServer2, which runs hive jobs: point it at a "
        'target with kind = "emr" or kind = "pig"'
    ) in str(caught.value)


def test_a_staged_job_on_emr_steps_must_be_staged_where_the_cluster_reads(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"which job runs on EMR steps \(target emr\) cannot read"
    ):
        load_project(_project(tmp_path, _job("hive", "emr", "staged"), staging="staging"), env={})
    load_project(_project(tmp_path, _job("hive", "emr", "staged")), env={})


def test_the_local_pig_engine_reads_local_staging_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"set staging.location to a local folder"):
        load_project(_project(tmp_path, _job("pig", "pig", "staged")), env={})
    load_project(_project(tmp_path, _job("pig", "pig", "staged"), staging="staging"), env={})


def test_kiter_query_names_what_a_target_is_when_it_runs_no_queries(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, _job("hive", "hs2")), env={})
    assert project.query_target().name == "hs2"
    with pytest.raises(UsageError, match="target pig is the local Pig engine: kiter query needs"):
        project.query_target("pig")


def test_kiter_logs_knows_a_run_by_the_submission_ids_its_kind_declares() -> None:
    assert kind_of_submission("s-ABC123") == "emr"
    assert kind_of_submission("emr-serverless:00f/00g") == "emr-serverless"
    assert kind_of_submission("hs2:127.0.0.1:10000/op/x") is None
