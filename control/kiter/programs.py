"""`kiter validate` for streaming and jar jobs: their programs checked offline.

A streaming job's mapper, reducer, combiner and files must exist, and a Python program must
compile (its syntax error at its file:line); another program should be executable (the local
engine runs it as it is). A jar job's jar must be a readable jar holding its main class, or a
manifest Main-Class that it holds. Rendering checks the rest: the Jinja strings with
StrictUndefined, kiter's settings in the command, no argument setting one kiter owns.
Nothing here runs a program or talks to a service; an s3:// jar is not looked at.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from kiter.hadoopcommand import manifest_main_class
from kiter.project import HadoopJobConfig, JarJobConfig, Project, StreamingJobConfig
from kiter.project.hadoopconfig import shipped_programs
from kiter.render.commands import job_key_where


def program_problems(project: Project, job: HadoopJobConfig) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the job's programs, each one line naming where."""
    if isinstance(job, StreamingJobConfig):
        return _streaming_problems(project, job)
    assert isinstance(job, JarJobConfig)
    if job.jar.startswith("s3://"):
        return [], []
    problem = jar_problem(project.root / job.jar, job.main_class)
    return (
        ([f"{job_key_where(project, job, 'jar')}: jobs.{job.name}.jar {problem}"], [])
        if problem
        else ([], [])
    )


def _streaming_problems(project: Project, job: StreamingJobConfig) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    programs = {"mapper", "reducer", "combiner"}
    for key, path in dict.fromkeys(shipped_programs(job)):
        where = job_key_where(project, job, key)
        file = project.root / path
        if not file.is_file():
            errors.append(f"{where}: jobs.{job.name}.{key} {path!r} is not a file of the project")
        elif key in programs and path.endswith(".py"):
            syntax = python_syntax_error(file, path)
            if syntax:
                errors.append(syntax)
        elif key in programs and not os.access(file, os.X_OK):
            warnings.append(
                f"{where}: jobs.{job.name}.{key} {path!r} is not executable, and the local "
                "Hadoop engine runs it as it is (chmod +x it, with a #! line)"
            )
    return errors, warnings


def python_syntax_error(file: Path, shown: str) -> str | None:
    """`shown:line: SyntaxError: ...` when the program does not compile, else None."""
    try:
        source = file.read_bytes()
    except OSError as exc:
        return f"{shown}: cannot read it: {exc.strerror or exc}"
    try:
        compile(source, shown, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{shown}:{exc.lineno or 1}: {type(exc).__name__}: {exc.msg}"
    except ValueError as exc:  # null bytes
        return f"{shown}: {exc}"
    return None


def jar_problem(jar: Path, main_class: str | None) -> str | None:
    """What is wrong with a jar for running `main_class` (None: its manifest's), or None."""
    try:
        with zipfile.ZipFile(jar) as archive:
            names = set(archive.namelist())
            manifest = (
                archive.read("META-INF/MANIFEST.MF") if "META-INF/MANIFEST.MF" in names else b""
            )
            nested = [archive.read(n) for n in names if n.startswith("lib/") and n.endswith(".jar")]
    except FileNotFoundError:
        return f"{jar} does not exist"
    except (OSError, zipfile.BadZipFile) as exc:
        return f"{jar} is not a readable jar ({exc})"
    wanted = main_class or manifest_main_class(manifest.decode("utf-8", "replace"))
    if wanted is None:
        return f"{jar} has no Main-Class in its manifest: set main_class"
    entry = wanted.replace(".", "/") + ".class"
    if entry in names or any(_holds(inner, entry) for inner in nested):
        return None
    how = "main_class" if main_class else "its manifest's Main-Class"
    return f"{jar} does not hold {wanted} ({how})"


def _holds(jar: bytes, entry: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(jar)) as archive:
            return entry in archive.namelist()
    except zipfile.BadZipFile:
        return False
