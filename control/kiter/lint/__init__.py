"""Offline checks of rendered HiveQL and Pig Latin, run by `kiter validate` before anything is sent.

Pure functions over text: no I/O, no AWS, no server. This room only checks: what a script says is
read by `kiter.scripts`. sqlglot is imported only when HiveQL is checked.
"""

from kiter.lint.hiveql import check_hiveql
from kiter.lint.piglatin import check_piglatin
from kiter.lint.settingchecks import check_checkpoint
from kiter.scripts import Problem

__all__ = [
    "Problem",
    "check_checkpoint",
    "check_hiveql",
    "check_piglatin",
]
