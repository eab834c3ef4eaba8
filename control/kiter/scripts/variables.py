"""Variables and parameters in a script: Hive's `${hiveconf:x}`, `${hivevar:x}`, `${x}`; Pig's
`$x`, `${x}` and the names `%declare` / `%default` give.

Read and substituted as the engines do before they parse; nothing here checks whether a value is
missing (the offline checks say so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_HIVE_VARIABLE = re.compile(r"\$\{(?:(hiveconf|hivevar|env|system):)?([^}\s]+)\}")
_PIG_DECLARED = re.compile(r"^\s*%(?:declare|default)\s+([A-Za-z_]\w*)", re.I | re.M)
# A parameter (not a positional field like $0); \$ is a literal dollar.
_PIG_PARAMETER = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")
HIVE_PLACEHOLDER = "kiter_variable"


def substitute_hive_variables(text: str, known: Mapping[str, str]) -> str:
    """`text` with Hive's variables replaced as Hive would, unknown ones by a placeholder name.

    `known` keys are `hiveconf:K`, `hivevar:K` or `K`; a bare `${K}` is a hivevar first, then a
    plain name, then a hiveconf. The placeholder parses wherever a value or a name may stand.
    """

    def value(match: re.Match[str]) -> str:
        namespace, name = match.group(1), match.group(2)
        candidates = {
            "hiveconf": (f"hiveconf:{name}", name),
            "hivevar": (f"hivevar:{name}", name),
            None: (f"hivevar:{name}", name, f"hiveconf:{name}"),
        }.get(namespace, (f"{namespace}:{name}",))
        for key in candidates:
            if key in known:
                return known[key]
        return HIVE_PLACEHOLDER

    return _HIVE_VARIABLE.sub(value, text) if "${" in text else text


def hive_variable_names(text: str) -> set[str]:
    """The variables `text` leaves to Hive that a `-d`/`--hivevar` value fills: `${hivevar:K}` and
    `${K}` (hiveconf:, env: and system: read other namespaces)."""
    return {m.group(2) for m in _HIVE_VARIABLE.finditer(text) if m.group(1) in (None, "hivevar")}


def pig_parameter_names(text: str) -> set[str]:
    """The parameters (`$K`, `${K}`) `text` leaves to Pig, which a `-p K=V` value fills."""
    return {m.group(1) or m.group(2) for m in _PIG_PARAMETER.finditer(text)}


def pig_declared(text: str) -> set[str]:
    """The parameter names a Pig script gives values itself, with `%declare` or `%default`."""
    return set(_PIG_DECLARED.findall(text))


def pig_parameters(text: str) -> list[tuple[str, int]]:
    """(name, line) of every `$name` / `${name}` a Pig script uses, in order, outside `--`
    comments. Pig substitutes inside quoted strings too, so strings are read as well."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        code = raw.split("--", 1)[0]
        for match in _PIG_PARAMETER.finditer(code):
            found.append((match.group(1) or match.group(2), number))
    return found


def substitute_pig_parameters(text: str, values: Mapping[str, str]) -> str:
    """`text` with `${name}` and `$name` replaced by `values` (longest names first, so `$ab` is
    not read as `$a` followed by `b`)."""
    for key, value in sorted(values.items(), key=lambda item: -len(item[0])):
        text = text.replace("${" + key + "}", value).replace("$" + key, value)
    return text
