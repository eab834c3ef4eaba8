"""Watching runs through the CLI on moto: run logs and `kiter logs`, metrics files, hooks, JSON
lines on stderr. Successes run on moto's EMR Serverless (every job run succeeds at once);
failures on a HiveServer2 at port 1 (refused at once)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sample_projects import kiter_in

pytestmark = pytest.mark.functional


@pytest.fixture
def folder(serverless_folder: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, err = kiter_in(serverless_folder, capsys, "metastore", "create", "--on-demand")
    assert code == 0, err
    return serverless_folder


def test_submit_keeps_a_run_log_that_kiter_logs_shows(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = kiter_in(folder, capsys, "submit", "top")
    assert code == 0, err

    log = folder / ".kiter" / "logs" / "top" / "0" / "1.log"
    text = log.read_text(encoding="utf-8")
    assert "kiter  claimed iteration 0 of top (attempt 1)" in text
    assert re.search(r"kiter  script sha256 [0-9a-f]{64}\n", text)
    assert "outcome SUCCEEDED" in text and "4 records" in text

    code, out, err = kiter_in(folder, capsys, "logs", "top", "-i", "0")
    assert code == 0, err
    assert out.startswith("==> .kiter/logs/top/0/1.log <==\n" + text)


def test_a_failing_run_fires_its_hook_once_and_kiter_logs_shows_each_attempt(
    folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fired = tmp_path / "fired.txt"
    hook = f'echo "$KITER_JOB $KITER_LOGICAL_NAME $KITER_ITERATION $KITER_ATTEMPT" >> {fired}'
    args = ["run", "broken", "-n", "1", "--max-retries", "1", "--backoff", "0s"]
    code, _, err = kiter_in(folder, capsys, *args, "--on-failure", hook)

    assert code == 1, err
    assert fired.read_text().splitlines() == ["broken broken_v1 0 2"]  # once, not per retry
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ claimed iteration 0", err, re.M), err

    code, out, err = kiter_in(folder, capsys, "logs", "broken", "-i", "0")
    assert code == 0, err
    headers = [line for line in out.splitlines() if line.startswith("==>")]
    assert headers == [
        "==> .kiter/logs/broken_v1/0/1.log <==",
        "==> .kiter/logs/broken_v1/0/2.log <==",
    ]
    assert out.count("outcome FAILED") == 2 and "cannot reach HiveServer2" in out


def test_run_writes_metrics_files_after_each_attempt(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prom, emf = folder / "kiter.prom", folder / "emf.log"
    args = ["run", "top", "-n", "2", "--metrics-file", str(prom), "--metrics", f"emf:{emf}"]
    code, out, err = kiter_in(folder, capsys, *args)
    assert code == 0, err

    found = {
        (s.name, s.labels.get("state")): s.value
        for family in text_string_to_metric_families(prom.read_text())
        for s in family.samples
        if s.labels.get("kiter_job") == "top"
    }
    assert found[("kiter_last_iteration_number", None)] == 1
    assert found[("kiter_last_iteration_records", None)] == 0  # the second read found nothing new
    assert found[("kiter_attempts_total", "SUCCEEDED")] == 2
    documents = [json.loads(line) for line in emf.read_text().splitlines()]
    assert [(d["Iteration"], d["Records"]) for d in documents] == [(0, 4), (1, 0)]
    assert out == ""  # results only when asked: the EMF lines went to their file


def test_log_format_json_makes_every_stderr_line_a_json_object(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "broken", "-n", "1", "--max-retries", "0", "--log-format", "json"]
    code, _, err = kiter_in(folder, capsys, *args)

    assert code == 1
    records = [json.loads(line) for line in err.splitlines()]
    assert records and all(set(r) == {"time", "level", "source", "message"} for r in records)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]) for r in records)
    assert any(r["message"].startswith("claimed iteration 0 of broken_v1") for r in records)
    assert records[-1]["message"].startswith("broken: giving up after 0 retries")


def test_bad_watch_options_exit_2_before_anything_is_claimed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for option, value, said in [
        ("--metrics", "prometheus", "--metrics 'prometheus': give emf (stdout) or emf:PATH"),
        ("--metrics-file", "/nonexistent/k.prom", "folder /nonexistent does not exist"),
        ("--notify", "arn:aws:sns:us-east-1:1:t", "give sns:ARN"),
    ]:
        code, _, err = kiter_in(folder, capsys, "submit", "top", option, value)
        assert code == 2 and said in err, err
    assert not (folder / ".kiter" / "logs" / "top").exists()
