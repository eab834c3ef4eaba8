"""What a loaded kiter.toml is: frozen config values, each setting declared once with its schema.

The loader (loading.py) fills every setting of these dataclasses from the layered file; the
`setting(...)` declarations are both the fields and the schema it checks them against. The kinds
of target and what each accepts are in targetkinds.py; jobs, the sections and the Project here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kiter.aws import AwsSettings
from kiter.choices import (
    ENGINES,
    FORMATS,
    INITIAL_POSITIONS,
    MODES,
    Engine,
    FormatName,
    InitialPositionName,
    Mode,
    extension,
)
from kiter.errors import ConfigError, UsageError
from kiter.library import builtin_dirs
from kiter.project.fields import (
    PLAIN_SHAPE,
    PLAIN_VALUE,
    STREAM_NAME,
    STREAM_SHAPE,
    TABLE_NAME,
    TABLE_SHAPE,
    Field,
    setting,
)
from kiter.project.targetkinds import ACCEPTED, HiveServer2Config, TargetConfig

_ATTRIBUTE = r"[A-Za-z0-9_.-]{1,255}"
_ATTRIBUTE_SHAPE = "1-255 of A-Z a-z 0-9 _ . -"

AWS_FIELDS = {
    # None after loading: no flag, variable, file, AWS variable or AWS profile named one.
    "region": Field(str, None, help="AWS region of the stream, table and cluster"),
    "profile": Field(str, None, help="named profile from ~/.aws/config"),
    "endpoint_url": Field(str, None, help="one endpoint for every AWS API (moto, LocalStack)"),
}


@dataclass(frozen=True)
class MetastoreConfig:
    table: str = setting(
        str, "MyEMRKinesisTable", pattern=TABLE_NAME, shape=TABLE_SHAPE, help="checkpoint table"
    )
    hash_key: str = setting(
        str, "HashKey", pattern=_ATTRIBUTE, shape=_ATTRIBUTE_SHAPE, help="its String hash key"
    )
    range_key: str = setting(
        str, "RangeKey", pattern=_ATTRIBUTE, shape=_ATTRIBUTE_SHAPE, help="its String range key"
    )
    ledger_table: str | None = setting(
        str, None, pattern=TABLE_NAME, shape=TABLE_SHAPE, help="the ledger in a table of its own"
    )
    lease_seconds: int = setting(
        int, 300, low=10, high=86_400, help="a claim's lease; heartbeats renew it"
    )


@dataclass(frozen=True)
class StagingConfig:
    # After loading, always a URL: file:///abs/path or s3://bucket/prefix.
    location: str = setting(
        str, ".kiter/staging", help="file:// or s3:// root of staged iterations"
    )
    format: FormatName = setting(str, "lines", choices=FORMATS, help="staged record format")


@dataclass(frozen=True)
class LocalConfig:
    moto_port: int = setting(
        int, 0, low=0, high=65535, help="port of the local AWS endpoint (0: pick a free one)"
    )
    hiveserver2_port: int = setting(
        int, 0, low=0, high=65535, help="port of the local HiveServer2 (0: pick a free one)"
    )


def refusal(job: JobConfig, target: TargetConfig, staging: StagingConfig) -> str:
    """Why `target` cannot run `job` ("" when it can), as its kind declares."""
    return target.accepts.refusal(job, target.name, staging.location, ACCEPTED)


@dataclass(frozen=True)
class JobConfig:
    name: str
    engine: Engine = setting(str, choices=ENGINES)
    template: str = setting(
        str, help="template file, found in the project's folders, then built-ins"
    )
    # Empty for a job of one script; the loader makes `template` the first of several.
    templates: tuple[str, ...] = setting(
        list, [], help="several template files, run in order in one session (instead of template)"
    )
    stream: str = setting(str, pattern=STREAM_NAME, shape=STREAM_SHAPE, help="Kinesis stream")
    logical_name: str = setting(
        str,
        None,
        pattern=PLAIN_VALUE,
        shape=PLAIN_SHAPE,
        help="checkpoint logical name (default: the job's name)",
    )
    checkpoint_table: str | None = setting(
        str,
        None,
        pattern=TABLE_NAME,
        shape=TABLE_SHAPE,
        help="the connector's checkpoint table of this job (default: [metastore] table)",
    )
    target: str | None = setting(str, None, help="name of a [targets.NAME] table")
    mode: Mode = setting(str, "connector", choices=MODES)
    description: str = setting(str, "")
    vars: Mapping[str, Any] = setting(dict, {}, help="template variables")
    nodata_timeout: int | None = setting(
        int, None, low=1, high=10_080, help="kinesis.nodata.timeout, minutes"
    )
    iteration_timeout: int | None = setting(
        int, None, low=1, high=10_080, help="kinesis.iteration.timeout, minutes"
    )
    batch_size: int | None = setting(
        int, None, low=1, high=10_000, help="kinesis.records.batchsize"
    )
    endpoint_region: str | None = setting(
        str,
        None,
        pattern=r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d",
        shape="an AWS region name",
        help="kinesis.endpoint.region",
    )
    cross_account: bool = setting(bool, False, help="take kinesis.accessKey/secretKey from the env")
    initial_position: InitialPositionName = setting(str, "TRIM_HORIZON", choices=INITIAL_POSITIONS)
    staging_format: FormatName = setting(str, None, choices=FORMATS)
    escape_newlines: bool = setting(bool, False)
    max_records: int | None = setting(
        int, None, low=1, help="staged: stop an iteration after this many records"
    )
    max_bytes: int | None = setting(
        int, None, low=1, help="staged: stop an iteration after this many bytes"
    )
    campaign_table: str | None = setting(
        str,
        None,
        pattern=TABLE_NAME,
        shape=TABLE_SHAPE,
        help="staged: DynamoDB table snapshotted each iteration",
    )

    @property
    def template_names(self) -> tuple[str, ...]:
        """The job's templates in the order they run: `templates`, else the one `template`."""
        return tuple(self.templates) or (self.template,)

    @property
    def extension(self) -> str:
        return extension(self.engine)


# A Java class name, as `main_class` and `input_format` name one.
_JAVA_CLASS = r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*"
_JAVA_CLASS_SHAPE = "a Java class name like org.example.Main"


@dataclass(frozen=True)
class HadoopJobConfig(JobConfig):
    """A job that is a Hadoop program, not a script (engine = "streaming" or "jar"): it has no
    template; `output` is where each iteration's result goes, a Jinja string rendered with it."""

    template: str = field(default="", kw_only=True)  # no setting: these jobs have no template
    output: str = setting(
        str, help="where an iteration's result goes (Jinja: s3://b/out/iteration={{ iteration }})"
    )


@dataclass(frozen=True)
class StreamingJobConfig(HadoopJobConfig):
    """engine = "streaming": Hadoop Streaming with programs that are files of the project."""

    mapper: str = setting(
        str, help="the map program, a file in the project (a .py runs with python3)"
    )
    reducer: str | None = setting(str, None, help="the reduce program (none: a map-only job)")
    combiner: str | None = setting(str, None, help="the combine program")
    files: list[str] = setting(list, [], help="more project files shipped with the job (-files)")
    reducers: int | None = setting(
        int, None, low=1, high=100_000, help="reduce tasks (with a reducer; default 1)"
    )
    input_format: str | None = setting(
        str,
        None,
        pattern=_JAVA_CLASS,
        shape=_JAVA_CLASS_SHAPE,
        help="connector mode: the connector's InputFormat class (-inputformat)",
    )


@dataclass(frozen=True)
class JarJobConfig(HadoopJobConfig):
    """engine = "jar": a MapReduce (or Cascading) program in a jar."""

    jar: str = setting(str, help="the jar: a path in the project or an s3:// URL")
    main_class: str | None = setting(
        str, None, pattern=_JAVA_CLASS, shape=_JAVA_CLASS_SHAPE, help="else the manifest's"
    )
    args: list[str] = setting(
        list, [], help="the program's arguments, Jinja strings ({{ input }}, {{ output }})"
    )


# The config type of each engine's jobs.
JOB_ENGINES: dict[str, type[JobConfig]] = {
    "hive": JobConfig,
    "pig": JobConfig,
    "streaming": StreamingJobConfig,
    "jar": JarJobConfig,
}


@dataclass(frozen=True)
class BrokenJob:
    """A [jobs.NAME] table that did not load, as written, with its problems."""

    name: str
    table: Mapping[str, Any]
    problems: tuple[ConfigError, ...]


def template_dirs(root: Path) -> list[Path]:
    """The Jinja search path: the project's own folders first, then the built-ins."""
    own = [root / name for name in ("hiveql", "piglatin", "templates")]
    return [p for p in own if p.is_dir()] + builtin_dirs()


def find_template(dirs: list[Path], name: str) -> Path | None:
    for folder in dirs:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Project:
    root: Path
    path: Path
    profile: str | None
    aws: AwsSettings
    metastore: MetastoreConfig
    staging: StagingConfig
    local: LocalConfig
    targets: Mapping[str, TargetConfig]
    jobs: Mapping[str, JobConfig]
    origins: Mapping[str, str] = field(default_factory=dict)
    profile_targets: tuple[str, ...] = ()  # targets the selected profile defines or changes
    # Jobs left out of `jobs` for their own problems (only when loaded with keep_broken_jobs).
    broken_jobs: Mapping[str, BrokenJob] = field(default_factory=dict)

    def job(self, name: str) -> JobConfig:
        if name not in self.jobs:
            known = ", ".join(sorted(self.jobs)) or "none"
            raise ConfigError(f"no job named {name!r} (jobs: {known})", where=str(self.path))
        return self.jobs[name]

    def target_for(self, job: JobConfig, override: str | None = None) -> TargetConfig:
        name = override or job.target
        if not name:
            raise ConfigError(
                f"job {job.name!r} has no target: set jobs.{job.name}.target or pass --target",
                where=str(self.path),
            )
        if name not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none"
            raise ConfigError(f"no target named {name!r} (targets: {known})", where=str(self.path))
        target = self.targets[name]
        refused = refusal(job, target, self.staging)
        if refused:
            raise ConfigError(refused, where=str(self.path))
        return target

    def query_target(self, name: str | None = None) -> HiveServer2Config:
        """The HiveServer2 target of an ad-hoc query: the one named, else the only one, or the
        only one the selected profile defines (`--profile local` means the local stack's)."""
        if name is None:
            names = [n for n, t in self.targets.items() if t.accepts.queries]
            if len(names) > 1:
                names = [n for n in names if n in self.profile_targets] or names
            if len(names) != 1:
                raise UsageError(
                    "choose a HiveServer2 target with --target"
                    + (
                        f" (one of: {', '.join(sorted(names))})"
                        if names
                        else ": the project has none"
                    )
                )
            name = names[0]
        if name not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none"
            raise UsageError(f"no target named {name!r} (targets: {known})")
        target = self.targets[name]
        if not target.accepts.queries or not isinstance(target, HiveServer2Config):
            raise UsageError(
                f"target {name} is {target.accepts.label}: kiter query needs a HiveServer2 target"
            )
        return target

    @cached_property
    def template_dirs(self) -> list[Path]:
        """The Jinja search path: the project's own folders first, then the built-ins."""
        return template_dirs(self.root)

    def find_template(self, name: str) -> Path | None:
        return find_template(self.template_dirs, name)

    @property
    def local_dir(self) -> Path:
        return self.root / ".kiter" / "local"

    @property
    def on_local_stack(self) -> bool:
        """Whether the project's AWS endpoint is the embedded stack (`endpoint_url = "local"`, as
        the scaffold's `local` profile sets it), whose streams `kiter local` commands feed."""
        return self.aws.endpoint_url == "local"
