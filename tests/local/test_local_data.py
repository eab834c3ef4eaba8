"""Data into the local stack (`kiter local put`, `kiter local traffic`), and a stack that can be
looked at and stopped while kiter.toml has an error."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.local.traffic import parse
from sample_projects import run

from .conftest import MakeStack

pytestmark = pytest.mark.functional

PROJECT = """\
[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
"""


@pytest.fixture
def running(project_root: Path, make_stack: MakeStack, capsys: pytest.CaptureFixture[str]) -> Any:
    (project_root / "kiter.toml").write_text(PROJECT)
    code, _, err = run(
        ["-C", str(project_root), "local", "up", "--no-hive", "--shards", "2"], capsys
    )
    assert code == 0, err
    url = json.loads((project_root / ".kiter" / "local" / "stack.json").read_text())["moto"]["url"]
    return boto3.client("kinesis", endpoint_url=url, region_name="us-east-1")


def _records(kinesis: Any, stream: str = "weblogs") -> list[tuple[str, str]]:
    found = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"]
        found += [(r["Data"].decode(), r["PartitionKey"]) for r in records]
    return found


def test_put_sends_one_record_a_line_spread_over_the_shards(
    project_root: Path, running: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "lines.txt"
    source.write_text("".join(f"line {n}\n" for n in range(1200)))
    code, out, err = run(["-C", str(project_root), "local", "put", "weblogs", str(source)], capsys)
    assert code == 0, err
    assert "put 1,200 records to weblogs" in err and out == ""
    records = _records(running)
    assert sorted(data for data, _ in records) == sorted(f"line {n}" for n in range(1200))
    per_shard = [
        len(
            running.get_records(
                ShardIterator=running.get_shard_iterator(
                    StreamName="weblogs", ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )["Records"]
        )
        for s in running.list_shards(StreamName="weblogs")["Shards"]
    ]
    assert all(count > 0 for count in per_shard)


def test_put_jsonl_takes_data_and_key_and_names_a_bad_line(
    project_root: Path,
    running: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = '{"data": "a", "partition_key": "k1"}\n{"data": "b", "partition_key": "k2"}\n'
    monkeypatch.setattr("sys.stdin", io.StringIO(lines + "not json\n"))
    code, _, err = run(["-C", str(project_root), "local", "put", "weblogs", "--jsonl"], capsys)
    assert code == 2 and 'stdin:3: expected {"data": "...", "partition_key": "..."}' in err
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    code, _, err = run(["-C", str(project_root), "local", "put", "weblogs", "--jsonl"], capsys)
    assert code == 0, err
    assert sorted(_records(running)) == [("a", "k1"), ("b", "k2")]


def test_traffic_puts_the_demo_web_log_lines(
    project_root: Path, running: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["-C", str(project_root), "local", "traffic", "--records", "300", "--rate", "1000"], capsys
    )
    assert code == 0, err
    assert "put 300 web-log records to weblogs" in err
    records = _records(running)
    assert len(records) == 300 and all(parse(data) is not None for data, _ in records)


def test_put_to_a_stream_not_on_the_stack_says_which_are(
    project_root: Path, running: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "x.txt"
    source.write_text("x\n")
    code, _, err = run(["-C", str(project_root), "local", "put", "nope", str(source)], capsys)
    assert code == 2 and "stream 'nope' is not on the local stack (streams: weblogs" in err


def test_put_without_a_running_stack_says_how_to_start_it(
    project_root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (project_root / "kiter.toml").write_text(PROJECT)
    source = tmp_path / "x.txt"
    source.write_text("x\n")
    code, _, err = run(["-C", str(project_root), "local", "put", "weblogs", str(source)], capsys)
    assert code == 2 and "the local stack is not running: start it with `kiter local up`" in err


def test_a_running_stack_is_shown_and_stopped_while_kiter_toml_is_broken(
    project_root: Path, running: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    (project_root / "kiter.toml").write_text("[jobs.top]\nengine = 'hive'\nbogus = 1\n")
    code, _, err = run(["-C", str(project_root), "render", "top"], capsys)
    assert code == 2 and "bogus" in err
    code, out, err = run(["-C", str(project_root), "local", "status"], capsys)
    assert code == 0 and out.startswith("moto") and " up " in out, err
    code, out, _ = run(["-C", str(project_root), "local", "down"], capsys)
    assert code == 0 and "moto" in out
    code, out, _ = run(["-C", str(project_root), "local", "status"], capsys)
    assert "not running" in out
