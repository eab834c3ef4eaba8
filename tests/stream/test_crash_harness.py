"""The crash harness: kiter killed with SIGKILL at random moments while records keep arriving and
the stream is split and merged; afterwards every produced record is in exactly one iteration."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from stream_helpers import partition_lines, wait_active

from kiter.aws import Aws, AwsSettings
from kiter.metastore.table import CheckpointTable

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHILD = Path(__file__).with_name("crash_child.py")
TRIALS = 12
STREAM = "crash"


class Producer(threading.Thread):
    """Puts numbered records at a steady pace until stopped; remembers what it put."""

    def __init__(self, client: Any) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.put: list[str] = []
        self.stop = threading.Event()
        self.running = threading.Event()
        self.running.set()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            if not self.running.is_set():
                self.stop.wait(0.05)
                continue
            batch = [f"record-{n + i:06d}" for i in range(10)]
            self.client.put_records(
                StreamName=STREAM,
                Records=[
                    {"Data": r.encode(), "PartitionKey": f"k{random.random()}"} for r in batch
                ],
            )
            self.put += batch
            n += len(batch)
            self.stop.wait(0.05)


def _reshard(client: Any, rng: random.Random) -> str:
    shards = client.list_shards(StreamName=STREAM)["Shards"]
    live = sorted(
        (s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]),
        key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]),
    )
    if len(live) >= 4 or (len(live) > 1 and rng.random() < 0.5):
        i = rng.randrange(len(live) - 1)
        client.merge_shards(
            StreamName=STREAM,
            ShardToMerge=live[i]["ShardId"],
            AdjacentShardToMerge=live[i + 1]["ShardId"],
        )
        action = "merge"
    else:
        shard = rng.choice(live)
        low, high = (int(shard["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
        client.split_shard(
            StreamName=STREAM,
            ShardToSplit=shard["ShardId"],
            NewStartingHashKey=str((low + high) // 2),
        )
        action = "split"
    wait_active(client, STREAM)
    return action


def test_kill_9_at_random_moments_across_resharding_loses_and_doubles_nothing(
    kinesalite: Any, moto_endpoint: str, tmp_path: Path
) -> None:
    rng = random.Random(20261202)
    kinesalite.create_stream(StreamName=STREAM, ShardCount=2)
    wait_active(kinesalite, STREAM)
    CheckpointTable(
        Aws(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint)).client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
    ).create(on_demand=True, read=0, write=0, progress=lambda _: None)
    (tmp_path / "kiter.toml").write_text(
        '[staging]\nlocation = "staging"\n'
        '[targets.instant]\nkind = "hiveserver2"\nhost = "127.0.0.1"\n'
        f'[jobs.top]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "{STREAM}"\n'
        'mode = "staged"\ntarget = "instant"\nmax_records = 150\n',
        encoding="utf-8",
    )
    env = os.environ | {
        "AWS_ENDPOINT_URL_KINESIS": kinesalite.meta.endpoint_url,
        "AWS_ENDPOINT_URL_DYNAMODB": moto_endpoint,
    }

    def child(iterations: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(CHILD), str(tmp_path), "top", str(iterations)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    producer = Producer(kinesalite)
    producer.start()
    kills = reshards = 0
    tracebacks: list[str] = []
    try:
        for trial in range(TRIALS):
            proc = child(1000)
            time.sleep(rng.uniform(2.0, 6.0))
            proc.send_signal(signal.SIGKILL)
            _, err = proc.communicate(timeout=30)
            kills += proc.returncode == -signal.SIGKILL
            if "Traceback" in err:
                tracebacks.append(err)
            if trial % 3 == 1:
                # The hard case: a quiet stream read to its end, resharded a while later.
                producer.running.clear()
                time.sleep(0.2)
                drained = child(2 + kills // 4)
                _, err = drained.communicate(timeout=120)
                assert drained.returncode == 0, err
                time.sleep(rng.uniform(1.0, 2.5))
                _reshard(kinesalite, rng)
                reshards += 1
                producer.running.set()
    finally:
        producer.stop.set()
        producer.join()
    # Drain: iterations back to back until the stream has nothing new left.
    for _ in range(3):
        proc = child(3)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        if out.splitlines()[-1].endswith(" 0"):
            break

    ledger = Aws(AwsSettings(region="us-east-1", endpoint_url=moto_endpoint)).client("dynamodb")
    head = ledger.get_item(
        TableName="MyEMRKinesisTable",
        Key={"HashKey": {"S": "kiter#top"}, "RangeKey": {"S": "~head"}},
        ConsistentRead=True,
    )["Item"]
    iterations = int(head["next_iteration"]["N"])
    seen: list[str] = []
    for n in range(iterations):
        seen += partition_lines(tmp_path / "staging" / "top" / f"iteration={n}")
    counts = Counter(seen)
    lost = set(producer.put) - set(counts)
    doubled = {r for r, c in counts.items() if c > 1}
    print(
        f"\ncrash harness: {TRIALS} trials, {kills} kill -9, {reshards} reshards, "
        f"{iterations} iterations, {len(producer.put)} records, lost {len(lost)}, "
        f"doubled {len(doubled)}, tracebacks {len(tracebacks)}"
    )
    assert kills >= TRIALS - 2  # a child may finish before its kill only if it is idle
    assert not tracebacks, tracebacks[0]
    assert not lost, sorted(lost)[:5]
    assert not doubled, sorted(doubled)[:5]
    assert len(seen) == len(producer.put)
