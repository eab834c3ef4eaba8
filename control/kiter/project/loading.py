"""Load and validate a kiter project (`kiter.toml`) into one frozen `Project`.

Precedence, implemented once in `_layer`: command-line flag > environment variable (KITER_...) >
kiter.toml (with the selected `[profiles.NAME]` merged over it) > default; for the region, AWS's
own conventions come between the file and the default (AWS_REGION, AWS_DEFAULT_REGION, the AWS
profile's region), and there is no default. Every problem becomes a
`ConfigError` naming the file, the key and, where it can be had, the line. This module must not
render templates or talk to any service.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from kiter.aws import AwsSettings, conventional_region
from kiter.errors import ConfigError
from kiter.project.checks import (
    Locator,
    Problems,
    check_emr_serverless,
    check_endpoint,
    check_job_target,
    check_poll_seconds,
    check_profile,
    check_staged,
    check_str_map,
    check_table,
    check_vars,
    named_tables,
    staging_url,
)
from kiter.project.fields import Field, schema
from kiter.project.hadoopconfig import check_hadoop_job
from kiter.project.hints import unknown_top_level
from kiter.project.jobchecks import (
    check_logical_name,
    check_template,
    one_template_key,
    templates_as_written,
)
from kiter.project.model import (
    AWS_FIELDS,
    JOB_ENGINES,
    BrokenJob,
    HadoopJobConfig,
    JobConfig,
    LocalConfig,
    MetastoreConfig,
    Project,
    StagingConfig,
    template_dirs,
)
from kiter.project.targetkinds import TARGET_KINDS, TargetConfig

PROJECT_FILE = "kiter.toml"

SECTIONS: dict[str, dict[str, Field]] = {
    "aws": AWS_FIELDS,
    "metastore": schema(MetastoreConfig),
    "staging": schema(StagingConfig),
    "local": schema(LocalConfig),
}
TARGET_FIELDS = {kind: schema(cls) for kind, cls in TARGET_KINDS.items()}
JOB_FIELDS = schema(JobConfig)
# The keys of each engine's jobs (streaming and jar jobs have no template, and keys of their own).
JOB_ENGINE_FIELDS = {engine: schema(cls) for engine, cls in JOB_ENGINES.items()}
TOP_LEVEL = (*SECTIONS, "targets", "jobs", "profiles")
# Settings that environment variables and flags may override, as KITER_<SECTION>_<KEY>.
LAYERED_SECTIONS = ("aws", "metastore", "staging")


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
    keep_broken_jobs: bool = False,
) -> Project:
    """Read, layer and validate kiter.toml. `flags` maps "section.key" to command-line values.

    Every problem of the file is raised at once (a ConfigErrors when there are several). With
    `keep_broken_jobs`, a job's own problems leave it out of `jobs` and in `broken_jobs` instead
    (`kiter jobs` lists every job, the broken ones with their problems).
    """
    env = os.environ if env is None else env
    text = _read(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(path)) from None
    loc = Locator(path, text)
    chosen_by = "--profile" if profile else "KITER_PROFILE"
    profile = profile or env.get("KITER_PROFILE") or None
    profile_targets: tuple[str, ...] = ()
    if profile is not None and isinstance(doc.get("profiles", {}).get(profile), dict):
        overlay_targets = doc["profiles"][profile].get("targets", {})
        if isinstance(overlay_targets, dict):
            profile_targets = tuple(overlay_targets)
    if profile is not None:
        check_profile(doc.get("profiles", {}), profile, chosen_by, loc)
    doc, origins = _layer(doc, loc, env=env, flags=flags or {}, profile=profile)
    project = _build(path, doc, loc, profile, origins, keep_broken_jobs)
    return replace(project, profile_targets=profile_targets)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", where=str(path)) from None


def _layer(
    doc: dict[str, Any],
    loc: Locator,
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
    aws = doc["aws"]
    if isinstance(aws, dict) and aws.get("region") is None:
        profile_name = aws.get("profile")
        found = conventional_region(profile_name if isinstance(profile_name, str) else None, env)
        if found is not None:
            aws["region"], origins["aws.region"] = found
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
    path: Path,
    doc: dict[str, Any],
    loc: Locator,
    profile: str | None,
    origins: dict[str, str],
    keep_broken_jobs: bool,
) -> Project:
    """Check the whole file, noting every problem before raising them all. A problem of one job
    (its table, target, template) belongs to that job: kept aside with `keep_broken_jobs`."""
    problems = Problems()
    for key, value in doc.items():
        if key not in TOP_LEVEL:
            header = loc.header_under(key) if isinstance(value, dict) else None
            message = unknown_top_level(key, header, TOP_LEVEL, SECTIONS)
            problems.add(ConfigError(message, where=loc.where(key)))
    sections: dict[str, dict[str, Any]] = {}
    for name, fields in SECTIONS.items():
        with problems.noted():
            sections[name] = check_table(doc.get(name, {}), fields, loc, (name,), origins)
    aws = AwsSettings(**sections["aws"]) if "aws" in sections else None
    if aws is not None:
        with problems.noted():
            check_endpoint(
                aws.endpoint_url,
                origins.get("aws.endpoint_url") or loc.where("aws", "endpoint_url"),
            )
    staging = None
    if "staging" in sections:
        with problems.noted():
            staging = StagingConfig(
                location=staging_url(path.parent, sections["staging"]["location"], loc),
                format=sections["staging"]["format"],
            )
    targets: dict[str, TargetConfig] = {}
    target_tables = named_tables(doc.get("targets", {}), "targets", loc, problems)
    for name, table in target_tables.items():
        with problems.noted():
            targets[name] = _build_target(name, table, loc)
    job_tables = named_tables(doc.get("jobs", {}), "jobs", loc, problems)
    jobs: dict[str, JobConfig] = {}
    broken: dict[str, BrokenJob] = {}
    dirs = template_dirs(path.parent.resolve())
    logical_names: dict[str, str] = {}  # a logical name and the first job that took it
    for name, table in job_tables.items():
        job_problems = Problems()
        for key, template in templates_as_written(table):
            check_template(name, key, template, dirs, loc, job_problems)
        with job_problems.noted():
            job = _build_job(name, table, loc, staging, targets, known=set(target_tables))
            _check_job(job, aws, staging, targets, loc, job_problems)
            check_logical_name(job, logical_names, loc)
            if not job_problems:
                jobs[name] = job
        if job_problems:
            broken[name] = BrokenJob(name, table, tuple(job_problems.errors))
    if problems or not keep_broken_jobs:
        for kept in broken.values():
            for error in kept.problems:
                problems.add(error)
    problems.raise_any()
    assert aws is not None and staging is not None  # else a problem was raised
    for job in jobs.values():
        for key in job.vars:  # where each var was set, for warnings about it
            origins[f"jobs.{job.name}.vars.{key}"] = _var_where(loc, profile, job.name, key)
    return Project(
        root=path.parent.resolve(),
        path=path,
        profile=profile,
        aws=aws,
        metastore=MetastoreConfig(**sections["metastore"]),
        staging=staging,
        local=LocalConfig(**sections["local"]),
        targets=targets,
        jobs=jobs,
        origins=origins,
        broken_jobs=broken,
    )


def _check_job(
    job: JobConfig,
    aws: AwsSettings | None,
    staging: StagingConfig | None,
    targets: Mapping[str, TargetConfig],
    loc: Locator,
    problems: Problems,
) -> None:
    """What a job asks of the rest of the file (a piece with a problem of its own is not asked
    again)."""
    if aws is not None:
        with problems.noted():
            check_staged(job, aws, loc)
    target = targets.get(job.target or "")
    if target is not None and staging is not None:
        with problems.noted():
            check_job_target(job, target, staging, where=loc.where("jobs", job.name, "target"))
    if isinstance(job, HadoopJobConfig):
        with problems.noted():
            check_hadoop_job(job, loc)


def _var_where(loc: Locator, profile: str | None, job: str, key: str) -> str:
    """file:line of a job var: the selected profile's when it sets it, else the job's own (its
    `[jobs.JOB.vars]` line, or the `vars = {...}` line of an inline table)."""
    places = [("jobs", job, "vars", key), ("jobs", job, "vars")]
    if profile is not None:
        places = [("profiles", profile, *keys) for keys in places] + places
    for keys in places:
        line = loc.exact_line(*keys)
        if line is not None:
            return f"{loc.path}:{line}"
    return str(loc.path)


def _build_target(name: str, table: dict[str, Any], loc: Locator) -> TargetConfig:
    kind = table.get("kind")
    if kind not in TARGET_FIELDS:
        where = (
            loc.where("targets", name, "kind") if "kind" in table else loc.where("targets", name)
        )
        kinds = ", ".join(f'"{k}"' for k in TARGET_FIELDS)
        raise ConfigError(f"targets.{name}.kind must be one of {kinds}, not {kind!r}", where=where)
    options = check_table(table, TARGET_FIELDS[kind], loc, ("targets", name))
    if kind == "emr-serverless":
        check_emr_serverless(name, options, loc)
        return TARGET_KINDS[kind](name=name, **options)
    if kind == "emr":
        if not options["cluster_id"] and not options["cluster_name"]:
            raise ConfigError(
                f"targets.{name} needs cluster_id or cluster_name", where=loc.where("targets", name)
            )
        check_poll_seconds(name, options["poll_seconds"], loc)
        if not str(options["script_prefix"]).startswith("s3://"):
            raise ConfigError(
                f"targets.{name}.script_prefix must be an s3:// URL",
                where=loc.where("targets", name, "script_prefix"),
            )
    elif kind in ("pig", "hadoop"):
        check_str_map(
            options["properties"],
            f"targets.{name}.properties",
            loc.where("targets", name, "properties"),
        )
    else:
        check_str_map(
            options["configuration"],
            f"targets.{name}.configuration",
            loc.where("targets", name, "configuration"),
        )
    return TARGET_KINDS[kind](name=name, **options)


def _build_job(
    name: str,
    table: dict[str, Any],
    loc: Locator,
    staging: StagingConfig | None,
    targets: Mapping[str, TargetConfig],
    known: set[str],
) -> JobConfig:
    """A [jobs.NAME] table; `known` are all the target names the file has, `targets` those that
    loaded (a job aimed at a broken target is not told that the target does not exist)."""
    if any(k.lower() in ("access_key", "secret_key", "accesskey", "secretkey") for k in table):
        raise ConfigError(
            f"jobs.{name} must not hold Kinesis keys: set cross_account = true and export "
            "KITER_KINESIS_ACCESS_KEY and KITER_KINESIS_SECRET_KEY at submit time",
            where=loc.where("jobs", name),
        )
    fields = JOB_ENGINE_FIELDS.get(str(table.get("engine")), JOB_FIELDS)
    values = check_table(one_template_key(name, table, loc), fields, loc, ("jobs", name))
    values["templates"] = tuple(values["templates"])
    values["logical_name"] = values["logical_name"] or name
    values["staging_format"] = values["staging_format"] or (staging.format if staging else "lines")
    target = values["target"]
    if target is not None and target not in known:
        names = ", ".join(sorted(known)) or "none"
        raise ConfigError(
            f"jobs.{name}.target names no [targets.{target}] (targets: {names})",
            where=loc.where("jobs", name, "target"),
        )
    check_vars(values["vars"], name, loc)
    return JOB_ENGINES[values["engine"]](name=name, **values)


def parse_var_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`--var KEY=VALUE` pairs as a dict; a malformed pair is a usage error naming it."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise ConfigError(f"--var {pair!r} must look like NAME=VALUE")
        out[key] = value
    return out
