"""Pig parameters that carry kiter's values: a script that sets the iteration number or logical
name from a parameter (`set kinesis.checkpoint.iteration.no $input;`, run with `pig -param
input=N`) gets that parameter from kiter at every submit, and no job var or `--var` may set it.

Reading is `kiter.scripts`'s (kiter.adopt reads them while it reads the rendered body for the
connector's names); this room decides the values and refuses a conflict, with the template's
file:line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kiter.errors import TemplateError
from kiter.scripts import CarriedParameter
from kiter.sourcemap import template_line


def carried_parameters(
    found: Sequence[CarriedParameter],
    body: str,
    *,
    job: str,
    iteration: int,
    logical_name: str,
    variables: Mapping[str, Any],
    overrides: Mapping[str, str],
    template: str,
    source: Callable[[], str],
) -> dict[str, str]:
    """{parameter: value} kiter passes to Pig for the parameters `found` in the script `body`;
    TemplateError (exit 2) when a job var or `--var` would set one."""
    if not found:
        return {}
    values = {"kinesis.checkpoint.iteration.no": str(iteration)}
    values["kinesis.checkpoint.logical.name"] = logical_name
    out: dict[str, str] = {}
    for carried in found:
        value = values[carried.key]
        if out.get(carried.name, value) != value:
            raise TemplateError(
                f"${carried.name} carries both the iteration number and the logical name: "
                "give each its own parameter",
                where=f"{template}:{template_line(body, source(), carried.line)}",
            )
        out[carried.name] = value
        given = (
            f"--var {carried.name}"
            if carried.name in overrides
            else f"jobs.{job}.vars.{carried.name}"
            if carried.name in variables
            else None
        )
        if given:
            raise TemplateError(
                f"${carried.name} carries {carried.key}: kiter passes {carried.name}={value} at "
                f"every submit, so {given} may not set it (remove it)",
                where=f"{template}:{template_line(body, source(), carried.line)}",
            )
    return out
