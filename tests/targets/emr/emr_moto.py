"""moto-side helpers for the EMR target tests: a step-state driver, the cluster.

moto 5.2.5 leaves steps RUNNING/PENDING forever, never reports FailureDetails and has no
cancel_steps (FACTS.md §4). `StepDriver` moves step states through moto's backend; it reads moto
internals (`emr_backends[...].clusters[id].steps`, `Step.state`, `Step.status`, `Step.start()`), so
it is pinned to moto 5.2.5 (this module refuses to load on another).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import Step, emr_backends

import kiter_support as support
from kiter_support import LOG_BUCKET, REGION, SCRIPT_BUCKET, FakeTime

support.require_moto("5.2.5", "StepDriver")

__all__ = ["LOG_BUCKET", "SCRIPT_BUCKET", "FakeTime", "StepDriver", "start_cluster"]


class _FailedStep(Step):
    """A moto Step whose DescribeStep answer carries FailureDetails, as real EMR's does."""

    # moto's model metaclass files classes under the service named by their module.
    __module__ = "moto.emr.models"
    failure_details: dict[str, str] | None = None

    @property
    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = Step.status.fget(self)  # type: ignore[attr-defined]
        if self.failure_details:
            status["FailureDetails"] = self.failure_details
        return status


@dataclass
class StepDriver:
    """Moves moto's EMR steps to the states real EMR would report."""

    cluster_id: str

    def step(self, step_id: str) -> Step:
        cluster = emr_backends[DEFAULT_ACCOUNT_ID][REGION].clusters[self.cluster_id]
        for step in cluster.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def set_state(self, step_id: str, state: str, *, failure: dict[str, str] | None = None) -> None:
        step = self.step(step_id)
        if state != "CANCELLED" and step.start_date_time is None:
            step.start()
        step.state = state
        if failure is not None:
            step.__class__ = _FailedStep
            step.failure_details = failure  # type: ignore[attr-defined]


def start_cluster(emr: Any, name: str, *, log_uri: str | None = f"s3n://{LOG_BUCKET}/emr/") -> str:
    """A WAITING moto cluster that stays alive without steps (LogUri in EMR's s3n:// form)."""
    return support.start_cluster(emr, name, log_uri=log_uri)
