"""What a job's templates read decides which vars may be given: a `--var` nothing reads is refused
with a likely fix, a job var nothing reads is a warning at its kiter.toml line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.errors import UsageError
from kiter.project import load_project
from kiter.render import Renderer
from sample_projects import WriteProject


def _renderer(
    write_project: WriteProject, template: str, *, engine: str = "hive", extra: str = ""
) -> Renderer:
    name = "own.hql.j2" if engine == "hive" else "own.pig.j2"
    folder = "hiveql" if engine == "hive" else "piglatin"
    path = write_project(
        f'[jobs.own]\nengine = "{engine}"\ntemplate = "{name}"\nstream = "S"\n' + extra,
        files={f"{folder}/{name}": template, "templates/parts/part.j2": "{{ from_part }}\n"},
    )
    return Renderer(load_project(path, env={}))


def _refusal(renderer: Renderer, key: str) -> str:
    job = renderer.project.job("own")
    with pytest.raises(UsageError) as error:
        renderer.check_overrides(job, {key: "x"})
    assert error.value.exit_code == 2
    return error.value.message


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("SELECT '{{ output }}';\n", "output"),
        ("SELECT '{{ vars.output }}';\n", "output"),
        ("SELECT '{{ vars['output'] }}';\n", "output"),
        ("SELECT '{{ vars.get('output', 'd') }}';\n", "output"),
        ("{% macro m() %}{{ output }}{% endmacro %}SELECT '{{ m() }}';\n", "output"),
        ("SELECT '${hivevar:output}';\n", "output"),
        ("SELECT '${output}';\n", "output"),
        ("{% include 'parts/part.j2' %}SELECT 1;\n", "from_part"),
    ],
)
def test_a_var_read_any_way_a_hive_template_can_read_it_is_accepted(
    write_project: WriteProject, template: str, key: str
) -> None:
    renderer = _renderer(write_project, template)
    renderer.check_overrides(renderer.project.job("own"), {key: "s3://b/o"})


def test_a_pig_parameter_counts_as_read(write_project: WriteProject) -> None:
    renderer = _renderer(write_project, "STORE x INTO '$output';\n", engine="pig")
    renderer.check_overrides(renderer.project.job("own"), {"output": "s3://b/o"})


def test_a_hiveconf_variable_is_not_what_a_var_fills(write_project: WriteProject) -> None:
    # Vars reach Hive as -d (hivevar): ${hiveconf:output} never sees them.
    renderer = _renderer(write_project, "SELECT '${hiveconf:output}';\n")
    assert "no template of job own reads it" in _refusal(renderer, "output")


def test_a_var_nothing_reads_is_refused_with_the_likely_name(
    write_project: WriteProject,
) -> None:
    renderer = _renderer(write_project, "SELECT '{{ vars.output }}', {{ limit }};\n")
    assert _refusal(renderer, "outptu") == (
        "unknown --var 'outptu': no template of job own reads it (did you mean 'output'?)"
    )
    assert _refusal(renderer, "zzz") == "unknown --var 'zzz': no template of job own reads it"


def test_kiters_own_names_are_not_vars_at_the_top_level(write_project: WriteProject) -> None:
    # kiter's `iteration` wins over a var of that name where the template reads `iteration`.
    renderer = _renderer(write_project, "SELECT {{ iteration }};\n")
    assert "no template of job own reads it" in _refusal(renderer, "iteration")


def test_a_template_reading_vars_as_a_whole_accepts_any_var(write_project: WriteProject) -> None:
    template = "{% for k, v in vars.items() %}SELECT '{{ k }}';\n{% endfor %}"
    renderer = _renderer(write_project, template)
    renderer.check_overrides(renderer.project.job("own"), {"anything": "x"})


def test_render_refuses_a_var_nothing_reads(write_project: WriteProject) -> None:
    renderer = _renderer(write_project, "SELECT '{{ output }}';\n")
    with pytest.raises(UsageError, match="did you mean 'output'"):
        renderer.render(renderer.project.job("own"), 0, overrides={"outptu": "s3://x/y"})


def test_a_job_var_nothing_reads_is_a_warning_at_its_line(write_project: WriteProject) -> None:
    text = (
        '[jobs.own]\nengine = "hive"\ntemplate = "own.hql.j2"\nstream = "S"\n\n'
        '[jobs.own.vars]\noutput = "s3://b/o"\noutptu = "s3://b/p"\n'
    )
    path = write_project(text, files={"hiveql/own.hql.j2": "SELECT '{{ output }}';\n"})
    renderer = Renderer(load_project(path, env={}))
    rendered = renderer.render(renderer.project.job("own"), 0)
    assert rendered.notes[0] == (
        f"{path}:8: jobs.own.vars.outptu is read by no template of the job (did you mean 'output'?)"
    )


def test_a_profiles_var_is_warned_of_at_the_profiles_line(write_project: WriteProject) -> None:
    text = (
        '[jobs.own]\nengine = "hive"\ntemplate = "own.hql.j2"\nstream = "S"\n\n'
        '[profiles.dev.jobs.own.vars]\nunused = "x"\n'
    )
    path = write_project(text, files={"hiveql/own.hql.j2": "SELECT 1;\n"})
    renderer = Renderer(load_project(path, env={}, profile="dev"))
    assert renderer.unread_vars(renderer.project.job("own")) == [
        f"{path}:7: jobs.own.vars.unused is read by no template of the job"
    ]


def test_an_inline_vars_table_is_warned_of_at_its_line(write_project: WriteProject) -> None:
    renderer = _renderer(write_project, "SELECT 1;\n", extra='vars = { unused = "x" }\n')
    assert renderer.unread_vars(renderer.project.job("own")) == [
        f"{renderer.project.path}:5: jobs.own.vars.unused is read by no template of the job"
    ]


def test_every_builtin_job_reads_the_vars_the_library_gives_it(library_project: Path) -> None:
    renderer = Renderer(load_project(library_project, env={}))
    for job in renderer.project.jobs.values():
        assert renderer.unread_vars(job) == [], job.name
