"""Offline checks of rendered HiveQL and Pig Latin, run by `kiter validate` before anything is sent.

Pure functions over text: no I/O, no AWS, no server. sqlglot is imported only when HiveQL
is checked.
"""

from kiter.lint.hiveql import check_hiveql, set_statements_hive
from kiter.lint.piglatin import KINESIS_LOADER, check_piglatin, set_statements_pig
from kiter.lint.problems import KNOWN_KINESIS_KEYS, FoundSettings, Problem, check_checkpoint

__all__ = [
    "KINESIS_LOADER",
    "KNOWN_KINESIS_KEYS",
    "FoundSettings",
    "Problem",
    "check_checkpoint",
    "check_hiveql",
    "check_piglatin",
    "set_statements_hive",
    "set_statements_pig",
]
