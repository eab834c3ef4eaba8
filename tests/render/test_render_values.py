"""Values from outside a template enter a script only in a shape that fits their context."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.errors import TemplateError, UsageError
from kiter.project import load_project
from kiter.render import Renderer
from kiter.render.values import Value, hive_string, identifier, pig_string
from kiter.scripts import effective_settings, split_statements
from sample_projects import MINIMAL, WriteProject

HOSTILE = "x'); SET kinesis.checkpoint.iteration.no=0;\nDROP TABLE y; -- ${hiveconf:z} \\"


def _project(write_project: WriteProject, template: str, extra: str = "") -> Path:
    return write_project(
        MINIMAL.replace("top_errors.hql.j2", "mine.hql.j2") + extra,
        files={"hiveql/mine.hql.j2": template},
    )


def test_a_var_with_a_line_break_and_a_semicolon_is_refused_naming_it_and_the_line(
    write_project: WriteProject,
) -> None:
    path = _project(write_project, "-- out\nINSERT OVERWRITE DIRECTORY '{{ out }}' SELECT 1;\n")
    project = load_project(path, env={})
    with pytest.raises(TemplateError, match="holds a semicolon") as caught:
        Renderer(project).render(project.job("top"), 0, overrides={"out": "a;\nDROP TABLE t"})
    message = str(caught.value)
    assert message.startswith(f"{path.parent / 'hiveql' / 'mine.hql.j2'}:2: --var out = ")
    assert "holds a semicolon" in message
    assert caught.value.exit_code == 2


def test_a_job_var_with_a_quote_is_refused_naming_the_key(write_project: WriteProject) -> None:
    path = _project(write_project, "SELECT '{{ out }}';\n", extra='vars = { out = "it\'s" }\n')
    project = load_project(path, env={})
    with pytest.raises(TemplateError, match=r"jobs\.top\.vars\.out = \"it's\" holds a quote"):
        Renderer(project).render(project.job("top"), 0)


@pytest.mark.parametrize(
    "printed",
    [
        "{{ out | trim }}",
        "{{ out | lower }}",
        "{{ out | replace('x', 'y') }}",
        "{{ out ~ '' }}",
        "{{ '%s' % out }}",
        "{{ vars.out | trim }}",
        "{{ out | default('z') }}",
    ],
)
def test_a_var_that_holds_a_quote_cannot_reach_the_script_through_a_filter_or_an_operator(
    write_project: WriteProject, printed: str
) -> None:
    # A string filter's result is a new plain str: the check must not depend on the value's type
    # surviving it.
    path = _project(write_project, f"SELECT * FROM t WHERE line LIKE '%{printed}%';\n")
    project = load_project(path, env={})
    with pytest.raises(TemplateError, match="--var out = .* holds a quote") as caught:
        Renderer(project).render(project.job("top"), 0, overrides={"out": HOSTILE})
    assert str(caught.value).startswith(f"{path.parent / 'hiveql' / 'mine.hql.j2'}:1: ")


def test_a_var_that_holds_a_quote_still_compares_counts_and_escapes(
    write_project: WriteProject,
) -> None:
    template = (
        '{% if out == "it\'s" and out | length == 4 %}SELECT {{ out | hive_string }}, '
        "{{ out | pig_string }};{% endif %}\n"
    )
    path = _project(write_project, template, extra='vars = { out = "it\'s" }\n')
    project = load_project(path, env={})
    text = Renderer(project).render(project.job("top"), 0).text
    assert text.endswith("SELECT 'it\\'s', 'it\\'s';\n")


def test_numbers_and_plain_text_render_as_they_are(write_project: WriteProject) -> None:
    path = _project(
        write_project,
        "SELECT '{{ out }}', {{ n }};\n",
        extra='vars = { out = "s3://bucket/out/top-10", n = 5 }\n',
    )
    project = load_project(path, env={})
    text = Renderer(project).render(project.job("top"), 0).text
    assert text.endswith("SELECT 's3://bucket/out/top-10', 5;\n")


def test_the_hive_string_filter_makes_any_text_one_literal_of_one_statement(
    write_project: WriteProject,
) -> None:
    path = _project(write_project, "SELECT {{ out | hive_string }} AS v;\n")
    project = load_project(path, env={})
    rendered = Renderer(project).render(project.job("top"), 3, overrides={"out": HOSTILE})
    statements = split_statements(rendered.text)
    assert [s.text.split()[0] for s in statements] == ["SET"] * len(rendered.settings) + ["SELECT"]
    assert "${" not in rendered.text and "DROP TABLE y; --" not in rendered.text
    assert effective_settings(rendered.text, "hive")["kinesis.checkpoint.iteration.no"][0] == "3"


def test_hive_string_escapes_quotes_backslashes_breaks_semicolons_and_dollars() -> None:
    assert hive_string("a'b\\c\nd;e$f") == "'a\\'b\\\\c\\nd\\073e\\044f'"


def test_pig_string_escapes_for_pig_and_hides_parameter_dollars() -> None:
    assert pig_string("a'b\\c\nd$x") == "'a\\'b\\\\c\\nd\\u0024x'"


def test_identifier_passes_names_and_refuses_everything_else() -> None:
    assert identifier(Value("weblogs_top", "--var t")) == "weblogs_top"
    with pytest.raises(UsageError, match=r"--var t = 'a b' is not an identifier"):
        identifier(Value("a b", "--var t"))
    with pytest.raises(UsageError, match="not an identifier"):
        identifier("x; DROP")
