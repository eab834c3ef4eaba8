"""`kiter run`'s cadence options through the CLI: refused before anything is claimed."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from sample_projects import run

pytestmark = pytest.mark.functional

# Port 1 on loopback refuses at once: a round that did start would fail fast, not hang.
PROJECT = """\
[aws]
region = "us-east-1"

[targets.hive]
kind = "hiveserver2"
host = "127.0.0.1"
port = 1

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "top"
target = "hive"
"""


@pytest.fixture
def project(tmp_path: Path, in_process_moto: None, capsys: pytest.CaptureFixture[str]) -> Path:
    (tmp_path / "kiter.toml").write_text(PROJECT, encoding="utf-8")
    boto3.client("kinesis", region_name="us-east-1").create_stream(
        StreamName="weblogs", ShardCount=1
    )
    code, _, err = run(["-C", str(tmp_path), "metastore", "create", "--on-demand"], capsys)
    assert code == 0, err
    return tmp_path


def ledger_items() -> list[dict[str, object]]:
    table = boto3.client("dynamodb", region_name="us-east-1")
    return table.scan(TableName="MyEMRKinesisTable")["Items"]


def test_a_cron_that_can_never_fire_exits_2_before_anything_is_claimed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-C", str(project), "run", "top", "--cron", "0 0 30 2 *", "--max-retries", "0"]
    code, _, err = run([*args, "-n", "1"], capsys)
    assert code == 2
    assert err == (
        "kiter: error: cron expression '0 0 30 2 *' never fires: day-of-month '30' falls in "
        "none of the months '2'\n"
    )
    assert ledger_items() == []


def test_a_cron_that_can_never_fire_is_refused_with_now_too(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-C", str(project), "run", "top", "--cron", "0 0 31 2,4 *", "--now", "-n", "1"]
    code, _, err = run([*args, "--max-retries", "0"], capsys)
    assert code == 2 and "never fires" in err
    assert ledger_items() == []


def test_a_bad_time_zone_exits_2_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-C", str(project), "run", "top", "--cron", "@hourly", "--tz", "Mars/Base"]
    code, _, err = run(args, capsys)
    assert code == 2
    assert err.startswith("kiter: error: unknown time zone 'Mars/Base': give an IANA name")
    assert ledger_items() == []


def test_an_every_of_zero_is_refused_and_a_backoff_of_zero_is_not(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["-C", str(project), "run", "top", "--every", "0s"], capsys)
    assert code == 2 and "--every '0s' is zero: give more than 0s" in err
    args = ["-C", str(project), "run", "top", "--every", "1h30m", "--backoff", "0s"]
    code, _, err = run([*args, "--max-retries", "0", "-n", "1"], capsys)
    # The round ran (HiveServer2 on port 1 refuses it) with no complaint about either duration.
    assert code != 2, err
    assert "is not a duration" not in err and "is zero" not in err
    assert ledger_items() != []
