"""`kiter local up | down | status | put | traffic`: the embedded stack of a project (a moto server
and a HiveServer2: Spark's Thrift Server or Hive 3.1.3; the local Pig and Hadoop engines) and data
into it.

A thin shell over `kiter.local`: `up` calls kiter.local.up, `down` and `status` kiter.local.stack;
the stack lives in the project's `.kiter/local` folder, on the ports of its `[local]` table. What
"local" in a project's configuration means is resolved in `kiter.wiring`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kiter.cli.app import App, json_option, note, out, pass_app

if TYPE_CHECKING:
    from kiter.local.stackstate import StackState


@click.group()
def local() -> None:
    """Run the embedded local stack: a moto server for the AWS APIs and Spark's Thrift Server
    (or Apache Hive 3.1.3) as HiveServer2, both on 127.0.0.1, kept running until `kiter local
    down`.

    A profile whose endpoint_url or HiveServer2 host is "local" points at them.

    \b
    Example:
      kiter local up
      kiter local status
      kiter local down
    """


@local.command()
@click.option(
    "--no-hive", is_flag=True, help="Start only the moto server (no Java, Spark or Pig needed)."
)
@click.option(
    "--no-pig", is_flag=True, help="Do not install the local Pig engine (it needs mvn, once)."
)
@click.option(
    "--no-hadoop",
    is_flag=True,
    help="Do not install the local Hadoop engine (it needs mvn, once).",
)
@click.option(
    "--hive-engine",
    type=click.Choice(["spark", "hive"]),
    default="spark",
    show_default=True,
    help="HiveServer2: Spark's Thrift Server, or Apache Hive 3.1.3 (fetched with mvn, once).",
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
def up(
    app: App,
    no_hive: bool,
    no_pig: bool,
    no_hadoop: bool,
    hive_engine: str,
    timeout: float,
    shards: int,
) -> None:
    """Start the local stack and wait until it answers; a no-op when it already runs.

    The project's streams are created on the local moto server when missing.

    Ports come from [local] moto_port and hiveserver2_port in kiter.toml (0: pick free ones).
    HiveServer2 needs Java 17+ and takes 15-40 s to start. The local Pig engine (Pig 0.17.0 for
    `kind = "pig"` targets, 26 MB) and the local Hadoop engine (Hadoop 2.10.2 for `kind = "hadoop"`
    targets, 20 MB) are fetched from Maven Central with mvn the first time into
    ~/.cache/kiter/engines ($KITER_CACHE), and work offline after that.

    \b
    Example:
      kiter local up
      kiter local up --no-hive
      kiter local up --hive-engine hive
    """
    from kiter.local.up import UpOptions, bring_up
    from kiter.wiring import local_aws, make_local_stack

    project = app.project
    options = UpOptions(
        hive=not no_hive,
        pig=not no_pig,
        hadoop=not no_hadoop,
        hive_engine=hive_engine,
        timeout=timeout,
        shards=shards,
    )
    state = bring_up(
        make_local_stack(project, note),
        options,
        streams={job.stream for job in project.jobs.values()},
        kinesis_at=lambda url: local_aws(project, url).client("kinesis"),
        echo=note,
    )
    _print_state(state)


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
        from kiter.jsondoc import document

        out(document("local", {"running": bool(state and state.alive), **data}))
        return
    if state is None:
        out("the local stack is not running (start it with `kiter local up`)")
        return
    _print_state(state)


# Above this a service is growing past what a day of iterations needs (moto settles near 120 MB,
# Spark's Thrift Server below its 1 GB heap).
MEMORY_WARNING_MB = 1536


def _print_state(state: StackState) -> None:
    from kiter.local import hadoopengine, pigengine

    for service in state.services:
        health = "up" if service.alive else "NOT ANSWERING"
        memory = service.memory_mb if service.alive else None
        shown = f", {memory:.0f} MB" if memory else ""
        out(f"{service.name:<12} {health:<14} {service.url:<40} pid {service.pid}{shown}")
        if memory and memory > MEMORY_WARNING_MB:
            note(
                f"warning: {service.name} uses {memory:.0f} MB; `kiter local down` and "
                "`kiter local up` start it afresh (moto's data is lost)"
            )
    for name, engine in (
        ("pig", pigengine.ENGINE.installed()),
        ("hadoop", hadoopengine.ENGINE.installed()),
    ):
        where = str(engine.home) if engine else "(kiter local up installs it)"
        out(f"{name:<12} {'installed' if engine else 'not installed':<14} {where}")


@local.command()
@click.argument("stream")
@click.argument("source", type=click.File("r"), default="-")
@click.option("--jsonl", is_flag=True, help='Lines are {"data": ..., "partition_key": ...}.')
@pass_app
def put(app: App, stream: str, source: Any, jsonl: bool) -> None:
    """Put records into a stream of the project's local stack: one record per line of FILE (or
    stdin), partition keys spread over the shards; --jsonl gives each record's data and key.

    \b
    Example:
      kiter local put AccessLogStream access.log
      zcat events.jsonl.gz | kiter local put ClickStream --jsonl
    """
    from kiter.cli.progress import Counter
    from kiter.local.data import put_records, records_from

    kinesis = _local_kinesis(app, stream)
    counter = Counter(f"put {{n}} records to {stream} ({{rate}}/s)")
    name = getattr(source, "name", "<stdin>")
    where = "stdin" if name in ("<stdin>", "-") else str(name)
    put_records(kinesis, stream, records_from(source, jsonl=jsonl, where=where), counter)
    counter.done()


@local.command()
@click.option("--stream", default=None, help="The stream (default: the project's only one).")
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=20.0,
    show_default=True,
    help="Records a second.",
)
@click.option(
    "--records",
    "-n",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after N records (default: until Ctrl-C).",
)
@pass_app
def traffic(app: App, stream: str | None, rate: float, records: int | None) -> None:
    """Put the demo's web-log traffic into a stream of the project's local stack: Apache
    vhost_combined lines with an edge region, with a known mix of errors, regions, browsers and
    domains (the format the top_errors jobs read).

    \b
    Example:
      kiter local traffic --records 5000
      kiter local traffic --stream AccessLogStream --rate 50
    """
    from kiter.cli.progress import Counter
    from kiter.local.data import run_traffic

    name = stream or _only_stream(app)
    kinesis = _local_kinesis(app, name)
    counter = Counter(f"put {{n}} web-log records to {name} ({{rate}}/s)")
    try:
        run_traffic(kinesis, name, rate=rate, records=records, progress=counter)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how an endless producer stops
    finally:
        counter.done()


def _local_kinesis(app: App, stream: str) -> Any:
    """The local stack's Kinesis client, for a stream that exists there (never real AWS)."""
    from kiter.errors import UsageError
    from kiter.wiring import local_aws, local_stack_at

    state = local_stack_at(app.project_root).status()
    if state is None or state.moto is None or not state.moto.alive:
        raise UsageError("the local stack is not running: start it with `kiter local up`")
    kinesis = local_aws(app.project, state.moto.url).client("kinesis")
    streams: list[str] = []
    for page in kinesis.get_paginator("list_streams").paginate():
        streams += page.get("StreamNames", [])
    if stream not in streams:
        raise UsageError(
            f"stream {stream!r} is not on the local stack (streams: {', '.join(sorted(streams))}"
            "; `kiter local up` creates the project's streams)"
        )
    return kinesis


def _only_stream(app: App) -> str:
    from kiter.errors import UsageError

    streams = sorted({job.stream for job in app.project.jobs.values()})
    if len(streams) != 1:
        raise UsageError(
            "choose a stream with --stream (the project's: " + (", ".join(streams) or "none") + ")"
        )
    return streams[0]
