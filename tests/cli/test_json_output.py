"""JSON that programs can rely on: every document names its schema, one name per concept, `null`
for absent, nothing cut; results on stdout only when asked. On moto: successes on its EMR
Serverless (every job run succeeds at once), failures on a HiveServer2 at port 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sample_projects import kiter_in

pytestmark = pytest.mark.functional

REGION = "us-east-1"
# The shared project (conftest.SERVERLESS_PROJECT) and a job with no target.
UNTARGETED = """
[jobs.untargeted]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
"""


@pytest.fixture
def folder(serverless_folder: Path) -> Path:
    with (serverless_folder / "kiter.toml").open("a", encoding="utf-8") as toml:
        toml.write(UNTARGETED)
    return serverless_folder


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


def values_anywhere(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in values_anywhere(v)]
    if isinstance(value, list):
        return [x for v in value for x in values_anywhere(v)]
    return [value]


def test_metastore_create_prints_a_line_on_stderr_and_json_only_when_asked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = kiter_in(folder, capsys, "metastore", "create", "--on-demand")
    assert code == 0 and out == "", err
    assert "table MyEMRKinesisTable is ACTIVE: PAY_PER_REQUEST, on-demand" in err
    code, out, err = kiter_in(folder, capsys, "metastore", "create", "--on-demand", "--json")
    assert code == 0, err
    table = json.loads(out)
    assert (table["schema"], table["billing_mode"]) == ("kiter.table/1", "PAY_PER_REQUEST")


def test_stage_prints_a_line_on_stderr_and_json_only_when_asked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kiter_in(folder, capsys, "metastore", "create", "--on-demand")[0] == 0
    code, out, err = kiter_in(folder, capsys, "stage", "top")
    assert code == 0 and out == "", err
    assert "staged iteration 0 of top: 4 records" in err
    code, out, err = kiter_in(folder, capsys, "stage", "top", "--json")
    assert code == 0, err
    staged = json.loads(out)
    assert (staged["schema"], staged["logical_name"], staged["records"]) == (
        "kiter.stage/1",
        "top",
        4,
    )


def test_submit_format_json_on_emr_serverless_prints_the_outcome(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kiter_in(folder, capsys, "metastore", "create", "--on-demand")[0] == 0
    code, out, err = kiter_in(folder, capsys, "submit", "top", "--format", "json")
    assert code == 0, err
    outcome = json.loads(out)
    assert outcome["schema"] == "kiter.submit/1"
    assert (outcome["job"], outcome["logical_name"], outcome["iteration"]) == ("top", "top", 0)
    assert (outcome["state"], outcome["attempt"], outcome["records"]) == ("SUCCEEDED", 1, 4)
    assert outcome["submission_id"] and outcome["cause"] is None
    assert (outcome["columns"], outcome["rows"]) == ([], [])


def test_every_json_document_names_its_schema_says_logical_name_and_null_for_absent(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kiter_in(folder, capsys, "metastore", "create", "--on-demand")[0] == 0
    assert kiter_in(folder, capsys, "submit", "top")[0] == 0
    long_reason_run = kiter_in(folder, capsys, "run", "broken", "-n", "1", "--max-retries", "0")
    assert long_reason_run[0] == 1
    documents = {
        "jobs": ["jobs", "--json"],
        "iterations": ["iterations", "top", "--json"],
        "status": ["status", "--json"],
        "metastore": ["metastore", "describe", "--json"],
        "plan": ["submit", "top", "--dry-run", "--format", "json"],
        "plans": ["run", "top", "broken", "--dry-run", "--json"],
    }
    for name, args in documents.items():
        _, out, err = kiter_in(folder, capsys, *args)
        assert out.startswith("{"), (args, err)
        document = json.loads(out)
        assert document["schema"] == f"kiter.{name}/1", (args, err)
        assert "logical" not in keys_anywhere(document), args
        assert "" not in values_anywhere(document), args
    _, out, _ = kiter_in(folder, capsys, "jobs", "--json")
    assert {j["name"]: j["target"] for j in json.loads(out)["jobs"]}["untargeted"] is None
    _, out, _ = kiter_in(folder, capsys, "iterations", "broken", "--json")
    (failed,) = json.loads(out)["iterations"]
    assert failed["logical_name"] == "broken_v1" and failed["submission_id"] is None


def test_status_json_keeps_a_long_failure_reason_whole(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiter.aws import Aws, AwsSettings
    from kiter.metastore.ledger import Ledger, Owner

    assert kiter_in(folder, capsys, "metastore", "create", "--on-demand")[0] == 0
    ledger = Ledger(
        Aws(AwsSettings(region=REGION)).client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=Owner("elsewhere", 1, "r"),
    )
    reason = "HiveServer2 said: " + "the table weblogs has no partition iteration=0 " * 6
    ledger.fail(ledger.claim("broken_v1"), reason)
    code, out, _ = kiter_in(folder, capsys, "status", "broken", "--json")
    assert code == 1
    (status,) = json.loads(out)["jobs"]
    assert reason.strip() in status["problems"][0]
    code, out, _ = kiter_in(folder, capsys, "status", "broken")
    assert code == 1 and reason.strip() not in out  # the table's line stays short
