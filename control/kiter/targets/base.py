"""What every engine target offers the runner: submit a rendered script, see it through, cancel.

Targets know nothing of the ledger or of rendering: they get script text and report an Outcome.
A target that is waiting when KeyboardInterrupt arrives (the runner turns SIGTERM into one) cancels
what it started on the engine and raises `kiter.errors.Interrupted`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Engine = Literal["hive", "pig"]
State = Literal["SUCCEEDED", "FAILED", "SUBMITTED", "CANCELLED"]

# Receives one line of progress or engine log for stderr. Never gets secrets.
Echo = Callable[[str], None]


def no_echo(_line: str) -> None:
    """An Echo that drops everything (for --quiet and for tests that do not look)."""


@dataclass(frozen=True)
class Script:
    """A rendered script and who it belongs to."""

    job: str
    engine: Engine
    text: str
    logical_name: str
    iteration: int
    attempt: int = 1
    # Script variables: `-d K=V` for Hive steps, `-p K=V` for Pig steps, hivevar for HiveServer2.
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        return "hql" if self.engine == "hive" else "pig"


@dataclass
class Outcome:
    """How a submission ended (or that it was only submitted, with --no-wait)."""

    state: State
    submission_id: str = ""
    cause: str = ""  # the probable cause of a failure, a few lines at most
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state in ("SUCCEEDED", "SUBMITTED")


class Target(Protocol):
    """An engine that runs scripts: HiveServer2 or EMR steps."""

    name: str
    kind: str

    def submit(self, script: Script, *, wait: bool = True) -> Outcome:
        """Run the script; with wait=False return once the engine has accepted it."""
        ...
