"""A failed Hadoop run in one line, the way mrjob's "probable cause" put it.

For a streaming job, its program's own last error: a Python traceback's last line, at the
innermost frame in a shipped program (named as the project names it, `streaming/mapper.py:12`).
Otherwise the Java exception that ended the job: the deepest `Caused by:` of the last exception
in the output, with the first frame outside Java's and Hadoop's own classes (a jar job's
`WordCount.java:42`). A program that failed without a traceback adds its last line on stderr.
Reads text only: where the logs are is the caller's business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

_TRACEBACK = "Traceback (most recent call last):"
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_EXCEPTION = re.compile(
    r'^(?P<head>Exception in thread "[^"]*" |Caused by: )?'
    r"(?P<name>[A-Za-z_$][\w$]*(?:\.[\w$]+)+(?:Exception|Error|Throwable))(?::\s*(?P<message>.*))?$"
)
_JAVA_FRAME = re.compile(r"^\s+at (?P<call>[\w$.<>]+)\((?P<where>[^)]*)\)")
_OWN_FRAMES = ("java.", "javax.", "jdk.", "sun.", "org.apache.hadoop.", "com.google.")
_SUBPROCESS_FAILED = "subprocess failed with code"
_JAVA_NOISE = re.compile(r"^(\s+at |\s*\.\.\. \d+ more|Caused by:|Exception in thread|Streaming )")


def failure_cause(stderr: str, run_log: str, programs: Mapping[str, str]) -> str:
    """One line; `programs` maps the names files are shipped under to how kiter names them."""
    python = python_error(stderr, programs)
    if python is not None:
        return python
    java = java_exception(f"{run_log}\n{stderr}")
    if java is not None and _SUBPROCESS_FAILED in java:
        said = _program_last_words(stderr)
        return f"{java}; the program's last line on stderr: {said}" if said else java
    if java is not None:
        return java
    return _program_last_words(stderr) or "no error found in its output"


def python_error(text: str, programs: Mapping[str, str]) -> str | None:
    """`file:line: Error: message` of the last Python traceback in `text`, or None."""
    lines = text.splitlines()
    starts = [at for at, line in enumerate(lines) if line.startswith(_TRACEBACK)]
    if not starts:
        return None
    where = None
    for line in lines[starts[-1] + 1 :]:
        frame = _FRAME.match(line)
        if frame:
            name = PurePosixPath(frame["file"]).name
            if name in programs:
                where = f"{programs[name]}:{frame['line']}"
            continue
        if not line.strip() or line[0].isspace():
            continue  # a frame's source line, or the carets under it
        return f"{where}: {line.strip()}" if where else line.strip()
    return None


def java_exception(text: str) -> str | None:
    """The deepest cause of the last Java exception in `text`, with its first frame outside
    Java's and Hadoop's classes, or None."""
    cause: tuple[str, str] | None = None
    frame: str | None = None
    for line in text.splitlines():
        found = _EXCEPTION.match(line)
        if found:
            message = (found["message"] or "").strip()
            cause = (found["name"], message)
            frame = None
            continue
        call = _JAVA_FRAME.match(line)
        if (
            call
            and cause is not None
            and frame is None
            and not call["call"].startswith(_OWN_FRAMES)
        ):
            frame = call["where"]
    if cause is None:
        return None
    name, message = cause
    text = f"{name}: {message}" if message else name
    return f"{text} (at {frame})" if frame else text


def _program_last_words(stderr: str) -> str | None:
    """The last line on stderr that is not Java's (a stack frame, an exception, streaming's own)."""
    for line in reversed(stderr.splitlines()):
        if line.strip() and not _JAVA_NOISE.match(line) and not _EXCEPTION.match(line):
            return line.strip()
    return None
