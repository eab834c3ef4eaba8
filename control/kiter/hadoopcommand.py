"""What one iteration of a streaming or jar job runs: its Hadoop command, rendered.

A streaming or jar job is a program, not a script: `hadoop jar JAR [MAIN] -D k=v ... ARGS`. Every
checkpoint and owned kinesis.* setting goes as a `-D` generic option, which ToolRunner-based
programs (Hadoop Streaming, Hadoop's own examples) read before their own arguments. The target
decides where the jar and the shipped programs are (the local engine's streaming jar and the
project's files; on EMR, command-runner's hadoop-streaming and copies under script_prefix) and
passes them to `argv`; everything else is decided when the job is rendered. `text` is the command
as a person reads it: what `kiter render` prints and the ledger's sha256 is of.

Nothing here reads files or talks to a service.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlparse

from kiter.checkpoint import CREDENTIAL_KEYS, is_owned

STREAMING_JAR = "hadoop-streaming.jar"  # how `text` names it: where it is depends on the target


@dataclass(frozen=True)
class HadoopCommand:
    """A streaming or jar job's command for one iteration."""

    engine: Literal["streaming", "jar"]
    settings: tuple[tuple[str, str], ...]  # the -D generic options, kiter's settings
    arguments: tuple[str, ...]  # after the generic options: streaming's options, or the jar's args
    input: str  # staged: the iteration's partition; connector: the stream
    output: str  # where the result goes (a Hadoop path: file:///abs/path, s3://...)
    jar: str = ""  # jar jobs: an absolute path or an s3:// URL
    main_class: str | None = None  # jar jobs: None runs the manifest's Main-Class
    files: tuple[str, ...] = ()  # streaming: the programs shipped (absolute paths), mapper first

    @property
    def project_files(self) -> tuple[str, ...]:
        """The files of the project the command needs where it runs: a streaming job's programs,
        a jar job's jar unless it is already in S3."""
        if self.engine == "streaming":
            return self.files
        return () if self.jar.startswith("s3://") else (self.jar,)

    def generic_options(
        self, files: Sequence[str] | None = None, properties: Sequence[tuple[str, str]] = ()
    ) -> list[str]:
        """`-D k=v ...` (the target's `properties` first, so that kiter's settings win) and, for
        streaming, `-files a,b` with the programs where the target put them."""
        options = [
            item
            for key, value in (*properties, *self.settings)
            for item in ("-D", f"{key}={value}")
        ]
        shipped = self.files if files is None else files
        if shipped:
            options += ["-files", ",".join(shipped)]
        return options

    def argv(
        self, files: Sequence[str] | None = None, properties: Sequence[tuple[str, str]] = ()
    ) -> list[str]:
        """What follows `hadoop jar JAR [MAIN]`: the generic options, then the arguments."""
        return [*self.generic_options(files, properties), *self.arguments]

    @property
    def text(self) -> str:
        """The command, one option a line, each word shell-quoted."""
        if self.engine == "streaming":
            head = ["hadoop", "jar", STREAMING_JAR]
        else:
            head = ["hadoop", "jar", self.jar, *([self.main_class] if self.main_class else [])]
        lines = [shlex.join(head)] + [shlex.join(group) for group in _grouped(self.argv())]
        return " \\\n  ".join(lines) + "\n"


def argument_settings(arguments: Sequence[str]) -> list[tuple[str, str]]:
    """(key, value) of every Hadoop setting the arguments give: `-D k=v`, `-Dk=v`, `-jobconf k=v`."""
    found = []
    for at, word in enumerate(arguments):
        pair = None
        if word in ("-D", "-jobconf", "--jobconf") and at + 1 < len(arguments):
            pair = arguments[at + 1]
        elif word.startswith("-D") and len(word) > 2:
            pair = word[2:]
        if pair is not None and "=" in pair:
            key, _, value = pair.partition("=")
            found.append((key.strip(), value))
    return found


def owned_argument(arguments: Sequence[str]) -> str | None:
    """The first setting the arguments give that kiter owns (the checkpoint settings, which it
    passes as -D options itself, and the connector's credentials), None when they give none."""
    for key, _ in argument_settings(arguments):
        if is_owned(key) or key.lower() in _CREDENTIALS:
            return key
    return None


def owned_argument_problem(job: str, key: str) -> str:
    if key.lower() in _CREDENTIALS:
        return (
            f"jobs.{job}.args sets {key}: Kinesis credentials never travel as arguments (EMR shows "
            "a step's arguments), and a streaming or jar job cannot take cross-account keys; "
            "remove it from args"
        )
    return (
        f"jobs.{job}.args sets {key}: kiter owns it (it passes the iteration's checkpoint "
        "settings as -D options itself); remove it from args"
    )


_CREDENTIALS = {key.lower() for key in CREDENTIAL_KEYS}


def _grouped(words: Sequence[str]) -> list[list[str]]:
    """An option with its value on one line; other words alone."""
    groups: list[list[str]] = []
    at = 0
    while at < len(words):
        word = words[at]
        if word.startswith("-") and at + 1 < len(words) and not words[at + 1].startswith("-"):
            groups.append([word, words[at + 1]])
            at += 2
        else:
            groups.append([word])
            at += 1
    return groups


def hadoop_location(url: str) -> str:
    """A staging or output URL as Hadoop's Path reads it: a file: URL's path undecoded (Hadoop
    encodes a path itself: `file:///a%20b` would be the folder `a%20b`)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return f"file://{unquote(parsed.path)}"
    return url


def local_folder(location: str) -> str | None:
    """The local folder a `file://` location names, or None for any other scheme."""
    parsed = urlparse(location)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def program_command(path: str) -> str:
    """How streaming runs a shipped program, by the name it is shipped under: a `.py` with
    python3 (a file from S3 or a checkout need not be executable), anything else as it is."""
    name = PurePosixPath(path).name
    return f"python3 {name}" if name.endswith(".py") else name


def manifest_main_class(manifest: str) -> str | None:
    """The Main-Class a jar's META-INF/MANIFEST.MF names, or None."""
    # Manifest lines longer than 72 bytes continue on lines that start with a space.
    for line in manifest.replace("\r\n", "\n").replace("\n ", "").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "main-class" and value.strip():
            return value.strip()
    return None
