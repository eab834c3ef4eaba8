"""The closed vocabularies of kiter.toml, as types: what a choice setting may hold.

Declared once here, so the loader's checks (project/), the engines (targets/) and the staging
formats (stream/) read the same words, and mypy knows a checked value is one of them. Nothing
here imports anything else from kiter.
"""

from __future__ import annotations

from typing import Literal, get_args

Engine = Literal["hive", "pig", "streaming", "jar"]
Mode = Literal["connector", "staged"]
TargetKind = Literal["hiveserver2", "emr", "emr-serverless", "pig", "hadoop"]
Auth = Literal["NONE", "NOSASL", "LDAP", "KERBEROS"]
FormatName = Literal["lines", "jsonl"]
InitialPositionName = Literal["TRIM_HORIZON", "LATEST"]
ActionOnFailure = Literal["CONTINUE", "CANCEL_AND_WAIT", "TERMINATE_CLUSTER"]

ENGINES: tuple[Engine, ...] = get_args(Engine)
MODES: tuple[Mode, ...] = get_args(Mode)
TARGET_KINDS: tuple[TargetKind, ...] = get_args(TargetKind)
AUTHS: tuple[Auth, ...] = get_args(Auth)
FORMATS: tuple[FormatName, ...] = get_args(FormatName)
INITIAL_POSITIONS: tuple[InitialPositionName, ...] = get_args(InitialPositionName)
ACTIONS_ON_FAILURE: tuple[ActionOnFailure, ...] = get_args(ActionOnFailure)

# What a job's rendered text is saved as, by engine: a script, or (streaming, jar) the
# `hadoop jar ...` command `kiter render` shows.
_EXTENSIONS: dict[str, str] = {"hive": "hql", "pig": "pig", "streaming": "sh", "jar": "sh"}


def extension(engine: str) -> str:
    """The file extension of what a job of `engine` renders."""
    return _EXTENSIONS[engine]
