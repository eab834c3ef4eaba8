"""What the runner tests share: the sample project, a scripted target, a clock, a producer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiter.aws import Aws
from kiter.errors import Interrupted
from kiter.runner import Runner
from kiter.targets.base import Handle, Outcome, Script, Watch
from kiter_support import FakeTime, start_cluster

REGION = "us-east-1"
PROJECT = """\
[aws]
region = "us-east-1"

[staging]
location = "staging"

[targets.engine]
kind = "hiveserver2"
host = "127.0.0.1"

[targets.emr]
kind = "emr"
cluster_id = "j-1"
script_prefix = "s3://scripts/kiter"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "top"
target = "engine"
mode = "staged"

[jobs.connector]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "conn"
target = "engine"

[jobs.pig]
engine = "pig"
template = "top_errors.pig.j2"
stream = "weblogs"
target = "emr"
vars = { output = "s3://out/top" }
"""


@dataclass
class ScriptedTarget:
    """A target that records what it is given and answers from a script of outcomes.

    Its runs live in the process (like HiveServer2's): nothing to find or attach to later.
    """

    name: str = "engine"
    kind: str = "hiveserver2"
    detachable: bool = False
    answers: list[Outcome | BaseException] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    looked_for: list[int] = field(default_factory=list)  # the attempts that asked find()

    def find(self, script: Script) -> Handle | None:
        self.looked_for.append(script.attempt)
        return None

    def attach(self, submission_id: str) -> Handle | None:
        return None

    def start(self, script: Script, watch: Watch) -> Handle:
        watch.fence()
        self.scripts.append(script)
        return Handle(f"hs2:test/{len(self.scripts)}", live=script)

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        answer = self.answers.pop(0) if self.answers else Outcome("SUCCEEDED", "hs2:test")
        if isinstance(answer, KeyboardInterrupt):
            raise Interrupted("cancelled statement 3 on test")
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def cancel(self, handle: Handle) -> str:
        self.cancelled.append(handle.id)
        return "cancelled"


MakeRunner = Callable[..., Runner]


def put(aws: Aws, lines: list[str]) -> None:
    """Put web-log lines spread over the stream's shards."""
    kinesis = aws.client("kinesis")
    for i, line in enumerate(lines):
        kinesis.put_record(StreamName="weblogs", Data=line.encode(), PartitionKey=f"key-{i}")


__all__ = ["FakeTime", "start_cluster"]
