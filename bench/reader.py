"""Benchmark of staged mode's stream reader.

(a) The reader's own cost: an in-memory fake Kinesis client serves prepared GetRecords responses and
    the reader stages them to local files; CPU seconds of this process give MB/s per core, printed
    beside the MB/s per core of writing the same bytes to files with a bare loop (target: the
    reader >= 100 MB/s per core).
(b) Against servers it starts on 127.0.0.1 (kinesalite from tests/kinesalite, and moto_server):
    records/s of a staged read (default pacing, 0.2 s between calls per shard) beside a bare
    boto3 get_records loop over the same stream (target: >= 0.8x).

Usage: .venv/bin/python bench/reader.py [--mb 200] [--records 20000] [--skip-servers]
Only loopback traffic; every loop is bounded.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from kiter.stream.reader import StopPolicy, read_iteration
from kiter.stream.staging import open_staging

REPO = Path(__file__).resolve().parents[1]


class FakeKinesis:
    """Serves prepared GetRecords pages per shard (only the three calls the reader makes)."""

    def __init__(self, pages: dict[str, list[list[dict[str, Any]]]]) -> None:
        self.pages = pages

    def list_shards(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Shards": [{"ShardId": sid} for sid in self.pages]}

    def get_shard_iterator(self, *, ShardId: str, **_kwargs: Any) -> dict[str, Any]:
        return {"ShardIterator": f"{ShardId}|0"}

    def get_records(self, *, ShardIterator: str, Limit: int = 0) -> dict[str, Any]:
        sid, index = ShardIterator.split("|")
        pages = self.pages[sid]
        i = int(index)
        records = pages[i] if i < len(pages) else []
        return {
            "Records": records,
            "NextShardIterator": f"{sid}|{i + 1}",
            "MillisBehindLatest": 0 if i + 1 >= len(pages) else 1000,
        }


def _prepare(total_mb: int, shards: int = 4, record_bytes: int = 1000, per_page: int = 1000) -> Any:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    payload = b"x" * (record_bytes - 20)
    total_records = total_mb * 1_000_000 // record_bytes
    per_shard = total_records // shards
    pages: dict[str, list[list[dict[str, Any]]]] = {}
    for s in range(shards):
        sid = f"shardId-{s:012d}"
        rows = [
            {
                "SequenceNumber": str(49_000_000_000_000_000_000 + n),
                "Data": b"%019d" % n + b" " + payload,
                "PartitionKey": f"pk{n}",
                "ApproximateArrivalTimestamp": when,
            }
            for n in range(per_shard)
        ]
        pages[sid] = [rows[i : i + per_page] for i in range(0, per_shard, per_page)]
    size = sum(len(r["Data"]) for p in pages.values() for page in p for r in page)
    return pages, size


def bench_reader_cost(total_mb: int) -> None:
    pages, size = _prepare(total_mb)
    work = Path(tempfile.mkdtemp(prefix="kiter-bench-"))
    try:
        # Bare: join each page's data into lines and append it to the shard's file.
        cpu = time.process_time()
        for sid, shard_pages in pages.items():
            with open(work / f"bare-{sid}.txt", "wb") as out:
                for page in shard_pages:
                    out.write(b"".join(r["Data"] + b"\n" for r in page))
        bare = size / (time.process_time() - cpu) / 1e6

        results = {}
        for fmt in ("lines", "jsonl"):
            staging = open_staging(f"file://{work / fmt}")
            cpu = time.process_time()
            with staging.partition("bench", 0, fmt) as writer:
                read = read_iteration(
                    FakeKinesis(pages),
                    "bench",
                    iteration=0,
                    previous=None,
                    writer=writer,
                    echo=lambda _l: None,
                    min_call_interval=0.0,
                    max_workers=1,
                    stop=StopPolicy(),
                )
            results[fmt] = size / (time.process_time() - cpu) / 1e6
            assert read.total_bytes == size
        print(f"(a) reader cost, {size / 1e6:.0f} MB in 4 shards of 1 KB records:")
        print(f"    bare write of the same bytes: {bare:8.0f} MB/s per core")
        for fmt, rate in results.items():
            print(
                f"    staged read, {fmt:5s}:         {rate:8.0f} MB/s per core  "
                f"(ratio {rate / bare:.2f}, target >= 100 MB/s)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def _start_kinesalite() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        ["node", str(REPO / "tests" / "kinesalite" / "server.js"), str(port)],
        stdout=subprocess.DEVNULL,
    )
    _wait_port(port)
    return proc, f"http://127.0.0.1:{port}"


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    proc = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_port(port)
    return proc, f"http://127.0.0.1:{port}"


def _bare_loop(client: Any, stream: str) -> int:
    count = 0
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for _ in range(10_000):
            page = client.get_records(ShardIterator=iterator, Limit=10_000)
            count += len(page["Records"])
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
            if iterator is None:
                break
    return count


def _staged(client: Any, stream: str, work: Path) -> int:
    staging = open_staging(f"file://{work}")
    with staging.partition("bench", 0, "lines") as writer:
        read = read_iteration(
            client, stream, iteration=0, previous=None, writer=writer, echo=lambda _l: None
        )
    return read.total_records


def bench_servers(records: int) -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(f"(b) {records} records of ~100 bytes in 2 shards, best of 3 runs each:")
    for name, start in (("kinesalite", _start_kinesalite), ("moto", _start_moto)):
        try:
            proc, endpoint = start()
        except (OSError, TimeoutError) as exc:
            print(f"    {name}: not started ({exc})")
            continue
        work = Path(tempfile.mkdtemp(prefix="kiter-bench-"))
        try:
            client = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")
            client.create_stream(StreamName="bench", ShardCount=2)
            for _ in range(100):
                summary = client.describe_stream_summary(StreamName="bench")
                if summary["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                    break
                time.sleep(0.05)
            body = b"y" * 90
            for start_at in range(0, records, 500):
                client.put_records(
                    StreamName="bench",
                    Records=[
                        {"Data": b"%08d " % n + body, "PartitionKey": str(n)}
                        for n in range(start_at, min(start_at + 500, records))
                    ],
                )
            bare_best = staged_best = 0.0
            for run in range(3):
                t = time.perf_counter()
                assert _bare_loop(client, "bench") == records
                bare_best = max(bare_best, records / (time.perf_counter() - t))
                t = time.perf_counter()
                assert _staged(client, "bench", work / str(run)) == records
                staged_best = max(staged_best, records / (time.perf_counter() - t))
            print(
                f"    {name:10s}: bare get_records {bare_best:9.0f} rec/s, staged read "
                f"{staged_best:9.0f} rec/s, ratio {staged_best / bare_best:.2f} (target >= 0.8)"
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="MB staged in part (a)")
    parser.add_argument("--records", type=int, default=20_000, help="records put in part (b)")
    parser.add_argument("--skip-servers", action="store_true", help="run part (a) only")
    args = parser.parse_args()
    bench_reader_cost(args.mb)
    if not args.skip_servers:
        bench_servers(args.records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
