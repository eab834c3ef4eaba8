"""Spark's Thrift Server as the stack's HiveServer2 engine, without starting Spark: its command."""

from __future__ import annotations

from pathlib import Path

from kiter.local import sparkengine


def test_the_command_keeps_every_path_under_the_run_folder_and_binds_loopback(
    tmp_path: Path,
) -> None:
    command = sparkengine.thrift_server_command(tmp_path, 12345)
    joined = " ".join(command)
    assert Path(command[0]).name == "spark-submit"
    assert command[-1] == "spark-internal"
    assert f"spark.sql.warehouse.dir={tmp_path}/warehouse" in command
    assert f"databaseName={tmp_path}/metastore_db;create=true" in joined
    assert "hive.server2.thrift.port=12345" in command
    assert "hive.server2.thrift.bind.host=127.0.0.1" in command
    assert "hive.server2.long.polling.timeout=200ms" in command
    assert "hive.server2.logging.operation.level=VERBOSE" in command
    assert command[command.index("--master") + 1] == "local[2]"
    assert command[command.index("--driver-memory") + 1] == "1g"
