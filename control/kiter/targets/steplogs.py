"""Explain a failed EMR step from its logs: the few lines a user must read, not the whole log.

Pure functions over log text (Hive CLI, Pig Grunt, Hadoop and EMR's step controller). This room does
no I/O and knows nothing of S3 or EMR: the remote targets (`targets/remote.py`) fetch the logs
(`emr_s3.StepFiles.run_logs`) and hand them over here.
It must never return a whole log, nor a secret the logs may echo (kinesis.accessKey / secretKey).
"""

from __future__ import annotations

import re
import zlib

from kiter.secrets import NO_SECRETS, Redactor

MAX_LINES = 8
MAX_LINE_CHARS = 300
# A log can be hundreds of MB (syslog of a long job); the errors sit at its end.
MAX_TEXT_CHARS = 4_000_000

# The order in which logs are searched: stderr carries Hive's FAILED: and Pig's Grunt lines.
LOG_ORDER = ("stderr", "stdout", "syslog", "controller")

# Hive CLI: "FAILED: SemanticException [Error 10001]: ..." (also inside HiveServer2-style messages).
_HIVE_FAILED = re.compile(r"\bFAILED: .*")
# Pig: "... ERROR org.apache.pig.tools.grunt.Grunt - ERROR 1066: Unable to open iterator for ..."
_PIG_ERROR = re.compile(r"\bERROR \d{3,5}: .*")
# The innermost exception of a Java chain is the last "Caused by:" line of the chain.
_CAUSED_BY = re.compile(r"^\s*Caused by: (.*)$")
# A top-level exception line: "java.io.IOException: ..." or 'Exception in thread "main" x.y.Z: ...'.
_EXCEPTION = re.compile(
    r"^(?:Exception in thread \"[^\"]*\" )?"
    r"((?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)\b.*)$"
)
# EMR's controller log: "... WARN Step failed with exitCode 1 and took 12 seconds"
_CONTROLLER_FAILED = re.compile(r"\bStep failed with exitCode \d+.*")
# A log4j line at level ERROR, used only when nothing more specific was found.
_LOG4J_ERROR = re.compile(r"(?:^|\s)ERROR\s+(?:\[[^\]]*\]\s+)?(.*)$")


def read_gz(data: bytes, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Text of a gzipped log (several members, or cut short while EMR pushes it); plain text too.

    Keeps the last `max_chars` characters: the errors that matter are at a log's end.
    """
    if data[:2] != b"\x1f\x8b":
        return _tail(data.decode("utf-8", errors="replace"), max_chars)
    chunks: list[bytes] = []
    rest = data
    while rest[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            chunks.append(inflater.decompress(rest))
        except zlib.error:
            # A damaged or half-written member: keep what inflated before the damage.
            break
        rest = inflater.unused_data
    return _tail(b"".join(chunks).decode("utf-8", errors="replace"), max_chars)


def probable_cause(logs: dict[str, str], redact: Redactor = NO_SECRETS) -> str:
    """The lines of the step logs that most probably say why it failed ('' when none stand out).

    `logs` maps a log name ("stderr", "controller", "syslog", ...) to its text. In order: Hive's
    FAILED: lines, Pig's ERROR nnnn: lines, the innermost Java exception, the controller's exit
    line; generic ERROR lines only when nothing else was found. De-duplicated, at most 8 lines,
    each passed through `redact` (which masks secret-named keys' values, and the known secrets).
    """
    ordered = _ordered(logs)
    picked: list[str] = []

    def add(line: str) -> None:
        _add(picked, redact(" ".join(line.split())))

    for _, text in ordered:
        for line in text.splitlines():
            for pattern in (_HIVE_FAILED, _PIG_ERROR):
                match = pattern.search(line)
                if match:
                    add(match.group(0))
    innermost = _innermost_exception(ordered)
    if innermost:
        add(innermost)
    for _, text in ordered:
        for match in _CONTROLLER_FAILED.finditer(text):
            add(match.group(0))

    if not [line for line in picked if not _CONTROLLER_FAILED.match(line)]:
        for _, text in ordered:
            for line in text.splitlines():
                match = _LOG4J_ERROR.search(line)
                if match:
                    # "org.x.Logger - message": the logger name says little to a user.
                    add(match.group(1).split(" - ", 1)[-1])
    return "\n".join(picked[:MAX_LINES])


def cause_lines(logs: dict[str, str]) -> list[str]:
    """'probable cause:' and the lines under it ([] when no line stands out)."""
    cause = probable_cause(logs)
    return ["probable cause:", *(f"  {line}" for line in cause.splitlines())] if cause else []


def _ordered(logs: dict[str, str]) -> list[tuple[str, str]]:
    known = [(name, logs[name]) for name in LOG_ORDER if name in logs]
    others = [(name, text) for name, text in sorted(logs.items()) if name not in LOG_ORDER]
    return known + others


def _innermost_exception(ordered: list[tuple[str, str]]) -> str:
    """The last `Caused by:` of the first log that has one, else the last exception line seen."""
    for _, text in ordered:
        causes = [m.group(1) for line in text.splitlines() if (m := _CAUSED_BY.match(line))]
        if causes:
            return causes[-1]
    for _, text in ordered:
        thrown = [m.group(1) for line in text.splitlines() if (m := _EXCEPTION.match(line))]
        if thrown:
            return thrown[-1]
    return ""


def _add(picked: list[str], clean: str) -> None:
    if len(clean) > MAX_LINE_CHARS:
        clean = clean[: MAX_LINE_CHARS - 3] + "..."
    if not clean or len(picked) >= MAX_LINES:
        return
    # Pig repeats "ERROR 1066: ..." inside its FrontendException line; keep the more telling one.
    for i, seen in enumerate(picked):
        if clean in seen:
            return
        if seen in clean:
            picked[i] = clean
            return
    picked.append(clean)


def _tail(text: str, max_chars: int) -> str:
    return text[-max_chars:] if len(text) > max_chars else text
