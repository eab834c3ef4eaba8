"""Benchmark: one staged top-10 iteration of RECORDS records on each local engine, same run.

Run by hand: `.venv/bin/python bench/engines.py [RECORDS]` (default 10000). For each HiveServer2
engine (Spark's Thrift Server, then Apache Hive 3.1.3) it starts the local stack in a temporary
demo project, warms the engine with a small iteration (not reported), then runs one iteration of the
top-10 errors job over RECORDS fresh web-log records; the Pig Latin version runs on the local Pig
engine and the Hadoop Streaming version (the scaffold's Python mapper and two reducers) on the
local Hadoop engine beside the Spark stack. Reported: the engine's start, and the iteration's
engine time (the runner's "submit" phase: the script on the engine, reading and staging excluded)
as a ratio against Spark's, with the answers checked equal. Pig and Hadoop start a JVM per run:
their start is an iteration of 0 records, reported apart.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from kiter.demorun import JOB, STREAM, make_demo_project, prepare, streaming_top_ten
from kiter.local import hadoopengine, hiveengine, pigengine
from kiter.local.stack import LocalStack
from kiter.local.streams import fresh_stream
from kiter.local.traffic import Traffic, expected_top_errors, put_lines
from kiter.project import Project, load_project
from kiter.runner import Runner


def one_iteration(
    runner: Runner, project: Project, job_name: str, target: str, size: int, tag: str
) -> float:
    """The engine's seconds for one iteration of `size` fresh records (answer checked)."""
    kinesis = runner.aws.client("kinesis")
    stream = f"{STREAM}-{tag}"
    fresh_stream(kinesis, stream, shards=4)
    lines = Traffic(seed=size).lines(size)
    put_lines(kinesis, stream, lines)
    job = replace(project.job(job_name), stream=stream, logical_name=f"bench-{tag}")
    result = runner.run(job, project.targets[target])
    rows = [tuple(r) for r in result.outcome.rows]
    if job.engine == "streaming":  # each reducer's top 10: the answer is the first 10 of all
        rows = streaming_top_ten(rows)
    assert rows == expected_top_errors(lines), tag
    return result.seconds["submit"]


def main(size: int) -> None:
    pigengine.install(progress=print)
    hadoopengine.install(progress=print)
    hiveengine.install(progress=print)
    rows = []
    for engine in ("spark", "hive"):
        folder = Path(tempfile.mkdtemp(prefix=f"kiter-bench-{engine}-"))
        project = load_project(make_demo_project(folder), env={})
        stack = LocalStack(project.local_dir)
        started = time.perf_counter()
        stack.up(hive_engine=engine)
        up = time.perf_counter() - started
        try:
            runner = prepare(project)
            one_iteration(runner, project, JOB, "local", 1000, f"{engine}-warm")
            seconds = one_iteration(runner, project, JOB, "local", size, engine)
            rows.append((f"Hive on {engine}", up, seconds))
            if engine == "spark":
                for name, job, target in (
                    ("Pig 0.17.0 (local)", "top_errors_pig", "pig"),
                    ("Streaming (Hadoop 2.10.2)", "top_errors_streaming", "hadoop"),
                ):
                    start = one_iteration(runner, project, job, target, 0, f"{target}-empty")
                    seconds = one_iteration(runner, project, job, target, size, target)
                    rows.append((name, start, seconds))
        finally:
            stack.down()
    base = rows[0][2]
    print(f"one staged top-10 iteration of {size} records; engine time (reading excluded):")
    for name, up, seconds in rows:
        start = f"start {up:5.1f} s" if name.startswith("Hive") else f"empty run {up:5.2f} s"
        print(f"  {name:26} {seconds:6.2f} s   {seconds / base:5.2f}x   {start}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
