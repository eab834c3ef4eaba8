"""How much capacity a project's checkpoint table needs, from its jobs and streams.

EMR's guidance: with j the most concurrent jobs (distinct logical names running at once) and s the
most shards any job reads, read capacity = ceil(j*s/5) and write capacity = j*s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kiter.aws import error_code, in_region, service_error
from kiter.errors import UsageError
from kiter.metastore.table import TableInfo, required_capacity


@dataclass(frozen=True)
class Sizing:
    jobs: int
    shards: int
    read: int
    write: int
    basis: str  # where j and s came from

    def explain(self) -> str:
        return (
            f"read = ceil(j*s/5) = ceil({self.jobs}*{self.shards}/5) = {self.read}, "
            f"write = j*s = {self.jobs}*{self.shards} = {self.write} ({self.basis})"
        )


def open_shards(kinesis: Any, stream: str) -> int:
    """The open shard count of `stream`."""
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise UsageError(
                f"stream {stream!r} does not exist{in_region(kinesis)}: pass --shards S (or --on-demand) to size the "
                "table without it"
            ) from None
        raise service_error(exc, f"describe stream {stream}") from exc
    return int(summary["OpenShardCount"])


def size_for(
    logical_names: Iterable[str],
    streams: Iterable[str],
    kinesis: Any,
    *,
    jobs: int | None = None,
    shards: int | None = None,
) -> Sizing:
    """Sizing from --jobs/--shards where given, else from a project's logical names and streams."""
    basis = []
    if jobs is None:
        jobs = max(1, len(set(logical_names)))
        basis.append(f"j = {jobs} logical names in kiter.toml")
    else:
        basis.append("j from --jobs")
    if shards is None:
        counts = {stream: open_shards(kinesis, stream) for stream in sorted(set(streams))}
        shards = max(counts.values(), default=1)
        basis.append(
            "s = most open shards of " + ", ".join(f"{k} ({v})" for k, v in counts.items())
            if counts
            else "s = 1, no streams"
        )
    else:
        basis.append("s from --shards")
    read, write = required_capacity(jobs, shards)
    return Sizing(jobs, shards, read, write, "; ".join(basis))


def jobs_sized_for(info: TableInfo, shards: int) -> int | None:
    """How many jobs over `shards` shards each may run at once on the table's capacity, by EMR's
    guidance (read >= j*s/5, write >= j*s); None for an on-demand table (no bound)."""
    if info.on_demand:
        return None
    shards = max(1, shards)
    return max(0, min(info.write // shards, (5 * info.read) // shards))


def parallelism(requested: int | None, jobs: int, sized_for: int | None) -> tuple[int, str | None]:
    """How many jobs `kiter run` runs at once, and a warning when that exceeds what the table
    was sized for. Default: every job, within what the table holds (at least one)."""
    if requested is None:
        bound = jobs if sized_for is None else min(jobs, sized_for)
        return max(1, bound), None
    if sized_for is not None and requested > sized_for:
        return requested, (
            f"--max-parallel {requested} exceeds the {sized_for} concurrent job(s) the checkpoint "
            "table's capacity was sized for (read j*s/5, write j*s): expect throttling, or "
            "`kiter metastore create --update-capacity --jobs N`"
        )
    return requested, None
