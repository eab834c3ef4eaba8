"""Staging writers: nothing visible before commit, commit replaces, S3 through moto."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.errors import UsageError
from kiter.stream.staging import LocalStaging, S3Staging, open_staging


def test_partition_is_invisible_until_commit_and_then_in_place(tmp_path: Path):
    staging = open_staging(f"file://{tmp_path}")
    writer = staging.partition("clicks", 3, "lines")
    writer.shard_file("shardId-000000000000").write(b"a\n")
    table = tmp_path / "clicks"
    assert [p.name for p in table.iterdir() if not p.name.startswith(("_", "."))] == []
    writer.commit()
    assert (table / "iteration=3" / "shardId-000000000000.txt").read_bytes() == b"a\n"
    assert [p.name for p in table.iterdir()] == ["iteration=3"]


def test_crash_inside_the_writer_leaves_nothing_a_query_picks_up(tmp_path: Path):
    staging = open_staging(f"file://{tmp_path}")
    with (
        pytest.raises(RuntimeError, match="reader died"),
        staging.partition("clicks", 0, "jsonl") as writer,
    ):
        writer.shard_file("shardId-000000000001").write(b"{}\n")
        raise RuntimeError("reader died")
    assert list((tmp_path / "clicks").iterdir()) == []


def test_commit_replaces_an_existing_partition_whole(tmp_path: Path):
    staging = open_staging(f"file://{tmp_path}")
    with staging.partition("clicks", 0, "lines") as writer:
        writer.shard_file("shardId-000000000000").write(b"old\n")
        writer.shard_file("shardId-000000000001").write(b"old\n")
    with staging.partition("clicks", 0, "lines") as writer:
        writer.shard_file("shardId-000000000000").write(b"new\n")
    folder = tmp_path / "clicks" / "iteration=0"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        "shardId-000000000000.txt": b"new\n"
    }
    assert [p.name for p in (tmp_path / "clicks").iterdir()] == ["iteration=0"]


def test_leftovers_of_a_killed_writer_are_cleaned_by_the_next_commit(tmp_path: Path):
    staging = open_staging(f"file://{tmp_path}")
    stale = staging.partition("clicks", 2, "lines")
    stale.shard_file("shardId-000000000000").write(b"half")  # never committed nor aborted
    with staging.partition("clicks", 2, "lines") as writer:
        writer.shard_file("shardId-000000000000").write(b"whole\n")
    assert [p.name for p in (tmp_path / "clicks").iterdir()] == ["iteration=2"]


def test_locations_are_the_urls_hive_ddl_needs(tmp_path: Path):
    staging = open_staging(f"file://{tmp_path}/stage/")
    assert staging.table_location("clicks") == f"file://{tmp_path}/stage/clicks"
    assert staging.partition_location("clicks", 4) == f"file://{tmp_path}/stage/clicks/iteration=4"


@pytest.mark.parametrize(
    "url", ["/abs/no/scheme", "file://host/x", "file:relative", "s3:///nobucket", "hdfs://nn/x"]
)
def test_bad_staging_urls_are_usage_errors(url: str):
    with pytest.raises(UsageError, match="staging url"):
        open_staging(url, s3_client=object())


@pytest.mark.parametrize("name", ["_hidden", ".dot", "a/b", "", "../up"])
def test_logical_names_that_would_hide_or_escape_the_partition_are_refused(
    tmp_path: Path, name: str
):
    staging = open_staging(f"file://{tmp_path}")
    with pytest.raises(UsageError, match="cannot name a staging folder"):
        staging.partition(name, 0, "lines")


@pytest.fixture
def s3(in_process_moto: None) -> Any:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="stage")
    return client


def _keys(s3: Any) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="stage").get("Contents", []))


@pytest.mark.functional
def test_s3_commit_copies_into_the_partition_and_replaces_old_files(s3: Any):
    staging = open_staging("s3://stage/kiter", s3_client=s3)
    assert isinstance(staging, S3Staging)
    with staging.partition("clicks", 1, "lines") as writer:
        writer.shard_file("shardId-000000000000").write(b"old\n")
        writer.shard_file("shardId-000000000001").write(b"old\n")
    with staging.partition("clicks", 1, "lines") as writer:
        writer.shard_file("shardId-000000000001").write(b"new\n")
    assert _keys(s3) == ["kiter/clicks/iteration=1/shardId-000000000001.txt"]
    body = s3.get_object(Bucket="stage", Key=_keys(s3)[0])["Body"].read()
    assert body == b"new\n"
    assert staging.partition_location("clicks", 1) == "s3://stage/kiter/clicks/iteration=1"


@pytest.mark.functional
def test_s3_abort_uploads_nothing(s3: Any):
    staging = open_staging("s3://stage/kiter", s3_client=s3)
    with pytest.raises(ValueError, match="boom"), staging.partition("clicks", 0, "jsonl") as writer:
        writer.shard_file("shardId-000000000000").write(b"{}\n")
        raise ValueError("boom")
    assert _keys(s3) == []


def test_local_staging_type_is_returned_for_file_urls(tmp_path: Path):
    assert isinstance(open_staging(f"file://{tmp_path}"), LocalStaging)


def test_s3_leftovers_of_a_crashed_writer_are_removed_when_the_iteration_is_staged_again(
    s3: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    staging = open_staging("s3://stage/kiter", s3_client=s3)
    crashed = staging.partition("l", 3, "lines")
    crashed.shard_file("shardId-0").write(b"half\n")
    _as_written_by(crashed._folder, _dead_pid())
    s3.put_object(Bucket="stage", Key="kiter/l/_tmp-iteration=3-dead/shardId-0.txt", Body=b"x")
    s3.put_object(Bucket="stage", Key="kiter/l/_tmp-iteration=30-other/shardId-0.txt", Body=b"y")
    assert len(list(tmp_path.glob("kiter-stage-*"))) == 1  # the crashed writer's spool

    with staging.partition("l", 3, "lines") as writer:
        assert list(tmp_path.glob("kiter-stage-*")) == [Path(writer._folder)]
        writer.shard_file("shardId-0").write(b"whole\n")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="stage")["Contents"])
    assert keys == [
        "kiter/l/_tmp-iteration=30-other/shardId-0.txt",  # another iteration's: not ours to touch
        "kiter/l/iteration=3/shardId-0.txt",
    ]
    assert list(tmp_path.glob("kiter-stage-*")) == []


def test_s3_a_spool_of_a_process_that_still_runs_is_kept_when_the_iteration_is_staged_again(
    s3: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """A holder stopped past its lease still owns its spool: it must find out at its lease check,
    not crash on a folder its successor deleted."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    staging = open_staging("s3://stage/kiter", s3_client=s3)
    paused = staging.partition("l", 3, "lines")
    paused.shard_file("shardId-0").write(b"half\n")
    with staging.partition("l", 3, "lines") as writer:
        writer.shard_file("shardId-0").write(b"whole\n")
    assert Path(paused._folder).is_dir()
    paused.abort()


def _dead_pid() -> int:
    import subprocess

    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _as_written_by(folder: Path | str, pid: int) -> None:
    """Rename a spool folder as if process `pid` had made it."""
    import os

    folder = Path(folder)
    folder.rename(folder.with_name(folder.name.replace(f"-{os.getpid()}-", f"-{pid}-")))
