"""The checkers turn any text into problems, never into an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiter.lint import Problem, check_hiveql, check_piglatin
from kiter.scripts import effective_settings

# Fragments that steer random text towards the tokenizers' corners.
FRAGMENTS = st.sampled_from(
    [
        ";",
        "'",
        '"',
        "`",
        "\\",
        "--",
        "/*",
        "*/",
        "\n",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "=",
        "$x",
        "${hiveconf:x}",
        "%default X 1\n",
        "SET ",
        "SET k=v",
        "SET k v",
        "SELECT ",
        "FROM t",
        "A = LOAD 'x'",
        "FOREACH A ",
        "GENERATE ",
        "GROUP ",
        "BY ",
        "SPLIT A INTO ",
        "EXPLAIN ",
        "ADD JAR ",
        "ALTER TABLE t ",
        "USING ",
        "kinesis.",
        ",",
        " ",
    ]
)
TEXTS = st.one_of(st.text(max_size=200), st.lists(FRAGMENTS | st.text(max_size=5)).map("".join))
CHECK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECK
@given(TEXTS)
def test_check_hiveql_never_raises(text: str) -> None:
    problems = check_hiveql(text)
    assert all(isinstance(p, Problem) and p.line >= 1 for p in problems)


@CHECK
@given(TEXTS, st.booleans())
def test_check_piglatin_never_raises(text: str, reads_stream: bool) -> None:
    problems = check_piglatin(text, reads_stream=reads_stream)
    assert all(isinstance(p, Problem) and p.line >= 1 for p in problems)


@CHECK
@given(TEXTS)
def test_set_extraction_never_raises(text: str) -> None:
    for found in (effective_settings(text, "hive"), effective_settings(text, "pig")):
        assert all(line >= 1 for _, line in found.values())
