"""The application object on `ctx.obj`: global options, the project loaded on first use, output.

Commands ask it for what they need (project, renderer, AWS factory) instead of building it themselves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from kiter.aws import Aws
    from kiter.metastore.ledger import Ledger
    from kiter.project import Project, TargetConfig
    from kiter.render import Renderer
    from kiter.runner import Runner
    from kiter.targets.base import Echo, Target

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    project_dir: str | None = None
    profile: str | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)
    debug: bool = False

    @cached_property
    def project(self) -> Project:
        from kiter.project import find_project, load_project

        start = Path(self.project_dir) if self.project_dir else Path.cwd()
        path = start / "kiter.toml" if self.project_dir else find_project(start)
        return load_project(path, flags=self.flags, profile=self.profile)

    @cached_property
    def renderer(self) -> Renderer:
        from kiter.render import Renderer

        return Renderer(self.project)

    @cached_property
    def aws(self) -> Aws:
        """The AWS client factory; endpoint_url = "local" means the embedded stack's moto server."""
        from dataclasses import replace

        from kiter.aws import Aws

        settings = self.project.aws
        if settings.endpoint_url == "local":
            from kiter.local.stack import resolve_endpoint

            settings = replace(settings, endpoint_url=resolve_endpoint(self.project.local_dir))
        return Aws(settings)

    @cached_property
    def ledger(self) -> Ledger:
        from kiter.metastore.ledger import Ledger, Owner

        meta = self.project.metastore
        return Ledger(
            self.aws.client("dynamodb"),
            meta.ledger_table or meta.table,
            meta.hash_key,
            meta.range_key,
            owner=Owner.current(),
            lease_seconds=meta.lease_seconds,
        )

    def target(self, config: TargetConfig, echo: Echo | None = None) -> Target:
        """Build the engine target a [targets.NAME] table describes."""
        from kiter.targets.base import no_echo

        echo = echo or no_echo
        options = config.options
        if config.kind == "emr":
            from kiter.targets.emr import EmrTarget

            return EmrTarget(
                config.name,
                s3=self.aws.client("s3"),
                emr=self.aws.client("emr"),
                cluster_id=options["cluster_id"],
                cluster_name=options["cluster_name"],
                script_prefix=options["script_prefix"],
                action_on_failure=options["action_on_failure"],
                log_wait_seconds=float(options["log_wait_seconds"]),
                echo=echo,
            )
        from kiter.targets.hiveserver2 import HiveServer2Target

        host, port = options["host"], int(options["port"])
        if host == "local":
            from kiter.local.stack import resolve_hiveserver2

            host, port = resolve_hiveserver2(self.project.local_dir)
        password = None
        if options["auth"] == "LDAP":
            password = os.environ.get(options["password_env"]) or None
        return HiveServer2Target(
            config.name,
            host=host,
            port=port,
            username=options["username"],
            database=options["database"],
            auth=options["auth"],
            password=password,
            kerberos_service_name=options["kerberos_service_name"],
            configuration={k: str(v) for k, v in options["configuration"].items()},
            connect_timeout=float(options["connect_timeout"]),
            echo=echo,
        )

    def runner(self, echo: Echo) -> Runner:
        from kiter.runner import Runner

        return Runner(
            self.project,
            aws=self.aws,
            renderer=self.renderer,
            ledger=self.ledger,
            make_target=lambda config: self.target(config, echo),
            echo=echo,
        )


def out(text: str = "", *, nl: bool = True) -> None:
    """Results go to stdout."""
    click.echo(text, nl=nl)


def note(text: str) -> None:
    """Progress, logs and warnings go to stderr, without colour when NO_COLOR is set or not a TTY."""
    click.echo(text, err=True, color=_colour())


def warn(text: str) -> None:
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
        help="Override a template variable (repeatable).",
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


def echo_for(quiet: bool) -> Echo:
    """Where progress and engine logs go: stderr, or nowhere with --quiet."""
    from kiter.targets.base import no_echo

    return no_echo if quiet else note


def iteration_option(func: F) -> F:
    return click.option(
        "--iteration",
        "-i",
        type=click.IntRange(min=0),
        default=None,
        help="Iteration number (default: the ledger's next, or 0 offline).",
    )(func)
