"""Run streaming and jar jobs on the local Hadoop engine (Hadoop 2.10.2's local job runner).

Each run is a JVM in a folder of its own, `<runs>/<logical>/<iteration>/<attempt>/`, and starts
there: every file it writes stays in it (Hadoop's temporary, task and staging folders, the links
to shipped programs, `hadoop-run.log` streamed to the log channel, the JVM's `stderr.log`). It
dies with the process that started it (so it is not detachable) and Ctrl-C stops it with the
programs it started. The job's output folder is replaced by the run itself: the spawned process
removes it and then becomes the JVM, so nothing stands between the fence and the start.

A failure is one line (kiter.targets.hadooperrors) and where the whole log is; after a success the
`part-*` files of the output folder are the run's rows, tab-separated. The run folder, the wait and
its status line are the local engines' skeleton (localrun.LocalTarget).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from kiter.errors import UsageError
from kiter.hadoopcommand import HadoopCommand, local_folder, manifest_main_class
from kiter.targets.base import UNWATCHED, Echo, Handle, Outcome, Script, Watch, no_echo
from kiter.targets.hadooperrors import failure_cause
from kiter.targets.localrun import EngineRun, LocalTarget, spawn, stop_group
from kiter.targets.partrows import (
    ROWS_SHOWN,
    UnreadablePart,
    columns_of,
    part_lines,
    part_rows,
)

if TYPE_CHECKING:
    from kiter.local.hadoopengine import HadoopEngine  # built by wiring, not imported here

SUBMISSION_PREFIX = "hadoop:"
RUN_LOG, STDERR_LOG = "hadoop-run.log", "stderr.log"
# The spawned process: remove the output folder ($1), then become the JVM (exec keeps the pid).
_REPLACE_OUTPUT = 'rm -rf -- "$1" && shift && exec "$@"'


class HadoopTarget(LocalTarget):
    engine: HadoopEngine
    kind = "hadoop"
    label = "Hadoop"
    submission_prefix = SUBMISSION_PREFIX

    def start(self, script: Script, watch: Watch = UNWATCHED) -> Handle:
        command = script.command
        # Streaming and jar jobs only: the hadoop kind's declaration refuses the rest before any
        # claim (kiter.project.accepts), as for every other target.
        assert command is not None, f"job {script.job} has no Hadoop command"
        output = local_folder(command.output)
        if output is None:
            raise UsageError(
                f"job {script.job} writes to {command.output}: the local Hadoop engine writes "
                "local folders only (a path or file:// URL)"
            )
        run_dir = self.run_folder(script, ("tmp", "home"))
        _write_programs(run_dir, command)
        java = self._java(command, run_dir)
        watch.fence()
        process = spawn(
            ["/bin/sh", "-c", _REPLACE_OUTPUT, "kiter", output, *java], run_dir, session=True
        )
        return self.started(_Run(script, run_dir, process, self._log))

    def _java(self, command: HadoopCommand, run_dir: Path) -> list[str]:
        properties = sorted(self.properties.items())
        argv = command.argv(properties=properties)
        if command.engine == "streaming":
            return self.engine.streaming_command(run_dir, argv, heap=self.heap)
        jar = Path(command.jar)
        if command.jar.startswith("s3://"):
            raise UsageError(f"{command.jar}: the local Hadoop engine runs jars of the project")
        libraries = _unpacked_libraries(jar, run_dir / "tmp" / "jar-lib")
        main = command.main_class or jar_main_class(jar)
        if main is None:
            raise UsageError(f"{jar} has no Main-Class in its manifest: set main_class")
        return self.engine.jar_command(
            run_dir, jar, main, argv, heap=self.heap, libraries=libraries
        )

    def outcome(self, run: _Run, handle: Handle) -> Outcome:
        if run.process.returncode != 0:
            return Outcome("FAILED", handle.id, cause=explain_run(run.run_dir, self.workdir))
        shutil.rmtree(run.run_dir / "tmp", ignore_errors=True)
        assert run.script.command is not None
        columns, rows = output_rows(run.script.command, self._echo)
        return Outcome("SUCCEEDED", handle.id, columns=columns, rows=rows)


class _Run(EngineRun):
    """One Hadoop JVM: stderr kept in the run folder, the run log forwarded to the log channel."""

    run_log = RUN_LOG

    def __init__(self, script: Script, run_dir: Path, process: subprocess.Popen[str], log: Echo):
        self._stderr: IO[str] = (run_dir / STDERR_LOG).open("w", encoding="utf-8")
        super().__init__(script, run_dir, process, log, "hadoop-output")

    def _error_line(self, line: str) -> None:
        self._stderr.write(line + "\n")
        self._stderr.flush()
        self._log(line)

    def finish(self) -> None:
        super().finish()
        self._stderr.close()

    def stop(self) -> str:
        """SIGTERM to the JVM and what it started; SIGKILL after 10 s."""
        said = stop_group(self.process)
        self.finish()
        return said


def _write_programs(run_dir: Path, command: HadoopCommand) -> None:
    """Which shipped file came from where, for explaining a failure later (`kiter logs`)."""
    lines = [f"{PurePosixPath(path).name}\t{path}" for path in command.files]
    (run_dir / "programs.tsv").write_text("".join(f"{line}\n" for line in lines))


def explain_run(run_dir: Path, workdir: Path) -> str:
    """One line on why the run in `run_dir` failed, and where its whole log is."""
    programs: dict[str, str] = {}
    try:
        for line in (run_dir / "programs.tsv").read_text().splitlines():
            name, _, path = line.partition("\t")
            programs[name] = _shown(Path(path), workdir)
    except OSError:
        pass
    stderr = _read(run_dir / STDERR_LOG)
    cause = failure_cause(stderr, _read(run_dir / RUN_LOG), programs)
    return f"{cause} (whole log: {_shown(run_dir / RUN_LOG, workdir)}, and {STDERR_LOG} beside it)"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _shown(path: Path, workdir: Path) -> str:
    try:
        return str(path.relative_to(workdir))
    except ValueError:
        return str(path)


def output_rows(
    command: HadoopCommand, echo: Echo = no_echo
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns ($0, $1, ...) and rows of the output folder's `part-*` files, tab-separated;
    cells that are numbers read back as numbers."""
    folder = local_folder(command.output)
    if folder is None:
        return [], []
    parts = sorted(p for p in Path(folder).glob("part-*") if p.is_file())

    def lines() -> Iterator[str]:
        for part in parts:
            with part.open("rb") as raw:
                yield from part_lines(str(part), raw)

    try:
        rows, total = part_rows(lines())
    except UnreadablePart as exc:
        echo(f"rows not shown: {exc}")
        return [], []
    if total > ROWS_SHOWN:
        echo(f"showing the first {ROWS_SHOWN} of {total} rows written to {folder}")
    return columns_of(rows), rows


def jar_main_class(jar: Path) -> str | None:
    """The Main-Class of a jar's manifest, or None."""
    try:
        with zipfile.ZipFile(jar) as archive:
            return manifest_main_class(
                archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
            )
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def _unpacked_libraries(jar: Path, into: Path) -> list[Path]:
    """The jars a job jar holds under lib/, unpacked as `hadoop jar` does."""
    try:
        with zipfile.ZipFile(jar) as archive:
            names = [n for n in archive.namelist() if n.startswith("lib/") and n.endswith(".jar")]
            for name in names:
                archive.extract(name, into)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"cannot read the jar {jar}: {exc}") from None
    return [into / name for name in names]
