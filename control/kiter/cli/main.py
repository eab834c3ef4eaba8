"""The `kiter` command: global options, lazy subcommands, and the one place errors become exit codes.

Subcommand modules are imported only when their command runs, so `kiter --help` stays fast; boto3,
PyHive and sqlglot are imported further down still, inside the domain rooms.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NoReturn

import click

from kiter.errors import (
    EXIT_SERVICE,
    EXIT_USAGE,
    ConfigErrors,
    Interrupted,
    JobFailed,
    KiterError,
    UsageError,
)

# name -> (module, attribute, one-line help shown by `kiter --help` without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("kiter.cli.init", "init", "Scaffold a kiter project in DIR."),
    "jobs": ("kiter.cli.render", "jobs", "List the project's jobs."),
    "import": (
        "kiter.cli.imports",
        "import_script",
        "Make a job of an existing connector script, unchanged.",
    ),
    "render": ("kiter.cli.render", "render", "Render a job's script for one iteration."),
    "validate": ("kiter.cli.render", "validate", "Render jobs and check their scripts offline."),
    "submit": ("kiter.cli.submit", "submit", "Run one iteration of a job and record it."),
    "stage": ("kiter.cli.stage", "stage", "Read and stage one iteration without running it."),
    "query": ("kiter.cli.query", "query", "Run ad-hoc HiveQL on a HiveServer2 target."),
    "logs": ("kiter.cli.logs", "logs", "Show an iteration's run logs; explain a failed run."),
    "iterations": ("kiter.cli.iterations", "iterations", "Show a job's iteration ledger."),
    "status": ("kiter.cli.status", "status", "Where every job stands: last run, now, backlog."),
    "report": (
        "kiter.cli.report",
        "report",
        "Write the iterations of jobs as charts in one HTML file.",
    ),
    "run": ("kiter.cli.run", "run", "Run iterations on a cadence, retrying failures."),
    "demo": ("kiter.cli.demo", "demo", "Run the end-to-end demo on the embedded local stack."),
    "local": ("kiter.cli.local", "local", "Start, stop or show the embedded local stack."),
    "metastore": (
        "kiter.cli.metastore",
        "metastore",
        "Provision and inspect the checkpoint table.",
    ),
    "iam-policy": ("kiter.cli.metastore", "iam_policy", "Print the IAM policy the project needs."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (pattern from click's docs)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--project",
    "project_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Project folder (default: the nearest folder with kiter.toml).",
)
@click.option(
    "--profile", default=None, help="Merge [profiles.NAME] over kiter.toml (KITER_PROFILE)."
)
@click.option(
    "--region",
    default=None,
    help="AWS region (KITER_AWS_REGION; else kiter.toml, AWS_REGION, the AWS profile's).",
)
@click.option("--aws-profile", default=None, help="AWS named profile (KITER_AWS_PROFILE).")
@click.option("--endpoint-url", default=None, help="AWS endpoint (KITER_AWS_ENDPOINT_URL).")
@click.option("--quiet", "-q", is_flag=True, help="Only results and errors: no progress.")
@click.option("--verbose", "-v", is_flag=True, help="Show the engines' own log lines too.")
@click.option("--debug", is_flag=True, help="Show tracebacks (exit codes stay the same).")
@click.version_option(package_name="kiter")
@click.pass_context
def cli(
    ctx: click.Context,
    project_dir: str | None,
    profile: str | None,
    region: str | None,
    aws_profile: str | None,
    endpoint_url: str | None,
    quiet: bool,
    verbose: bool,
    debug: bool,
) -> None:
    """kiter: checkpointed Hive and Pig batches over Kinesis streams.

    \b
    Example:
      kiter init demo && cd demo
      kiter validate
      kiter render top_errors --iteration 3
    """
    from kiter.cli.app import App  # not imported for --help: start-up time matters there

    flags = {"aws.region": region, "aws.profile": aws_profile, "aws.endpoint_url": endpoint_url}
    from kiter.cli import lines

    lines.configure()  # plain lines unless this command asks otherwise (one process, many mains)
    ctx.obj = App(
        project_dir=project_dir,
        profile=profile,
        flags=flags,
        debug=debug,
        quiet=quiet,
        verbose=verbose,
    )


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI and turn kiter's errors into one line and an exit code.

    With --debug the traceback is printed too; the exit code is the same either way.
    """
    if argv is None:  # the process's own command line: kiter is the program, not a call in one
        from kiter.cli.startup import defer_garbage_collection

        defer_garbage_collection()
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return cli.main(args=argv, prog_name="kiter", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _fail("kiter: interrupted", _interrupted(), debug)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except KiterError as exc:
        lines = exc.lines() if isinstance(exc, ConfigErrors) else [str(exc)]
        if isinstance(exc, UsageError):
            # One line each: a value with a line break in it must not split a message.
            lines = [line.replace("\r", "\\r").replace("\n", "\\n") for line in lines]
        if isinstance(exc, JobFailed):
            _engine_tail()
        code = _interrupted() if isinstance(exc, Interrupted) else exc.exit_code
        _fail("\n".join(f"kiter: {exc.kind}: {line}" for line in lines), code, debug)
    except KeyboardInterrupt:
        _fail("kiter: interrupted", _interrupted(), debug)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        from kiter.aws import is_aws_error

        if not is_aws_error(exc):
            raise
        # A safety net: AWS errors are turned into kiter's own where they happen.
        from kiter.aws import service_error

        _fail(f"kiter: error: {service_error(exc, 'AWS')}", EXIT_SERVICE, debug)


def _interrupted() -> int:
    """130 after Ctrl-C, 143 after SIGTERM (the commands that run iterations treat it as Ctrl-C)."""
    from kiter.cli.app import interrupted_exit_code

    return interrupted_exit_code()


def _fail(message: str, code: int, debug: bool) -> NoReturn:
    if debug:
        import traceback

        traceback.print_exc()
    from kiter.cli.lines import shown

    click.echo(shown(message, "error"), err=True)
    sys.exit(code)


def _engine_tail() -> None:
    """The engine's last log lines, when a run failed and they were not shown (-v shows all)."""
    from kiter.cli.app import ENGINE_TAIL
    from kiter.cli.lines import is_json, shown

    if ENGINE_TAIL:
        click.echo(shown("the engine's last log lines (kiter -v shows them all):"), err=True)
        for line in ENGINE_TAIL:
            text = shown(line, source="engine") if is_json() else f"  {line}"
            click.echo(text, err=True)
