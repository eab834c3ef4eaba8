"""What the CLI's functional tests share: a project on moto whose one staged job succeeds on its
EMR Serverless and whose other job fails on a HiveServer2 that refuses at once."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REGION = "us-east-1"
# `top` succeeds on moto's EMR Serverless (every job run succeeds at once); `broken` fails on a
# HiveServer2 at port 1 on loopback (refused at once).
SERVERLESS_PROJECT = """\
[aws]
region = "us-east-1"

[staging]
location = "s3://staging/kiter"

[targets.sls]
kind = "emr-serverless"
application_id = "{app}"
execution_role_arn = "arn:aws:iam::123456789012:role/kiter-job-runs"
script_prefix = "s3://kiter-scripts/kiter"
log_uri = "s3://kiter-scripts/logs"

[targets.hive]
kind = "hiveserver2"
host = "127.0.0.1"
port = 1

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
target = "sls"
mode = "staged"

[jobs.broken]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "broken_v1"
target = "hive"
"""


@pytest.fixture
def serverless_folder(tmp_path: Path, in_process_moto: None) -> Path:
    """SERVERLESS_PROJECT in `tmp_path`, with its buckets, its EMR Serverless application and
    the stream `weblogs` holding 4 records; no checkpoint table yet."""
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("staging", "kiter-scripts"):
        s3.create_bucket(Bucket=bucket)
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="weblogs", ShardCount=1)
    for n in range(4):
        kinesis.put_record(StreamName="weblogs", Data=f"line {n}".encode(), PartitionKey="k")
    app = boto3.client("emr-serverless", region_name=REGION).create_application(
        name="kiter-hive", releaseLabel="emr-7.1.0", type="HIVE"
    )["applicationId"]
    (tmp_path / "kiter.toml").write_text(SERVERLESS_PROJECT.format(app=app), encoding="utf-8")
    return tmp_path
