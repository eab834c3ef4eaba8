"""Benchmark of `kiter run`'s loop: one tick over N jobs against the slowest job alone.

Each job is a logical name of its own on a real ledger (the embedded stack's moto server, in a
process of its own as `kiter local up` runs it, started by this bench) whose
engine work is a fixed wait: the loop's own cost (claims, records, the pool, the naps between
looks) is what separates a tick over N jobs from one job's tick. Target: <= 1.2x at N = 4 and 12
with the pool as large as N.

Run: .venv/bin/python bench/scheduler.py [--wait 2.0] [--jobs 1,4,12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from kiter.aws import Aws, AwsSettings
from kiter.cadence import BackToBack
from kiter.echo import no_echo
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter.project import load_project
from kiter.render import Renderer
from kiter.runner import Runner
from kiter.scheduler import Scheduler
from kiter.stopping import Stop
from kiter.targets.base import Handle, Outcome, Script, Watch


class FixedWait:
    """An engine whose every run takes `seconds`, waited on the runner's Stop."""

    name = "engine"
    kind = "hiveserver2"
    detachable = False

    def __init__(self, seconds: float, stop: Stop) -> None:
        self.seconds = seconds
        self.stop = stop

    def find(self, script: Script) -> Handle | None:
        return None

    def attach(self, submission_id: str) -> Handle | None:
        return None

    def start(self, script: Script, watch: Watch) -> Handle:
        watch.fence()
        return Handle("wait")

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        self.stop.sleep(self.seconds)
        return Outcome("SUCCEEDED", handle.id)

    def cancel(self, handle: Handle) -> str:
        return "nothing to cancel"


def project_text(jobs: int) -> str:
    text = '[targets.engine]\nkind = "hiveserver2"\nhost = "127.0.0.1"\nport = 10000\n'
    for i in range(jobs):
        text += (
            f'[jobs.job{i}]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\n'
            f'stream = "weblogs"\ntarget = "engine"\nlogical_name = "bench{i}"\n'
        )
    return text


def tick(root: Path, aws: Aws, jobs: int, wait: float) -> float:
    (root / "kiter.toml").write_text(project_text(jobs), encoding="utf-8")
    project = load_project(root / "kiter.toml", env={})
    stop = Stop()
    ledger = Ledger(
        aws.client("dynamodb"), "BenchTable", "HashKey", "RangeKey", owner=Owner.current()
    )
    runner = Runner(
        project,
        aws=aws,
        renderer=Renderer(project),
        ledger=ledger,
        make_target=lambda config, echo: FixedWait(wait, stop),
        echo=no_echo,
        stop=stop,
    )
    target = project.targets["engine"]
    names = list(project.jobs)
    scheduler = Scheduler(
        jobs=names,
        run_one=lambda name: runner.run(project.job(name), target),
        cadence=BackToBack(),
        iterations=1,
        max_parallel=len(names),
        stop=stop,
    )
    began = time.perf_counter()
    assert scheduler.loop() == 0
    return time.perf_counter() - began


@contextmanager
def embedded_moto() -> Iterator[str]:
    """`python -m kiter.local.motoserver` on a free port, stopped afterwards."""
    server = subprocess.Popen(
        [sys.executable, "-m", "kiter.local.motoserver", "-p", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().rsplit(" ", 1)[-1].strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=2.0, help="seconds of engine work a job")
    parser.add_argument("--jobs", default="1,4,12")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    counts = [int(n) for n in args.jobs.split(",")]
    import os
    import tempfile

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "testing"  # moto's; never real credentials
    os.environ.pop("AWS_PROFILE", None)

    with embedded_moto() as url, tempfile.TemporaryDirectory() as tmp:
        aws = Aws(AwsSettings(region="us-east-1", endpoint_url=url))
        CheckpointTable(aws.client("dynamodb"), "BenchTable", "HashKey", "RangeKey").create(
            on_demand=True, read=0, write=0, progress=lambda _: None
        )
        aws.client("kinesis").create_stream(StreamName="weblogs", ShardCount=1)
        results: dict[int, list[float]] = {n: [] for n in counts}
        for round_no in range(args.rounds):
            for n in counts:  # interleaved: the machine's noise falls on every N alike
                folder = Path(tmp) / f"r{round_no}-n{n}"
                folder.mkdir()
                results[n].append(tick(folder, aws, n, args.wait))
        alone = statistics.median(results[counts[0]])
        print(f"engine work per job: {args.wait:.1f}s; medians of {args.rounds} rounds")
        for n in counts:
            median = statistics.median(results[n])
            print(
                f"N={n:>3}: one tick {median:6.2f}s  {median / alone:5.2f}x the slowest job alone"
            )


if __name__ == "__main__":
    main()
