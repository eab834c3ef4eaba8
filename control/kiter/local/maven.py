"""Local JVM engines fetched once from Maven Central: a pinned pom, an ASM-built overlay, a cache.

An engine is a folder `<cache>/<name>-<digest of its package files>/` holding `lib/` (the pom's
jars), `tools/` (ASM, for the build only), the overlay jar its `Patch*.java` builds (an engine that
runs on Java 17 as it is has none), its configuration files and a READY stamp. It is built beside
its final name and renamed into place, so a half-fetched engine is never used; after that, runs
need no network. The cache is $KITER_CACHE/engines, else $XDG_CACHE_HOME/kiter/engines, else
~/.cache/kiter/engines.
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
from typing import Generic, TypeVar

from kiter.cachefolder import cache_folder
from kiter.errors import ServiceError, UsageError
from kiter.local.processes import java_executable, require_java_between

E = TypeVar("E")
DATA = resources.files("kiter.local") / "jvm"
READY = "READY"
_ASM = "asm-"


@dataclass(frozen=True)
class EngineFiles:
    """What one engine is made of, among the package's jvm/ files."""

    name: str  # e.g. pig-0.17.0
    pom: str
    patch: str | None  # the overlay's Patch*.java; None: the engine needs no overlay
    extra: tuple[str, ...]  # configuration files copied beside lib/
    # The overlay's build arguments after the output jar: jars of lib/ it patches.
    patched_jars: tuple[str, ...]


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    return cache_folder("engines", env)


def home(files: EngineFiles, root: Path) -> Path:
    digest = hashlib.sha256()
    for name in _package_files(files):
        digest.update((DATA / name).read_bytes())
    return root / f"{files.name}-{digest.hexdigest()[:12]}"


def installed(files: EngineFiles, root: Path | None = None) -> Path | None:
    """The engine's folder, when a complete install is in the cache."""
    folder = home(files, root or cache_root())
    return folder if (folder / READY).exists() else None


def install(
    files: EngineFiles, root: Path | None, progress: Callable[[str], None], what: str
) -> Path:
    """Fetch and build the engine unless the cache has it; returns its folder either way."""
    root = root or cache_root()
    done = installed(files, root)
    if done is not None:
        return done
    mvn = shutil.which("mvn")
    if mvn is None:
        raise UsageError(
            f"fetching {what} needs Maven (mvn): install it (e.g. apt-get install maven)"
        )
    final = home(files, root)
    building = final.with_name(f"{final.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        for name in _package_files(files):
            (building / name).write_bytes((DATA / name).read_bytes())
        started = time.monotonic()
        progress(f"fetching {what} from Maven Central (once)")
        _run(
            [mvn, "-q", "-B", "-f", str(building / files.pom), "dependency:copy-dependencies",
             f"-DoutputDirectory={building / 'lib'}"],
            f"mvn could not fetch {what}",
        )  # fmt: skip
        if files.patch is not None:
            _build_overlay(files, files.patch, building, progress, what)
        (building / READY).write_text(f"{time.monotonic() - started:.1f}s\n")
        try:
            building.rename(final)
        except OSError:  # another process finished first: use its install
            if not (final / READY).exists():
                raise
        progress(f"{what} ready in {time.monotonic() - started:.1f}s ({final})")
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


@dataclass(frozen=True)
class EngineInstall(Generic[E]):
    """A JVM engine that runs jobs (Pig, Hadoop): its files, how to make one from its folder,
    the words its messages use and the Java versions it runs on. Each engine's module declares
    its one as ENGINE."""

    files: EngineFiles
    make: Callable[[Path], E]
    what: str  # "the local Pig engine"
    runs: str  # what it runs, for the Java message: "Pig 0.17.0 on Hadoop 2.10"
    fetched: str  # what comes from Maven Central: "Pig 0.17.0"
    size: str  # how much of it: "about 26 MB"
    java: tuple[int, int]  # the Java versions it runs on, as require_java_between takes them

    def installed(self, root: Path | None = None) -> E | None:
        """The engine, when a complete install is in the cache."""
        folder = installed(self.files, root)
        return self.make(folder) if folder else None

    def require(self, root: Path | None = None) -> E:
        """The installed engine, or a UsageError saying how to install it."""
        engine = self.installed(root)
        if engine is None:
            raise UsageError(
                f"{self.what} is not installed: run `kiter local up` (it fetches {self.fetched} "
                f"from Maven Central once, {self.size})"
            )
        self.require_java()
        return engine

    def require_java(self) -> int:
        return require_java_between(*self.java, f"{self.what} ({self.runs})")

    def install(
        self, root: Path | None = None, progress: Callable[[str], None] = lambda _line: None
    ) -> E:
        """Fetch (and build) the engine unless the cache has it; returns it either way."""
        self.require_java()
        return self.make(install(self.files, root, progress, self.fetched))


def _package_files(files: EngineFiles) -> list[str]:
    return [files.pom, *([files.patch] if files.patch else []), *files.extra]


def _build_overlay(
    files: EngineFiles, patch: str, building: Path, progress: Callable[[str], None], what: str
) -> None:
    tools = building / "tools"
    tools.mkdir()
    for jar in (building / "lib").glob(f"{_ASM}*.jar"):
        jar.rename(tools / jar.name)
    progress(f"building the Java 17 overlay for {what}")
    _run(
        [java_executable() or "java", "-cp", str(tools / "*"), str(building / patch),
         *_patch_arguments(files, building)],
        f"could not build the overlay jar of {what}",
    )  # fmt: skip


def _patch_arguments(files: EngineFiles, building: Path) -> list[str]:
    jars = [str(building / "lib" / jar) for jar in files.patched_jars]
    out = str(building / "patch.jar")
    # PatchPig.java takes `in.jar out.jar`; PatchHive.java `out.jar in.jar...`.
    return [*jars, out] if files.patch == "PatchPig.java" else [out, *jars]


def _run(command: Sequence[str], what: str) -> None:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError(f"{what}: {exc}") from exc
    if proc.returncode != 0:
        tail = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()][-3:]
        raise ServiceError(f"{what} (exit {proc.returncode}): " + " | ".join(tail))
