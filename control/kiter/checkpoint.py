"""The connector's kinesis.* settings as one validated value, written in Hive's or Pig's dialect,
and the names of the settings the connector knows.

Values are checked, never escaped: a value that would break a `SET` line or that the connector
would misread is refused with a message naming the setting. Credentials are not settings here:
kinesis.accessKey / kinesis.secretKey come from the environment at submit time, and every copy
kiter prints or saves shows them masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiter.errors import SettingError

# What a value may not contain: it would end or split a SET line, or quote part of it.
_FORBIDDEN = {
    ";": "a semicolon",
    "=": "an equals sign",
    "'": "a quote",
    '"': "a quote",
    "`": "a backquote",
    "\\": "a backslash",
    "#": "a hash sign",
    "$": "a dollar sign",
}
ITERATION_KEY = "kinesis.checkpoint.iteration.no"
RERUN_KEY = "kinesis.rerun.iteration.without.wait"
_TABLE_RE = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_ATTRIBUTE_RE = re.compile(r"[A-Za-z0-9_.-]{1,255}")
_REGION_RE = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d")


# Printable ASCII but for the characters above: the common case, checked in one match.
_PLAIN = re.compile(r"(?:(?![;='\"`\\#$])[!-~])+")


def check_value(setting: str, value: str, *, ascii_only: bool = True) -> str:
    """Return `value` if it can stand after `SET setting=` unchanged, else raise SettingError."""
    if _PLAIN.fullmatch(value):
        return value
    if value == "":
        raise SettingError(f"{setting} is empty")
    for ch in value:
        if ch in "\r\n":
            raise SettingError(f"{setting} contains a line break")
        if ch.isspace():
            raise SettingError(f"{setting} contains whitespace: {value!r}")
        if ch in _FORBIDDEN:
            raise SettingError(f"{setting} contains {_FORBIDDEN[ch]}: {value!r}")
        if not ch.isprintable():
            raise SettingError(f"{setting} contains a control character: {value!r}")
        if ascii_only and not ch.isascii():
            raise SettingError(f"{setting} contains a non-ASCII character: {value!r}")
    return value


# The largest iteration number: a Java long, whatever the connector reads it as.
ITERATION_MAX = 2**63 - 1


def check_iteration(value: object, setting: str = ITERATION_KEY) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingError(f"{setting} must be a whole number >= 0, not {value!r}")
    if value > ITERATION_MAX:
        raise SettingError(f"{setting} must be at most {ITERATION_MAX} (a Java long), not {value}")
    return value


# Settings already checked, but for the iteration: every render builds the settings of its job
# anew, and checking the same names again was most of a render's own cost.
_CHECKED: set[tuple[object, ...]] = set()
_CHECKED_MAX = 1024


@dataclass(frozen=True)
class CheckpointSettings:
    """Everything the connector needs to checkpoint one iteration of one logical name."""

    table: str
    hash_key: str
    range_key: str
    logical_name: str
    iteration: int
    rerun_without_wait: bool = False
    endpoint_region: str | None = None
    nodata_timeout: int | None = None
    iteration_timeout: int | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        nodata, timeout, batch = self.nodata_timeout, self.iteration_timeout, self.batch_size
        checked = (
            self.table,
            self.hash_key,
            self.range_key,
            self.logical_name,
            self.endpoint_region,
            *(nodata, timeout, batch),
            *(type(nodata), type(timeout), type(batch)),  # True == 1, but only 1 is a number here
        )
        if checked in _CHECKED:
            check_iteration(self.iteration)
            return
        self._check()
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED.add(checked)

    def _check(self) -> None:
        check_value("kinesis.checkpoint.metastore.table.name", self.table)
        if not _TABLE_RE.fullmatch(self.table):
            raise SettingError(
                f"kinesis.checkpoint.metastore.table.name {self.table!r} is not a valid DynamoDB "
                "table name (3-255 characters of A-Z a-z 0-9 _ . -)"
            )
        for setting, value in (
            ("kinesis.checkpoint.metastore.hash.key.name", self.hash_key),
            ("kinesis.checkpoint.metastore.range.key.name", self.range_key),
        ):
            check_value(setting, value)
            if not _ATTRIBUTE_RE.fullmatch(value):
                raise SettingError(f"{setting} {value!r} must be 1-255 of A-Z a-z 0-9 _ . -")
        check_value("kinesis.checkpoint.logical.name", self.logical_name)
        if len(self.logical_name) > 255:
            raise SettingError("kinesis.checkpoint.logical.name is longer than 255 characters")
        check_iteration(self.iteration)
        if self.endpoint_region is not None:
            check_value("kinesis.endpoint.region", self.endpoint_region)
            if not _REGION_RE.fullmatch(self.endpoint_region):
                raise SettingError(
                    f"kinesis.endpoint.region {self.endpoint_region!r} is not an AWS region name"
                )
        for setting, number, low, high in (
            ("kinesis.nodata.timeout", self.nodata_timeout, 1, 10_080),
            ("kinesis.iteration.timeout", self.iteration_timeout, 1, 10_080),
            ("kinesis.records.batchsize", self.batch_size, 1, 10_000),
        ):
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high
            ):
                raise SettingError(f"{setting} must be a whole number from {low} to {high}")

    def items(self) -> list[tuple[str, str]]:
        """The settings in the order they are written, as strings."""
        out = [
            ("kinesis.checkpoint.enabled", "true"),
            ("kinesis.checkpoint.metastore.table.name", self.table),
            ("kinesis.checkpoint.metastore.hash.key.name", self.hash_key),
            ("kinesis.checkpoint.metastore.range.key.name", self.range_key),
            # One AWS doc table names the range key setting this way; no working script uses it,
            # so it is only ever written as a harmless alias with the same value.
            ("kinesis.checkpoint.metastore.hash.range.name", self.range_key),
            ("kinesis.checkpoint.logical.name", self.logical_name),
            (ITERATION_KEY, str(self.iteration)),
            (RERUN_KEY, "true" if self.rerun_without_wait else "false"),
        ]
        optional = (
            ("kinesis.endpoint.region", self.endpoint_region),
            ("kinesis.nodata.timeout", self.nodata_timeout),
            ("kinesis.iteration.timeout", self.iteration_timeout),
            ("kinesis.records.batchsize", self.batch_size),
        )
        out += [(key, str(value)) for key, value in optional if value is not None]
        return out

    def as_dict(self) -> dict[str, str]:
        return dict(self.items())

    def block(self, engine: str) -> str:
        """The settings as SET statements in the engine's dialect, one per line."""
        return set_block(self.items(), engine)


class AnyIteration:
    """One job's settings for any of its iterations: the rest checked and written once, each
    iteration's number and re-run flag put in when asked (the renderer keeps one per job)."""

    def __init__(self, settings: CheckpointSettings, engine: str) -> None:
        items = settings.items()
        keys = [key for key, _ in items]
        at = keys.index(ITERATION_KEY)
        if keys[at : at + 2] != [ITERATION_KEY, RERUN_KEY]:  # what `of` puts back, in its place
            raise AssertionError("CheckpointSettings.items: the re-run flag follows the iteration")
        self._before, self._after = items[:at], items[at + 2 :]
        # The block with the two lines' values as format fields; the rest's braces doubled.
        written = [set_block(self._before, engine), set_block(self._after, engine)]
        this = set_block([(ITERATION_KEY, "{0}"), (RERUN_KEY, "{1}")], engine)
        before, after = (part.replace("{", "{{").replace("}", "}}") for part in written)
        self._block = "\n".join([before, this, after] if after else [before, this])

    def of(self, iteration: int, rerun: bool) -> tuple[list[tuple[str, str]], str]:
        """`CheckpointSettings.items` of `iteration` and the `set_block` of them."""
        check_iteration(iteration)
        number, flag = str(iteration), "true" if rerun else "false"
        items = [*self._before, (ITERATION_KEY, number), (RERUN_KEY, flag), *self._after]
        return items, self._block.format(number, flag)


def set_line(key: str, value: str, engine: str) -> str:
    """One SET statement: Hive `SET k=v;`, Pig `SET k v;`."""
    return f"SET {key}={value};" if engine == "hive" else f"SET {key} {value};"


def set_block(items: list[tuple[str, str]], engine: str) -> str:
    """SET statements of `items`, one per line, as `set_line` writes each."""
    if engine == "hive":
        return "\n".join([f"SET {key}={value};" for key, value in items])
    return "\n".join([f"SET {key} {value};" for key, value in items])


# What kiter owns in every script and job: `kinesis.checkpoint.*` and these, which it sets from
# the job (a script or job argument that sets one is taken over or refused: kiter.adopt.owned).
OWNED_KEYS = (
    "kinesis.rerun.iteration.without.wait",
    "kinesis.nodata.timeout",
    "kinesis.iteration.timeout",
    "kinesis.records.batchsize",
    "kinesis.endpoint.region",
)
# The settings that say which iteration of which logical name, checkpointed where.
IDENTITY_KEYS = (
    "kinesis.checkpoint.logical.name",
    "kinesis.checkpoint.iteration.no",
    "kinesis.checkpoint.metastore.table.name",
    "kinesis.checkpoint.metastore.hash.key.name",
    "kinesis.checkpoint.metastore.range.key.name",
)


def is_owned(key: str) -> bool:
    """Whether a setting of this name (any case, with or without `hiveconf:`) is kiter's."""
    name = key.lower().removeprefix("hiveconf:")
    return name.startswith("kinesis.checkpoint.") or name in OWNED_KEYS


# The connector's credential settings: only ever from the environment, never in a script or job.
CREDENTIAL_KEYS = ("kinesis.accessKey", "kinesis.secretKey")


# The settings the connector reads; any other kinesis.* key it ignores without a word.
KNOWN_KINESIS_KEYS: tuple[str, ...] = (
    "kinesis.checkpoint.enabled",
    "kinesis.checkpoint.metastore.table.name",
    "kinesis.checkpoint.metastore.hash.key.name",
    "kinesis.checkpoint.metastore.range.key.name",
    "kinesis.checkpoint.metastore.hash.range.name",
    "kinesis.checkpoint.logical.name",
    "kinesis.checkpoint.iteration.no",
    "kinesis.rerun.iteration.without.wait",
    "kinesis.nodata.timeout",
    "kinesis.iteration.timeout",
    "kinesis.records.batchsize",
    "kinesis.endpoint.region",
    "kinesis.accessKey",
    "kinesis.secretKey",
)

# How close a key must be to a known one to be called a typo of it. The real typos (the missing
# `metastore.` infix) score about 0.86; unrelated kinesis.* keys stay below 0.75.
_NEAR_MISS_CUTOFF = 0.8


def near_miss(key: str) -> str | None:
    """The known kinesis.* key `key` is probably a typo of, or None."""
    import difflib

    lowered = {k.lower(): k for k in KNOWN_KINESIS_KEYS}
    matches = difflib.get_close_matches(key.lower(), lowered, n=1, cutoff=_NEAR_MISS_CUTOFF)
    return lowered[matches[0]] if matches else None
