"""Helpers shared by the stream tests (imported as a module: tests/stream is on sys.path)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kiter_support import FakeTime

__all__ = ["FakeTime"]


def wait_active(client: Any, stream: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        if status["StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise TimeoutError(f"stream {stream} did not become ACTIVE")


def put_many(client: Any, stream: str, payloads: list[bytes]) -> None:
    """Put records in batches of 500, partition keys spread so every shard gets some."""
    for start in range(0, len(payloads), 500):
        chunk = payloads[start : start + 500]
        response = client.put_records(
            StreamName=stream,
            Records=[
                {"Data": data, "PartitionKey": f"pk-{start + i}"} for i, data in enumerate(chunk)
            ],
        )
        assert response.get("FailedRecordCount", 0) == 0


def read_partition(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def partition_lines(folder: Path) -> list[str]:
    return [line for data in read_partition(folder).values() for line in data.decode().splitlines()]


def stage_iteration(
    client: Any,
    staging: Any,
    stream: str,
    *,
    logical: str,
    iteration: int,
    previous: Any = None,
    exact: Any = None,
    fmt: Any = "lines",
    fake_time: FakeTime | None = None,
    **kwargs: Any,
) -> Any:
    """Read one iteration into `staging` and commit it; returns the IterationRead."""
    from kiter.stream.reader import read_iteration

    clock = fake_time or FakeTime()
    with staging.partition(logical, iteration, fmt) as writer:
        result = read_iteration(
            client,
            stream,
            iteration=iteration,
            previous=previous,
            exact=exact,
            writer=writer,
            echo=lambda _line: None,
            clock=clock.clock,
            sleep=clock.sleep,
            **kwargs,
        )
    return result


def local_path(staging: Any, logical: str, iteration: int) -> Path:
    return Path(staging.root) / logical / f"iteration={iteration}"
