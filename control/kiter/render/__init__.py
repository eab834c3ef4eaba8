"""Rendering: the one Jinja environment and the checkpoint settings injected into every script.

Search path: the project's own hiveql/, piglatin/, templates/ first, then kiter's built-ins.
StrictUndefined: a missing variable is an error naming the template file and line, never an empty
string in a query. The checkpoint block lands exactly once: where the template calls
`kiter_preamble()` (the `preamble()` macro), else at the top.

Every value from outside the template (job vars, `--var`, the stream, the staging location) is
checked where it is interpolated: written as it is, it may not hold what would end a literal or a
statement (quotes, a backslash, `;`, a line break) or start a variable substitution (`$`); the
filters `| hive_string`, `| pig_string` (a quoted literal, escaped for that dialect) and
`| identifier` put such values into their context. A refusal names the value and file:line.

A `--var` that no template of the job reads is refused, and a job var nothing reads is warned
of (reads.py says what a template reads).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kiter.adopt import Adopted, adopt_script
from kiter.checkpoint import AnyIteration, CheckpointSettings, set_block
from kiter.errors import TemplateError, UsageError
from kiter.layout import partition_in
from kiter.project import HadoopJobConfig, JobConfig, Project
from kiter.render.carried import carried_parameters
from kiter.render.joining import join_scripts
from kiter.render.reads import Reads, template_reads
from kiter.render.rendered import Rendered as Rendered
from kiter.render.rendered import staging_locations as staging_locations
from kiter.render.stagedreads import check_no_other_jobs_table, check_reads_staged
from kiter.render.templateerrors import jinja_errors, template_error
from kiter.render.values import (
    hive_string,
    identifier,
    outside_values,
    pig_path,
    pig_string,
)
from kiter.render.written import write_rendered as write_rendered
from kiter.secrets import MASK, SECRET_KEYS, mask_values

if TYPE_CHECKING:
    import jinja2


# The names kiter puts in every template's context, in `Renderer.render`'s order: a var of the
# same name is reachable only as `vars.NAME`, kiter's value wins at the top level.
KITER_NAMES = (
    "vars",
    "job",
    "engine",
    "mode",
    "stream",
    "logical_name",
    "iteration",
    "checkpoint",
    "staging",
    "campaign_table",
    "kiter_preamble",
    "ident",
)

# kiter's names whose values an iteration changes; the others are the job's (`_JobParts.fixed`).
_PER_RENDER = ("vars", "iteration", "checkpoint", "staging", "kiter_preamble")


class _JobParts(NamedTuple):
    """What every render of one job shares: no iteration changes it (`Renderer._parts`)."""

    job: JobConfig  # the configuration it was worked out for
    settings: AnyIteration
    staging: dict[str, str]  # `staging_locations` but for the partition
    variables: dict[str, Any]  # `outside_values` without --var
    unread: tuple[str, ...]  # `unread_vars`
    fixed: dict[str, Any]  # kiter's names but `_PER_RENDER`
    names: tuple[str, ...]  # the job's templates
    paths: tuple[str, ...]  # and where each was found


# Where the template placed kiter.preamble(): the checkpoint block goes there once the body is
# adopted (the block sets what the body may not). A statement of its own, `;` included, so the
# SET after it is read as one (and taken over), not as the end of the placeholder's statement.
_PREAMBLE = "\x00kiter-checkpoint-block\x00;"


class Renderer:
    """Renders a project's jobs. Build one per project; it keeps the Jinja environment."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._env: jinja2.Environment | None = None
        self._paths: dict[str, str] = {}
        self._templates: dict[str, jinja2.Template] = {}
        self._reads: dict[tuple[str, str], Reads] = {}
        self._jobs: dict[str, _JobParts] = {}

    @property
    def env(self) -> jinja2.Environment:
        """The one Jinja environment. An outside value that must not be printed as it is is an
        `Unprintable` (render/values.py): it refuses to become text wherever it is printed."""
        if self._env is None:
            import jinja2

            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(p) for p in self.project.template_dirs]),
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=True,
                autoescape=False,
                auto_reload=False,
            )
            env.filters.update(
                hive_string=hive_string,
                pig_string=pig_string,
                pig_path=pig_path,
                identifier=identifier,
            )
            self._env = env
        return self._env

    def settings(
        self, job: JobConfig, iteration: int, *, rerun: bool = False
    ) -> CheckpointSettings:
        meta = self.project.metastore
        return CheckpointSettings(
            table=job.checkpoint_table or meta.table,
            hash_key=meta.hash_key,
            range_key=meta.range_key,
            logical_name=job.logical_name,
            iteration=iteration,
            rerun_without_wait=rerun,
            endpoint_region=job.endpoint_region,
            nodata_timeout=job.nodata_timeout,
            iteration_timeout=job.iteration_timeout,
            batch_size=job.batch_size,
        )

    def reads(self, job: JobConfig) -> Reads:
        """What the job's template, and what it imports or includes, reads."""
        if isinstance(job, HadoopJobConfig):
            from kiter.render.commands import command_reads

            return command_reads(self.env, job)
        every = []
        for name in job.template_names:
            key = (name, job.engine)
            if key not in self._reads:
                with jinja_errors(name, job.engine):
                    self._reads[key] = template_reads(self.env, name, job.engine, KITER_NAMES)
            every.append(self._reads[key])
        if len(every) == 1:
            return every[0]
        return Reads(
            frozenset().union(*(r.names for r in every)), every=any(r.every for r in every)
        )

    def check_overrides(self, job: JobConfig, overrides: Mapping[str, str]) -> None:
        """Refuse a `--var` no template of the job reads: a typo must not leave the default in
        place (a Pig job's default output would be replaced, say)."""
        reads = self.reads(job)
        for key in reads.unread(overrides):
            raise UsageError(
                f"unknown --var {key!r}: no template of job {job.name} reads it"
                + reads.did_you_mean(key)
            )

    def unread_vars(self, job: JobConfig) -> list[str]:
        """A warning for each job var no template of the job reads, at its kiter.toml line."""
        reads = self.reads(job)
        origins = self.project.origins
        return [
            f"{origins.get(f'jobs.{job.name}.vars.{key}', self.project.path)}: "
            f"jobs.{job.name}.vars.{key} is read by no template of the job"
            + reads.did_you_mean(key)
            for key in reads.unread(job.vars)
        ]

    def _parts(self, job: JobConfig) -> _JobParts:
        """What every render of `job` shares, worked out at its first (and again for another
        configuration under the same name: a caller may render a changed copy of a job)."""
        known = self._jobs.get(job.name)
        if known is None or known.job is not job:
            variables = outside_values(job, {})
            fixed = {
                "job": job.name,
                "engine": job.engine,
                "mode": job.mode,
                # Checked when kiter.toml was loaded: names and a location that fit any literal.
                "stream": job.stream,
                "logical_name": job.logical_name,
                "campaign_table": job.campaign_table,
                "ident": sanitized_identifier,
            }
            assert {*fixed, *_PER_RENDER} == set(KITER_NAMES)  # what `reads` takes for kiter's
            self._jobs[job.name] = _JobParts(
                job,
                AnyIteration(self.settings(job, 0), job.engine),
                staging_locations(self.project, job, 0),
                variables,
                tuple(self.unread_vars(job)),
                fixed,
                job.template_names,
                tuple(self._path(name) for name in job.template_names),
            )
        return self._jobs[job.name]

    def render(
        self,
        job: JobConfig,
        iteration: int,
        *,
        overrides: Mapping[str, str] | None = None,
        rerun: bool = False,
        secrets: Mapping[str, str] | None = None,
    ) -> Rendered:
        """Render `job` for `iteration`. `secrets` (cross-account keys) reach only submit_text."""
        if overrides:
            self.check_overrides(job, overrides)
        if isinstance(job, HadoopJobConfig):
            from kiter.render.commands import rendered_command

            settings = self.settings(job, iteration, rerun=rerun)
            return rendered_command(self, job, settings, overrides or {})
        shared = self._parts(job)
        owned, block = shared.settings.of(iteration, rerun)
        items, checkpoint = owned, dict(owned)
        shown = checkpoint.copy()  # before a template's expression could change `checkpoint`
        if job.cross_account:
            real = dict(secrets or {})
            items = [*owned, *((key, real.get(key, MASK)) for key in SECRET_KEYS)]
            block = set_block(items, job.engine)
        placed: list[int] = []

        def kiter_preamble() -> str:
            placed.append(1)
            if len(placed) > 1:
                raise UsageError("the checkpoint preamble is placed twice")
            return _PREAMBLE  # the block goes in after the body is adopted, see below

        # A copy without --vars: a template's expression may change it.
        variables = outside_values(job, overrides) if overrides else dict(shared.variables)
        location = shared.staging["location"]
        staging = {**shared.staging, "partition": partition_in(location, iteration)}
        context = {
            **variables,
            **shared.fixed,
            "vars": variables,
            "iteration": iteration,
            "checkpoint": checkpoint,
            "staging": staging,
            "kiter_preamble": kiter_preamble,
        }
        parts: list[tuple[str, str]] = []
        notes: list[str] = []
        parameters: dict[str, str] = {}
        names = shared.names
        for name in names:
            adopted, carried = self._adopted(job, name, context, owned, iteration, overrides or {})
            parts.append((name, adopted.text))
            notes += adopted.notes
            parameters |= carried
        body = join_scripts(parts, job.engine)
        paths = shared.paths
        if job.mode == "staged":
            check_no_other_jobs_table(
                self.project,
                job,
                body.replace(_PREAMBLE, ""),
                lambda: [(path, _source(path)) for path in paths],
            )
            check_reads_staged(job, body, staging["partition"])
        submit_text = body.replace(_PREAMBLE, block, 1) if placed else f"{block}\n\n{body}"
        if not submit_text.endswith("\n"):
            submit_text += "\n"
        shown_text = submit_text
        if job.cross_account:  # the keys' values reach submit_text only
            secret_values = [v for k, v in items if k in SECRET_KEYS and v != MASK]
            shown_text = mask_values(submit_text, secret_values)
            shown = {k: (MASK if k in SECRET_KEYS else v) for k, v in items}
        return Rendered(
            job=job.name,
            engine=job.engine,
            iteration=iteration,
            template=job.template,
            template_path=paths[0],
            text=shown_text,
            settings=shown,
            submit_text=submit_text,
            notes=(*shared.unread, *notes),
            parameters=parameters,
            templates=names,
            template_paths=paths,
        )

    def _adopted(
        self,
        job: JobConfig,
        name: str,
        context: dict[str, Any],
        settings: Sequence[tuple[str, str]],
        iteration: int,
        overrides: Mapping[str, str],
    ) -> tuple[Adopted, dict[str, str]]:
        """One template of the job rendered, with kiter's ownership applied (kiter.adopt), and
        the Pig parameters it carries kiter's values in (render/carried.py)."""
        body = self._render_template(name, context, job.engine)
        template_path = self._paths[name]

        def source() -> str:
            return Path(template_path).read_text(encoding="utf-8")

        try:
            adopted = adopt_script(
                body,
                engine=job.engine,
                mode=job.mode,
                stream=job.stream,
                settings=settings,
                partition=context["staging"]["partition"],
                template=template_path,
                source=source,
            )
        except UsageError as exc:  # it names the template's file:line itself
            raise TemplateError(exc.message) from None
        if not adopted.carried:  # the common case: no SET takes its value from a parameter
            return adopted, {}
        parameters = carried_parameters(
            adopted.carried,
            body,
            job=job.name,
            iteration=iteration,
            logical_name=job.logical_name,
            variables=job.vars,
            overrides=overrides,
            template=template_path,
            source=source,
        )
        return adopted, parameters

    def _path(self, name: str) -> str:
        if name not in self._paths:
            self._paths[name] = str(self.project.find_template(name))
        return self._paths[name]

    def _render_template(self, name: str, context: dict[str, Any], engine: str) -> str:
        # jinja_errors, written out: this runs on every render, and a try costs nothing.
        try:
            template = self._templates.get(name)
            if template is None:
                template = self._templates[name] = self.env.get_template(name)
            text: str = template.render(context)
        except Exception as exc:
            error = template_error(exc, name, engine)
            if error is None:
                raise
            raise error from None
        return text


def _source(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:  # gone since rendering: lines keep the script's own numbers
        return ""


def sanitized_identifier(text: str) -> str:
    """`text` made a Hive identifier: letters, digits and underscores, lower case."""
    return re.sub(r"[^0-9a-z_]", "_", str(text).lower())
