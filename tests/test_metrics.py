"""Metrics after every attempt: a node_exporter textfile read back with prometheus-client's own
parser, and CloudWatch EMF lines checked against the specification's required keys."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from kiter.metrics import EmfLines, PrometheusFile, append_to
from kiter.watch import AttemptReport

JOBS = {"top_errors": "top", "clicks": "clicks_v2"}


def report(job: str = "top_errors", **changes: Any) -> AttemptReport:
    values: dict[str, Any] = {
        "job": job,
        "logical_name": JOBS.get(job, job),
        "iteration": 7,
        "attempt": 1,
        "target": "engine",
        "state": "SUCCEEDED",
        "cause": "",
        "started": 1_700_000_000.0,
        "ended": 1_700_000_030.0,
        "seconds": {"read": 2.5, "submit": 27.0, "total": 30.0},
        "records": 120,
        "bytes": 48_000,
        "oldest_arrival": 1_699_999_940.0,
        "script_sha256": "ab" * 32,
    }
    return AttemptReport(**(values | changes))


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the file, as prometheus-client's parser reads it."""
    found = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def labels(job: str, **more: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"kiter_job": job, "logical_name": JOBS[job], **more}.items()))


def test_the_textfile_holds_each_jobs_last_attempt_parsed_back_by_prometheus_client(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kiter.prom"
    metrics = PrometheusFile(path, JOBS)
    metrics.attempt_ended(report())
    connector = {
        "records": None,
        "bytes": None,
        "oldest_arrival": None,
        "seconds": {"submit": 4.0, "total": 4.5},
    }
    metrics.attempt_ended(report("clicks", state="FAILED", attempt=3, cause="boom", **connector))

    found = samples(path)
    top = labels("top_errors")
    assert found[("kiter_last_iteration_number", top)] == 7
    assert found[("kiter_last_iteration_attempt", top)] == 1
    assert found[("kiter_last_iteration_records", top)] == 120
    assert found[("kiter_last_iteration_bytes", top)] == 48_000
    assert found[("kiter_last_iteration_read_seconds", top)] == 2.5
    assert found[("kiter_last_iteration_engine_seconds", top)] == 27.0
    assert found[("kiter_last_iteration_duration_seconds", top)] == 30.0
    assert found[("kiter_last_iteration_backlog_age_seconds", top)] == 62.5  # at the read's end
    assert found[("kiter_last_iteration_end_timestamp_seconds", top)] == 1_700_000_030.0
    assert found[("kiter_last_success_timestamp_seconds", top)] == 1_700_000_030.0
    assert found[("kiter_last_iteration_outcome", labels("top_errors", state="SUCCEEDED"))] == 1
    assert found[("kiter_last_iteration_outcome", labels("top_errors", state="FAILED"))] == 0
    assert found[("kiter_attempts_total", labels("top_errors", state="SUCCEEDED"))] == 1

    clicks = labels("clicks")
    assert found[("kiter_last_iteration_attempt", clicks)] == 3
    assert found[("kiter_last_iteration_outcome", labels("clicks", state="FAILED"))] == 1
    assert ("kiter_last_iteration_records", clicks) not in found  # a connector job stages nothing
    assert ("kiter_last_success_timestamp_seconds", clicks) not in found
    assert all("job" not in dict(label) for _, label in found)  # Prometheus' own target label


def test_the_textfile_is_replaced_by_a_rename_never_rewritten_in_place(tmp_path: Path) -> None:
    path = tmp_path / "kiter.prom"
    metrics = PrometheusFile(path, JOBS)
    metrics.write()
    before = path.stat().st_ino
    metrics.attempt_ended(report())

    assert path.stat().st_ino != before  # a new file took the name: a scrape sees old or new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiter.prom"]  # no temporary left


def test_a_new_process_carries_the_last_success_over_and_drops_other_jobs(tmp_path: Path) -> None:
    path = tmp_path / "kiter.prom"
    earlier = PrometheusFile(path, JOBS)
    earlier.attempt_ended(report())
    earlier.attempt_ended(report("clicks"))

    later = PrometheusFile(path, {"top_errors": "top"})
    later.write()
    later.attempt_ended(report(state="FAILED", ended=1_700_000_900.0))

    found = samples(path)
    assert found[("kiter_last_success_timestamp_seconds", labels("top_errors"))] == 1_700_000_030.0
    assert not any(dict(label).get("kiter_job") == "clicks" for _, label in found)


def test_jobs_ending_at_once_in_worker_threads_leave_a_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "kiter.prom"
    metrics = PrometheusFile(path, JOBS)

    def attempts(job: str) -> None:
        for n in range(25):
            metrics.attempt_ended(report(job, iteration=n))

    threads = [threading.Thread(target=attempts, args=(job,)) for job in JOBS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    found = samples(path)
    for job in JOBS:
        assert found[("kiter_attempts_total", labels(job, state="SUCCEEDED"))] == 25
        assert found[("kiter_last_iteration_number", labels(job))] == 24


def test_a_metrics_file_that_cannot_be_written_is_said_and_fails_nothing(tmp_path: Path) -> None:
    warnings: list[str] = []
    metrics = PrometheusFile(tmp_path / "missing" / "kiter.prom", JOBS, warn=warnings.append)
    metrics.attempt_ended(report())
    metrics.attempt_ended(report())
    assert len(warnings) == 1 and "cannot write the metrics file" in warnings[0]


# ---- EMF --------------------------------------------------------------------------------------

UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Count",
         "Percent", "None", "Count/Second", "Bytes/Second"}  # fmt: skip


def check_emf(document: dict[str, Any]) -> None:
    """The EMF specification's requirements of a document (the structured log root node)."""
    meta = document["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 10**12  # milliseconds
    directives = meta["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    for directive in directives:
        assert 1 <= len(directive["Namespace"]) <= 255
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            for name in dimension_set:
                assert isinstance(document[name], str)  # a dimension is a top-level string
        assert 1 <= len(directive["Metrics"]) <= 100
        for metric in directive["Metrics"]:
            assert 1 <= len(metric["Name"]) <= 255
            assert metric.get("Unit", "None") in UNITS
            value = document[metric["Name"]]  # a metric's value is a top-level member
            assert isinstance(value, int | float) and not isinstance(value, bool)


def test_an_emf_line_per_attempt_meets_the_specification(tmp_path: Path) -> None:
    lines: list[str] = []
    emf = EmfLines(lines.append)
    emf.attempt_ended(report())
    connector = {"records": None, "bytes": None, "oldest_arrival": None, "seconds": {"total": 4.0}}
    emf.attempt_ended(report(state="FAILED", cause="boom", ended=1_700_000_090.0, **connector))

    first, second = (json.loads(line) for line in lines)
    for document in (first, second):
        check_emf(document)
    assert first["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Job"]]
    assert (first["Job"], first["LogicalName"], first["State"]) == (
        "top_errors",
        "top",
        "SUCCEEDED",
    )
    assert (first["Records"], first["Bytes"], first["Succeeded"], first["Failed"]) == (
        120,
        48_000,
        1,
        0,
    )
    assert first["_aws"]["Timestamp"] == 1_700_000_030_000
    names = {m["Name"] for m in second["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert "Records" not in names and "Records" not in second  # a connector job stages nothing
    assert (second["Failed"], second["Cause"], second["TimeSinceLastSuccess"]) == (1, "boom", 60.0)


def test_emf_lines_to_a_file_are_appended_one_a_line(tmp_path: Path) -> None:
    path = tmp_path / "emf.log"
    emf = EmfLines(append_to(path))
    emf.attempt_ended(report())
    emf.attempt_ended(report(iteration=8))
    documents = [json.loads(line) for line in path.read_text().splitlines()]
    assert [d["Iteration"] for d in documents] == [7, 8]
