"""What a user probably meant by a name kiter.toml does not take: a close name, the setting a
dotted key spells, the table a misnamed one stands for.

Words only: the checks that call these add the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any


def closest(name: str, names: Iterable[str]) -> str | None:
    """The one of `names` that `name` is most likely a typo of, if any is close."""
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1)
    return close[0] if close else None


def did_you_mean(name: str, names: Iterable[str]) -> str:
    close = closest(name, names)
    return f" (did you mean {close!r}?)" if close else ""


def written_key(key: str, value: Any) -> tuple[str, ...]:
    """The key as the user wrote it: TOML reads a dotted key (`lease.seconds = 300`) as a table
    `lease` holding `seconds`; a table holding one value is taken for one."""
    leaves = list(_leaves(value)) if isinstance(value, dict) else []
    return (key, *leaves[0]) if len(leaves) == 1 else (key,)


def unknown_key(path: tuple[str, ...], table: str, fields: Iterable[str]) -> str:
    """What to say of a key path (as written) that [table] does not take, offering the setting
    its parts spell with `_` (`lease.seconds`: `lease_seconds`), else one close to its first
    part."""
    names = list(fields)
    hint = did_you_mean("_".join(path), names) or did_you_mean(path[0], names)
    return f"unknown key {'.'.join(path)!r} in [{table}]{hint}"


def unknown_top_level(
    key: str,
    header: tuple[str, ...] | None,
    top_level: Iterable[str],
    sections: Mapping[str, Iterable[str]],
) -> str:
    """What to say of a top-level name kiter.toml does not take. `header` is the first table
    header written under it (`[job.top_errors]`), offered under the close name
    (`[jobs.top_errors]`); a section's key written above every table is offered in its section."""
    names = list(top_level)
    expected = f"expected one of: {', '.join(names)}"
    close = closest(key, names)
    if header is not None:
        hint = f"did you mean [{'.'.join((close, *header[1:]))}]?" if close else expected
        return f"unknown table [{'.'.join(header)}] ({hint})"
    section = next((name for name, keys in sections.items() if key in keys), None)
    if section is not None:
        hint = f"did you mean {key} in [{section}]?"
    else:
        hint = f"did you mean {close!r}?" if close else expected
    return f"unknown table or key {key!r} ({hint})"


def _leaves(table: Mapping[str, Any]) -> Iterator[tuple[str, ...]]:
    for key, value in table.items():
        if isinstance(value, dict) and value:
            yield from ((key, *rest) for rest in _leaves(value))
        else:
            yield (key,)
