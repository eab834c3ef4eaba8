"""`kiter iam-policy` against the calls kiter really makes.

A project with every AWS target kind (an EMR cluster by id and one by name, an EMR Serverless
application by id and one by name), a ledger table of its own, S3 staging and a campaign table
goes through a realistic life on moto in process: metastore create, describe and a billing
switch; stage, submit (detached, failed and explained from its logs, retried, succeeded; a
streaming step too, its output replaced and read back, its failure read from a task's log); status,
iterations and logs; a cancel on each remote target. botocore's own events record every call;
each must be granted, on its resource, by the policy `kiter iam-policy` prints for the project.
"""

from __future__ import annotations

import ast
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import boto3
import botocore.handlers
import pytest
from botocore import xform_name
from botocore.session import Session
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import emr_backends
from moto.emrserverless.models import emrserverless_backends

import kiter
from kiter.errors import KiterError
from kiter.project import load_project
from kiter.secrets import ACCESS_KEY_ENV, SECRET_KEY_ENV
from kiter.targets.base import Handle
from kiter.wiring import make_aws, make_target
from kiter_support import start_cluster
from sample_projects import run

from .iam_calls import CallRecorder, allows, needs

pytestmark = [pytest.mark.functional, pytest.mark.slow]

REGION = "us-east-1"
ACCOUNT = DEFAULT_ACCOUNT_ID
ROLE = "arn:aws:iam::123456789012:role/kiter-job-runs"
SERVICES = ("dynamodb", "kinesis", "s3", "emr", "emr-serverless")
STREAMS = ["weblogs", "clicks"]
# Operations kiter's source names that the policy leaves out on purpose, with the reason.
NOT_GRANTED = {
    ("dynamodb", "DeleteTable"): "`metastore delete` loses every checkpoint: an administrator's",
}
# Where kiter talks to its own embedded stack, never to an AWS account.
EMBEDDED = ("local/", "demorun.py", "cli/local.py", "cli/demo.py")

PROJECT = f"""\
[aws]
region = "{REGION}"

[metastore]
ledger_table = "KiterLedger"

[staging]
location = "s3://staging/kiter"

[targets.emr]
kind = "emr"
cluster_id = "@CLUSTER@"
script_prefix = "s3://scripts/emr"
log_wait_seconds = 0

[targets.emr_named]
kind = "emr"
cluster_name = "kiter-named"
script_prefix = "s3://scripts/named"

[targets.sls]
kind = "emr-serverless"
application_id = "@APPLICATION@"
execution_role_arn = "{ROLE}"
script_prefix = "s3://scripts/sls"
log_uri = "s3://sls-logs/hive"
log_wait_seconds = 0
poll_seconds = [0.1, 0.1]

[targets.sls_named]
kind = "emr-serverless"
application_name = "kiter-named"
execution_role_arn = "{ROLE}"
script_prefix = "s3://scripts/sls-named"
log_uri = "s3://sls-logs/named"

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "emr"
mode = "staged"

[jobs.pig]
engine = "pig"
template = "top_errors.pig.j2"
stream = "weblogs"
target = "emr_named"
cross_account = true
vars = {{ output = "s3://out/pig" }}

[jobs.engagement]
engine = "hive"
template = "engagement.hql.j2"
stream = "clicks"
target = "sls"
mode = "staged"
campaign_table = "AdCampaigns"

[jobs.named]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "sls_named"
mode = "staged"

[jobs.status]
engine = "streaming"
stream = "weblogs"
target = "emr"
mode = "staged"
mapper = "status_mapper.py"
output = "s3://out/status/{{{{ iteration }}}}"
"""


@pytest.fixture(autouse=True)
def _moto_version_is_pinned() -> None:
    import moto

    assert moto.__version__ == "5.2.5", "the step and job-run states are set in moto 5.2.5's models"


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    """Every botocore session made from now on reports its calls to the recorder."""
    recorder = CallRecorder()
    hooked = [*botocore.handlers.BUILTIN_HANDLERS, ("before-parameter-build", recorder)]
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", hooked)
    return recorder


@pytest.fixture
def world(tmp_path: Path, in_process_moto: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The project's AWS side on moto: buckets, streams with records, clusters, applications,
    and the keys of the other account's stream."""
    monkeypatch.setenv(ACCESS_KEY_ENV, "AKIAOTHERACCOUNT")
    monkeypatch.setenv(SECRET_KEY_ENV, "other-account-secret")
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("staging", "scripts", "emr-logs", "sls-logs", "out"):
        s3.create_bucket(Bucket=bucket)
    kinesis = boto3.client("kinesis", region_name=REGION)
    for stream in STREAMS:
        kinesis.create_stream(StreamName=stream, ShardCount=2)
        for i in range(4):
            kinesis.put_record(StreamName=stream, Data=b"line %d" % i, PartitionKey=str(i))
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="AdCampaigns",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    emr = boto3.client("emr", region_name=REGION)
    cluster = start_cluster(emr, "kiter-main", log_uri="s3n://emr-logs/main/")
    start_cluster(emr, "kiter-named", log_uri="s3://emr-logs/named/")
    sls = boto3.client("emr-serverless", region_name=REGION)
    application = ""
    for name in ("kiter-main", "kiter-named"):
        made = sls.create_application(name=name, releaseLabel="emr-7.1.0", type="HIVE")
        application = application or made["applicationId"]
    text = PROJECT.replace("@CLUSTER@", cluster).replace("@APPLICATION@", application)
    (tmp_path / "kiter.toml").write_text(text, encoding="utf-8")
    (tmp_path / "status_mapper.py").write_text("import sys\n", encoding="utf-8")
    yield tmp_path


def kiter_ok(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str, codes: tuple[int, ...] = (0,)
) -> str:
    got, out, err = run(["-C", str(root), *args], capsys)
    assert got in codes, f"kiter {' '.join(args)} exited {got}:\n{err}"
    return out


def test_the_policy_grants_every_call_of_a_projects_life_on_its_resource(
    world: Path, recorder: CallRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    with recorder.recording():
        live_a_life(world, capsys)
    policy = json.loads(kiter_ok(world, capsys, "iam-policy", "--account", ACCOUNT))

    made = {(c.service, c.operation) for c in recorder.calls}
    denied = sorted(
        {
            str(need)
            for call in recorder.calls
            for need in needs(call, region=REGION, account=ACCOUNT, streams=STREAMS)
            if not allows(policy, need)
        }
    )
    assert not denied, "the policy does not grant:\n" + "\n".join(denied)
    # The life exercised what kiter's source asks of AWS, and not only the easy calls.
    named = operations_named_in_source()
    assert not named - made - set(NOT_GRANTED), f"never exercised: {sorted(named - made)}"
    assert {("emr", "ListClusters"), ("s3", "CopyObject"), ("dynamodb", "UpdateTable")} <= made


def live_a_life(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What a project's commands do over its first iterations, on every target kind."""
    kiter_ok(root, capsys, "metastore", "create")
    kiter_ok(root, capsys, "metastore", "describe")
    kiter_ok(root, capsys, "metastore", "create", "--on-demand", "--update-capacity")

    # EMR by id: staged, left running, failed and explained from its logs; the next submit
    # follows it to its end and starts the iteration again, on a step EMR finishes.
    kiter_ok(root, capsys, "stage", "top")
    kiter_ok(root, capsys, "submit", "top", "--no-wait")
    cluster, step = last_step("kiter-main")
    step.start()
    step.state = "FAILED"
    push("emr-logs", f"main/{cluster}/steps/{step.id}/stderr.gz", "FAILED: SemanticException")
    kiter_ok(root, capsys, "logs", "top", "-i", "0")
    with steps_complete():
        kiter_ok(root, capsys, "submit", "top")
    # EMR by name: a connector job reading another account's stream (its script runs from a
    # copy that is deleted when the step ends), three iterations, then the first one again.
    with steps_complete():
        for _ in range(3):
            kiter_ok(root, capsys, "submit", "pig")
        kiter_ok(root, capsys, "submit", "pig", "-i", "0")

    # A streaming step: its mapper uploaded, its output replaced; failed and explained from a
    # task's log under the cluster's containers/; the retry's output read back.
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket="out", Key="status/0/part-00000", Body=b"an earlier run\t1\n")
    kiter_ok(root, capsys, "submit", "status", "--no-wait")
    cluster, step = last_step("kiter-main")
    step.start()
    step.state = "FAILED"
    push("emr-logs", f"main/{cluster}/steps/{step.id}/syslog.gz", "application_1_0001")
    task = f"main/{cluster}/containers/application_1_0001/container_1_0001_01_000002"
    push("emr-logs", f"{task}/stderr.gz", "Traceback (most recent call last):\nValueError: x\n")
    kiter_ok(root, capsys, "logs", "status", "-i", "0")
    with steps_complete():
        kiter_ok(root, capsys, "submit", "status")

    # EMR Serverless by id, on a stopped application: a run that succeeds, one that fails and
    # is explained.
    last_job_run("kiter-main", application_state="STOPPED")
    kiter_ok(root, capsys, "submit", "engagement")
    kiter_ok(root, capsys, "submit", "engagement", "--no-wait")
    app, run_id = last_job_run("kiter-main", "FAILED")
    push("sls-logs", f"hive/applications/{app}/jobs/{run_id}/HIVE_DRIVER/stderr.gz", "FAILED: x")
    kiter_ok(root, capsys, "logs", "engagement", "-i", "1")
    # EMR Serverless by name: staged first, so the submit is a later attempt and looks for a
    # run an earlier attempt may have left going (a first attempt has none to look for).
    kiter_ok(root, capsys, "stage", "named")
    kiter_ok(root, capsys, "submit", "named")

    kiter_ok(root, capsys, "status", codes=(0, 1))
    kiter_ok(root, capsys, "iterations", "top")
    cancel_on_every_remote_target(root)


def cancel_on_every_remote_target(root: Path) -> None:
    """What Ctrl-C does to a step or job run (the targets' own cancel, moto answering or not)."""
    project = load_project(root / "kiter.toml", env={})
    aws = make_aws(project)
    runs = {
        "emr": last_step("kiter-main")[1].id,
        "sls": "emr-serverless:{}/{}".format(*last_job_run("kiter-main")),
    }
    for name, run_id in runs.items():
        engine = make_target(project, project.targets[name], aws, env={})
        # moto 5.2.5 has no CancelSteps: the call is made (and recorded) all the same.
        with suppress(KiterError, NotImplementedError):
            engine.cancel(Handle(run_id))


def operations_named_in_source() -> set[tuple[str, str]]:
    """(service, operation) of every botocore method name kiter's AWS-facing source mentions:
    called as a method, or given as a name (paginators, the ledger's `call("update_item")`)."""
    session = Session()
    by_method: dict[str, set[tuple[str, str]]] = {}
    for service in SERVICES:
        for operation in session.get_service_model(service).operation_names:
            by_method.setdefault(xform_name(operation), set()).add((service, operation))
    root = Path(kiter.__file__).parent
    found: set[tuple[str, str]] = set()
    for path in root.rglob("*.py"):
        if str(path.relative_to(root)).startswith(EMBEDDED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else None
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            found |= by_method.get(name or "", set())
    return found


# -- moto's side of the story: states real EMR and EMR Serverless would report (moto 5.2.5) ------


def last_step(cluster_name: str) -> tuple[str, Any]:
    """A cluster's id and the step last added to it."""
    clusters = emr_backends[ACCOUNT][REGION].clusters.values()
    [cluster] = [c for c in clusters if c.name == cluster_name]
    return cluster.id, cluster.steps[-1]


@contextmanager
def steps_complete() -> Iterator[None]:
    """EMR finishes each step it is given at once (moto leaves them RUNNING forever)."""

    def finish(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        for step in [s for c in emr_backends[ACCOUNT][REGION].clusters.values() for s in c.steps]:
            if step.id in parsed.get("StepIds", []):
                step.start()
                step.state = "COMPLETED"

    hooked = [*botocore.handlers.BUILTIN_HANDLERS, ("after-call.emr.AddJobFlowSteps", finish)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.handlers, "BUILTIN_HANDLERS", hooked)
        yield


def last_job_run(
    application_name: str, state: str | None = None, *, application_state: str | None = None
) -> tuple[str, str]:
    """An application's id and its last job run's ("" when none), their states set if asked."""
    backend = emrserverless_backends[ACCOUNT][REGION]
    [app] = [a for a in backend.applications.values() if a.name == application_name]
    if application_state:
        app.state = application_state
    runs = backend.job_runs.get(app.id, [])
    if state:
        runs[-1].state = state
    return app.id, runs[-1].id if runs else ""


def push(bucket: str, key: str, text: str) -> None:
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key=key, Body=gzip.compress(text.encode())
    )
