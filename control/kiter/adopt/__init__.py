"""Existing connector scripts, as they are: the settings kiter owns in them, the stream they read,
the credentials they must not hold, and (in staged mode) reading a staged iteration instead.

`adopt_script` is what the renderer runs on every rendered body before kiter's checkpoint block
goes in; each of its readings runs only where the body can hold what it looks for. This room only
rewrites: what a script says is read by `kiter.scripts`. It never renders, submits or talks to AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from kiter.adopt.owned import TakenOver, take_over
from kiter.adopt.staged import staged_hive, staged_pig
from kiter.checkpoint import is_owned
from kiter.errors import UsageError
from kiter.scripts import (
    HIVE_HANDLER,
    PIG_LOADER,
    CarriedParameter,
    Mentions,
    credential_lines,
    lowered,
    mentions,
    pig_carried_parameters,
    properties_named,
    streams_named,
)
from kiter.scripts.kinesisloads import KinesisDefine, KinesisLoad, kinesis_loads_and_defines
from kiter.scripts.livereads import live_reads
from kiter.scripts.pigtokens import parameter_set_keys
from kiter.secrets import ACCESS_KEY_ENV, SECRET_KEY_ENV
from kiter.sourcemap import template_line


class Adopted(NamedTuple):
    text: str
    notes: tuple[str, ...]  # one line per owned setting taken over, with the template's file:line
    # The Pig parameters the script's SETs of the iteration number or logical name are, read from
    # the text as it came (kiter.render.carried decides their values).
    carried: tuple[CarriedParameter, ...] = ()


def adopt_script(
    text: str,
    *,
    engine: str,
    mode: str,
    stream: str,
    settings: Sequence[tuple[str, str]],
    partition: str,
    template: str,
    source: Callable[[], str],
) -> Adopted:
    """The rendered body with kiter's ownership applied (see the module docstring).

    `settings` are the claim's, as written (`CheckpointSettings.items`); `template` and `source()`
    are the template's path and text, to say where a line came from.
    """
    low = lowered(text)
    found = mentions(low)
    rendered = text  # what a line number counts in: the body as rendered

    def locate(line: int) -> str:
        """file:line in the template of a line of the rendered body (the same text, nearest)."""
        return f"{template}:{template_line(rendered, source(), line)}"

    # A key from a parameter may be any setting, and its name need not be in the text at all.
    if engine == "pig" and "$" in text and _may_set_from_parameter(low):
        for key, line in parameter_set_keys(text):
            raise UsageError(
                f"{locate(line)}: SET {key} takes its key from a Pig parameter: kiter owns the "
                "connector's checkpoint settings and cannot know which setting that is; write "
                "the key out"
            )
    if found is None:
        if mode == "staged":  # a variable's class (`STORED BY '${hiveconf:h}'`) names nothing
            _refuse_live_reads(text, low, engine, locate)
        return Adopted(text, ())  # nothing of the connector's in it: the common, fast case
    # A carried parameter is a SET's value, and a SET of a key kiter owns is `found.settings`.
    carried = tuple(pig_carried_parameters(text)) if engine == "pig" and found.settings else ()

    for line in credential_lines(text) if found.credentials else ():
        raise UsageError(
            f"{locate(line)}: the script holds Kinesis credentials (kinesis.accessKey / "
            f"kinesis.secretKey): remove them, set cross_account = true in the job and export "
            f"{ACCESS_KEY_ENV} and {SECRET_KEY_ENV}"
        )
    for key, offset in properties_named(text, found) if found.quoted else ():
        if is_owned(key):  # the storage handler reads a table's properties as settings
            line = text.count("\n", 0, offset) + 1
            raise UsageError(
                f"{locate(line)}: the script gives {key} as a table property: kiter owns it (its "
                "block sets it for the claimed iteration); remove it from the properties"
            )
    loader_arguments = _check_stream(text, low, engine, stream, found, locate)
    if not (found.settings or loader_arguments or mode == "staged"):
        return Adopted(text, ())  # a script on kiter's own macros: nothing to take over
    taken: list[TakenOver] = []
    # A line that sets what kiter sets anyway changes nothing: no note for it; nor does one that
    # sets it from a Pig parameter kiter passes (kiter.render.carried).
    same = {c.line for c in carried}
    if found.settings:  # every key kiter owns begins with `kinesis`
        text, taken = take_over(text, engine, settings)
    notes = [
        f"{locate(took.line)}: {took.describe()}"
        for took in taken
        if not took.unchanged and took.line not in same
    ]
    if loader_arguments:
        text, dropped = _drop_owned_loader_arguments(text, stream, locate)
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
    if mode == "staged":
        _refuse_live_reads(text, lowered(text), engine, locate)
    return Adopted(text, tuple(notes), carried)


# Where a Pig SET's key may hold a parameter: what `parameter_set_keys` then reads exactly.
def _may_set_from_parameter(low: str) -> bool:
    """Whether a `$` of the lower-case text has the word `set` before it in its statement: a
    cheap look before reading the statements (searched from each `$`, which are few; a regex's
    `\bset\b` scanned every character, ~25 us)."""
    dollar = low.find("$")
    while dollar >= 0:
        start = low.rfind(";", 0, dollar) + 1
        at = low.find("set", start, dollar)
        while at >= 0:
            after = at + 3
            if (at == 0 or not _word(low[at - 1])) and not _word(low[after]):
                return True
            at = low.find("set", after, dollar)
        dollar = low.find("$", dollar + 1)
    return False


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _refuse_live_reads(text: str, low: str, engine: str, locate: Callable[[int], str]) -> None:
    """A staged script, rewritten, must not read the stream itself: kiter's partition would be
    one reading and the stream another, past the ledger's iteration."""
    for line, what in live_reads(text, low, engine):
        raise UsageError(
            f"{locate(line)}: in staged mode kiter reads the stream; this script would still "
            f"read it live: {what} (kiter rewrites only a "
            + (
                "CREATE TABLE ... STORED BY '" + HIVE_HANDLER + "' TBLPROPERTIES "
                '("kinesis.stream.name"=...)'
                if engine == "hive"
                else "LOAD '<stream>' USING " + PIG_LOADER + "(...)"
            )
            + ")"
        )


def _check_stream(
    text: str,
    low: str,
    engine: str,
    stream: str,
    found: Mentions,
    locate: Callable[[int], str],
) -> bool:
    """One stream per logical name: the script may read no other stream than the job's. Says
    whether a Kinesis load may give the loader arguments (read in the same pass)."""
    named = streams_named(text, low, engine, found)
    for name, offset in named.streams:
        if name != stream:  # the line is counted only for the message
            _refuse_stream(name, text.count("\n", 0, offset) + 1, stream, locate)
    return named.loader_arguments


def _refuse_stream(name: str, line: int, stream: str, locate: Callable[[int], str]) -> None:
    raise UsageError(
        f"{locate(line)}: the script reads stream {name!r}, but the job's stream is "
        f"{stream!r} (a logical name follows one stream: set the job's stream, or give "
        "this script a job of its own)"
    )


def _drop_owned_loader_arguments(
    text: str, stream: str, locate: Callable[[int], str]
) -> tuple[str, list[tuple[int, str]]]:
    """The owned settings given to the Kinesis loader, in a LOAD or a DEFINE of it, dropped."""
    loads, defines = kinesis_loads_and_defines(text)
    for load in loads:  # a load through a DEFINE's alias, too, which the quick reading missed
        if load.stream != stream:
            _refuse_stream(load.stream, load.line, stream, locate)
    calls: list[KinesisLoad | KinesisDefine] = [*loads, *defines]
    for call in calls:
        for written, line in call.parameters:
            raise UsageError(
                f"{locate(line)}: the Kinesis loader is given {written}, a Pig parameter: kiter "
                "owns the connector's checkpoint settings and cannot know which setting that "
                "gives; write the argument out"
            )
    calls.sort(key=lambda call: call.arguments[0][1] if call.arguments else 0)
    dropped: list[tuple[int, str]] = []
    pieces: list[str] = []
    position = 0
    for call in calls:
        owned = [(a, s, e) for a, s, e in call.arguments if is_owned(a.split("=", 1)[0].strip())]
        if not owned:
            continue
        kept = [text[s:e] for a, s, e in call.arguments if (a, s, e) not in owned]
        first = call.arguments[0][1]
        last = call.arguments[-1][2]
        pieces += [text[position:first], ", ".join(kept), "\n" * text.count("\n", first, last)]
        position = last
        dropped += [(text.count("\n", 0, start) + 1, argument) for argument, start, _ in owned]
    pieces.append(text[position:])
    return "".join(pieces), dropped
