"""Which tables a HiveQL script reads (in its queries) and which it creates, by sqlglot's Hive
dialect, a statement at a time from the Hive CLI's splitter.

A statement sqlglot cannot parse (a `${...}` variable, a command it does not model) is skipped:
this reading under-counts rather than guesses. Pure text; sqlglot is imported when first used.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from kiter.scripts.sqlsplit import split_statements


class TableRead(NamedTuple):
    name: str  # lower case, as written without its database
    line: int  # the statement's first line


def hive_table_reads(text: str) -> tuple[list[TableRead], set[str]]:
    """The tables the script's queries read (CTE names left out), and the tables it creates."""
    import sqlglot
    from sqlglot import exp

    reads: list[TableRead] = []
    created: set[str] = set()
    quiet = logging.getLogger("sqlglot")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        for statement in split_statements(text):
            try:
                tree = sqlglot.parse_one(statement.text, read="hive")
            except (sqlglot.errors.SqlglotError, RecursionError, ValueError):
                continue
            if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Table | exp.Schema):
                target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
                created.add(target.name.lower())
            ctes = {cte.alias.lower() for cte in tree.find_all(exp.CTE)}
            for select in tree.find_all(exp.Select):
                for table in select.find_all(exp.Table):
                    name = table.name.lower()
                    if name and name not in ctes:
                        reads.append(TableRead(name, statement.line))
    finally:
        quiet.setLevel(level)
    return reads, created
