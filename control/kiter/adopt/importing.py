"""`kiter import`: a job made of existing connector scripts, the scripts left as they are.

The engine comes from the files' extension, the stream from their Kinesis tables or loads, the
logical name from their own SET lines (unless given); the files are copied into the project's
hiveql/ or piglatin/ folder unchanged, and a `[jobs.NAME]` table (`template`, or `templates` in
the order given) is added to kiter.toml with the file's comments and layout kept (tomlkit).
Planning writes nothing; `write` writes every file or none. What `kiter validate` would refuse of
a script is refused here, at the script's file:line (importchecks.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiter.adopt.importchecks import (
    check_carried,
    check_given_stream,
    check_key_names,
    refuse_credentials,
)
from kiter.checkpoint import is_owned
from kiter.errors import ConfigError, UsageError
from kiter.project.fields import TABLE_NAME, TABLE_SHAPE
from kiter.scripts import kinesis_loads, kinesis_tables, pig_carried_parameters, set_lines

ENGINES = {".q": "hive", ".hql": "hive", ".sql": "hive", ".pig": "pig"}
_FOLDERS = {"hive": "hiveql", "pig": "piglatin"}
_JINJA = re.compile(r"\{\{|\{%|\{#")


@dataclass(frozen=True)
class ImportPlan:
    """What `kiter import` will do, before it does it."""

    sources: tuple[Path, ...]  # in the order the job runs them
    engine: str
    name: str
    stream: str
    logical_name: str
    target: str | None
    mode: str
    templates: tuple[str, ...]  # file names under hiveql/ or piglatin/
    copies: tuple[Path, ...]
    # (file name, line, key, value) the scripts set that kiter owns
    owned: tuple[tuple[str, int, str, str], ...]
    carried: tuple[tuple[str, int | str], ...] = ()  # job settings taken from the scripts' values
    # The scripts' own connector table, kept for the job when it is not the project's.
    checkpoint_table: str | None = None
    # (file name, parameter, setting, line): Pig parameters a script sets kiter's values from.
    parameters: tuple[tuple[str, str, str, int], ...] = ()

    def job_table(self) -> dict[str, str | int | list[str]]:
        several = len(self.templates) > 1
        table: dict[str, str | int | list[str]] = {
            "engine": self.engine,
            **({"templates": list(self.templates)} if several else {"template": self.templates[0]}),
            "stream": self.stream,
            "logical_name": self.logical_name,
            "mode": self.mode,
        }
        if self.target:
            table["target"] = self.target
        if self.checkpoint_table:
            table["checkpoint_table"] = self.checkpoint_table
        table.update(self.carried)
        return table


def plan_import(
    project_root: Path,
    sources: Sequence[Path],
    *,
    name: str | None = None,
    stream: str | None = None,
    logical_name: str | None = None,
    target: str | None = None,
    mode: str = "connector",
    existing_jobs: tuple[str, ...] = (),
    project_table: str | None = None,
    region: str | None = None,
    project_keys: dict[str, str] | None = None,
) -> ImportPlan:
    """Read `sources` (one job's scripts, in order) and decide the job; raises UsageError naming
    what cannot be decided, or what `kiter validate` would refuse of the job, at the script's
    file:line.

    `project_table`: the project's checkpoint table; a script that names another keeps its own.
    `region`: the project's AWS region (flags, environment and file), for staged mode's check.
    `project_keys`: the project's {"hash_key": ..., "range_key": ...} of its checkpoint tables.
    """
    engines = {_engine_of(source) for source in sources}
    if len(engines) > 1:
        raise UsageError(
            f"{', '.join(map(str, sources))}: one job's scripts are all Hive or all Pig"
        )
    engine = engines.pop()
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise UsageError(f"two scripts named {_twice(names)!r}: one job's scripts need own names")
    texts = [_read_script(source) for source in sources]
    for source, text in zip(sources, texts, strict=True):
        refuse_credentials(text, source)
        if stream:
            check_given_stream(text, engine, stream, source)
    job = name or _job_name(sources[-1].stem)
    if job in existing_jobs:
        raise ConfigError(f"kiter.toml already has a job named {job!r}: choose one with --name")
    stream = stream or _stream_of(texts, engine, sources)
    parameters = tuple(
        (source.name, c.name, c.key, c.line)
        for source, text in zip(sources, texts, strict=True)
        for c in (pig_carried_parameters(text) if engine == "pig" else ())
    )
    from_parameter = any(key == "kinesis.checkpoint.logical.name" for _, _, key, _ in parameters)
    logicals = [found for text in texts if (found := _logical_name_of(text, engine))]
    logical = logical_name or (None if from_parameter else (logicals[-1] if logicals else None))
    logical = logical or job
    folder = project_root / _FOLDERS[engine]
    copies = tuple(folder / source.name for source in sources)
    for copy_to, text in zip(copies, texts, strict=True):
        if copy_to.exists() and copy_to.read_text(encoding="utf-8") != text:
            raise UsageError(f"{copy_to} exists with other content: rename the script to import it")
    owned: list[tuple[str, int, str, str]] = []
    settings: list[tuple[str, str]] = []
    last_table: tuple[Path, int, str] | None = None
    for source, text in zip(sources, texts, strict=True):
        own = [(a.line, a.key, a.value) for a in set_lines(text, engine) if is_owned(a.key)]
        loader = [
            (load.line, argument.split("=", 1)[0], argument.split("=", 1)[1])
            for load in (kinesis_loads(text) if engine == "pig" else [])
            for argument, _, _ in load.arguments
            if "=" in argument
        ]
        last = {key.strip().lower(): (n, key, value) for n, key, value in [*own, *loader]}
        check_carried(
            list(last.values()),
            source,
            logical_from_script=logical_name is None and not from_parameter,
            mode=mode,
            region=region,
        )
        check_key_names(list(last.values()), source, project_keys or {})
        owned += [(source.name, n, key, value) for n, key, value in own]
        settings += [(key, value) for _, key, value in [*own, *loader]]
        table = _table_set(own)
        if table is not None:
            last_table = (source, *table)
    return ImportPlan(
        sources=tuple(sources),
        engine=engine,
        name=job,
        stream=stream,
        logical_name=logical,
        target=target,
        mode=mode,
        templates=tuple(names),
        copies=copies,
        owned=tuple(owned),
        carried=_carried(settings),
        checkpoint_table=_own_table(last_table, project_table),
        parameters=parameters,
    )


def _engine_of(source: Path) -> str:
    engine = ENGINES.get(source.suffix.lower())
    if engine is None:
        raise UsageError(
            f"{source}: cannot tell the engine from the extension {source.suffix or '(none)'!r} "
            "(.q, .hql or .sql for Hive, .pig for Pig)"
        )
    return engine


def _read_script(source: Path) -> str:
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {source}: {exc}") from None
    jinja = _JINJA.search(text)
    if jinja:
        line = text.count("\n", 0, jinja.start()) + 1
        raise UsageError(
            f"{source}:{line}: {jinja.group(0)!r} would be read as a Jinja template; "
            "write the job's template by hand"
        )
    return text


def _twice(names: list[str]) -> str:
    return next(name for name in names if names.count(name) > 1)


# The script's own values of settings kiter injects from the job: carried into the job table.
_JOB_SETTINGS = {
    "kinesis.nodata.timeout": "nodata_timeout",
    "kinesis.iteration.timeout": "iteration_timeout",
    "kinesis.records.batchsize": "batch_size",
    "kinesis.endpoint.region": "endpoint_region",
}


def _carried(settings: list[tuple[str, str]]) -> tuple[tuple[str, int | str], ...]:
    carried: dict[str, int | str] = {}
    for key, value in settings:
        field = _JOB_SETTINGS.get(key.strip().lower().removeprefix("hiveconf:"))
        value = value.strip().strip("'\"")
        if field is None:
            continue
        if field == "endpoint_region":
            carried[field] = value
        elif value.isdigit():
            carried[field] = int(value)
    return tuple(carried.items())


def _table_set(owned: list[tuple[int, str, str]]) -> tuple[int, str] | None:
    """(line, table) of a script's last SET of its checkpoint table, if it sets one."""
    tables = [
        (line, value.strip().strip("'\""))
        for line, key, value in owned
        if key.lower().removeprefix("hiveconf:") == "kinesis.checkpoint.metastore.table.name"
    ]
    return tables[-1] if tables else None


def _own_table(last: tuple[Path, int, str] | None, project_table: str | None) -> str | None:
    """The table the scripts' last SET of it names, when it is not the project's."""
    if last is None or last[2] == project_table:
        return None
    source, line, table = last
    if not re.fullmatch(TABLE_NAME, table):
        raise UsageError(
            f"{source}:{line}: kinesis.checkpoint.metastore.table.name {table!r} is not a "
            f"{TABLE_SHAPE}: kiter cannot keep it as the job's table"
        )
    return table


def write_import(
    plan: ImportPlan,
    project_file: Path,
    *,
    flags: Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> None:
    """Copy the scripts and add their job to kiter.toml (comments and layout kept): after the
    last [jobs.*] table, before any comment that introduces what follows it, set off by blank
    lines. The project is loaded again as the command line loaded it (`flags`, `profile`,
    environment); if the new job does not load, nothing changes."""
    text = project_file.read_text(encoding="utf-8")
    copied = [copy_to for copy_to in plan.copies if not copy_to.exists()]
    for source, copy_to in zip(plan.sources, plan.copies, strict=True):
        copy_to.parent.mkdir(parents=True, exist_ok=True)
        if copy_to in copied:
            copy_to.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    project_file.write_text(_with_job(text, plan), encoding="utf-8")
    try:
        from kiter.project import load_project

        load_project(project_file, flags=flags, profile=profile)
    except ConfigError as exc:
        project_file.write_text(text, encoding="utf-8")
        for copy_to in copied:
            copy_to.unlink()
        what = ", ".join(str(source) for source in plan.sources)
        raise ConfigError(
            f"{what}: the job it would make does not load ({exc.message}); nothing was imported"
        ) from None


_HEADER = re.compile(r"^[ \t]*\[", re.M)
_JOBS_HEADER = re.compile(r"^[ \t]*\[[ \t]*jobs[ \t]*\.", re.M)


def _with_job(text: str, plan: ImportPlan) -> str:
    """`text` with the plan's [jobs.NAME] table inserted where it belongs."""
    import tomlkit

    document = tomlkit.document()
    jobs = tomlkit.table(is_super_table=True)
    table = tomlkit.table()
    for key, value in plan.job_table().items():
        table[key] = value
    table.comment(f"imported from {', '.join(s.name for s in plan.sources)} by kiter import")
    jobs[plan.name] = table
    document["jobs"] = jobs
    block = tomlkit.dumps(document).strip("\n") + "\n"
    headers = list(_JOBS_HEADER.finditer(text))
    if not headers:
        return text.rstrip("\n") + "\n\n" + block
    after = _HEADER.search(text, headers[-1].end())
    end = after.start() if after else len(text)
    # Back over the comment right above the next table (it introduces that table), then blank
    # lines; a comment set off by a blank line stays with the job above it (its commented keys).
    lines = text[:end].splitlines(keepends=True)
    while after and lines and lines[-1].lstrip().startswith("#"):
        lines.pop()
    while lines and not lines[-1].strip():
        lines.pop()
    head = "".join(lines)
    rest = text[len(head) :].lstrip("\n")
    return head.rstrip("\n") + "\n\n" + block + ("\n" + rest if rest else "")


def _job_name(stem: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]", "_", stem)
    return name if name[:1].isalpha() else f"job_{name}"


def _stream_of(texts: list[str], engine: str, sources: Sequence[Path]) -> str:
    found: set[str] = set()
    for text in texts:
        if engine == "hive":
            found |= {t.stream for t in kinesis_tables(text) if t.stream}
        else:
            found |= {load.stream for load in kinesis_loads(text)}
    names = sorted(found)
    if len(names) == 1:
        return names[0]
    what = str(sources[0]) if len(sources) == 1 else ", ".join(map(str, sources))
    script = "the script reads" if len(sources) == 1 else "the scripts read"
    if not names:
        raise UsageError(
            f"{what}: {script} no Kinesis stream (no table stored by the Kinesis "
            "handler, no KinesisStreamLoader): give it with --stream"
        )
    raise UsageError(
        f"{what}: {script} several streams ({', '.join(names)}): a logical name "
        "follows one stream; split the script"
    )


def _logical_name_of(text: str, engine: str) -> str | None:
    names = [
        a.value
        for a in set_lines(text, engine)
        if a.key.lower().removeprefix("hiveconf:") == "kinesis.checkpoint.logical.name"
    ]
    return names[-1] if names else None
