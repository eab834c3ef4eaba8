"""The local Pig engine: Apache Pig 0.17.0 (EMR 7's version) in local mode, fetched once with Maven.

`install()` resolves the pinned, dependency-only `jvm/pig.pom.xml` with `mvn` into the engine cache
(kiter.local.maven; `~/.cache/kiter/engines/pig-0.17.0-<digest>/`), then builds a 25 KB overlay jar
from `jvm/PatchPig.java` with ASM: Pig 0.17's plan deserialization breaks on Java 9+ (an ORDER BY
followed by LIMIT fails with "Deserialization error ... this.mKey is null"), and the overlay gives
each Operator subclass a `readObject`, restoring Java 8's field assignment order. After the first
fetch, runs need no network. `command()` is the one place that knows how Pig is started: every
file a run writes (logs, temporary data, Hadoop's local job runner) stays in the run's own folder.

A peer of the HiveServer2 engines (kiter.local.sparkengine, kiter.local.hiveengine), but no server:
kiter.targets.pig runs one short-lived Pig process per script with the command built here.
This room never prints: callers pass a progress callback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiter.local import maven
from kiter.local.maven import EngineFiles
from kiter.local.processes import java_executable

PIG_VERSION = "0.17.0"
# Hadoop 2.10's UserGroupInformation calls Subject.getSubject, which Java 24 removed.
JAVA_RANGE = (17, 23)


@dataclass(frozen=True)
class PigEngine:
    """An installed engine: its classpath and logging configuration."""

    home: Path

    @property
    def classpath(self) -> str:
        # The overlay must come before Pig's own jar.
        return f"{self.home / 'patch.jar'}:{self.home / 'lib' / '*'}"

    @property
    def log4j(self) -> Path:
        return self.home / "pig-log4j.properties"

    def command(
        self,
        script: Path,
        run_dir: Path,
        *,
        parameters: Sequence[str] = (),
        properties: Mapping[str, str] = {},  # never mutated
        heap: str = "1g",
        check_only: bool = False,
    ) -> list[str]:
        """The java command that runs (or, with `check_only`, parses and type-checks) `script`.

        `parameters` are `K='V'` strings as `Script.pig_parameters()` makes them. The run folder
        must exist; its logs/ folder too (else Pig writes its error file *as* logs)."""
        tmp = run_dir / "tmp"
        flags = {
            "log4j.configuration": f"file:{self.log4j}",
            "log4jconf": str(self.log4j),  # else Pig installs its own INFO console appender
            "pig.run.dir": str(run_dir),  # where the log4j file appender writes
            "user.home": str(run_dir / "home"),  # no ~/.pigrc or ~/.pigbootup of the user's
            "java.io.tmpdir": str(tmp),
            "pig.temp.dir": str(tmp),
            "hadoop.tmp.dir": str(tmp / "hadoop"),
            "mapreduce.jobtracker.staging.root.dir": str(tmp / "staging"),
            "pig.stats.notaskreport": "true",  # PIG-5269: task reports fail on Hadoop 2.10
            **properties,
        }
        command = [
            java_executable() or "java",
            f"-Xmx{heap}",
            "-XX:TieredStopAtLevel=1",  # C1 only: ~40% faster for short local runs
            "-XX:-UsePerfData",  # no /tmp/hsperfdata_<user>
            "-cp",
            self.classpath,
            *(f"-D{key}={value}" for key, value in flags.items()),
            "org.apache.pig.Main",
            "-x",
            "local",
            "-l",
            str(run_dir / "logs"),
            "-stop_on_failure",
        ]
        for parameter in parameters:
            command += ["-param", parameter]
        if check_only:
            command.append("-c")
        return [*command, "-f", str(script)]


FILES = EngineFiles(
    name=f"pig-{PIG_VERSION}",
    pom="pig.pom.xml",
    patch="PatchPig.java",
    extra=("pig-log4j.properties",),
    patched_jars=(f"pig-{PIG_VERSION}.jar",),
)


ENGINE = maven.EngineInstall(
    FILES,
    PigEngine,
    what="the local Pig engine",
    runs=f"Pig {PIG_VERSION} on Hadoop 2.10",
    fetched=f"Pig {PIG_VERSION}",
    size="about 26 MB",
    java=JAVA_RANGE,
)
