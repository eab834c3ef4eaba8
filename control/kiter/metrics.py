"""Per-job metrics after every attempt, in the two forms monitoring systems already collect.

- A Prometheus text file for node_exporter's textfile collector (`PrometheusFile`): one file for
  every job of this process, rewritten after each attempt through prometheus-client's own
  `write_to_textfile` (a temporary file in the same folder, then a rename: a scrape never reads
  half a file). The series are gauges of the job's last attempt, its last success time (carried
  over from the file being replaced, so a new process does not forget it) and a counter of
  attempts by state. The job's label is `kiter_job`, not `job`: Prometheus gives every scraped
  series the `job` of its scrape configuration, and a `job` label of ours would come out as
  `exported_job`.
- CloudWatch Embedded Metric Format lines (`EmfLines`): one JSON document a line per attempt,
  written as the EMF specification describes it (`_aws.Timestamp` in milliseconds,
  `_aws.CloudWatchMetrics` naming the namespace, dimensions and metrics, the values as top-level
  members). The aws-embedded-metrics library is built around an asynchronous flush to an agent
  or to Lambda's stdout; one synchronous line per attempt needs only the documented JSON.

Writers are shared by the threads that run jobs side by side: each holds a lock. A metric that
cannot be written is said (`warn`) and never fails a run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiter.echo import Echo, no_echo
from kiter.secrets import Redactor
from kiter.watch import STATES, SUBMITTED, SUCCEEDED, AttemptReport, AttemptStarted

LABELS = ("kiter_job", "logical_name")
NAMESPACE = "kiter"
LAST_SUCCESS = "kiter_last_success_timestamp_seconds"

# name -> (help, value of the last attempt's report; None: unknown, no sample)
_LAST: dict[str, tuple[str, Callable[[AttemptReport], float | None]]] = {
    "kiter_last_iteration_number": (
        "Iteration number of the job's last attempt.",
        lambda r: r.iteration,
    ),
    "kiter_last_iteration_attempt": (
        "Attempt number of the job's last attempt (above 1: the iteration was retried).",
        lambda r: r.attempt,
    ),
    "kiter_last_iteration_records": (
        "Records the last attempt staged (staged jobs).",
        lambda r: r.records,
    ),
    "kiter_last_iteration_bytes": (
        "Bytes the last attempt staged (staged jobs).",
        lambda r: r.bytes,
    ),
    "kiter_last_iteration_read_seconds": (
        "Seconds the last attempt spent reading the stream (staged jobs).",
        lambda r: r.read_seconds,
    ),
    "kiter_last_iteration_engine_seconds": (
        "Seconds the last attempt spent submitting to and waiting for the engine.",
        lambda r: r.engine_seconds,
    ),
    "kiter_last_iteration_duration_seconds": (
        "Seconds the last attempt took, claim to outcome.",
        lambda r: r.duration_seconds,
    ),
    "kiter_last_iteration_backlog_age_seconds": (
        "Age of the oldest record the last attempt staged, when its read ended (staged jobs).",
        lambda r: r.backlog_age_seconds,
    ),
    "kiter_last_iteration_end_timestamp_seconds": (
        "When the last attempt ended, in seconds since the epoch.",
        lambda r: r.ended,
    ),
}


@dataclass
class _Job:
    logical_name: str
    last: AttemptReport | None = None
    last_success: float | None = None
    attempts: dict[str, int] = field(default_factory=dict)  # by state


class PrometheusFile:
    """node_exporter's textfile for the jobs of this process (`jobs`: job -> logical name)."""

    def __init__(self, path: Path, jobs: Mapping[str, str], *, warn: Echo = no_echo) -> None:
        self.path = path
        self.warn = warn
        self._lock = threading.Lock()
        self._jobs = {name: _Job(logical) for name, logical in jobs.items()}
        for name, when in _carried_over(path, set(jobs)).items():
            self._jobs[name].last_success = when
        self._failed = False

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        pass

    def attempt_ended(self, report: AttemptReport) -> None:
        with self._lock:
            job = self._jobs.setdefault(report.job, _Job(report.logical_name))
            job.logical_name, job.last = report.logical_name, report
            job.attempts[report.state] = job.attempts.get(report.state, 0) + 1
            if report.state == SUCCEEDED:
                job.last_success = report.ended
            self._write()

    def write(self) -> None:
        """Write the file as it stands (at start: the last success times carried over)."""
        with self._lock:
            self._write()

    def _write(self) -> None:
        from prometheus_client import CollectorRegistry, write_to_textfile

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self._jobs))
        try:
            write_to_textfile(str(self.path), registry)
        except OSError as exc:
            if not self._failed:  # once: the next attempt tries again, silently
                self.warn(f"cannot write the metrics file {self.path}: {exc.strerror or exc}")
            self._failed = True
        else:
            self._failed = False


class _Collector:
    """A custom collector (prometheus-client's pattern) over the jobs' state."""

    def __init__(self, jobs: Mapping[str, _Job]) -> None:
        self.jobs = jobs

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        jobs = sorted(self.jobs.items())
        for name, (text, value) in _LAST.items():
            family = GaugeMetricFamily(name, text, labels=LABELS)
            for job, state in jobs:
                number = value(state.last) if state.last is not None else None
                if number is not None:
                    family.add_metric([job, state.logical_name], float(number))
            yield family
        outcome = GaugeMetricFamily(
            "kiter_last_iteration_outcome",
            "1 for the state the job's last attempt ended in, 0 for the others.",
            labels=(*LABELS, "state"),
        )
        for job, state in jobs:
            if state.last is not None:
                for each in STATES:
                    outcome.add_metric(
                        [job, state.logical_name, each], float(state.last.state == each)
                    )
        yield outcome
        success = GaugeMetricFamily(
            LAST_SUCCESS, "When the job's last successful iteration ended.", labels=LABELS
        )
        for job, state in jobs:
            if state.last_success is not None:
                success.add_metric([job, state.logical_name], state.last_success)
        yield success
        attempts = CounterMetricFamily(
            "kiter_attempts",
            "Attempts this process ran, by the state they ended in.",
            labels=(*LABELS, "state"),
        )
        for job, state in jobs:
            for each, count in sorted(state.attempts.items()):
                attempts.add_metric([job, state.logical_name, each], float(count))
        yield attempts


def _carried_over(path: Path, jobs: set[str]) -> dict[str, float]:
    """The last success times the file being replaced holds for these jobs."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    found: dict[str, float] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                job = sample.labels.get("kiter_job", "")
                if sample.name == LAST_SUCCESS and job in jobs:
                    found[job] = float(sample.value)
    except ValueError:  # not a metrics file (any more): it is replaced all the same
        return found
    return found


# ---- CloudWatch EMF --------------------------------------------------------------------------

# (EMF name, unit, value of the report; None: not sent)
_EMF: tuple[tuple[str, str, Callable[[AttemptReport], float | None]], ...] = (
    ("Records", "Count", lambda r: r.records),
    ("Bytes", "Bytes", lambda r: r.bytes),
    ("ReadTime", "Seconds", lambda r: r.read_seconds),
    ("EngineTime", "Seconds", lambda r: r.engine_seconds),
    ("Duration", "Seconds", lambda r: r.duration_seconds),
    ("Attempt", "Count", lambda r: r.attempt),
    ("BacklogAge", "Seconds", lambda r: r.backlog_age_seconds),
    ("Succeeded", "Count", lambda r: int(r.state == SUCCEEDED)),
    ("Failed", "Count", lambda r: int(r.state not in (SUCCEEDED, SUBMITTED))),
)


def emf_document(
    report: AttemptReport, last_success: float | None, namespace: str = NAMESPACE
) -> dict[str, Any]:
    """The EMF document of one attempt: dimension `Job`; `LogicalName`, `Iteration`, `State`,
    `Cause` and `LastSuccessTimestamp` ride along as properties (searchable, not metrics)."""
    values = {name: value(report) for name, _, value in _EMF}
    if last_success is not None:
        values["TimeSinceLastSuccess"] = max(0.0, report.ended - last_success)
    units = dict((name, unit) for name, unit, _ in _EMF) | {"TimeSinceLastSuccess": "Seconds"}
    sent = {name: value for name, value in values.items() if value is not None}
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(report.ended * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["Job"]],
                    "Metrics": [{"Name": name, "Unit": units[name]} for name in sent],
                }
            ],
        },
        "Job": report.job,
        "LogicalName": report.logical_name,
        "Iteration": report.iteration,
        "State": report.state,
        "Target": report.target,
    }
    if report.cause:
        document["Cause"] = report.cause[:1000]
    if last_success is not None:
        document["LastSuccessTimestamp"] = int(last_success * 1000)
    return document | sent


class EmfLines:
    """One EMF line per attempt, handed to `write` (stdout, or a file appended to)."""

    def __init__(self, write: Callable[[str], None], *, warn: Echo = no_echo) -> None:
        self.write = write
        self.warn = warn
        self._lock = threading.Lock()
        self._last_success: dict[str, float] = {}

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        pass

    def attempt_ended(self, report: AttemptReport) -> None:
        with self._lock:
            if report.state == SUCCEEDED:
                self._last_success[report.job] = report.ended
            line = json.dumps(emf_document(report, self._last_success.get(report.job)))
            try:
                self.write(line)
            except OSError as exc:
                self.warn(f"cannot write the EMF line: {exc.strerror or exc}")


def append_to(path: Path) -> Callable[[str], None]:
    """A writer that appends a line to `path` (opened each time: log rotation keeps working)."""

    def write(line: str) -> None:
        with path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")

    return write
