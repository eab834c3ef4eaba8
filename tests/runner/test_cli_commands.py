"""The ledger and metastore commands through the CLI, against moto in process."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from kiter.metastore.ledger import Owner
from kiter_support import project_ledger
from sample_projects import STAGED_TOP_ON_REFUSING_HIVE, kiter_in

pytestmark = pytest.mark.functional

PROJECT = (
    STAGED_TOP_ON_REFUSING_HIVE
    + """
[jobs.other]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "other"
target = "hive"
"""
)


@pytest.fixture
def project(tmp_path: Path, in_process_moto: None) -> Path:
    (tmp_path / "kiter.toml").write_text(PROJECT, encoding="utf-8")
    boto3.client("kinesis", region_name="us-east-1").create_stream(
        StreamName="weblogs", ShardCount=3
    )
    return tmp_path


def kiter(project: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return kiter_in(project, capsys, *args)


def test_create_sizes_the_table_by_the_formula_from_the_project(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = kiter(project, "metastore", "create", "--json", capsys=capsys)
    assert code == 0, err
    info = json.loads(out)
    # j = 2 logical names, s = 3 open shards: read ceil(6/5) = 2, write 6
    assert (info["read_capacity"], info["write_capacity"]) == (2, 6)
    assert "read = ceil(j*s/5) = ceil(2*3/5) = 2, write = j*s = 2*3 = 6" in err


def test_create_twice_reports_the_table_present(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    code, out, err = kiter(project, "metastore", "create", "--on-demand", "--json", capsys=capsys)
    assert code == 0 and "present with matching keys" in err
    assert json.loads(out)["billing_mode"] == "PAY_PER_REQUEST"


def test_less_capacity_than_the_formula_warns_and_update_capacity_fixes_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", "--jobs", "1", "--shards", "1", capsys=capsys)
    code, _, err = kiter(
        project, "metastore", "create", "--jobs", "4", "--shards", "5", capsys=capsys
    )
    assert code == 0 and "below the 4 read / 20 write" in err and "--update-capacity" in err
    code, out, _ = kiter(
        project,
        "metastore",
        "create",
        "--jobs",
        "4",
        "--shards",
        "5",
        "--update-capacity",
        "--json",
        capsys=capsys,
    )
    assert code == 0 and json.loads(out)["write_capacity"] == 20


def test_on_demand_asked_of_a_provisioned_table_is_said_and_update_capacity_switches_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", capsys=capsys)  # provisioned by the formula: 2 / 6
    code, out, err = kiter(project, "metastore", "create", "--on-demand", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["billing_mode"] == "PROVISIONED"
    assert (
        "warning: table MyEMRKinesisTable is billed PROVISIONED (2 read / 6 write units), not "
        "PAY_PER_REQUEST (on demand) as asked: --update-capacity switches it to PAY_PER_REQUEST"
    ) in err
    code, out, err = kiter(
        project, "metastore", "create", "--on-demand", "--update-capacity", "--json", capsys=capsys
    )
    assert code == 0 and json.loads(out)["billing_mode"] == "PAY_PER_REQUEST"
    assert "switched table MyEMRKinesisTable to PAY_PER_REQUEST" in err
    code, _, err = kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    assert code == 0 and "warning" not in err


def test_provisioned_asked_of_an_on_demand_table_is_said_and_update_capacity_switches_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    code, out, err = kiter(project, "metastore", "create", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["billing_mode"] == "PAY_PER_REQUEST"
    assert (
        "table MyEMRKinesisTable is billed PAY_PER_REQUEST (on demand), not PROVISIONED at the "
        "2 read / 6 write units asked for: --update-capacity switches it to PROVISIONED"
    ) in err
    code, out, err = kiter(
        project, "metastore", "create", "--update-capacity", "--json", capsys=capsys
    )
    info = json.loads(out)
    assert code == 0, err
    assert (info["billing_mode"], info["read_capacity"], info["write_capacity"]) == (
        "PROVISIONED",
        2,
        6,
    )


def test_a_table_with_other_keys_is_an_error_and_left_alone(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName="MyEMRKinesisTable",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    code, _, err = kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    assert code == 2 and "hash key 'id'" in err and "'HashKey'" in err
    assert err.count("\n") <= 2 and "Traceback" not in err


def test_a_missing_table_is_one_exit_code_and_one_message_whichever_command_finds_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = [
        ["metastore", "describe"],
        ["status"],
        ["iterations", "top"],
        ["submit", "top"],
        ["run", "top", "--iterations", "1"],
        ["stage", "top"],
    ]
    said = {tuple(args): kiter(project, *args, capsys=capsys)[::2] for args in commands}
    line = (
        "kiter: error: table MyEMRKinesisTable does not exist in us-east-1: "
        "`kiter metastore create` creates it\n"
    )
    assert said == {tuple(args): (2, line) for args in commands}


def test_delete_needs_yes_and_refuses_while_an_iteration_runs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    code, _, err = kiter(project, "metastore", "delete", capsys=capsys)
    assert code == 2 and "pass --yes" in err
    ledger = project_ledger(Owner("etl-host", 4242, "run1"))
    claim = ledger.claim("top")
    code, _, err = kiter(project, "metastore", "delete", "--yes", capsys=capsys)
    assert code == 4 and "iteration 0 of top is running on etl-host (pid 4242)" in err
    ledger.succeed(claim, {})
    code, _, err = kiter(project, "metastore", "delete", "--yes", capsys=capsys)
    assert code == 0 and "deleting table MyEMRKinesisTable" in err


def test_describe_shows_the_ledger_per_logical_name(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    ledger = project_ledger(Owner.current())
    ledger.succeed(ledger.claim("top"), {"records": 5})
    ledger.fail(ledger.claim("top"), "boom")
    code, out, _ = kiter(project, "metastore", "describe", "--json", capsys=capsys)
    assert code == 0
    report = json.loads(out)
    assert report["ledger"]["top"]["SUCCEEDED"] == 1 and report["ledger"]["top"]["FAILED"] == 1
    code, out, _ = kiter(project, "iterations", "top", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["iteration", "state", "attempts"]
    assert lines[2].split()[:3] == ["0", "SUCCEEDED", "1"]
    assert lines[3].split()[:3] == ["1", "FAILED", "1"] and "boom" in lines[3]


def test_a_busy_logical_name_exits_3_naming_the_holder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    ledger = project_ledger(Owner("other-host", 99, "r"))
    ledger.claim("top")
    code, _, err = kiter(project, "submit", "top", capsys=capsys)
    assert code == 3
    assert err.startswith(
        "kiter: error: iteration 0 of top is running on other-host (pid 99) since"
    )


def test_stage_records_boundaries_and_leaves_the_iteration_to_submit(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    for i in range(12):
        kinesis.put_record(StreamName="weblogs", Data=f"line {i}".encode(), PartitionKey=str(i))
    kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    code, out, err = kiter(project, "stage", "top", "--json", capsys=capsys)
    assert code == 0, err
    staged = json.loads(out)
    assert staged["iteration"] == 0 and staged["records"] == 12
    files = sorted((project / "staging" / "top" / "iteration=0").glob("*.txt"))
    assert sum(len(f.read_text().splitlines()) for f in files) == 12
    code, out, _ = kiter(project, "iterations", "top", "--json", capsys=capsys)
    record = json.loads(out)["iterations"][0]
    assert record["state"] == "FAILED" and record["reason"].startswith("staged, not yet run")
    assert sum(s["records"] for s in record["shards"].values()) == 12


def test_a_pig_job_on_hiveserver2_is_refused_with_the_way_out(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "kiter.toml").write_text(
        PROJECT + '[jobs.pig]\nengine = "pig"\ntemplate = "top_errors.pig.j2"\nstream = "weblogs"\n'
        'target = "hive"\nvars = { output = "s3://b/o" }\n'
    )
    code, _, err = kiter(project, "submit", "pig", capsys=capsys)
    assert code == 2 and 'kind = "emr"' in err


def test_a_ledger_table_of_its_own_is_created_beside_the_checkpoint_table(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (project / "kiter.toml").read_text()
    (project / "kiter.toml").write_text(
        text.replace("[staging]", '[metastore]\nledger_table = "KiterLedger"\n\n[staging]')
    )
    code, _, err = kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    assert code == 0, err
    tables = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert sorted(tables) == ["KiterLedger", "MyEMRKinesisTable"]
    code, _, err = kiter(project, "stage", "top", capsys=capsys)
    assert code == 0, err
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName="KiterLedger")
    assert {i["HashKey"]["S"] for i in items["Items"]} == {"kiter#top"}


def test_a_long_reason_is_cut_with_an_ellipsis_in_the_table_and_whole_in_json(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kiter(project, "metastore", "create", "--on-demand", capsys=capsys)
    reason = "HiveServer2 said: " + "the table weblogs has no partition iteration=0 " * 3
    ledger = project_ledger(Owner.current())
    ledger.fail(ledger.claim("top"), reason)
    ledger.fail(ledger.claim("other"), "x" * 60)
    code, out, _ = kiter(project, "iterations", "top", capsys=capsys)
    assert code == 0 and out.splitlines()[2].endswith(" " + reason[:59] + "\u2026")
    code, out, _ = kiter(project, "iterations", "other", capsys=capsys)
    assert code == 0 and out.splitlines()[2].endswith(" " + "x" * 60)  # it fits: shown whole
    code, out, _ = kiter(project, "iterations", "top", "--json", capsys=capsys)
    assert json.loads(out)["iterations"][0]["reason"] == reason


def test_iterations_shows_the_newest_screenful_by_default_and_every_one_when_asked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kiter(project, "metastore", "create", "--on-demand", capsys=capsys)[0] == 0
    ledger = project_ledger(Owner("alpha", 1, "run-a"))
    for _ in range(25):
        ledger.succeed(ledger.claim("other"), {})

    def shown(*args: str) -> list[int]:
        code, out, err = kiter(project, "iterations", "other", *args, capsys=capsys)
        assert code == 0, err
        return [record["iteration"] for record in json.loads(out)["iterations"]]

    assert shown("--json") == list(range(5, 25))  # the newest 20, oldest first
    assert shown("--json", "--last", "3") == [22, 23, 24]
    assert shown("--json", "--all") == list(range(25))
