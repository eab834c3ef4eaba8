"""What a job's templates read: the names their Jinja reads, and the variables their text leaves
to the engine (a job's vars also go to Hive as `-d K=V` and to Pig as `-p K=V`).

It lets kiter refuse a `--var` nothing reads (a typo would be ignored, and a default output used
in its place) and warn of a job var nothing reads. It over-counts rather than under-counts: a name
read anywhere in the template or in what it imports or includes counts as read, and a template
that reads `vars` as a whole, or includes a template by a computed name, reads every var.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2
    from jinja2 import nodes

# `vars.get(...)` names a var; its other methods read vars as a whole.
_DICT_METHODS = frozenset({"get", "items", "keys", "values", "copy", "__contains__"})


@dataclass(frozen=True)
class Reads:
    """The names a job's templates read, or `every` when any var may be read."""

    names: frozenset[str]
    every: bool = False

    def unread(self, keys: Iterable[str]) -> list[str]:
        """The keys, in their order, that nothing reads."""
        return [] if self.every else [k for k in keys if k not in self.names]

    def did_you_mean(self, key: str) -> str:
        close = difflib.get_close_matches(key, sorted(self.names), n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""


def template_reads(
    env: jinja2.Environment, name: str, engine: str, kiter_names: Iterable[str]
) -> Reads:
    """What template `name` reads, with everything it imports or includes; `kiter_names` are the
    context's own names, which a var of the same name cannot reach at the top level."""
    from jinja2 import TemplateNotFound, meta

    from kiter.scripts.variables import hive_variable_names, pig_parameter_names

    assert env.loader is not None
    script_names = hive_variable_names if engine == "hive" else pig_parameter_names
    names: set[str] = set()
    every = False
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source, filename, _ = env.loader.get_source(env, current)
        except TemplateNotFound:
            if current == name:
                raise
            every = True  # rendering says which line includes it
            continue
        ast = env.parse(source, current, filename)
        names |= meta.find_undeclared_variables(ast) - set(kiter_names) - {"vars"}
        read, whole = _vars_reads(ast)
        names |= read
        every = every or whole
        for referenced in meta.find_referenced_templates(ast):
            if referenced is None:
                every = True  # a computed name: whatever it is may read anything
            else:
                todo.append(referenced)
        names |= script_names(source)
    return Reads(frozenset(names), every)


def _vars_reads(ast: nodes.Template) -> tuple[set[str], bool]:
    """Keys read as `vars.K`, `vars["K"]` or `vars.get("K")`; True when `vars` is read some other
    way (iterated, printed, passed on), so any key may be."""
    from jinja2 import nodes

    keys: set[str] = set()
    explained: set[int] = set()
    for call in ast.find_all(nodes.Call):
        target = call.node
        if (
            isinstance(target, nodes.Getattr)
            and _is_vars(target.node)
            and target.attr == "get"
            and call.args
            and isinstance(call.args[0], nodes.Const)
            and isinstance(call.args[0].value, str)
        ):
            keys.add(call.args[0].value)
            explained.add(id(target.node))
    for attr in ast.find_all(nodes.Getattr):
        if _is_vars(attr.node) and attr.attr not in _DICT_METHODS:
            keys.add(attr.attr)
            explained.add(id(attr.node))
    for item in ast.find_all(nodes.Getitem):
        if (
            _is_vars(item.node)
            and isinstance(item.arg, nodes.Const)
            and isinstance(item.arg.value, str)
        ):
            keys.add(item.arg.value)
            explained.add(id(item.node))
    whole = any(id(name) not in explained for name in ast.find_all(nodes.Name) if _is_vars(name))
    return keys, whole


def _is_vars(node: nodes.Node) -> bool:
    from jinja2 import nodes

    return isinstance(node, nodes.Name) and node.name == "vars" and node.ctx == "load"
