"""What `kiter import` refuses before it writes anything: what `kiter validate` would refuse of
the job it makes, said at the script's own file:line.

Credentials in the script (the value never printed), a `--stream` the script contradicts, a value
of the script's that kiter would carry into the job but cannot (a timeout out of range, a logical
name or region that is no such thing, a region staged mode cannot read in). Reading is
`kiter.scripts`'s; this room only decides.
"""

from __future__ import annotations

import re
from pathlib import Path

from kiter.errors import UsageError
from kiter.project.fields import PLAIN_SHAPE, PLAIN_VALUE
from kiter.scripts import credential_lines, kinesis_loads, kinesis_tables
from kiter.secrets import ACCESS_KEY_ENV, SECRET_KEY_ENV

_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d")
# The script's settings kiter carries into the job: (field, low, high) of a number.
_NUMBERS = {
    "kinesis.nodata.timeout": ("nodata_timeout", 1, 10_080),
    "kinesis.iteration.timeout": ("iteration_timeout", 1, 10_080),
    "kinesis.records.batchsize": ("batch_size", 1, 10_000),
}


def refuse_credentials(text: str, source: Path) -> None:
    """Exit 2 when the script names Kinesis keys: nothing is copied, the value never shown."""
    lines = credential_lines(text)
    if lines:
        raise UsageError(
            f"{source}:{lines[0]}: the script holds Kinesis credentials (kinesis.accessKey / "
            "kinesis.secretKey): nothing was imported; remove them, then import it and set "
            f"cross_account = true in the job, with {ACCESS_KEY_ENV} and {SECRET_KEY_ENV} exported"
        )


def check_given_stream(text: str, engine: str, stream: str, source: Path) -> None:
    """A `--stream` must be the stream the script reads, when it reads one."""
    if engine == "hive":
        named = [(t.stream, t.line) for t in kinesis_tables(text) if t.stream]
    else:
        named = [(load.stream, load.line) for load in kinesis_loads(text)]
    for name, line in named:
        if name != stream:
            raise UsageError(
                f"{source}:{line}: the script reads stream {name!r}, not --stream {stream!r}: "
                "a logical name follows one stream (leave --stream out, or fix the script)"
            )


def check_carried(
    values: list[tuple[int, str, str]],
    source: Path,
    *,
    logical_from_script: bool,
    mode: str,
    region: str | None,
) -> None:
    """Each (line, key, value) the job would take from the script must be one kiter can honour."""
    for line, raw_key, raw_value in values:
        key = raw_key.strip().lower().removeprefix("hiveconf:")
        value = raw_value.strip().strip("'\"")
        why = None
        if key == "kinesis.checkpoint.logical.name" and logical_from_script:
            if not re.fullmatch(PLAIN_VALUE, value):
                why = f"the job's logical_name must be {PLAIN_SHAPE}"
        elif key in _NUMBERS:
            _, low, high = _NUMBERS[key]
            if not value.isdigit() or not low <= int(value) <= high:
                why = f"kiter takes a whole number from {low} to {high}"
        elif key == "kinesis.endpoint.region":
            if not _REGION.fullmatch(value):
                why = "that is not an AWS region name"
            elif mode == "staged" and region and value != region:
                why = f"staged mode reads the stream in the project's region {region}"
        if why:
            raise UsageError(
                f"{source}:{line}: {raw_key.strip()} = {raw_value.strip()!r}: kiter cannot carry it "
                f"into the job ({why}); nothing was imported"
            )


_KEY_NAMES = {
    "kinesis.checkpoint.metastore.hash.key.name": "hash_key",
    "kinesis.checkpoint.metastore.range.key.name": "range_key",
    "kinesis.checkpoint.metastore.hash.range.name": "range_key",
}


def check_key_names(
    values: list[tuple[int, str, str]], source: Path, project_keys: dict[str, str]
) -> None:
    """The script's key names of its checkpoint table must be the project's: kiter writes the
    project's [metastore] hash_key and range_key into every script, and the connector would read
    the script's table by other attributes than its own."""
    for line, raw_key, raw_value in values:
        field = _KEY_NAMES.get(raw_key.strip().lower().removeprefix("hiveconf:"))
        value = raw_value.strip().strip("'\"")
        if field and field in project_keys and value != project_keys[field]:
            raise UsageError(
                f"{source}:{line}: {raw_key.strip()} = {value!r}, but the project's [metastore] "
                f"{field} is {project_keys[field]!r}: kiter writes the project's key names into "
                "every script, and cannot keep the script's; nothing was imported"
            )
