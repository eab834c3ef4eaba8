"""Engine error text made readable: a server's message without Java stack frames and wrappers.

Pure functions over text, shared by the targets that relay an engine's own error message.
"""

from __future__ import annotations

import re

MAX_ERROR_LINES = 20

_JAVA_FRAME = re.compile(r"^\s+at [\w$.<>]+\(.*\)\s*$|^\s*\.\.\. \d+ more\s*$|^Caused by: ")
_HS2_PREFIX = re.compile(
    r"^(?:org\.apache\.hive\.service\.cli\.HiveSQLException:\s*)?(?:Error running query:\s*)?"
)
# Spark repeats the error class around the Java exception name: "[X] org...Exception: \n[X] ..."
_SPARK_WRAPPER = re.compile(r"^\[(\w+)\] [\w.$]+(?:Exception|Error): \s*(?=\[\1\])", re.S)
# An HTML page (a proxy's or a mock's error page) says nothing a user can act on.
_HTML = re.compile(r"^\s*<(?:!doctype|html)\b", re.IGNORECASE)


def clean_server_message(message: str) -> str:
    """The server's error text without Java stack frames and wrapper prefixes."""
    if _HTML.match(message):
        return "the server answered with an HTML page instead of an error message"
    kept: list[str] = []
    for raw in message.splitlines():
        if _JAVA_FRAME.match(raw):
            break
        kept.append(raw.rstrip())
    text = "\n".join(kept).strip()
    text = _HS2_PREFIX.sub("", text, count=1)
    text = _SPARK_WRAPPER.sub("", text, count=1).strip()
    lines = text.splitlines()
    if len(lines) > MAX_ERROR_LINES:
        lines = [*lines[:MAX_ERROR_LINES], "..."]
    return "\n".join(lines) or message.strip()


def transport_message(exc: BaseException) -> str:
    """A Thrift or socket error as one readable phrase."""
    inner = getattr(exc, "inner", None)
    text = str(exc) or type(exc).__name__
    return f"{text} ({inner})" if inner else text
