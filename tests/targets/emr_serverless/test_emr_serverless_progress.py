"""What following an EMR Serverless job run shows on its progress line: the state, entered when
GetJobRun says (updatedAt, or startedAt once it runs), its stateDetails and application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sls_moto import RunDriver

from kiter.targets.base import Handle, Script, Unwatched
from kiter.targets.emr_serverless import EmrServerlessTarget
from kiter_support import FakeTime, RecordedProgress

pytestmark = pytest.mark.functional

MakeTarget = Callable[..., EmrServerlessTarget]
QUEUED_AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
STARTED_AT = datetime(2026, 5, 1, 12, 7, tzinfo=UTC)


def run_id_of(handle: Handle) -> str:
    return handle.id.rsplit("/", 1)[1]


def test_a_job_runs_line_counts_each_state_from_the_time_get_job_run_gives(
    make_target: MakeTarget,
    runs: RunDriver,
    hive_script: Script,
    fake_time: FakeTime,
    application_id: str,
) -> None:
    progress = RecordedProgress()
    target = make_target(progress=progress)
    handle = target.start(hive_script)
    run_id = run_id_of(handle)
    runs.set_state(run_id, "QUEUED", details="waiting for capacity", started=False)
    runs.run(run_id).updated_at = QUEUED_AT

    def running() -> None:
        runs.set_state(run_id, "RUNNING", details="")
        runs.run(run_id).started_at = STARTED_AT  # type: ignore[attr-defined]

    fake_time.hooks[2] = running
    fake_time.hooks[4] = lambda: runs.set_state(run_id, "SUCCESS")

    target.follow(handle, Unwatched())

    where = f"application {application_id}"
    assert progress.updates[0] == (
        f"job run {run_id} QUEUED",
        QUEUED_AT.timestamp(),
        f"{where}: waiting for capacity",
    )
    assert (f"job run {run_id} RUNNING", STARTED_AT.timestamp(), where) in progress.updates
    assert "EMR Serverless GetJobRun" in progress.calls
    assert progress.done_count == 1
