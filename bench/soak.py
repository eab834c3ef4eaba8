"""Soak the local moto server with a ledger-like load and sample its memory: relief on and off.

Starts `python -m kiter.local.motoserver` the way kiter.local.stack does, once as kiter runs it
(memory relief on) and once with `--no-relief` (moto as it is), and runs the same iterations
against each. One iteration (~35 requests) mimics kiter's ledger, stream reader and EMR upload:
DynamoDB query/get_item/two transactions/update_item, 20 Kinesis puts and a read per shard of a
4-shard stream, one 10 KB S3 put.

Run by hand:  .venv/bin/python bench/soak.py [--iterations 500]
Reports RSS at the start and end, MB per 100 iterations and ms per iteration by thirds, and the
ratio of the two servers' end RSS measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CONTROL = str(ROOT / "control")
TABLE, STREAM, BUCKET = "kiter-checkpoints", "kiter-soak", "kiter-soak-bucket"
LOGICAL = "kiter#soak"
HEAD = "~head"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    """utime + stime of the server process, in seconds (less sensitive to a busy machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(relief: bool, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=CONTROL)
    cmd = [PY, "-m", "kiter.local.motoserver", "-H", "127.0.0.1", "-p", str(port)]
    if not relief:
        cmd.append("--no-relief")
    out = log.open("ab")
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=str(ROOT),
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not start")


def clients(port: int) -> tuple:
    kw = dict(
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )
    return boto3.client("dynamodb", **kw), boto3.client("kinesis", **kw), boto3.client("s3", **kw)


def setup(ddb, kin, s3) -> list[str]:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "shard_key", "KeyType": "HASH"},
            {"AttributeName": "checkpoint", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "shard_key", "AttributeType": "S"},
            {"AttributeName": "checkpoint", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(
        TableName=TABLE,
        Item={
            "shard_key": {"S": LOGICAL},
            "checkpoint": {"S": HEAD},
            "next_iteration": {"N": "0"},
            "version": {"N": "0"},
        },
    )
    kin.create_stream(StreamName=STREAM, ShardCount=4)
    s3.create_bucket(Bucket=BUCKET)
    return [
        s["ShardId"] for s in kin.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"]
    ]


def key(rk: str) -> dict:
    return {"shard_key": {"S": LOGICAL}, "checkpoint": {"S": rk}}


class Load:
    def __init__(self, ddb, kin, s3, shard_ids: list[str]) -> None:
        self.ddb, self.kin, self.s3 = ddb, kin, s3
        self.shard_ids = shard_ids
        self.last_seq: dict[str, str | None] = {s: None for s in shard_ids}
        self.version = 0
        self.rnd = random.Random(7)
        self.body = bytes(self.rnd.getrandbits(8) for _ in range(10 * 1024))
        self.times = {"dynamodb": 0.0, "kinesis_put": 0.0, "kinesis_read": 0.0, "s3": 0.0}

    def iteration(self, n: int) -> None:
        t0 = time.perf_counter()
        ddb, rk, token = self.ddb, f"{n:010d}", f"tok-{n}"
        ddb.query(
            TableName=TABLE,
            KeyConditionExpression="#hk = :h",
            ExpressionAttributeNames={"#hk": "shard_key"},
            ExpressionAttributeValues={":h": {"S": LOGICAL}},
            ScanIndexForward=False,
            Limit=3,
            ConsistentRead=True,
        )
        if n:
            ddb.get_item(TableName=TABLE, Key=key(f"{n - 1:010d}"), ConsistentRead=True)
        now = str(time.time())
        owner = {
            "M": {
                "host": {"S": "soak-host"},
                "pid": {"N": str(os.getpid())},
                "run_id": {"S": f"run-{n}"},
            }
        }
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key(HEAD),
                        "UpdateExpression": "SET #ver = :v1, #tok = :t, #li = :n, #exp = :e",
                        "ConditionExpression": "#ver = :v0 AND attribute_not_exists(#tok)",
                        "ExpressionAttributeNames": {
                            "#ver": "version",
                            "#tok": "lease_token",
                            "#li": "lease_iteration",
                            "#exp": "lease_expires",
                        },
                        "ExpressionAttributeValues": {
                            ":v0": {"N": str(self.version)},
                            ":v1": {"N": str(self.version + 1)},
                            ":t": {"S": token},
                            ":n": {"N": str(n)},
                            ":e": {"N": now},
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key(rk),
                        "UpdateExpression": "SET #st = :c, #att = :one, #own = :o, #cr = :now",
                        "ConditionExpression": "attribute_not_exists(#rk)",
                        "ExpressionAttributeNames": {
                            "#st": "state",
                            "#att": "attempts",
                            "#own": "owner",
                            "#cr": "created",
                            "#rk": "checkpoint",
                        },
                        "ExpressionAttributeValues": {
                            ":c": {"S": "CLAIMED"},
                            ":one": {"N": "1"},
                            ":o": owner,
                            ":now": {"S": now},
                        },
                    }
                },
            ]
        )
        self.version += 1
        ddb.update_item(
            TableName=TABLE,
            Key=key(rk),
            UpdateExpression="SET #st = :r, #sd = :now",
            ConditionExpression="#st = :c",
            ExpressionAttributeNames={"#st": "state", "#sd": "started"},
            ExpressionAttributeValues={
                ":r": {"S": "RUNNING"},
                ":c": {"S": "CLAIMED"},
                ":now": {"S": now},
            },
        )
        t1 = time.perf_counter()

        for i in range(20):
            self.kin.put_record(
                StreamName=STREAM,
                Data=f"line {n}-{i} ".encode() * 8,
                PartitionKey=f"{self.rnd.getrandbits(32):08x}",
            )
        t2 = time.perf_counter()
        shards: dict = {}
        for sid in self.shard_ids:
            start = self.last_seq[sid]
            args = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": start}
                if start
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            it = self.kin.get_shard_iterator(StreamName=STREAM, ShardId=sid, **args)[
                "ShardIterator"
            ]
            out = self.kin.get_records(ShardIterator=it, Limit=1000)
            if out["Records"]:
                self.last_seq[sid] = out["Records"][-1]["SequenceNumber"]
            shards[sid] = {
                "M": {
                    "after": {"S": self.last_seq[sid] or ""},
                    "count": {"N": str(len(out["Records"]))},
                    "behind_ms": {"N": str(out.get("MillisBehindLatest", 0))},
                }
            }
        t3 = time.perf_counter()

        self.s3.put_object(Bucket=BUCKET, Key=f"soak/{n}/0/job.sql", Body=self.body)
        t4 = time.perf_counter()

        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key(rk),
                        "UpdateExpression": "SET #st = :s, #fin = :now, #sh = :sh, #stats = :stats",
                        "ConditionExpression": "#st = :r",
                        "ExpressionAttributeNames": {
                            "#st": "state",
                            "#fin": "finished",
                            "#sh": "shards",
                            "#stats": "stats",
                        },
                        "ExpressionAttributeValues": {
                            ":s": {"S": "SUCCEEDED"},
                            ":r": {"S": "RUNNING"},
                            ":now": {"S": now},
                            ":sh": {"M": shards},
                            ":stats": {"M": {"rows": {"N": "20"}, "seconds": {"N": "0.5"}}},
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key(HEAD),
                        "UpdateExpression": "SET #next = :n1, #ver = :v1 REMOVE #tok, #li, #exp",
                        "ConditionExpression": "#tok = :t",
                        "ExpressionAttributeNames": {
                            "#next": "next_iteration",
                            "#ver": "version",
                            "#tok": "lease_token",
                            "#li": "lease_iteration",
                            "#exp": "lease_expires",
                        },
                        "ExpressionAttributeValues": {
                            ":n1": {"N": str(n + 1)},
                            ":t": {"S": token},
                            ":v1": {"N": str(self.version + 1)},
                        },
                    }
                },
            ]
        )
        self.version += 1
        t5 = time.perf_counter()
        self.times["dynamodb"] += (t1 - t0) + (t5 - t4)
        self.times["kinesis_put"] += t2 - t1
        self.times["kinesis_read"] += t3 - t2
        self.times["s3"] += t4 - t3


def thirds(n: int) -> list[tuple[int, int]]:
    a, b = n // 3, 2 * n // 3
    return [(0, a), (a, b), (b, n)]


def soak(relief: bool, iterations: int, sample_every: int, log: Path) -> dict:
    name = "kiter (relief on)" if relief else "moto as it is (--no-relief)"
    port = free_port()
    proc = start_server(relief, port, log)
    try:
        ddb, kin, s3 = clients(port)
        load = Load(ddb, kin, s3, setup(ddb, kin, s3))
        bounds = thirds(iterations)
        marks = {0, iterations, *(b for _, b in bounds), *range(0, iterations + 1, sample_every)}
        samples: dict[int, float] = {0: rss_mb(proc.pid)}
        durations: list[float] = []
        for n in range(iterations):
            started = time.perf_counter()
            load.iteration(n)
            durations.append(time.perf_counter() - started)
            if n + 1 in marks:
                samples[n + 1] = rss_mb(proc.pid)
                if (n + 1) % sample_every == 0:
                    recent = durations[-sample_every:]
                    print(
                        f"[{name}] iteration {n + 1:4d}: rss {samples[n + 1]:7.1f} MB, "
                        f"{1000 * sum(recent) / len(recent):6.1f} ms/iteration",
                        flush=True,
                    )
        per_third = [
            {
                "iterations": f"{a + 1}-{b}",
                "mb_per_100": round((samples[b] - samples[a]) / (b - a) * 100, 2),
                "ms_per_iteration": round(1000 * sum(durations[a:b]) / (b - a), 1),
            }
            for a, b in bounds
        ]
        return {
            "name": name,
            "rss_mb": [round(samples[0], 1), round(samples[iterations], 1)],
            "thirds": per_third,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--sample-every", type=int, default=50)
    args = parser.parse_args()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "kiter-soak.server.log"
    results = [soak(relief, args.iterations, args.sample_every, log) for relief in (True, False)]
    print(json.dumps(results, indent=1))
    on, off = results[0]["rss_mb"][1], results[1]["rss_mb"][1]
    print(f"end RSS, relief on / off: {on:.0f} / {off:.0f} MB = {on / off:.2f}x")


if __name__ == "__main__":
    main()
