"""The application object on `ctx.obj`: global options, the project loaded on first use, output.

Commands ask it for what they need (project, renderer, AWS factory) instead of building it themselves.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kiter.cli import lines
from kiter.cli.progress import above_board

if TYPE_CHECKING:
    from kiter.aws import Aws
    from kiter.cli.progress import Board
    from kiter.echo import Echo, Progress
    from kiter.metastore.ledger import Ledger
    from kiter.project import Project, TargetConfig
    from kiter.render import Renderer
    from kiter.runner import Runner
    from kiter.stopping import Stop
    from kiter.targets.base import Target
    from kiter.watch import Watcher

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    project_dir: str | None = None
    profile: str | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)
    debug: bool = False
    quiet: bool = False  # no progress or warnings on stderr (errors and results only)
    verbose: bool = False  # the engines' own log lines too
    _boards: list[Board] = field(default_factory=list, init=False, repr=False)

    @cached_property
    def project_file(self) -> Path:
        """kiter.toml of the project (-C DIR, else the nearest above the current folder)."""
        from kiter.project import PROJECT_FILE, find_project

        if self.project_dir:
            return Path(self.project_dir) / PROJECT_FILE
        return find_project(Path.cwd())

    @property
    def project_root(self) -> Path:
        """The project folder, found without reading kiter.toml."""
        return self.project_file.parent.resolve()

    @cached_property
    def project(self) -> Project:
        from kiter.project import load_project

        return load_project(self.project_file, flags=self.flags, profile=self.profile)

    def project_keeping_broken_jobs(self) -> Project:
        """The project with the jobs that have problems of their own set aside in
        `broken_jobs` (for `kiter jobs`, which lists every job); other problems still raise."""
        from kiter.project import load_project

        return load_project(
            self.project_file, flags=self.flags, profile=self.profile, keep_broken_jobs=True
        )

    @cached_property
    def renderer(self) -> Renderer:
        from kiter.render import Renderer

        return Renderer(self.project)

    @cached_property
    def aws(self) -> Aws:
        from kiter.wiring import make_aws

        aws = make_aws(self.project)
        aws.on_call = self._aws_call
        return aws

    def _aws_call(self, what: str) -> AbstractContextManager[None]:
        """An AWS call in flight, on the open board's status lines (none open: nowhere)."""
        board = self._boards[-1] if self._boards else None
        return board.calls(what) if board is not None else nullcontext()

    @cached_property
    def ledger(self) -> Ledger:
        from kiter.wiring import make_ledger

        return make_ledger(self.project, self.aws)

    def progress(self, quiet: bool = False) -> Echo:
        """Where progress and warnings go: stderr, or nowhere with --quiet."""
        from kiter.echo import no_echo

        return no_echo if self.quiet or quiet else note

    @contextmanager
    def board(self, quiet: bool = False) -> Iterator[Board]:
        """The status lines of the command's waits, open while it runs: in place on a terminal,
        heartbeat lines on stderr off it (and with --log-format json), nothing with --quiet."""
        from kiter.cli.progress import Board, terminal_console
        from kiter.echo import no_echo

        if self.quiet or quiet:
            board = Board(no_echo, ticker=False)
        else:
            board = Board(note, console=None if lines.is_json() else terminal_console())
        with board:
            self._boards.append(board)
            try:
                yield board
            finally:
                self._boards.remove(board)

    def engine_log(self, quiet: bool = False) -> Echo:
        """Where the engines' log lines go: stderr with --verbose; else kept, the last of them
        shown when a run fails."""
        if self.verbose and not (self.quiet or quiet):
            return engine_note
        return ENGINE_TAIL.append

    def target(
        self, config: TargetConfig, echo: Echo | None = None, progress: Progress | None = None
    ) -> Target:
        from kiter.echo import NO_PROGRESS
        from kiter.wiring import make_target

        return make_target(
            self.project,
            config,
            self.aws,
            echo or self.progress(),
            log=self.engine_log(),
            progress=progress or NO_PROGRESS,
        )

    def runner(
        self,
        echo: Echo,
        stop: Stop | None = None,
        *,
        log: Echo | None = None,
        watcher: Watcher | None = None,
        progress: Progress | None = None,
    ) -> Runner:
        """A runner; `stop` for one of several that run side by side in worker threads; `log`
        for the engines' lines (default: `engine_log`); `watcher` told of every attempt;
        `progress` the status line of its waits."""
        from kiter.echo import NO_PROGRESS
        from kiter.stopping import NEVER
        from kiter.watch import NOBODY
        from kiter.wiring import make_runner

        return make_runner(
            self.project,
            self.aws,
            self.renderer,
            self.ledger,
            echo,
            log=log or self.engine_log(),
            stop=stop or NEVER,
            watcher=watcher or NOBODY,
            progress=progress or NO_PROGRESS,
        )


# The engines' last log lines of this process, for the message of a failed run.
ENGINE_TAIL: deque[str] = deque(maxlen=15)


def out(text: str = "", *, nl: bool = True) -> None:
    """Results go to stdout."""
    click.echo(text, nl=nl)


def note(text: str) -> None:
    """Progress, logs and warnings go to stderr, without colour when NO_COLOR is set or not a TTY
    (stamped or as JSON when the command asked: kiter.cli.lines)."""
    shown = lines.shown(text)
    if not above_board(shown):
        click.echo(shown, err=True, color=_colour())


def engine_note(text: str) -> None:
    """An engine's own log line on stderr (-v)."""
    shown = lines.shown(text, source="engine")
    if not above_board(shown):
        click.echo(shown, err=True, color=_colour())


def warn(text: str) -> None:
    if lines.is_json():
        click.echo(lines.shown(text, "warning"), err=True)
        return
    note(click.style(f"warning: {text}", fg="yellow") if _colour() else f"warning: {text}")


def _colour() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


pass_app = click.make_pass_decorator(App)


def json_option(func: F) -> F:
    """`--json`: print data as JSON on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def var_option(func: F) -> F:
    """`--var KEY=VALUE`, repeatable: override a job's template variable."""
    return click.option(
        "--var",
        "variables",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a job var; one no template reads is an error (repeatable).",
    )(func)


def quiet_option(func: F) -> F:
    return click.option("--quiet", "-q", is_flag=True, help="Hide engine logs and progress.")(func)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "tsv", "json"]),
        default="table",
        show_default=True,
        help="How result rows are printed.",
    )(func)


def target_option(func: F) -> F:
    return click.option("--target", "-t", default=None, help="Target name (default: the job's).")(
        func
    )


def iteration_option(func: F) -> F:
    return click.option(
        "--iteration",
        "-i",
        type=click.IntRange(min=0),
        default=None,
        help="Iteration number (default: the ledger's next, or 0 offline).",
    )(func)


# Set once SIGTERM arrived: the stop it asks for is Ctrl-C's, its exit code is its own (143).
TERMINATED = threading.Event()


def sigterm_as_interrupt() -> None:
    """SIGTERM gets the same clean stop as Ctrl-C: cancel on the engine, record FAILED; the exit
    code says which signal it was (130 Ctrl-C, 143 SIGTERM)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        TERMINATED.set()
        raise KeyboardInterrupt

    TERMINATED.clear()
    signal.signal(signal.SIGTERM, handler)


def interrupted_exit_code() -> int:
    """The exit code of a command a signal stopped."""
    from kiter.errors import EXIT_INTERRUPTED, EXIT_TERMINATED

    return EXIT_TERMINATED if TERMINATED.is_set() else EXIT_INTERRUPTED


def print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    from kiter.tabular import format_rows

    if columns:
        out(format_rows(columns, rows, fmt))  # type: ignore[arg-type]  # click.Choice checked it


def print_plans(plans: list[Any], as_json: bool, *, single: bool = False) -> None:
    """Dry-run plans on stdout: text, or JSON (one `kiter.plan/1` object for `single`, else a
    `kiter.plans/1` object holding them)."""
    from kiter.jsondoc import document

    if as_json:
        if single:
            (plan,) = plans
            out(document("plan", plan.to_json()))
        else:
            out(document("plans", {"plans": [p.to_json() for p in plans]}))
        return
    out("\n\n".join("\n".join(plan.lines()) for plan in plans))


def ledger_rows(records: list[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The ledger as `kiter iterations` and the demo show it: each iteration's first start and
    last end (a rerun does not make an old iteration look recent), and its last attempt's time."""
    from kiter.durations import format_duration
    from kiter.metastore.records import epoch
    from kiter.tabular import clip

    columns = [
        "iteration",
        "state",
        "attempts",
        "first start",
        "last end",
        "took",
        "submission",
        "records",
        "reason",
    ]
    rows = []
    for r in records:
        start, end = epoch(r.claimed), epoch(r.finished)
        took = (
            format_duration(end - start)
            if start is not None and end is not None and end >= start
            else ""
        )
        rows.append(
            (
                r.iteration,
                r.state,
                r.attempts,
                r.first_started or r.created,
                r.finished,
                took,
                r.stats.get("submission_id") or r.submission_id,
                r.stats.get("records", ""),
                clip(r.reason, 60),
            )
        )
    return columns, rows
