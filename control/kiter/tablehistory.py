"""Which checkpoint table a logical name's connector iterations ran under, and the refusal to move
it silently.

The connector finds where iteration N-1 ended in its checkpoint table: a logical name that ran
under one table and goes on under another starts over without a word. Every connector iteration
kiter records keeps its table (`checkpoint_table` in its stats); before a submit, the job's table
must be the one of the logical name's latest such iteration. This room only reads the ledger.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiter.errors import Refused

if TYPE_CHECKING:
    from kiter.metastore.ledger import Ledger
    from kiter.metastore.records import IterationRecord
    from kiter.project import JobConfig

# How many of the newest records are read to find the latest connector iteration.
_LOOK_BACK = 50


def recorded_table(record: IterationRecord, project_table: str) -> str | None:
    """The checkpoint table a SUCCEEDED connector iteration ran under; None for any other record.

    A connector iteration recorded before kiter kept the table ran under the project's table
    (no job could name another); a staged one (its records counted) used no connector table.
    """
    if record.state != "SUCCEEDED":
        return None
    table = record.stats.get("checkpoint_table")
    if isinstance(table, str) and table:
        return table
    if record.shards or "records" in record.stats:
        return None
    return project_table


def refuse_table_move(ledger: Ledger, job: JobConfig, project_table: str) -> None:
    """Refused (exit 4) when the job's connector table is not the one its logical name's latest
    connector iteration ran under."""
    if job.mode != "connector":
        return
    wanted = job.checkpoint_table or project_table
    for record in ledger.history(job.logical_name, newest_first=True, limit=_LOOK_BACK):
        table = recorded_table(record, project_table)
        if table is None:
            continue
        if table != wanted:
            raise Refused(
                f"job {job.name}: iteration {record.iteration} of {job.logical_name} ran under "
                f"checkpoint table {table}, and the job now names {wanted}: the connector would "
                f'not find where it ended. Set jobs.{job.name}.checkpoint_table = "{table}" '
                "back, or give the job a new logical_name to start over in the new table"
            )
        return
