"""What went wrong in a Pig run, in one line with the script line it names.

Pig 0.17 reports a script's mistakes three ways (measured in local mode):
- parse, alias and type errors (exit 6, or 8 for Grunt commands): on stderr, as
  `ERROR 1200: <file X, line N, column C> message`, or `... at line N, column C.` for Grunt;
- failed jobs (exit 2 or 3): stderr only says `ERROR 2244: Job ... failed, hadoop does not return
  any error message`; the cause is in the run's log (a `Failed Jobs:` row, `got an error while
  submitting`, `Caused by:`), the failed aliases' lines in `detailed locations: M: alias[L,C]`;
- parameter errors (exit 5): `Undefined parameter : X`, no line;
- a REGISTER of a file that does not exist (`pig -c`, exit 6): stderr only says `Details at
  logfile: PATH`; that log holds `ERROR 101: file '...' does not exist.`, no line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AT_FILE = re.compile(r"<(?:file [^,>]*, )?line (\d+), column (\d+)>\s*")
_AT_LINE = re.compile(r"\bat line (\d+), column (\d+)\.?\s*")
_ERROR = re.compile(r"ERROR (\d{3,4}): (.*)")
# Codes that only say "something failed" (job failed, job configuration, I/O): a more specific
# error is preferred to them.
_GENERIC = frozenset({"2244", "2017", "1066", "2997"})
_LOCATIONS = re.compile(r"detailed locations: M: (.*?) C: (.*?) R:(.*)$")
_ALIAS_AT = re.compile(r"(\w+)\[(-?\d+),(-?\d+)\]")
_DETAILS = re.compile(r"Details at logfile: (\S+)")
_FAILED_ROW = re.compile(r"^job_\S+\t([^\t]*)\t[^\t]*\tMessage: (.*?)(?:\t|$)")


@dataclass(frozen=True)
class PigError:
    message: str  # Pig's own words, one line, without the <file ...> location
    line: int | None = None  # of the script Pig ran
    column: int | None = None


def read_failure(stderr: str, run_log: str) -> PigError:
    """The most specific error Pig reported, from its stderr and its run log."""
    for text in (stderr, run_log):
        located = _located(text)
        if located is not None:
            return located
    runtime = _runtime(run_log)
    if runtime is not None:
        return runtime
    errors = _errors(stderr) or _errors(run_log) or _errors(_details(stderr))
    specific = [e for e in errors if e.split(":", 1)[0] not in _GENERIC]
    if specific or errors:
        return PigError(_one_line((specific or errors)[0]))
    tail = [line.strip() for line in stderr.splitlines() if line.strip()]
    return PigError(tail[-1] if tail else "Pig failed without saying why")


def _details(stderr: str) -> str:
    """The log file stderr points at (`Details at logfile: PATH`), when stderr says nothing else:
    a REGISTER of a file that does not exist (ERROR 101) is told only there."""
    match = _DETAILS.search(stderr)
    if match is None:
        return ""
    try:
        with open(match.group(1), encoding="utf-8", errors="replace") as log:
            return log.read(100_000)
    except OSError:
        return ""


def _errors(text: str) -> list[str]:
    """Pig's `ERROR NNNN: message` texts, in order."""
    return [f"{m.group(1)}: {m.group(2).strip()}" for m in _ERROR.finditer(text)]


def _located(text: str) -> PigError | None:
    """The first error carrying a line and column."""
    for raw in text.splitlines():
        match = _ERROR.search(raw)
        if match is None:
            continue
        message = match.group(2)
        where = _AT_FILE.search(message) or _AT_LINE.search(message)
        if where is None:
            continue
        message = (message[: where.start()] + " " + message[where.end() :]).strip(" .")
        message = re.sub(r"^(Error during parsing\.|Pig script failed to parse:)\s*", "", message)
        return PigError(
            _one_line(f"{match.group(1)}: {message}"), int(where.group(1)), int(where.group(2))
        )
    return None


def _runtime(run_log: str) -> PigError | None:
    """A failed job's cause and the first script line of the aliases it ran."""
    lines = run_log.splitlines()
    cause = None
    aliases: list[str] = []
    for number, raw in enumerate(lines):
        row = _FAILED_ROW.match(raw)
        if row and not aliases:
            aliases = row.group(1).split(",")
            cause = cause or _cause_in(row.group(2))
        if "got an error while submitting" in raw and cause is None:
            cause = _cause_in(lines[number + 1]) if number + 1 < len(lines) else None
        if cause is None and raw.startswith("Caused by: "):
            cause = _cause_in(raw[len("Caused by: ") :])
    if cause is None:
        return None
    line = _first_line_of(aliases, lines)
    return PigError(_one_line(cause), line)


def _cause_in(text: str) -> str | None:
    match = re.search(r"ERROR (\d{4}): (.*)", text)
    if match:
        return f"{match.group(1)}: {match.group(2).strip()}"
    text = re.sub(r"^(\S+Exception|\S+Error): ", "", text.strip())
    return text if text and text != "Job failed!" else None


def _first_line_of(aliases: list[str], lines: list[str]) -> int | None:
    found: list[int] = []
    for raw in lines:
        match = _LOCATIONS.search(raw)
        if match is None:
            continue
        for alias, line, _column in _ALIAS_AT.findall(" ".join(match.groups())):
            if alias in aliases and int(line) > 0:
                found.append(int(line))
    return min(found) if found else None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
