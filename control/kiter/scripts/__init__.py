"""Reading HiveQL and Pig Latin text, once: statements (with their lines), comments, SET lines,
variables and parameters, Kinesis tables and loads.

Every room that needs to know what a script says asks here: the offline checks (`kiter.lint`),
the rewriter of connector scripts (`kiter.adopt`), the check before submit, the redactor and the
targets. So they cannot disagree about what a script sets or reads. This room only reads: it never
rewrites, renders, submits or checks, never raises on bad input (problems are collected), and
imports nothing of kiter outside itself.
"""

from kiter.scripts.connector import (
    HIVE_HANDLER,
    PIG_LOADER,
    KinesisTable,
    Mentions,
    credential_lines,
    kinesis_tables,
    lowered,
    mentions,
    properties_named,
    streams_named,
)
from kiter.scripts.kinesisloads import KinesisLoad, kinesis_loads
from kiter.scripts.pigtokens import PigStatement, Token, pig_statements, tokenize, unquote
from kiter.scripts.problem import Problem, Severity
from kiter.scripts.setlines import (
    CarriedParameter,
    FoundSettings,
    SetLine,
    effective_settings,
    hive_set,
    hive_set_mistake,
    may_begin_key,
    pig_carried_parameters,
    pig_set,
    set_lines,
)
from kiter.scripts.sqlsplit import (
    Statement,
    blank_block_comments,
    line_comment,
    split_statements,
)
from kiter.scripts.variables import (
    pig_declared,
    pig_parameters,
    substitute_hive_variables,
    substitute_pig_parameters,
)

__all__ = [
    "HIVE_HANDLER",
    "PIG_LOADER",
    "CarriedParameter",
    "FoundSettings",
    "KinesisLoad",
    "KinesisTable",
    "Mentions",
    "PigStatement",
    "Problem",
    "SetLine",
    "Severity",
    "Statement",
    "Token",
    "blank_block_comments",
    "credential_lines",
    "effective_settings",
    "hive_set",
    "hive_set_mistake",
    "kinesis_loads",
    "kinesis_tables",
    "line_comment",
    "lowered",
    "may_begin_key",
    "mentions",
    "pig_carried_parameters",
    "pig_declared",
    "pig_parameters",
    "pig_set",
    "pig_statements",
    "properties_named",
    "set_lines",
    "split_statements",
    "streams_named",
    "substitute_hive_variables",
    "substitute_pig_parameters",
    "tokenize",
    "unquote",
]
