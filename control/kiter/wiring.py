"""Builds the objects a project's commands need: the AWS factory, the ledger, targets, a runner.

One place knows what `endpoint_url = "local"` and `host = "local"` mean (the embedded stack whose
ports `kiter local up` recorded) and where an LDAP password comes from. The CLI and the demo both
build through here; nothing here runs anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from kiter.aws import Aws
from kiter.echo import NO_PROGRESS, Echo, Progress, no_echo
from kiter.project import (
    EmrConfig,
    HadoopConfig,
    HiveServer2Config,
    PigConfig,
    Project,
    TargetConfig,
)
from kiter.project.placeholders import refuse_placeholders, target_placeholders
from kiter.stopping import NEVER, Stop
from kiter.targets.base import Target

if TYPE_CHECKING:
    from pathlib import Path

    from kiter.local.stack import LocalStack
    from kiter.metastore.ledger import Ledger
    from kiter.project.targetkinds import RemoteConfig
    from kiter.render import Renderer
    from kiter.runner import Runner
    from kiter.targets.remote import RemoteOptions
    from kiter.watch import Watcher

LOCAL = "local"
# The embedded stack's region when nothing names one: its moto server is no AWS account, and
# `kiter local up` and `kiter --profile local ...` resolve the same region either way.
LOCAL_REGION = "us-east-1"


def make_aws(project: Project) -> Aws:
    """The AWS client factory; endpoint_url = "local" is the embedded stack's moto server."""
    settings = project.aws
    if settings.endpoint_url == LOCAL:
        from kiter.local.stack import resolve_endpoint

        settings = replace(
            settings,
            endpoint_url=resolve_endpoint(project.local_dir),
            local_credentials=True,
            region=settings.region or LOCAL_REGION,
        )
    return Aws(settings)


def make_ledger(project: Project, aws: Aws, *, retries: bool = True) -> Ledger:
    """The project's ledger; `retries=False` for a glance that must not keep an offline
    command waiting (`kiter render`: each call is tried once)."""
    from kiter.metastore.ledger import Ledger, Owner

    meta = project.metastore
    return Ledger(
        aws.client("dynamodb", retries=retries),
        meta.ledger_table or meta.table,
        meta.hash_key,
        meta.range_key,
        owner=Owner.current(),
        lease_seconds=meta.lease_seconds,
        checkpoint_table=meta.table,
    )


def make_target(
    project: Project,
    config: TargetConfig,
    aws: Aws,
    echo: Echo = no_echo,
    env: Mapping[str, str] | None = None,
    log: Echo = no_echo,
    sleep: Callable[[float], None] = time.sleep,
    progress: Progress = NO_PROGRESS,
) -> Target:
    """The engine target a [targets.NAME] table describes; `echo` gets progress lines, `log`
    the engine's own log lines, `progress` the status line of its waits; its waits between
    polls `sleep` (a Stop's, in worker threads)."""
    env = os.environ if env is None else env
    refuse_placeholders(target_placeholders(config))
    if config.kind == "emr-serverless":
        return _emr_serverless_target(config, aws, echo, sleep, progress)
    if isinstance(config, EmrConfig):
        from kiter.targets.emr import EmrTarget

        return EmrTarget(
            config.name,
            emr=aws.client("emr"),
            cluster_id=config.cluster_id,
            cluster_name=config.cluster_name,
            action_on_failure=config.action_on_failure,
            workdir=project.root,
            **_remote_options(config, aws, echo, sleep, progress),
        )
    if isinstance(config, PigConfig | HadoopConfig):
        return _local_engine_target(project, config, echo, log, sleep, progress)
    assert isinstance(config, HiveServer2Config)
    from kiter.targets.hiveserver2 import HiveServer2Target

    host, port = config.host, config.port
    if host == LOCAL:
        from kiter.local.stack import resolve_hiveserver2

        host, port = resolve_hiveserver2(project.local_dir)
    password = (env.get(config.password_env) or None) if config.auth == "LDAP" else None
    return HiveServer2Target(
        config.name,
        host=host,
        port=port,
        username=config.username,
        database=config.database,
        auth=config.auth,
        password=password,
        kerberos_service_name=config.kerberos_service_name,
        configuration={k: str(v) for k, v in config.configuration.items()},
        connect_timeout=float(config.connect_timeout),
        echo=echo,
        log=log,
        progress=progress,
        sleep=sleep,
    )


def _local_engine_target(
    project: Project,
    config: PigConfig | HadoopConfig,
    echo: Echo,
    log: Echo,
    sleep: Callable[[float], None],
    progress: Progress,
) -> Target:
    """A local engine's target: the engine `kiter local up` installed, its runs in
    .kiter/local/<kind>/, started from the project folder."""
    from kiter.targets.localrun import LocalTarget

    target_type: type[LocalTarget]
    engine: object  # a PigEngine or a HadoopEngine, as the target type takes it
    if isinstance(config, PigConfig):
        from kiter.local import pigengine
        from kiter.targets.pig import PigTarget

        target_type, engine = PigTarget, pigengine.ENGINE.require()
    else:
        from kiter.local import hadoopengine
        from kiter.targets.hadoop import HadoopTarget

        target_type, engine = HadoopTarget, hadoopengine.ENGINE.require()
    return target_type(
        config.name,
        engine=engine,
        runs=project.local_dir / target_type.kind,
        workdir=project.root,
        heap=config.heap,
        properties={k: str(v) for k, v in config.properties.items()},
        echo=echo,
        log=log,
        progress=progress,
        sleep=sleep,
    )


def _emr_serverless_target(
    config: TargetConfig,
    aws: Aws,
    echo: Echo,
    sleep: Callable[[float], None],
    progress: Progress,
) -> Target:
    from kiter.project import EmrServerlessConfig
    from kiter.targets.emr_serverless import EmrServerlessTarget

    assert isinstance(config, EmrServerlessConfig)
    return EmrServerlessTarget(
        config.name,
        emr_serverless=aws.client("emr-serverless"),
        application_id=config.application_id,
        application_name=config.application_name,
        execution_role_arn=config.execution_role_arn,
        log_uri=config.log_uri,
        execution_timeout_minutes=config.execution_timeout_minutes,
        configuration={k: str(v) for k, v in config.configuration.items()},
        parameters=config.parameters,
        **_remote_options(config, aws, echo, sleep, progress),
    )


def _remote_options(
    config: RemoteConfig,
    aws: Aws,
    echo: Echo,
    sleep: Callable[[float], None],
    progress: Progress,
) -> RemoteOptions:
    """What both remote targets are built with, from what both kinds of config set."""
    from kiter.targets.remote import RemoteOptions

    low, high = config.poll_seconds
    return RemoteOptions(
        s3=aws.client("s3"),
        script_prefix=config.script_prefix,
        log_wait_seconds=float(config.log_wait_seconds),
        poll_seconds=(float(low), float(high)),
        echo=echo,
        progress=progress,
        sleep=sleep,
    )


def make_runner(
    project: Project,
    aws: Aws,
    renderer: Renderer,
    ledger: Ledger,
    echo: Echo = no_echo,
    log: Echo = no_echo,
    stop: Stop = NEVER,
    watcher: Watcher | None = None,
    progress: Progress = NO_PROGRESS,
) -> Runner:
    """A runner whose targets show their waits on `progress` (one line: the runner's job)."""
    from kiter.runner import Runner
    from kiter.watch import NOBODY

    def target(config: TargetConfig, run_echo: Echo) -> Target:
        sleep = time.sleep if stop is NEVER else stop.sleep
        return make_target(project, config, aws, run_echo, log=log, sleep=sleep, progress=progress)

    return Runner(
        project,
        aws=aws,
        renderer=renderer,
        ledger=ledger,
        make_target=target,
        echo=echo,
        stop=stop,
        watcher=watcher or NOBODY,
        progress=progress,
    )


def make_local_stack(project: Project, echo: Echo = no_echo) -> LocalStack:
    """The project's embedded stack, on the ports of its [local] table."""
    from kiter.local.stack import LocalStack

    return LocalStack(
        project.local_dir,
        moto_port=project.local.moto_port,
        hiveserver2_port=project.local.hiveserver2_port,
        echo=echo,
    )


def local_stack_at(project_root: Path, echo: Echo = no_echo) -> LocalStack:
    """The stack recorded in a project folder, found without reading kiter.toml (to look at or
    stop a running stack while the file has an error)."""
    from kiter.local.stack import LocalStack

    return LocalStack(project_root / ".kiter" / "local", echo=echo)


def local_aws(project: Project, moto_url: str) -> Aws:
    """An AWS factory for the embedded stack's moto server (its fixed credentials)."""
    settings = project.aws
    return Aws(
        replace(
            settings,
            endpoint_url=moto_url,
            profile=None,
            local_credentials=True,
            region=settings.region or LOCAL_REGION,
        )
    )
