"""`kiter demo`: several checkpointed iterations end to end on the embedded local stack.

Makes a project, brings up moto (Kinesis, DynamoDB) and Spark's Thrift Server (HiveServer2),
creates a 4-shard stream with web-log traffic flowing in from a background producer, creates the
checkpoint table, runs staged iterations of the top-10 errors job through PyHive, runs the same
job written in Pig Latin on the local Pig engine and as a Hadoop Streaming job (Python programs) on
the local Hadoop engine over each iteration's staged records (when the engines can be installed)
to show the three languages agree, then reruns iteration 1 to show it answers the same. No AWS
account is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiter.attemptscript import script_for
from kiter.echo import Echo, no_echo
from kiter.errors import UsageError
from kiter.iterationresult import IterationResult
from kiter.layout import partition_url
from kiter.project import PROJECT_FILE, Project, load_project
from kiter.runner import Runner, RunOptions

if TYPE_CHECKING:
    from kiter.local.traffic import Producer
    from kiter.metastore.ledger import IterationRecord
    from kiter.render import Renderer
    from kiter.targets.base import Target
    from kiter.targets.hadoop import HadoopTarget
    from kiter.targets.pig import PigTarget

STREAM = "weblogs"
JOB = "top_errors"
DEMO_PROJECT = """\
# The kiter demo project: staged iterations of the top-10 errors job on the embedded local stack.
# `kiter -C {folder} local up` brings the stack back; then try
#   kiter -C {folder} iterations top_errors
#   kiter -C {folder} query "SELECT * FROM weblogs_demo_top_errors WHERE iteration = 1 LIMIT 5"

[aws]
region = "us-east-1"
endpoint_url = "local"          # the local stack's moto server

[metastore]
table = "MyEMRKinesisTable"
lease_seconds = 120

[staging]
location = ".kiter/staging"

[targets.local]
kind = "hiveserver2"
host = "local"                  # the local stack's Spark Thrift Server

[targets.pig]
kind = "pig"                    # the local Pig engine (Pig 0.17.0, local mode)

[jobs.top_errors]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "demo-top-errors"
target = "local"
mode = "staged"

# The same job in Pig Latin; the demo runs it over top_errors' staged partitions.
[jobs.top_errors_pig]
engine = "pig"
template = "top_errors.pig.j2"
stream = "weblogs"
logical_name = "demo-top-errors-pig"
target = "pig"
mode = "staged"
vars = {{ output = ".kiter/output/top-errors-pig" }}

[targets.hadoop]
kind = "hadoop"                 # the local Hadoop engine (Hadoop 2.10.2's local job runner)

# The same job as Hadoop Streaming (Python programs in streaming/), over the same partitions.
[jobs.top_errors_streaming]
engine = "streaming"
stream = "weblogs"
logical_name = "demo-top-errors-streaming"
target = "hadoop"
mode = "staged"
mapper = "streaming/top_errors_mapper.py"
reducer = "streaming/top_errors_reducer.py"
reducers = 2                    # each keeps its share's top 10: the answer is the first 10 of both
output = ".kiter/output/top-errors-streaming/iteration={{{{ iteration }}}}"
"""

Progress = Callable[[str], AbstractContextManager[None]]


@contextmanager
def _quiet(_text: str) -> Iterator[None]:
    yield


@dataclass
class DemoResult:
    folder: Path
    iterations: list[IterationResult] = field(default_factory=list)
    rerun: IterationResult | None = None
    produced: list[str] = field(default_factory=list)
    staged: dict[int, list[str]] = field(default_factory=dict)  # iteration -> staged lines
    # iteration -> Pig's rows over the same staged records (empty without the Pig engine)
    pig_rows: dict[int, list[tuple[object, ...]]] = field(default_factory=dict)
    pig_skipped: str = ""  # why Pig did not run
    # iteration -> the streaming job's top 10 over the same staged records
    streaming_rows: dict[int, list[tuple[object, ...]]] = field(default_factory=dict)
    streaming_skipped: str = ""  # why the local Hadoop engine did not run

    @property
    def pig_agrees(self) -> bool:
        return self._agree(self.pig_rows)

    @property
    def streaming_agrees(self) -> bool:
        return self._agree(self.streaming_rows)

    def _agree(self, answers: dict[int, list[tuple[object, ...]]]) -> bool:
        return bool(answers) and all(
            rows == [tuple(r) for r in self.iterations[n].outcome.rows]
            for n, rows in answers.items()
        )

    @property
    def rerun_identical(self) -> bool:
        return (
            self.rerun is not None
            and len(self.iterations) > 1
            and self.rerun.outcome.rows == self.iterations[1].outcome.rows
        )


def make_demo_project(folder: Path) -> Path:
    """Write the demo's kiter.toml (once); a folder holding another project is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PROJECT_FILE
    text = DEMO_PROJECT.format(folder=folder)
    if path.exists() and path.read_text(encoding="utf-8") != text:
        raise UsageError(f"{path} exists and is not the demo's project: choose another folder")
    path.write_text(text, encoding="utf-8")
    from kiter.library import builtin_dir

    (folder / "streaming").mkdir(exist_ok=True)
    for program in (builtin_dir("templates") / "kiter" / "streaming").glob("*.py"):
        (folder / "streaming" / program.name).write_text(program.read_text(encoding="utf-8"))
    return path


def run_demo(
    folder: Path,
    *,
    keep: bool = False,
    iterations: int = 3,
    records_per_iteration: int = 2000,
    echo: Echo = no_echo,
    show: Callable[[str, IterationResult], None] = lambda _title, _result: None,
    show_ledger: Callable[[list[IterationRecord]], None] = lambda _records: None,
    progress: Progress = _quiet,
) -> DemoResult:
    """Run the demo in `folder`; the stack stops at the end unless `keep`."""
    from kiter.local.traffic import Producer, Traffic
    from kiter.wiring import make_local_stack

    folder = folder.resolve()
    project = load_project(make_demo_project(folder), env={})
    stack = make_local_stack(project, echo)
    result = DemoResult(folder)
    with progress("starting the local stack (moto server + Spark Thrift Server)"):
        stack.up()
    try:
        with progress("installing the local Pig engine (once: Pig 0.17.0 from Maven Central)"):
            pig = _pig_or_reason(project, echo)
        if isinstance(pig, str):
            result.pig_skipped = pig
        with progress(
            "installing the local Hadoop engine (once: Hadoop 2.10.2 from Maven Central)"
        ):
            hadoop = _hadoop_or_reason(project, echo)
        if isinstance(hadoop, str):
            result.streaming_skipped = hadoop
        runner = prepare(project, echo)
        kinesis, ledger = runner.aws.client("kinesis"), runner.ledger
        job, target = project.job(JOB), project.targets["local"]
        producer = Producer(kinesis, STREAM, Traffic(seed=2026), batch=100, interval=0.2)
        staged = 0
        with producer:
            for n in range(iterations):
                last = n == iterations - 1
                with progress(f"waiting for {records_per_iteration} new web-log records"):
                    _wait_for(producer, staged + records_per_iteration)
                if last:
                    producer.stop()  # the last iteration drains the stream: totals add up
                if producer.error is not None:
                    raise UsageError(f"the traffic producer failed: {producer.error}")
                with progress(f"iteration {n}: staging from {STREAM} and querying HiveServer2"):
                    outcome = runner.run(job, target)
                result.iterations.append(outcome)
                staged += outcome.read.total_records if outcome.read else 0
                show(f"iteration {n}", outcome)
                if not isinstance(pig, str):
                    with progress(f"iteration {n} in Pig Latin: the same staged records"):
                        result.pig_rows[n] = _rows(runner.renderer, pig, "top_errors_pig", n)
                if not isinstance(hadoop, str):
                    with progress(f"iteration {n} on Hadoop Streaming: the same staged records"):
                        rows = _rows(runner.renderer, hadoop, "top_errors_streaming", n)
                        result.streaming_rows[n] = streaming_top_ten(rows)
        result.produced = producer.snapshot()
        if iterations > 1:
            with progress("rerunning iteration 1: the same records, the same answer"):
                result.rerun = runner.run(job, target, RunOptions(iteration=1))
            show("iteration 1, rerun", result.rerun)
        show_ledger(ledger.history(job.logical_name))
        result.staged = {
            n: _staged_lines(project.staging.location, job.logical_name, n)
            for n in range(iterations)
        }
    finally:
        if not keep:
            with progress("stopping the local stack"):
                stack.down()
    return result


def prepare(project: Project, echo: Echo = no_echo) -> Runner:
    """On a running local stack: a fresh 4-shard stream, the checkpoint table, and a runner."""
    from kiter.local.streams import fresh_stream
    from kiter.metastore.table import CheckpointTable
    from kiter.render import Renderer
    from kiter.wiring import make_aws, make_ledger, make_runner

    aws = make_aws(project)
    fresh_stream(aws.client("kinesis"), STREAM, shards=4)
    meta = project.metastore
    CheckpointTable(aws.client("dynamodb"), meta.table, meta.hash_key, meta.range_key).create(
        on_demand=True, read=0, write=0, progress=echo
    )
    return make_runner(project, aws, Renderer(project), make_ledger(project, aws), echo)


def _pig_or_reason(project: Project, echo: Echo) -> PigTarget | str:
    """The local Pig target, installed on first use, or why it cannot run here."""
    from kiter.errors import KiterError
    from kiter.local import pigengine
    from kiter.targets.pig import PigTarget

    try:
        engine = pigengine.ENGINE.install(progress=echo)
        pigengine.ENGINE.require_java()
    except KiterError as exc:
        return str(exc)
    return PigTarget("pig", engine=engine, runs=project.local_dir / "pig", workdir=project.root)


def _hadoop_or_reason(project: Project, echo: Echo) -> HadoopTarget | str:
    """The local Hadoop target, installed on first use, or why it cannot run here."""
    from kiter.errors import KiterError
    from kiter.local import hadoopengine
    from kiter.targets.hadoop import HadoopTarget

    try:
        engine = hadoopengine.ENGINE.install(progress=echo)
    except KiterError as exc:
        return str(exc)
    runs = project.local_dir / "hadoop"
    return HadoopTarget("hadoop", engine=engine, runs=runs, workdir=project.root)


def _rows(
    renderer: Renderer, target: Target, name: str, iteration: int
) -> list[tuple[object, ...]]:
    """Job `name`'s answer for a staged iteration of the Hive job (read outside the ledger: the
    Hive job holds the iteration; this job only reads its partition)."""
    from dataclasses import replace

    from kiter.errors import JobFailed
    from kiter.targets.base import Unwatched

    project = renderer.project
    job = replace(project.job(name), logical_name=project.job(JOB).logical_name)
    script = script_for(job, renderer.render(job, iteration), iteration=iteration)
    outcome = target.follow(target.start(script, Unwatched()), Unwatched())
    if outcome.state != "SUCCEEDED":
        raise JobFailed(f"{name} failed on iteration {iteration}: {outcome.cause}")
    return outcome.rows


def streaming_top_ten(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """The first 10 of the streaming reducers' rows, in the Hive job's ORDER BY."""
    return sorted(rows, key=lambda r: (-int(str(r[4])), *map(str, r[:3]), int(str(r[3]))))[:10]


def _wait_for(producer: Producer, records: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while len(producer.snapshot()) < records and producer.error is None:
        if time.monotonic() > deadline:
            raise UsageError("the traffic producer is too slow: gave up waiting")
        time.sleep(0.1)


def _staged_lines(location: str, logical: str, iteration: int) -> list[str]:
    from urllib.parse import unquote, urlparse

    folder = Path(unquote(urlparse(partition_url(location, logical, iteration)).path))
    return [
        line
        for path in sorted(folder.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
