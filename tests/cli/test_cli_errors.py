"""The command line: exit codes, one-line errors without tracebacks, help with examples."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiter.cli.main import COMMANDS, cli
from sample_projects import MINIMAL, WriteProject, run


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    assert "Example:" in out and f"kiter {command}" in out


def test_the_lazy_command_list_matches_the_real_commands() -> None:
    group = cli
    assert isinstance(group, click.Group)
    for name in COMMANDS:
        assert group.get_command(click.Context(group), name) is not None


def test_init_then_validate_then_render_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert run(["init", str(folder)], capsys)[0] == 0
    code, out, _ = run(["-C", str(folder), "render", "top_errors", "--iteration", "3"], capsys)
    assert code == 0
    assert "SET kinesis.checkpoint.iteration.no=3;" in out
    code, out, _ = run(["-C", str(folder), "render", "top_errors_pig", "-i", "3"], capsys)
    assert code == 0 and "SET kinesis.checkpoint.iteration.no 3;" in out
    code, out, _ = run(["-C", str(folder), "jobs", "--json"], capsys)
    assert [job["name"] for job in json.loads(out)["jobs"]] == [
        "top_errors",
        "top_errors_pig",
        "top_errors_streaming",
    ]
    code, out, _ = run(["-C", str(folder), "render", "top_errors_streaming", "-i", "3"], capsys)
    assert code == 0 and "-D kinesis.checkpoint.iteration.no=3" in out


def test_init_refuses_to_overwrite_a_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["init", str(tmp_path)], capsys)
    code, _, err = run(["init", str(tmp_path)], capsys)
    assert code == 2
    assert err == f"kiter: error: {tmp_path / 'kiter.toml'} exists already; not overwriting it\n"


def test_a_config_error_is_one_line_with_exit_code_2(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + "bogus = 1\n")
    code, out, err = run(["-C", str(path.parent), "jobs"], capsys)
    assert code == 2 and out.splitlines()[2].split()[0] == "top"  # kiter jobs lists it still
    assert err == f"kiter: error: {path}:5: unknown key 'bogus' in [jobs.top]\n"


def test_an_unknown_job_lists_the_known_ones(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL)
    code, _, err = run(["-C", str(path.parent), "render", "nope"], capsys)
    assert code == 2 and "no job named 'nope' (jobs: top)" in err


def test_a_bad_var_flag_is_a_usage_error(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL)
    code, _, err = run(["-C", str(path.parent), "render", "top", "--var", "x"], capsys)
    assert code == 2 and "--var 'x' must look like NAME=VALUE" in err


def test_a_negative_iteration_is_refused_by_the_command_line(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL)
    code, _, err = run(["-C", str(path.parent), "render", "top", "--iteration", "-1"], capsys)
    assert code == 2 and "Invalid value for '--iteration'" in err


def test_a_bad_logical_name_is_refused_naming_the_setting(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + 'logical_name = "top errors"\n')
    code, _, err = run(["-C", str(path.parent), "render", "top"], capsys)
    assert code == 2
    assert err == (
        f"kiter: error: {path}:5: jobs.top.logical_name must be 1-255 printable ASCII characters "
        "without spaces, ; = quotes \\ # or $, not 'top errors'\n"
    )


def test_render_out_writes_files_and_says_where_on_stderr(
    write_project: WriteProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL)
    out_dir = tmp_path / "build"
    code, out, err = run(
        ["-C", str(path.parent), "render", "top", "-i", "2", "--out", str(out_dir)], capsys
    )
    assert code == 0 and out == ""
    assert (out_dir / "top" / "2.hql").is_file() and "wrote" in err


def test_debug_shows_the_traceback_and_keeps_the_exit_code(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + "bogus = 1\n")
    code, _, err = run(["--debug", "-C", str(path.parent), "jobs"], capsys)
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().splitlines()[-1].startswith("kiter: error: ")


def test_the_installed_command_prints_no_traceback(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + "bogus = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "kiter", "-C", str(path.parent), "render", "top"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


_text = st.text(max_size=40)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(logical=_text, var_value=_text, table=_text, region=_text)
def test_arbitrary_strings_in_config_and_flags_never_cause_a_traceback(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    logical: str,
    var_value: str,
    table: str,
    region: str,
) -> None:
    (tmp_path / "hiveql").mkdir(exist_ok=True)
    (tmp_path / "hiveql" / "t.hql.j2").write_text("SELECT '{{ v }}';\n")
    (tmp_path / "kiter.toml").write_text(
        f"[metastore]\ntable = {json.dumps(table)}\n"
        f'[jobs.j]\nengine = "hive"\ntemplate = "t.hql.j2"\nstream = "s"\n'
        f"logical_name = {json.dumps(logical)}\nendpoint_region = {json.dumps(region)}\n"
        f"vars = {{ v = {json.dumps(var_value)} }}\n",
        encoding="utf-8",
    )
    code, out, err = run(["-C", str(tmp_path), "render", "j", "--var", f"v={var_value}"], capsys)
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:  # one line a problem: the config's problems all at once
        assert err.endswith("\n")
        assert all(line.startswith("kiter: error: ") for line in err.splitlines())
    else:
        assert f"SET kinesis.checkpoint.logical.name={logical};" in out


@pytest.mark.functional
def test_an_unknown_aws_profile_is_a_one_line_config_error(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    path = write_project(MINIMAL)
    code, _, err = run(
        ["-C", str(path.parent), "--aws-profile", "nope", "iterations", "top"], capsys
    )
    assert code == 2
    assert err == "kiter: error: AWS settings: The config profile (nope) could not be found\n"


@pytest.mark.functional
def test_an_endpoint_that_does_not_answer_is_a_one_line_service_error(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = write_project(MINIMAL)
    code, _, err = run(
        ["-C", str(path.parent), "--endpoint-url", f"http://127.0.0.1:{port}", "iterations", "top"],
        capsys,
    )
    assert code == 5
    assert err.startswith("kiter: error: ") and "Could not connect to the endpoint URL" in err
    assert err.count("\n") == 1


def test_query_under_a_profile_picks_the_profiles_hiveserver2_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "p"
    run(["init", str(folder)], capsys)
    code, _, err = run(["-C", str(folder), "query", "SELECT 1"], capsys)
    # the only one: the sample's `hive`, whose host is still the scaffold's placeholder
    assert code == 2 and "targets.hive.host is still the scaffold's placeholder" in err
    assert "edit kiter.toml" in err
    code, _, err = run(["-C", str(folder), "--profile", "local", "query", "SELECT 1"], capsys)
    # the scaffold's local profile adds the `local` target, whose host is the local stack
    assert code == 2 and "the local stack is not running: run `kiter local up`" in err


def test_render_out_to_an_unwritable_folder_is_a_one_line_error(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_project(MINIMAL)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run(
        ["-C", str(path.parent), "render", "top", "--out", str(blocker / "sub")], capsys
    )
    assert code == 2
    assert err.startswith("kiter: error: cannot write ") and err.count("\n") == 1


def test_an_endpoint_that_is_not_a_url_is_refused_naming_the_flag(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL)
    code, _, err = run(
        ["-C", str(path.parent), "--endpoint-url", "notaurl", "render", "top"], capsys
    )
    assert code == 2
    assert err == (
        "kiter: error: --endpoint-url: endpoint_url must be an http:// or https:// URL, "
        "or \"local\", not 'notaurl'\n"
    )


def test_a_var_with_a_line_break_keeps_the_error_on_one_line(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL)
    code, _, err = run(["-C", str(path.parent), "render", "top", "--var", "bad key=a\nb"], capsys)
    assert code == 2 and err.count("\n") == 1


def _without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    empty = tmp_path / "empty-aws-file"
    empty.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))


def test_missing_credentials_say_where_kiter_looks(
    write_project: WriteProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _without_credentials(monkeypatch, tmp_path)
    path = write_project(MINIMAL)
    code, _, err = run(["-C", str(path.parent), "iterations", "top"], capsys)
    assert code == 5 and err.count("\n") == 1
    assert "no AWS credentials found" in err and "--profile local" in err


def test_kiter_run_stops_at_once_on_an_error_no_retry_can_fix(
    write_project: WriteProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _without_credentials(monkeypatch, tmp_path)
    path = write_project(
        MINIMAL + 'target = "h"\n[targets.h]\nkind = "hiveserver2"\nhost = "127.0.0.1"\n'
    )
    started = time.monotonic()
    code, _, err = run(["-C", str(path.parent), "run", "top", "-n", "1"], capsys)
    assert code == 5, err
    assert "retry" not in err and "no AWS credentials found" in err
    assert time.monotonic() - started < 20  # no backoff waited


def test_an_unreachable_hiveserver2_is_one_line_without_a_traceback(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + '[targets.h]\nkind = "hiveserver2"\nhost = "nowhere.invalid"\n')
    code, out, err = run(["-C", str(path.parent), "query", "-t", "h", "SELECT 1"], capsys)
    assert code == 5 and out == ""
    assert err.startswith("kiter: error: cannot reach HiveServer2 at nowhere.invalid:10000")
    assert "Traceback" not in err and err.count("\n") == 1


def test_durations_without_a_unit_are_refused(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + 'target = "h"\n[targets.h]\nkind = "hiveserver2"\nhost = "h"\n')
    code, _, err = run(["-C", str(path.parent), "run", "top", "--backoff", "10"], capsys)
    assert code == 2 and "'10' is not a duration: give a unit" in err


def test_init_ends_with_the_commands_to_run_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["init", str(tmp_path / "p")], capsys)
    assert code == 0
    assert "kiter local up && kiter local traffic" in err
    assert "kiter --profile local submit top_errors" in err and "or on AWS" in err
