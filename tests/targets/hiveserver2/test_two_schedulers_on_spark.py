"""Two `kiter run` processes share one project's schedule through the ledger, on Spark's
HiveServer2 with file:// staging; one is killed (-9) in the middle of an iteration and the other
takes that iteration over after its lease and finishes the schedule.

Every run records itself on the engine (a row per run, see `counting_project`), so "every
iteration once" is counted where it happened, not inferred from the ledger.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiter.aws import Aws, AwsSettings
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter_support import stopped

from .conftest import ThriftServer, counting_project

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEASE = 10
ROUNDS = 4


def test_two_schedulers_share_a_schedule_and_survive_the_loss_of_one(
    thrift_server: ThriftServer, moto_endpoint: str, tmp_path: Path, unique: str
) -> None:
    starts = f"kiter_runs_{unique}"
    spark = thrift_server.target()
    spark.query(f"CREATE TABLE {starts} (logical STRING, iteration INT, records BIGINT)")
    aws = Aws(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    stream = f"shared-{unique}"
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    logical = f"shared_{unique}"
    counting_project(
        tmp_path,
        endpoint=moto_endpoint,
        port=thrift_server.port,
        stream=stream,
        jobs={"shared": logical},
        starts=starts,
        lease=LEASE,
    )
    put = 0
    done = threading.Event()

    def traffic() -> None:  # records keep arriving while the schedule runs
        nonlocal put
        while not done.wait(0.2):
            kinesis.put_record(StreamName=stream, Data=f"r{put}".encode(), PartitionKey=str(put))
            put += 1

    feeder = threading.Thread(target=traffic, daemon=True)
    feeder.start()
    run = [sys.executable, "-m", "kiter", "-C", str(tmp_path), "run", "shared"]
    schedule = ["--every", "2s", "--iterations", str(ROUNDS)]
    # The first stops itself in the middle of iteration 0, to be killed there; the second starts
    # while it holds that iteration (started earlier, it might finish the schedule first).
    doomed = subprocess.Popen(
        [*run, *schedule],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"KITER_PAUSE_AT": "after-render"},
    )
    survivor = None
    try:
        deadline = time.monotonic() + 120
        while not stopped(doomed.pid):
            assert doomed.poll() is None and time.monotonic() < deadline, "never paused"
            time.sleep(0.1)
        survivor = subprocess.Popen([*run, *schedule], stderr=subprocess.PIPE, text=True)
        time.sleep(2)  # the survivor finds iteration 0 held: a tick skipped, not a failure
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
        _, survived = survivor.communicate(timeout=240)
    finally:
        done.set()
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                process.kill()
    assert survivor.returncode == 0, survived

    ledger = Ledger(
        aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey", owner=Owner.current()
    )
    history = ledger.history(logical)
    assert [r.iteration for r in history] == list(range(len(history)))  # contiguous
    assert len(history) >= ROUNDS
    assert {r.state for r in history} == {"SUCCEEDED"}  # every outcome recorded
    assert history[0].attempts == 2  # the killed holder's iteration, taken over
    runs = spark.query(f"SELECT iteration, COUNT(*) FROM {starts} GROUP BY iteration").rows
    assert sorted((int(i), int(n)) for i, n in runs) == [(r.iteration, 1) for r in history]
    staged: list[str] = []
    for record in history:
        folder = tmp_path / "staging" / logical / f"iteration={record.iteration}"
        staged += [line for f in sorted(folder.iterdir()) for line in f.read_text().split()]
    assert len(staged) == len(set(staged))  # no record read by two iterations
    # While the killed holder's lease ran, the survivor skipped its ticks: not failures.
    assert f"iteration 0 of {logical} is running on" in survived
    assert "giving up" not in survived and "retry 1" not in survived
