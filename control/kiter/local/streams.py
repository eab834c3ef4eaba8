"""Kinesis streams on the local stack's moto server: the project's streams, and the demo's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_WAIT = {"Delay": 1, "MaxAttempts": 60}


def ensure_streams(kinesis: Any, names: Iterable[str], *, shards: int) -> list[str]:
    """Create each stream that does not exist yet; returns the names it created."""
    existing: set[str] = set()
    for page in kinesis.get_paginator("list_streams").paginate():
        existing.update(page.get("StreamNames", []))
    created = []
    for name in sorted(set(names) - existing):
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=_WAIT)
        created.append(name)
    return created


def fresh_stream(kinesis: Any, name: str, *, shards: int) -> None:
    """Create `name`, replacing a stream of that name left by an earlier run."""
    try:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
        kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig=_WAIT)
    except kinesis.exceptions.ResourceNotFoundException:
        pass
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=_WAIT)
