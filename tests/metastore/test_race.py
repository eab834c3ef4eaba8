"""Eight processes race for the next iteration of one logical name against one moto server.

moto's server answers requests on many threads with no lock around its DynamoDB backend, and a
TransactWriteItems whose condition fails restores a copy of the whole table taken when it
started, erasing writes that landed meanwhile. Real DynamoDB makes each conditional write and
transaction atomic; the server here gets the same by taking one lock per request.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from kiter.aws import Aws, AwsSettings
from kiter.errors import IterationBusy
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable

# Spawned racers import this module: keep moto out of its imports (seconds per process on 2 cores).
TABLE, HASH, RANGE = "RaceTable", "HashKey", "RangeKey"

WORKERS = 8
ROUNDS = 50


def racer(endpoint: str, index: int, rounds: int, barrier: Any, results: Any) -> None:
    """One process: every round, claim with the others; the winner succeeds once all have tried."""
    import os

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    client = Aws(AwsSettings(region="us-east-1", endpoint_url=endpoint)).client("dynamodb")
    ledger = Ledger(
        client, TABLE, HASH, RANGE, owner=Owner(f"host-{index}", os.getpid(), f"run-{index}")
    )
    try:
        for round_no in range(rounds):
            barrier.wait(timeout=60)
            try:
                claim = ledger.claim("race")
            except IterationBusy:
                claim = None
            barrier.wait(timeout=60)  # nobody succeeds before everyone has claimed
            if claim is not None:
                ledger.succeed(claim, {"round": round_no, "worker": index})
            results.put((round_no, index, None if claim is None else claim.iteration))
            barrier.wait(timeout=60)
    except BaseException as exc:
        barrier.abort()  # wake the others now rather than at their timeout
        results.put((-1, index, repr(exc)))
        raise


@pytest.fixture
def moto_endpoint(aws_env: None) -> Iterator[str]:
    from kiter.local.motoserver import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.functional
@pytest.mark.slow
def test_exactly_one_of_eight_processes_wins_each_round(moto_endpoint: str) -> None:
    client = Aws(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint)).client("dynamodb")
    CheckpointTable(client, TABLE, HASH, RANGE).create(
        on_demand=True, read=1, write=1, progress=lambda _l: None
    )
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=racer, args=(moto_endpoint, i, ROUNDS, barrier, results))
        for i in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    outcomes: list[tuple[int, int, Any]] = []
    try:
        while len(outcomes) < WORKERS * ROUNDS:
            outcomes.append(results.get(timeout=60))
            assert outcomes[-1][0] >= 0, f"racer {outcomes[-1][1]} failed: {outcomes[-1][2]}"
    except queue.Empty:
        pass
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
    assert len(outcomes) == WORKERS * ROUNDS, "a racer died or hung"
    assert all(proc.exitcode == 0 for proc in procs)
    winners = {r: it for r, _i, it in outcomes if it is not None}
    per_round = Counter(r for r, _i, it in outcomes if it is not None)
    assert per_round == Counter(dict.fromkeys(range(ROUNDS), 1)), "not exactly one winner a round"
    assert [winners[r] for r in range(ROUNDS)] == list(range(ROUNDS))
    ledger = Ledger(client, TABLE, HASH, RANGE, owner=Owner("check", 0, "check"))
    history = ledger.history("race")
    assert [(r.iteration, r.state, r.attempts) for r in history] == [
        (n, "SUCCEEDED", 1) for n in range(ROUNDS)
    ]
    assert ledger.head("race").next == ROUNDS
