"""The stream reader against kinesalite: real 56-digit sequence numbers and real resharding."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from stream_helpers import local_path, partition_lines, put_many, stage_iteration, wait_active

from kiter.stream.reader import ShardBoundary, StopPolicy
from kiter.stream.staging import open_staging

pytestmark = pytest.mark.integration


@pytest.fixture
def stream(kinesalite: Any) -> str:
    name = f"s-{uuid.uuid4().hex[:10]}"
    kinesalite.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesalite, name)
    return name


@pytest.fixture
def staging(tmp_path: Path) -> Any:
    return open_staging(f"file://{tmp_path / 'stage'}")


def _split(client: Any, stream: str, shard_id: str) -> None:
    shard = next(
        s for s in client.list_shards(StreamName=stream)["Shards"] if s["ShardId"] == shard_id
    )
    low = int(shard["HashKeyRange"]["StartingHashKey"])
    high = int(shard["HashKeyRange"]["EndingHashKey"])
    client.split_shard(
        StreamName=stream, ShardToSplit=shard_id, NewStartingHashKey=str((low + high) // 2)
    )
    wait_active(client, stream)


def _open_children(client: Any, stream: str, parent: str) -> list[str]:
    return sorted(
        s["ShardId"]
        for s in client.list_shards(StreamName=stream)["Shards"]
        if parent in (s.get("ParentShardId"), s.get("AdjacentParentShardId"))
    )


def _batch(tag: str, n: int) -> list[bytes]:
    return [f"{tag}-{i}".encode() for i in range(n)]


def test_many_shards_many_iterations_read_each_record_once(kinesalite: Any, staging: Any):
    name = f"s-{uuid.uuid4().hex[:10]}"
    kinesalite.create_stream(StreamName=name, ShardCount=4)
    wait_active(kinesalite, name)
    produced: list[bytes] = []
    seen: list[str] = []
    previous: dict[str, ShardBoundary] | None = None
    for iteration in range(3):
        batch = _batch(f"it{iteration}", 100)
        produced += batch
        put_many(kinesalite, name, batch)
        result = stage_iteration(
            kinesalite, staging, name, logical="l", iteration=iteration, previous=previous
        )
        seen += partition_lines(local_path(staging, "l", iteration))
        previous = result.boundaries
    assert sorted(seen) == sorted(b.decode() for b in produced)
    assert previous is not None and len(previous) == 4
    assert all(len(b.end or "") > 38 for b in previous.values())


def test_split_and_merge_between_iterations_lose_and_duplicate_nothing(
    kinesalite: Any, stream: str, staging: Any
):
    produced: list[bytes] = []
    seen: list[str] = []

    def run(iteration: int, previous: dict[str, ShardBoundary] | None) -> Any:
        result = stage_iteration(
            kinesalite, staging, stream, logical="l", iteration=iteration, previous=previous
        )
        seen.extend(partition_lines(local_path(staging, "l", iteration)))
        return result

    produced += _batch("before", 40)
    put_many(kinesalite, stream, produced)
    it0 = run(0, None)

    _split(kinesalite, stream, "shardId-000000000000")
    children = _open_children(kinesalite, stream, "shardId-000000000000")
    assert len(children) == 2
    batch = _batch("after-split", 60)
    produced += batch
    put_many(kinesalite, stream, batch)
    it1 = run(1, it0.boundaries)
    assert it1.boundaries["shardId-000000000000"].finished
    assert set(children) <= set(it1.boundaries)
    assert all(it1.stats[c].records > 0 for c in children)

    batch = _batch("before-merge", 30)
    produced += batch
    put_many(kinesalite, stream, batch)
    kinesalite.merge_shards(
        StreamName=stream, ShardToMerge=children[0], AdjacentShardToMerge=children[1]
    )
    wait_active(kinesalite, stream)
    batch = _batch("after-merge", 50)
    produced += batch
    put_many(kinesalite, stream, batch)
    it2 = run(2, it1.boundaries)
    assert all(it2.boundaries[c].finished for c in children)
    (merged,) = set(_open_children(kinesalite, stream, children[0]))
    assert it2.stats[merged].records > 0

    it3 = run(3, it2.boundaries)
    assert it3.total_records == 0
    assert sorted(seen) == sorted(p.decode() for p in produced)

    # Reruns after the reshard re-read exactly their own records, not a finished parent's.
    for iteration, first_read in ((1, it1), (2, it2), (3, it3)):
        before = local_path(staging, "l", iteration)
        lines = partition_lines(before)
        stage_iteration(
            kinesalite,
            staging,
            stream,
            logical="l",
            iteration=iteration,
            exact=first_read.boundaries,
        )
        assert partition_lines(local_path(staging, "l", iteration)) == lines


def test_children_are_read_only_after_their_parent_is_finished(
    kinesalite: Any, stream: str, staging: Any
):
    parent = "shardId-000000000000"
    owned = [p for p in _batch("p", 200)]
    put_many(kinesalite, stream, owned)
    _split(kinesalite, stream, parent)
    children = _open_children(kinesalite, stream, parent)
    put_many(kinesalite, stream, _batch("c", 60))

    policy = StopPolicy(max_records=30)
    previous: dict[str, ShardBoundary] | None = None
    iteration = 0
    parent_done_at: int | None = None
    child_first_read_at: int | None = None
    seen: list[str] = []
    while iteration < 20:
        result = stage_iteration(
            kinesalite,
            staging,
            stream,
            logical="l",
            iteration=iteration,
            previous=previous,
            stop=policy,
        )
        seen += partition_lines(local_path(staging, "l", iteration))
        if parent_done_at is None and result.boundaries[parent].finished:
            parent_done_at = iteration
        if child_first_read_at is None and any(
            result.stats.get(c) and result.stats[c].records for c in children
        ):
            child_first_read_at = iteration
        if parent_done_at is None:
            assert not set(children) & set(result.boundaries)
        previous = result.boundaries
        if result.total_records == 0:
            break
        iteration += 1
    assert parent_done_at is not None and parent_done_at >= 1
    assert child_first_read_at == parent_done_at
    assert sorted(seen) == sorted(x.decode() for x in owned + _batch("c", 60))


def test_rerun_against_real_sequence_numbers_is_byte_identical(
    kinesalite: Any, stream: str, staging: Any, tmp_path: Path
):
    put_many(kinesalite, stream, _batch("a", 50))
    first = stage_iteration(
        kinesalite, staging, stream, logical="l", iteration=0, previous=None, fmt="jsonl"
    )
    original = {p.name: p.read_bytes() for p in local_path(staging, "l", 0).iterdir()}
    put_many(kinesalite, stream, _batch("b", 50))
    stage_iteration(
        kinesalite,
        staging,
        stream,
        logical="l",
        iteration=0,
        previous=None,
        exact=first.boundaries,
        fmt="jsonl",
    )
    assert {p.name: p.read_bytes() for p in local_path(staging, "l", 0).iterdir()} == original


@pytest.mark.parametrize("delay", [0.0, 1.2, 2.5], ids=["at-once", "1.2s-later", "2.5s-later"])
@pytest.mark.parametrize("reshard", ["split", "merge"])
def test_a_reshard_at_any_distance_from_the_last_read_loses_and_doubles_nothing(
    kinesalite: Any, stream: str, staging: Any, delay: float, reshard: str
):
    """The parent is caught up when the reshard comes; only its iterator running out ends it."""
    import time

    produced: list[bytes] = []
    seen: list[str] = []
    previous: dict[str, ShardBoundary] | None = None
    iteration = 0

    def run() -> Any:
        nonlocal previous, iteration
        result = stage_iteration(
            kinesalite, staging, stream, logical="l", iteration=iteration, previous=previous
        )
        seen.extend(partition_lines(local_path(staging, "l", iteration)))
        previous, iteration = result.boundaries, iteration + 1
        return result

    batch = _batch("before", 40)
    produced += batch
    put_many(kinesalite, stream, batch)
    run()  # every shard read to the tip: caught up, not finished
    time.sleep(delay)
    if reshard == "split":
        _split(kinesalite, stream, "shardId-000000000001")
    else:
        kinesalite.merge_shards(
            StreamName=stream,
            ShardToMerge="shardId-000000000000",
            AdjacentShardToMerge="shardId-000000000001",
        )
        wait_active(kinesalite, stream)
    for round_ in range(3):
        batch = _batch(f"after-{round_}", 30)
        produced += batch
        put_many(kinesalite, stream, batch)
        run()
    while run().total_records:
        pass
    assert len(seen) == len(produced)
    assert sorted(seen) == sorted(p.decode() for p in produced)
    assert all(
        b.finished for sid, b in (previous or {}).items() if _closed(kinesalite, stream, sid)
    )


def _closed(client: Any, stream: str, shard_id: str) -> bool:
    shards = {s["ShardId"]: s for s in client.list_shards(StreamName=stream)["Shards"]}
    return "EndingSequenceNumber" in shards[shard_id]["SequenceNumberRange"]
