"""The checks of kiter.toml: where a key stands (file:line), and what each value may be.

Every problem is a ConfigError naming the file, the line where it can be had, and the key;
unknown keys get a "did you mean". Values that scripts quote (names, the staging location) are
checked here for the literals they will stand in.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kiter.aws import AwsSettings
from kiter.errors import ConfigError, ConfigErrors
from kiter.project.fields import LOCATION_FORBIDDEN, Field
from kiter.project.hints import closest, unknown_key, written_key
from kiter.project.model import JobConfig, StagingConfig, refusal
from kiter.project.targetkinds import TargetConfig

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class Locator:
    """Finds the line of a table or key in kiter.toml for error messages."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _PART = r"(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)"
    _KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        # Every table header and key of the file by its full dotted path, in the file's order
        # (`lease.seconds = 300` in [metastore] is metastore.lease.seconds), and which are headers.
        self.entries: list[tuple[tuple[str, ...], int, bool]] = []
        current: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(raw)
            if header:
                current = _parts(header.group(1))
                self.entries.append((current, number, True))
                continue
            match = self._KEY.match(raw)
            if match:
                self.entries.append(((*current, *_parts(match.group(1))), number, False))

    def where(self, *keys: str) -> str:
        line = self.line(*keys)
        return f"{self.path}:{line}" if line else str(self.path)

    def line(self, *keys: str) -> int | None:
        """The line of the key or table; else of the first thing written under it (a sub-table
        or dotted key makes a table of its first part)."""
        exact = self.exact_line(*keys)
        if exact is not None:
            return exact
        under = self.first_under(*keys)
        return under[1] if under else None

    def exact_line(self, *keys: str) -> int | None:
        return next((line for path, line, _ in self.entries if path == keys), None)

    def first_under(self, *keys: str) -> tuple[tuple[str, ...], int] | None:
        """The path and line of the first table header or key below `keys`."""
        for path, line, _ in self.entries:
            if len(path) > len(keys) and path[: len(keys)] == keys:
                return path, line
        return None

    def header_under(self, *keys: str) -> tuple[str, ...] | None:
        """The first table header at or below `keys`, as written: how a user named the table."""
        for path, _, header in self.entries:
            if header and path[: len(keys)] == keys:
                return path
        return None


def _parts(dotted: str) -> tuple[str, ...]:
    """A dotted TOML key's parts, unquoted."""
    return tuple(m.group(m.lastindex or 0) for m in _KEY_PART.finditer(dotted))


_KEY_PART = re.compile(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)')


class Problems:
    """The problems of one kiter.toml, collected so that a user sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add(self, error: ConfigError) -> None:
        self.errors.extend(error.errors if isinstance(error, ConfigErrors) else [error])

    @contextmanager
    def noted(self) -> Iterator[None]:
        """Run a check; its problems are noted here instead of ending the load."""
        try:
            yield
        except ConfigError as exc:
            self.add(exc)

    def raise_any(self) -> None:
        """Raise the one problem, or all of them in the file's order."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(sorted(self.errors, key=_file_order))


def _file_order(error: ConfigError) -> tuple[int, int]:
    line = re.search(r":(\d+)$", error.where or "")
    return (0, int(line.group(1))) if line else (1, 0)


def check_profile(profiles: Any, profile: str, chosen_by: str, loc: Locator) -> None:
    """A kiter profile that kiter.toml lacks; people used to the aws CLI may have meant theirs."""
    if isinstance(profiles, dict) and profile in profiles:
        return
    known = sorted(profiles) if isinstance(profiles, dict) else []
    close = closest(profile, known)
    hint = f"; did you mean {close!r}?" if close else ""
    aws_flag = "--aws-profile" if chosen_by == "--profile" else "KITER_AWS_PROFILE"
    raise ConfigError(
        f"no profile named {profile!r} (profiles: {', '.join(known) or 'none'}{hint}): "
        f"{chosen_by} picks a [profiles.NAME] table of kiter.toml; an AWS named profile is "
        f"{aws_flag}",
        where=str(loc.path),
    )


def check_endpoint(url: str | None, where: str) -> None:
    if url is None or url == "local":
        return
    if not re.fullmatch(r"https?://[A-Za-z0-9.\[\]:_-]+(?:/\S*)?", url):
        raise ConfigError(
            f'endpoint_url must be an http:// or https:// URL, or "local", not {url!r}',
            where=where,
        )


def named_tables(
    value: Any, section: str, loc: Locator, problems: Problems
) -> dict[str, dict[str, Any]]:
    """The [SECTION.NAME] tables of a section; a bad name or a non-table is noted and left out."""
    if not isinstance(value, dict):
        problems.add(ConfigError(f"[{section}] must be a table", where=loc.where(section)))
        return {}
    tables = {}
    for name, table in value.items():
        if not _NAME_RE.match(name):
            problems.add(
                ConfigError(
                    f"bad name {name!r} in [{section}]: use letters, digits, _ and -, "
                    "starting with a letter",
                    where=loc.where(section, name),
                )
            )
        elif not isinstance(table, dict):
            problems.add(
                ConfigError(f"{section}.{name} must be a table", where=loc.where(section, name))
            )
        else:
            tables[name] = table
    return tables


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
    problems = Problems()
    for key, value in table.items():
        if key not in fields:
            path = written_key(key, value)
            problems.add(
                ConfigError(unknown_key(path, dotted, fields), where=loc.where(*keys, *path))
            )
    out: dict[str, Any] = {}
    missing = []
    for key, spec in fields.items():
        if key not in table or table[key] is None:
            if spec.required:
                missing.append(key)
            out[key] = copy.deepcopy(spec.default)
            continue
        value = table[key]
        source = (origins or {}).get(f"{dotted}.{key}")
        where = source or loc.where(*keys, key)
        with problems.noted():
            _check_type(value, spec, f"{dotted}.{key}", where)
        out[key] = value
    if missing:  # one line for them all: a misnamed table leaves its sub-table without any
        names = ", ".join(map(repr, missing))
        plural = "s" if len(missing) > 1 else ""
        message = f"[{dotted}] is missing required key{plural} {names}"
        problems.add(ConfigError(message, where=loc.where(*keys)))
    problems.raise_any()
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
    """What the target's kind declares it cannot run (see kiter.project.accepts)."""
    refused = refusal(job, target, staging)
    if refused:
        raise ConfigError(refused, where=where)


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
