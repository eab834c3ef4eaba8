"""Benchmark: one staged top-10 iteration of RECORDS records on each local engine, same run.

Run by hand: `.venv/bin/python bench/engines.py [RECORDS]` (default 10000). For each HiveServer2
engine (Spark's Thrift Server, then Apache Hive 3.1.3) it starts the local stack in a temporary
demo project, warms the engine with a small iteration (not reported), then runs one iteration of the
top-10 errors job over RECORDS fresh web-log records; the Pig Latin version runs on the local Pig
engine, the Hadoop Streaming version (the scaffold's Python mapper and two reducers) and a jar job
on the local Hadoop engine beside the Spark stack. The jar is the Cascading app of the tests
(tests/targets/hadoop/cascading_app, built here with Maven): it answers the same top 10 itself,
with the Hive job's parsing and order, so its answer is checked like the others; Hadoop's own
examples jar has no such job, and a MapReduce jar of our own would be a second Java source to keep.
It runs on Cascading's local planner inside the one JVM `hadoop jar` starts (no MapReduce job
runner: the Streaming row measures that). Reported: the engine's start, and the iteration's engine
time (the runner's "submit" phase: the script on the engine, reading and staging excluded) as a
ratio against Spark's, with the answers checked equal. Pig and Hadoop start a JVM per run: their
start is an iteration of 0 records, reported apart.
"""

from __future__ import annotations

import shutil
import subprocess
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

CASCADING_APP = Path(__file__).resolve().parents[1] / "tests/targets/hadoop/cascading_app"
CASCADING_JOB = """
[jobs.top_errors_cascading]
engine = "jar"
stream = "weblogs"
logical_name = "demo-top-errors-cascading"
target = "hadoop"
mode = "staged"
jar = "cascading-app/target/kiter-cascading-app.jar"
args = ["{{ input }}", "{{ output }}", "10"]
output = ".kiter/output/top-errors-cascading/iteration={{ iteration }}"
"""


def add_cascading_job(folder: Path) -> None:
    """The Cascading app built with Maven inside the project folder, and a jar job running it."""
    build = folder / "cascading-app"
    shutil.copytree(CASCADING_APP, build, ignore=shutil.ignore_patterns("target"))
    subprocess.run(["mvn", "-q", "-B", "package"], cwd=build, check=True, timeout=900)
    with (folder / "kiter.toml").open("a", encoding="utf-8") as toml:
        toml.write(CASCADING_JOB)


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
    pigengine.ENGINE.install(progress=print)
    hadoopengine.ENGINE.install(progress=print)
    hiveengine.install(progress=print)
    rows = []
    for engine in ("spark", "hive"):
        folder = Path(tempfile.mkdtemp(prefix=f"kiter-bench-{engine}-"))
        make_demo_project(folder)
        if engine == "spark":
            add_cascading_job(folder)
        project = load_project(folder / "kiter.toml", env={})
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
                for name, job, target, tag in (
                    ("Pig 0.17.0 (local)", "top_errors_pig", "pig", "pig"),
                    ("Streaming (Hadoop 2.10.2)", "top_errors_streaming", "hadoop", "hadoop"),
                    ("Cascading 4.5.2 jar", "top_errors_cascading", "hadoop", "cascading"),
                ):
                    start = one_iteration(runner, project, job, target, 0, f"{tag}-empty")
                    seconds = one_iteration(runner, project, job, target, size, tag)
                    rows.append((name, start, seconds))
        finally:
            stack.down()
    base = rows[0][2]
    print(f"one staged top-10 iteration of {size} records; engine time (reading excluded):")
    for name, up, seconds in rows:
        began = f"start {up:5.1f} s" if name.startswith("Hive") else f"empty run {up:5.2f} s"
        print(f"  {name:26} {seconds:6.2f} s   {seconds / base:5.2f}x   {began}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
