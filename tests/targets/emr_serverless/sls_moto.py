"""moto-side helpers for the EMR Serverless tests: a job-run state driver, a driver log sample.

moto 5.2.5 makes every job run SUCCESS at once and never deduplicates clientToken (FACTS.md §4).
`RunDriver` moves job runs to the states real EMR Serverless reports through moto's backend
(`emrserverless_backends[...].job_runs[app]`, `JobRun.state`, `.state_details`, `.started_at`),
so it is pinned to moto 5.2.5 (this module refuses to load on another).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from moto.core import DEFAULT_ACCOUNT_ID
from moto.emrserverless.models import JobRun, emrserverless_backends

from kiter_support import LOG_BUCKET, REGION, SCRIPT_BUCKET, FakeTime, require_moto

require_moto("5.2.5", "RunDriver")

ROLE = "arn:aws:iam::123456789012:role/kiter-job-runs"

__all__ = ["LOG_BUCKET", "REGION", "ROLE", "SCRIPT_BUCKET", "FakeTime", "RunDriver"]

# What the Hive driver of a failed job run writes to HIVE_DRIVER/stderr.gz (Hive CLI on Tez).
HIVE_DRIVER_STDERR = """\
SLF4J: Class path contains multiple SLF4J bindings.
Hive Session ID = 8f1c2a4e-0b7d-4c55-9a51-0c9b2f3e1d10
Logging initialized using configuration in file:/etc/hive/conf/hive-log4j2.properties Async: true
FAILED: SemanticException [Error 10001]: Line 4:16 Table not found 'staged_weblogs'
"""


@dataclass
class RunDriver:
    """Moves moto's EMR Serverless job runs to the states real EMR Serverless would report."""

    application_id: str

    def runs(self) -> list[JobRun]:
        backend = emrserverless_backends[DEFAULT_ACCOUNT_ID][REGION]
        return list(backend.job_runs.get(self.application_id, []))

    def run(self, job_run_id: str) -> JobRun:
        for run in self.runs():
            if run.id == job_run_id:
                return run
        raise KeyError(job_run_id)

    def set_state(
        self, job_run_id: str, state: str, *, details: str | None = None, started: bool = True
    ) -> None:
        run = self.run(job_run_id)
        run.state = state
        if details is not None:
            run.state_details = details
        if started and not hasattr(run, "started_at"):
            run.started_at = datetime.datetime.now(datetime.UTC)  # type: ignore[attr-defined]
