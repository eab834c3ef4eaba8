"""Record formats and KPL de-aggregation, without any AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator

from kiter.errors import JobFailed, UsageError
from kiter.stream.formats import RecordFormat, deaggregate, iso_utc

WHEN = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def record(data: bytes, seq: str = "7", pk: str = "pk") -> dict[str, object]:
    return {
        "Data": data,
        "SequenceNumber": seq,
        "PartitionKey": pk,
        "ApproximateArrivalTimestamp": WHEN,
    }


def test_lines_format_writes_one_line_per_record():
    out = RecordFormat("lines").encode([record(b"a"), record("é".encode())], "shardId-1")
    assert out == "a\né\n".encode()


def test_jsonl_format_writes_the_documented_fields_in_a_fixed_order():
    out = RecordFormat("jsonl").encode([record(b'say "hi"\n', seq="42")], "shardId-3")
    assert out.endswith(b"\n") and out.count(b"\n") == 1
    assert json.loads(out) == {
        "data": 'say "hi"\n',
        "partition_key": "pk",
        "sequence_number": "42",
        "arrival_time": "2024-05-01T12:00:00.123Z",
        "shard": "shardId-3",
    }
    assert list(json.loads(out)) == [
        "data",
        "partition_key",
        "sequence_number",
        "arrival_time",
        "shard",
    ]


def test_lines_format_refuses_a_carriage_return_without_escaping():
    with pytest.raises(JobFailed, match=r"record 99 in shardId-2"):
        RecordFormat("lines").encode([record(b"a\rb", seq="99")], "shardId-2")


def test_escaping_also_doubles_backslashes_so_it_can_be_undone():
    out = RecordFormat("lines", escape_newlines=True).encode(
        [record(b"c:\\dir"), record(b"x\ny")], "s"
    )
    assert out == b"c:\\\\dir\nx\\ny\n"


def test_non_utf8_data_is_a_job_failure_naming_the_record():
    with pytest.raises(JobFailed, match="record 5 in s"):
        RecordFormat("jsonl").encode([record(b"\xff\xfe", seq="5")], "s")


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError, match="csv"):
        RecordFormat("csv")  # type: ignore[arg-type]


def test_deaggregate_splits_a_kpl_record_and_keeps_its_sequence_number():
    aggregator = RecordAggregator()
    aggregator.add_user_record("k1", b"one")
    aggregator.add_user_record("k2", b"two")
    _pk, _ehk, data = aggregator.clear_and_get().get_contents()
    users = deaggregate(record(data, seq="1000"))
    assert [(u.data, u.partition_key, u.sequence_number, u.sub_sequence) for u in users] == [
        (b"one", "k1", "1000", 0),
        (b"two", "k2", "1000", 1),
    ]


def test_bytes_that_only_look_aggregated_stay_one_record():
    fake = b"\xf3\x89\x9a\xc2" + b"not protobuf" + b"0" * 16
    (user,) = deaggregate(record(fake))
    assert user.data == fake


def test_iso_utc_converts_other_zones_and_keeps_milliseconds():
    local = WHEN.astimezone(timezone(timedelta(hours=-5)))
    assert iso_utc(local) == "2024-05-01T12:00:00.123Z"
    assert iso_utc(None) is None


@pytest.mark.parametrize(
    "text", ["plain", 'quote " and \\ slash', "tab\tnew\nline", "ctrl \x01\x1f", "ünï 😀 \u2028"]
)
def test_jsonl_rows_equal_what_json_dumps_writes(text: str):
    out = RecordFormat("jsonl").encode([record(text.encode(), pk=text)], "shardId-0")
    expected = {
        "data": text,
        "partition_key": text,
        "sequence_number": "7",
        "arrival_time": "2024-05-01T12:00:00.123Z",
        "shard": "shardId-0",
    }
    assert out == json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def test_lines_fast_path_and_slow_path_agree_on_escaping():
    fmt = RecordFormat("lines", escape_newlines=True)
    batch = [record(b"a"), record(b"b\\c"), record(b"d\ne")]
    assert fmt.encode(batch, "s") == b"".join(fmt.encode([r], "s") for r in batch)
    assert fmt.encode(batch, "s") == b"a\nb\\\\c\nd\\ne\n"
