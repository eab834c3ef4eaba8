"""What a render gives: the `Rendered` script, and where a staged job's iteration lives (what
its templates read as `staging`). Nothing here renders."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from kiter.choices import extension
from kiter.hadoopcommand import HadoopCommand
from kiter.layout import campaigns_logical, partition_url, table_url
from kiter.project import JobConfig, Project


# A NamedTuple: immutable, and made in half the time of a frozen dataclass, which sets each of
# these fields through object.__setattr__ (about a microsecond of every render).
class Rendered(NamedTuple):
    """A rendered script. `text` is safe to print and save; `submit_text` is what the engine gets
    (its repr leaves it out: cross-account keys reach it)."""

    job: str
    engine: str
    iteration: int
    template: str  # the first of `templates`
    template_path: str
    text: str
    settings: dict[str, str]
    submit_text: str
    # Lines of the template that set what kiter owns, each with its file:line (see kiter.adopt).
    notes: tuple[str, ...] = ()
    # A streaming or jar job's command (its `text` is the command as shown); None for scripts.
    command: HadoopCommand | None = None
    # Pig parameters that carry kiter's values (render/carried.py), passed at every submit.
    parameters: Mapping[str, str] = MappingProxyType({})
    # Every template of the job and its path, in order (a job of several scripts joins them).
    templates: tuple[str, ...] = ()
    template_paths: tuple[str, ...] = ()

    def __repr__(self) -> str:
        pairs = zip(self._fields, self, strict=True)
        shown = ", ".join(f"{name}={value!r}" for name, value in pairs if name != "submit_text")
        return f"Rendered({shown})"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def extension(self) -> str:
        return extension(self.engine)

    def manifest_entry(self) -> dict[str, Any]:
        several = {"templates": list(self.templates)} if len(self.templates) > 1 else {}
        return several | {
            "job": self.job,
            "iteration": self.iteration,
            "engine": self.engine,
            "template": self.template,
            "template_path": self.template_path,
            "sha256": self.sha256,
            "settings": self.settings,
        }


def staging_locations(project: Project, job: JobConfig, iteration: int) -> dict[str, str]:
    """Where a staged job's source table and this iteration's partition live."""
    root = project.staging.location
    return {
        "location": table_url(root, job.logical_name),
        "partition": partition_url(root, job.logical_name, iteration),
        "format": job.staging_format,
        # The staged customer-engagement job snapshots its DynamoDB campaign table here.
        "campaigns": table_url(root, campaigns_logical(job.logical_name)),
    }
