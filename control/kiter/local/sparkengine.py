"""The Spark HiveServer2 engine: Spark's Thrift Server started from pip's pyspark, on 127.0.0.1 only.

One of the stack's two HiveServer2 engines (`kiter local up --hive-engine spark`, the default), a
peer of kiter.local.hiveengine: both say what they need (`require`), how they start (`start`, which
returns a pid) and what their process looks like (`SERVER_CLASS`); kiter.local.stack waits for them
and stops them through kiter.local.processes. Everything the server writes (Derby metastore,
warehouse, scratch space) stays under one run folder.

This room knows nothing of kiter's targets or of the ledger, and it never prints.
"""

from __future__ import annotations

import os
from pathlib import Path

from kiter.errors import UsageError
from kiter.local import processes

NAME = "spark"
SERVER = "the Spark Thrift Server"
STARTS_IN = "15-40 s"
RUN_DIR = "hive"  # Derby metastore, warehouse and scratch space: kept across down/up
SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"


def spark_home() -> Path:
    """The folder holding pyspark's bin/spark-submit and jars/."""
    try:
        from pyspark.find_spark_home import _find_spark_home
    except ImportError as exc:
        raise UsageError("the local Hive engine needs pyspark: pip install 'kiter[local]'") from exc
    try:
        return Path(_find_spark_home())
    except SystemExit:  # pyspark exits instead of raising when it finds nothing
        import pyspark

        return Path(pyspark.__file__).parent


def require() -> None:
    """Java 17+ and pyspark, checked before the stack starts anything."""
    processes.require_java()
    spark_home()


def thrift_server_command(run_dir: Path, port: int) -> list[str]:
    """The spark-submit command line of FACTS.md §3, with every path under run_dir."""
    run = run_dir.resolve()
    tmp = run / "tmp"
    return [
        str(spark_home() / "bin" / "spark-submit"),
        "--class", SERVER_CLASS,
        "--master", "local[2]",
        "--driver-memory", "1g",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", f"spark.sql.warehouse.dir={run / 'warehouse'}",
        "--conf", f"spark.local.dir={tmp}",
        "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={run} -Djava.io.tmpdir={tmp}",
        "--conf",
        "spark.hadoop.javax.jdo.option.ConnectionURL="
        f"jdbc:derby:;databaseName={run / 'metastore_db'};create=true",
        "--hiveconf", f"hive.server2.thrift.port={port}",
        "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
        "--hiveconf", "hive.server2.authentication=NONE",
        "--hiveconf", "hive.exec.dynamic.partition.mode=nonstrict",
        # Without these two, poll() blocks 5 s per call and fetch_logs() returns nothing; they
        # cannot be set per session.
        "--hiveconf", "hive.server2.long.polling.timeout=200ms",
        "--hiveconf", "hive.server2.logging.operation.level=VERBOSE",
        "spark-internal",
    ]  # fmt: skip


def start(run_dir: Path, port: int, *, log_path: Path) -> int:
    """Start the server detached (own session, output to log_path) and return its pid; readiness
    is the caller's to wait for (processes.wait_until_ready)."""
    processes.require_java()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "tmp").mkdir(exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    return processes.start_detached(
        thrift_server_command(run_dir, port), cwd=run_dir, log_path=log_path, env=env
    )
