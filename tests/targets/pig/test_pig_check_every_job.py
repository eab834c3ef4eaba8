"""`kiter validate` asks Pig itself about every Pig job, connector mode included (through the
staged rewrite, which keeps the lines), and shows the cause of a REGISTER that Pig refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from sample_projects import run

pytestmark = pytest.mark.integration

PROJECT = """\
[aws]
region = "us-east-1"

[targets.emr]
kind = "emr"
cluster_id = "j-1"
script_prefix = "s3://scripts/kiter"

[jobs.conn]
engine = "pig"
template = "conn.pig"
stream = "S"
target = "emr"
"""

HEAD = (
    "raw = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);\n"
)


def _validate(
    tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, Path]:
    (tmp_path / "kiter.toml").write_text(PROJECT, encoding="utf-8")
    template = tmp_path / "piglatin" / "conn.pig"
    template.parent.mkdir()
    template.write_text(body, encoding="utf-8")
    code, out, err = run(["-C", str(tmp_path), "validate", "conn"], capsys)
    return code, out + err, template


def test_a_connector_mode_pig_syntax_error_fails_validate_at_its_template_line(
    tmp_path: Path, pig_engine: object, capsys: pytest.CaptureFixture[str]
) -> None:
    body = HEAD + "ok = FILTER raw BY line IS NOT NULL;\nbad = FOREACH ok GENERATE line line2;\n"
    body += "STORE bad INTO 'out/bad';\n"
    code, out, template = _validate(tmp_path, body, capsys)
    assert code == 1, out
    assert f"{template}:3: (script line " in out and "Pig's check" in out


def test_a_clean_connector_mode_pig_job_passes_pigs_check(
    tmp_path: Path, pig_engine: object, capsys: pytest.CaptureFixture[str]
) -> None:
    body = HEAD + "ok = FILTER raw BY line IS NOT NULL;\nSTORE ok INTO 'out/ok';\n"
    code, out, _ = _validate(tmp_path, body, capsys)
    assert code == 0, out


def test_a_register_of_a_file_missing_here_shows_its_cause_as_a_warning_for_a_cluster_job(
    tmp_path: Path, pig_engine: object, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "REGISTER /usr/share/aws/emr/nothing-here/custom-udfs.jar;\n" + HEAD
    body += "STORE raw INTO 'out/raw';\n"
    code, out, template = _validate(tmp_path, body, capsys)
    assert code == 0, out  # the jar may be the cluster's
    assert f"warning: {template}:1: Pig's check" in out  # the REGISTER's line
    assert "warning: " in out and "Pig's check (exit 6): 101: file" in out
    assert "custom-udfs.jar' does not exist" in out and "Details at logfile" not in out
