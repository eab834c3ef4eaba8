"""Existing connector scripts, as they are: the settings kiter owns in them, the stream they read,
the credentials they must not hold, and (in staged mode) reading a staged iteration instead.

`adopt_script` is what the renderer runs on every rendered body before kiter's checkpoint block
goes in. Reads and rewrites text only (through `kiter.lint`'s readers); never renders, submits or
talks to AWS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kiter.adopt.owned import TakenOver, is_owned, take_over
from kiter.adopt.script import HIVE_HANDLER, credential_lines, kinesis_loads
from kiter.adopt.staged import staged_hive, staged_pig
from kiter.checkpoint import CheckpointSettings
from kiter.errors import UsageError
from kiter.secrets import ACCESS_KEY_ENV, SECRET_KEY_ENV
from kiter.sourcemap import template_line


@dataclass(frozen=True)
class Adopted:
    text: str
    notes: tuple[str, ...]  # one line per owned setting taken over, with the template's file:line


def adopt_script(
    text: str,
    *,
    engine: str,
    mode: str,
    stream: str,
    settings: CheckpointSettings,
    partition: str,
    template: str,
    source: Callable[[], str],
) -> Adopted:
    """The rendered body with kiter's ownership applied (see the module docstring).

    `template` and `source()` are the template's path and text, to say where a line came from.
    """
    lowered = text.lower()
    if "kinesis" not in lowered:
        return Adopted(text, ())  # nothing of the connector's in it: the common, fast case
    locate = _Locator(template, source, text)
    for line in credential_lines(text) if "accesskey" in lowered or "secretkey" in lowered else ():
        raise UsageError(
            f"{locate(line)}: the script holds Kinesis credentials (kinesis.accessKey / "
            f"kinesis.secretKey): remove them, set cross_account = true in the job and export "
            f"{ACCESS_KEY_ENV} and {SECRET_KEY_ENV}"
        )
    _check_stream(text, lowered, engine, stream, locate)
    taken: list[TakenOver] = []
    if _OWNED_SET.search(lowered):
        text, taken = take_over(text, engine, settings)
    notes = [f"{locate(took.line)}: {took.describe()}" for took in taken]
    if engine == "pig" and _LOADER_ARGUMENTS.search(text):  # only with arguments in quotes
        text, dropped = _drop_owned_loader_arguments(text)
        notes += [
            f"{locate(line)}: kiter owns {argument.split('=')[0]}: the loader argument "
            f"{argument!r} is dropped"
            for line, argument in dropped
        ]
    if mode == "staged" and (HIVE_HANDLER in text or "KinesisStreamLoader" in text):
        where = template
        text = (
            staged_hive(text, partition, where=where)
            if engine == "hive"
            else staged_pig(text, partition, where=where)
        )
    return Adopted(text, tuple(notes))


# Where a script names the stream it reads: a Kinesis table's property, a Kinesis load's path.
# Found from a literal (fast), then read from the text around it.
_PROPERTY_VALUE = re.compile(r"""["']\s*=\s*["']([^"']*)["']""")
_LOAD_BEFORE = re.compile(
    r"""LOAD\s+'([^']*)'\s+USING\s+(?:com\.amazon\.emr\.kinesis\.pig\.)?KinesisStreamLoader""",
    re.I,
)
_OWNED_SET = re.compile(r"set\s+(?:hiveconf:)?kinesis\.")
_LOADER_ARGUMENTS = re.compile(r"KinesisStreamLoader\s*\(\s*['\"]")


def _check_stream(text: str, lowered: str, engine: str, stream: str, locate: _Locator) -> None:
    """One stream per logical name: the script may read no other stream than the job's."""
    for name, offset in _streams_named(text, engine, lowered):
        if name != stream:
            line = text.count("\n", 0, offset) + 1
            raise UsageError(
                f"{locate(line)}: the script reads stream {name!r}, but the job's stream is "
                f"{stream!r} (a logical name follows one stream: set the job's stream, or give "
                "this script a job of its own)"
            )


def _streams_named(text: str, engine: str, lowered: str) -> list[tuple[str, int]]:
    """(stream, offset) of each Kinesis table property or Kinesis load of the script."""
    found: list[tuple[str, int]] = []
    literal = "kinesis.stream.name" if engine == "hive" else "kinesisstreamloader"
    at = lowered.find(literal)
    while at >= 0:
        if engine == "hive":
            match = _PROPERTY_VALUE.match(text, at + len(literal))
        else:
            load = lowered.rfind("load", max(0, at - 400), at)
            match = _LOAD_BEFORE.match(text, load) if load >= 0 else None
        if match:
            found.append((match.group(1), at))
        at = lowered.find(literal, at + len(literal))
    return found


def _drop_owned_loader_arguments(text: str) -> tuple[str, list[tuple[int, str]]]:
    dropped: list[tuple[int, str]] = []
    pieces: list[str] = []
    position = 0
    for load in kinesis_loads(text):
        owned = [(a, s, e) for a, s, e in load.arguments if is_owned(a.split("=", 1)[0].strip())]
        if not owned:
            continue
        kept = [text[s:e] for a, s, e in load.arguments if (a, s, e) not in owned]
        first = load.arguments[0][1]
        last = load.arguments[-1][2]
        pieces += [text[position:first], ", ".join(kept), "\n" * text.count("\n", first, last)]
        position = last
        dropped += [(text.count("\n", 0, start) + 1, argument) for argument, start, _ in owned]
    pieces.append(text[position:])
    return "".join(pieces), dropped


class _Locator:
    """file:line in the template of a line of the rendered body (the same text, nearest)."""

    def __init__(self, template: str, source: Callable[[], str], rendered: str) -> None:
        self.template = template
        self.source = source
        self.rendered = rendered

    def __call__(self, line: int) -> str:
        return f"{self.template}:{template_line(self.rendered, self.source(), line)}"
