"""The checks of kiter.toml: where a key stands (file:line), and what each value may be.

Every problem is a ConfigError naming the file, the line where it can be had, and the key;
unknown keys get a "did you mean". Values that scripts quote (names, the staging location) are
checked here for the literals they will stand in.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiter.aws import AwsSettings
from kiter.errors import ConfigError
from kiter.project.fields import LOCATION_FORBIDDEN, Field
from kiter.project.hadoopconfig import check_engine_on_target
from kiter.project.model import JobConfig, StagingConfig, TargetConfig

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class Locator:
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


def check_endpoint(url: str | None, where: str) -> None:
    if url is None or url == "local":
        return
    if not re.fullmatch(r"https?://[A-Za-z0-9.\[\]:_-]+(?:/\S*)?", url):
        raise ConfigError(
            f'endpoint_url must be an http:// or https:// URL, or "local", not {url!r}',
            where=where,
        )


def named_tables(value: Any, section: str, loc: Locator) -> dict[str, dict[str, Any]]:
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


def check_table(
    table: Any,
    fields: Mapping[str, Field],
    loc: Locator,
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


def check_staged(job: JobConfig, aws: AwsSettings, loc: Locator) -> None:
    """Staged mode reads the stream with kiter's own credentials, in kiter's region."""
    if job.mode != "staged":
        return
    if job.cross_account:
        raise ConfigError(
            f"jobs.{job.name}: staged mode reads the stream with kiter's own AWS credentials; "
            "cross_account keys are for connector mode",
            where=loc.where("jobs", job.name, "cross_account"),
        )
    if job.endpoint_region and aws.region and job.endpoint_region != aws.region:
        raise ConfigError(
            f"jobs.{job.name}: staged mode reads the stream in [aws] region {aws.region}, "
            f"not endpoint_region {job.endpoint_region}",
            where=loc.where("jobs", job.name, "endpoint_region"),
        )


def check_job_target(
    job: JobConfig, target: TargetConfig, staging: StagingConfig, *, where: str
) -> None:
    """What a target cannot run: EMR Serverless runs staged Hive jobs staged to S3 only."""
    check_engine_on_target(job, target, where=where)
    if target.kind != "emr-serverless":
        return
    if job.engine != "hive":
        raise ConfigError(
            f"job {job.name} is a Pig job and target {target.name} is EMR Serverless, which has "
            'no Pig: point the job at a target with kind = "emr"',
            where=where,
        )
    if job.mode != "staged":
        raise ConfigError(
            f"job {job.name} runs in connector mode, but no document shows the Kinesis connector "
            f'on EMR Serverless (target {target.name}): set mode = "staged" for it (kiter reads '
            "the stream and stages each iteration to S3)",
            where=where,
        )
    if not staging.location.startswith("s3://"):
        raise ConfigError(
            f"job {job.name} is staged to {staging.location}, which job runs on EMR Serverless "
            f"(target {target.name}) cannot read: set staging.location to an s3:// URL",
            where=where,
        )


def check_emr_serverless(name: str, options: Mapping[str, Any], loc: Locator) -> None:
    """A [targets.NAME] table of kind emr-serverless, beyond each value's own checks."""
    if bool(options["application_id"]) == bool(options["application_name"]):
        raise ConfigError(
            f"targets.{name} needs application_id or application_name (one of them)",
            where=loc.where("targets", name),
        )
    for key in ("script_prefix", "log_uri"):
        if not str(options[key]).startswith("s3://"):
            raise ConfigError(
                f"targets.{name}.{key} must be an s3:// URL",
                where=loc.where("targets", name, key),
            )
    check_poll_seconds(name, options["poll_seconds"], loc)
    check_str_map(
        options["configuration"],
        f"targets.{name}.configuration",
        loc.where("targets", name, "configuration"),
    )


def check_poll_seconds(name: str, poll: Any, loc: Locator) -> None:
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


def check_vars(variables: Mapping[str, Any], job: str, loc: Locator) -> None:
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


def check_str_map(value: Mapping[str, Any], name: str, where: str) -> None:
    for key, item in value.items():
        if not isinstance(item, (str, int, float, bool)):
            raise ConfigError(f"{name}.{key} must be a string, number or boolean", where=where)


def staging_url(root: Path, location: str, loc: Locator) -> str:
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


def _checked_location(url: str, loc: Locator) -> str:
    """A staging URL scripts can quote as it is (it is interpolated into LOCATION and LOAD)."""
    bad = LOCATION_FORBIDDEN.search(url)
    if bad:
        raise ConfigError(
            f"staging.location {url!r} holds {bad.group(0)!r}, which would change the scripts "
            "that read it: choose a location without quotes, backslashes, ';', '$' or control "
            "characters",
            where=loc.where("staging", "location"),
        )
    return url
