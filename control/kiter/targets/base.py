"""The two-phase protocol every engine target offers the runner: start → handle → follow → outcome.

1. `find(script)`: an active run of the same iteration on the engine (any attempt), by the tag the
   target gives its runs, or None. A later attempt follows such a run instead of starting another.
2. `attach(submission_id)`: the run an earlier attempt recorded in the ledger, if the engine still
   knows it, or None.
3. `start(script, watch)`: prepares the run (uploads, an application started, a session opened),
   then calls `watch.fence()` and, at once, the engine's start call: nothing else may stand between
   the two (the fence proves the lease with a ledger write; a holder stopped past its lease fails
   there and starts nothing). Returns the run's `Handle` as soon as the engine has one; the
   runner records the handle in the ledger before any wait, so a crash, a kill or `--no-wait` is
   followed by the next attempt. A target that runs a script as several engine calls (HiveServer2,
   a statement at a time) fences before the first.
4. `follow(handle, watch)`: sees the run to its end and returns its `Outcome`. Between polls it
   asks `watch.held()`; once that is False (the lease was lost) it stops following and raises
   `Abandoned` without cancelling: the runner decides whether the run is cancelled. Targets whose
   runs move from one engine handle to the next (HiveServer2, a statement at a time) report each
   one with `watch.moved(handle)`, which raises when the lease is gone.
5. `cancel(handle)`: asks the engine to stop the run.

A target that is following when KeyboardInterrupt arrives (the runner turns SIGTERM into one)
cancels what it started and raises `kiter.errors.Interrupted`. Targets know nothing of the ledger
or of rendering: they get script text and report an Outcome, progress goes to an `Echo`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from kiter.choices import Engine, extension
from kiter.echo import Echo, no_echo
from kiter.errors import KiterError, UsageError
from kiter.hadoopcommand import HadoopCommand
from kiter.sourcemap import joined_template_line, template_line

__all__ = [
    "UNWATCHED",
    "Abandoned",
    "Echo",
    "Handle",
    "Outcome",
    "Script",
    "Target",
    "Unwatched",
    "Watch",
    "no_echo",
]

_PIG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
State = Literal["SUCCEEDED", "FAILED", "SUBMITTED", "CANCELLED"]


@dataclass(frozen=True)
class Script:
    """A rendered script and the iteration it belongs to. A streaming or jar job's script is its
    Hadoop command: `command` is what runs, `text` the command as shown."""

    job: str
    engine: Engine
    text: str = field(repr=False)  # may hold cross-account keys: never print it
    logical_name: str
    iteration: int
    attempt: int = 1
    # Script variables: `-d K=V` for Hive steps, `-p K=V` for Pig steps, hivevar for HiveServer2.
    variables: dict[str, str] = field(default_factory=dict)
    # The copy safe to keep (secrets masked), when `text` holds cross-account keys.
    record_text: str | None = field(default=None, repr=False)
    # The template it was rendered from (a path) and its text, to name an engine's error line.
    template: str = ""
    template_source: str = field(default="", repr=False)
    command: HadoopCommand | None = None
    # A job of several scripts, joined in order: each template (a path) and its text.
    templates: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def template_line(self, line: int) -> str:
        """`template:N` for line `line` of the rendered script ("" without a template)."""
        if len(self.templates) > 1:
            return joined_template_line(self.text, self.templates, line)
        if not self.template:
            return ""
        return f"{self.template}:{template_line(self.text, self.template_source, line)}"

    @property
    def extension(self) -> str:
        return extension(self.engine)

    def pig_parameters(self) -> list[str]:
        """The variables as Pig's `-param`/`-p` values, each read back by Pig as exactly itself.

        Pig splits an unquoted value at its first space; quoted, `\\`, `'` and `$` are escaped.
        Measured on Pig 0.17: every other character, tabs included, passes through. A line
        break, or a backslash before a `$`, cannot be passed (Pig's substitution fails on it).
        """
        parameters = []
        for key, value in self.variables.items():
            if not _PIG_NAME.fullmatch(key):
                raise UsageError(f"Pig parameter {key!r} is not a name (letters, digits and _)")
            if "\n" in value or "\r" in value or "\\$" in value:
                what = "a line break" if "\n" in value or "\r" in value else "'\\$'"
                raise UsageError(f"Pig parameter {key} holds {what}, which Pig cannot take")
            escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("$", "\\$")
            parameters.append(f"{key}='{escaped}'")
        return parameters

    @property
    def tag(self) -> str:
        """What every attempt's run of this iteration is named by on an engine."""
        return f"kiter:{self.job}:{self.logical_name}:{self.iteration}"


@dataclass(frozen=True)
class Handle:
    """A run an engine accepted: `id` is what the ledger records and any process can follow."""

    id: str
    # The run as this process holds it, for engines whose runs live in the client (a session).
    live: Any = field(default=None, compare=False, repr=False)


@dataclass
class Outcome:
    """How a run ended (or that it was only started, with --no-wait)."""

    state: State
    submission_id: str = ""
    cause: str = ""  # the probable cause of a failure, a few lines at most
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)


class Abandoned(KiterError):
    """The watch said the lease is gone: the follower stopped; the run itself was not touched."""

    def __init__(self, handle: Handle, message: str) -> None:
        super().__init__(message)
        self.handle = handle


class Watch(Protocol):
    """What a follower asks while it waits: is the iteration still ours, and where the run is."""

    def fence(self) -> None:
        """Prove the lease is ours right before an engine starts; raises when it is not."""
        ...

    def held(self) -> bool:
        """False once this process no longer holds the iteration's lease."""
        ...

    def moved(self, handle: Handle) -> None:
        """The run goes on under a new engine handle; raises if the lease is gone."""
        ...


class Unwatched:
    """A Watch for runs outside any ledger (ad-hoc queries, tests): always held."""

    def fence(self) -> None:
        pass

    def held(self) -> bool:
        return True

    def moved(self, handle: Handle) -> None:
        del handle


UNWATCHED: Watch = Unwatched()


class Target(Protocol):
    """An engine that runs scripts: HiveServer2, EMR steps, EMR Serverless or local Pig."""

    name: str
    kind: str
    # Whether a run outlives the process that started it (EMR steps do; HiveServer2 sessions not).
    detachable: bool

    def find(self, script: Script) -> Handle | None:
        """An active run of the same iteration (any attempt), or None."""
        ...

    def attach(self, submission_id: str) -> Handle | None:
        """The run an earlier attempt recorded, while the engine still knows it, or None."""
        ...

    def start(self, script: Script, watch: Watch) -> Handle:
        """Start the script, `watch.fence()` right before the engine's start call; return as soon
        as the engine gave the run a handle."""
        ...

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        """See the run to its end; raise Abandoned when `watch.held()` turns False."""
        ...

    def cancel(self, handle: Handle) -> str:
        """Ask the engine to stop the run; returns the engine's answer, for the record."""
        ...
