"""What a staged job's scripts read: the iteration kiter staged, and no other job's Kinesis table.

Checked on the rendered text (what the scripts really read, after the staged rewrite of
kiter.adopt), so `kiter validate`, `render` and every run refuse the same jobs. Reading the text is
kiter.scripts' job; this module only decides.
"""

from __future__ import annotations

from kiter.errors import TemplateError
from kiter.project import JobConfig


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
