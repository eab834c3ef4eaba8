"""Jinja's errors, and Python's from a template's expressions, as TemplateErrors naming the
template's file:line: what every render of a template runs inside. Nothing here renders."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from kiter.errors import TemplateError, UsageError


@contextmanager
def jinja_errors(name: str, engine: str | None = None) -> Iterator[None]:
    """Jinja's errors (and Python's, from a template's expressions) as TemplateErrors naming the
    template's file:line (and, for kiter's macros used without their import, the import)."""
    import jinja2

    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise TemplateError(f"template syntax error: {exc.message}", where=where) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"template {exc.name!r} not found on the search path",
            where=template_frame(exc, name),
        ) from None
    except jinja2.UndefinedError as exc:
        hint = "define it in the job's vars or pass --var"
        if exc.message == "'kiter' is undefined":  # the macros are imported, not given
            macros = f'"kiter/{"pig" if engine == "pig" else "hive"}.j2"'
            hint = f"import kiter's macros first: {{% import {macros} as kiter with context %}}"
        raise TemplateError(
            f"undefined name: {exc.message} ({hint})", where=template_frame(exc, name)
        ) from None
    except UsageError as exc:
        raise TemplateError(exc.message, where=template_frame(exc, name)) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc}", where=template_frame(exc, name)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        # Expressions in a template can fail like Python does (a var of the wrong type).
        raise TemplateError(
            f"{type(exc).__name__}: {exc}", where=template_frame(exc, name)
        ) from None


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
