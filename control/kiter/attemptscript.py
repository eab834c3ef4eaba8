"""The script an engine runs for one attempt: the rendered text, the job's variables, and the
template it came from (so an engine's error can name the template line).

Built from a job and its rendering; it neither renders nor runs anything, and knows nothing of the
ledger: the runner, `--dry-run` and `kiter validate` build the same script through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kiter.targets.base import Script

if TYPE_CHECKING:
    from kiter.project.model import JobConfig
    from kiter.render import Rendered


def script_for(
    job: JobConfig,
    rendered: Rendered,
    *,
    iteration: int,
    attempt: int = 1,
    overrides: Mapping[str, str] | None = None,
    has_secrets: bool = False,
) -> Script:
    """The script an engine runs for this attempt. The job's vars go along as the engine's
    variables (`-d`/`-p` on EMR, hivevar on HiveServer2), so a script's own `${hivevar:K}` or `$K`
    gets them; the template's path and text let an engine's error name the template line."""
    variables = {k: str(v) for k, v in job.vars.items()} | dict(overrides or {})
    variables |= rendered.parameters  # Pig parameters that carry kiter's values (render/carried)
    return Script(
        job=job.name,
        engine=job.engine,
        text=rendered.submit_text,
        logical_name=job.logical_name,
        iteration=iteration,
        attempt=attempt,
        variables=variables,
        record_text=rendered.text if has_secrets else None,
        template=rendered.template_path,
        template_source=_template_source(rendered.template_path),
        command=rendered.command,
        templates=tuple((path, _template_source(path)) for path in rendered.template_paths)
        if len(rendered.template_paths) > 1
        else (),
    )


def _template_source(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:  # moved since rendering: errors keep the script's own line numbers
        return ""
