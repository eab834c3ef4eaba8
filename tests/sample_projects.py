"""What the offline tests share: kiter.toml texts, the built-in job list, an in-process CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiter.cli.main import main

WriteProject = Callable[..., Path]

LIBRARY_JOBS = [
    "top_errors",
    "top_errors_staged",
    "top_errors_pig",
    "engagement",
    "engagement_staged",
    "engagement_pig",
    "load_iteration",
    "load_iteration_staged",
    "load_iteration_pig",
]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `kiter ARGS` in process; returns (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def kiter_in(folder: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `kiter -C FOLDER ARGS` in process; returns (exit code, stdout, stderr)."""
    return run(["-C", str(folder), *args], capsys)


# The start of a project whose HiveServer2 is port 1 on loopback, which refuses at once (a test
# that did reach it fails at once, never hangs), with a staged job `top` on it. Tests add their
# other jobs and targets to it.
STAGED_TOP_ON_REFUSING_HIVE = """\
[aws]
region = "us-east-1"

[staging]
location = "staging"

[targets.hive]
kind = "hiveserver2"
host = "127.0.0.1"
port = 1

[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "weblogs"
logical_name = "top"
target = "hive"
mode = "staged"
"""

LIBRARY_PROJECT = """\
[aws]
region = "eu-west-1"

[metastore]
table = "MyEMRKinesisTable"
hash_key = "HashKey"
range_key = "RangeKey"

[staging]
location = "s3://kiter-staging/iterations"

[targets.emr]
kind = "emr"
cluster_id = "j-2AXXXXXXGAPLF"
script_prefix = "s3://kiter-scripts/prefix"

[targets.hive]
kind = "hiveserver2"
host = "hive.analytics.internal"

[jobs.top_errors]
engine = "hive"
template = "top_errors.hql.j2"
stream = "AccessLogStream"
logical_name = "top-errors"
target = "emr"
nodata_timeout = 1
iteration_timeout = 5
batch_size = 1000
endpoint_region = "eu-west-1"

[jobs.top_errors_staged]
engine = "hive"
template = "top_errors.hql.j2"
stream = "AccessLogStream"
logical_name = "top-errors-staged"
target = "hive"
mode = "staged"

[jobs.top_errors_pig]
engine = "pig"
template = "top_errors.pig.j2"
stream = "AccessLogStream"
logical_name = "top-errors-pig"
target = "emr"
vars = { output = "s3://kiter-out/top-errors" }

[jobs.engagement]
engine = "hive"
template = "engagement.hql.j2"
stream = "ClickStream"
logical_name = "engagement"
target = "emr"
campaign_table = "AdCampaigns"

[jobs.engagement_staged]
engine = "hive"
template = "engagement.hql.j2"
stream = "ClickStream"
logical_name = "engagement-staged"
target = "hive"
mode = "staged"
campaign_table = "AdCampaigns"

[jobs.engagement_pig]
engine = "pig"
template = "engagement.pig.j2"
stream = "ClickStream"
logical_name = "engagement-pig"
target = "emr"
vars = { output = "s3://kiter-out/engagement", campaigns_export = "s3://kiter-exports/campaigns/" }

[jobs.load_iteration]
engine = "hive"
template = "load_iteration.hql.j2"
stream = "AccessLogStream"
logical_name = "weblogs"
target = "emr"
vars = { warehouse = "s3://kiter-warehouse" }

[jobs.load_iteration_staged]
engine = "hive"
template = "load_iteration.hql.j2"
stream = "AccessLogStream"
logical_name = "weblogs-staged"
target = "hive"
mode = "staged"
vars = { warehouse = "s3://kiter-warehouse" }

[jobs.load_iteration_pig]
engine = "pig"
template = "load_iteration.pig.j2"
stream = "AccessLogStream"
logical_name = "weblogs-pig"
target = "emr"
vars = { output = "s3://kiter-out/weblogs" }
"""

MINIMAL = """\
[jobs.top]
engine = "hive"
template = "top_errors.hql.j2"
stream = "S"
"""
