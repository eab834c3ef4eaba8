"""The crash harness's victim: staged iterations of one job back to back, until killed.

Usage: python crash_child.py PROJECT_DIR JOB ITERATIONS
Kinesis and DynamoDB endpoints come from AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL_DYNAMODB.
The target succeeds at once: what is checked is what was staged and recorded, not a query.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kiter.errors import IterationBusy
from kiter.metastore.ledger import Ledger, Owner
from kiter.project import load_project
from kiter.render import Renderer
from kiter.runner import Runner
from kiter.targets.base import Handle, Outcome, Script, Watch
from kiter.wiring import make_aws

LEASE_SECONDS = 3


class Instant:
    name = "instant"
    kind = "hiveserver2"
    detachable = False

    def find(self, script: Script) -> Handle | None:
        return None

    def attach(self, submission_id: str) -> Handle | None:
        return None

    def start(self, script: Script, watch: Watch) -> Handle:
        watch.fence()
        return Handle("instant")

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        return Outcome("SUCCEEDED", handle.id)

    def cancel(self, handle: Handle) -> str:
        return "nothing to cancel"


def main(argv: list[str]) -> int:
    root, job_name, count = Path(argv[0]), argv[1], int(argv[2])
    project = load_project(root / "kiter.toml")
    aws = make_aws(project)
    meta = project.metastore
    ledger = Ledger(
        aws.client("dynamodb"),
        meta.table,
        meta.hash_key,
        meta.range_key,
        owner=Owner.current(),
        lease_seconds=LEASE_SECONDS,
    )
    runner = Runner(
        project,
        aws=aws,
        renderer=Renderer(project),
        ledger=ledger,
        make_target=lambda _config, _echo: Instant(),
    )
    job = project.job(job_name)
    done = 0
    while done < count:
        try:
            result = runner.run(job, project.target_for(job))
        except IterationBusy:
            time.sleep(0.5)  # a killed predecessor's lease runs out
            continue
        assert result.read is not None
        print(f"{result.iteration} {result.read.total_records}", flush=True)
        done += 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
