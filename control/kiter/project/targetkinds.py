"""The kinds of [targets.NAME] table: each kind's settings, and its declaration of the jobs it
runs (`accepts`, kiter.project.accepts), bound to its kind name in one registry.

A new kind of target is a config type here and one line in TARGET_KINDS (and its module in
`targets/`, built by `wiring.make_target`). Config values only: nothing here builds a target or
talks to a service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kiter.choices import (
    ACTIONS_ON_FAILURE,
    AUTHS,
    ActionOnFailure,
    Auth,
    TargetKind,
)
from kiter.choices import TARGET_KINDS as TARGET_KIND_NAMES
from kiter.project.accepts import Accepts
from kiter.project.accepts import kind_of_submission as submission_kind
from kiter.project.fields import setting


@dataclass(frozen=True)
class TargetConfig:
    """A [targets.NAME] table; one subclass per kind holds its settings and declares, in
    `accepts`, the jobs it runs."""

    accepts: ClassVar[Accepts]

    name: str
    kind: TargetKind = setting(str, choices=TARGET_KIND_NAMES)


@dataclass(frozen=True)
class HiveServer2Config(TargetConfig):
    accepts = Accepts("HiveServer2", frozenset({"hive"}), queries=True)

    host: str = setting(str, help="HiveServer2 host, or 'local' for the embedded stack")
    port: int = setting(int, 10000, low=1, high=65535)
    username: str = setting(str, "kiter")
    database: str = setting(str, "default")
    auth: Auth = setting(str, "NONE", choices=AUTHS)
    password_env: str = setting(
        str, "KITER_HS2_PASSWORD", help="env variable holding the LDAP password"
    )
    kerberos_service_name: str = setting(str, "hive")
    connect_timeout: float = setting((int, float), 30, low=0.1, high=3600)
    configuration: Mapping[str, Any] = setting(dict, {}, help="session hiveconf settings")


@dataclass(frozen=True)
class RemoteConfig(TargetConfig):
    """What the kinds whose runs live on an AWS service share (targets/remote.py): scripts go
    to S3, runs are polled, a failed run's logs are waited for."""

    script_prefix: str = setting(str, help="s3://bucket/prefix for rendered scripts")
    log_wait_seconds: float = setting((int, float), 600, low=0, high=86_400)
    poll_seconds: list[float] = setting(
        list, [15, 30], help="first and longest wait between two looks at a run, seconds"
    )


@dataclass(frozen=True)
class EmrServerlessConfig(RemoteConfig):
    """A HIVE application on EMR Serverless: staged jobs only (no connector there)."""

    accepts = Accepts(
        "EMR Serverless",
        frozenset({"hive"}),
        no_connector="no document shows the Kinesis connector on EMR Serverless (target {target})",
        staging=frozenset({"s3"}),
        submission_prefix="emr-serverless:",
    )

    application_id: str | None = setting(str, None)
    application_name: str | None = setting(str, None, help="looked up among live applications")
    execution_role_arn: str = setting(
        str,
        pattern=r"arn:aws[a-zA-Z0-9-]*:iam::\d{12}:role/\S+",
        shape="an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
        help="the job runtime role",
    )
    log_uri: str = setting(str, help="s3://bucket/prefix the job runs' logs go to")
    execution_timeout_minutes: int | None = setting(
        int, None, low=5, high=1_000_000, help="EMR Serverless cancels a longer job run"
    )
    configuration: Mapping[str, Any] = setting(
        dict, {}, help="hive-site overrides (applicationConfiguration)"
    )
    parameters: str = setting(str, "", help="extra --hiveconf k=v / --hivevar k=v")


@dataclass(frozen=True)
class EmrConfig(RemoteConfig):
    """A live EMR cluster: Hive and Pig scripts as command-runner.jar steps, streaming jobs as
    command-runner.jar hadoop-streaming steps, jar jobs as custom JAR steps (targets/emr.py)."""

    accepts = Accepts(
        "EMR steps",
        frozenset({"hive", "pig", "streaming", "jar"}),
        staging=frozenset({"s3"}),
        submission_prefix="s-",
    )

    cluster_id: str | None = setting(str, None)
    cluster_name: str | None = setting(str, None, help="looked up among running clusters")
    action_on_failure: ActionOnFailure = setting(str, "CONTINUE", choices=ACTIONS_ON_FAILURE)


@dataclass(frozen=True)
class LocalEngineConfig(TargetConfig):
    """A JVM engine `kiter local up` installs on this machine: what each such target sets."""

    heap: str = setting(
        str,
        "1g",
        pattern=r"[1-9][0-9]*[mg]",
        shape="a size like 512m or 2g",
        help="the JVM's -Xmx, e.g. 1g",
    )
    properties: Mapping[str, Any] = setting(
        dict,
        {},
        help="properties passed as -D to every run (Pig: e.g. pig.datetime.default.tz; Hadoop: "
        "e.g. mapreduce.job.reduces)",
    )


@dataclass(frozen=True)
class PigConfig(LocalEngineConfig):
    """The local Pig engine (Pig 0.17.0 in local mode), installed by `kiter local up`."""

    accepts = Accepts(
        "the local Pig engine",
        frozenset({"pig"}),
        no_connector="target {target} (local Pig) has no Kinesis loader",
        staging=frozenset({"file"}),
    )


@dataclass(frozen=True)
class HadoopConfig(LocalEngineConfig):
    """The local Hadoop engine (Hadoop 2.10.2's local job runner), installed by `kiter local up`:
    streaming and jar jobs, staged."""

    accepts = Accepts(
        "the local Hadoop engine",
        frozenset({"streaming", "jar"}),
        no_connector="target {target} (local Hadoop) has no Kinesis connector",
        staging=frozenset({"file"}),
        submission_prefix="hadoop:",
    )


TARGET_KINDS: dict[str, type[TargetConfig]] = {
    "hiveserver2": HiveServer2Config,
    "emr-serverless": EmrServerlessConfig,
    "emr": EmrConfig,
    "pig": PigConfig,
    "hadoop": HadoopConfig,
}

# Every kind's declaration of what it runs (kiter.project.accepts), by kind.
ACCEPTED: dict[str, Accepts] = {kind: config.accepts for kind, config in TARGET_KINDS.items()}


def kind_of_submission(submission_id: str) -> str | None:
    """The kind of target whose runs `kiter logs` explains under ids like this one, if any."""
    return submission_kind(submission_id, ACCEPTED)
