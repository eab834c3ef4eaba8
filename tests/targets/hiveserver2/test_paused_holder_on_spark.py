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

from .conftest import ThriftServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEASE = 10
POINTS = ("after-claim", "after-read", "after-stage", "after-render", "before-start")

TEMPLATE = """\
{% import "kiter/hive.j2" as kiter with context -%}
{% set source = kiter.table_name("lines") -%}
{{ kiter.preamble() }}

{{ kiter.source_table(source, ["line STRING"]) }}

INSERT INTO {{ vars.starts }}
SELECT '{{ logical_name }}', {{ iteration }}, COUNT(*) FROM {{ source }}
WHERE {{ kiter.this_iteration() }};
"""


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
    kinesis.create_stream(StreamName="lines", ShardCount=2)
    for i in range(20):
        kinesis.put_record(StreamName="lines", Data=f"line {i}".encode(), PartitionKey=str(i))
    (tmp_path / "hiveql").mkdir()
    (tmp_path / "hiveql" / "starts.hql.j2").write_text(TEMPLATE, encoding="utf-8")
    project = (
        f'[aws]\nregion = "us-east-1"\nendpoint_url = "{moto_endpoint}"\n'
        f"[metastore]\nlease_seconds = {LEASE}\n"
        f'[staging]\nlocation = "{(tmp_path / "staging").as_uri()}"\n'
        f'[targets.spark]\nkind = "hiveserver2"\nhost = "127.0.0.1"\nport = {thrift_server.port}\n'
    )
    for point in POINTS:
        project += (
            f'[jobs.{_job(point)}]\nengine = "hive"\ntemplate = "starts.hql.j2"\n'
            f'stream = "lines"\ntarget = "spark"\nmode = "staged"\n'
            f'logical_name = "{_job(point)}_{unique}"\nvars = {{ starts = "{starts}" }}\n'
        )
    (tmp_path / "kiter.toml").write_text(project, encoding="utf-8")
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
