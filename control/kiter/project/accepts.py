"""What each kind of target runs: engines, modes and where its staged input may live.

One declaration a kind (`Accepts`, set as `accepts` on each [targets.NAME] config class, as
dbt's adapter plugins declare their credentials type), asked by everything that decides where a
job may go: the load-time checks, `Project.target_for` (the runner's way to a target),
`kiter query` (which kinds run ad-hoc HiveQL) and `kiter logs` (which kinds' runs it explains,
known by their submission ids). Adding a kind of target is a config class with its `accepts`
and one line in targetkinds.TARGET_KINDS; nothing here changes, and nothing here imports the model:
the kinds come in as a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

_LOCATIONS = {"s3": "an s3:// URL", "file": "a local folder (a path or a file:// URL)"}


class _Job(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def engine(self) -> str: ...
    @property
    def mode(self) -> str: ...


@dataclass(frozen=True)
class Accepts:
    """What one kind of target runs."""

    label: str  # what it is, in a sentence: "the local Pig engine", "EMR Serverless"
    engines: frozenset[str]
    # Why it cannot run connector mode ("" when it can): it has no Kinesis connector.
    no_connector: str = ""
    # URL schemes of the staging location it can read a staged partition from.
    staging: frozenset[str] = frozenset({"file", "s3"})
    queries: bool = False  # runs ad-hoc HiveQL (`kiter query`)
    submission_prefix: str = ""  # the start of its runs' submission ids, when `kiter logs`
    # explains them ("": it does not)

    def refusal(self, job: _Job, target: str, staging: str, kinds: Mapping[str, Accepts]) -> str:
        """Why target `target` (of this kind) cannot run `job` staged at `staging` ("" when it
        can); `kinds` are every kind's declarations, to say which would."""
        if job.engine not in self.engines:
            others = [kind for kind, accepts in kinds.items() if job.engine in accepts.engines]
            return (
                f"job {job.name} is a {job.engine} job and target {target} is {self.label}, "
                f"which runs {' and '.join(sorted(self.engines))} jobs: point it at a target "
                "with " + " or ".join(f'kind = "{k}"' for k in others)
            )
        if job.mode == "connector" and self.no_connector:
            return (
                f"job {job.name} runs in connector mode, but "
                + self.no_connector.format(target=target)
                + ': set mode = "staged" for it (kiter reads the stream'
                + (" and stages each iteration to S3)" if self.staging == {"s3"} else ")")
            )
        scheme = staging.split("://", 1)[0]
        if job.mode == "staged" and scheme not in self.staging:
            return (
                f"job {job.name} is staged to {staging}, which job runs on {self.label} "
                f"(target {target}) cannot read: set staging.location to "
                + " or ".join(_LOCATIONS[s] for s in sorted(self.staging))
            )
        return ""


def kind_of_submission(submission_id: str, kinds: Mapping[str, Accepts]) -> str | None:
    """The kind of target whose runs are recorded under ids like this one (None: no kind
    `kiter logs` explains)."""
    for kind, accepts in kinds.items():
        if accepts.submission_prefix and submission_id.startswith(accepts.submission_prefix):
            return kind
    return None
