"""The checks of streaming and jar jobs in kiter.toml, and which targets run which engine.

A streaming or jar job is a Hadoop program, not a script: its keys are checked here with the
file:line of kiter.toml, once the job's table passed its schema (which target kind runs them is
each kind's declaration: kiter.project.accepts). Whether a
program exists, compiles or holds its main class is `kiter validate`'s (kiter.programs): a missing
file must not stop commands that do not run the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from kiter.errors import ConfigError
from kiter.project.model import (
    HadoopJobConfig,
    JarJobConfig,
    JobConfig,
    StreamingJobConfig,
)

if TYPE_CHECKING:
    from kiter.project.checks import Locator

HADOOP_ENGINES = ("streaming", "jar")


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
        if name in shipped and shipped[name] != path:
            raise ConfigError(
                f"jobs.{job.name}.{key} {path!r} and {shipped[name]!r} are both shipped as "
                f"{name!r} (Hadoop puts shipped files side by side, by name): rename one",
                where=loc.where("jobs", job.name, key),
            )
        shipped[name] = path


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
