"""Jinja's errors, and Python's from a template's expressions, as TemplateErrors naming the
template's file:line: what every render of a template runs inside. Nothing here renders."""

from __future__ import annotations

import traceback
from typing import Literal

from kiter.errors import TemplateError, UsageError


class jinja_errors:  # lower case: read as what it does, `with jinja_errors(name):`
    """Jinja's errors (and Python's, from a template's expressions) as TemplateErrors naming the
    template's file:line (and, for kiter's macros used without their import, the import).

    A class, not a generator context manager (a generator's entry and exit cost about a
    microsecond); a render, which runs most often, writes it out as a try around the render
    (`template_error`)."""

    __slots__ = ("engine", "name")

    def __init__(self, name: str, engine: str | None = None) -> None:
        self.name = name
        self.engine = engine

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> Literal[False]:  # never swallows: a known error is raised as a TemplateError
        if exc is None:
            return False
        error = template_error(exc, self.name, self.engine)
        if error is None:
            return False
        raise error from None


def template_error(exc: BaseException, name: str, engine: str | None) -> TemplateError | None:
    """`exc` as the TemplateError `jinja_errors` raises for it, None for one it lets through."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        return TemplateError(f"template syntax error: {exc.message}", where=where)
    if isinstance(exc, jinja2.TemplateNotFound):
        return TemplateError(
            f"template {exc.name!r} not found on the search path", where=template_frame(exc, name)
        )
    if isinstance(exc, jinja2.UndefinedError):
        hint = "define it in the job's vars or pass --var"
        if exc.message == "'kiter' is undefined":  # the macros are imported, not given
            macros = f'"kiter/{"pig" if engine == "pig" else "hive"}.j2"'
            hint = f"import kiter's macros first: {{% import {macros} as kiter with context %}}"
        return TemplateError(
            f"undefined name: {exc.message} ({hint})", where=template_frame(exc, name)
        )
    if isinstance(exc, UsageError):
        return TemplateError(exc.message, where=template_frame(exc, name))
    if isinstance(exc, jinja2.TemplateError):
        return TemplateError(f"template error: {exc}", where=template_frame(exc, name))
    if isinstance(exc, RecursionError):
        return TemplateError(
            "the template includes itself, or a macro calls itself, without end",
            where=template_frame(exc, name),
        )
    if isinstance(exc, (TypeError, ValueError, ArithmeticError, LookupError, AttributeError)):
        # Expressions in a template can fail like Python does (a var of the wrong type).
        return TemplateError(f"{type(exc).__name__}: {exc}", where=template_frame(exc, name))
    return None


def template_frame(exc: BaseException, fallback: str) -> str:
    """file:line of the innermost template frame Jinja left in the traceback."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.endswith((".j2", ".hql", ".pig", ".sql", ".jinja"))
    ]
    if frames:
        return f"{frames[-1].filename}:{frames[-1].lineno}"
    return fallback
