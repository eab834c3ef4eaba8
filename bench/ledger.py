"""Benchmark of kiter's iteration ledger on the embedded stack's moto server, as history grows.

Starts the local stack's moto server (kiter.local.motoserver: one request at a time, moto's
memory relief on) in this process and gives one logical name 10, 1,000 and 10,000 earlier
iterations (--histories), each in a checkpoint table of its own (the whole table is history).
Then, round after round so that the machine's load falls on every row alike, it times one
iteration's ledger work on each, next to a bare put_item into the same table:
  claim (a Query of the head and two newest items + one TransactWriteItems), heartbeat,
  running, record_boundaries, succeed
and counts the DynamoDB calls (botocore's `before-call.dynamodb.*` event). A last row is a
brand-new logical name in the largest table. A history is filled the way it would stand after
that many iterations: the first through the ledger itself, the rest batch-written as copies of
its SUCCEEDED item, and the head moved past them.

Targets: per-iteration ledger time at every history size <= 1.2x the time at the first; a claim
<= 10x a bare put_item on the same server; calls per step constant.

Run: .venv/bin/python bench/ledger.py [--histories 10,1000,10000] [--iterations 30]
     [--moto-as-is]  (moto's own TransactWriteItems and Query: the before picture)
Numbers from moto measure request count and client + emulator overhead, not DynamoDB's latency.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from kiter.aws import Aws, AwsSettings
from kiter.metastore.items import HEAD, attribute
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable

HASH, RANGE = "HashKey", "RangeKey"
LOGICAL = "history"
STEPS = ("claim", "heartbeat", "running", "boundaries", "succeed")
BATCH = 25  # BatchWriteItem's limit


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _iteration(ledger: Ledger, logical: str, timed: dict[str, list[float]]) -> None:
    """One iteration's ledger work, each step timed into `timed` (ms)."""
    clock = time.perf_counter
    t0 = clock()
    claim = ledger.claim(logical)
    t1 = clock()
    claim = ledger.heartbeat(claim)
    t2 = clock()
    ledger.running(claim, "bench", "bench")
    t3 = clock()
    ledger.record_boundaries(claim, {"shardId-0": {"start": "1", "end": "2", "records": 1}})
    t4 = clock()
    ledger.succeed(claim, {"rows": 1})
    t5 = clock()
    for step, (a, b) in zip(STEPS, ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)), strict=True):
        timed[step].append((b - a) * 1000)
    timed["iteration"].append((t5 - t0) * 1000)


def fill(client: Any, ledger: Ledger, logical: str, upto: int) -> None:
    """Make `logical` stand after `upto` iterations: copies of a real item, head moved past."""
    head = ledger.head(logical)
    if head is None:
        _iteration(ledger, logical, {step: [] for step in (*STEPS, "iteration")})
        head = ledger.head(logical)
        assert head is not None
    keys, table = ledger.table.items, ledger.table.name
    template = client.get_item(TableName=table, Key=keys.item_key(logical, 0))["Item"]
    numbers = list(range(head.next, upto))
    for start in range(0, len(numbers), BATCH):
        puts = [
            {"PutRequest": {"Item": template | keys.item_key(logical, n)}}
            for n in numbers[start : start + BATCH]
        ]
        request: dict[str, Any] = {table: puts}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    if numbers:
        client.update_item(
            TableName=table,
            Key=keys.key(logical, HEAD),
            UpdateExpression="SET #next = :next, #version = #version + :one",
            ExpressionAttributeNames={"#next": attribute("#next"), "#version": "version"},
            ExpressionAttributeValues={":next": {"N": str(upto)}, ":one": {"N": "1"}},
        )


class Row:
    """One logical name in one table: its iterations' times and calls, and the put baseline's."""

    def __init__(self, name: str, client: Any, ledger: Ledger, logical: str) -> None:
        self.name, self.client, self.ledger, self.logical = name, client, ledger, logical
        self.timed: dict[str, list[float]] = {s: [] for s in (*STEPS, "iteration", "put_item")}
        self.calls: Counter[str] = Counter()
        self.rounds = 0

    def round(self, n: int) -> None:
        """A bare put_item (a fixed key: the baseline must not grow), then one iteration."""
        item = {HASH: {"S": "bench-put"}, RANGE: {"S": "0"}, "n": {"N": str(n)}}
        t0 = time.perf_counter()
        self.client.put_item(TableName=self.ledger.table.name, Item=item)
        self.timed["put_item"].append((time.perf_counter() - t0) * 1000)

        def hook(event_name: str, **_kw: Any) -> None:
            self.calls[event_name.rsplit(".", 1)[-1]] += 1

        self.client.meta.events.register("before-call.dynamodb.*", hook)
        try:
            _iteration(self.ledger, self.logical, self.timed)
        finally:
            self.client.meta.events.unregister("before-call.dynamodb.*", hook)
        self.rounds += 1


def serve(moto_as_is: bool) -> tuple[Any, str]:
    from kiter.local import motodynamodb
    from kiter.local.motoserver import make_server

    server = make_server("127.0.0.1", 0)
    if moto_as_is:
        motodynamodb.uninstall()
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def report(rows: list[Row]) -> None:
    median: Callable[[list[float]], float] = statistics.median
    base = median(rows[0].timed["iteration"])
    print("ledger work per iteration (ms, median; p90 in brackets), against the first row")
    head = f"{'history':>16} " + " ".join(f"{s:>10}" for s in STEPS)
    print(f"{head} {'iteration':>16} {'vs first':>9} {'put_item':>9} {'claim/put':>10}")
    for row in rows:
        timed = row.timed
        steps = " ".join(f"{median(timed[s]):>10.2f}" for s in STEPS)
        whole = f"{median(timed['iteration']):.2f} [{_quantile(timed['iteration'], 0.9):.2f}]"
        put = median(timed["put_item"])
        print(
            f"{row.name:>16} {steps} {whole:>16} {median(timed['iteration']) / base:>8.2f}x "
            f"{put:>9.2f} {median(timed['claim']) / put:>9.1f}x"
        )
    print()
    print("DynamoDB calls per iteration")
    for row in rows:
        calls = {verb: count / row.rounds for verb, count in row.calls.items()}
        listed = ", ".join(f"{v:g} {k}" for k, v in calls.items())
        print(f"{row.name:>16} {sum(calls.values()):>4g}  {listed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", default="10,1000,10000")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument(
        "--moto-as-is",
        action="store_true",
        help="moto's own TransactWriteItems and Query (each copies or sorts the whole table)",
    )
    args = parser.parse_args()
    histories = [int(h) for h in args.histories.split(",")]

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "testing"
    os.environ.pop("AWS_PROFILE", None)
    server, endpoint = serve(args.moto_as_is)
    try:
        client = Aws(AwsSettings(region="us-east-1", endpoint_url=endpoint)).client("dynamodb")
        rows = []
        for history in histories:
            table = f"Bench{history}"
            CheckpointTable(client, table, HASH, RANGE).create(
                on_demand=True, read=1, write=1, progress=lambda _l: None
            )
            ledger = Ledger(client, table, HASH, RANGE, owner=Owner.current())
            began = time.perf_counter()
            fill(client, ledger, LOGICAL, history)
            print(f"history of {history:,}: filled in {time.perf_counter() - began:.1f} s")
            rows.append(Row(f"{history:,} earlier", client, ledger, LOGICAL))
        rows.append(Row("a new name", client, rows[-1].ledger, "brand-new"))
        for row in rows:  # warm-up, not counted
            _iteration(row.ledger, row.logical, {s: [] for s in (*STEPS, "iteration")})
        for n in range(args.iterations):
            for row in rows:
                row.round(n)
        print()
        report(rows)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
