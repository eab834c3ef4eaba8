"""`kiter query`: ad-hoc HiveQL on a HiveServer2 target, outside any job or ledger."""

from __future__ import annotations

import sys
from typing import Any

import click

from kiter.cli.app import (
    App,
    format_option,
    pass_app,
    print_rows,
    quiet_option,
    sigterm_as_interrupt,
)
from kiter.errors import UsageError


@click.command()
@click.argument("sql", required=False)
@click.option(
    "-f",
    "--file",
    "path",
    type=click.File("r"),
    default=None,
    help="Read SQL from FILE ('-': stdin).",
)
@click.option(
    "--target",
    "-t",
    default=None,
    help="HiveServer2 target (default: the only one, or the one --profile defines).",
)
@quiet_option
@format_option
@pass_app
def query(app: App, sql: str | None, path: Any, target: str | None, quiet: bool, fmt: str) -> None:
    """Run ad-hoc HiveQL on a HiveServer2 target, outside any job or ledger.

    Statements are split as the Hive CLI does; the last statement's rows are printed.

    \b
    Example:
      kiter query --target local "SELECT * FROM weblogs WHERE iteration = 3 LIMIT 20"
      kiter query -f report.hql --format json
      echo "SHOW TABLES" | kiter query
    """
    sigterm_as_interrupt()
    if sql is not None and path is not None:
        raise UsageError("give SQL as an argument or with -f, not both")
    text = sql if sql is not None else (path.read() if path is not None else None)
    source = "the argument" if sql is not None else "stdin"
    if path is not None and getattr(path, "name", "<stdin>") not in ("-", "<stdin>"):
        source = path.name
    if text is None:
        if sys.stdin.isatty():
            raise UsageError("no SQL: give it as an argument, with -f FILE, or on stdin")
        text = sys.stdin.read()
    from kiter.scripts import split_statements

    if not split_statements(text):
        # Nothing would run and nothing would print: a silent exit 0 hides a wrong file or pipe.
        raise UsageError(f"no SQL in {source}: it is empty or holds only comments")
    from kiter.targets.hiveserver2 import HiveServer2Target

    with app.board(quiet) as board:
        engine = app.target(app.project.query_target(target), app.progress(quiet), board.line())
        assert isinstance(engine, HiveServer2Target)
        outcome = engine.query(text)
    print_rows(outcome.columns, outcome.rows, fmt)
