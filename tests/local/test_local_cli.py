"""`kiter local up | down | status` through click's CliRunner, with the moto server alone.

`kiter.cli.main` registers the group lazily, so these tests drive the group object itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiter.cli.app import App
from kiter.cli.local import local
from kiter.errors import UsageError
from kiter.local.stack import LocalStack, resolve_endpoint, resolve_hiveserver2
from kiter.project import load_project
from sample_projects import run

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(project_root: Path) -> Iterator[Invoke]:
    def run(*args: str) -> Result:
        return CliRunner().invoke(local, list(args), obj=App(project_dir=str(project_root)))

    yield run
    LocalStack(project_root / ".kiter" / "local").down()


@pytest.mark.parametrize("command", [[], ["up"], ["down"], ["status"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(local, [*command, "--help"])

    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"kiter local {command[0] if command else 'up'}" in result.output


def test_status_of_a_stack_that_is_down_says_how_to_start_it(invoke: Invoke) -> None:
    result = invoke("status")

    assert result.exit_code == 0
    assert "not running" in result.stdout and "kiter local up" in result.stdout


def test_status_json_of_a_stack_that_is_down(invoke: Invoke) -> None:
    result = invoke("status", "--json")

    assert json.loads(result.stdout) == {
        "schema": "kiter.local/1",
        "running": False,
        "moto": None,
        "hiveserver2": None,
    }


def test_down_of_a_stack_that_is_down_prints_nothing_on_stdout(invoke: Invoke) -> None:
    result = invoke("down")

    assert result.exit_code == 0
    assert result.stdout == ""
    assert "not running" in result.stderr


@pytest.mark.functional
def test_up_no_hive_then_status_then_down(invoke: Invoke, project_root: Path) -> None:
    up = invoke("up", "--no-hive")
    assert up.exit_code == 0, up.output
    assert up.stdout.startswith("moto") and "http://127.0.0.1:" in up.stdout
    assert "starting moto" in up.stderr

    status = invoke("status", "--json")
    data = json.loads(status.stdout)
    assert data["running"] is True and data["hiveserver2"] is None
    assert data["moto"]["alive"] is True
    project = load_project(project_root / "kiter.toml")
    assert resolve_endpoint(project.local_dir) == data["moto"]["url"]

    again = invoke("up", "--no-hive")
    assert "nothing started" in again.stderr
    # The same services, pids and URLs (only their memory may have changed).
    assert re.sub(r", \d+ MB", "", again.stdout) == re.sub(r", \d+ MB", "", up.stdout)
    assert re.search(r"pid \d+, \d+ MB\n", up.stdout)

    down = invoke("down")
    assert down.stdout == f"stopped moto (pid {data['moto']['pid']}, port {data['moto']['port']})\n"
    with pytest.raises(UsageError, match="kiter local up"):
        resolve_endpoint(project.local_dir)


@pytest.mark.functional
def test_hiveserver2_address_needs_the_hive_engine(invoke: Invoke, project_root: Path) -> None:
    invoke("up", "--no-hive")

    with pytest.raises(UsageError, match=r"runs without HiveServer2 .*`kiter local up` starts it"):
        resolve_hiveserver2(load_project(project_root / "kiter.toml").local_dir)


@pytest.mark.functional
def test_a_submit_after_up_without_hive_names_the_missing_hiveserver2_not_a_stopped_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "scaffold"
    assert run(["init", str(root)], capsys)[0] == 0
    try:
        code, _, err = run(["-C", str(root), "local", "up", "--no-hive", "--no-pig"], capsys)
        assert code == 0, err
        code, _, err = run(["-C", str(root), "--profile", "local", "submit", "top_errors"], capsys)
    finally:
        LocalStack(root / ".kiter" / "local").down()

    assert code == 2
    assert err == (
        "kiter: error: the local stack runs without HiveServer2 (started with --no-hive): "
        "`kiter local up` starts it\n"
    )


def test_up_with_java_11_fails_with_a_usage_error(invoke: Invoke, java_11: Path) -> None:
    result = invoke("up")

    assert isinstance(result.exception, UsageError)
    assert "Java 17" in str(result.exception)
    assert result.stdout == ""


@pytest.mark.functional
def test_up_creates_the_projects_missing_streams_on_the_local_moto_server(
    invoke: Invoke, project_root: Path
) -> None:
    (project_root / "kiter.toml").write_text(
        "[jobs.a]\nengine = 'hive'\ntemplate = 'top_errors.hql.j2'\nstream = 'weblogs'\n"
        "[jobs.b]\nengine = 'hive'\ntemplate = 'top_errors.hql.j2'\nstream = 'clicks'\n"
    )
    up = invoke("up", "--no-hive", "--shards", "3")
    assert up.exit_code == 0, up.output
    assert "created stream clicks (3 shards)" in up.stderr
    assert "created stream weblogs (3 shards)" in up.stderr
    again = invoke("up", "--no-hive")
    assert "created stream" not in again.stderr  # present already

    from kiter.aws import Aws, AwsSettings

    url = json.loads(invoke("status", "--json").stdout)["moto"]["url"]
    kinesis = Aws(AwsSettings(region="us-east-1", endpoint_url=url, local_credentials=True)).client(
        "kinesis"
    )
    assert sorted(kinesis.list_streams()["StreamNames"]) == ["clicks", "weblogs"]
    summary = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3
