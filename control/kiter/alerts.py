"""Alerts: a command or an SNS message once per final outcome of a job's iteration.

A final outcome is a success, or a failure nothing will retry: `kiter submit`'s one attempt, or
`kiter run` giving up on an iteration after its retries (or stopping on an error no retry mends).
A retry is not final; nor is an interruption (Ctrl-C, SIGTERM: someone meant it), another
process holding the iteration, or `--no-wait`'s SUBMITTED (the end is not known yet).

`--on-success` / `--on-failure` run through the shell with the outcome in the environment
(`KITER_JOB`, `KITER_LOGICAL_NAME`, `KITER_ITERATION`, `KITER_ATTEMPT`, `KITER_STATE`,
`KITER_CAUSE`), without the cross-account keys kiter itself reads, each within `HOOK_TIMEOUT`
seconds (then its process group is killed). `--notify sns:ARN` publishes a short message to a
topic on failures. What an alert cannot do (a command failing or timing out, a publish refused)
is said as a warning and never changes kiter's outcome or exit code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kiter.echo import Echo, no_echo
from kiter.errors import Interrupted, IterationBusy, UsageError
from kiter.secrets import ACCESS_KEY_ENV, SECRET_KEY_ENV, Redactor
from kiter.watch import SUCCEEDED, AttemptReport, AttemptStarted, ended_by

HOOK_TIMEOUT = 60.0  # seconds
_SHOWN_LINES = 20  # of a failed command's output
_CAUSE_CHARS = 8000  # Linux refuses an environment string over 128 KiB
_REDACT = Redactor()  # secret-named keys' values, in a cause that never met the runner


@dataclass(frozen=True)
class Final:
    """A job's final outcome, as alerts tell it."""

    job: str
    logical_name: str
    iteration: int | None  # None: it failed before any iteration was claimed
    attempt: int | None
    state: str
    cause: str

    def env(self) -> dict[str, str]:
        return {
            "KITER_JOB": self.job,
            "KITER_LOGICAL_NAME": self.logical_name,
            "KITER_ITERATION": "" if self.iteration is None else str(self.iteration),
            "KITER_ATTEMPT": "" if self.attempt is None else str(self.attempt),
            "KITER_STATE": self.state,
            "KITER_CAUSE": self.cause[:_CAUSE_CHARS],
        }

    def subject(self) -> str:
        """A one-line summary (SNS subjects: ASCII, at most 100 characters)."""
        where = f" iteration {self.iteration}" if self.iteration is not None else ""
        text = f"kiter: {self.job}{where} {self.state}"
        return text.encode("ascii", "replace").decode()[:100]

    def message(self) -> str:
        lines = [f"{key}={value}" for key, value in self.env().items() if key != "KITER_CAUSE"]
        return "\n".join([self.subject(), "", *lines, "", self.cause]).rstrip() + "\n"


class Alerts:
    """Remembers each job's last attempt (a watcher) and alerts on a job's final outcome."""

    def __init__(
        self,
        logical_names: Mapping[str, str],
        *,
        on_success: str | None = None,
        on_failure: str | None = None,
        notify: SnsTopic | None = None,
        say: Echo = no_echo,
        warn: Echo = no_echo,
        timeout: float = HOOK_TIMEOUT,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.logical_names = logical_names
        self.on_success, self.on_failure, self.notify = on_success, on_failure, notify
        self.say, self.warn, self.timeout = say, warn, timeout
        self.env = os.environ if env is None else env
        self._last: dict[str, AttemptReport] = {}
        self._lock = threading.Lock()

    def attempt_started(self, started: AttemptStarted, redact: Redactor) -> None:
        pass

    def attempt_ended(self, report: AttemptReport) -> None:
        with self._lock:
            self._last[report.job] = report

    def final(self, job: str, error: BaseException | None) -> None:
        """The job's iteration ended for good: `error` None for a success."""
        outcome = self.outcome(job, error)
        if outcome is None:
            return
        command = self.on_success if outcome.state == SUCCEEDED else self.on_failure
        if command:
            option = "--on-success" if outcome.state == SUCCEEDED else "--on-failure"
            self._run(option, command, outcome)
        if self.notify is not None and outcome.state != SUCCEEDED:
            try:
                self.notify.publish(outcome)
            except Exception as exc:  # a notification never changes the outcome
                self.warn(f"--notify: could not publish to {self.notify.arn}: {_said(exc)}")

    def outcome(self, job: str, error: BaseException | None) -> Final | None:
        """What the alerts say of the job's final outcome (None: nothing final to say). The
        last attempt that ran gives iteration, attempt, state and cause; each is told once."""
        if isinstance(error, IterationBusy | Interrupted | KeyboardInterrupt):
            return None
        with self._lock:
            last = self._last.pop(job, None)
        logical = self.logical_names.get(job, job)
        if error is None:
            if last is None or last.state != SUCCEEDED:
                return None  # --no-wait: SUBMITTED, its end still to come
            return Final(job, logical, last.iteration, last.attempt, SUCCEEDED, "")
        if last is not None and last.state != SUCCEEDED:
            return Final(job, logical, last.iteration, last.attempt, last.state, last.cause)
        return Final(job, logical, None, None, ended_by(error), _REDACT(str(error)))

    def _run(self, option: str, command: str, outcome: Final) -> None:
        env = {k: v for k, v in self.env.items() if k not in (ACCESS_KEY_ENV, SECRET_KEY_ENV)}
        try:
            code, output = run_command(command, env | outcome.env(), self.timeout)
        except OSError as exc:
            self.warn(f"{option} command could not start: {exc.strerror or exc}")
            return
        if code == 0:
            for line in output:
                self.say(f"{option}: {line}")
            return
        said = (
            f"timed out after {self.timeout:g}s and was killed"
            if code is None
            else (f"exited {code}")
        )
        self.warn(f"{option} command {said}; kiter's outcome stands")
        for line in output[-_SHOWN_LINES:]:
            self.warn(f"{option}: {line}")


def run_command(
    command: str, env: Mapping[str, str], timeout: float
) -> tuple[int | None, list[str]]:
    """Run `command` through the shell in a process group of its own; its exit code (None:
    killed at `timeout`) and its output lines (stdout and stderr together)."""
    proc = subprocess.Popen(
        command,
        shell=True,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # the shell's children are killed with it at the timeout
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return None, output.splitlines()
    return proc.returncode, output.splitlines()


class SnsTopic:
    """An SNS topic alerts publish to; `client(region)` makes the topic region's SNS client."""

    def __init__(self, arn: str, client: Callable[[str], Any]) -> None:
        self.arn = arn
        self.client = client

    @classmethod
    def parse(cls, value: str, client: Callable[[str], Any]) -> SnsTopic:
        """`sns:arn:aws:sns:REGION:ACCOUNT:TOPIC`; anything else is a usage error."""
        arn = value.removeprefix("sns:")
        parts = arn.split(":")
        if (
            not value.startswith("sns:")
            or len(parts) != 6
            or parts[:1] != ["arn"]
            or (parts[2] != "sns" or not all(parts[3:]))
        ):
            raise UsageError(
                f"--notify {value!r}: give sns:ARN, e.g. "
                "sns:arn:aws:sns:us-east-1:123456789012:kiter-alerts"
            )
        return cls(arn, client)

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    def publish(self, outcome: Final) -> None:
        self.client(self.region).publish(
            TopicArn=self.arn,
            Subject=outcome.subject(),
            Message=outcome.message(),
            MessageAttributes={
                "job": {"DataType": "String", "StringValue": outcome.job},
                "state": {"DataType": "String", "StringValue": outcome.state},
            },
        )


def _said(exc: Exception) -> str:
    from kiter.aws import is_aws_error, service_error

    return str(service_error(exc, "SNS Publish")) if is_aws_error(exc) else str(exc)
