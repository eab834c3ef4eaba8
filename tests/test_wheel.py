"""The built-in template library is found from a wheel as well as from this source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("kiter-*.whl")
    return path


@pytest.mark.slow
def test_the_wheel_carries_the_template_library(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "kiter/_library/templates/kiter/hive.j2",
        "kiter/_library/hiveql/top_errors.hql.j2",
        "kiter/_library/piglatin/top_errors.pig.j2",
        "kiter/cli/main.py",
    ):
        assert name in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


@pytest.mark.slow
def test_kiter_from_the_wheel_works_from_any_directory(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    # The unpacked wheel comes first on the path, ahead of this checkout's editable install.
    env = {**os.environ, "PYTHONPATH": str(site)}

    def kiter(*args: str, cwd: Path) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "kiter", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    kiter("init", "demo", cwd=work)
    assert "ok    top_errors_pig" in kiter("validate", cwd=work / "demo")
    assert "SET kinesis.checkpoint.iteration.no=3;" in kiter(
        "render", "top_errors", "-i", "3", cwd=work / "demo"
    )
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kiter.library import builtin_dir; print(builtin_dir('hiveql'))",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where == str(site / "kiter" / "_library" / "hiveql")
