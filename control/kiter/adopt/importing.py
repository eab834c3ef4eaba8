"""`kiter import`: a job made of existing connector scripts, the scripts left as they are.

The engine comes from the files' extension, the stream from their Kinesis tables or loads, the
logical name from their own SET lines (unless given); the files are copied into the project's
hiveql/ or piglatin/ folder unchanged, and a `[jobs.NAME]` table is appended to kiter.toml with the
file's comments and layout kept (tomlkit). Several files make one job of several scripts, run in
the order given (`templates = [...]`). Planning writes nothing; `write` writes all files or none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiter.adopt.owned import is_owned
from kiter.errors import ConfigError, UsageError
from kiter.scripts import kinesis_loads, kinesis_tables, set_lines

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
    carried: tuple[tuple[str, int | str], ...] = ()  # job settings taken from the script's values

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
) -> ImportPlan:
    """Read `sources` (one job's scripts, in order) and decide the job; raises UsageError naming
    what cannot be decided."""
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
    job = name or _job_name(sources[-1].stem)
    if job in existing_jobs:
        raise ConfigError(f"kiter.toml already has a job named {job!r}: choose one with --name")
    stream = stream or _stream_of(texts, engine, sources)
    logicals = [found for text in texts if (found := _logical_name_of(text, engine))]
    logical = logical_name or (logicals[-1] if logicals else job)
    folder = project_root / _FOLDERS[engine]
    copies = tuple(folder / source.name for source in sources)
    for copy_to, text in zip(copies, texts, strict=True):
        if copy_to.exists() and copy_to.read_text(encoding="utf-8") != text:
            raise UsageError(f"{copy_to} exists with other content: rename the script to import it")
    owned = tuple(
        (source.name, a.line, a.key, a.value)
        for source, text in zip(sources, texts, strict=True)
        for a in set_lines(text, engine)
        if is_owned(a.key)
    )
    loader_settings = [
        (argument.split("=", 1)[0], argument.split("=", 1)[1])
        for text in texts
        for load in (kinesis_loads(text) if engine == "pig" else [])
        for argument, _, _ in load.arguments
        if "=" in argument
    ]
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
        owned=owned,
        carried=_carried([(key, value) for _, _, key, value in owned] + loader_settings),
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


def write_import(plan: ImportPlan, project_file: Path) -> None:
    """Copy the script and append its job to kiter.toml (comments and layout kept)."""
    import tomlkit

    text = project_file.read_text(encoding="utf-8")
    document = tomlkit.parse(text)
    jobs = document.get("jobs")
    if jobs is None:
        jobs = tomlkit.table(is_super_table=True)
        document["jobs"] = jobs
    table = tomlkit.table()
    for key, value in plan.job_table().items():
        table[key] = value
    table.comment(f"imported from {', '.join(s.name for s in plan.sources)} by kiter import")
    jobs[plan.name] = table
    copied = [copy_to for copy_to in plan.copies if not copy_to.exists()]
    for source, copy_to in zip(plan.sources, plan.copies, strict=True):
        copy_to.parent.mkdir(parents=True, exist_ok=True)
        if copy_to in copied:
            copy_to.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    project_file.write_text(tomlkit.dumps(document), encoding="utf-8")
    try:
        from kiter.project import load_project

        load_project(project_file, env={})  # the new job must load, or nothing changes
    except ConfigError:
        project_file.write_text(text, encoding="utf-8")
        for copy_to in copied:
            copy_to.unlink()
        raise


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
