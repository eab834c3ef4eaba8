"""The local Pig engine: Apache Pig 0.17.0 (EMR 7's version) in local mode, fetched once with Maven.

`install()` resolves the pinned, dependency-only `jvm/pig.pom.xml` with `mvn` into a cache outside
the work tree (`~/.cache/kiter/engines/pig-0.17.0-<pom digest>/`), then builds a 25 KB overlay jar
from `jvm/PatchPig.java` with ASM: Pig 0.17's plan deserialization breaks on Java 9+ (an ORDER BY
followed by LIMIT fails with "Deserialization error ... this.mKey is null"), and the overlay gives
each Operator subclass a `readObject`, restoring Java 8's field assignment order. The folder is
built beside its final name and renamed into place, so a half-fetched engine is never used; after
that, runs need no network. `command()` is the one place that knows how Pig is started: every file
a run writes (logs, temporary data, Hadoop's local job runner) stays in the run's own folder.

This room never prints: callers pass a progress callback.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kiter.errors import ServiceError, UsageError
from kiter.local.spark import java_executable, java_version

PIG_VERSION = "0.17.0"
# Hadoop 2.10's UserGroupInformation calls Subject.getSubject, which Java 24 removed.
JAVA_RANGE = (17, 23)
_DATA = resources.files("kiter.local") / "jvm"
_POM, _PATCH, _LOG4J = "pig.pom.xml", "PatchPig.java", "pig-log4j.properties"
_READY = "READY"
_ASM = "asm-"  # the build-only jar, moved out of Pig's classpath


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
        return self.home / _LOG4J

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


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    """Where engines are kept: $KITER_CACHE, else $XDG_CACHE_HOME/kiter, else ~/.cache/kiter."""
    env = os.environ if env is None else env
    if env.get("KITER_CACHE"):
        return Path(env["KITER_CACHE"]) / "engines"
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "kiter" / "engines"


def _home(root: Path) -> Path:
    digest = hashlib.sha256((_DATA / _POM).read_bytes() + (_DATA / _PATCH).read_bytes())
    return root / f"pig-{PIG_VERSION}-{digest.hexdigest()[:12]}"


def installed(root: Path | None = None) -> PigEngine | None:
    """The engine, when a complete install is in the cache."""
    home = _home(root or cache_root())
    return PigEngine(home) if (home / _READY).exists() else None


def require(root: Path | None = None) -> PigEngine:
    """The installed engine, or a UsageError saying how to install it."""
    engine = installed(root)
    if engine is None:
        raise UsageError(
            "the local Pig engine is not installed: run `kiter local up` (it fetches Pig "
            f"{PIG_VERSION} from Maven Central once, about 26 MB)"
        )
    require_java()
    return engine


def require_java() -> int:
    version = java_version()
    low, high = JAVA_RANGE
    if version is None or not low <= version <= high:
        found = "no java found" if version is None else f"found Java {version}"
        raise UsageError(
            f"the local Pig engine (Pig {PIG_VERSION} on Hadoop 2.10) needs Java {low} to "
            f"{high} ({found}): set JAVA_HOME to such a JDK"
        )
    return version


def install(
    root: Path | None = None, progress: Callable[[str], None] = lambda _line: None
) -> PigEngine:
    """Fetch and build the engine unless the cache has it; returns it either way."""
    root = root or cache_root()
    engine = installed(root)
    if engine is not None:
        return engine
    require_java()
    mvn = shutil.which("mvn")
    if mvn is None:
        raise UsageError(
            "fetching the local Pig engine needs Maven (mvn): install it "
            "(e.g. apt-get install maven) or run `kiter local up --no-pig`"
        )
    home = _home(root)
    building = home.with_name(f"{home.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        for name in (_POM, _PATCH, _LOG4J):
            (building / name).write_bytes((_DATA / name).read_bytes())
        started = time.monotonic()
        progress(f"fetching Pig {PIG_VERSION} and its Hadoop jars from Maven Central")
        _run(
            [mvn, "-q", "-B", "-f", str(building / _POM), "dependency:copy-dependencies",
             f"-DoutputDirectory={building / 'lib'}"],
            "mvn could not fetch the local Pig engine",
        )  # fmt: skip
        tools = building / "tools"
        tools.mkdir()
        for jar in (building / "lib").glob(f"{_ASM}*.jar"):
            jar.rename(tools / jar.name)
        progress("building the Java 17 overlay for Pig's plan serialization")
        _run(
            [java_executable() or "java", "-cp", str(tools / "*"), str(building / _PATCH),
             str(building / "lib" / f"pig-{PIG_VERSION}.jar"), str(building / "patch.jar")],
            "could not build the Pig overlay jar",
        )  # fmt: skip
        (building / _READY).write_text(f"{time.monotonic() - started:.1f}s\n")
        try:
            building.rename(home)
        except OSError:  # another process finished first: use its install
            if not (home / _READY).exists():
                raise
        progress(f"Pig {PIG_VERSION} ready in {time.monotonic() - started:.1f}s ({home})")
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return PigEngine(home)


def _run(command: Sequence[str], what: str) -> None:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError(f"{what}: {exc}") from exc
    if proc.returncode != 0:
        tail = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()][-3:]
        raise ServiceError(f"{what} (exit {proc.returncode}): " + " | ".join(tail))
