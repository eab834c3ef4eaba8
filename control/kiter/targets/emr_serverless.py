"""The EMR Serverless target: a Hive script goes to S3, StartJobRun runs it on a HIVE application.

This room fills in `targets/remote.py`'s skeleton for job runs, as `targets/emr.py` does for
steps: the application found by name and started when it is not, StartJobRun as the start call
with a client token derived from (logical name, iteration, attempt) so that a retry cannot start
a second run, GetJobRun as the look, and a failure explained from the Hive driver's logs under
the run's log URI. The script goes to S3 as for EMR steps (`emr_s3.py`). It takes boto3 clients
from its caller, knows nothing of the ledger or of rendering, and prints nothing: progress goes
through the injected `Echo`. Pig does not run here (EMR Serverless has no Pig).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any, Unpack

from kiter.durations import format_duration
from kiter.errors import ConfigError, ServiceError, UsageError
from kiter.targets.base import Handle, Script
from kiter.targets.emr_api import ServerlessApi
from kiter.targets.emr_s3 import split_s3_url
from kiter.targets.polling import THROTTLE_CODES, Backoff
from kiter.targets.remote import RemoteOptions, RemoteTarget, Run, epoch_of
from kiter.targets.steplogs import cause_lines

# The ledger's submission id of a job run: the prefix tells `kiter logs` and `attach` it is one.
SUBMISSION_PREFIX = "emr-serverless:"
# Every state but the ends. CANCELLING is still running: a new run would overlap it.
ACTIVE_STATES = ["SUBMITTED", "PENDING", "SCHEDULED", "QUEUED", "RUNNING", "CANCELLING"]
FAILED_STATES = frozenset({"FAILED", "CANCELLED"})
KNOWN_STATES = frozenset({*ACTIVE_STATES, "SUCCESS", *FAILED_STATES})
# StartJobRun's limits: the job run's name, and the Hive parameters string.
MAX_NAME_CHARS = 256
MAX_PARAMETERS_CHARS = 102_400
# Errors after which StartJobRun may be sent again with the same client token.
RETRYABLE_START_CODES = THROTTLE_CODES | {"InternalServerException", "ServiceUnavailableException"}
START_TRIES = 3
# Where the Hive driver's logs land under the run's logUri, and which of them to read
# (aws-samples/emr-serverless-samples, examples/hive: .../jobs/<run>/HIVE_DRIVER/stdout.gz).
DRIVER_FOLDER = "HIVE_DRIVER"
DRIVER_LOGS = ("stderr", "stdout")
# Progress says how long a run has been in its state at least this often.
HEARTBEAT_SECONDS = 300

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_PARAMETER = re.compile(r"--(hiveconf|hivevar) +([A-Za-z_][A-Za-z0-9_.:-]*=\S*)")


def submission_id(application_id: str, job_run_id: str) -> str:
    return f"{SUBMISSION_PREFIX}{application_id}/{job_run_id}"


def split_submission(submission: str) -> tuple[str, str] | None:
    """(application id, job run id) of a submission id this target recorded, else None."""
    if not submission.startswith(SUBMISSION_PREFIX):
        return None
    application, _, run = submission[len(SUBMISSION_PREFIX) :].partition("/")
    return (application, run) if application and run else None


def check_parameters(text: str, *, where: str) -> str:
    """Extra Hive parameters: `--hiveconf k=v` and `--hivevar k=v` pairs, nothing else."""
    rest = _PARAMETER.sub("", text).strip()
    if rest:
        raise ConfigError(
            f"parameters must be --hiveconf key=value and --hivevar key=value pairs, "
            f"not {rest.split()[0]!r}",
            where=where,
        )
    return " ".join(text.split())


class EmrServerlessTarget(RemoteTarget):
    """Runs Hive scripts as EMR Serverless job runs on a HIVE application."""

    kind = "emr-serverless"
    service = "EMR Serverless"
    noun = "job run"
    look_call = "GetJobRun"
    starting = "starting job run"
    took_anyway = "starting job run {name} reported an error, but it is {found}"
    unchecked = "could not check whether it started: look for job run {name}"
    not_started = "EMR Serverless had not started it"
    active_states = ACTIVE_STATES
    succeeded = "SUCCESS"
    failed_states = FAILED_STATES
    # EMR Serverless answers a repeat of the token with the run it started, but look first: an
    # emulator may not. A run that already ended counts too.
    taken_states = None
    start_tries = START_TRIES
    heartbeat_seconds = HEARTBEAT_SECONDS

    place = "application"
    live_place = "EMR Serverless application"
    live_listing = "applications"

    def __init__(
        self,
        name: str,
        *,
        emr_serverless: Any,
        execution_role_arn: str,
        log_uri: str,
        application_id: str | None = None,
        application_name: str | None = None,
        execution_timeout_minutes: int | None = None,
        configuration: Mapping[str, str] | None = None,
        parameters: str = "",
        start_wait_seconds: float = 600,
        **remote: Unpack[RemoteOptions],
    ) -> None:
        if bool(application_id) == bool(application_name):
            raise ConfigError(
                "an EMR Serverless target needs application_id or application_name (one of them)",
                where=name,
            )
        super().__init__(name, place_id=application_id, place_name=application_name, **remote)
        bucket, prefix = split_s3_url(log_uri, what="log_uri", where=name)
        self.api = ServerlessApi(emr_serverless)
        self.execution_role_arn = execution_role_arn
        self.log_uri = f"s3://{bucket}/{prefix}".rstrip("/")
        self.execution_timeout_minutes = execution_timeout_minutes
        self.configuration = {k: str(v) for k, v in (configuration or {}).items()}
        self.parameters = check_parameters(parameters, where=name)
        self.start_wait_seconds = start_wait_seconds

    # -- the application ------------------------------------------------------------------------

    @property
    def application_id(self) -> str:
        """The application's id, looked up once by name among applications not TERMINATED."""
        return self.place_id

    def ensure_started(self) -> None:
        """A HIVE application in STARTED state; a CREATED or STOPPED one is started (progress)."""
        app_id = self.application_id
        backoff = Backoff(*self.poll_seconds, self.sleep)
        deadline = self.clock() + self.start_wait_seconds
        told = ""
        while True:
            app = self.api.application(app_id)
            if app is None:
                raise ConfigError(f"EMR Serverless has no application {app_id}", where=self.name)
            kind = str(app.get("type", "")).upper()
            if kind != "HIVE":
                raise ConfigError(
                    f"application {app_id} is of type {kind or 'unknown'}: Hive scripts need a "
                    "HIVE application",
                    where=self.name,
                )
            state = str(app.get("state", ""))
            if state == "STARTED":
                if told:
                    self.echo(f"application {app_id} STARTED")
                return
            if state == "TERMINATED":
                raise ConfigError(f"application {app_id} is TERMINATED", where=self.name)
            if state != told:
                if state in ("CREATED", "STOPPED"):
                    self.api.start_application(app_id)
                    self.echo(f"application {app_id} was {state}: starting it")
                else:
                    self.echo(f"application {app_id} is {state}: waiting for it to start")
                told = state
            if self.clock() >= deadline:
                raise ServiceError(
                    f"application {app_id} is still {state} after {self.start_wait_seconds:.0f} s"
                )
            backoff.wait()

    # -- the job run's request ------------------------------------------------------------------

    def run_tag(self, script: Script) -> str:
        """The iteration's tag as job run names carry it (shortened to fit the name's limit)."""
        tag = script.tag
        if len(tag) > MAX_NAME_CHARS - 16:
            digest = hashlib.sha256(tag.encode()).hexdigest()[:12]
            tag = f"{tag[: MAX_NAME_CHARS - 32]}~{digest}"
        return tag

    def client_token(self, script: Script) -> str:
        """The same for every call that starts this attempt of this iteration; new per attempt."""
        key = f"{script.logical_name}\0{script.iteration}\0{script.attempt}"
        return "kiter-" + hashlib.sha256(key.encode()).hexdigest()[:40]

    def hive_parameters(self, script: Script) -> str:
        """The target's extra parameters, then the script's variables as --hivevar."""
        parts = [self.parameters] if self.parameters else []
        for key, value in script.variables.items():
            if not _VARIABLE.fullmatch(key):
                raise UsageError(f"Hive variable {key!r} is not a name", where=self.name)
            if re.search(r"\s", value):
                raise UsageError(
                    f"Hive variable {key} holds white space, which EMR Serverless cannot pass "
                    "(its Hive parameters are one space-separated string)",
                    where=self.name,
                )
            parts.append(f"--hivevar {key}={value}")
        text = " ".join(parts)
        if len(text) > MAX_PARAMETERS_CHARS:
            raise UsageError(
                f"Hive parameters are {len(text)} characters; EMR Serverless allows "
                f"{MAX_PARAMETERS_CHARS}",
                where=self.name,
            )
        return text

    def job_run_request(self, script: Script) -> dict[str, Any]:
        """StartJobRun's arguments for this attempt of the script's iteration."""
        hive: dict[str, str] = {"query": self.script_url(script)}
        parameters = self.hive_parameters(script)
        if parameters:
            hive["parameters"] = parameters
        overrides: dict[str, Any] = {
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": self.log_uri + "/"}}
        }
        if self.configuration:
            overrides["applicationConfiguration"] = [
                {"classification": "hive-site", "properties": dict(self.configuration)}
            ]
        request: dict[str, Any] = {
            "applicationId": self.application_id,
            "clientToken": self.client_token(script),
            "executionRoleArn": self.execution_role_arn,
            "name": self.run_name(script),
            "jobDriver": {"hive": hive},
            "configurationOverrides": overrides,
        }
        if self.execution_timeout_minutes is not None:
            request["executionTimeoutMinutes"] = self.execution_timeout_minutes
        return request

    # -- the protocol's own parts ---------------------------------------------------------------

    def attach(self, submission: str) -> Handle | None:
        """The job run an earlier attempt recorded, if this application knows it."""
        ids = split_submission(submission)
        if ids is None or ids[0] != self.application_id:
            return None
        try:
            run = self.api.job_run(*ids)
        except ServiceError as exc:
            if exc.code == "ValidationException":
                return None
            raise
        return Handle(submission) if run is not None else None

    def cancel(self, handle: Handle | str) -> str:
        """Ask EMR Serverless to cancel the job run; returns what it answered, for the record."""
        app_id, run_id = self._ids(handle)
        self.api.cancel_job_run(app_id, run_id)
        self.echo(f"cancel of job run {run_id}: requested")
        return "CANCELLING"

    def log_url(self, run: Mapping[str, Any]) -> str:
        """s3://.../applications/<app>/jobs/<run>/HIVE_DRIVER/ under the run's own logUri."""
        monitoring = run.get("configurationOverrides", {}).get("monitoringConfiguration", {})
        base = monitoring.get("s3MonitoringConfiguration", {}).get("logUri") or self.log_uri
        base = str(base).rstrip("/")
        return f"{base}/applications/{run['applicationId']}/jobs/{run['jobRunId']}/{DRIVER_FOLDER}/"

    # -- the skeleton's parts, for job runs ------------------------------------------------------

    def _live_places(self) -> list[tuple[str, str]]:
        return self.api.live_applications()

    def _listed(self, states: list[str] | None) -> Iterator[tuple[str, str]]:
        for run in self.api.job_runs(self.application_id, states):
            yield str(run.get("name") or ""), str(run["id"])

    def _handle(self, run_id: str) -> Handle:
        return Handle(submission_id(self.application_id, run_id))

    def _run_id(self, handle: Handle | str) -> str:
        return self._ids(handle)[1]

    def _look(self, handle: Handle | str) -> Run:
        app_id, run_id = self._ids(handle)
        run = self.api.job_run(app_id, run_id)
        if run is None:
            raise ServiceError(f"EMR Serverless knows no job run {run_id} on application {app_id}")
        return run

    def _state(self, run: Run) -> str:
        return str(run.get("state", ""))

    def _request(self, script: Script) -> dict[str, Any]:
        return self.job_run_request(script)  # Hive only: project.accepts refused the rest

    def _ready(self) -> None:
        self.ensure_started()

    def _start_call(self, request: dict[str, Any]) -> str:
        return self.api.start_job_run(request)

    def _may_start_again(self, error: ServiceError) -> bool:
        # No answer at all (a timeout), a throttle or a server error.
        return error.status == 0 or error.code in RETRYABLE_START_CODES or error.status >= 500

    def _started(self, run_id: str, name: str) -> str:
        return f"started job run {run_id} ({name}) on application {self.application_id}"

    def _state_line(self, run: Run, state: str, last: str, in_last: float, age: float) -> str:
        was = f" after {format_duration(in_last)} {last}" if last else ""
        odd = "" if state in KNOWN_STATES else " (a state kiter does not know: waiting)"
        return f"job run {run['jobRunId']} ({run.get('name', '')}) {state}{was}{odd}"

    def _script_url_of(self, run: Run) -> str:
        return str(run.get("jobDriver", {}).get("hive", {}).get("query"))

    def _since(self, run: Run, state: str) -> float | None:
        # GetJobRun gives createdAt and updatedAt (the last change, a state change as a rule)
        # and, once it ran, startedAt: the closest it comes to when the state was entered.
        if state == "SUBMITTED":
            return epoch_of(run.get("createdAt"))
        if state == "RUNNING" and run.get("startedAt"):
            return epoch_of(run.get("startedAt"))
        return epoch_of(run.get("updatedAt") or run.get("createdAt"))

    def _detail(self, run: Run) -> str:
        # No console page can be named from the ids alone (a job run's page is in an EMR
        # Studio, whose id GetJobRun does not give): the line names the application instead.
        details = " ".join(str(run.get("stateDetails") or "").split())
        where = f"application {run.get('applicationId', self.application_id)}"
        return f"{where}: {details}" if details else where

    def _explain(
        self, run: Run, *, wait_for_logs: bool, seen_running: bool, wait_seconds: float | None
    ) -> str:
        lines = [f"job run {run['jobRunId']} ({run.get('name', '')}) {run.get('state')}"]
        if run.get("stateDetails"):
            lines.append(f"stateDetails: {' '.join(str(run['stateDetails']).split())}")
        url = self.log_url(run)
        logs, budget, waited = self.files.run_logs(
            url,
            ran=seen_running or bool(run.get("startedAt")),
            wait_for_logs=wait_for_logs,
            wait_seconds=wait_seconds,
            names=DRIVER_LOGS,
            what="Hive driver logs",
        )
        if not logs:
            if waited and budget:
                lines.append(f"Hive driver logs not available after {budget:.0f} s at {url}")
            else:
                lines.append(f"Hive driver logs not (yet) at {url}")
            return "\n".join(lines)
        lines += cause_lines(logs) or ["no error lines found in the Hive driver logs"]
        lines.append(f"logs: {url}")
        return "\n".join(lines)

    def _ids(self, handle: Handle | str) -> tuple[str, str]:
        submission = handle.id if isinstance(handle, Handle) else handle
        ids = split_submission(submission)
        if ids is None:
            raise UsageError(f"{submission!r} is not an EMR Serverless job run", where=self.name)
        return ids
