"""The local Hive engine: Apache Hive 3.1.3's HiveServer2 (EMR 7's version), fetched once with Maven.

`kiter local up --hive-engine hive` runs it instead of Spark's Thrift Server (kiter.local.sparkengine,
its peer: the same `require`, `start` and `SERVER_CLASS`): embedded Derby
metastore, MapReduce through the local job runner inside the server's JVM, the local file system,
listening on 127.0.0.1 only; PyHive talks to it exactly as to Spark's. The pinned pom
(`jvm/hive.pom.xml`, 76 jars, 108 MB) lists only the jars HiveServer2 loads for DDL, DML and
queries on text, ORC, Parquet and Avro tables (calcite's pentaho dependency, missing on Maven
Central, is not among them). Java 17 needs four `--add-opens` and an overlay built from
`jvm/PatchHive.java`: Hive 3 casts the application class loader to URLClassLoader (HIVE-21584,
fixed only in Hive 4), reads java.util.ArrayList$SubList fields Java 9 renamed, and ignores
`hive.server2.thrift.bind.host` in binary mode (HIVE-20726), which would listen on every interface.

This room starts a process (through kiter.local.processes) and never prints; kiter.local.stack
waits for it and stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiter.errors import UsageError
from kiter.local import maven, processes
from kiter.local.maven import EngineFiles

HIVE_VERSION = "3.1.3"
NAME = "hive"
SERVER = f"Hive {HIVE_VERSION}'s HiveServer2"
STARTS_IN = "6-10 s"
RUN_DIR = "hive3"  # its own Derby metastore, warehouse and scratch space: kept across down/up
SERVER_CLASS = "org.apache.hive.service.server.HiveServer2"
FILES = EngineFiles(
    name=f"hive-{HIVE_VERSION}",
    pom="hive.pom.xml",
    patch="PatchHive.java",
    extra=("hive-site.xml", "hive-log4j2.properties"),
    patched_jars=(f"hive-exec-{HIVE_VERSION}.jar", f"hive-service-{HIVE_VERSION}.jar"),
)
# Each found by starting with none: java.net (HiveServer2 does not start), java.util and
# java.util.concurrent.atomic (every MapReduce query fails), java.time (date constants fail).
ADD_OPENS = ("java.net", "java.util", "java.util.concurrent.atomic", "java.time")


def installed(root: Path | None = None) -> Path | None:
    return maven.installed(FILES, root)


def install(root: Path | None = None, progress: Callable[[str], None] = lambda _l: None) -> Path:
    processes.require_java()
    return maven.install(FILES, root, progress, f"Hive {HIVE_VERSION} (108 MB)")


def command(home: Path, run_dir: Path, port: int) -> list[str]:
    """The java command of a HiveServer2 whose metastore, warehouse and logs are in `run_dir`
    (Hadoop's Configuration expands hive-site.xml's ${hs2.run} and ${hs2.port})."""
    return [
        processes.java_executable() or "java",
        "-Xmx1g",
        *(f"--add-opens=java.base/{package}=ALL-UNNAMED" for package in ADD_OPENS),
        f"-Dhs2.run={run_dir}",
        f"-Dhs2.port={port}",
        f"-Dderby.stream.error.file={run_dir / 'derby.log'}",
        f"-Dlog4j.configurationFile={home / 'hive-log4j2.properties'}",
        "-cp",
        f"{home}:{home / 'patch.jar'}:{home / 'lib' / '*'}",  # hive-site.xml, the overlay first
        SERVER_CLASS,
    ]


def require() -> None:
    """Java 17+ and an installed engine, checked before the stack starts anything."""
    processes.require_java()
    _home()


def start(run_dir: Path, port: int, *, log_path: Path) -> int:
    """Start HiveServer2 detached; returns its pid (readiness is the caller's to wait for)."""
    home = _home()
    # Hive makes its scratch folder itself (mode 733) and refuses one made with another mode.
    for folder in ("warehouse", "local-scratch", "resources", "querylog", "operation_logs"):
        (run_dir / folder).mkdir(parents=True, exist_ok=True)
    # cwd: derby.log and metastore_db land there
    return processes.start_detached(command(home, run_dir, port), cwd=run_dir, log_path=log_path)


def _home() -> Path:
    home = installed()
    if home is None:
        raise UsageError(
            f"the local Hive engine is not installed: run `kiter local up --hive-engine hive` "
            f"(it fetches Hive {HIVE_VERSION} from Maven Central once, 108 MB)"
        )
    return home
