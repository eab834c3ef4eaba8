"""`kiter import`: an existing script becomes a job, kiter.toml keeps its comments, and the job
validates and renders at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sample_projects import run

SCRIPTS = Path(__file__).with_name("scripts")
SEVERAL = Path(__file__).with_name("several")  # jobs of several scripts; a script on no stream

PROJECT = """\
# Our analytics project: comments like this one must survive an import.
[aws]
region = "us-east-1"   # where the stream lives

[targets.emr]  # the nightly cluster
kind = "emr"
cluster_id = "j-ABC"
script_prefix = "s3://scripts/kiter"

[jobs.existing]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "kiter.toml").write_text(PROJECT, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("script", "stream", "logical"),
    [
        ("access_log_status.hql", "AccessLogStream", "TestLogicalName"),
        ("errors_by_iteration.hql", "WebLogEvents", "weblog-errors"),
        ("json_clicks.hql", "ClickStream", "clicks-daily"),
        ("top10_errors.pig", "AccessLogStream", "top10-errors"),
    ],
)
def test_an_imported_script_becomes_a_job_that_validates_and_renders(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    script: str,
    stream: str,
    logical: str,
) -> None:
    source = tmp_path / "incoming" / script
    source.parent.mkdir()
    shutil.copy(SCRIPTS / script, source)
    name = source.stem
    code, out, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 0, err
    assert f"imported {script} as job {name}" in out
    assert f"stream       {stream}" in out and f"logical name {logical}" in out
    assert "kiter owns from now on" in out and "kinesis.checkpoint.iteration.no" in out
    folder = "piglatin" if script.endswith(".pig") else "hiveql"
    assert (project / folder / script).read_bytes() == (SCRIPTS / script).read_bytes()
    toml = (project / "kiter.toml").read_text(encoding="utf-8")
    assert toml.startswith(PROJECT.rstrip("\n"))  # comments and layout kept, the job appended
    job_table = toml.split(f"[jobs.{name}]")[1]
    assert 'target = "emr"' in job_table
    carried = {
        "top10_errors.pig": "iteration_timeout = 5",
        "errors_by_iteration.hql": "nodata_timeout = 2",
    }
    if script in carried:  # the script's own timeout becomes the job's: behaviour kept
        assert carried[script] in job_table

    code, out, err = run(["-C", str(project), "validate", name], capsys)
    assert code == 0, out + err
    code, out, err = run(["-C", str(project), "render", name, "-i", "9"], capsys)
    assert code == 0
    assert any(
        line in out
        for line in (
            "SET kinesis.checkpoint.iteration.no=9;",
            "SET kinesis.checkpoint.iteration.no 9;",
        )
    )
    assert "kiter owns kinesis.checkpoint.logical.name" in err


def test_an_import_that_would_not_load_leaves_kiter_toml_and_the_folder_as_they_were(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.hql"
    source.write_text(
        "set kinesis.checkpoint.logical.name=has space;\n"
        "CREATE TABLE t (l STRING) STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'"
        " TBLPROPERTIES ('kinesis.stream.name'='S');\n"
    )
    code, _, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 2
    assert "logical_name" in err
    assert (project / "kiter.toml").read_text() == PROJECT
    assert not (project / "hiveql" / "bad.hql").exists()


def test_a_script_that_reads_no_stream_needs_one_given(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "plain.hql"
    source.write_text("SELECT 1;\n")
    code, _, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 2 and "reads no Kinesis stream" in err and "--stream" in err
    code, out, _ = run(
        ["-C", str(project), "import", str(source), "--stream", "weblogs", "--name", "plain"],
        capsys,
    )
    assert code == 0 and "stream       weblogs" in out


def test_an_unknown_extension_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "script.txt"
    source.write_text("SELECT 1;\n")
    code, _, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 2 and "cannot tell the engine" in err


@pytest.mark.functional
def test_next_iteration_starts_the_ledger_there_and_is_refused_once_it_has_history(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], in_process_moto: None
) -> None:
    from kiter.aws import Aws, AwsSettings
    from kiter.metastore.ledger import Ledger, Owner
    from kiter.metastore.table import CheckpointTable

    client = Aws(AwsSettings(region="us-east-1")).client("dynamodb")
    CheckpointTable(client, "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _: None
    )
    source = tmp_path / "access_log_status.hql"
    shutil.copy(SCRIPTS / source.name, source)
    code, _, err = run(
        ["-C", str(project), "import", str(source), "--next-iteration", "412"], capsys
    )
    assert code == 0, err
    ledger = Ledger(client, "MyEMRKinesisTable", "HashKey", "RangeKey", owner=Owner.current())
    claim = ledger.claim("TestLogicalName")
    assert claim.iteration == 412 and claim.previous is None
    ledger.succeed(claim, {})

    again = tmp_path / "again" / "access_log_status.hql"
    again.parent.mkdir()
    shutil.copy(SCRIPTS / source.name, again)
    code, _, err = run(
        ["-C", str(project), "import", str(again), "--name", "again", "--next-iteration", "0"],
        capsys,
    )
    assert code == 4 and "kiter already has a ledger for TestLogicalName" in err
    assert "[jobs.again]" not in (project / "kiter.toml").read_text()


def test_several_files_import_as_one_job_that_runs_them_in_order(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    create, query = (
        SEVERAL / "create_visits.q",
        SEVERAL / "status_counts.q",
    )
    with (project / "kiter.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[staging]\nlocation = "s3://staging/kiter"\n')  # EMR reads s3:// only
    code, out, err = run(
        ["-C", str(project), "import", str(create), str(query), "--mode", "staged"], capsys
    )
    assert code == 0, err
    assert "imported create_visits.q, status_counts.q as job status_counts" in out
    assert "stream       VisitLogStream" in out and "logical name VisitCounts" in out
    assert "status_counts.q:6: kinesis.checkpoint.logical.name = VisitCounts" in out
    job_table = (
        (project / "kiter.toml").read_text(encoding="utf-8").split("[jobs.status_counts]")[1]
    )
    assert 'templates = ["create_visits.q", "status_counts.q"]' in job_table
    assert "template =" not in job_table
    for script in (create, query):
        assert (project / "hiveql" / script.name).read_bytes() == script.read_bytes()

    code, out, err = run(["-C", str(project), "validate", "status_counts"], capsys)
    assert code == 0, out + err
    code, out, err = run(["-C", str(project), "render", "status_counts", "-i", "4"], capsys)
    assert code == 0 and "/VisitCounts/iteration=4'" in out and "FROM visits" in out


def test_scripts_of_two_engines_are_not_one_job(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hive, pig = SEVERAL / "create_visits.q", SCRIPTS / "top10_errors.pig"
    code, out, err = run(["-C", str(project), "import", str(hive), str(pig)], capsys)
    assert (code, out) == (2, "")
    assert err == f"kiter: error: {hive}, {pig}: one job's scripts are all Hive or all Pig\n"
