"""The stream reader against moto's Kinesis in process (moto numbers records 1, 2, ... per shard)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from botocore.exceptions import ClientError
from stream_helpers import (
    FakeTime,
    local_path,
    partition_lines,
    put_many,
    read_partition,
    stage_iteration,
)

from kiter.errors import JobFailed, Refused
from kiter.stream.formats import RecordFormat
from kiter.stream.reader import (
    LATEST,
    IterationRead,
    ShardBoundary,
    StopPolicy,
    read_iteration,
)
from kiter.stream.staging import LocalStaging, open_staging

pytestmark = pytest.mark.functional

STREAM = "clicks"


@pytest.fixture
def stream4(kinesis: Any) -> str:
    kinesis.create_stream(StreamName=STREAM, ShardCount=4)
    return STREAM


@pytest.fixture
def staging(tmp_path: Path) -> LocalStaging:
    staging = open_staging(f"file://{tmp_path / 'stage'}")
    assert isinstance(staging, LocalStaging)
    return staging


class ScriptedErrors:
    """A real client whose chosen calls fail first with scripted AWS errors (not a mock)."""

    def __init__(self, client: Any, failures: dict[str, list[str]]) -> None:
        self._client = client
        self._failures = {k: list(v) for k, v in failures.items()}
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls[name] += 1
            pending = self._failures.get(name)
            if pending:
                code = pending.pop(0)
                raise ClientError({"Error": {"Code": code, "Message": f"scripted {code}"}}, name)
            return method(**kwargs)

        return call


def test_iterations_together_read_every_record_once(kinesis: Any, stream4: str, staging: Any):
    produced: list[str] = []
    previous: dict[str, ShardBoundary] | None = None
    seen: list[str] = []
    for iteration in range(3):
        batch = [f"it{iteration}-rec{i}" for i in range(60)]
        produced += batch
        put_many(kinesis, stream4, [b.encode() for b in batch])
        result = stage_iteration(
            kinesis, staging, stream4, logical="clicks", iteration=iteration, previous=previous
        )
        lines = partition_lines(local_path(staging, "clicks", iteration))
        assert result.total_records == len(lines) == 60
        seen += lines
        previous = result.boundaries
    assert sorted(seen) == sorted(produced)
    assert len(set(seen)) == len(seen)
    assert previous is not None and set(previous) == {f"shardId-00000000000{i}" for i in range(4)}


def test_iteration_with_no_new_records_keeps_boundaries(kinesis: Any, stream4: str, staging: Any):
    put_many(kinesis, stream4, [f"r{i}".encode() for i in range(20)])
    first = stage_iteration(kinesis, staging, stream4, logical="clicks", iteration=0, previous=None)
    second = stage_iteration(
        kinesis, staging, stream4, logical="clicks", iteration=1, previous=first.boundaries
    )
    assert second.total_records == 0
    assert read_partition(local_path(staging, "clicks", 1)) == {}
    for shard_id, boundary in second.boundaries.items():
        assert boundary.resume_after == first.boundaries[shard_id].end


def test_rerun_with_recorded_boundaries_is_byte_identical(
    kinesis: Any, stream4: str, staging: Any, tmp_path: Path
):
    put_many(kinesis, stream4, [f"early-{i}".encode() for i in range(80)])
    first = stage_iteration(
        kinesis, staging, stream4, logical="clicks", iteration=0, previous=None, fmt="jsonl"
    )
    original = read_partition(local_path(staging, "clicks", 0))
    put_many(kinesis, stream4, [f"late-{i}".encode() for i in range(40)])

    recorded = {
        sid: ShardBoundary.from_dict(json.loads(json.dumps(b.to_dict())))
        for sid, b in first.boundaries.items()
    }
    rerun = stage_iteration(
        kinesis,
        staging,
        stream4,
        logical="clicks",
        iteration=0,
        previous=None,
        exact=recorded,
        fmt="jsonl",
    )
    assert rerun.rerun and rerun.total_records == 80
    assert read_partition(local_path(staging, "clicks", 0)) == original
    assert {sid: b.to_dict() for sid, b in rerun.boundaries.items()} == {
        sid: b.to_dict() for sid, b in first.boundaries.items()
    }


def test_boundaries_round_trip_with_sequence_numbers_as_strings():
    boundary = ShardBoundary(
        "shardId-000000000001",
        start_after="49680560117536035478571456024555510546949787563239407618",
        end="49680560117536035478571456024555510546949787769397837826",
        parent_ids=["shardId-000000000000"],
    )
    data = json.loads(json.dumps(boundary.to_dict()))
    assert isinstance(data["end"], str)
    assert ShardBoundary.from_dict(data) == boundary


def test_kpl_aggregated_record_is_staged_one_user_record_per_row(
    kinesis: Any, stream4: str, staging: Any
):
    aggregator = RecordAggregator()
    for i in range(5):
        aggregator.add_user_record(f"user-{i}", f"user record {i}".encode())
    pk, ehk, data = aggregator.clear_and_get().get_contents()
    kinesis.put_record(StreamName=stream4, Data=data, PartitionKey=pk, ExplicitHashKey=ehk or "1")
    result = stage_iteration(
        kinesis, staging, stream4, logical="clicks", iteration=0, previous=None, fmt="jsonl"
    )
    rows = [json.loads(line) for line in partition_lines(local_path(staging, "clicks", 0))]
    assert [r["data"] for r in rows] == [f"user record {i}" for i in range(5)]
    assert [r["partition_key"] for r in rows] == [f"user-{i}" for i in range(5)]
    assert len({r["sequence_number"] for r in rows}) == 1
    assert result.total_records == 5


def test_record_with_a_line_break_fails_naming_shard_and_sequence_number(
    kinesis: Any, stream4: str, staging: Any
):
    shard = kinesis.put_record(StreamName=stream4, Data=b"two\nlines", PartitionKey="a")
    with pytest.raises(JobFailed, match="line break") as caught:
        stage_iteration(kinesis, staging, stream4, logical="clicks", iteration=0, previous=None)
    assert shard["ShardId"] in str(caught.value)
    assert shard["SequenceNumber"] in str(caught.value)
    assert not local_path(staging, "clicks", 0).exists()


def test_line_breaks_are_escaped_when_asked(kinesis: Any, stream4: str, staging: Any):
    kinesis.put_record(StreamName=stream4, Data=b"two\nlines\r and a \\", PartitionKey="a")
    stage_iteration(
        kinesis,
        staging,
        stream4,
        logical="clicks",
        iteration=0,
        previous=None,
        fmt=RecordFormat("lines", escape_newlines=True),
    )
    assert partition_lines(local_path(staging, "clicks", 0)) == ["two\\nlines\\r and a \\\\"]


def test_throttled_get_records_are_retried_and_counted(
    kinesis: Any, stream4: str, staging: Any, fake_time: FakeTime
):
    put_many(kinesis, stream4, [f"r{i}".encode() for i in range(40)])
    throttled = ScriptedErrors(
        kinesis,
        {"get_records": ["ProvisionedThroughputExceededException", "LimitExceededException"]},
    )
    result = stage_iteration(
        throttled,
        staging,
        stream4,
        logical="clicks",
        iteration=0,
        previous=None,
        fake_time=fake_time,
        max_workers=1,
    )
    assert result.total_records == 40
    assert result.total_throttles == 2
    assert sum(s.throttles for s in result.stats.values()) == 2
    assert any(s >= 0.2 for s in fake_time.slept)


def test_get_records_calls_per_shard_are_paced(kinesis: Any, staging: Any, fake_time: FakeTime):
    kinesis.create_stream(StreamName="paced", ShardCount=1)
    put_many(kinesis, "paced", [f"r{i}".encode() for i in range(50)])
    calls: list[float] = []

    class Recording(ScriptedErrors):
        def __getattr__(self, name: str) -> Any:
            if name == "get_records":
                calls.append(fake_time.clock())
            return super().__getattr__(name)

    stage_iteration(
        Recording(kinesis, {}),
        staging,
        "paced",
        logical="paced",
        iteration=0,
        previous=None,
        fake_time=fake_time,
        stop=StopPolicy(batch_size=10),
    )
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert len(calls) >= 6
    assert all(gap >= 0.2 - 1e-9 for gap in gaps)


def test_expired_iterator_is_refused_naming_shard_and_iteration(
    kinesis: Any, stream4: str, staging: Any
):
    put_many(kinesis, stream4, [b"x"] * 8)
    expiring = ScriptedErrors(kinesis, {"get_records": ["ExpiredIteratorException"]})
    with pytest.raises(Refused, match="expired") as caught:
        stage_iteration(
            expiring, staging, stream4, logical="clicks", iteration=7, previous=None, max_workers=1
        )
    assert "shardId-" in str(caught.value) and "iteration 7" in str(caught.value)
    assert not local_path(staging, "clicks", 7).exists()


def test_trimmed_start_sequence_number_is_refused(kinesis: Any, stream4: str, staging: Any):
    put_many(kinesis, stream4, [b"x"] * 8)
    first = stage_iteration(kinesis, staging, stream4, logical="clicks", iteration=0, previous=None)
    trimmed = ScriptedErrors(kinesis, {"get_shard_iterator": ["InvalidArgumentException"]})
    with pytest.raises(Refused, match="iteration 1"):
        stage_iteration(
            trimmed, staging, stream4, logical="clicks", iteration=1, previous=first.boundaries
        )


def test_rerun_refuses_when_its_first_record_has_expired(kinesis: Any, staging: Any):
    kinesis.create_stream(StreamName="one", ShardCount=1)
    put_many(kinesis, "one", [f"r{i}".encode() for i in range(10)])
    first = stage_iteration(kinesis, staging, "one", logical="one", iteration=0, previous=None)
    (boundary,) = first.boundaries.values()
    # As if retention trimmed records 1-3: the stream now starts later than the recorded first.
    boundary.first, boundary.start_after = "0", None
    with pytest.raises(Refused, match="expired"):
        stage_iteration(
            kinesis,
            staging,
            "one",
            logical="one",
            iteration=0,
            previous=None,
            exact=first.boundaries,
        )


def test_record_cap_is_per_shard_and_the_rest_comes_next_iteration(kinesis: Any, staging: Any):
    kinesis.create_stream(StreamName="capped", ShardCount=1)
    put_many(kinesis, "capped", [f"r{i}".encode() for i in range(25)])
    policy = StopPolicy(max_records=10, batch_size=7)
    previous = None
    sizes = []
    for iteration in range(4):
        result = stage_iteration(
            kinesis,
            staging,
            "capped",
            logical="capped",
            iteration=iteration,
            previous=previous,
            stop=policy,
        )
        sizes.append(result.total_records)
        previous = result.boundaries
    assert sizes == [10, 10, 5, 0]
    lines = [line for i in range(3) for line in partition_lines(local_path(staging, "capped", i))]
    assert lines == [f"r{i}" for i in range(25)]


def test_nodata_timeout_keeps_polling_until_silence(
    kinesis: Any, staging: Any, fake_time: FakeTime
):
    kinesis.create_stream(StreamName="quiet", ShardCount=1)
    put_many(kinesis, "quiet", [b"only"])
    started = fake_time.clock()
    result = stage_iteration(
        kinesis,
        staging,
        "quiet",
        logical="quiet",
        iteration=0,
        previous=None,
        fake_time=fake_time,
        stop=StopPolicy(nodata_timeout=2.0),
    )
    (stats,) = result.stats.values()
    assert stats.records == 1
    assert fake_time.clock() - started >= 2.0
    assert stats.calls >= 10


def test_latest_first_iteration_skips_old_records_and_misses_none_after(
    kinesis: Any, stream4: str, staging: Any
):
    put_many(kinesis, stream4, [f"old-{i}".encode() for i in range(12)])
    import time

    time.sleep(0.05)
    first = stage_iteration(
        kinesis, staging, stream4, logical="clicks", iteration=0, previous=None, initial=LATEST
    )
    assert first.total_records == 0
    put_many(kinesis, stream4, [f"new-{i}".encode() for i in range(12)])
    second = stage_iteration(
        kinesis, staging, stream4, logical="clicks", iteration=1, previous=first.boundaries
    )
    assert sorted(partition_lines(local_path(staging, "clicks", 1))) == sorted(
        f"new-{i}" for i in range(12)
    )
    assert second.total_records == 12


def test_a_failing_shard_stops_the_read_and_stages_nothing(kinesis: Any, stream4: str, tmp_path):
    put_many(kinesis, stream4, [b"fine"] * 30 + [b"bad\nrecord"])
    staging = open_staging(f"file://{tmp_path / 's'}")
    with (
        pytest.raises(JobFailed, match="line break"),
        staging.partition("clicks", 0, "lines") as writer,
    ):
        read_iteration(
            kinesis, stream4, iteration=0, previous=None, writer=writer, echo=lambda _l: None
        )
    assert list((tmp_path / "s" / "clicks").iterdir()) == []


def test_iteration_read_reports_totals_and_arrival_times(kinesis: Any, stream4: str, staging):
    put_many(kinesis, stream4, [b"abc"] * 10)
    result: IterationRead = stage_iteration(
        kinesis, staging, stream4, logical="clicks", iteration=0, previous=None
    )
    assert result.total_bytes == 30
    read = [s for s in result.stats.values() if s.records]
    assert read and all(s.first_arrival and s.first_arrival.endswith("Z") for s in read)
    assert json.loads(json.dumps(result.boundaries_dict()))


def test_iteration_timeout_stops_a_shard_still_waiting_for_data(
    kinesis: Any, staging: Any, fake_time: FakeTime
):
    kinesis.create_stream(StreamName="slow", ShardCount=1)
    put_many(kinesis, "slow", [b"one"])
    started = fake_time.clock()
    result = stage_iteration(
        kinesis,
        staging,
        "slow",
        logical="slow",
        iteration=0,
        previous=None,
        fake_time=fake_time,
        stop=StopPolicy(nodata_timeout=600.0, iteration_timeout=3.0),
    )
    assert result.total_records == 1
    assert 3.0 <= fake_time.clock() - started < 4.0


def test_progress_goes_to_echo_one_line_per_shard(kinesis: Any, stream4: str, staging: Any):
    put_many(kinesis, stream4, [b"r"] * 8)
    lines: list[str] = []
    with staging.partition("clicks", 0, "lines") as writer:
        read_iteration(
            kinesis,
            stream4,
            iteration=0,
            previous=None,
            writer=writer,
            echo=lines.append,
            min_call_interval=0.0,
        )
    assert lines[0].startswith("iteration 0 of clicks: reading 4 shard(s)")
    assert sum(line.strip().startswith("shardId-") for line in lines) == 4


def test_retries_botocore_made_itself_are_counted_as_throttles(
    kinesis: Any, staging: Any, fake_time: FakeTime
):
    kinesis.create_stream(StreamName="retried", ShardCount=1)
    put_many(kinesis, "retried", [b"r"] * 3)

    class BotocoreRetried(ScriptedErrors):
        def __getattr__(self, name: str) -> Any:
            call = super().__getattr__(name)
            if name != "get_records":
                return call

            def with_retries(**kwargs: Any) -> Any:
                response = call(**kwargs)
                response["ResponseMetadata"]["RetryAttempts"] = 2
                return response

            return with_retries

    result = stage_iteration(
        BotocoreRetried(kinesis, {}),
        staging,
        "retried",
        logical="r",
        iteration=0,
        previous=None,
        fake_time=fake_time,
    )
    (stats,) = result.stats.values()
    assert stats.throttles == 2 * stats.calls and stats.calls >= 2
