"""What reading or checking a script found wrong: a 1-based line and a sentence for its author.

The readers in this room collect problems instead of raising (a broken script is the normal case
for them); the offline checks in `kiter.lint` report them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a script, at a 1-based line."""

    line: int
    message: str
    severity: Severity = "error"

    def format(self, path: str) -> str:
        """`path:line: message`, the shape editors and CI logs turn into links."""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{path}:{self.line}: {prefix}{self.message}"
