"""Run Pig Latin on the local Pig engine (Pig 0.17.0 in local mode, see kiter.local.pigengine).

Each run is a JVM in a folder of its own, `<runs>/<logical>/<iteration>/<attempt>/`, holding the
script, Pig's run log (`pig-run.log`, streamed to the log channel) and its temporary data. The JVM
runs in the project folder, so relative paths in a script mean what they mean in kiter.toml, and it
dies with the process that started it (a local run cannot outlive kiter, so it is not detachable).
A failure becomes one line naming the script line and the template file:line. After a success, the
rows of the script's last STORE into a local folder are read back as the run's result. The run
folder, the wait and its status line are the local engines' skeleton (localrun.LocalTarget).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiter.scripts import pig_statements, substitute_pig_parameters, tokenize, unquote
from kiter.targets.base import UNWATCHED, Echo, Handle, Outcome, Script, Watch, no_echo
from kiter.targets.localrun import EngineRun, LocalTarget, spawn
from kiter.targets.pigerrors import PigError, read_failure

if TYPE_CHECKING:
    from kiter.local.pigengine import PigEngine  # built by wiring: targets do not import local/

ROWS_SHOWN = 1000
# Pig's type codes in .pig_schema (org.apache.pig.data.DataType) that read back as numbers.
_INTEGER_TYPES, _FLOAT_TYPES = {10, 15}, {20, 25}


class PigTarget(LocalTarget):
    engine: PigEngine
    kind = "pig"
    label = "Pig"
    submission_prefix = "pig:"

    def start(self, script: Script, watch: Watch = UNWATCHED) -> Handle:
        run_dir = self.run_folder(script, ("logs", "tmp"))
        script_path = run_dir / "script.pig"
        script_path.touch(mode=0o600)
        script_path.write_text(script.text, encoding="utf-8")
        command = self.engine.command(
            script_path,
            run_dir,
            parameters=script.pig_parameters(),
            properties=self.properties,
            heap=self.heap,
        )
        watch.fence()
        return self.started(_Run(script, run_dir, spawn(command, self.workdir), self._log))

    def outcome(self, run: _Run, handle: Handle) -> Outcome:
        if run.process.returncode != 0:
            return Outcome("FAILED", handle.id, cause=run.failure())
        if run.script.record_text is not None:
            (run.run_dir / "script.pig").write_text(run.script.record_text, encoding="utf-8")
        shutil.rmtree(run.run_dir / "tmp", ignore_errors=True)
        columns, rows = stored_rows(run.script, self.workdir, self._echo)
        return Outcome("SUCCEEDED", handle.id, columns=columns, rows=rows)


class _Run(EngineRun):
    """One Pig JVM: its stderr kept for explaining a failure, its run log forwarded."""

    run_log = "pig-run.log"

    def __init__(self, script: Script, run_dir: Path, process: subprocess.Popen[str], log: Echo):
        self._stderr: list[str] = []
        super().__init__(script, run_dir, process, log, "pig-output")

    def _error_line(self, line: str) -> None:
        self._stderr.append(line)
        self._log(line)

    def stop(self) -> str:
        """SIGTERM: Pig's shutdown hook kills its local job (about 0.2 s); SIGKILL after 10 s."""
        if self.process.poll() is not None:
            return f"it had ended with exit {self.process.returncode}"
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return "killed it"
        return "stopped it"

    def failure(self) -> str:
        """One line: exit code, script line, template file:line, Pig's message."""
        log_path = self.run_dir / self.run_log
        run_log = log_path.read_text(errors="replace") if log_path.exists() else ""
        error = read_failure("\n".join(self._stderr), run_log)
        return f"{_where(self.script, error)}Pig exit {self.process.returncode}: {error.message}"


def check_script(engine: PigEngine, script: Script, workdir: Path, scratch: Path) -> str | None:
    """Pig's own check (`pig -c`: parameters, parsing, aliases, types; nothing runs), as one line
    naming the template file:line, or None when Pig accepts the script. About 1-1.5 s."""
    scratch.mkdir(parents=True, exist_ok=True)
    for folder in ("logs", "tmp"):
        (scratch / folder).mkdir(exist_ok=True)
    path = scratch / "script.pig"
    path.write_text(script.text, encoding="utf-8")
    command = engine.command(path, scratch, parameters=script.pig_parameters(), check_only=True)
    proc = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode == 0:
        return None
    log = scratch / "pig-run.log"
    error = read_failure(proc.stderr, log.read_text(errors="replace") if log.exists() else "")
    return f"{_where(script, error)}Pig's check (exit {proc.returncode}): {error.message}"


def _where(script: Script, error: PigError) -> str:
    if error.line is None:
        error = _located_by_name(script, error)
    if error.line is None:
        return ""
    column = f", column {error.column}" if error.column is not None else ""
    template = script.template_line(error.line)
    return (
        f"{template}: (script line {error.line}{column}) "
        if template
        else (f"script line {error.line}{column}: ")
    )


_UNRESOLVED = re.compile(r"Could not resolve (\w[\w.$]*)")


def _located_by_name(script: Script, error: PigError) -> PigError:
    """Pig names an unknown function without its line (ERROR 1070): find where it is called."""
    match = _UNRESOLVED.search(error.message)
    if match is None:
        return error
    call = re.compile(rf"(?<![\w.]){re.escape(match.group(1))}\s*\(")
    for number, line in enumerate(script.text.splitlines(), 1):
        found = call.search(line)
        if found:
            return PigError(error.message, number, found.start() + 1)
    return error


def stored_rows(
    script: Script, workdir: Path, echo: Echo = no_echo
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns and rows of the last STORE into a local folder, or nothing."""
    store = last_store(script.text, script.variables)
    if store is None:
        return [], []
    location, delimiter = store
    if "://" in location and not location.startswith("file://"):
        return [], []
    folder = workdir / location.removeprefix("file://")
    parts = sorted(p for p in folder.glob("part-*") if p.is_file())
    columns, types = _schema(folder)
    rows: list[tuple[Any, ...]] = []
    total = 0
    for part in parts:
        for line in part.read_text(encoding="utf-8", errors="replace").splitlines():
            total += 1
            if len(rows) < ROWS_SHOWN:
                rows.append(
                    tuple(_typed(cell, types, i) for i, cell in enumerate(line.split(delimiter)))
                )
    if total > ROWS_SHOWN:
        echo(f"showing the first {ROWS_SHOWN} of {total} rows stored in {folder}")
    width = max((len(row) for row in rows), default=len(columns))
    columns = columns if len(columns) == width else [f"${i}" for i in range(width)]
    return columns, rows


def last_store(text: str, variables: Mapping[str, str]) -> tuple[str, str] | None:
    """(location, field delimiter) of the script's last `STORE alias INTO 'location'`."""
    problems: list[Any] = []
    found = None
    for statement in pig_statements(tokenize(text, problems), problems):
        words = statement.tokens
        if len(words) >= 4 and words[0].upper == "STORE" and words[2].upper == "INTO":
            if words[3].kind != "string":
                continue
            delimiter = "\t"
            uses = [t.upper for t in words]
            if "PIGSTORAGE" in uses:
                at = uses.index("PIGSTORAGE")
                if at + 2 < len(words) and words[at + 2].kind == "string":
                    delimiter = _unescaped(words[at + 2].text[1:-1]) or "\t"
            elif "USING" in uses:
                continue  # another storer: its files are not delimited text
            found = (substitute_pig_parameters(unquote(words[3].text), variables), delimiter)
    return found


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}


def _unescaped(body: str) -> str:
    """A Pig string literal's body as Pig's lexer reads it (`\\t`, `\\u0001`, `\\'`)."""

    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape.startswith("u"):
            return chr(int(escape[1:], 16))
        return _ESCAPES.get(escape, escape)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", one, body)


def _schema(folder: Path) -> tuple[list[str], list[int]]:
    """Field names and Pig type codes from PigStorage's `-schema` file, when written."""
    try:
        fields = json.loads((folder / ".pig_schema").read_text())["fields"]
        return [f["name"] for f in fields], [int(f["type"]) for f in fields]
    except (OSError, ValueError, KeyError, TypeError):
        return [], []


def _typed(cell: str, types: list[int], index: int) -> Any:
    kind = types[index] if index < len(types) else None
    try:
        if kind in _INTEGER_TYPES:
            return int(cell)
        if kind in _FLOAT_TYPES:
            return float(cell)
    except ValueError:
        return cell
    return cell
