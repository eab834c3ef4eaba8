"""Rendering a streaming or jar job: its Jinja strings (`output`, `args`) and its Hadoop command.

Such a job has no template: what kiter renders for an iteration is its command
(kiter.hadoopcommand). Its Jinja strings see the iteration: `input` (staged: the iteration's
partition; connector: the stream's name), `output` (the job's own, rendered first), `iteration`,
`logical_name`, `job`, `stream`, `mode` and `vars` (with `--var` overrides, also as top-level
names), with StrictUndefined as for templates; an error names the kiter.toml key and line.

kiter's settings go first, as `-D` generic options; a job argument that sets one of them itself
(`-D kinesis.checkpoint.iteration.no=...`) is refused, naming it. A streaming job's vars reach its
programs as environment variables (`-cmdenv K=V`). A relative `output` is a folder of the project.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiter.checkpoint import IDENTITY_KEYS, CheckpointSettings, is_owned
from kiter.errors import SettingError, TemplateError, UsageError
from kiter.hadoopcommand import (
    HadoopCommand,
    argument_settings,
    hadoop_location,
    local_folder,
    owned_argument,
    owned_argument_problem,
    program_command,
)
from kiter.layout import partition_url
from kiter.project import (
    HadoopJobConfig,
    JarJobConfig,
    JobConfig,
    Project,
    StreamingJobConfig,
)
from kiter.project.hadoopconfig import shipped_programs
from kiter.render.reads import Reads, _vars_reads

if TYPE_CHECKING:
    import jinja2

    from kiter.render import Rendered, Renderer

# The names a streaming or jar job's Jinja strings see besides the vars.
CONTEXT_NAMES = ("vars", "input", "output", "iteration", "logical_name", "job", "stream", "mode")


def rendered_command(
    renderer: Renderer,
    job: HadoopJobConfig,
    settings: CheckpointSettings,
    overrides: Mapping[str, str],
) -> Rendered:
    """A streaming or jar job rendered: its command, shown as text (it has no template)."""
    from kiter.render import Rendered

    command = render_command(renderer.env, renderer.project, job, settings, overrides)
    return Rendered(
        job=job.name,
        engine=job.engine,
        iteration=settings.iteration,
        template="",
        template_path="",
        text=command.text,
        settings=settings.as_dict(),
        submit_text=command.text,
        notes=tuple(renderer.unread_vars(job)),
        command=command,
    )


def render_command(
    env: jinja2.Environment,
    project: Project,
    job: HadoopJobConfig,
    settings: CheckpointSettings,
    overrides: Mapping[str, str],
) -> HadoopCommand:
    """The job's command for the iteration `settings` name."""
    iteration = settings.iteration
    variables = _variables(job, overrides)
    context = _context(project, job, iteration, variables)
    source = context["input"]
    output = _output(env, project, job, context)
    _check_output(project, job, output)
    _check_output_is_its_own(env, project, job, iteration, output)
    context["output"] = output
    if isinstance(job, StreamingJobConfig):
        return HadoopCommand(
            "streaming",
            settings=tuple(settings.items()),
            arguments=_streaming_arguments(job, variables, source, output),
            input=source,
            output=output,
            # Once each: a combiner is often the reducer itself.
            files=tuple(dict.fromkeys(str(project.root / p) for _, p in shipped_programs(job))),
        )
    assert isinstance(job, JarJobConfig)
    args = tuple(
        _render(env, project, job, f"args[{at}]", text, context) for at, text in enumerate(job.args)
    )
    _refuse_owned(job, args)
    jar = job.jar if job.jar.startswith("s3://") else str(project.root / job.jar)
    return HadoopCommand(
        "jar",
        settings=tuple(settings.items()),
        arguments=args,
        input=source,
        output=output,
        jar=jar,
        main_class=job.main_class,
    )


def _context(
    project: Project, job: HadoopJobConfig, iteration: int, variables: Mapping[str, str]
) -> dict[str, Any]:
    """What the job's Jinja strings see (CONTEXT_NAMES and its vars), but `output`."""
    if job.mode == "staged":
        source = hadoop_location(
            partition_url(project.staging.location, job.logical_name, iteration)
        )
    else:
        source = job.stream
    return {
        **variables,
        "vars": variables,
        "input": source,
        "iteration": iteration,
        "logical_name": job.logical_name,
        "job": job.name,
        "stream": job.stream,
        "mode": job.mode,
    }


def _output(
    env: jinja2.Environment, project: Project, job: HadoopJobConfig, context: Mapping[str, Any]
) -> str:
    return _location(project, _render(env, project, job, "output", job.output, context))


def refuse_shared_output(
    renderer: Renderer, job: JobConfig, iteration: int, overrides: Mapping[str, str]
) -> None:
    """`_check_output_is_its_own` before anything is read or staged (the runner asks it right
    after the claim: a refusal spends no attempt). An output that does not render is left to
    the render, which says what is wrong with it."""
    if not isinstance(job, HadoopJobConfig):
        return
    project = renderer.project
    try:
        context = _context(project, job, iteration, _variables(job, overrides))
        output = _output(renderer.env, project, job, context)
    except (UsageError, ValueError):
        return
    _check_output_is_its_own(renderer.env, project, job, iteration, output)


def _check_output_is_its_own(
    env: jinja2.Environment, project: Project, job: HadoopJobConfig, iteration: int, output: str
) -> None:
    """No other streaming or jar job writes its iteration of the same number into this output,
    around it or inside it: a run empties its output first, so each would delete the other's.
    Compared as Hadoop reads a path: `//`, `.` and `..` resolved."""
    ours = _comparable(output)
    for other in project.jobs.values():
        if other.name == job.name or not isinstance(other, HadoopJobConfig):
            continue
        context = _context(project, other, iteration, _variables(other, {}))
        try:
            theirs = _output(env, project, other, context)
        except (UsageError, ValueError):  # its own render says what is wrong with it
            continue
        if _nesting(ours, _comparable(theirs)):
            raise UsageError(
                f"jobs.{job.name}.output for iteration {iteration} is {output}, and "
                f"jobs.{other.name}'s is {theirs}: a run empties its output first, so each job "
                "would delete the other's result (give each job a folder of its own)",
                where=job_key_where(project, job),
            )


def _nesting(folder: str, other: str) -> str | None:
    """How `folder` stands to `other` (both without a `/` at the end): "is inside" it, "holds" it
    (or is it), or None when neither holds the other."""
    if folder.startswith(other + "/"):
        return "is inside"
    if folder == other or other.startswith(folder + "/"):
        return "holds"
    return None


def _comparable(location: str) -> str:
    """A location as Hadoop's Path reads it: repeated slashes, `.` and `..` resolved, no `/` at
    the end (`s3://bucket/a//./b/` is `s3://bucket/a/b`)."""
    scheme, _, rest = location.partition("://")
    authority, _, path = rest.partition("/")
    path = posixpath.normpath("/" + re.sub("/+", "/", path).lstrip("/")).rstrip("/")
    return f"{scheme}://{authority}{path}"


def _variables(job: HadoopJobConfig, overrides: Mapping[str, str]) -> dict[str, str]:
    """The job's vars as its Jinja strings and programs get them (strings), with the --vars."""
    return {key: str(value) for key, value in job.vars.items()} | dict(overrides)


def _streaming_arguments(
    job: StreamingJobConfig, variables: Mapping[str, str], source: str, output: str
) -> tuple[str, ...]:
    arguments = ["-mapper", program_command(job.mapper)]
    if job.combiner:
        arguments += ["-combiner", program_command(job.combiner)]
    if job.reducer:
        arguments += ["-reducer", program_command(job.reducer)]
    arguments += ["-numReduceTasks", str(job.reducers or 1) if job.reducer else "0"]
    for key, value in variables.items():
        if " " in key or " " in value:
            # Streaming joins every -cmdenv into one setting, split again at spaces for the
            # programs' environment (PipeMapRed.addEnvironment): the rest would be lost.
            raise UsageError(
                f"jobs.{job.name} var {key} = {value!r} holds a space, which Hadoop Streaming "
                "cannot pass to its programs (it splits -cmdenv values at spaces): pass it "
                "without one, or in a file shipped with `files`"
            )
        arguments += ["-cmdenv", f"{key}={value}"]
    if job.input_format:
        arguments += ["-inputformat", job.input_format]
    return (*arguments, "-input", source, "-output", output)


def _render(
    env: jinja2.Environment,
    project: Project,
    job: HadoopJobConfig,
    key: str,
    text: str,
    context: Mapping[str, Any],
) -> str:
    import jinja2

    name = f"jobs.{job.name}.{key}"
    try:
        rendered = _compiled(env, text).render(context)
    except jinja2.UndefinedError as exc:
        names = ", ".join(CONTEXT_NAMES)
        problem = f"undefined name: {exc.message} (it can read {names} and the job's vars)"
    except jinja2.TemplateError as exc:
        problem = f"template error: {exc}"
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        if not rendered.strip() and key == "output":
            raise TemplateError(
                f"{name} = {text!r} renders empty", where=job_key_where(project, job)
            )
        return rendered
    raise TemplateError(f"{name} = {text!r}: {problem}", where=job_key_where(project, job, key))


@functools.lru_cache(maxsize=512)
def _compiled(env: jinja2.Environment, text: str) -> jinja2.Template:
    """A job's Jinja string compiled once a process: each render also renders every other
    streaming or jar job's output (`_check_output_is_its_own`)."""
    return env.from_string(text)


def job_key_where(project: Project, job: HadoopJobConfig, key: str = "output") -> str:
    """kiter.toml:line of the job's key (an `args[N]` is on the `args` line)."""
    from kiter.project.checks import Locator

    try:
        text = project.path.read_text(encoding="utf-8")
    except OSError:
        return str(project.path)
    return Locator(project.path, text).where("jobs", job.name, key.split("[")[0])


def _location(project: Project, rendered: str) -> str:
    """A rendered output as a Hadoop location; a path without a scheme is the project's."""
    if "://" in rendered:
        return hadoop_location(rendered)
    return f"file://{Path(project.root, rendered).resolve()}"


def _check_output(project: Project, job: HadoopJobConfig, output: str) -> None:
    """A rerun replaces the output folder: it may not hold the project or the staged data."""
    folder = local_folder(output)
    if folder is None:
        _check_s3_output(project, job, output)
        return
    path = Path(folder)
    # The project (or a folder above it) would go with it; the staged data, or what holds it, too.
    held = [project.root]
    staging = local_folder(project.staging.location)
    if staging is not None:
        held.append(Path(staging))
    for place in held:
        if (
            path == place
            or path in place.parents
            or (place != project.root and place in path.parents)
        ):
            raise UsageError(
                f"jobs.{job.name}.output is {folder}, which a rerun replaces, and "
                + ("holds" if place not in path.parents else "is inside")
                + f" {place}: choose a folder of its own",
                where=job_key_where(project, job),
            )


def _check_s3_output(project: Project, job: HadoopJobConfig, output: str) -> None:
    """An s3:// output (an EMR step's, which kiter empties before a rerun) may not hold the
    staged data, nor be inside it."""
    staging = project.staging.location.rstrip("/")
    out = output.rstrip("/")
    if not (out.startswith("s3://") and staging.startswith("s3://")):
        return
    nesting = _nesting(out, staging)
    if nesting:
        raise UsageError(
            f"jobs.{job.name}.output is {output}, which a rerun replaces, and {nesting} the "
            f"staging location {staging}: choose a folder of its own",
            where=job_key_where(project, job),
        )


def _refuse_owned(job: JarJobConfig, args: tuple[str, ...]) -> None:
    """What load refuses in args as written (kiter.project.hadoopconfig), here as rendered."""
    key = owned_argument(args)
    if key is not None:
        raise UsageError(owned_argument_problem(job.name, key))


def check_command_settings(command: HadoopCommand, settings: CheckpointSettings) -> None:
    """The last look before a submit: the command's settings are the claim's, and no argument
    sets one kiter owns."""
    wanted = settings.as_dict()
    given = dict(command.settings)
    for key in IDENTITY_KEYS:
        if given.get(key) != wanted[key]:
            raise SettingError(
                f"the command to submit sets {key}={given.get(key)}, but this run is "
                f"{key}={wanted[key]}: nothing was submitted"
            )
    for key, _ in argument_settings(command.arguments):
        if is_owned(key):
            raise SettingError(
                f"the command to submit sets {key} in its arguments: kiter owns it; nothing was "
                "submitted"
            )


def command_reads(env: jinja2.Environment, job: HadoopJobConfig) -> Reads:
    """What the job's Jinja strings read; a streaming job's programs get every var."""
    from jinja2 import TemplateSyntaxError, meta

    if isinstance(job, StreamingJobConfig):
        return Reads(frozenset(), every=True)  # as -cmdenv: the programs may read any
    texts = [job.output, *(job.args if isinstance(job, JarJobConfig) else [])]
    names: set[str] = set()
    every = False
    for text in texts:
        try:
            ast = env.parse(text)
        except TemplateSyntaxError:  # rendering names the key and the error
            return Reads(frozenset(), every=True)
        names |= meta.find_undeclared_variables(ast) - set(CONTEXT_NAMES)
        read, whole = _vars_reads(ast)
        names |= read
        every = every or whole
    return Reads(frozenset(names), every)
