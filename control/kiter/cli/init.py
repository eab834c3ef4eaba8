"""`kiter init`: scaffold a project folder."""

from __future__ import annotations

from pathlib import Path

import click

from kiter.cli.app import note, out
from kiter.errors import UsageError
from kiter.library import builtin_dir
from kiter.project import PROJECT_FILE


def scaffold(folder: Path) -> list[Path]:
    """Create kiter.toml (a sample Hive, Pig and Hadoop Streaming job), empty hiveql/ and
    piglatin/, and streaming/ with the streaming job's programs."""
    project_file = folder / PROJECT_FILE
    if project_file.exists():
        raise UsageError(f"{project_file} exists already; not overwriting it")
    folder.mkdir(parents=True, exist_ok=True)
    created = []
    for name in ("hiveql", "piglatin"):
        (folder / name).mkdir(exist_ok=True)
        created.append(folder / name)
    programs = builtin_dir("templates") / "kiter" / "streaming"
    (folder / "streaming").mkdir(exist_ok=True)
    for program in sorted(programs.glob("*.py")):
        copy = folder / "streaming" / program.name
        if not copy.exists():
            copy.write_text(program.read_text(encoding="utf-8"), encoding="utf-8")
            created.append(copy)
    sample = (builtin_dir("templates") / "kiter" / "project.toml").read_text(encoding="utf-8")
    project_file.write_text(sample, encoding="utf-8")
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".kiter/\n", encoding="utf-8")
    return [project_file, *created]


@click.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
def init(directory: str) -> None:
    """Scaffold a kiter project in DIRECTORY (default: here).

    Writes kiter.toml with a sample Hive job, a sample Pig job (built-in templates) and a sample
    Hadoop Streaming job, with comments on every key; empty hiveql/ and piglatin/ folders for your
    own templates, and streaming/ with the streaming job's Python mapper and reducer.

    \b
    Example:
      kiter init demo && cd demo && kiter validate
    """
    for path in scaffold(Path(directory)):
        note(f"created {path}")
    out(str(Path(directory) / PROJECT_FILE))
    cd = "" if directory == "." else f"cd {directory} && "
    note(
        "next, on the embedded local stack (no AWS account; Java 17 for Spark's HiveServer2):\n"
        f"  {cd}kiter local up && kiter local traffic --records 2000\n"
        "  kiter --profile local metastore create --on-demand\n"
        "  kiter --profile local submit top_errors\n"
        "or on AWS: edit kiter.toml (the cluster, the S3 prefixes, the stream; the region unless\n"
        "  AWS_REGION or your AWS profile names it), then\n"
        "  kiter validate && kiter metastore create && kiter submit top_errors"
    )
