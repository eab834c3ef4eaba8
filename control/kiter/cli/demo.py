"""`kiter demo`: the end-to-end run on the embedded local stack."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiter.cli.app import ledger_rows, note, out
from kiter.errors import JobFailed

if TYPE_CHECKING:
    from kiter.metastore.ledger import IterationRecord


@click.command()
@click.argument("directory", type=click.Path(file_okay=False), default="kiter-demo")
@click.option("--keep", is_flag=True, help="Leave the local stack running afterwards.")
@click.option(
    "--iterations",
    "-n",
    type=click.IntRange(min=2),
    default=3,
    show_default=True,
    help="Iterations to run (the second is rerun at the end).",
)
@click.option(
    "--records",
    type=click.IntRange(min=10),
    default=2000,
    show_default=True,
    help="Web-log records produced per iteration.",
)
@click.option("--verbose", "-v", is_flag=True, help="Show every step and the engine's log.")
def demo(directory: str, keep: bool, iterations: int, records: int, verbose: bool) -> None:
    """Run checkpointed iterations end to end on the embedded local stack (no AWS account).

    Makes a project in DIRECTORY, starts a moto server and Spark's Thrift Server on 127.0.0.1,
    creates a 4-shard stream fed with web-log traffic, runs staged iterations of the top-10 errors
    job through PyHive, runs the job's Pig Latin version on the local Pig engine and its Hadoop
    Streaming version (Python) on the local Hadoop engine over the same staged records (both
    installed with mvn the first time), prints each result and the ledger, and reruns iteration 1
    to show the same records give the same answer. Needs Java 17+.

    \b
    Example:
      kiter demo
      kiter demo /tmp/kiter-demo --keep
    """
    from kiter.cli.progress import spinner
    from kiter.demorun import run_demo
    from kiter.echo import no_echo
    from kiter.iterationresult import IterationResult
    from kiter.tabular import format_rows

    def show(title: str, result: IterationResult) -> None:
        staged = f", {result.read.total_records} records staged" if result.read else ""
        out(f"\n{title} ({result.outcome.state}{staged}): top 10 errors by region, browser, domain")
        out(format_rows(result.outcome.columns, result.outcome.rows, "table"))

    def show_ledger(records: list[IterationRecord]) -> None:
        columns, rows = ledger_rows(records)
        out("\nledger\n" + format_rows(columns, rows, "table"))

    result = run_demo(
        Path(directory),
        keep=keep,
        iterations=iterations,
        records_per_iteration=records,
        echo=note if verbose else no_echo,
        show=show,
        show_ledger=show_ledger,
        progress=spinner,
    )
    staged = sum(len(lines) for lines in result.staged.values())
    out(f"\n{len(result.produced)} records produced, {staged} staged over {iterations} iterations")
    if not result.rerun_identical:
        raise JobFailed("the rerun of iteration 1 answered differently from the first run")
    out("rerun of iteration 1: identical results")
    for version, ran_as, skipped, agrees in (
        ("the Pig Latin version", "", result.pig_skipped, result.pig_agrees),
        (
            "the Hadoop Streaming version",
            " (Python)",
            result.streaming_skipped,
            result.streaming_agrees,
        ),
    ):
        if skipped:
            note(f"{version} did not run: {skipped}")
        elif not agrees:
            raise JobFailed(f"{version} of the job answered differently from Hive")
        else:
            out(
                f"{version}{ran_as}, over the same records: the same top 10 ({iterations} iterations)"
            )
    if keep:
        note(f"the stack keeps running: `kiter -C {result.folder} local down` stops it")
