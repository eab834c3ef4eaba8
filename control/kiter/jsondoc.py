"""The JSON documents commands print: one versioned shape per concept (`"schema": "kiter.<name>/1"`).

Every `--json` output (and `submit --format json`, `--dry-run`'s) is one top-level object whose
first key names its schema, documented in README ("JSON output"). The domain's own `to_json`
shapes stay as the ledger, the run logs and the report use them; this room makes the printed
ones agree: the logical name is always `logical_name`, an absent value is `null` (never `""`),
and nothing is cut. It prints nothing and knows no command.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# What each concept is called in every printed document (the domain's older names on the left).
RENAMED = {"logical": "logical_name"}


def schema_name(name: str) -> str:
    return f"kiter.{name}/1"


def document(
    name: str, body: Mapping[str, Any], *, verbatim: Mapping[str, Any] | None = None
) -> str:
    """The printed JSON of schema `kiter.<name>/1`: `body` normalised, then `verbatim` (data
    such as query rows, where an empty string is a value and is kept as it is)."""
    from kiter.tabular import json_default

    whole = {"schema": schema_name(name)} | normalised(dict(body)) | dict(verbatim or {})
    return json.dumps(whole, indent=2, ensure_ascii=False, default=json_default)


def normalised(value: Any) -> Any:
    """`value` with kiter's one name per concept and `null` for every absent (`""`) value."""
    if isinstance(value, Mapping):
        return {RENAMED.get(str(k), k): normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalised(v) for v in value]
    if value == "":
        return None
    return value
