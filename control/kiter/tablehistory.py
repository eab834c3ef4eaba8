"""Which checkpoint table a logical name's connector iterations ran under, and the refusal to move
it silently.

The connector finds where iteration N-1 ended in its checkpoint table: a logical name that ran
under one table and goes on under another starts over without a word. Every connector iteration
kiter records keeps its table (`checkpoint_table` in its stats); before a submit, the job's table
must be the one of the logical name's latest such iteration. This room only reads the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from kiter.errors import Refused

if TYPE_CHECKING:
    from kiter.metastore.ledger import Claim, Ledger
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


def refuse_table_move(
    ledger: Ledger,
    job: JobConfig,
    project_table: str,
    claim: Claim | None = None,
) -> None:
    """Refused (exit 4) when the job's connector table is not the one its logical name's latest
    connector iteration ran under.

    With the `claim` of the next iteration, what the claim read decides when it can (the
    iteration before it, the newest that SUCCEEDED; none before iteration 0), without reading
    the history again: one call less on every submit.
    """
    if job.mode != "connector":
        return
    wanted = job.checkpoint_table or project_table
    for record in _newest_first(ledger, job.logical_name, project_table, claim):
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


def _newest_first(
    ledger: Ledger, logical: str, project_table: str, claim: Claim | None
) -> Iterable[IterationRecord]:
    if claim is not None and claim.advances:
        # Iterations run in order: the one before the next is the newest that SUCCEEDED.
        previous = claim.previous
        if previous is not None and recorded_table(previous, project_table) is not None:
            return [previous]
        if previous is None and claim.iteration == 0:
            return []
    return ledger.history(logical, newest_first=True, limit=_LOOK_BACK)
