"""The runner tells its watcher of every attempt it claimed: its start, and its end however it
ends (what the run log, the metrics and the alerts are made of)."""

from __future__ import annotations

import pytest
from runner_support import MakeRunner, ScriptedTarget, put

from kiter.aws import Aws
from kiter.errors import ConfigError, Interrupted, JobFailed, ServiceError
from kiter.project import Project
from kiter.secrets import Redactor
from kiter.targets.base import Outcome
from kiter.watch import AttemptReport, AttemptStarted

pytestmark = pytest.mark.functional


class Recorder:
    def __init__(self) -> None:
        self.started: list[AttemptStarted] = []
        self.ended: list[AttemptReport] = []

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        self.started.append(started)

    def attempt_ended(self, report: AttemptReport) -> None:
        self.ended.append(report)


def test_a_staged_success_reports_its_records_bytes_times_and_script(
    aws: Aws, project: Project, make_runner: MakeRunner
) -> None:
    runner, seen = make_runner(), Recorder()
    runner.watcher = seen
    put(aws, ["a line", "another line", "a third"])

    result = runner.run(project.job("top"), project.targets["engine"])

    [started], [report] = seen.started, seen.ended
    assert (started.job, started.logical_name, started.iteration, started.attempt) == (
        "top",
        "top",
        0,
        1,
    )
    assert (report.state, report.records, report.bytes) == ("SUCCEEDED", 3, 25)
    assert report.script_sha256 == runner.ledger.get("top", 0).stats["script_sha256"]  # type: ignore[union-attr]
    assert set(report.seconds) == {"read", "submit", "total"}
    assert report.oldest_arrival is not None and report.backlog_age_seconds is not None
    assert report.submission_id == result.outcome.submission_id


def test_a_failed_outcome_reports_the_engines_cause_masked(
    project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner, seen = make_runner(), Recorder()
    runner.watcher = seen
    target.answers = [Outcome("FAILED", "s-1", cause="denied: fs.s3a.secret.key=hunter22")]

    with pytest.raises(JobFailed):
        runner.run(project.job("connector"), project.targets["engine"])

    [report] = seen.ended
    assert (report.state, report.records, report.iteration, report.attempt) == (
        "FAILED",
        None,
        0,
        1,
    )
    assert report.cause == "denied: fs.s3a.secret.key=****"


@pytest.mark.parametrize(
    ("answer", "state", "error"),
    [
        (ServiceError("HiveServer2 went away"), "FAILED", ServiceError),
        (KeyboardInterrupt(), "INTERRUPTED", Interrupted),
    ],
)
def test_an_attempt_ended_by_an_error_is_reported_once_with_its_state(
    project: Project,
    make_runner: MakeRunner,
    target: ScriptedTarget,
    answer: BaseException,
    state: str,
    error: type[BaseException],
) -> None:
    runner, seen = make_runner(), Recorder()
    runner.watcher = seen
    target.answers = [answer]

    with pytest.raises(error):
        runner.run(project.job("connector"), project.targets["engine"])

    assert [(r.state, r.iteration) for r in seen.ended] == [(state, 0)]
    assert seen.ended[0].cause


def test_nothing_is_reported_for_a_run_refused_before_its_claim(
    project: Project, make_runner: MakeRunner
) -> None:
    runner, seen = make_runner(), Recorder()
    runner.watcher = seen
    with pytest.raises(ConfigError, match="job pig is a pig job and target engine is HiveServer2"):
        runner.run(project.job("pig"), project.targets["engine"])
    assert (seen.started, seen.ended) == ([], [])
