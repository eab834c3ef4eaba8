"""The settings kiter owns in every script, and the last look at a script before it is submitted.

kiter owns `kinesis.checkpoint.*`, `kinesis.rerun.iteration.without.wait` and the settings it
injects from the job. Whatever a template does, the runner reads the *effective* settings of the
final text (the last SET of a key wins, as the engine applies them; `SET hiveconf:k` is `SET k`)
and refuses to submit a script whose logical name, iteration, table or key names are not the
claim's: the ledger and the connector must never disagree about what ran. The rewriter
(`take_over`) and that check read a script's SET lines through the same function
(`kiter.scripts.set_lines`), so they cannot disagree about what a script sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kiter.checkpoint import (
    IDENTITY_KEYS,
    KNOWN_KINESIS_KEYS,
    CheckpointSettings,
    is_owned,
    near_miss,
)
from kiter.errors import SettingError
from kiter.scripts import effective_settings, set_lines
from kiter.scripts.kinesisloads import KinesisDefine, KinesisLoad, kinesis_loads_and_defines
from kiter.scripts.pigtokens import parameter_set_keys


def check_effective_settings(text: str, engine: str, settings: CheckpointSettings) -> None:
    """Raise SettingError unless the script's effective identity settings are the claim's."""
    found = effective_settings(text, engine)
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
    if engine == "pig":
        for key, line in parameter_set_keys(text):
            raise SettingError(
                f"the script to submit sets {key} on line {line}, a key from a Pig parameter: "
                "kiter cannot know which setting it is; nothing was submitted"
            )
        loads, defines = (
            kinesis_loads_and_defines(text) if "KinesisStreamLoader" in text else ([], [])
        )
        calls: list[KinesisLoad | KinesisDefine] = [*loads, *defines]
        for load in calls:
            for written, line in load.parameters:
                raise SettingError(
                    f"the script to submit gives the Kinesis loader {written} on line {line}, a "
                    "Pig parameter: kiter cannot know which setting it gives; nothing was submitted"
                )
            for argument, start, _ in load.arguments:
                key = argument.split("=", 1)[0].strip()
                if is_owned(key):
                    line = text.count("\n", 0, start) + 1
                    raise SettingError(
                        f"the script to submit gives the Kinesis loader {key} on line {line}: "
                        "kiter owns it; nothing was submitted"
                    )
    missing = [key for key in IDENTITY_KEYS if key not in seen]
    if missing:
        raise SettingError(f"the script to submit does not set {missing[0]}: nothing was submitted")


@dataclass(frozen=True)
class TakenOver:
    """A line of the script that set a setting kiter owns, and what kiter sets instead."""

    line: int
    key: str
    value: str
    ours: str | None  # None: kiter leaves the setting unset for this job

    @property
    def unchanged(self) -> bool:
        """Whether kiter sets the value the script did (quotes and case of a boolean aside)."""
        value = self.value.strip().strip("'\"")
        if self.ours is None:
            return False
        return value == self.ours or (self.ours in ("true", "false") and value.lower() == self.ours)

    def describe(self) -> str:
        instead = f"kiter sets {self.ours}" if self.ours is not None else "kiter leaves it unset"
        text = f"kiter owns {self.key}: the script's {self.value!r} is replaced ({instead})"
        if self.key not in KNOWN_KINESIS_KEYS:
            guess = near_miss(self.key)
            text += f"; {self.key} is no connector setting" + (
                f" (did you mean {guess}?)" if guess else ""
            )
        return text


def take_over(
    text: str, engine: str, settings: Sequence[tuple[str, str]]
) -> tuple[str, list[TakenOver]]:
    """The script with every SET of an owned setting replaced by a comment (lines kept);
    `settings` are the claim's, as written (`CheckpointSettings.items`)."""
    ours = {key.lower(): value for key, value in settings}
    taken: list[TakenOver] = []
    pieces: list[str] = []
    position = 0
    for setting in set_lines(text, engine):
        if not is_owned(setting.key):
            continue
        name = setting.key.lower().removeprefix("hiveconf:")
        took = TakenOver(setting.line, setting.key, setting.value, ours.get(name))
        taken.append(took)
        pieces += [text[position : setting.start], _comment(text, setting.start, setting.end, took)]
        position = setting.end
    pieces.append(text[position:])
    return "".join(pieces), taken


def _comment(text: str, start: int, end: int, took: TakenOver) -> str:
    """What stands where the SET stood: a comment on its first line, its line breaks kept."""
    breaks = text.count("\n", start, end)
    line_end = text.find("\n", end)
    rest = text[end : line_end if line_end >= 0 else len(text)].strip()
    if rest and not rest.startswith("--"):
        return "\n" * breaks  # code follows on the same line: a comment would swallow it
    note = f"-- [kiter] {took.key} is kiter's" + (
        f" (its block sets {took.ours})" if took.ours is not None else " (left unset)"
    )
    return note + "\n" * breaks
