"""How many jobs `kiter run` runs at once, by the checkpoint table's capacity (EMR's guidance)."""

from __future__ import annotations

from kiter.metastore.sizing import jobs_sized_for, parallelism
from kiter.metastore.table import TableInfo


def _table(billing: str = "PROVISIONED", read: int = 10, write: int = 10) -> TableInfo:
    return TableInfo(
        name="t",
        hash_key="HashKey",
        hash_type="S",
        range_key="RangeKey",
        range_type="S",
        billing_mode=billing,
        read=read,
        write=write,
        status="ACTIVE",
        item_count=0,
    )


def test_a_provisioned_table_holds_as_many_jobs_as_its_scarcer_capacity_allows() -> None:
    # write >= j*s and read >= j*s/5: 10 write units over 2 shards hold 5 jobs, 1 read unit 2.
    assert jobs_sized_for(_table(read=10, write=10), shards=2) == 5
    assert jobs_sized_for(_table(read=1, write=10), shards=2) == 2
    assert jobs_sized_for(_table(read=10, write=1), shards=4) == 0


def test_an_on_demand_table_sets_no_bound() -> None:
    assert jobs_sized_for(_table(billing="PAY_PER_REQUEST", read=0, write=0), shards=8) is None


def test_by_default_every_job_runs_at_once_within_the_table_and_never_none() -> None:
    assert parallelism(None, jobs=12, sized_for=None) == (12, None)
    assert parallelism(None, jobs=12, sized_for=4) == (4, None)
    assert parallelism(None, jobs=12, sized_for=0) == (1, None)


def test_asking_for_more_than_the_table_was_sized_for_is_warned_about_not_refused() -> None:
    workers, warning = parallelism(8, jobs=12, sized_for=4)
    assert workers == 8
    assert warning is not None and "exceeds the 4 concurrent job(s)" in warning
    assert parallelism(3, jobs=12, sized_for=4) == (3, None)
