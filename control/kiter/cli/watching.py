"""What `kiter submit` and `kiter run` share to be watched: the run logs, metrics, alerts and the
stderr line format, as one bundle of options and the objects they build.

The logic lives in the domain rooms (kiter.runlog, kiter.metrics, kiter.alerts); this module
only turns options into those objects and hands a command a runner that reports to them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kiter.cli import lines
from kiter.errors import UsageError

if TYPE_CHECKING:
    from kiter.alerts import Alerts
    from kiter.cli.app import App
    from kiter.echo import Echo, Progress
    from kiter.project import JobConfig
    from kiter.runlog import RunLog
    from kiter.runner import Runner
    from kiter.stopping import Stop
    from kiter.watch import Watcher

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class WatchOptions:
    metrics_file: str | None = None
    metrics: str | None = None  # "emf" (stdout) or "emf:PATH"
    on_success: str | None = None
    on_failure: str | None = None
    notify: str | None = None  # "sns:ARN"
    log_format: str = "text"


def watch_options(*, stamped: bool) -> Callable[[F], F]:
    """--metrics-file, --metrics, --on-success, --on-failure, --notify and --log-format, passed
    to the command as one `watch: WatchOptions`; `stamped`: text lines carry their UTC time."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            watch = WatchOptions(**{k: kwargs.pop(k) for k in WatchOptions.__dataclass_fields__})
            lines.configure(watch.log_format, stamped=stamped)  # before the command prints
            return func(*args, watch=watch, **kwargs)

        options = [
            click.option(
                "--metrics-file",
                metavar="PATH",
                help="After each attempt, write every job's metrics to PATH in Prometheus' text "
                "format (node_exporter's textfile collector; replaced atomically).",
            ),
            click.option(
                "--metrics",
                metavar="emf|emf:PATH",
                help="One CloudWatch Embedded Metric Format line per attempt, on stdout (emf) "
                "or appended to PATH (emf:PATH).",
            ),
            click.option(
                "--on-success",
                metavar="CMD",
                help="Run CMD (through the shell) once per iteration that succeeded; KITER_JOB, "
                "KITER_ITERATION, ... in its environment.",
            ),
            click.option(
                "--on-failure",
                metavar="CMD",
                help="Run CMD once per iteration that failed for good (not per retry).",
            ),
            click.option(
                "--notify",
                metavar="sns:ARN",
                help="Publish a short message to this SNS topic when an iteration fails for good.",
            ),
            click.option(
                "--log-format",
                type=click.Choice(lines.FORMATS),
                default="text",
                show_default=True,
                help="stderr lines as text or one JSON object each (UTC timestamps).",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command  # type: ignore[return-value]  # the same call, its options folded

    return decorate


@dataclass
class Watching:
    """What watches one command's jobs: a run log each, the metrics writers, the alerts."""

    run_logs: dict[str, RunLog]
    shared: list[Watcher]
    alerts: Alerts

    def runner(
        self,
        app: App,
        job: str,
        echo: Echo,
        stop: Stop | None = None,
        progress: Progress | None = None,
    ) -> Runner:
        """A runner for `job` whose lines also go to its run log and whose attempts are told to
        the metrics and the alerts; its waits show on `progress`."""
        from kiter.watch import Watchers

        run_log = self.run_logs[job]
        return app.runner(
            run_log.kiter(echo),
            stop,
            log=run_log.engine(app.engine_log()),
            watcher=Watchers([run_log, *self.shared, self.alerts]),
            progress=progress,
        )

    def final(self, job: str, error: BaseException | None) -> None:
        """The job's iteration ended for good (the scheduler's `on_final`)."""
        self.alerts.final(job, error)

    @contextmanager
    def outcome(self, job: str) -> Iterator[None]:
        """`kiter submit`: its one attempt is final, whichever way it ends."""
        try:
            yield
        except BaseException as exc:
            self.alerts.final(job, exc)
            raise
        self.alerts.final(job, None)


def start_watching(
    app: App, jobs: list[JobConfig], options: WatchOptions, *, quiet: bool = False
) -> Watching:
    """Check the options (exit 2 before anything runs), prune the run logs, build the watchers."""
    from kiter.alerts import Alerts, SnsTopic
    from kiter.cli.app import warn
    from kiter.runlog import Pruning, RunLog, logs_root

    notify = None
    if options.notify:
        notify = SnsTopic.parse(options.notify, lambda region: app.aws.client("sns", region=region))
    shared = _metrics(jobs, options)
    root = logs_root(app.project.root)
    pruning = Pruning(root)
    pruning.now()
    say = app.progress(quiet)
    return Watching(
        run_logs={job.name: RunLog(root, warn=warn) for job in jobs},
        shared=[*shared, pruning],
        alerts=Alerts(
            {job.name: job.logical_name for job in jobs},
            on_success=options.on_success,
            on_failure=options.on_failure,
            notify=notify,
            say=say,
            warn=warn,
        ),
    )


def _metrics(jobs: list[JobConfig], options: WatchOptions) -> list[Watcher]:
    from kiter.cli.app import out, warn
    from kiter.metrics import EmfLines, PrometheusFile, append_to

    writers: list[Watcher] = []
    if options.metrics_file:
        path = _in_a_folder(options.metrics_file, f"--metrics-file {options.metrics_file}")
        if path.suffix != ".prom":
            warn(f"--metrics-file {path}: node_exporter's textfile collector reads *.prom only")
        prometheus = PrometheusFile(path, {j.name: j.logical_name for j in jobs}, warn=warn)
        prometheus.write()
        writers.append(prometheus)
    if options.metrics:
        kind, _, where = options.metrics.partition(":")
        if kind != "emf" or (options.metrics != "emf" and not where):
            raise UsageError(f"--metrics {options.metrics!r}: give emf (stdout) or emf:PATH")
        write = append_to(_in_a_folder(where, f"--metrics {options.metrics}")) if where else out
        writers.append(EmfLines(write, warn=warn))
    return writers


def _in_a_folder(value: str, given: str) -> Path:
    path = Path(value).expanduser()
    if not path.parent.is_dir():
        raise UsageError(f"{given}: folder {path.parent} does not exist")
    return path
