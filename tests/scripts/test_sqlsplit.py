"""Splitting HiveQL scripts into statements: worked examples, then properties over random scripts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiter.scripts import Statement, split_statements


def texts(script: str) -> list[str]:
    return [s.text for s in split_statements(script)]


def test_semicolons_end_statements_and_the_semicolon_is_dropped() -> None:
    assert texts("SELECT 1; SELECT 2;") == ["SELECT 1", "SELECT 2"]


def test_a_last_statement_without_semicolon_is_kept() -> None:
    assert texts("SELECT 1;\nSELECT 2") == ["SELECT 1", "SELECT 2"]


def test_semicolons_inside_single_double_and_back_quotes_do_not_split() -> None:
    script = "SELECT 'a;b', \"c;d\", `e;f` FROM t; SELECT 2"
    assert texts(script) == ["SELECT 'a;b', \"c;d\", `e;f` FROM t", "SELECT 2"]


def test_an_escaped_quote_inside_a_string_does_not_end_it() -> None:
    assert texts(r"SELECT 'it\'s; fine'; SELECT 2") == [r"SELECT 'it\'s; fine'", "SELECT 2"]


def test_a_semicolon_inside_a_comment_does_not_split() -> None:
    script = "SELECT 1 -- one; two\nFROM t;\nSELECT 2"
    assert texts(script) == ["SELECT 1 -- one; two\nFROM t", "SELECT 2"]


def test_an_escaped_semicolon_stays_in_the_statement_with_its_backslash() -> None:
    script = "CREATE TABLE t (a string) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\;';"
    assert texts(script) == [script[:-1]]
    assert texts("SET x=a\\;b; SELECT 1") == ["SET x=a\\;b", "SELECT 1"]


def test_comment_only_and_blank_pieces_are_dropped() -> None:
    assert texts("-- header\n\n;  ;\n-- only a comment;\nSELECT 1;\n-- trailer\n") == ["SELECT 1"]


def test_leading_comments_are_not_sent_but_inner_comments_are() -> None:
    script = "-- what this does\nSELECT a, -- the key\n  b\nFROM t;"
    assert split_statements(script) == [Statement("SELECT a, -- the key\n  b\nFROM t", 2)]


def test_set_lines_reach_the_server_verbatim() -> None:
    script = "SET kinesis.checkpoint.logical.name=my run -- 'quoted' note\n;"
    assert texts(script) == ["SET kinesis.checkpoint.logical.name=my run -- 'quoted' note"]


def test_line_numbers_point_at_the_first_code_character_of_each_statement() -> None:
    script = "\n-- c\nSET a=1;\n\nSELECT\n  1;\n  SELECT 'x\ny';\nSELECT 3"
    assert [(s.line, s.text) for s in split_statements(script)] == [
        (3, "SET a=1"),
        (5, "SELECT\n  1"),
        (7, "SELECT 'x\ny'"),
        (9, "SELECT 3"),
    ]


def test_first_line_skips_comments_inside_the_statement() -> None:
    statement = Statement("SELECT a\nFROM t", 1)
    assert statement.first_line == "SELECT a"
    assert Statement("-- lead\n  INSERT INTO t\nSELECT 1", 1).first_line == "INSERT INTO t"


# -- properties ----------------------------------------------------------------------------------

# Statement bodies with no character that means anything to the splitter.
PLAIN = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 =_.,()*\n\t")), min_size=0, max_size=40
).filter(lambda s: "--" not in s)
QUOTED = st.builds(
    lambda q, body: f"{q}{body}{q}",
    st.sampled_from(["'", '"', "`"]),
    st.text(alphabet=st.sampled_from(list("ab ;-\n")), max_size=10),
)


@given(st.lists(PLAIN, min_size=1, max_size=8))
def test_joining_plain_statements_with_semicolons_splits_back_into_them(parts: list[str]) -> None:
    script = ";\n".join(parts)
    assert texts(script) == [p.strip() for p in parts if p.strip()]


@given(st.lists(PLAIN, min_size=1, max_size=8))
def test_each_statement_is_reported_on_the_line_where_its_code_begins(parts: list[str]) -> None:
    script = ";\n".join(parts)
    expected = []
    offset = 0
    for part in parts:
        stripped = part.lstrip()
        if stripped.strip():
            start = offset + len(part) - len(stripped)
            expected.append(script.count("\n", 0, start) + 1)
        offset += len(part) + 2
    assert [s.line for s in split_statements(script)] == expected


@given(st.lists(st.tuples(PLAIN, QUOTED, PLAIN), min_size=1, max_size=5))
def test_quoted_text_never_splits_a_statement(parts: list[tuple[str, str, str]]) -> None:
    bodies = ["x" + a + q + b for a, q, b in parts]
    assert texts(";".join(bodies)) == [b.rstrip() for b in bodies]


@given(st.text(max_size=200))
def test_any_text_splits_without_error_into_in_range_ordered_statements(script: str) -> None:
    statements = split_statements(script)
    last_line = script.count("\n") + 1
    lines = [s.line for s in statements]
    assert all(1 <= line <= last_line for line in lines)
    assert lines == sorted(lines)
    for statement in statements:
        assert statement.text.strip()
        assert statement.text == statement.text.rstrip()


@given(st.text(alphabet=st.sampled_from(list("ab;'\"`\\-\n ")), max_size=60))
def test_every_statement_is_a_verbatim_piece_of_the_script(script: str) -> None:
    position = 0
    for statement in split_statements(script):
        found = script.find(statement.text, position)
        assert found >= 0
        assert script.count("\n", 0, found) + 1 <= statement.line
        position = found + len(statement.text)


def test_block_comments_are_blanked_as_hives_lexer_hides_them_lines_and_hints_kept() -> None:
    from kiter.scripts import blank_block_comments

    text = "SELECT /* a\n /* nested */ b */ 1, '/* not */' -- /* nor\n, /*+ MAPJOIN(t) */ 2"
    blanked, unclosed = blank_block_comments(text)
    assert unclosed is None
    assert blanked.count("\n") == text.count("\n") and len(blanked) == len(text)
    assert "nested" not in blanked and "/* a" not in blanked
    assert "'/* not */'" in blanked and "-- /* nor" in blanked and "/*+ MAPJOIN(t) */" in blanked
    assert blank_block_comments("SELECT /* open")[1] == 7
