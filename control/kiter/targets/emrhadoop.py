"""Streaming and jar jobs as EMR steps: the step a Hadoop command becomes, and a failed one read.

A streaming job is a `command-runner.jar` step running `hadoop-streaming`: kiter's settings as
`-D` generic options first, `-files` with the S3 copies of its programs, then streaming's own
options. A jar job is a custom JAR step: `Jar` the S3 copy of the project's jar (or its own s3://
location), `MainClass` when the job names one, `Args` with the `-D` settings first. What a later
look needs to know of the step (where its output goes, which project files its programs are) goes
in the step's own `Properties`, which DescribeStep gives back: whichever process follows or
explains the step (after --no-wait, a crash, `kiter logs`) reads it there. EMR sets them as Java
system properties of the step's client JVM, where nothing reads them.

A failed step's probable cause: the step's logs name the YARN application ("Submitted application
application_<id>", or MapReduce's "Running job: job_<id>", the same numbers); its tasks' logs are
under `<LogUri>/<cluster-id>/containers/application_<id>/container_<id>/stderr.gz` (and syslog.gz),
or on AMIs before YARN `<LogUri>/<cluster-id>/task-attempts/job_<id>/attempt_<id>/`. A streaming
program's own last error comes first (a Python traceback's last line at its file:line), then the
Java exception a task died of, then the one the step's client reported (targets/hadooperrors.py
reads both). Pure: no AWS call here; the EMR target (targets/emr.py) fetches and hands over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

from kiter.hadoopcommand import HadoopCommand
from kiter.targets.hadooperrors import failure_cause, java_exception, python_error

STREAMING_COMMAND = "hadoop-streaming"  # command-runner.jar's name for Hadoop Streaming
OUTPUT_PROPERTY = "kiter.output"
FILES_PROPERTY = "kiter.files"
_NO_ERROR = "no error found in its output"  # hadooperrors.failure_cause's word for nothing found
# The application of a step: YARN's id, or MapReduce's job id, which has the same numbers.
_APPLICATION = re.compile(r"\b(?:application|job)_(\d+_\d+)\b")
# A Java exception inside a log4j line ("... YarnChild: Exception running child : x.y.ZException:
# ...", "Error: x.y.ZException: ...") as hadooperrors reads it: at the start of its line.
_EXCEPTION_IN_LINE = re.compile(
    r"^(?!\s+at |Caused by: ).*?\b((?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)"
    r"(?::.*)?)$"
)


def hadoop_step(
    command: HadoopCommand, shipped_url: Callable[[str], str], shipped_name: Callable[[str], str]
) -> dict[str, Any]:
    """The `HadoopJarStep` of a step running `command`; `shipped_url` says where a project file
    was put in S3, `shipped_name` how it is named there."""
    properties = {OUTPUT_PROPERTY: command.output}
    if command.engine == "streaming":
        files = [shipped_url(path) for path in command.files]
        properties[FILES_PROPERTY] = ",".join(shipped_name(path) for path in command.files)
        step: dict[str, Any] = {
            "Jar": "command-runner.jar",
            "Args": [STREAMING_COMMAND, *command.argv(files=files)],
        }
    else:
        jar = command.jar if command.jar.startswith("s3://") else shipped_url(command.jar)
        step = {"Jar": jar, "Args": command.argv()}
        if command.main_class:
            step["MainClass"] = command.main_class
    step["Properties"] = [{"Key": key, "Value": value} for key, value in properties.items()]
    return step


def step_properties(step: Mapping[str, Any]) -> dict[str, str]:
    """The Properties of a step as DescribeStep tells them (a map in its answer)."""
    given = step.get("Config", {}).get("Properties") or {}
    if isinstance(given, list):  # AddJobFlowSteps' form, as a request holds it
        return {str(p["Key"]): str(p["Value"]) for p in given}
    return {str(key): str(value) for key, value in given.items()}


def step_output(step: Mapping[str, Any]) -> str | None:
    """Where a streaming or jar step writes (None: not such a step)."""
    return step_properties(step).get(OUTPUT_PROPERTY)


def step_programs(step: Mapping[str, Any]) -> dict[str, str]:
    """The names a streaming step's programs are shipped under, each to its path in the project."""
    shipped = step_properties(step).get(FILES_PROPERTY, "")
    return {PurePosixPath(path).name: path for path in shipped.split(",") if path}


def application_numbers(logs: Mapping[str, str]) -> list[str]:
    """The `<cluster timestamp>_<n>` of every YARN application the step's logs name, in order."""
    found: dict[str, None] = {}
    for text in logs.values():
        for match in _APPLICATION.finditer(text):
            found[match.group(1)] = None
    return list(found)


def task_log_folders(cluster_logs: str, number: str) -> list[str]:
    """Where the tasks of application `number` leave their logs under `<LogUri>/<cluster-id>`."""
    return [
        f"{cluster_logs}/containers/application_{number}",
        f"{cluster_logs}/task-attempts/job_{number}",
    ]


def task_failure(
    task_logs: Mapping[str, str], step_logs: Mapping[str, str], programs: Mapping[str, str]
) -> tuple[str, str] | None:
    """(one line on why the step's job failed, the URL of the log that says it), or None.

    `task_logs` maps a task log's s3:// URL (`.../<container>/stderr.gz`, `syslog.gz`) to its
    text, `step_logs` a step log's name to its text."""
    tasks: dict[str, dict[str, str]] = {}
    for url, text in task_logs.items():
        folder, _, name = url.rpartition("/")
        tasks.setdefault(folder, {})[name.removesuffix(".gz")] = text
    for folder, logs in tasks.items():
        found = python_error(logs.get("stderr", ""), programs)
        if found is not None:
            return found, f"{folder}/stderr.gz"
    for folder, logs in tasks.items():
        cause = failure_cause(logs.get("stderr", ""), _unprefixed(logs.get("syslog", "")), programs)
        if cause != _NO_ERROR:
            return cause, f"{folder}/{'syslog' if 'syslog' in logs else 'stderr'}.gz"
    client = java_exception(_unprefixed("\n".join(step_logs.values())))
    return (client, "") if client is not None else None


def _unprefixed(text: str) -> str:
    """Log4j lines whose message holds a Java exception, cut to start at the exception."""
    lines = []
    for line in text.splitlines():
        found = _EXCEPTION_IN_LINE.match(line)
        lines.append(found.group(1) if found else line)
    return "\n".join(lines)
