"""One Spark Thrift Server for the whole test session, started only if an integration test asks.

Start-up costs 15-40 s on two cores, so every integration test shares this server; tests keep their
state apart with table names of their own instead of a fresh server.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiter.aws import Aws, AwsSettings
from kiter.echo import Echo, no_echo
from kiter.errors import UsageError
from kiter.local import processes, sparkengine
from kiter.metastore.ledger import Owner
from kiter.metastore.table import CheckpointTable
from kiter.project import Project, TargetConfig, load_project
from kiter.render import Renderer
from kiter.runner import Runner
from kiter.targets.base import Outcome, Script, Unwatched
from kiter.targets.hiveserver2 import HiveServer2Target
from kiter_support import project_ledger
from sample_projects import kiter_in

START_TIMEOUT_S = 150.0


@dataclass(frozen=True)
class ThriftServer:
    host: str
    port: int
    pid: int
    log_path: Path
    ready_after_s: float  # from spawn to the first successful SELECT 1

    def target(self, echo: Echo = no_echo, **kwargs: Any) -> HiveServer2Target:
        return HiveServer2Target(
            "local", host=self.host, port=self.port, echo=echo, poll_interval=0.1, **kwargs
        )


@pytest.fixture(scope="package")
def thrift_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThriftServer]:
    try:
        sparkengine.require()
    except UsageError as exc:
        pytest.skip(str(exc))
    run_dir = tmp_path_factory.mktemp("spark-thrift")
    port = processes.free_port()
    log_path = run_dir / "server.log"
    started = time.monotonic()
    pid = sparkengine.start(run_dir, port, log_path=log_path)
    try:
        processes.wait_until_ready("127.0.0.1", port, START_TIMEOUT_S, pid=pid, log_path=log_path)
        yield ThriftServer("127.0.0.1", port, pid, log_path, time.monotonic() - started)
    finally:
        processes.stop(pid)


@pytest.fixture
def unique() -> str:
    """A suffix that keeps one test's tables apart from another's on the shared server."""
    return uuid.uuid4().hex[:10]


def run_script(target: HiveServer2Target, script: Script) -> Outcome:
    """Start a script and follow it to its end, outside any ledger."""
    return target.follow(target.start(script), Unwatched())


# A staged job whose every run records itself: a row (logical name, iteration, records read) in
# a table of the test's, so a test can count the runs of each iteration on the engine itself.
COUNTING_TEMPLATE = """\
{% import "kiter/hive.j2" as kiter with context -%}
{% set source = kiter.table_name("records") -%}
{{ kiter.preamble() }}

{{ kiter.source_table(source, ["line STRING"]) }}

INSERT INTO {{ vars.starts }}
SELECT '{{ logical_name }}', {{ iteration }}, COUNT(*) FROM {{ source }}
WHERE {{ kiter.this_iteration() }};
"""


def counting_project(
    root: Path,
    *,
    endpoint: str,
    port: int,
    stream: str,
    jobs: dict[str, str],
    starts: str,
    lease: int,
) -> None:
    """kiter.toml and the counting template in `root`: `jobs` maps job names to logical names,
    all staged (file://) from `stream` to Spark's HiveServer2 on `port`."""
    (root / "hiveql").mkdir(exist_ok=True)
    (root / "hiveql" / "counting.hql.j2").write_text(COUNTING_TEMPLATE, encoding="utf-8")
    text = (
        f'[aws]\nregion = "us-east-1"\nendpoint_url = "{endpoint}"\n'
        f"[metastore]\nlease_seconds = {lease}\n"
        f'[staging]\nlocation = "{(root / "staging").as_uri()}"\n'
        f'[targets.spark]\nkind = "hiveserver2"\nhost = "127.0.0.1"\nport = {port}\n'
    )
    for job, logical in jobs.items():
        text += (
            f'[jobs.{job}]\nengine = "hive"\ntemplate = "counting.hql.j2"\n'
            f'stream = "{stream}"\ntarget = "spark"\nmode = "staged"\n'
            f'logical_name = "{logical}"\nvars = {{ starts = "{starts}" }}\n'
        )
    (root / "kiter.toml").write_text(text, encoding="utf-8")


ImportStaged = Callable[..., tuple[Project, Runner]]


@pytest.fixture
def import_staged(
    thrift_server: ThriftServer,
    tmp_path: Path,
    in_process_moto: None,
    capsys: pytest.CaptureFixture[str],
) -> ImportStaged:
    """`kiter import SCRIPT... --mode staged` into a project in `tmp_path` whose target `spark`
    is the Thrift Server (staging in tmp_path/staging), the checkpoint table created on moto;
    gives the project and a runner whose targets are the server."""

    def imported(*scripts: Path) -> tuple[Project, Runner]:
        (tmp_path / "kiter.toml").write_text(
            f'[staging]\nlocation = "{tmp_path / "staging"}"\n'
            f'[targets.spark]\nkind = "hiveserver2"\nhost = "127.0.0.1"\n'
            f"port = {thrift_server.port}\n",
            encoding="utf-8",
        )
        code, _, err = kiter_in(tmp_path, capsys, "import", *map(str, scripts), "--mode", "staged")
        assert code == 0, err
        project = load_project(tmp_path / "kiter.toml", env={})
        aws = Aws(AwsSettings(region="us-east-1"))
        CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
            on_demand=True, read=0, write=0, progress=lambda _l: None
        )

        def make_target(config: TargetConfig, echo: Any) -> Any:
            return thrift_server.target()

        runner = Runner(
            project,
            aws=aws,
            renderer=Renderer(project),
            ledger=project_ledger(Owner.current()),
            make_target=make_target,
        )
        return project, runner

    return imported
