"""Benchmark: whole-process `kiter submit --no-wait` against the two AWS CLI calls it replaces.

Run by hand: `.venv/bin/python bench/submit.py`. Starts a moto server (the local stack's
one-request-at-a-time server) and, against it, times side by side in one run:
  kiter submit top_errors --no-wait    render, claim, retention check, upload, add step, record
  aws s3 cp + aws emr add-steps        what a hand-written submission does (awscli from PyPI)
Target: kiter <= 0.5x of the two AWS CLI calls.
"""

from __future__ import annotations

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
    boto3.client("s3", **kw).create_bucket(Bucket="my-bucket")
    cluster = start_cluster(boto3.client("emr", **kw), "bench")
    folder = Path(tempfile.mkdtemp(prefix="kiter-bench-submit-"))
    scaffold(folder)
    toml = folder / "kiter.toml"
    toml.write_text(toml.read_text().replace("j-XXXXXXXXXXXXX", cluster))
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
        key = f"s3://my-bucket/manual/{i}/q.hql"
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
    server.shutdown()


if __name__ == "__main__":
    main()
