"""The local Hadoop engine: Hadoop 2.10.2's local job runner with Hadoop Streaming, fetched once.

`install()` resolves the pinned, dependency-only `jvm/hadoop.pom.xml` with `mvn` into the engine
cache (kiter.local.maven; `~/.cache/kiter/engines/hadoop-2.10.2-<digest>/`): the same Hadoop client
jars as the Pig engine's, `hadoop-streaming` and protobuf (the distributed cache's records need it
even in local mode). Measured on Java 17: no overlay and no `--add-opens` are needed; Java 24 removed
Subject.getSubject, which Hadoop 2.10's UserGroupInformation calls. After the first fetch, runs need
no network.

`streaming_command()` and `jar_command()` are the one place that knows how a job is started
(`hadoop jar` without Hadoop's scripts): the engine's `core-site.xml` and `mapred-site.xml` come
first on the classpath and point `hadoop.tmp.dir`, `mapreduce.cluster.local.dir` and the local job
runner's staging into the run folder (`${kiter.hadoop.run}`), and its log4j configuration writes
`<run>/hadoop-run.log`. A run must start in its run folder: the local job runner links shipped files
(`-files`) into the working directory.

A peer of kiter.local.pigengine (no server: kiter.targets.hadoop runs one short-lived process per
job). This room never prints: callers pass a progress callback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiter.local import maven
from kiter.local.maven import EngineFiles
from kiter.local.processes import java_executable

HADOOP_VERSION = "2.10.2"
# Hadoop 2.10's UserGroupInformation calls Subject.getSubject, which Java 24 removed.
JAVA_RANGE = (17, 23)
STREAMING_CLASS = "org.apache.hadoop.streaming.HadoopStreaming"
FILES = EngineFiles(
    name=f"hadoop-{HADOOP_VERSION}",
    pom="hadoop.pom.xml",
    patch=None,
    extra=("core-site.xml", "mapred-site.xml", "hadoop-log4j.properties"),
    patched_jars=(),
)


@dataclass(frozen=True)
class HadoopEngine:
    """An installed engine: its classpath and how a job is started."""

    home: Path

    def streaming_command(
        self, run_dir: Path, argv: Sequence[str], *, heap: str = "1g"
    ) -> list[str]:
        """`hadoop jar hadoop-streaming.jar ARGV`, run in `run_dir`."""
        return self._java(run_dir, [], STREAMING_CLASS, argv, heap)

    def jar_command(
        self,
        run_dir: Path,
        jar: Path,
        main_class: str,
        argv: Sequence[str],
        *,
        heap: str = "1g",
        libraries: Sequence[Path] = (),
    ) -> list[str]:
        """`hadoop jar JAR MAIN ARGV`: the job's jar (and the jars it holds under lib/, unpacked
        as `hadoop jar` does) after Hadoop's own, as `hadoop jar` puts them."""
        return self._java(run_dir, [jar, *libraries], main_class, argv, heap)

    def _java(
        self, run_dir: Path, jars: Sequence[Path], main: str, argv: Sequence[str], heap: str
    ) -> list[str]:
        # The engine's folder first: its core-site.xml and mapred-site.xml are what Hadoop reads.
        classpath = ":".join([str(self.home), str(self.home / "lib" / "*"), *map(str, jars)])
        return [
            java_executable() or "java",
            f"-Xmx{heap}",
            "-XX:TieredStopAtLevel=1",  # C1 only: faster for short local runs
            "-XX:-UsePerfData",  # no /tmp/hsperfdata_<user>
            f"-Dkiter.hadoop.run={run_dir}",
            f"-Djava.io.tmpdir={run_dir / 'tmp'}",
            f"-Duser.home={run_dir / 'home'}",
            f"-Dlog4j.configuration=file:{self.home / 'hadoop-log4j.properties'}",
            "-cp",
            classpath,
            main,
            *argv,
        ]


ENGINE = maven.EngineInstall(
    FILES,
    HadoopEngine,
    what="the local Hadoop engine",
    runs=f"Hadoop {HADOOP_VERSION}",
    fetched=f"Hadoop {HADOOP_VERSION}",
    size="about 20 MB",
    java=JAVA_RANGE,
)
