"""A staged read's status line: the records read so far, every shard together (moto Kinesis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stream_helpers import put_many, stage_iteration

from kiter.stream.staging import open_staging
from kiter_support import RecordedProgress

pytestmark = pytest.mark.functional


def test_a_staged_read_shows_the_records_read_so_far_across_its_shards(
    kinesis: Any, tmp_path: Path
) -> None:
    kinesis.create_stream(StreamName="clicks", ShardCount=4)
    put_many(kinesis, "clicks", [f"r{i}".encode() for i in range(1200)])
    progress = RecordedProgress()

    stage_iteration(
        kinesis,
        open_staging(f"file://{tmp_path / 'stage'}"),
        "clicks",
        logical="clicks",
        iteration=3,
        progress=progress,
    )

    counts = [int(detail.split()[0].replace(",", "")) for _, _, detail in progress.updates]
    assert counts == sorted(counts) and counts[-1] == 1200
    assert progress.updates[-1] == ("reading clicks (iteration 3)", None, "1,200 records so far")
