"""`kiter validate`: render a job and check the script offline (sqlglot for HiveQL, a Pig checker).

Problems name the template's file:line (the rendered script's `<job>/<iteration>.<ext>`, where
`kiter render --out` puts it, only for a line of kiter's own checkpoint block).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kiter.errors import KiterError
from kiter.project import HadoopJobConfig, JobConfig
from kiter.render import Rendered, Renderer
from kiter.secrets import MASK, SECRET_KEYS


@dataclass(frozen=True)
class JobCheck:
    job: str
    script: str  # the rendered script's name, e.g. top_errors/0.hql
    problems: list[str]
    failed: bool

    @property
    def ok(self) -> bool:
        return not self.failed


def validate_job(renderer: Renderer, job: JobConfig, iteration: int = 0) -> JobCheck:
    from kiter.lint import Problem, check_checkpoint, check_hiveql, check_piglatin
    from kiter.scripts import effective_settings

    script = f"{job.name}/{iteration}.{job.extension}"
    if isinstance(job, HadoopJobConfig):
        return _validate_program_job(renderer, job, iteration, script)
    try:
        rendered = renderer.render(job, iteration)
    except KiterError as exc:
        return JobCheck(job.name, script, [str(exc)], failed=True)
    expected = {k: v for k, v in rendered.settings.items() if k not in SECRET_KEYS}
    known = {f"hiveconf:{k}": v for k, v in expected.items()} | {
        f"hivevar:{k}": str(v) for k, v in job.vars.items()
    }
    if job.engine == "hive":
        problems = check_hiveql(rendered.text, known)
        found = effective_settings(rendered.text, "hive")
    else:
        problems = check_piglatin(
            rendered.text,
            reads_stream=job.mode == "connector",
            parameters=[*job.vars, *rendered.parameters],
        )
        found = effective_settings(rendered.text, "pig")
    problems += check_checkpoint(found, expected)
    for key in SECRET_KEYS:
        if key in found and found[key][0] != MASK:
            problems.append(
                Problem(
                    found[key][1],
                    f"{key} is written into the script: take it from the "
                    "environment with cross_account = true",
                )
            )
    ordered = sorted(problems, key=lambda p: p.line)
    failed = any(p.severity == "error" for p in ordered)
    notes = [f"warning: {note}" for note in rendered.notes] + _placeholders(renderer, job)
    at = _at_template(rendered, script)
    shown = notes + [f"{at(p.line)}: {_prefix[p.severity]}{p.message}" for p in ordered]
    if job.engine == "pig" and not failed:
        pigs_word = _pig_check(renderer, job, iteration, rendered)
        pigs_word = pigs_word and _at_register(pigs_word, rendered.text, at)
        if pigs_word and _cluster_file(renderer, job, pigs_word):
            return JobCheck(job.name, script, [*shown, f"warning: {pigs_word}{_ON_CLUSTER}"], False)
        if pigs_word:
            return JobCheck(job.name, script, [*shown, pigs_word], failed=True)
    return JobCheck(job.name, script, shown, failed=failed)


def _validate_program_job(
    renderer: Renderer, job: HadoopJobConfig, iteration: int, script: str
) -> JobCheck:
    """A streaming or jar job: its programs (kiter.programs), then its command rendered."""
    from kiter.programs import program_problems
    from kiter.render.commands import check_command_settings, job_key_where

    errors, warnings = program_problems(renderer.project, job)
    try:
        rendered = renderer.render(job, iteration)
        assert rendered.command is not None
        check_command_settings(rendered.command, renderer.settings(job, iteration))
        following = renderer.render(job, iteration + 1).command
        if following is not None and following.output == rendered.command.output:
            # Accepted (a folder of the latest result is a choice), but worth knowing.
            warnings.append(
                f"{job_key_where(renderer.project, job)}: jobs.{job.name}.output is the same "
                "folder for every iteration: each run empties it first, so only the last "
                "iteration's result stays (put {{ iteration }} in it to keep each one)"
            )
    except KiterError as exc:
        errors.append(str(exc))
        notes: list[str] = []
    else:
        notes = [f"warning: {note}" for note in rendered.notes]
    shown = notes + [f"warning: {w}" for w in warnings] + _placeholders(renderer, job) + errors
    return JobCheck(job.name, script, shown, failed=bool(errors))


_MISSING_FILE = re.compile(r"\b101: file '([^']*)' does not exist")
_ON_CLUSTER = " (here; on the cluster it may: Pig checked the script only up to it)"


def _at_register(pigs_word: str, text: str, at: Callable[[int], str]) -> str:
    """Pig names no line for a REGISTERed file it cannot find: the REGISTER that names it."""
    missing = _MISSING_FILE.search(pigs_word)
    if missing is None or not pigs_word.startswith("Pig's check"):
        return pigs_word
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip()[:8].upper() == "REGISTER" and missing.group(1) in raw:
            return f"{at(number)}: {pigs_word}"
    return pigs_word


def _cluster_file(renderer: Renderer, job: JobConfig, pigs_word: str) -> bool:
    """Whether Pig stopped at a REGISTERed file missing here, for a job that runs on a cluster
    (its jars are the cluster's): a warning then, not a failure."""
    target = renderer.project.targets.get(job.target or "")
    return bool(_MISSING_FILE.search(pigs_word)) and (target is None or target.kind != "pig")


_prefix = {"warning": "warning: ", "error": ""}


def _at_template(rendered: Rendered, script: str) -> Callable[[int], str]:
    """file:line in the template of a line of the rendered script (the rendered script's own
    name for a line of kiter's checkpoint block, or when the template cannot be read)."""
    from kiter.checkpoint import set_block
    from kiter.sourcemap import template_lines

    try:
        source = Path(rendered.template_path).read_text(encoding="utf-8")
    except OSError:
        return lambda line: f"{script}:{line}"
    block = set_block(list(rendered.settings.items()), rendered.engine)
    lines = template_lines(rendered.text, source, block)

    def at(line: int) -> str:
        found = lines(line)
        return f"{script}:{line}" if found is None else f"{rendered.template_path}:{found}"

    return at


def _placeholders(renderer: Renderer, job: JobConfig) -> list[str]:
    """Warnings (submit, run and stage refuse them): a fresh scaffold validates, and says what
    is left to edit."""
    from kiter.project.placeholders import job_placeholders

    project = renderer.project
    target = project.targets.get(job.target) if job.target else None
    return [
        f"warning: {found} (submit, run and stage refuse it)"
        for found in job_placeholders(project, job, target)
    ]


def _pig_check(
    renderer: Renderer, job: JobConfig, iteration: int, rendered: Rendered
) -> str | None:
    """Pig's own parser and type checker, when the local Pig engine is installed. The connector's
    loader class exists only on EMR: a connector-mode job is checked in its staged rewrite, which
    reads the same records through TextLoader and keeps every line where it was."""
    from kiter.attemptscript import script_for
    from kiter.local import pigengine
    from kiter.targets.pig import check_script

    engine = pigengine.ENGINE.installed()
    if engine is None:
        return None
    try:
        pigengine.ENGINE.require_java()
    except KiterError:
        return None
    project = renderer.project
    if job.mode == "connector":
        job = replace(job, mode="staged")
        try:
            rendered = renderer.render(job, iteration)
        except KiterError:
            return None  # a load staged mode cannot read (several fields): the connector's to read
    script = script_for(job, rendered, iteration=iteration)
    scratch = project.local_dir / "pig" / "_validate" / job.name
    try:
        return check_script(engine, script, project.root, scratch)
    except KiterError as exc:
        return str(exc)
