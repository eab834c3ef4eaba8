"""Benchmark of kiter's iteration ledger against a moto server it starts itself.

Two questions:
1. Does the number of DynamoDB calls per iteration stay constant as a logical name's history grows?
   (claim, running, record_boundaries, succeed after 1, 10, 100 prior iterations; counted with
   botocore's `before-call.dynamodb.*` event.)
2. What does a claim cost next to a bare put_item? Both timed side by side in one loop (median and
   p90 over --ops operations), printed as a ratio.

Run: .venv/bin/python bench/ledger.py [--ops 200] [--priors 1,10,100]
Numbers from moto measure request count and client + emulator overhead, not DynamoDB's latency.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections import Counter
from typing import Any

from kiter.aws import Aws, AwsSettings
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable

TABLE, HASH, RANGE = "BenchTable", "HashKey", "RangeKey"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _iteration(ledger: Ledger, logical: str) -> None:
    claim = ledger.claim(logical)
    ledger.running(claim, "bench", "bench")
    ledger.succeed(claim, {})


def count_calls(client: Any, ledger: Ledger, priors: list[int]) -> list[tuple[int, dict[str, int]]]:
    calls: Counter[str] = Counter()

    def hook(event_name: str, **_kw: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    rows = []
    for prior in priors:
        logical = f"calls-{prior}"
        for _ in range(prior):
            _iteration(ledger, logical)
        counts: dict[str, int] = {}
        client.meta.events.register("before-call.dynamodb.*", hook)
        try:
            for step in ("claim", "running", "boundaries", "succeed"):
                calls.clear()
                if step == "claim":
                    claim = ledger.claim(logical)
                elif step == "running":
                    ledger.running(claim, "bench", "bench")
                elif step == "boundaries":
                    ledger.record_boundaries(claim, {"shardId-0": {"start": "1", "end": "2"}})
                else:
                    ledger.succeed(claim, {"rows": 1})
                counts[step] = sum(calls.values())
        finally:
            client.meta.events.unregister("before-call.dynamodb.*", hook)
        rows.append((prior, counts))
    return rows


def time_ops(client: Any, ledger: Ledger, ops: int) -> dict[str, list[float]]:
    """Milliseconds per op for put_item, a bare two-item transaction, and claim, interleaved."""
    times: dict[str, list[float]] = {"put_item": [], "transact2": [], "claim": []}
    # Fixed keys: the baselines must not grow the table (moto copies the table per transaction).
    item = {HASH: {"S": "bench-put"}, RANGE: {"S": "0"}, "n": {"N": "0"}}

    def bare_transaction(n: int) -> None:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {HASH: {"S": "bench-put"}, RANGE: {"S": str(k)}},
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": str(n)}},
                    }
                }
                for k in (1, 2)
            ]
        )

    for n in range(ops):
        item["n"] = {"N": str(n)}
        t0 = time.perf_counter()
        client.put_item(TableName=TABLE, Item=item)
        t1 = time.perf_counter()
        bare_transaction(n)
        t2 = time.perf_counter()
        claim = ledger.claim("latency")
        t3 = time.perf_counter()
        ledger.succeed(claim, {})
        times["put_item"].append((t1 - t0) * 1000)
        times["transact2"].append((t2 - t1) * 1000)
        times["claim"].append((t3 - t2) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--priors", default="1,10,100")
    args = parser.parse_args()
    priors = [int(p) for p in args.priors.split(",")]

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "testing"
    os.environ.pop("AWS_PROFILE", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        client = Aws(AwsSettings(region="us-east-1", endpoint_url=f"http://{host}:{port}")).client(
            "dynamodb"
        )
        CheckpointTable(client, TABLE, HASH, RANGE).create(
            on_demand=True, read=1, write=1, progress=lambda _l: None
        )
        ledger = Ledger(client, TABLE, HASH, RANGE, owner=Owner.current())

        print("DynamoDB calls per step of one iteration")
        print(
            f"{'prior iterations':>16} {'claim':>6} {'running':>8} {'boundaries':>11} {'succeed':>8}"
        )
        for prior, counts in count_calls(client, ledger, priors):
            print(
                f"{prior:>16} {counts['claim']:>6} {counts['running']:>8} "
                f"{counts['boundaries']:>11} {counts['succeed']:>8}"
            )

        times = time_ops(client, ledger, args.ops)
        info = CheckpointTable(client, TABLE, HASH, RANGE).describe()
        print()
        print(
            f"latency over {args.ops} ops, interleaved, table of {info.item_count if info else '?'}"
            " items (ms)"
        )
        put = times["put_item"]
        print(f"{'op':>10} {'median':>8} {'p90':>8} {'median/put':>11} {'p90/put':>8}")
        for name, values in times.items():
            median, p90 = statistics.median(values), _quantile(values, 0.9)
            print(
                f"{name:>10} {median:>8.2f} {p90:>8.2f} "
                f"{median / statistics.median(put):>11.2f} {p90 / _quantile(put, 0.9):>8.2f}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
