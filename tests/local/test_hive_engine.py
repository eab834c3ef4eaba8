"""Apache Hive 3.1.3's HiveServer2 as the local stack's engine (`kiter local up --hive-engine hive`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyhive import hive as pyhive

from kiter.local import hiveengine
from kiter.local.stack import LocalStack
from kiter.local.traffic import Traffic, expected_top_errors
from kiter_support import kiter_process, local_scaffold

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hive_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh scaffold whose local stack runs Hive's HiveServer2 (installed once with mvn)."""
    hiveengine.install()
    root = tmp_path_factory.mktemp("hive-project")
    with local_scaffold(root, "--hive-engine", "hive", "--no-pig", "--no-hadoop", "--shards", "2"):
        yield root


def test_hiveserver2_is_hive_itself_and_listens_on_loopback_only(hive_project: Path) -> None:
    state = LocalStack(hive_project / ".kiter" / "local").status()
    assert state is not None and state.hiveserver2 is not None
    cmdline = Path(f"/proc/{state.hiveserver2.pid}/cmdline").read_bytes()
    assert b"org.apache.hive.service.server.HiveServer2" in cmdline
    cursor = pyhive.connect("127.0.0.1", state.hiveserver2.port, username="kiter").cursor()
    cursor.execute("SELECT version()")
    assert cursor.fetchall()[0][0].startswith("3.1.3")
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=False)
    port = f":{state.hiveserver2.port}"
    bound = [line.split()[3] for line in listening.stdout.splitlines()]
    ours = [address.removesuffix(port) for address in bound if address.endswith(port)]
    # Java binds an IPv6 socket to the IPv4-mapped loopback address.
    assert ours and set(ours) <= {"127.0.0.1", "[::ffff:127.0.0.1]"}


def test_the_builtin_top_errors_job_runs_staged_on_real_hive_with_the_expected_answer(
    hive_project: Path,
) -> None:
    lines = Traffic(seed=9).lines(300)
    put = kiter_process(hive_project, "--profile", "local", "local", "put", "AccessLogStream", "-",
                stdin="\n".join(lines) + "\n")  # fmt: skip
    assert put.returncode == 0, put.stderr

    run = kiter_process(
        hive_project, "--profile", "local", "submit", "top_errors", "--format", "tsv"
    )

    assert run.returncode == 0, run.stderr
    header, *rows = run.stdout.splitlines()
    assert header == "region\tbrowser\tdomain\tstatus\terrors"
    assert rows == ["\t".join(map(str, row)) for row in expected_top_errors(lines)]
