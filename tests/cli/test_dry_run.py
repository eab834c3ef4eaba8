"""`kiter submit/run --dry-run`: the plan of the next submit, with nothing written anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.metastore.ledger import Owner
from kiter_support import project_ledger
from sample_projects import STAGED_TOP_ON_REFUSING_HIVE, kiter_in

pytestmark = pytest.mark.functional

PROJECT = (
    STAGED_TOP_ON_REFUSING_HIVE
    + """
[targets.emr]
kind = "emr"
cluster_id = "j-NOTASKED"
script_prefix = "s3://kiter-scripts/kiter"

[targets.sls]
kind = "emr-serverless"
application_id = "APP"
execution_role_arn = "arn:aws:iam::123456789012:role/kiter-job-runs"
script_prefix = "s3://kiter-scripts/kiter"
log_uri = "s3://kiter-scripts/logs"

[jobs.conn]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "conn"
target = "emr"
"""
)


@pytest.fixture
def project(tmp_path: Path, in_process_moto: None, capsys: pytest.CaptureFixture[str]) -> Path:
    (tmp_path / "kiter.toml").write_text(PROJECT, encoding="utf-8")
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    kinesis.create_stream(StreamName="weblogs", ShardCount=2)
    for i in range(6):
        kinesis.put_record(StreamName="weblogs", Data=f"line {i}".encode(), PartitionKey=str(i))
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="kiter-scripts")
    code, _, err = kiter_in(tmp_path, capsys, "metastore", "create", "--on-demand")
    assert code == 0, err
    return tmp_path


def ledger_scan() -> list[dict[str, Any]]:
    """Every item of every table, sorted: what "nothing written" is checked against."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    items = []
    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            items += [json.dumps([table, item], sort_keys=True) for item in page["Items"]]
    return sorted(items)


def s3_keys() -> list[str]:
    found = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="kiter-scripts")
    return [obj["Key"] for obj in found.get("Contents", [])]


def test_a_dry_run_of_a_staged_retry_plans_it_and_leaves_the_ledger_byte_identical(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, staged, err = kiter_in(project, capsys, "stage", "top", "--json")
    assert code == 0, err
    recorded = json.loads(staged)["shards"]
    before, staging = ledger_scan(), sorted((project / "staging").rglob("*"))
    code, out, err = kiter_in(project, capsys, "submit", "top", "--dry-run", "--format", "json")
    assert code == 0, err
    assert ledger_scan() == before and sorted((project / "staging").rglob("*")) == staging
    plan = json.loads(out)
    assert plan["schema"] == "kiter.plan/1"
    assert (plan["iteration"], plan["attempt"], plan["claim"]) == (0, 2, "retry")
    assert plan["destination"] == {"address": "127.0.0.1:1"}
    starts = {s["shard_id"]: s for s in plan["shards"]}
    for shard_id, boundary in recorded.items():
        if boundary["end"] is not None:
            assert starts[shard_id]["sequence_number"] == boundary["first"]
            assert starts[shard_id]["ends_at"] == boundary["end"]


def test_a_dry_run_after_a_success_plans_the_next_iteration_from_the_recorded_ends(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = project_ledger(Owner("elsewhere", 1, "r"))
    claim = ledger.claim("top")
    ends = {"shardId-000000000000": {"shard_id": "shardId-000000000000", "end": "41"}}
    ends["shardId-000000000001"] = {"shard_id": "shardId-000000000001", "end": None}
    ledger.record_boundaries(claim, ends)
    ledger.succeed(ledger.heartbeat(claim), {})
    before = ledger_scan()
    code, out, err = kiter_in(project, capsys, "submit", "top", "--dry-run")
    assert code == 0, err
    assert ledger_scan() == before
    assert "would claim   iteration 1, attempt 1: the next" in out
    assert "shard         shardId-000000000000: AFTER_SEQUENCE_NUMBER 41" in out
    assert "shard         shardId-000000000001: TRIM_HORIZON" in out
    code, out, err = kiter_in(project, capsys, "submit", "top", "-i", "0", "--dry-run")
    assert code == 0 and "iteration 0, attempt 2: a rerun of a SUCCEEDED iteration" in out, err
    # A rerun reads exactly what was recorded: up to 41 on shard 0, nothing on shard 1.
    assert "shardId-000000000000: TRIM_HORIZON, to 41 (the recorded end)" in out
    assert "shardId-000000000001" not in out
    assert ledger_scan() == before


def test_a_dry_run_on_emr_names_the_s3_key_and_step_and_uploads_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = kiter_in(project, capsys, "submit", "conn", "--dry-run", "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["destination"] == {
        "script_url": "s3://kiter-scripts/kiter/conn/0/1/conn.hql",
        "step_name": "kiter:conn:conn:0:1",
    }
    assert (plan["target"], plan["target_kind"], plan["shards"]) == ("emr", "emr", None)
    assert len(plan["script_sha256"]) == 64
    assert s3_keys() == [] and ledger_scan() == []
    assert not (project / ".kiter" / "logs").exists()  # no run, so no run log


def test_a_dry_run_on_emr_serverless_names_the_job_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = project / "kiter.toml"
    toml.write_text(toml.read_text().replace('"staging"', '"s3://kiter-scripts/staging"'))
    code, out, err = kiter_in(project, capsys, "submit", "top", "-t", "sls", "--dry-run")
    assert code == 0, err
    assert "script_url    s3://kiter-scripts/kiter/top/0/1/top.hql" in out
    assert "job_run_name  kiter:top:top:0:1" in out
    assert "shard         shardId-000000000000: TRIM_HORIZON" in out
    assert s3_keys() == [] and ledger_scan() == []


def test_run_dry_run_json_holds_one_plan_per_job(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = kiter_in(project, capsys, "run", "--all", "--dry-run", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["schema"] == "kiter.plans/1"
    assert [(p["job"], p["iteration"], p["claim"]) for p in body["plans"]] == [
        ("top", 0, "next"),
        ("conn", 0, "next"),
    ]
    assert ledger_scan() == []


def test_a_dry_run_while_another_run_holds_the_job_says_so_with_exit_3(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project_ledger(Owner("other-host", 1, "r")).claim("conn")
    before = ledger_scan()
    code, _, err = kiter_in(project, capsys, "submit", "conn", "--dry-run")
    assert code == 3 and "running on other-host (pid 1)" in err
    assert ledger_scan() == before


def _succeed_once(logical: str) -> None:
    ledger = project_ledger(Owner("elsewhere", 1, "r"))
    ledger.succeed(ledger.claim(logical), {})
    ledger.fail(ledger.claim(logical), "boom")


def test_render_without_an_iteration_renders_the_ledgers_next_and_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _succeed_once("conn")
    before = ledger_scan()
    code, out, err = kiter_in(project, capsys, "render", "conn")
    assert code == 0, err
    assert "kinesis.checkpoint.iteration.no=1" in out
    assert "kinesis.rerun.iteration.without.wait=true" in out
    assert "rendering iteration 1 of conn: the ledger's next (a retry, attempt 2)" in err
    assert ledger_scan() == before


def test_render_without_a_reachable_ledger_renders_iteration_0_with_a_note(
    tmp_path: Path, isolated_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 1 on loopback refuses at once: the ledger is out of reach, as offline.
    text = PROJECT.replace(
        'region = "us-east-1"', 'region = "us-east-1"\nendpoint_url = "http://127.0.0.1:1"'
    )
    (tmp_path / "kiter.toml").write_text(text, encoding="utf-8")
    code, out, err = kiter_in(tmp_path, capsys, "render", "conn")
    assert code == 0, err
    assert "kinesis.checkpoint.iteration.no=0" in out
    assert "rendering iteration 0: the ledger could not be read" in err


def test_a_dry_run_on_local_pig_names_the_run_folder_and_makes_none(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = project / "kiter.toml"
    toml.write_text(
        toml.read_text()
        + '\n[targets.pig]\nkind = "pig"\n\n[jobs.pig]\nengine = "pig"\n'
        + 'template = "top_errors.pig.j2"\nstream = "weblogs"\ntarget = "pig"\nmode = "staged"\n'
        + 'vars = { output = "out/pig" }\n'
    )
    code, out, err = kiter_in(project, capsys, "submit", "pig", "--dry-run", "--format", "json")
    assert code == 0, err
    folder = project / ".kiter" / "local" / "pig" / "pig" / "0" / "1"
    assert json.loads(out)["destination"] == {"run_folder": str(folder)}
    assert not folder.exists() and ledger_scan() == []
