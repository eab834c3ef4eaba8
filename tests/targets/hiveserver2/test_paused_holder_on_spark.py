"""A real `kiter submit` stopped past its lease at each phase of a staged iteration on file://
staging, while a second process takes the iteration over and runs it on Spark's HiveServer2.

The engine records its starts: every run of the job inserts a row into a table, so a paused
holder that started its script after all would leave a second row. HiveServer2 cannot find a run
of another process (there is no tag to look for), so nothing but the fence stops a double start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.aws import Aws, AwsSettings
from kiter.metastore.table import CheckpointTable
from kiter_support import kiter_process, paused_holders

from .conftest import ThriftServer, counting_project

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEASE = 10
POINTS = ("after-claim", "after-read", "after-stage", "after-render", "before-start")


def test_a_holder_paused_past_its_lease_at_any_phase_starts_nothing_on_hiveserver2(
    thrift_server: ThriftServer, moto_endpoint: str, tmp_path: Path, unique: str
) -> None:
    starts = f"kiter_starts_{unique}"
    spark = thrift_server.target()
    spark.query(f"CREATE TABLE {starts} (logical STRING, iteration INT, records BIGINT)")
    aws = Aws(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    kinesis = aws.client("kinesis")
    stream = f"paused-{unique}"  # moto's state outlives a test in this process
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    for i in range(20):
        kinesis.put_record(StreamName=stream, Data=f"line {i}".encode(), PartitionKey=str(i))
    counting_project(
        tmp_path,
        endpoint=moto_endpoint,
        port=thrift_server.port,
        stream=stream,
        jobs={_job(point): f"{_job(point)}_{unique}" for point in POINTS},
        starts=starts,
        lease=LEASE,
    )
    for point in POINTS:
        # Staged once: the paused holder's read is a rerun of exact boundaries, which writes
        # nothing to the ledger before the script starts.
        staged = kiter_process(tmp_path, "stage", _job(point))
        assert staged.returncode == 0, staged.stderr

    results = paused_holders(
        tmp_path,
        {point: ["submit", _job(point)] for point in POINTS},
        lease=LEASE,
        take_over=lambda point: kiter_process(tmp_path, "submit", _job(point)),
    )

    ran = spark.query(f"SELECT logical, COUNT(*), MAX(records) FROM {starts} GROUP BY logical")
    runs = {str(logical): (int(count), int(records)) for logical, count, records in ran.rows}
    wrong = {}
    for point, (paused, second) in results.items():
        last = paused.stderr.strip().splitlines()[-1]
        seen = (runs.get(f"{_job(point)}_{unique}"), paused.returncode, second.returncode)
        lost = last.startswith("kiter: error: lost the lease on iteration 0")
        if seen != ((1, 20), 3, 0) or not lost or "started nothing" not in last:
            wrong[point] = (*seen, last, second.stderr[-300:] if second.returncode else "")
    assert wrong == {}


def _job(point: str) -> str:
    return point.replace("-", "_")
