"""The checks of a [jobs.NAME] table that look past its own values: its templates (`template`,
or `templates` for several scripts run in order) and its logical name among the other jobs'.

Every problem is a ConfigError with kiter.toml's file:line; nothing here renders or reads a
template's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiter.errors import ConfigError
from kiter.project.checks import Locator, Problems
from kiter.project.model import JobConfig, find_template


def check_logical_name(job: JobConfig, taken: dict[str, str], loc: Locator) -> None:
    """One logical name is one sequence of iterations over one stream: a second job under it
    would share (and advance) the first one's checkpoints and ledger."""
    first = taken.setdefault(job.logical_name, job.name)
    if first == job.name:
        return
    defaulted = [n for n in (first, job.name) if loc.exact_line("jobs", n, "logical_name") is None]
    how = f" (job {defaulted[0]!r} has no logical_name: it takes its name)" if defaulted else ""
    written = job.name not in defaulted
    raise ConfigError(
        f"jobs {first!r} and {job.name!r} both use logical name {job.logical_name!r}{how}: "
        "one logical name is one job over one stream; give one of them its own logical_name",
        where=loc.where("jobs", job.name, "logical_name")
        if written
        else loc.where("jobs", job.name),
    )


def templates_as_written(table: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The job's template names with the key each stands under (`template` or `templates`)."""
    many = table.get("templates")
    if isinstance(many, list):
        return [("templates", name) for name in many]
    return [("template", table.get("template"))]


def check_template(
    job: str, key: str, template: Any, dirs: list[Path], loc: Locator, problems: Problems
) -> None:
    """The job's template is found (whatever else its table holds: a typo elsewhere in it must
    not hide a missing file)."""
    if isinstance(template, str) and find_template(dirs, template) is None:
        searched = ", ".join(str(p) for p in dirs)
        problems.add(
            ConfigError(
                f"template {template!r} of job {job!r} not found (searched: {searched})",
                where=loc.where("jobs", job, key),
            )
        )


def one_template_key(name: str, table: dict[str, Any], loc: Locator) -> dict[str, Any]:
    """`templates = [...]` (several scripts, in order) or `template = "..."` (one), not both:
    the table as the schema reads it, with `template` the first of `templates`."""
    if "templates" not in table:
        return table
    many = table["templates"]
    where = loc.where("jobs", name, "templates")
    if "template" in table:
        raise ConfigError(
            f"jobs.{name} sets both template and templates: keep one (templates = [...] runs "
            "several scripts in order)",
            where=where,
        )
    if not (isinstance(many, list) and many and all(isinstance(t, str) and t for t in many)):
        raise ConfigError(
            f"jobs.{name}.templates must be a non-empty array of template file names", where=where
        )
    if len(set(many)) != len(many):
        raise ConfigError(f"jobs.{name}.templates names a template twice", where=where)
    return {**table, "template": many[0]}
