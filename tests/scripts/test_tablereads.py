"""Which tables a HiveQL script's queries read, and which it creates."""

from __future__ import annotations

from kiter.scripts.tablereads import TableRead, hive_table_reads


def test_queries_read_their_tables_and_not_their_ctes_or_what_they_insert_into() -> None:
    text = (
        "CREATE TABLE IF NOT EXISTS out (s STRING);\n"
        "WITH recent AS (SELECT * FROM visits)\n"
        "INSERT OVERWRITE TABLE out SELECT r.status FROM recent r JOIN codes c ON r.s = c.s;\n"
    )
    reads, created = hive_table_reads(text)
    assert sorted(reads) == [TableRead("codes", 2), TableRead("visits", 2)]
    assert created == {"out"}


def test_a_statement_sqlglot_cannot_read_is_skipped_not_guessed() -> None:
    reads, _ = hive_table_reads("SELECT * FROM ${hivevar:source} WHERE (;\nSELECT 1 FROM t;\n")
    assert reads == [TableRead("t", 2)]
