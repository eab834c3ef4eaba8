"""The staging layout: where a staged iteration of a logical name lives under a staging root.

`<root>/<logical>/iteration=<N>/<shard>.<ext>`, one partition per iteration, in the folder names
Hive's partition discovery reads; what is staged beside the stream's records (the campaign
snapshot) lives under `<root>/<logical>-campaigns/iteration=<N>/`. Names starting with `_` are
work in progress (Hive and Spark skip them). Pure names: nothing here touches a file.
"""

from __future__ import annotations


def partition_name(iteration: int) -> str:
    """The folder of one iteration: `iteration=<N>`."""
    return f"iteration={int(iteration)}"


def table_url(root: str, logical: str) -> str:
    """Where every staged iteration of a logical name lives (a partitioned table's location)."""
    return f"{root.rstrip('/')}/{logical}"


def partition_url(root: str, logical: str, iteration: int) -> str:
    """Where one staged iteration lives."""
    return partition_in(table_url(root, logical), iteration)


def partition_in(table: str, iteration: int) -> str:
    """Where one staged iteration lives in the table at `table` (a `table_url`)."""
    return f"{table}/{partition_name(iteration)}"


def campaigns_logical(logical: str) -> str:
    """The name the campaign snapshot staged with each iteration of `logical` is kept under."""
    return f"{logical}-campaigns"


def temporary_prefix(iteration: int) -> str:
    """What a partition being written is named first (`_tmp-iteration=<N>-<unique>`)."""
    return f"_tmp-{partition_name(iteration)}-"


def replaced_prefix(iteration: int) -> str:
    """What a partition being replaced is renamed to before it is deleted."""
    return f"_old-{partition_name(iteration)}-"
