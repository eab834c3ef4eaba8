"""The checks of streaming and jar jobs in kiter.toml, and which targets run which engine.

A streaming or jar job is a Hadoop program, not a script: its keys are checked here with the
file:line of kiter.toml, once the job's table passed its schema (which target kind runs them is
each kind's declaration: kiter.project.accepts). Whether a
program exists, compiles or holds its main class is `kiter validate`'s (kiter.programs): a missing
file must not stop commands that do not run the job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from kiter.errors import ConfigError
from kiter.hadoopcommand import owned_argument, owned_argument_problem
from kiter.project.model import (
    HadoopJobConfig,
    JarJobConfig,
    JobConfig,
    StreamingJobConfig,
)

if TYPE_CHECKING:
    from kiter.project.checks import Locator

HADOOP_ENGINES = ("streaming", "jar")
# What a shipped program's path cannot hold: `-files` is a comma-separated list of URIs (a space
# is no URI, `#` starts the name of the link) and streaming splits `-mapper CMD` at spaces.
_UNSHIPPABLE = {",": "a ','", "#": "a '#'"}
_SPACE = re.compile(r"\s")


def check_hadoop_job(job: HadoopJobConfig, loc: Locator) -> None:
    """What the schema cannot say about a streaming or jar job."""
    if job.cross_account:
        raise ConfigError(
            f"jobs.{job.name}: a {job.engine} job gets its settings as -D arguments, which EMR "
            "shows with the step: cross_account keys cannot travel that way",
            where=loc.where("jobs", job.name, "cross_account"),
        )
    if not job.output.strip():
        raise ConfigError(
            f"jobs.{job.name}.output is empty: say where each iteration's result goes",
            where=loc.where("jobs", job.name, "output"),
        )
    if isinstance(job, StreamingJobConfig):
        _check_streaming(job, loc)
    elif isinstance(job, JarJobConfig):
        _check_strings(job, "args", job.args, loc)
        _check_jar(job, loc)
        # As written; an argument whose template prints an owned setting is refused at render.
        owned = owned_argument(job.args)
        if owned is not None:
            raise ConfigError(
                owned_argument_problem(job.name, owned), where=loc.where("jobs", job.name, "args")
            )


def _check_jar(job: JarJobConfig, loc: Locator) -> None:
    where = loc.where("jobs", job.name, "jar")
    if job.jar.startswith("s3://"):
        _, _, key = job.jar.removeprefix("s3://").partition("/")
        if not key or key.endswith("/"):
            raise ConfigError(
                f"jobs.{job.name}.jar names no object: give the jar's s3://bucket/key, "
                f"not {job.jar!r}",
                where=where,
            )
    elif "://" in job.jar:
        raise ConfigError(
            f"jobs.{job.name}.jar must be a path in the project or an s3:// URL, not {job.jar!r}",
            where=where,
        )


def _check_streaming(job: StreamingJobConfig, loc: Locator) -> None:
    if job.mode == "connector" and job.input_format is None:
        raise ConfigError(
            f"jobs.{job.name} reads the stream through the connector (connector mode) and needs "
            "input_format: the connector's MapReduce InputFormat class, which no public document "
            'names and kiter does not guess (or set mode = "staged": kiter reads the stream)',
            where=loc.where("jobs", job.name),
        )
    if job.reducers is not None and job.reducer is None:
        raise ConfigError(
            f"jobs.{job.name}.reducers needs a reducer: without one the job is map-only",
            where=loc.where("jobs", job.name, "reducers"),
        )
    _check_strings(job, "files", job.files, loc)
    shipped: dict[str, str] = {}
    for key, path in shipped_programs(job):
        name = PurePosixPath(path).name
        if not name or path.endswith("/"):
            raise ConfigError(
                f"jobs.{job.name}.{key} must name a file, not {path!r}",
                where=loc.where("jobs", job.name, key),
            )
        _check_shippable(job, key, path, loc)
        if name in shipped and shipped[name] != path:
            raise ConfigError(
                f"jobs.{job.name}.{key} {path!r} and {shipped[name]!r} are both shipped as "
                f"{name!r} (Hadoop puts shipped files side by side, by name): rename one",
                where=loc.where("jobs", job.name, key),
            )
        shipped[name] = path


def _check_shippable(job: StreamingJobConfig, key: str, path: str, loc: Locator) -> None:
    if "://" in path:
        raise ConfigError(
            f"jobs.{job.name}.{key} must be a file of the project, not the URL {path!r}",
            where=loc.where("jobs", job.name, key),
        )
    held = ["a space"] if _SPACE.search(path) else []
    held += [what for char, what in _UNSHIPPABLE.items() if char in path]
    if held:
        raise ConfigError(
            f"jobs.{job.name}.{key} {path!r} holds {' and '.join(held)}, which Hadoop cannot "
            "ship (-files is a comma-separated list of URIs; streaming splits a program's "
            "command at spaces): rename it",
            where=loc.where("jobs", job.name, key),
        )


def shipped_programs(job: StreamingJobConfig) -> list[tuple[str, str]]:
    """(key, path) of every file a streaming job ships, the mapper first."""
    found = [("mapper", job.mapper)]
    found += [(key, path) for key in ("reducer", "combiner") if (path := getattr(job, key))]
    return found + [("files", path) for path in job.files]


def _check_strings(job: JobConfig, key: str, values: Sequence[object], loc: Locator) -> None:
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(
                f"jobs.{job.name}.{key} must be an array of strings, not holding {value!r}",
                where=loc.where("jobs", job.name, key),
            )
