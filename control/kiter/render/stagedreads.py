"""What a staged job's scripts read: the iteration kiter staged, and no other job's Kinesis table.

Checked on the rendered text (what the scripts really read, after the staged rewrite of
kiter.adopt), so `kiter validate`, `render` and every run refuse the same jobs. Reading the text is
kiter.scripts' job; this module only decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kiter.errors import TemplateError
from kiter.project import JobConfig, Project
from kiter.scripts import HIVE_HANDLER, kinesis_tables
from kiter.scripts.tablereads import hive_table_reads
from kiter.sourcemap import named_line


def check_reads_staged(job: JobConfig, text: str, partition: str) -> None:
    """A staged job whose scripts never read this iteration's partition (no Kinesis table or
    load to rewrite, no `kiter.source_table`/`load_stream`) would run on nothing it staged."""
    if partition in text:
        return
    scripts = ", ".join(job.template_names)
    raise TemplateError(
        f"job {job.name} is staged, but its scripts ({scripts}) read no Kinesis table or load "
        "and call no kiter.source_table/load_stream: nothing would read the records kiter "
        "stages for each iteration (read the stream in one of the job's templates, or add the "
        "script that defines its Kinesis table to the job's templates)"
    )


def check_no_other_jobs_table(
    project: Project,
    job: JobConfig,
    text: str,
    sources: Callable[[], Sequence[tuple[str, str]]],
) -> None:
    """A staged Hive job reading a table that another job's scripts define over Kinesis, and its
    own do not: on the server that table points at the other job's (or another iteration's)
    records, never this iteration's. `sources()` are the job's templates (path, text) in
    order, to name the line."""
    if job.engine != "hive":
        return
    others = _kinesis_tables_of_other_jobs(project, job)
    if not others:
        return
    reads, created = hive_table_reads(text)
    for read in reads:
        if read.name in others and read.name not in created:
            other, template = others[read.name]
            raise TemplateError(
                f"{named_line(text, sources(), read.line)}: job {job.name} is staged and reads "
                f"table {read.name}, which job {other}'s script {template} defines over Kinesis "
                "and this job's scripts do not: it would read whatever that table holds on the "
                f"server, not this iteration's records; add {template} to this job's templates, "
                "before the script that reads it (templates = [...])"
            )


def _kinesis_tables_of_other_jobs(project: Project, job: JobConfig) -> dict[str, tuple[str, str]]:
    """Each Kinesis table (lower case) another Hive job's templates define: (job, template)."""
    found: dict[str, tuple[str, str]] = {}
    for other in project.jobs.values():
        if other.name == job.name or other.engine != "hive":
            continue
        for name in other.template_names:
            path = project.find_template(name)
            try:
                source = path.read_text(encoding="utf-8") if path else ""
            except (OSError, UnicodeDecodeError):
                continue  # its own render says so
            if HIVE_HANDLER not in source:
                continue
            for table in kinesis_tables(source):
                found.setdefault(table.name.lower().split(".")[-1].strip("`"), (other.name, name))
    return found
