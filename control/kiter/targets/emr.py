"""The EMR steps target: a script goes to S3, a command-runner.jar step runs it on a live cluster.

This room speaks the two-phase protocol of `targets/base.py`: it finds an active step of an
iteration by the tag in its name (any attempt), uploads the rendered script and adds one step,
follows it with backoff, cancels it on Ctrl-C, and explains a failure from the step logs EMR
pushes to the cluster's LogUri. It takes boto3 clients from its caller, knows nothing of the ledger
or of rendering, and prints nothing: progress goes through the injected `Echo`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
from kiter.targets.emr_s3 import StepFiles
from kiter.targets.polling import (
    THROTTLE_CODES,
    Backoff,
    cancel_quietly,
    checked_poll_seconds,
    only_named,
)
from kiter.targets.steplogs import probable_cause

ACTIVE_STATES = ["PENDING", "RUNNING"]
FAILED_STATES = frozenset({"FAILED", "CANCELLED", "INTERRUPTED"})
# AddJobFlowSteps refuses more than this many characters of step arguments in all.
MAX_ARGS_CHARS = 10_240

_EmrError = (ClientError, BotoCoreError)


class EmrTarget:
    """Runs Hive and Pig scripts as EMR steps through command-runner.jar."""

    kind = "emr"
    detachable = True

    def __init__(
        self,
        name: str,
        *,
        s3: Any,
        emr: Any,
        cluster_id: str | None = None,
        cluster_name: str | None = None,
        script_prefix: str,
        action_on_failure: str = "CONTINUE",
        echo: Echo = no_echo,
        poll_seconds: tuple[float, float] = (15, 30),
        log_wait_seconds: float = 600,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not cluster_id and not cluster_name:
            raise ConfigError("an EMR target needs cluster_id or cluster_name", where=name)
        if cluster_id and cluster_name:
            raise ConfigError("give cluster_id or cluster_name, not both", where=name)
        self.poll_seconds = checked_poll_seconds(poll_seconds, where=name)
        self.name = name
        self.s3 = s3
        self.emr = emr
        self._cluster_id = cluster_id
        self.cluster_name = cluster_name
        self.action_on_failure = action_on_failure
        self.echo = echo
        self.log_wait_seconds = log_wait_seconds
        self.clock = clock
        self.sleep = sleep
        self.files = StepFiles(
            s3,
            script_prefix,
            name=name,
            echo=echo,
            longest_poll=self.poll_seconds[1],
            clock=clock,
            sleep=sleep,
        )

    # -- the cluster ----------------------------------------------------------------------------

    @property
    def cluster_id(self) -> str:
        """The cluster's id, looked up once by name among RUNNING/WAITING clusters if need be."""
        if self._cluster_id is None:
            self._cluster_id = self._find_cluster(self.cluster_name or "")
        return self._cluster_id

    def _find_cluster(self, wanted: str) -> str:
        try:
            pages = self.emr.get_paginator("list_clusters").paginate(
                ClusterStates=["RUNNING", "WAITING"]
            )
            clusters = [c for page in pages for c in page.get("Clusters", [])]
        except _EmrError as exc:
            raise service_error(exc, "list EMR clusters") from None
        return only_named(
            [(str(c.get("Name")), str(c["Id"])) for c in clusters],
            wanted,
            many="RUNNING/WAITING EMR clusters",
            one="RUNNING/WAITING EMR cluster",
            listing="live clusters",
            key="cluster_id",
            where=self.name,
        )

    # -- submit ---------------------------------------------------------------------------------

    def script_url(self, script: Script) -> str:
        return self.files.script_url(script)

    def step_name(self, script: Script) -> str:
        return f"{script.tag}:{script.attempt}"

    def step_args(self, script: Script) -> list[str]:
        """command-runner.jar arguments: the script from S3, variables as -d (Hive) or -p (Pig)."""
        url = self.script_url(script)
        if script.engine == "hive":
            args = ["hive-script", "--run-hive-script", "--args", "-f", url]
            flag = "-d"
        else:
            args = ["pig-script", "--run-pig-script", "--args", "-f", url]
            flag = "-p"
        if script.engine == "hive":
            values = [f"{key}={value}" for key, value in script.variables.items()]
        else:
            values = script.pig_parameters()
        for value in values:
            args += [flag, value]
        return args

    # -- the two-phase protocol ------------------------------------------------------------------

    def find(self, script: Script) -> Handle | None:
        """A PENDING/RUNNING step of this iteration, whichever attempt added it."""
        step_id = self._active_step(lambda name: _tag_of(name) == script.tag)
        return Handle(step_id) if step_id else None

    def attach(self, submission_id: str) -> Handle | None:
        """The step an earlier attempt recorded, if this cluster knows it."""
        if not submission_id.startswith("s-"):
            return None
        try:
            step = self.emr.describe_step(ClusterId=self.cluster_id, StepId=submission_id)
        except _EmrError as exc:
            if error_code(exc) == "InvalidRequestException":
                return None  # not a step of this cluster
            raise service_error(exc, f"describe step {submission_id}") from None
        return Handle(submission_id) if step.get("Step") else None

    def start(self, script: Script, watch: Watch = UNWATCHED) -> Handle:
        """Upload the script, fence, add its step; returns once EMR has given the step an id."""
        name = self.step_name(script)
        args = self.step_args(script)
        size = sum(len(a) for a in args)
        if size > MAX_ARGS_CHARS:
            raise UsageError(
                f"step arguments are {size} characters; EMR allows {MAX_ARGS_CHARS} "
                "(pass fewer or shorter variables)",
                where=name,
            )
        self.files.upload(script)
        pausepoints.reach("after-upload")
        watch.fence()
        try:
            step_id = self._add_step(name, args)
        except KeyboardInterrupt:
            # The call may have reached EMR: a step left behind would run unrecorded.
            raise Interrupted(
                f"interrupted while adding step {name}; {self._cancel_added(name)}"
            ) from None
        self.echo(f"added step {step_id} ({name}) to cluster {self.cluster_id}")
        return Handle(step_id)

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        """Follow the step to its end; Ctrl-C cancels it on EMR and raises Interrupted."""
        step_id = handle.id
        try:
            step = self._poll_until_done(step_id, watch)
        except KeyboardInterrupt:
            note = self._cancel_quietly(step_id)
            raise Interrupted(f"interrupted while waiting for step {step_id}; {note}") from None
        self.files.delete_run_copy(step)
        state = step["Status"]["State"]
        if state == "COMPLETED":
            return Outcome(state="SUCCEEDED", submission_id=step_id)
        try:
            cause = self._explain_step(step, wait_for_logs=True)
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted while fetching the logs of step {step_id}") from None
        return Outcome(state="FAILED", submission_id=step_id, cause=cause)

    def _cancel_added(self, name: str) -> str:
        try:
            step_id = self._active_step(lambda found: found == name)
        except (KiterError, KeyboardInterrupt):
            return f"could not check whether EMR added it: look for step {name}"
        return self._cancel_quietly(step_id) if step_id else "EMR had not added it"

    def _active_step(self, wanted: Callable[[str], bool]) -> str:
        """The id of a PENDING/RUNNING step of this cluster whose name is wanted ('' when none)."""
        try:
            pages = self.emr.get_paginator("list_steps").paginate(
                ClusterId=self.cluster_id, StepStates=ACTIVE_STATES
            )
            for page in pages:
                for step in page.get("Steps", []):
                    if wanted(str(step.get("Name", ""))):
                        return str(step["Id"])
        except _EmrError as exc:
            raise service_error(exc, f"list steps of cluster {self.cluster_id}") from None
        return ""

    def _add_step(self, name: str, args: list[str]) -> str:
        step = {
            "Name": name,
            "ActionOnFailure": self.action_on_failure,
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
        }
        try:
            response = self.emr.add_job_flow_steps(JobFlowId=self.cluster_id, Steps=[step])
        except _EmrError as exc:
            # AddJobFlowSteps has no client token: a call that timed out may still have added
            # the step, and a second call would run the script twice.
            found = self._active_step(lambda found: found == name)
            if found:
                self.echo(f"adding step {name} reported an error, but EMR has it as {found}")
                return found
            raise service_error(exc, f"add step {name} to cluster {self.cluster_id}") from None
        return str(response["StepIds"][0])

    # -- follow ---------------------------------------------------------------------------------

    def _poll_until_done(self, step_id: str, watch: Watch) -> dict[str, Any]:
        backoff = Backoff(*self.poll_seconds, self.sleep)
        started = self.clock()
        last_state = ""
        while True:
            try:
                step = self._describe_step(step_id)
            except ClientError as exc:
                if error_code(exc) not in THROTTLE_CODES:
                    raise service_error(exc, f"describe step {step_id}") from None
                delay = backoff.throttled()
                self.echo(f"EMR is throttling DescribeStep; next look in {delay:.0f} s")
                backoff.sleep_throttled()
                continue
            state = str(step["Status"]["State"])
            if state != last_state:
                elapsed = format_duration(self.clock() - started)
                self.echo(f"step {step_id} ({step.get('Name', '')}) {state} after {elapsed}")
                last_state = state
            if state == "COMPLETED" or state in FAILED_STATES:
                return step
            if not watch.held():
                raise Abandoned(Handle(step_id), f"stopped following step {step_id}")
            backoff.wait()

    def _describe_step(self, step_id: str) -> dict[str, Any]:
        try:
            step = self.emr.describe_step(ClusterId=self.cluster_id, StepId=step_id).get("Step")
        except BotoCoreError as exc:
            raise service_error(exc, f"describe step {step_id}") from None
        if not step:
            raise ServiceError(f"EMR knows no step {step_id} on cluster {self.cluster_id}")
        return dict(step)

    # -- cancel ---------------------------------------------------------------------------------

    def cancel(self, handle: Handle | str) -> str:
        """Ask EMR to interrupt the step; returns EMR's answer ('SUBMITTED' or 'FAILED: reason')."""
        step_id = handle.id if isinstance(handle, Handle) else handle
        try:
            response = self.emr.cancel_steps(
                ClusterId=self.cluster_id,
                StepIds=[step_id],
                StepCancellationOption="SEND_INTERRUPT",
            )
        except _EmrError as exc:
            raise service_error(exc, f"cancel step {step_id}") from None
        infos = response.get("CancelStepsInfoList", [])
        info = next((i for i in infos if i.get("StepId") == step_id), infos[0] if infos else {})
        status = str(info.get("Status", "UNKNOWN"))
        reason = info.get("Reason")
        answer = f"{status}: {reason}" if reason and status != "SUBMITTED" else status
        self.echo(f"cancel of step {step_id}: {answer}")
        return answer

    def _cancel_quietly(self, step_id: str) -> str:
        return cancel_quietly(lambda: self.cancel(step_id), "EMR")

    # -- explain --------------------------------------------------------------------------------

    def explain(self, step_id: str, *, wait_seconds: float = 0) -> str:
        """Why the step failed, from FailureDetails and its logs (for `kiter logs`)."""
        step = self._describe_step(step_id)
        state = step["Status"]["State"]
        if state not in FAILED_STATES:
            return f"step {step_id} is {state}"
        return self._explain_step(step, wait_for_logs=wait_seconds > 0, wait_seconds=wait_seconds)

    def log_url(self, step_id: str) -> str | None:
        """s3://.../<cluster-id>/steps/<step-id>/ where EMR pushes step logs (None: no LogUri)."""
        try:
            cluster = self.emr.describe_cluster(ClusterId=self.cluster_id)["Cluster"]
        except _EmrError as exc:
            raise service_error(exc, f"describe cluster {self.cluster_id}") from None
        log_uri = cluster.get("LogUri")
        if not log_uri:
            return None
        # EMR reports LogUri as given at creation, often s3n://.
        base = "s3://" + str(log_uri).split("://", 1)[-1].rstrip("/")
        return f"{base}/{self.cluster_id}/steps/{step_id}/"

    def _explain_step(
        self, step: dict[str, Any], *, wait_for_logs: bool, wait_seconds: float | None = None
    ) -> str:
        step_id = str(step["Id"])
        status = step["Status"]
        lines = [f"step {step_id} ({step.get('Name', '')}) {status['State']}"]
        details = status.get("FailureDetails") or {}
        for key in ("Reason", "Message", "LogFile"):
            if details.get(key):
                lines.append(f"{key}: {details[key]}")
        url = self.log_url(step_id)
        if url is None:
            lines.append(
                f"step logs are unavailable: cluster {self.cluster_id} was created without LogUri"
            )
            return "\n".join(lines)
        # A step cancelled before it started has no logs to wait for.
        started = bool(status.get("Timeline", {}).get("StartDateTime"))
        budget = self.log_wait_seconds if wait_seconds is None else wait_seconds
        logs = self.files.fetch_logs(url, budget if wait_for_logs and started else 0)
        if not logs:
            if wait_for_logs and started:
                lines.append(f"step logs not available after {budget:.0f} s at {url}")
            else:
                lines.append(f"step logs not (yet) at {url}; EMR pushes them about every 5 minutes")
            return "\n".join(lines)
        cause = probable_cause(logs)
        if cause:
            lines.append("probable cause:")
            lines.extend(f"  {line}" for line in cause.splitlines())
        else:
            lines.append(f"no error lines found in the step logs; read them at {url}")
        return "\n".join(lines)


def _tag_of(step_name: str) -> str:
    """The iteration's tag in a step name `<tag>:<attempt>`."""
    return step_name.rsplit(":", 1)[0]
