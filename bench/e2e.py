"""Benchmark: one staged iteration on the local stack, split into read+stage, query and overhead.

Run by hand: `.venv/bin/python bench/e2e.py [RECORDS ...]` (default 10000 100000). Starts the
local stack (moto + Spark Thrift Server) in a temporary project, puts RECORDS web-log lines into a
4-shard stream, then runs one iteration of the top-10 errors job and reports its wall time split
into: reading and staging the records, the HiveServer2 query, and the control plane (claim,
retention check, render, ledger writes, everything else). Target: overhead <= 5% of the iteration.
A small first iteration warms the Spark session and is not reported; each size then reads a\nstream of its own with about 2,500 records a shard (moto's put slows as a shard grows).
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from kiter.demorun import JOB, STREAM, make_demo_project, prepare
from kiter.local.stack import LocalStack
from kiter.local.streams import fresh_stream
from kiter.local.traffic import Traffic, put_lines
from kiter.project import load_project


def main(sizes: list[int]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="kiter-bench-e2e-"))
    project = load_project(make_demo_project(folder), env={})
    stack = LocalStack(project.local_dir)
    t0 = time.perf_counter()
    stack.up()
    print(f"local stack up in {time.perf_counter() - t0:.1f} s")
    try:
        runner = prepare(project)
        kinesis = runner.aws.client("kinesis")
        target = project.targets["local"]
        traffic = Traffic(seed=1)
        # Warm the Spark session once (first query compiles a lot); not reported.
        put_lines(kinesis, STREAM, traffic.lines(1000))
        runner.run(project.job(JOB), target)
        print(
            f"{'records':>8} {'shards':>6} {'total s':>8} {'read+stage':>11} {'query':>8} "
            f"{'overhead':>9} {'overhead %':>10}"
        )
        for size in sizes:
            # moto's put cost grows with a shard's length: keep about 2,500 records a shard.
            shards = max(4, size // 2500)
            stream = f"{STREAM}-{size}"
            fresh_stream(kinesis, stream, shards=shards)
            job = replace(project.job(JOB), stream=stream, logical_name=f"bench-{size}")
            t0 = time.perf_counter()
            put_lines(kinesis, stream, traffic.lines(size))
            put_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = runner.run(job, target)
            total = time.perf_counter() - t0
            read, query = result.seconds.get("read", 0.0), result.seconds["submit"]
            overhead = total - read - query
            assert result.read is not None and result.read.total_records == size
            print(
                f"{size:>8} {shards:>6} {total:>8.2f} {read:>11.2f} {query:>8.2f} "
                f"{overhead:>9.2f} {100 * overhead / total:>9.1f}%   (put took {put_seconds:.0f} s)"
            )
    finally:
        stack.down()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
