"""The settings kiter owns in every script, and the last look at a script before it is submitted.

kiter owns `kinesis.checkpoint.*`, `kinesis.rerun.iteration.without.wait` and the settings it
injects from the job. Whatever a template does, the runner reads the *effective* settings of the
final text (the last SET of a key wins, as the engine applies them; `SET hiveconf:k` is `SET k`)
and refuses to submit a script whose logical name, iteration, table or key names are not the
claim's: the ledger and the connector must never disagree about what ran.
"""

from __future__ import annotations

from kiter.checkpoint import CheckpointSettings
from kiter.errors import SettingError

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


def check_effective_settings(text: str, engine: str, settings: CheckpointSettings) -> None:
    """Raise SettingError unless the script's effective identity settings are the claim's."""
    from kiter.lint import set_statements_hive, set_statements_pig

    found = set_statements_hive(text) if engine == "hive" else set_statements_pig(text)
    wanted = settings.as_dict()
    seen = set()
    for key, (value, line) in found.items():
        name = key.lower()
        if name not in IDENTITY_KEYS:
            continue
        seen.add(name)
        if value != wanted[name]:
            raise SettingError(
                f"the script to submit sets {key}={value} on line {line}, but this run is "
                f"{name}={wanted[name]}: nothing was submitted"
            )
    missing = [key for key in IDENTITY_KEYS if key not in seen]
    if missing:
        raise SettingError(f"the script to submit does not set {missing[0]}: nothing was submitted")
