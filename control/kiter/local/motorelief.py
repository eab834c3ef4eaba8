"""Keep the long-running local moto server (kiter.local.motoserver) from growing without bound.

Written against moto 5.2.5 (pinned in pyproject.toml); tests/local/test_motorelief.py holds
canaries that fail when moto's internals change, so an upgrade cannot silently bring the leak back.

What moto keeps for ever or does in O(everything), and what this module does about each:

1. The model registry. ``moto.core.common_models.BaseModel.__new__`` appends every model
   instance it creates (every DynamoDB ``Item`` - including each deepcopy that query, update_item
   and transact_write_items make - every ``Table`` copy, every Kinesis ``Record``, every S3
   ``FakeKey``, every CloudWatch ``MetricDatum``...) to ``cls.instances_tracked``, a class-level
   list only emptied by ``/moto-api/reset``. ``stop_model_tracking()`` replaces ``__new__`` so
   nothing is appended any more; ``clear_model_registry()`` empties the lists (periodic variant).

2. Kinesis shards. ``Shard.records`` is an OrderedDict that is never trimmed, and
   ``get_max_sequence_number`` (called by every put_record) builds ``list(self.records.keys())``,
   ``get_records`` scans from the first record: both O(records ever put on the shard).
   ``patch_kinesis_shard()`` makes both O(1)/O(returned); ``trim_kinesis()`` drops records older
   than the stream's retention period (always keeping each shard's newest record, since moto
   numbers the next record max+1 and would restart at 1 on an empty shard).

3. CloudWatch. Every Kinesis put_record/put_records also calls CloudWatch put_metric_data
   (2 ``MetricDatum`` per call) into ``CloudWatchBackend.metric_data``, a list never trimmed.
   ``trim_cloudwatch()`` drops data points older than ``keep_seconds``.

4. DynamoDB. ``transact_write_items`` deep-copies every table it names (for its rollback) and
   ``Table.query`` sorts the whole table: both O(table) per request, so the ledger's per-iteration
   cost grew with its history. ``kiter.local.motodynamodb`` makes them O(what they touch);
   ``install()`` switches it on.

Call ``install()`` once at start-up and ``relieve()`` periodically with the server's request
lock held (moto's backends have no locks of their own).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from moto.core.common_models import BaseModel

CLOUDWATCH_KEEP_SECONDS = 3 * 3600  # CloudWatch's own retention for high-resolution data

_original_new = BaseModel.__dict__["__new__"]  # KeyError here: moto changed the registry


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    # What BaseModel.__new__ does, minus ``cls.instances_tracked.append(instance)``.
    return super(BaseModel, cls).__new__(cls)  # type: ignore[misc]  # cls is a BaseModel


def stop_model_tracking() -> None:
    """From now on, model instances are no longer kept in ``cls.instances_tracked``."""
    BaseModel.__new__ = staticmethod(_untracked_new)  # type: ignore[method-assign]


def restore_model_tracking() -> None:
    BaseModel.__new__ = _original_new  # type: ignore[method-assign]


def tracked_classes() -> list[type]:
    """Every loaded BaseModel subclass (model_data misses same-named classes of one service)."""
    seen: list[type] = []
    stack = [BaseModel]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                stack.append(sub)
    return seen


def registry_size() -> int:
    return sum(len(c.__dict__.get("instances_tracked", ())) for c in tracked_classes())


def clear_model_registry() -> int:
    """Empty every ``instances_tracked`` list; returns how many references were dropped."""
    dropped = 0
    for cls in tracked_classes():
        tracked = cls.__dict__.get("instances_tracked")
        if tracked:
            dropped += len(tracked)
            tracked.clear()
    return dropped


# ---- Kinesis ---------------------------------------------------------------------------------


def _max_seq(self: Any) -> int:
    return next(reversed(self.records)) if self.records else 0


def _min_seq(self: Any) -> int:
    return next(iter(self.records)) if self.records else 0


_original_get_records: Any = None


def _get_records(self: Any, last_sequence_id: str, limit: int | None) -> tuple[list, int, int]:
    """moto's Shard.get_records, starting at last+1 instead of scanning from the first record.

    moto numbers a shard's records 1, 2, 3... (put_record uses max + 1; split/merge re-put),
    and trim_kinesis only removes from the front, so the keys are contiguous; if they are not,
    fall back to moto's own loop.
    """
    records = self.records
    last = int(last_sequence_id)
    if not records:
        return [], last, 0
    first, final = next(iter(records)), next(reversed(records))
    if final - first + 1 != len(records):
        return _original_get_records(self, last_sequence_id, limit)
    newest = records[final].created_at
    results: list = []
    behind = 0.0
    seq = max(last + 1, first)
    while seq <= final:
        record = records[seq]
        results.append(record)
        last = seq
        behind = newest - record.created_at
        if len(results) == limit:
            break
        seq += 1
    return results, last, int(behind * 1000)


def patch_kinesis_shard() -> None:
    global _original_get_records
    from moto.kinesis.models import Shard

    for name in ("get_max_sequence_number", "get_min_sequence_number", "get_records"):
        assert name in Shard.__dict__, f"moto's kinesis Shard has no {name} any more"
    if _original_get_records is None:
        _original_get_records = Shard.get_records
    Shard.get_max_sequence_number = _max_seq  # type: ignore[method-assign]
    Shard.get_min_sequence_number = _min_seq  # type: ignore[method-assign]
    Shard.get_records = _get_records  # type: ignore[method-assign]


def trim_kinesis(now: float | None = None, keep_seconds: float | None = None) -> int:
    """Drop records older than each stream's retention (or keep_seconds); keep the newest."""
    from moto.kinesis.models import kinesis_backends

    now = time.time() if now is None else now
    dropped = 0
    backend: Any
    for _account, _region, backend in kinesis_backends.iter_backends():
        for stream in backend.streams.values():
            keep = (
                keep_seconds if keep_seconds is not None else stream.retention_period_hours * 3600
            )
            horizon = now - keep
            for shard in stream.shards.values():
                records = shard.records
                while len(records) > 1:
                    seq = next(iter(records))
                    if records[seq].created_at >= horizon:
                        break
                    del records[seq]
                    dropped += 1
    return dropped


# ---- CloudWatch ------------------------------------------------------------------------------


def _epoch(ts: Any) -> float:
    # moto stores naive UTC datetimes (moto.core.utils.utcnow); a caller's Timestamp may be aware.
    if isinstance(ts, datetime):
        return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp()
    return float(ts)


def trim_cloudwatch(now: float | None = None, keep_seconds: float = CLOUDWATCH_KEEP_SECONDS) -> int:
    """Drop put_metric_data points (Kinesis puts make 2 each) older than keep_seconds."""
    from moto.cloudwatch.models import cloudwatch_backends

    now = time.time() if now is None else now
    dropped = 0
    backend: Any
    for _account, _region, backend in cloudwatch_backends.iter_backends():
        data = backend.metric_data
        kept = [m for m in data if _epoch(m.timestamp) >= now - keep_seconds]
        if len(kept) != len(data):
            dropped += len(data) - len(kept)
            backend.metric_data = kept
    return dropped


# ---- what the server calls -------------------------------------------------------------------


def install() -> None:
    """Once, before serving: stop the registry, make Kinesis puts and reads O(1)/O(returned),
    DynamoDB transactions and queries O(the items they touch)."""
    from kiter.local import motodynamodb

    stop_model_tracking()
    patch_kinesis_shard()
    motodynamodb.install()


def relieve(now: float | None = None) -> dict[str, int]:
    """Periodically, with the server's request lock held: what was dropped, by kind."""
    return {
        "registry": clear_model_registry(),
        "kinesis": trim_kinesis(now),
        "cloudwatch": trim_cloudwatch(now),
    }
