"""Pig parameters a script sets kiter's iteration number or logical name from are kiter's to pass."""

from __future__ import annotations

import pytest

from kiter.errors import TemplateError
from kiter.project import load_project
from kiter.render import Renderer
from sample_projects import WriteProject

PIG_JOB = """\
[jobs.clicks]
engine = "pig"
template = "clicks.pig"
stream = "S"
logical_name = "clicks-daily"
"""

LOAD = (
    "raw = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);\n"
)


def test_the_logical_name_and_iteration_parameters_get_kiters_values(
    write_project: WriteProject,
) -> None:
    body = (
        "set kinesis.checkpoint.logical.name '${name}';\nset kinesis.checkpoint.iteration.no $it;\n"
        + LOAD
        + "STORE raw INTO 'out/$name/$it';\n"
    )
    path = write_project(PIG_JOB, files={"piglatin/clicks.pig": body})
    project = load_project(path, env={})
    rendered = Renderer(project).render(project.job("clicks"), 41)
    assert dict(rendered.parameters) == {"name": "clicks-daily", "it": "41"}
    assert not any("$it" in note or "${name}" in note for note in rendered.notes)


def test_one_parameter_for_both_values_is_refused_at_its_line(
    write_project: WriteProject,
) -> None:
    body = (
        "set kinesis.checkpoint.logical.name $p;\nset kinesis.checkpoint.iteration.no $p;\n" + LOAD
    )
    path = write_project(PIG_JOB, files={"piglatin/clicks.pig": body})
    project = load_project(path, env={})
    with pytest.raises(TemplateError, match=r"clicks\.pig:2: \$p carries both"):
        Renderer(project).render(project.job("clicks"), 1)
