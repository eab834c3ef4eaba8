"""The EMR and EMR Serverless API calls kiter makes: a method per call over a botocore client.

As chalice's `awsclient.py` does for its services, this room only holds the calls the remote
targets need, each under a plain verb (a paginated listing is one verb that yields), and turns
botocore's errors into kiter's in one place (`_Api._call`, through `kiter.aws.service_error`: the
action in words, then AWS's code and message; the code and HTTP status stay on the error for the
caller that acts on them). An answer that only says "there is no such thing" comes back as None.
It does not wait, retry, decide or print: that is the targets' job (`targets/remote.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kiter.aws import service_error
from kiter.errors import ServiceError

CLUSTER_LIVE_STATES = ["RUNNING", "WAITING"]
APPLICATION_LIVE_STATES = ["CREATING", "CREATED", "STARTING", "STARTED", "STOPPING", "STOPPED"]
NOT_FOUND = "ResourceNotFoundException"

_AwsError = (ClientError, BotoCoreError)


class _Api:
    """A botocore client whose every call fails as a kiter ServiceError naming the action."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _call(self, action: str, call: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(call(**kwargs))
        except _AwsError as exc:
            # Chained: a retry's progress line quotes botocore's own words (`__cause__`).
            raise service_error(exc, action) from exc

    def _found(self, action: str, call: Callable[..., Any], **kwargs: Any) -> dict[str, Any] | None:
        """As `_call`, but None where AWS answers that there is no such thing."""
        try:
            return self._call(action, call, **kwargs)
        except ServiceError as exc:
            if exc.code == NOT_FOUND:
                return None
            raise

    def _listed(self, action: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """The items under `key` of every page, fetched as the caller reads on."""
        try:
            for page in self.client.get_paginator(operation).paginate(**kwargs):
                yield from page.get(key, [])
        except _AwsError as exc:
            raise service_error(exc, action) from exc


class EmrApi(_Api):
    """EMR on EC2: clusters and their steps."""

    def live_clusters(self) -> list[tuple[str, str]]:
        """(name, id) of every RUNNING or WAITING cluster."""
        clusters = self._listed(
            "list EMR clusters", "list_clusters", "Clusters", ClusterStates=CLUSTER_LIVE_STATES
        )
        return [(str(c.get("Name")), str(c["Id"])) for c in clusters]

    def cluster(self, cluster_id: str) -> dict[str, Any]:
        call = self.client.describe_cluster
        answer = self._call(f"describe cluster {cluster_id}", call, ClusterId=cluster_id)
        return dict(answer["Cluster"])

    def steps(self, cluster_id: str, states: list[str] | None) -> Iterator[dict[str, Any]]:
        """The cluster's steps, in `states` when given, newest first."""
        action = f"list steps of cluster {cluster_id}"
        having = {"StepStates": states} if states else {}
        yield from self._listed(action, "list_steps", "Steps", ClusterId=cluster_id, **having)

    def step(self, cluster_id: str, step_id: str) -> dict[str, Any] | None:
        """The step as DescribeStep tells it (None when the answer holds no step)."""
        call = self.client.describe_step
        answer = self._call(f"describe step {step_id}", call, ClusterId=cluster_id, StepId=step_id)
        step = answer.get("Step")
        return dict(step) if step else None

    def add_step(self, cluster_id: str, step: dict[str, Any]) -> str:
        """Adds one step; returns its id."""
        action = f"add step {step['Name']} to cluster {cluster_id}"
        answer = self._call(
            action, self.client.add_job_flow_steps, JobFlowId=cluster_id, Steps=[step]
        )
        return str(answer["StepIds"][0])

    def cancel_step(self, cluster_id: str, step_id: str) -> dict[str, Any]:
        """EMR's answer about this step: {"Status": "SUBMITTED" | "FAILED", "Reason": ...}."""
        answer = self._call(
            f"cancel step {step_id}",
            self.client.cancel_steps,
            ClusterId=cluster_id,
            StepIds=[step_id],
            StepCancellationOption="SEND_INTERRUPT",
        )
        infos = answer.get("CancelStepsInfoList", [])
        return dict(
            next((i for i in infos if i.get("StepId") == step_id), infos[0] if infos else {})
        )


class ServerlessApi(_Api):
    """EMR Serverless: applications and their job runs."""

    def live_applications(self) -> list[tuple[str, str]]:
        """(name, id) of every application not TERMINATED."""
        apps = self._listed(
            "list EMR Serverless applications",
            "list_applications",
            "applications",
            states=APPLICATION_LIVE_STATES,
        )
        return [(str(a.get("name")), str(a["id"])) for a in apps]

    def application(self, app_id: str) -> dict[str, Any] | None:
        """The application (None when EMR Serverless has none by this id)."""
        call = self.client.get_application
        answer = self._found(f"get application {app_id}", call, applicationId=app_id)
        return None if answer is None else dict(answer["application"])

    def start_application(self, app_id: str) -> None:
        call = self.client.start_application
        self._call(f"start application {app_id}", call, applicationId=app_id)

    def job_runs(self, app_id: str, states: list[str] | None) -> Iterator[dict[str, Any]]:
        """The application's job runs, in `states` when given, newest first."""
        action = f"list job runs of application {app_id}"
        having = {"states": states} if states else {}
        try:
            yield from self._listed(
                action, "list_job_runs", "jobRuns", applicationId=app_id, **having
            )
        except ServiceError as exc:
            # moto's answer for an application without runs; a missing application is found
            # out by the target before it starts anything.
            if exc.code != NOT_FOUND:
                raise

    def job_run(self, app_id: str, run_id: str) -> dict[str, Any] | None:
        """The job run (None when the application knows no such run)."""
        call = self.client.get_job_run
        answer = self._found(f"get job run {run_id}", call, applicationId=app_id, jobRunId=run_id)
        return None if answer is None else dict(answer["jobRun"])

    def start_job_run(self, request: dict[str, Any]) -> str:
        """Starts one job run; returns its id."""
        action = f"start job run {request['name']} on application {request['applicationId']}"
        return str(self._call(action, self.client.start_job_run, **request)["jobRunId"])

    def cancel_job_run(self, app_id: str, run_id: str) -> None:
        call = self.client.cancel_job_run
        self._call(f"cancel job run {run_id}", call, applicationId=app_id, jobRunId=run_id)
