"""Where the built-in template library (templates/, hiveql/, piglatin/) lives on disk, and what
its templates expect of a project's data beyond the stream.

A wheel carries the folders inside the package as `kiter/_library/<name>`; an editable install (or a
source checkout) finds them at the repository root, two levels above this package.
"""

from __future__ import annotations

from pathlib import Path

LIBRARY_FOLDERS = ("templates", "hiveql", "piglatin")

_PACKAGE = Path(__file__).resolve().parent

# The attributes of a staged job's `campaign_table` snapshot, in order: the ones the built-in
# customer-engagement templates join on (their connector-mode DynamoDB column mapping, see
# hiveql/engagement.hql.j2).
CAMPAIGN_COLUMNS = ("AdId", "Category", "Campaign")


def builtin_dir(name: str) -> Path:
    """The built-in folder `name` (one of LIBRARY_FOLDERS), from a wheel or from the source tree."""
    for candidate in (_PACKAGE / "_library" / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kiter's built-in folder {name!r} is missing from this installation")


def builtin_dirs() -> list[Path]:
    return [builtin_dir(name) for name in LIBRARY_FOLDERS]
