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
    if script == "top10_errors.pig":  # its $ITERATION has no value: Pig would refuse it
        assert code == 1 and "parameter $ITERATION has no value" in out + err
    else:
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
    # The script's own logical name is the job's: kiter sets the same value, nothing to say;
    # its own iteration number is replaced, and said so.
    assert "kiter owns kinesis.checkpoint.logical.name" not in err
    assert "kiter owns kinesis.checkpoint.iteration.no" in err


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


REAL = Path(__file__).with_name("realscripts")


def _imported(project: Path, tmp_path: Path, script: str) -> Path:
    source = tmp_path / "incoming" / script
    source.parent.mkdir(exist_ok=True)
    shutil.copy(REAL / script, source)
    return source


def test_an_imported_script_keeps_its_own_checkpoint_table_and_says_so(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _imported(project, tmp_path, "archive_own_table.pig")
    code, out, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 0, err
    assert "checkpoint   telescope-archive (the script's own table" in out
    assert "kiter's ledger stays in MyEMRKinesisTable" in out
    job_table = (project / "kiter.toml").read_text(encoding="utf-8").split("[jobs.")[-1]
    assert 'checkpoint_table = "telescope-archive"' in job_table
    code, out, err = run(["-C", str(project), "render", "archive_own_table", "-i", "3"], capsys)
    assert code == 0, err
    assert "SET kinesis.checkpoint.metastore.table.name telescope-archive;" in out
    assert "telescope-archive' is replaced" not in err + out  # the same table: nothing to say
    code, out, err = run(["-C", str(project), "iam-policy"], capsys)
    assert code == 0, err
    assert "table/telescope-archive" in out and "table/MyEMRKinesisTable" in out


def test_a_script_setting_what_kiter_sets_anyway_gets_no_warning(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _imported(project, tmp_path, "archive_own_table.pig")
    assert run(["-C", str(project), "import", str(source)], capsys)[0] == 0
    code, out, err = run(["-C", str(project), "validate", "archive_own_table"], capsys)
    assert code == 0, out + err
    assert "kinesis.checkpoint.enabled" not in out + err  # 'true', and kiter sets true
    assert "the script's '0' is replaced (kiter sets 0)" not in out + err
    assert "kinesis.checkpoint.logical.name" not in out + err


def test_a_pig_parameter_carrying_the_iteration_is_recognised_and_supplied_by_kiter(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiter.attemptscript import script_for
    from kiter.project import load_project
    from kiter.render import Renderer

    source = _imported(project, tmp_path, "hostcounts_param.pig")
    code, out, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 0, err
    assert "hostcounts_param.pig:5: carries kinesis.checkpoint.iteration.no" in out
    assert "logical name hostcounts" in out
    code, out, err = run(["-C", str(project), "validate", "hostcounts_param"], capsys)
    assert code == 0, out + err
    assert "$input" not in out + err  # neither undefined nor "replaced"
    loaded = load_project(project / "kiter.toml", env={})
    job = loaded.job("hostcounts_param")
    script = script_for(job, Renderer(loaded).render(job, 7), iteration=7)
    assert script.variables["input"] == "7"  # so the STORE path names the iteration too
    assert "SET kinesis.checkpoint.iteration.no 7;" in script.text


def test_a_job_var_or_var_setting_a_parameter_kiter_supplies_is_refused_at_its_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _imported(project, tmp_path, "hostcounts_param.pig")
    assert run(["-C", str(project), "import", str(source)], capsys)[0] == 0
    code, out, err = run(
        ["-C", str(project), "render", "hostcounts_param", "--var", "input=3"], capsys
    )
    assert code == 2
    assert "piglatin/hostcounts_param.pig:5: $input carries kinesis.checkpoint.iteration.no" in err
    assert "--var input may not set it" in err
    with (project / "kiter.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[jobs.hostcounts_param.vars]\ninput = "3"\n')
    code, out, err = run(["-C", str(project), "validate", "hostcounts_param"], capsys)
    assert code == 1
    assert "jobs.hostcounts_param.vars.input may not set it" in out + err


def _nothing_imported(project: Path, name: str) -> None:
    assert (project / "kiter.toml").read_text(encoding="utf-8") == PROJECT
    assert not (project / "hiveql" / name).exists()


def test_a_script_holding_credentials_is_refused_without_showing_them_or_copying_it(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _imported(project, tmp_path, "with_keys.hql")
    code, out, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 2
    assert f"{source}:5: the script holds Kinesis credentials" in err
    assert "AKIAEXAMPLEKEY0001" not in out + err and "wJalrEXAMPLESECRET0001" not in out + err
    _nothing_imported(project, "with_keys.hql")


def test_a_stream_the_script_contradicts_is_refused_at_the_scripts_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _imported(project, tmp_path, "archive_own_table.pig")
    code, _, err = run(["-C", str(project), "import", str(source), "--stream", "Other"], capsys)
    assert code == 2
    assert f"{source}:7: the script reads stream 'TelescopeStream', not --stream 'Other'" in err
    assert not (project / "piglatin" / "archive_own_table.pig").exists()


def test_a_value_kiter_cannot_carry_is_refused_at_the_scripts_line_not_kiter_toml(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _imported(project, tmp_path, "eu_clicks.hql")
    code, _, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 2
    assert f"{source}:6: kinesis.nodata.timeout = '99999': kiter cannot carry it" in err
    assert "kiter.toml" not in err
    _nothing_imported(project, "eu_clicks.hql")


STAGING = '\n[staging]\nlocation = "s3://stage/kiter"\n'


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_staged_region_check_takes_the_region_as_the_command_line_gives_it(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    (project / "kiter.toml").write_text(PROJECT + STAGING, encoding="utf-8")
    source = _imported(project, tmp_path, "eu_clicks.hql")
    source.write_text(source.read_text().replace("99999", "5"))
    staged = ["import", str(source), "--mode", "staged"]
    code, _, err = run(["-C", str(project), *staged], capsys)
    assert code == 2  # the file's region is us-east-1: staged mode cannot read eu-west-1
    assert f"{source}:5: kinesis.endpoint.region = 'eu-west-1'" in err
    assert "staged mode reads the stream in the project's region us-east-1" in err
    if how == "flag":
        code, _, err = run(["-C", str(project), "--region", "eu-west-1", *staged], capsys)
    else:
        monkeypatch.setenv("KITER_AWS_REGION", "eu-west-1")
        code, _, err = run(["-C", str(project), *staged], capsys)
    assert code == 0, err


SCAFFOLD_TAIL = """\

# `kiter local up` starts an embedded stack; `kiter --profile local ...` points the project
# at it.
[profiles.local.aws]
endpoint_url = "local"
"""


def test_the_job_goes_after_the_last_job_not_between_a_comment_and_its_table(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "kiter.toml").write_text(PROJECT + SCAFFOLD_TAIL, encoding="utf-8")
    source = _imported(project, tmp_path, "archive_own_table.pig")
    assert run(["-C", str(project), "import", str(source)], capsys)[0] == 0
    text = (project / "kiter.toml").read_text(encoding="utf-8")
    job = "[jobs.archive_own_table] # imported from archive_own_table.pig by kiter import\n"
    assert text.startswith(PROJECT + "\n" + job)
    assert text.endswith('checkpoint_table = "telescope-archive"\n' + SCAFFOLD_TAIL)


def test_a_script_whose_table_keys_differ_from_the_projects_is_refused_at_its_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _imported(project, tmp_path, "own_keys.hql")
    code, _, err = run(["-C", str(project), "import", str(source)], capsys)
    assert code == 2
    assert f"{source}:7: kinesis.checkpoint.metastore.hash.key.name = 'Shard'" in err
    assert "the project's [metastore] hash_key is 'HashKey'" in err
    _nothing_imported(project, "own_keys.hql")


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
