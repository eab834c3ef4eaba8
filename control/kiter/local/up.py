"""What `kiter local up` does, in order: engines installed, services started, streams made.

1. the local Pig and Hadoop engines installed once (unless the stack runs without Hive, or
   without them); without mvn or a fitting Java a warning, and the rest goes on;
2. Hive 3.1.3 installed once when it is the HiveServer2 engine asked for;
3. the stack started (kiter.local.stack: moto, then the HiveServer2 engine), or found running;
4. the project's streams created on the local moto server when missing.

The command parses its options and prints the state returned; this room never imports click and
reports progress through an injected echo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kiter.echo import Echo
from kiter.errors import UsageError
from kiter.local import hadoopengine, hiveengine, pigengine
from kiter.local.stack import LocalStack
from kiter.local.stackstate import StackState
from kiter.local.streams import ensure_streams


@dataclass(frozen=True)
class UpOptions:
    """`kiter local up`'s flags."""

    hive: bool = True  # False: moto alone (--no-hive)
    pig: bool = True  # False: no Pig install (--no-pig)
    hadoop: bool = True  # False: no Hadoop install (--no-hadoop)
    hive_engine: str = "spark"  # a key of kiter.local.stack.ENGINES
    timeout: float = 180.0  # seconds for HiveServer2 to answer
    shards: int = 4  # of each stream created


def bring_up(
    stack: LocalStack,
    options: UpOptions,
    *,
    streams: Iterable[str],
    kinesis_at: Callable[[str], Any],
    echo: Echo,
) -> StackState:
    """Bring the stack up as `options` say; `kinesis_at(url)` is a Kinesis client for the moto
    server at `url`, on which the missing `streams` are created. Returns what runs."""
    if options.hive and options.pig:
        _install_engine(pigengine.ENGINE.install, echo)
    if options.hive and options.hadoop:
        _install_engine(hadoopengine.ENGINE.install, echo)
    if options.hive and options.hive_engine == hiveengine.NAME:
        hiveengine.install(progress=echo)
    state = stack.up(
        hiveserver2=options.hive, timeout=options.timeout, hive_engine=options.hive_engine
    )
    if not state.started_now:
        echo("already running: nothing started")
    if state.moto is not None:
        kinesis = kinesis_at(state.moto.url)
        for name in ensure_streams(kinesis, streams, shards=options.shards):
            echo(f"created stream {name} ({options.shards} shards) on the local moto server")
    return state


def _install_engine(install: Callable[..., Any], echo: Echo) -> None:
    """Install a local engine once; without mvn or a fitting Java, say so and go on."""
    try:
        install(progress=echo)
    except UsageError as exc:
        echo(f"warning: {exc}")
