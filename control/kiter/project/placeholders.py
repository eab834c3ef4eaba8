"""The scaffold's placeholders: values `kiter init` writes for the user to replace.

A job that would write to one (a var such as its output, its staging location, its target's
cluster, host or prefixes) is refused before anything runs; `kiter validate` warns of the same
list, so a fresh scaffold still validates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kiter.errors import ConfigError
from kiter.project.model import JobConfig, Project
from kiter.project.targetkinds import TargetConfig

# What templates/kiter/project.toml holds for the user to replace.
SCAFFOLD_PLACEHOLDERS = ("j-XXXXXXXXXXXXX", "s3://my-bucket", "hive.example.internal")
EDIT_HINT = "edit kiter.toml (for the embedded stack, run with --profile local)"
_TARGET_KEYS = ("cluster_id", "script_prefix", "host", "log_uri")


@dataclass(frozen=True)
class Placeholder:
    what: str  # e.g. "jobs.top.vars.output is still the scaffold's placeholder 's3://my-bucket'"
    where: str | None = None  # kiter.toml:line, when known

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


def is_placeholder(value: object) -> bool:
    text = str(value or "")
    return any(text == p or text.startswith(p + "/") for p in SCAFFOLD_PLACEHOLDERS)


def target_placeholders(config: TargetConfig) -> list[Placeholder]:
    return [
        Placeholder(f"targets.{config.name}.{key} is still the scaffold's placeholder {value!r}")
        for key in _TARGET_KEYS
        if is_placeholder(value := getattr(config, key, None))
    ]


def job_placeholders(
    project: Project,
    job: JobConfig,
    target: TargetConfig | None = None,
    overrides: Mapping[str, str] | None = None,
) -> list[Placeholder]:
    """Every placeholder where `job` would write: its vars (with `--var` overrides), its staging
    location (staged mode) and its target's settings."""
    overrides = overrides or {}
    found = [
        Placeholder(
            f"jobs.{job.name}.vars.{key} is still the scaffold's placeholder {value!r}",
            project.origins.get(f"jobs.{job.name}.vars.{key}", str(project.path)),
        )
        for key, value in job.vars.items()
        if key not in overrides and is_placeholder(value)
    ]
    found += [
        Placeholder(f"--var {key} is the scaffold's placeholder {value!r}")
        for key, value in overrides.items()
        if is_placeholder(value)
    ]
    output = getattr(job, "output", None)  # a streaming or jar job's own key
    if is_placeholder(output):
        found.append(
            Placeholder(
                f"jobs.{job.name}.output is still the scaffold's placeholder {output!r}",
                str(project.path),
            )
        )
    if job.mode == "staged" and is_placeholder(project.staging.location):
        found.append(
            Placeholder(
                f"staging.location is still the scaffold's placeholder "
                f"{project.staging.location!r}",
                str(project.path),
            )
        )
    return found + (target_placeholders(target) if target is not None else [])


def refuse_placeholders(placeholders: list[Placeholder]) -> None:
    """All of them in one line, exit 2."""
    if placeholders:
        raise ConfigError("; ".join(map(str, placeholders)) + f": {EDIT_HINT}")
