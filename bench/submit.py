"""Benchmark: whole-process `kiter submit --no-wait` against the two AWS CLI calls it replaces.

Run by hand: `.venv/bin/python bench/submit.py`. Starts a moto server (the local stack's
one-request-at-a-time server) and, against it, times side by side in one run, two pairs:
  kiter submit top_errors --no-wait    render, claim, retention check, upload, add step, record
  aws s3 cp + aws emr add-steps        what a hand-written submission does (awscli from PyPI)
and, on an EMR Serverless HIVE application (a staged job: kiter also reads and stages the
iteration to S3, an empty stream here):
  kiter submit top_errors --no-wait    claim, stage, render, upload, find, start job run, record
  aws s3 cp + aws emr-serverless start-job-run
Target: kiter <= 0.5x of the two AWS CLI calls, for each pair.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3

from kiter.cli.init import scaffold
from kiter.local.motoserver import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kiter_support import start_cluster

BIN = Path(sys.executable).parent
RUNS = 10
BUCKET = "kiter-bench"
BUCKET_URL = f"s3://{BUCKET}"


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    # PYTHONDONTWRITEBYTECODE (set in this workplace) would recompile kiter on every start;
    # an installed kiter has its bytecode, like the AWS CLI here.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "KITER_")) and k != "PYTHONDONTWRITEBYTECODE"
    } | {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": url,
        "KITER_AWS_ENDPOINT_URL": url,
    }
    kw = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    boto3.client("kinesis", **kw).create_stream(StreamName="AccessLogStream", ShardCount=2)
    # Not the scaffold's s3://my-bucket: kiter refuses to run a target holding a placeholder.
    boto3.client("s3", **kw).create_bucket(Bucket=BUCKET)
    cluster = start_cluster(boto3.client("emr", **kw), "bench")
    folder = Path(tempfile.mkdtemp(prefix="kiter-bench-submit-"))
    scaffold(folder)
    toml = folder / "kiter.toml"
    toml.write_text(
        toml.read_text().replace("j-XXXXXXXXXXXXX", cluster).replace("s3://my-bucket", BUCKET_URL)
    )
    kiter = [str(BIN / "kiter"), "-C", str(folder)]
    ours: list[float] = []
    theirs: list[float] = []
    subprocess.run(
        [*kiter, "metastore", "create", "--on-demand"], env=env, check=True, capture_output=True
    )
    script = folder / "q.hql"
    script.write_text("SELECT 1;\n")

    base = toml.read_text()

    def kiter_submit(i: int) -> None:
        # --no-wait leaves the step RUNNING on moto (it never finishes), so each run uses a
        # logical name of its own: iteration 0 of a new name costs the same ledger calls as any.
        toml.write_text(base.replace('logical_name = "top-errors"', f'logical_name = "bench-{i}"'))
        t0 = time.perf_counter()
        subprocess.run(
            [*kiter, "submit", "top_errors", "--no-wait", "--quiet"],
            env=env,
            check=True,
            capture_output=True,
        )
        ours.append(time.perf_counter() - t0)

    def aws_cli(i: int) -> None:
        t0 = time.perf_counter()
        key = f"{BUCKET_URL}/manual/{i}/q.hql"
        subprocess.run(
            [str(BIN / "aws"), "s3", "cp", str(script), key, "--sse", "AES256"],
            env=env,
            check=True,
            capture_output=True,
        )
        step = (
            f"Type=CUSTOM_JAR,Name=manual-{i},Jar=command-runner.jar,ActionOnFailure=CONTINUE,"
            f"Args=[hive-script,--run-hive-script,--args,-f,{key}]"
        )
        subprocess.run(
            [str(BIN / "aws"), "emr", "add-steps", "--cluster-id", cluster, "--steps", step],
            env=env,
            check=True,
            capture_output=True,
        )
        theirs.append(time.perf_counter() - t0)

    for i in range(RUNS):  # interleaved, so load on the machine hits both alike
        kiter_submit(i)
        aws_cli(i)
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"whole process, median of {RUNS}, against a local moto server:")
    print(f"  aws s3 cp + aws emr add-steps   {t * 1000:7.0f} ms   1.00x")
    print(f"  kiter submit --no-wait          {o * 1000:7.0f} ms   {o / t:.2f}x   (target <= 0.5x)")
    o, t = serverless_pair(env, kw, script)
    print(f"  aws s3 cp + aws emr-serverless start-job-run   {t * 1000:7.0f} ms   1.00x")
    print(
        f"  kiter submit --no-wait (EMR Serverless)       {o * 1000:7.0f} ms   {o / t:.2f}x"
        "   (target <= 0.5x)"
    )
    server.shutdown()


SERVERLESS_PROJECT = """\
[staging]
location = "s3://kiter-bench/kiter/staging"

[targets.sls]
kind = "emr-serverless"
application_id = "{app}"
execution_role_arn = "arn:aws:iam::123456789012:role/kiter-bench"
script_prefix = "s3://kiter-bench/kiter/scripts"
log_uri = "s3://kiter-bench/kiter/logs"

[jobs.top_errors]
engine = "hive"
template = "top_errors.hql.j2"
stream = "AccessLogStream"
logical_name = "{logical}"
target = "sls"
mode = "staged"
"""


def serverless_pair(env: dict[str, str], kw: dict[str, str], script: Path) -> tuple[float, float]:
    """Median seconds of kiter submit --no-wait and of the AWS CLI pair, on EMR Serverless."""
    sls = boto3.client("emr-serverless", **kw)
    app = sls.create_application(name="bench", releaseLabel="emr-7.1.0", type="HIVE")
    app_id = app["applicationId"]
    folder = Path(tempfile.mkdtemp(prefix="kiter-bench-serverless-"))
    toml = folder / "kiter.toml"
    kiter = [str(BIN / "kiter"), "-C", str(folder)]
    ours: list[float] = []
    theirs: list[float] = []
    driver = json.dumps({"hive": {"query": f"{BUCKET_URL}/manual-sls/q.hql"}})
    for i in range(RUNS):  # interleaved, so load on the machine hits both alike
        # A logical name per run: iteration 0 of a new name costs the same ledger calls as any.
        toml.write_text(SERVERLESS_PROJECT.format(app=app_id, logical=f"bench-sls-{i}"))
        t0 = time.perf_counter()
        subprocess.run(
            [*kiter, "submit", "top_errors", "--no-wait", "--quiet"],
            env=env,
            check=True,
            capture_output=True,
        )
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        key = f"{BUCKET_URL}/manual-sls/{i}/q.hql"
        subprocess.run(
            [str(BIN / "aws"), "s3", "cp", str(script), key, "--sse", "AES256"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                str(BIN / "aws"),
                "emr-serverless",
                "start-job-run",
                "--application-id",
                app_id,
                "--execution-role-arn",
                "arn:aws:iam::123456789012:role/kiter-bench",
                "--name",
                f"manual-{i}",
                "--job-driver",
                driver.replace("manual-sls/", f"manual-sls/{i}/"),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        theirs.append(time.perf_counter() - t0)
    return statistics.median(ours), statistics.median(theirs)


if __name__ == "__main__":
    main()
