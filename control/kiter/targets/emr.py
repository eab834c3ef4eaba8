"""The EMR steps target: a script goes to S3, a command-runner.jar step runs it on a live cluster.

This room fills in `targets/remote.py`'s skeleton for steps: the cluster found by name, the
command-runner.jar arguments (variables as Hive's -d or Pig's -p), AddJobFlowSteps as the start
call, DescribeStep as the look, CancelSteps, and a failure explained from FailureDetails and the
step logs EMR pushes to the cluster's LogUri. Streaming and jar jobs run as the steps
`targets/emrhadoop.py` builds; their output is replaced right before the step is added and read
back as rows once it succeeded. It takes boto3 clients from its caller, knows nothing of the
ledger or of rendering, and prints nothing: progress goes through the injected `Echo`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Unpack

from kiter.durations import format_duration
from kiter.errors import ConfigError, ServiceError, UsageError
from kiter.targets.base import Handle, Outcome, Script
from kiter.targets.emr_api import EmrApi
from kiter.targets.emr_s3 import RUN_COPY_FOLDER, split_s3_url
from kiter.targets.emrhadoop import (
    application_numbers,
    hadoop_step,
    step_output,
    step_programs,
    task_failure,
    task_log_folders,
)
from kiter.targets.partrows import ROWS_SHOWN, UnreadablePart, columns_of, part_rows
from kiter.targets.remote import RemoteOptions, RemoteTarget, Run, epoch_of
from kiter.targets.steplogs import cause_lines

# A step being cancelled still runs: a new step of its iteration would overlap it, and a rerun
# would empty the output it may still be writing. Found, it is followed to its end.
ACTIVE_STATES = ["PENDING", "RUNNING", "CANCEL_PENDING"]
TO_RUN_STATES = ["PENDING", "RUNNING"]
FAILED_STATES = frozenset({"FAILED", "CANCELLED", "INTERRUPTED"})
# AddJobFlowSteps refuses more than this many characters of step arguments in all.
MAX_ARGS_CHARS = 10_240


def emr_console_link(region: str, cluster_id: str) -> str:
    """The EMR console's page of a cluster (the form Airflow's EmrClusterLink builds)."""
    return (
        f"https://{region}.console.aws.amazon.com/emr/home"
        f"?region={region}#/clusterDetails/{cluster_id}"
    )


def _output_clash(output: str, scripts: str) -> str | None:
    """What an output (`bucket/key/`, "" for a whole bucket) a rerun empties would take with it:
    a bucket, the scripts (`bucket/prefix/`), or the attempt's own programs, uploaded first."""
    if not output:
        return "is a whole bucket"
    if scripts.startswith(output):
        return f"holds script_prefix s3://{scripts}"
    if output.startswith(scripts):
        return f"is inside script_prefix s3://{scripts}"
    return None


class EmrTarget(RemoteTarget):
    """Runs Hive and Pig scripts as EMR steps through command-runner.jar, streaming jobs through
    its hadoop-streaming, and jar jobs as custom JAR steps."""

    kind = "emr"
    service = "EMR"
    noun = "step"
    look_call = "DescribeStep"
    starting = "adding step"
    took_anyway = "adding step {name} reported an error, but EMR has it as {found}"
    unchecked = "could not check whether EMR added it: look for step {name}"
    not_started = "EMR had not added it"
    active_states = ACTIVE_STATES
    succeeded = "COMPLETED"
    failed_states = FAILED_STATES
    # AddJobFlowSteps has no client token: a call that timed out may still have added the step,
    # and a second call would run the script twice. Only a step still to run counts as added.
    taken_states = TO_RUN_STATES
    start_tries = 1

    place = "cluster"
    live_place = "RUNNING/WAITING EMR cluster"
    live_listing = "live clusters"

    def __init__(
        self,
        name: str,
        *,
        emr: Any,
        cluster_id: str | None = None,
        cluster_name: str | None = None,
        action_on_failure: str = "CONTINUE",
        workdir: Path | None = None,
        **remote: Unpack[RemoteOptions],
    ) -> None:
        if not cluster_id and not cluster_name:
            raise ConfigError("an EMR target needs cluster_id or cluster_name", where=name)
        if cluster_id and cluster_name:
            raise ConfigError("give cluster_id or cluster_name, not both", where=name)
        super().__init__(name, place_id=cluster_id, place_name=cluster_name, **remote)
        self.api = EmrApi(emr)
        self.action_on_failure = action_on_failure
        # The project folder: the files a streaming or jar step needs keep their path in it.
        self.files.workdir = workdir

    @property
    def cluster_id(self) -> str:
        """The cluster's id, looked up once by name among RUNNING/WAITING clusters if need be."""
        return self.place_id

    def step_args(self, script: Script) -> list[str]:
        """command-runner.jar arguments: the script from S3, variables as -d (Hive) or -p (Pig)."""
        url = self.script_url(script)
        if script.engine == "hive":
            args = ["hive-script", "--run-hive-script", "--args", "-f", url]
            flag = "-d"
            values = [f"{key}={value}" for key, value in script.variables.items()]
        else:
            args = ["pig-script", "--run-pig-script", "--args", "-f", url]
            flag = "-p"
            values = script.pig_parameters()
        for value in values:
            args += [flag, value]
        return args

    # -- the protocol's own parts ---------------------------------------------------------------

    def attach(self, submission_id: str) -> Handle | None:
        """The step an earlier attempt recorded, if this cluster knows it."""
        if not submission_id.startswith("s-"):
            return None
        try:
            step = self.api.step(self.cluster_id, submission_id)
        except ServiceError as exc:
            if exc.code == "InvalidRequestException":
                return None  # not a step of this cluster
            raise
        return Handle(submission_id) if step else None

    def cancel(self, handle: Handle | str) -> str:
        """Ask EMR to interrupt the step; returns EMR's answer ('SUBMITTED' or 'FAILED: reason')."""
        step_id = self._run_id(handle)
        info = self.api.cancel_step(self.cluster_id, step_id)
        status = str(info.get("Status", "UNKNOWN"))
        reason = info.get("Reason")
        answer = f"{status}: {reason}" if reason and status != "SUBMITTED" else status
        self.echo(f"cancel of step {step_id}: {answer}")
        return answer

    def log_url(self, step_id: str) -> str | None:
        """s3://.../<cluster-id>/steps/<step-id>/ where EMR pushes step logs (None: no LogUri)."""
        log_uri = self.api.cluster(self.cluster_id).get("LogUri")
        if not log_uri:
            return None
        # EMR reports LogUri as given at creation, often s3n://.
        base = "s3://" + str(log_uri).split("://", 1)[-1].rstrip("/")
        return f"{base}/{self.cluster_id}/steps/{step_id}/"

    # -- the skeleton's parts, for steps ---------------------------------------------------------

    def _live_places(self) -> list[tuple[str, str]]:
        return self.api.live_clusters()

    def _listed(self, states: list[str] | None) -> Iterator[tuple[str, str]]:
        for step in self.api.steps(self.cluster_id, states):
            yield str(step.get("Name", "")), str(step["Id"])

    def _handle(self, run_id: str) -> Handle:
        return Handle(run_id)

    def _run_id(self, handle: Handle | str) -> str:
        return handle.id if isinstance(handle, Handle) else handle

    def _look(self, handle: Handle | str) -> Run:
        step_id = self._run_id(handle)
        step = self.api.step(self.cluster_id, step_id)
        if not step:
            raise ServiceError(f"EMR knows no step {step_id} on cluster {self.cluster_id}")
        return step

    def _state(self, run: Run) -> str:
        return str(run["Status"]["State"])

    def hadoop_jar_step(self, script: Script) -> dict[str, Any]:
        """What the step runs: command-runner.jar with a script's arguments, or a streaming or
        jar job's step (targets/emrhadoop.py) reading the project files uploaded for it."""
        if script.command is None:
            return {"Jar": "command-runner.jar", "Args": self.step_args(script)}
        output = script.command.output
        if not output.startswith("s3://"):
            raise UsageError(
                f"job {script.job} writes to {output}: an EMR step's output must be an s3:// "
                "location (kiter replaces it on a rerun and reads it back)"
            )
        bucket, key = split_s3_url(output, what="output", where=script.job)
        scripts = f"{self.files.bucket}/{self.files.prefix}/".replace("//", "/")
        clash = _output_clash(f"{bucket}/{key}/" if key else "", scripts)
        if clash:
            raise UsageError(
                f"job {script.job} writes to {output}, which a rerun replaces, and {clash}: "
                "choose a folder of its own"
            )
        return hadoop_step(
            script.command,
            lambda path: self.files.shipped_url(script, path),
            self.files.shipped_name,
        )

    def _request(self, script: Script) -> dict[str, Any]:
        name = self.run_name(script)
        jar_step = self.hadoop_jar_step(script)
        args = jar_step["Args"]
        size = sum(len(a) for a in args)
        if size > MAX_ARGS_CHARS:
            raise UsageError(
                f"step arguments are {size} characters; EMR allows {MAX_ARGS_CHARS} "
                "(pass fewer or shorter variables)",
                where=name,
            )
        return {"Name": name, "ActionOnFailure": self.action_on_failure, "HadoopJarStep": jar_step}

    def _ready(self) -> None:
        # Looked up now when named: between the fence and the add, nothing but the add (and the
        # output a streaming or jar step replaces).
        _ = self.cluster_id

    def _start_call(self, request: dict[str, Any]) -> str:
        output = step_output({"Config": request["HadoopJarStep"]})
        if output is not None:
            # A rerun replaces the iteration's output, as INSERT OVERWRITE does; Hadoop refuses
            # to write into an output that exists, and a step cannot delete it itself first.
            # After the fence: a holder that lost its lease deletes nothing a new holder's step
            # may be writing. No step of this iteration is running (find() came first).
            gone = self.files.replace_output(output)
            if gone:
                self.echo(f"deleted {gone} objects of {output}, which this run writes anew")
        return self.api.add_step(self.cluster_id, request)

    def _started(self, run_id: str, name: str) -> str:
        return f"added step {run_id} ({name}) to cluster {self.cluster_id}"

    def _state_line(self, run: Run, state: str, last: str, in_last: float, age: float) -> str:
        step = f"step {run['Id']} ({run.get('Name', '')}) {state}"
        entered = self._since(run, state)
        if state in ACTIVE_STATES and entered is not None:
            # EMR's own clock: a step found already running has run since before kiter looked.
            return f"{step} for {format_duration(max(self.now() - entered, 0))}"
        return f"{step} after {format_duration(age)}"

    def _since(self, run: Run, state: str) -> float | None:
        timeline = run["Status"].get("Timeline", {})
        key = {"PENDING": "CreationDateTime", "RUNNING": "StartDateTime"}.get(state, "EndDateTime")
        return epoch_of(timeline.get(key))

    def console_link(self, run_id: str) -> str:
        """The cluster's page in the EMR console, whose Steps tab lists the step (EMR has no
        page of a step's own)."""
        return emr_console_link(self.api.client.meta.region_name, self.cluster_id)

    def _script_url_of(self, run: Run) -> str:
        args = run.get("Config", {}).get("Args", [])
        return str(next((a for a in args if f"/{RUN_COPY_FOLDER}/" in str(a)), ""))

    def _success(self, run: Run, submission_id: str) -> Outcome:
        """A streaming or jar step's output read back as rows (the first ROWS_SHOWN)."""
        output = step_output(run)
        if output is None:
            return Outcome(state="SUCCEEDED", submission_id=submission_id)
        try:
            rows, total = part_rows(self.files.part_lines(output), count_all=False)
        except UnreadablePart as exc:
            self.echo(f"rows not shown: {exc}")
            return Outcome(state="SUCCEEDED", submission_id=submission_id)
        if total > ROWS_SHOWN:
            self.echo(f"showing the first {ROWS_SHOWN} rows of those written to {output}")
        return Outcome("SUCCEEDED", submission_id, columns=columns_of(rows), rows=rows)

    def _explain(
        self, run: Run, *, wait_for_logs: bool, seen_running: bool, wait_seconds: float | None
    ) -> str:
        step_id = str(run["Id"])
        status = run["Status"]
        lines = [f"step {step_id} ({run.get('Name', '')}) {status['State']}"]
        details = status.get("FailureDetails") or {}
        lines += [
            f"{key}: {details[key]}" for key in ("Reason", "Message", "LogFile") if details.get(key)
        ]
        url = self.log_url(step_id)
        if url is None:
            lines.append(
                f"step logs are unavailable: cluster {self.cluster_id} was created without LogUri"
            )
            return "\n".join(lines)
        # EMR's own word on whether the step started (a step seen RUNNING has this too).
        started = bool(status.get("Timeline", {}).get("StartDateTime"))
        logs, budget, waited = self.files.run_logs(
            url, ran=started, wait_for_logs=wait_for_logs, wait_seconds=wait_seconds
        )
        if not logs:
            if waited:
                lines.append(f"step logs not available after {budget:.0f} s at {url}")
            else:
                lines.append(f"step logs not (yet) at {url}; EMR pushes them about every 5 minutes")
            return "\n".join(lines)
        if step_output(run) is not None:
            budget = budget if waited else 0
            return "\n".join(lines + self._task_cause(run, logs, url, budget))
        cause = cause_lines(logs)
        lines += cause or [f"no error lines found in the step logs; read them at {url}"]
        return "\n".join(lines)

    def _task_cause(
        self, run: Run, logs: dict[str, str], url: str, wait_seconds: float
    ) -> list[str]:
        """A streaming or jar step's probable cause, from its tasks' logs and its own."""
        cluster_logs = url.rstrip("/").rsplit("/steps/", 1)[0]
        numbers = application_numbers(logs)
        folders = [folder for n in numbers for folder in task_log_folders(cluster_logs, n)]
        task_logs: dict[str, str] = {}
        for folder in folders:
            task_logs |= self.files.task_logs(folder, 0)
        if folders and not task_logs and wait_seconds > 0:
            # YARN's container logs reach S3 on their own schedule, often after the step's.
            task_logs = self.files.task_logs(folders[0], wait_seconds)
        found = task_failure(task_logs, logs, step_programs(run))
        if found is None:
            cause = cause_lines(logs)
            return cause or [f"no error lines found in the step logs; read them at {url}"]
        line, where = found
        lines = ["probable cause:", f"  {line}", f"  whole log: {where or url}"]
        if folders and not task_logs:
            lines.append(
                f"  task logs not (yet) at {folders[0]}; EMR pushes them about every 5 minutes"
            )
        return lines
