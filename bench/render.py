"""Benchmark: how fast kiter starts and renders, against baselines measured in the same run.

Run by hand: `.venv/bin/python bench/render.py`. Prints
  (a) whole-process `kiter --help` and `kiter render` against bare `python -c pass` (target: --help <= 3x);
  (b) in-process render time per script against a bare jinja2 render of the same template with the
      same context (target: <= 1.3x).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jinja2

from kiter.cli.init import scaffold
from kiter.project import load_project
from kiter.render import Renderer, staging_locations

BIN = Path(sys.executable).parent


# As on a user's machine, where pip compiled the installed modules: bytecode is written and used
# (this workplace sets PYTHONDONTWRITEBYTECODE, which would recompile kiter on every start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], runs: int, cwd: Path) -> float:
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=ENV)  # writes .pyc
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def side_by_side(
    base: Callable[[], object], ours: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Median seconds per call of each, calls interleaved so machine load hits both alike."""
    base(), ours()  # warm: compile templates once, as a long-running scheduler would
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        for func, samples in ((base, a), (ours, b)):
            start = time.perf_counter()
            func()
            samples.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kiter-bench-"))
    scaffold(folder)
    runs = 15
    python = timed([sys.executable, "-c", "pass"], runs, folder)
    click_only = timed([sys.executable, "-c", "import click"], runs, folder)
    help_ = timed([str(BIN / "kiter"), "--help"], runs, folder)
    render = timed([str(BIN / "kiter"), "render", "top_errors", "-i", "3"], runs, folder)
    print(f"whole process, median of {runs}:")
    print(f"  python -c pass     {python * 1000:7.1f} ms   1.00x")
    print(
        f"  import click       {click_only * 1000:7.1f} ms   {click_only / python:.2f}x   (the floor)"
    )
    print(f"  kiter --help       {help_ * 1000:7.1f} ms   {help_ / python:.2f}x   (target <= 3x)")
    print(f"  kiter render       {render * 1000:7.1f} ms   {render / python:.2f}x")

    project = load_project(folder / "kiter.toml")
    renderer = Renderer(project)
    bare = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in project.template_dirs]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    bare.filters["pig_path"] = str  # the filter kiter adds; a bare render prints the value
    print("in process, median of 2000 interleaved renders per script:")
    for name in ("top_errors", "top_errors_pig"):
        job = project.job(name)
        block = renderer.settings(job, 3).block(job.engine)
        context = {
            **job.vars,
            "vars": job.vars,
            "job": job.name,
            "engine": job.engine,
            "mode": job.mode,
            "stream": job.stream,
            "logical_name": job.logical_name,
            "iteration": 3,
            "staging": staging_locations(project, job, 3),
            "campaign_table": job.campaign_table,
            "kiter_preamble": lambda block=block: block,
            "ident": lambda s: s.replace("-", "_"),
        }
        template = bare.get_template(job.template)
        base, ours = side_by_side(
            lambda t=template, c=context: t.render(c), lambda j=job: renderer.render(j, 3), 2000
        )
        print(
            f"  {name:15} bare jinja2 {base * 1e6:8.0f} us   kiter {ours * 1e6:8.0f} us   "
            f"{ours / base:.2f}x   (target <= 1.3x)"
        )

    # The offline HiveQL check, per 50 script lines, against sqlglot's own parse of the same text.
    import logging

    import sqlglot

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to a Command" warnings

    from kiter.lint import check_hiveql

    script = (
        Path(__file__).resolve().parent.parent / "tests" / "lint" / "scripts" / "access_log.hql"
    ).read_text()
    lines = script.count("\n")
    check_hiveql(script)  # sqlglot's import and dialect set-up, once per process
    base, ours = side_by_side(
        lambda: sqlglot.parse(script, read="hive", error_level="ignore"),
        lambda: check_hiveql(script),
        50,
    )
    print(
        f"offline HiveQL check of {lines} lines: sqlglot.parse {base * 1e3:6.1f} ms   "
        f"kiter validate's check {ours * 1e3:6.1f} ms ({ours / lines * 50 * 1e3:.1f} ms per 50 "
        f"lines)   {ours / base:.2f}x"
    )


if __name__ == "__main__":
    main()
