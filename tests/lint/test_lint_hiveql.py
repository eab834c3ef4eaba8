"""check_hiveql on realistic and broken HiveQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.lint import Problem, check_hiveql

SCRIPTS = Path(__file__).parent / "scripts"


def lines_of(problems: list[Problem]) -> list[int]:
    return [p.line for p in problems]


def test_realistic_access_log_script_has_no_problems() -> None:
    assert check_hiveql((SCRIPTS / "access_log.hql").read_text()) == []


@pytest.mark.parametrize(
    "statement",
    [
        "ADD JAR s3://bucket/udfs.jar",
        "ADD FILE s3://bucket/map.py",
        "add archive s3://bucket/env.tgz",
        "MSCK REPAIR TABLE logs",
        "SET",
        "SET -v",
        "SET kinesis.nodata.timeout",
        "SET mapred.job.name=top 10 errors (iteration 4)",
        "SET hivevar:since=2024-01-01 00:00:00",
        "RESET",
        "ALTER TABLE out ADD PARTITION (iteration=3)",
        "ALTER TABLE out ADD IF NOT EXISTS PARTITION (d='1') LOCATION 's3://b/1' "
        "PARTITION (d='2') LOCATION 's3://b/2'",
        "ALTER TABLE out RECOVER PARTITIONS",
        "DFS -ls s3://bucket/out/",
        "SHOW PARTITIONS out",
        "SHOW CREATE TABLE out",
        "DESCRIBE FORMATTED out",
        "USE analytics",
        "REFRESH TABLE out",
        "INVALIDATE METADATA out",
        "ANALYZE TABLE out PARTITION (iteration=3) COMPUTE STATISTICS",
        "CREATE TEMPORARY FUNCTION geo AS 'com.example.Geo'",
        "LOAD DATA INPATH 's3://bucket/in/' OVERWRITE INTO TABLE raw",
        "EXPLAIN SELECT a FROM t",
        "EXPLAIN EXTENDED INSERT OVERWRITE TABLE t PARTITION (iteration=3) SELECT a FROM s",
        "INSERT OVERWRITE TABLE t PARTITION (iteration=${hiveconf:iteration}) SELECT a FROM s",
        "SELECT a FROM s LIMIT ${hivevar:n}",
        "FROM s INSERT OVERWRITE TABLE t PARTITION (d=1) SELECT a",
        "WITH c AS (SELECT 1 AS a) INSERT INTO TABLE t SELECT a FROM c",
        "DROP TABLE IF EXISTS staging",
    ],
)
def test_legitimate_hive_statement_passes(statement: str) -> None:
    assert check_hiveql(statement + ";") == []


def test_statement_sqlglot_cannot_model_is_reported_at_its_line() -> None:
    script = "SET a=1;\n\nCREATE TABEL t (a INT);\n"
    assert check_hiveql(script) == [
        Problem(3, "sqlglot cannot parse this statement as HiveQL: CREATE TABEL t (a INT)")
    ]


def test_stray_words_that_sqlglot_reads_as_an_alias_are_reported() -> None:
    problems = check_hiveql("SELECT 1;\nFOO BAR;\n")
    assert lines_of(problems) == [2]
    assert "not a HiveQL statement: FOO BAR" in problems[0].message


def test_misspelt_keyword_is_reported() -> None:
    problems = check_hiveql("-- header\nSELEC host FROM apachelog;")
    assert lines_of(problems) == [2]


def test_parse_error_line_adds_the_offset_within_the_statement() -> None:
    script = "SET a=1;\nSELECT host\nFROM apachelog\nWHERE (status = '404';\n"
    problems = check_hiveql(script)
    assert lines_of(problems) == [4]
    assert problems[0].message.startswith("HiveQL syntax error: Expecting )")


def test_parse_error_message_hides_sqlglot_internals() -> None:
    problems = check_hiveql("SELECT host FROM apachelog WHERE;")
    assert lines_of(problems) == [1]
    assert "<class" not in problems[0].message and "Token" not in problems[0].message


def test_unclosed_quote_is_reported_where_it_opens() -> None:
    script = "SELECT 1;\nSELECT host\nFROM t WHERE a = 'x;\nSELECT 2;\n"
    assert check_hiveql(script) == [Problem(3, "string literal is never closed")]


def test_pig_style_set_in_hive_is_reported() -> None:
    problems = check_hiveql("SET kinesis.checkpoint.enabled=true;\nSET kinesis.nodata.timeout 5;")
    assert lines_of(problems) == [2]
    assert "Hive needs SET key=value" in problems[0].message


def test_explained_statement_is_checked_too() -> None:
    assert lines_of(check_hiveql("EXPLAIN\nSELECT a FROM;")) == [2]


def test_a_semicolon_inside_a_comment_is_flagged_because_the_hive_cli_splits_there() -> None:
    script = "SET kinesis.checkpoint.iteration.no=3 -- third;\nSELECT 1;\nSELECT '--;' FROM t;\n"
    problems = check_hiveql(script)
    assert [(p.line, p.severity) for p in problems] == [(1, "warning")]
    assert "Hive CLI (EMR steps) ends the statement there" in problems[0].message
