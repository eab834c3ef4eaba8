"""The EMR Serverless target: a Hive script goes to S3, StartJobRun runs it on a HIVE application.

This room speaks the two-phase protocol of `targets/base.py` for job runs, as `targets/emr.py`
does for steps: it finds an active run of an iteration by the tag in its name (any attempt),
uploads the rendered script (same key layout as EMR steps, `emr_s3.py`), starts one job run with
a client token derived from (logical name, iteration, attempt), follows it with backoff, cancels
it on Ctrl-C, and explains a failure from the Hive driver's logs under the run's log URI. It takes
boto3 clients from its caller, knows nothing of the ledger or of rendering, and prints nothing:
progress goes through the injected `Echo`. Pig does not run here (EMR Serverless has no Pig).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kiter import pausepoints
from kiter.aws import error_code, service_error
from kiter.durations import format_duration
from kiter.errors import ConfigError, Interrupted, KiterError, ServiceError, UsageError
from kiter.targets.base import (
    UNWATCHED,
    Abandoned,
    Echo,
    Handle,
    Outcome,
    Script,
    Watch,
    no_echo,
)
from kiter.targets.emr_s3 import StepFiles, split_s3_url
from kiter.targets.polling import (
    THROTTLE_CODES,
    Backoff,
    cancel_quietly,
    checked_poll_seconds,
    only_named,
)
from kiter.targets.steplogs import probable_cause

# The ledger's submission id of a job run: the prefix tells `kiter logs` and `attach` it is one.
SUBMISSION_PREFIX = "emr-serverless:"
# Every state but the ends. CANCELLING is still running: a new run would overlap it.
ACTIVE_STATES = ["SUBMITTED", "PENDING", "SCHEDULED", "QUEUED", "RUNNING", "CANCELLING"]
FAILED_STATES = frozenset({"FAILED", "CANCELLED"})
KNOWN_STATES = frozenset({*ACTIVE_STATES, "SUCCESS", *FAILED_STATES})
LIVE_APPLICATION_STATES = ["CREATING", "CREATED", "STARTING", "STARTED", "STOPPING", "STOPPED"]
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

_SlsError = (ClientError, BotoCoreError)
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


class EmrServerlessTarget:
    """Runs Hive scripts as EMR Serverless job runs on a HIVE application."""

    kind = "emr-serverless"
    detachable = True

    def __init__(
        self,
        name: str,
        *,
        s3: Any,
        emr_serverless: Any,
        application_id: str | None = None,
        application_name: str | None = None,
        execution_role_arn: str,
        script_prefix: str,
        log_uri: str,
        execution_timeout_minutes: int | None = None,
        configuration: Mapping[str, str] | None = None,
        parameters: str = "",
        echo: Echo = no_echo,
        poll_seconds: tuple[float, float] = (15, 30),
        log_wait_seconds: float = 600,
        start_wait_seconds: float = 600,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if bool(application_id) == bool(application_name):
            raise ConfigError(
                "an EMR Serverless target needs application_id or application_name (one of them)",
                where=name,
            )
        self.poll_seconds = checked_poll_seconds(poll_seconds, where=name)
        bucket, prefix = split_s3_url(log_uri, what="log_uri", where=name)
        self.name = name
        self.s3 = s3
        self.sls = emr_serverless
        self._application_id = application_id
        self.application_name = application_name
        self.execution_role_arn = execution_role_arn
        self.log_uri = f"s3://{bucket}/{prefix}".rstrip("/")
        self.execution_timeout_minutes = execution_timeout_minutes
        self.configuration = {k: str(v) for k, v in (configuration or {}).items()}
        self.parameters = check_parameters(parameters, where=name)
        self.echo = echo
        self.log_wait_seconds = log_wait_seconds
        self.start_wait_seconds = start_wait_seconds
        self.clock = clock
        self.sleep = sleep
        longest = self.poll_seconds[1]
        self.files = StepFiles(
            s3, script_prefix, name=name, echo=echo, longest_poll=longest, clock=clock, sleep=sleep
        )

    # -- the application ------------------------------------------------------------------------

    @property
    def application_id(self) -> str:
        """The application's id, looked up once by name among applications not TERMINATED."""
        if self._application_id is None:
            self._application_id = self._find_application(self.application_name or "")
        return self._application_id

    def _find_application(self, wanted: str) -> str:
        try:
            pages = self.sls.get_paginator("list_applications").paginate(
                states=LIVE_APPLICATION_STATES
            )
            apps = [a for page in pages for a in page.get("applications", [])]
        except _SlsError as exc:
            raise service_error(exc, "list EMR Serverless applications") from None
        return only_named(
            [(str(a.get("name")), str(a["id"])) for a in apps],
            wanted,
            many="EMR Serverless applications",
            one="EMR Serverless application",
            listing="applications",
            key="application_id",
            where=self.name,
        )

    def _application(self) -> dict[str, Any]:
        try:
            return dict(self.sls.get_application(applicationId=self.application_id)["application"])
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise ConfigError(
                    f"EMR Serverless has no application {self.application_id}", where=self.name
                ) from None
            raise service_error(exc, f"get application {self.application_id}") from None
        except BotoCoreError as exc:
            raise service_error(exc, f"get application {self.application_id}") from None

    def ensure_started(self) -> None:
        """A HIVE application in STARTED state; a CREATED or STOPPED one is started (progress)."""
        app_id = self.application_id
        backoff = Backoff(*self.poll_seconds, self.sleep)
        deadline = self.clock() + self.start_wait_seconds
        told = ""
        while True:
            app = self._application()
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
                    self._start_application(app_id)
                    self.echo(f"application {app_id} was {state}: starting it")
                else:
                    self.echo(f"application {app_id} is {state}: waiting for it to start")
                told = state
            if self.clock() >= deadline:
                raise ServiceError(
                    f"application {app_id} is still {state} after {self.start_wait_seconds:.0f} s"
                )
            backoff.wait()

    def _start_application(self, app_id: str) -> None:
        try:
            self.sls.start_application(applicationId=app_id)
        except _SlsError as exc:
            raise service_error(exc, f"start application {app_id}") from None

    # -- submit ---------------------------------------------------------------------------------

    def script_url(self, script: Script) -> str:
        return self.files.script_url(script)

    def run_tag(self, script: Script) -> str:
        """The iteration's tag as job run names carry it (shortened to fit the name's limit)."""
        tag = script.tag
        if len(tag) > MAX_NAME_CHARS - 16:
            digest = hashlib.sha256(tag.encode()).hexdigest()[:12]
            tag = f"{tag[: MAX_NAME_CHARS - 32]}~{digest}"
        return tag

    def run_name(self, script: Script) -> str:
        return f"{self.run_tag(script)}:{script.attempt}"

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

    # -- the two-phase protocol ------------------------------------------------------------------

    def find(self, script: Script) -> Handle | None:
        """An active job run of this iteration, whichever attempt started it."""
        tag = self.run_tag(script)
        run_id = self._run_named(lambda name: _tag_of(name) == tag, ACTIVE_STATES)
        return Handle(submission_id(self.application_id, run_id)) if run_id else None

    def attach(self, submission: str) -> Handle | None:
        """The job run an earlier attempt recorded, if this application knows it."""
        ids = split_submission(submission)
        if ids is None or ids[0] != self.application_id:
            return None
        try:
            self.sls.get_job_run(applicationId=ids[0], jobRunId=ids[1])
        except ClientError as exc:
            if error_code(exc) in ("ResourceNotFoundException", "ValidationException"):
                return None
            raise service_error(exc, f"get job run {ids[1]}") from None
        except BotoCoreError as exc:
            raise service_error(exc, f"get job run {ids[1]}") from None
        return Handle(submission)

    def start(self, script: Script, watch: Watch = UNWATCHED) -> Handle:
        """Start the application, upload the script, fence, start its job run; returns once EMR
        Serverless gave the run an id."""
        request = self.job_run_request(script)
        name = request["name"]
        self.ensure_started()
        self.files.upload(script)
        pausepoints.reach("after-upload")
        try:
            run_id = self._start_job_run(request, watch)
        except KeyboardInterrupt:
            # The call may have reached EMR Serverless: a run left behind would run unrecorded.
            raise Interrupted(
                f"interrupted while starting job run {name}; {self._cancel_started(name)}"
            ) from None
        self.echo(f"started job run {run_id} ({name}) on application {self.application_id}")
        return Handle(submission_id(self.application_id, run_id))

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        """Follow the job run to its end; Ctrl-C cancels it and raises Interrupted."""
        _, run_id = self._ids(handle)
        try:
            run, ran = self._poll_until_done(handle, watch)
        except KeyboardInterrupt:
            note = self._cancel_quietly(handle)
            raise Interrupted(f"interrupted while waiting for job run {run_id}; {note}") from None
        self.files.delete_run_copy_at(str(run.get("jobDriver", {}).get("hive", {}).get("query")))
        if run["state"] == "SUCCESS":
            return Outcome(state="SUCCEEDED", submission_id=handle.id)
        try:
            cause = self._explain_run(run, wait_for_logs=True, ran=ran)
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted while fetching the logs of job run {run_id}") from None
        return Outcome(state="FAILED", submission_id=handle.id, cause=cause)

    def cancel(self, handle: Handle | str) -> str:
        """Ask EMR Serverless to cancel the job run; returns what it answered, for the record."""
        app_id, run_id = self._ids(handle)
        try:
            self.sls.cancel_job_run(applicationId=app_id, jobRunId=run_id)
        except _SlsError as exc:
            raise service_error(exc, f"cancel job run {run_id}") from None
        self.echo(f"cancel of job run {run_id}: requested")
        return "CANCELLING"

    # -- start ----------------------------------------------------------------------------------

    def _start_job_run(self, request: dict[str, Any], watch: Watch) -> str:
        name = request["name"]
        for tries in range(1, START_TRIES + 1):
            watch.fence()  # before every try: the backoff between tries may outlast the lease
            try:
                return str(self.sls.start_job_run(**request)["jobRunId"])
            except _SlsError as exc:
                # A call that timed out may have started the run. EMR Serverless answers a repeat
                # of the token with that run, but look first: an emulator may not.
                found = self._run_named(lambda found: found == name, None)
                if found:
                    self.echo(f"starting job run {name} reported an error, but it is {found}")
                    return found
                retryable = (
                    not isinstance(exc, ClientError)
                    or error_code(exc) in RETRYABLE_START_CODES
                    or _status(exc) >= 500
                )
                if not retryable or tries == START_TRIES:
                    raise service_error(
                        exc, f"start job run {name} on application {self.application_id}"
                    ) from None
                self.echo(f"starting job run {name} failed ({exc}); again, with the same token")
                self.sleep(self.poll_seconds[0])
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_named(self, wanted: Callable[[str], bool], states: list[str] | None) -> str:
        """The id of a job run of this application whose name is wanted ('' when none)."""
        kwargs: dict[str, Any] = {"applicationId": self.application_id}
        if states:
            kwargs["states"] = states
        try:
            for page in self.sls.get_paginator("list_job_runs").paginate(**kwargs):
                for run in page.get("jobRuns", []):
                    if wanted(str(run.get("name") or "")):
                        return str(run["id"])
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return ""  # moto's answer for an application without runs; start() checks it
            raise service_error(
                exc, f"list job runs of application {self.application_id}"
            ) from None
        except BotoCoreError as exc:
            raise service_error(
                exc, f"list job runs of application {self.application_id}"
            ) from None
        return ""

    def _cancel_started(self, name: str) -> str:
        try:
            run_id = self._run_named(lambda found: found == name, ACTIVE_STATES)
        except (KiterError, KeyboardInterrupt):
            return f"could not check whether it started: look for job run {name}"
        if not run_id:
            return "EMR Serverless had not started it"
        return self._cancel_quietly(Handle(submission_id(self.application_id, run_id)))

    # -- follow ---------------------------------------------------------------------------------

    def _poll_until_done(self, handle: Handle, watch: Watch) -> tuple[dict[str, Any], bool]:
        """The run once it ended, and whether it was seen RUNNING (it then has logs)."""
        app_id, run_id = self._ids(handle)
        backoff = Backoff(*self.poll_seconds, self.sleep)
        since = told = self.clock()
        last = ""
        ran = False
        while True:
            try:
                run = self._get_job_run(app_id, run_id)
            except ClientError as exc:
                if error_code(exc) not in THROTTLE_CODES:
                    raise service_error(exc, f"get job run {run_id}") from None
                delay = backoff.throttled()
                self.echo(f"EMR Serverless is throttling GetJobRun; next look in {delay:.0f} s")
                backoff.sleep_throttled()
                continue
            state = str(run.get("state", ""))
            ran = ran or state == "RUNNING"
            now = self.clock()
            if state != last:
                was = f" after {format_duration(now - since)} {last}" if last else ""
                odd = "" if state in KNOWN_STATES else " (a state kiter does not know: waiting)"
                self.echo(f"job run {run_id} ({run.get('name', '')}) {state}{was}{odd}")
                last, since, told = state, now, now
            elif now - told >= HEARTBEAT_SECONDS:
                self.echo(f"job run {run_id} still {state}, {format_duration(now - since)} in it")
                told = now
            if state == "SUCCESS" or state in FAILED_STATES:
                return run, ran
            if not watch.held():
                raise Abandoned(handle, f"stopped following job run {run_id}")
            backoff.wait()

    def _get_job_run(self, app_id: str, run_id: str) -> dict[str, Any]:
        try:
            return dict(self.sls.get_job_run(applicationId=app_id, jobRunId=run_id)["jobRun"])
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise ServiceError(
                    f"EMR Serverless knows no job run {run_id} on application {app_id}"
                ) from None
            raise
        except BotoCoreError as exc:
            raise service_error(exc, f"get job run {run_id}") from None

    def _cancel_quietly(self, handle: Handle) -> str:
        return cancel_quietly(lambda: self.cancel(handle), "EMR Serverless")

    # -- explain --------------------------------------------------------------------------------

    def explain(self, submission: str, *, wait_seconds: float = 0) -> str:
        """Why the job run failed, from stateDetails and the Hive driver's logs (`kiter logs`)."""
        app_id, run_id = self._ids(submission)
        try:
            run = self._get_job_run(app_id, run_id)
        except ClientError as exc:
            raise service_error(exc, f"get job run {run_id}") from None
        state = str(run.get("state", ""))
        if state not in FAILED_STATES:
            return f"job run {run_id} is {state}"
        return self._explain_run(
            run, wait_for_logs=wait_seconds > 0, wait_seconds=wait_seconds, ran=True
        )

    def log_url(self, run: Mapping[str, Any]) -> str:
        """s3://.../applications/<app>/jobs/<run>/HIVE_DRIVER/ under the run's own logUri."""
        monitoring = run.get("configurationOverrides", {}).get("monitoringConfiguration", {})
        base = monitoring.get("s3MonitoringConfiguration", {}).get("logUri") or self.log_uri
        base = str(base).rstrip("/")
        return f"{base}/applications/{run['applicationId']}/jobs/{run['jobRunId']}/{DRIVER_FOLDER}/"

    def _explain_run(
        self,
        run: Mapping[str, Any],
        *,
        wait_for_logs: bool,
        ran: bool,
        wait_seconds: float | None = None,
    ) -> str:
        lines = [f"job run {run['jobRunId']} ({run.get('name', '')}) {run.get('state')}"]
        if run.get("stateDetails"):
            lines.append(f"stateDetails: {' '.join(str(run['stateDetails']).split())}")
        url = self.log_url(run)
        # A run cancelled or refused before it ran has no driver logs to wait for.
        started = ran or bool(run.get("startedAt"))
        budget = self.log_wait_seconds if wait_seconds is None else wait_seconds
        wait = budget if wait_for_logs and started else 0
        logs = self.files.fetch_logs(url, wait, names=DRIVER_LOGS, what="Hive driver logs")
        if not logs:
            if wait:
                lines.append(f"Hive driver logs not available after {budget:.0f} s at {url}")
            else:
                lines.append(f"Hive driver logs not (yet) at {url}")
            return "\n".join(lines)
        cause = probable_cause(logs)
        if cause:
            lines.append("probable cause:")
            lines.extend(f"  {line}" for line in cause.splitlines())
        else:
            lines.append("no error lines found in the Hive driver logs")
        lines.append(f"logs: {url}")
        return "\n".join(lines)

    def _ids(self, handle: Handle | str) -> tuple[str, str]:
        submission = handle.id if isinstance(handle, Handle) else handle
        ids = split_submission(submission)
        if ids is None:
            raise UsageError(f"{submission!r} is not an EMR Serverless job run", where=self.name)
        return ids


def _tag_of(run_name: str) -> str:
    """The iteration's tag in a job run name `<tag>:<attempt>`."""
    return run_name.rsplit(":", 1)[0]


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
