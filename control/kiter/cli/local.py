"""`kiter local up | down | status`: the embedded stack (moto + Spark Thrift Server) of a project.

A thin shell over `kiter.local.stack`: the stack lives in the project's `.kiter/local` folder, on the
ports of its `[local]` table. What "local" in a project's configuration means is resolved in
`kiter.wiring`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from kiter.cli.app import App, json_option, note, out, pass_app

if TYPE_CHECKING:
    from kiter.local.stack import StackState


@click.group()
def local() -> None:
    """Run the embedded local stack: a moto server for the AWS APIs and Spark's Thrift Server
    as HiveServer2, both on 127.0.0.1, kept running until `kiter local down`.

    A profile whose endpoint_url or HiveServer2 host is "local" points at them.

    \b
    Example:
      kiter local up
      kiter local status
      kiter local down
    """


@local.command()
@click.option(
    "--no-hive", is_flag=True, help="Start only the moto server (no Java or Spark needed)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=180.0,
    show_default=True,
    help="Seconds to wait for HiveServer2 to answer.",
)
@click.option(
    "--shards",
    type=click.IntRange(min=1, max=50),
    default=4,
    show_default=True,
    help="Shards of each project stream created on the local moto server.",
)
@pass_app
def up(app: App, no_hive: bool, timeout: float, shards: int) -> None:
    """Start the local stack and wait until it answers; a no-op when it already runs.

    The project's streams are created on the local moto server when missing.

    Ports come from [local] moto_port and hiveserver2_port in kiter.toml (0: pick free ones).
    HiveServer2 needs Java 17+ and takes 15-40 s to start.

    \b
    Example:
      kiter local up
      kiter local up --no-hive
    """
    from kiter.wiring import make_local_stack

    project = app.project
    state = make_local_stack(project, note).up(spark=not no_hive, timeout=timeout)
    _print_state(state)
    if not state.started_now:
        note("already running: nothing started")
    if state.moto is not None:
        from kiter.local.streams import ensure_streams
        from kiter.wiring import local_aws

        kinesis = local_aws(project, state.moto.url).client("kinesis")
        streams = {job.stream for job in project.jobs.values()}
        for name in ensure_streams(kinesis, streams, shards=shards):
            note(f"created stream {name} ({shards} shards) on the local moto server")


@local.command()
@pass_app
def down(app: App) -> None:
    """Stop the local stack (SIGTERM, then SIGKILL) and remove its pid files.

    Data in the moto server is lost; the Hive metastore and warehouse stay in .kiter/local/hive.
    Works while kiter.toml has an error: only the project folder is needed.

    \b
    Example:
      kiter local down
    """
    from kiter.wiring import local_stack_at

    stopped = local_stack_at(app.project_root, note).down()
    for line in stopped:
        out(line)
    if not stopped:
        note("the local stack was not running")


@local.command()
@json_option
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show what the local stack runs: pid, port, URL and whether each service answers.

    \b
    Example:
      kiter local status
      kiter local status --json
    """
    from kiter.wiring import local_stack_at

    state = local_stack_at(app.project_root, note).status()
    if as_json:
        data = state.to_dict() if state else {"moto": None, "hiveserver2": None}
        out(json.dumps({"running": bool(state and state.alive), **data}, indent=2))
        return
    if state is None:
        out("the local stack is not running (start it with `kiter local up`)")
        return
    _print_state(state)


def _print_state(state: StackState) -> None:
    for service in state.services:
        health = "up" if service.alive else "NOT ANSWERING"
        out(f"{service.name:<12} {health:<14} {service.url:<40} pid {service.pid}")
