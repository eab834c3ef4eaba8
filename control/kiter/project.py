"""Load and validate a kiter project (`kiter.toml`) into one frozen `Project`.

Precedence, implemented once in `_layer`: command-line flag > environment variable (KITER_...) >
kiter.toml (with the selected `[profiles.NAME]` merged over it) > default. Every problem becomes a
`ConfigError` naming the file, the key and, where it can be had, the line. This module must not
render templates or talk to any service.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from kiter.aws import AwsSettings
from kiter.errors import ConfigError
from kiter.library import builtin_dirs

PROJECT_FILE = "kiter.toml"
_REQUIRED = object()
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Field:
    """One setting: its TOML type, default (or required) and allowed values."""

    type: type | tuple[type, ...]
    default: Any = _REQUIRED
    choices: tuple[str, ...] = ()
    help: str = ""
    low: float | None = None  # numbers: the smallest allowed
    high: float | None = None  # numbers: the largest allowed
    pattern: str | None = None  # strings: what the whole value must match
    shape: str = ""  # strings: what `pattern` allows, in words

    def problem(self, value: Any) -> str | None:
        """What is wrong with a value of the right type, or None."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):
                return "must be a finite number"
            if self.low is not None and value < self.low:
                return f"must be at least {_number(self.low)}"
            if self.high is not None and value > self.high:
                return f"must be at most {_number(self.high)}"
        if isinstance(value, str) and self.pattern and not _matches(self.pattern, value):
            return f"must be {self.shape}, not {value!r}"
        return None

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches(pattern: str, value: str) -> bool:
    return _pattern(pattern).fullmatch(value) is not None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# A Kinesis stream name, a DynamoDB table name.
STREAM_NAME = r"[A-Za-z0-9_.-]{1,128}"
STREAM_SHAPE = "a Kinesis stream name (1-128 of A-Z a-z 0-9 _ . -)"
TABLE_NAME = r"[A-Za-z0-9_.-]{3,255}"
TABLE_SHAPE = "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"
# A checkpoint value the connector reads back verbatim from a SET line.
PLAIN_VALUE = r"(?:(?![;='\"`\\#$])[!-~]){1,255}"
PLAIN_SHAPE = "1-255 printable ASCII characters without spaces, ; = quotes \\ # or $"
# Characters a staging location may not hold: they would end or change the quoted literal the
# scripts read it from (quotes, backslash), end a statement, or start a variable substitution.
_LOCATION_FORBIDDEN = re.compile(r"['\"`\\;$\x00-\x1f\x7f]")


AWS_FIELDS = {
    "region": Field(str, "us-east-1", help="AWS region of the stream, table and cluster"),
    "profile": Field(str, None, help="named profile from ~/.aws/config"),
    "endpoint_url": Field(str, None, help="one endpoint for every AWS API (moto, LocalStack)"),
}
METASTORE_FIELDS = {
    "table": Field(
        str,
        "MyEMRKinesisTable",
        pattern=TABLE_NAME,
        shape=TABLE_SHAPE,
        help="DynamoDB checkpoint table",
    ),
    "hash_key": Field(
        str,
        "HashKey",
        pattern=r"[A-Za-z0-9_.-]{1,255}",
        shape="1-255 of A-Z a-z 0-9 _ . -",
        help="its String hash key attribute",
    ),
    "range_key": Field(
        str,
        "RangeKey",
        pattern=r"[A-Za-z0-9_.-]{1,255}",
        shape="1-255 of A-Z a-z 0-9 _ . -",
        help="its String range key attribute",
    ),
    "ledger_table": Field(
        str,
        None,
        pattern=TABLE_NAME,
        shape=TABLE_SHAPE,
        help="keep kiter's ledger in a table of its own",
    ),
    "lease_seconds": Field(
        int, 300, low=10, high=86_400, help="a claim's lease; heartbeats renew it"
    ),
}
STAGING_FIELDS = {
    "location": Field(str, ".kiter/staging", help="file:// or s3:// root of staged iterations"),
    "format": Field(str, "lines", choices=("lines", "jsonl"), help="staged record format"),
}
LOCAL_FIELDS = {
    "moto_port": Field(
        int, 0, low=0, high=65535, help="port of the local AWS endpoint (0: pick a free one)"
    ),
    "hiveserver2_port": Field(
        int, 0, low=0, high=65535, help="port of the local HiveServer2 (0: pick a free one)"
    ),
}
TARGET_FIELDS = {
    "hiveserver2": {
        "kind": Field(str, choices=("hiveserver2", "emr")),
        "host": Field(str, help="HiveServer2 host, or 'local' for the embedded stack"),
        "port": Field(int, 10000, low=1, high=65535),
        "username": Field(str, "kiter"),
        "database": Field(str, "default"),
        "auth": Field(str, "NONE", choices=("NONE", "NOSASL", "LDAP", "KERBEROS")),
        "password_env": Field(
            str, "KITER_HS2_PASSWORD", help="env variable holding the LDAP password"
        ),
        "kerberos_service_name": Field(str, "hive"),
        "connect_timeout": Field((int, float), 30, low=0.1, high=3600),
        "configuration": Field(dict, {}, help="session hiveconf settings"),
    },
    "emr": {
        "kind": Field(str, choices=("hiveserver2", "emr")),
        "cluster_id": Field(str, None),
        "cluster_name": Field(str, None, help="looked up among running clusters"),
        "script_prefix": Field(str, help="s3://bucket/prefix for rendered scripts"),
        "action_on_failure": Field(
            str, "CONTINUE", choices=("CONTINUE", "CANCEL_AND_WAIT", "TERMINATE_CLUSTER")
        ),
        "log_wait_seconds": Field((int, float), 600, low=0, high=86_400),
        "poll_seconds": Field(
            list, [15, 30], help="first and longest wait between DescribeStep calls, seconds"
        ),
    },
}
JOB_FIELDS = {
    "engine": Field(str, choices=("hive", "pig")),
    "template": Field(str, help="template file, found in the project's folders, then built-ins"),
    "stream": Field(str, pattern=STREAM_NAME, shape=STREAM_SHAPE, help="Kinesis stream name"),
    "logical_name": Field(
        str,
        None,
        pattern=PLAIN_VALUE,
        shape=PLAIN_SHAPE,
        help="checkpoint logical name (default: the job's name)",
    ),
    "target": Field(str, None, help="name of a [targets.NAME] table"),
    "mode": Field(str, "connector", choices=("connector", "staged")),
    "description": Field(str, ""),
    "vars": Field(dict, {}, help="template variables"),
    "nodata_timeout": Field(int, None, low=1, high=10_080, help="kinesis.nodata.timeout, minutes"),
    "iteration_timeout": Field(
        int, None, low=1, high=10_080, help="kinesis.iteration.timeout, minutes"
    ),
    "batch_size": Field(int, None, low=1, high=10_000, help="kinesis.records.batchsize"),
    "endpoint_region": Field(
        str,
        None,
        pattern=r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d",
        shape="an AWS region name",
        help="kinesis.endpoint.region",
    ),
    "cross_account": Field(bool, False, help="take kinesis.accessKey/secretKey from the env"),
    "initial_position": Field(str, "TRIM_HORIZON", choices=("TRIM_HORIZON", "LATEST")),
    "staging_format": Field(str, None, choices=("lines", "jsonl")),
    "escape_newlines": Field(bool, False),
    "max_records": Field(
        int, None, low=1, help="staged: stop an iteration after this many records"
    ),
    "max_bytes": Field(int, None, low=1, help="staged: stop an iteration after this many bytes"),
    "campaign_table": Field(
        str,
        None,
        pattern=TABLE_NAME,
        shape=TABLE_SHAPE,
        help="staged: DynamoDB table snapshotted each iteration",
    ),
}
SECTIONS: dict[str, dict[str, Field]] = {
    "aws": AWS_FIELDS,
    "metastore": METASTORE_FIELDS,
    "staging": STAGING_FIELDS,
    "local": LOCAL_FIELDS,
}
TOP_LEVEL = (*SECTIONS, "targets", "jobs", "profiles")
# Settings that environment variables and flags may override, as KITER_<SECTION>_<KEY>.
LAYERED_SECTIONS = ("aws", "metastore", "staging")


@dataclass(frozen=True)
class MetastoreConfig:
    table: str
    hash_key: str
    range_key: str
    ledger_table: str | None
    lease_seconds: int


@dataclass(frozen=True)
class StagingConfig:
    location: str  # always a URL: file:///abs/path or s3://bucket/prefix
    format: str


@dataclass(frozen=True)
class TargetConfig:
    name: str
    kind: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class JobConfig:
    name: str
    engine: str
    template: str
    stream: str
    logical_name: str
    target: str | None
    mode: str
    description: str
    vars: Mapping[str, Any]
    nodata_timeout: int | None
    iteration_timeout: int | None
    batch_size: int | None
    endpoint_region: str | None
    cross_account: bool
    initial_position: str
    staging_format: str
    escape_newlines: bool
    max_records: int | None
    max_bytes: int | None
    campaign_table: str | None

    @property
    def extension(self) -> str:
        return "hql" if self.engine == "hive" else "pig"


@dataclass(frozen=True)
class Project:
    root: Path
    path: Path
    profile: str | None
    aws: AwsSettings
    metastore: MetastoreConfig
    staging: StagingConfig
    local: Mapping[str, int]
    targets: Mapping[str, TargetConfig]
    jobs: Mapping[str, JobConfig]
    origins: Mapping[str, str] = field(default_factory=dict)
    profile_targets: tuple[str, ...] = ()  # targets the selected profile defines or changes

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
        return self.targets[name]

    @cached_property
    def template_dirs(self) -> list[Path]:
        """The Jinja search path: the project's own folders first, then the built-ins."""
        own = [self.root / name for name in ("hiveql", "piglatin", "templates")]
        return [p for p in own if p.is_dir()] + builtin_dirs()

    def find_template(self, name: str) -> Path | None:
        for folder in self.template_dirs:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    @property
    def local_dir(self) -> Path:
        return self.root / ".kiter" / "local"


def find_project(start: Path) -> Path:
    """The nearest folder at or above `start` holding kiter.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder / PROJECT_FILE
    raise ConfigError(f"no {PROJECT_FILE} here or in any parent folder (run `kiter init`)")


def load_project(
    path: Path,
    *,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> Project:
    """Read, layer and validate kiter.toml. `flags` maps "section.key" to command-line values."""
    env = os.environ if env is None else env
    text = _read(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(path)) from None
    loc = _Locator(path, text)
    profile = profile or env.get("KITER_PROFILE") or None
    profile_targets: tuple[str, ...] = ()
    if profile is not None and isinstance(doc.get("profiles", {}).get(profile), dict):
        overlay_targets = doc["profiles"][profile].get("targets", {})
        if isinstance(overlay_targets, dict):
            profile_targets = tuple(overlay_targets)
    doc, origins = _layer(doc, loc, env=env, flags=flags or {}, profile=profile)
    return replace(_build(path, doc, loc, profile, origins), profile_targets=profile_targets)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", where=str(path)) from None


class _Locator:
    """Finds the line of a table or key in kiter.toml for error messages."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def where(self, *keys: str) -> str:
        line = self.line(*keys)
        return f"{self.path}:{line}" if line else str(self.path)

    def line(self, *keys: str) -> int | None:
        table, key = list(keys[:-1]), keys[-1] if keys else None
        current: list[str] = []
        found_table = None
        for number, raw in enumerate(self.lines, start=1):
            header = self._HEADER.match(raw)
            if header:
                current = [p.strip().strip("\"'") for p in header.group(1).split(".")]
                if current == list(keys):
                    found_table = found_table or number
                continue
            match = self._KEY.match(raw)
            if match and current == table and match.group(1).strip("\"'") == key:
                return number
        return found_table


def _layer(
    doc: dict[str, Any],
    loc: _Locator,
    *,
    env: Mapping[str, str],
    flags: Mapping[str, Any],
    profile: str | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply profile, environment and flags over the file, recording where each value came from."""
    doc = copy.deepcopy(doc)
    origins: dict[str, str] = {}
    profiles = doc.get("profiles", {})
    if profile is not None:
        if not isinstance(profiles, dict) or profile not in profiles:
            known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
            raise ConfigError(
                f"no profile named {profile!r} (profiles: {known or 'none'})", where=str(loc.path)
            )
        overlay = profiles[profile]
        if not isinstance(overlay, dict):
            raise ConfigError("must be a table", where=loc.where("profiles", profile))
        for key in overlay:
            if key not in TOP_LEVEL or key == "profiles":
                raise ConfigError(
                    f"unknown key {key!r} in profile {profile!r}",
                    where=loc.where("profiles", profile, key),
                )
        _deep_merge(doc, overlay)
    for section in LAYERED_SECTIONS:
        table = doc.setdefault(section, {})
        if not isinstance(table, dict):
            continue  # reported by _build with its line
        for key, spec in SECTIONS[section].items():
            name = f"KITER_{section}_{key}".upper()
            if env.get(name, "") != "":
                table[key] = _coerce_text(env[name], spec, name)
                origins[f"{section}.{key}"] = name
            flag = flags.get(f"{section}.{key}")
            if flag is not None:
                table[key] = flag
                origins[f"{section}.{key}"] = f"--{key.replace('_', '-')}"
    return doc, origins


def _deep_merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> None:
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _coerce_text(text: str, spec: Field, source: str) -> Any:
    """Turn an environment variable's text into the setting's type."""
    types = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    if bool in types:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{source} must be true or false, not {text!r}")
    if int in types:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{source} must be a whole number, not {text!r}") from None
    return text


def _build(
    path: Path, doc: dict[str, Any], loc: _Locator, profile: str | None, origins: dict[str, str]
) -> Project:
    for key in doc:
        if key not in TOP_LEVEL:
            raise ConfigError(
                f"unknown table or key {key!r} (expected one of: {', '.join(TOP_LEVEL)})",
                where=loc.where(key),
            )
    sections = {
        name: _check_table(doc.get(name, {}), fields, loc, (name,), origins)
        for name, fields in SECTIONS.items()
    }
    aws = AwsSettings(**sections["aws"])
    _check_endpoint(
        aws.endpoint_url, origins.get("aws.endpoint_url") or loc.where("aws", "endpoint_url")
    )
    metastore = MetastoreConfig(**sections["metastore"])
    staging = StagingConfig(
        location=_staging_url(path.parent, sections["staging"]["location"], loc),
        format=sections["staging"]["format"],
    )
    targets = {
        name: _build_target(name, table, loc)
        for name, table in _named_tables(doc.get("targets", {}), "targets", loc).items()
    }
    jobs = {
        name: _build_job(name, table, loc, staging, targets)
        for name, table in _named_tables(doc.get("jobs", {}), "jobs", loc).items()
    }
    project = Project(
        root=path.parent.resolve(),
        path=path,
        profile=profile,
        aws=aws,
        metastore=metastore,
        staging=staging,
        local=sections["local"],
        targets=targets,
        jobs=jobs,
        origins=origins,
    )
    for job in jobs.values():
        _check_staged(job, aws, loc)
        if project.find_template(job.template) is None:
            searched = ", ".join(str(p) for p in project.template_dirs)
            raise ConfigError(
                f"template {job.template!r} of job {job.name!r} not found (searched: {searched})",
                where=loc.where("jobs", job.name, "template"),
            )
    return project


def _check_endpoint(url: str | None, where: str) -> None:
    if url is None or url == "local":
        return
    if not re.fullmatch(r"https?://[A-Za-z0-9.\[\]:_-]+(?:/\S*)?", url):
        raise ConfigError(
            f'endpoint_url must be an http:// or https:// URL, or "local", not {url!r}',
            where=where,
        )


def _named_tables(value: Any, section: str, loc: _Locator) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{section}] must be a table", where=loc.where(section))
    for name, table in value.items():
        if not _NAME_RE.match(name):
            raise ConfigError(
                f"bad name {name!r} in [{section}]: use letters, digits, _ and -, "
                "starting with a letter",
                where=loc.where(section, name),
            )
        if not isinstance(table, dict):
            raise ConfigError(f"{section}.{name} must be a table", where=loc.where(section, name))
    return value


def _check_table(
    table: Any,
    fields: Mapping[str, Field],
    loc: _Locator,
    keys: tuple[str, ...],
    origins: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Validate one TOML table against its fields; returns every field with defaults filled."""
    dotted = ".".join(keys)
    if not isinstance(table, dict):
        raise ConfigError(f"[{dotted}] must be a table", where=loc.where(*keys))
    for key in table:
        if key not in fields:
            hint = _did_you_mean(key, fields)
            raise ConfigError(
                f"unknown key {key!r} in [{dotted}]{hint}", where=loc.where(*keys, key)
            )
    out: dict[str, Any] = {}
    for key, spec in fields.items():
        if key not in table or table[key] is None:
            if spec.required:
                raise ConfigError(
                    f"[{dotted}] is missing required key {key!r}", where=loc.where(*keys)
                )
            out[key] = copy.deepcopy(spec.default)
            continue
        value = table[key]
        source = (origins or {}).get(f"{dotted}.{key}")
        where = source or loc.where(*keys, key)
        _check_type(value, spec, f"{dotted}.{key}", where)
        out[key] = value
    return out


def _check_type(value: Any, spec: Field, name: str, where: str) -> None:
    types = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    # TOML booleans are Python ints: never take true for a number.
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
        raise ConfigError(
            f"{name} must be {wanted}, not {_TYPE_NAMES.get(type(value), type(value).__name__)}",
            where=where,
        )
    if spec.choices and value not in spec.choices:
        raise ConfigError(
            f"{name} must be one of {', '.join(map(repr, spec.choices))}, not {value!r}",
            where=where,
        )
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise ConfigError(f"{name} must not be negative", where=where)
    problem = spec.problem(value)
    if problem:
        raise ConfigError(f"{name} {problem}", where=where)


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a table",
    list: "an array",
}


def _did_you_mean(key: str, fields: Mapping[str, Field]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _build_target(name: str, table: dict[str, Any], loc: _Locator) -> TargetConfig:
    kind = table.get("kind")
    if kind not in TARGET_FIELDS:
        where = (
            loc.where("targets", name, "kind") if "kind" in table else loc.where("targets", name)
        )
        raise ConfigError(
            f'targets.{name}.kind must be "hiveserver2" or "emr", not {kind!r}', where=where
        )
    options = _check_table(table, TARGET_FIELDS[kind], loc, ("targets", name))
    if kind == "emr":
        if not options["cluster_id"] and not options["cluster_name"]:
            raise ConfigError(
                f"targets.{name} needs cluster_id or cluster_name", where=loc.where("targets", name)
            )
        poll = options["poll_seconds"]
        if not (
            len(poll) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in poll)
            and 0 < poll[0] <= poll[1] <= 600
        ):
            raise ConfigError(
                f"targets.{name}.poll_seconds must be [first, longest] seconds with "
                f"0 < first <= longest <= 600, not {poll!r}",
                where=loc.where("targets", name, "poll_seconds"),
            )
        if not str(options["script_prefix"]).startswith("s3://"):
            raise ConfigError(
                f"targets.{name}.script_prefix must be an s3:// URL",
                where=loc.where("targets", name, "script_prefix"),
            )
    else:
        _check_str_map(
            options["configuration"],
            f"targets.{name}.configuration",
            loc.where("targets", name, "configuration"),
        )
    return TargetConfig(name=name, kind=kind, options=options)


def _build_job(
    name: str,
    table: dict[str, Any],
    loc: _Locator,
    staging: StagingConfig,
    targets: Mapping[str, TargetConfig],
) -> JobConfig:
    if any(k.lower() in ("access_key", "secret_key", "accesskey", "secretkey") for k in table):
        raise ConfigError(
            f"jobs.{name} must not hold Kinesis keys: set cross_account = true and export "
            "KITER_KINESIS_ACCESS_KEY and KITER_KINESIS_SECRET_KEY at submit time",
            where=loc.where("jobs", name),
        )
    values = _check_table(table, JOB_FIELDS, loc, ("jobs", name))
    values["logical_name"] = values["logical_name"] or name
    values["staging_format"] = values["staging_format"] or staging.format
    target = values["target"]
    if target is not None and target not in targets:
        known = ", ".join(sorted(targets)) or "none"
        raise ConfigError(
            f"jobs.{name}.target names no [targets.{target}] (targets: {known})",
            where=loc.where("jobs", name, "target"),
        )
    _check_vars(values["vars"], name, loc)
    return JobConfig(name=name, **values)


def _check_staged(job: JobConfig, aws: AwsSettings, loc: _Locator) -> None:
    """Staged mode reads the stream with kiter's own credentials, in kiter's region."""
    if job.mode != "staged":
        return
    if job.cross_account:
        raise ConfigError(
            f"jobs.{job.name}: staged mode reads the stream with kiter's own AWS credentials; "
            "cross_account keys are for connector mode",
            where=loc.where("jobs", job.name, "cross_account"),
        )
    if job.endpoint_region and job.endpoint_region != aws.region:
        raise ConfigError(
            f"jobs.{job.name}: staged mode reads the stream in [aws] region {aws.region}, "
            f"not endpoint_region {job.endpoint_region}",
            where=loc.where("jobs", job.name, "endpoint_region"),
        )


def _check_vars(variables: Mapping[str, Any], job: str, loc: _Locator) -> None:
    for key, value in variables.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise ConfigError(
                f"jobs.{job}.vars key {key!r} is not a valid template name",
                where=loc.where("jobs", job, "vars", key),
            )
        if not isinstance(value, (str, int, float, bool)):
            raise ConfigError(
                f"jobs.{job}.vars.{key} must be a string, number or boolean",
                where=loc.where("jobs", job, "vars", key),
            )


def _check_str_map(value: Mapping[str, Any], name: str, where: str) -> None:
    for key, item in value.items():
        if not isinstance(item, (str, int, float, bool)):
            raise ConfigError(f"{name}.{key} must be a string, number or boolean", where=where)


def _staging_url(root: Path, location: str, loc: _Locator) -> str:
    if location.startswith("s3://"):
        if len(location) <= len("s3://") or location[5] == "/":
            raise ConfigError(
                "staging.location needs a bucket", where=loc.where("staging", "location")
            )
        return _checked_location(location.rstrip("/"), loc)
    if location.startswith("file://"):
        location = location[len("file://") :]
    elif "://" in location:
        raise ConfigError(
            f"staging.location must be a file:// or s3:// URL or a path, not {location!r}",
            where=loc.where("staging", "location"),
        )
    folder = Path(location)
    if not folder.is_absolute():
        folder = root / folder
    return _checked_location(folder.resolve().as_uri(), loc)


def _checked_location(url: str, loc: _Locator) -> str:
    """A staging URL scripts can quote as it is (it is interpolated into LOCATION and LOAD)."""
    bad = _LOCATION_FORBIDDEN.search(url)
    if bad:
        raise ConfigError(
            f"staging.location {url!r} holds {bad.group(0)!r}, which would change the scripts "
            "that read it: choose a location without quotes, backslashes, ';', '$' or control "
            "characters",
            where=loc.where("staging", "location"),
        )
    return url


def parse_var_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`--var KEY=VALUE` pairs as a dict; a malformed pair is a usage error naming it."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise ConfigError(f"--var {pair!r} must look like NAME=VALUE")
        out[key] = value
    return out
