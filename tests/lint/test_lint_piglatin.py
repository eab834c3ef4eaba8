"""check_piglatin on a realistic script and on each kind of mistake."""

from __future__ import annotations

from pathlib import Path

from kiter.lint import Problem, check_piglatin

SCRIPTS = Path(__file__).parent / "scripts"
TOP10 = (SCRIPTS / "top10_errors.pig").read_text()

LOAD = (
    "raw = LOAD 'AccessLogStream' USING "
    "com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);\n"
)


def lines_of(problems: list[Problem]) -> list[int]:
    return [p.line for p in problems]


def test_top10_errors_script_has_no_problems() -> None:
    assert check_piglatin(TOP10, reads_stream=True) == []


def test_staged_script_loading_files_passes_without_the_loader() -> None:
    script = "raw = LOAD '$INPUT' USING PigStorage() AS (line:chararray);\nDUMP raw;\n"
    assert check_piglatin(script, reads_stream=False) == []


def test_script_that_should_read_the_stream_but_does_not_is_reported() -> None:
    script = "raw = LOAD 's3://bucket/logs/' AS (line:chararray);\nDUMP raw;\n"
    problems = check_piglatin(script, reads_stream=True)
    assert lines_of(problems) == [1]
    assert "KinesisStreamLoader" in problems[0].message


def test_loader_under_a_defined_name_counts_as_reading_the_stream() -> None:
    script = (
        "DEFINE Kinesis com.amazon.emr.kinesis.pig.KinesisStreamLoader('kinesis.nodata.timeout=1')"
        ";\n"
        "raw = LOAD 'AccessLogStream' USING Kinesis() AS (line:chararray);\nDUMP raw;\n"
    )
    assert check_piglatin(script, reads_stream=True) == []


def test_misspelt_loader_class_is_called_out() -> None:
    script = "raw = LOAD 'S'\n  USING com.amazon.emr.kinesis.KinesisStreamLoader();\nDUMP raw;\n"
    problems = check_piglatin(script, reads_stream=True)
    assert lines_of(problems) == [1, 2]
    assert "did you mean com.amazon.emr.kinesis.pig.KinesisStreamLoader?" in problems[1].message


def test_missing_semicolon_between_statements_is_reported_at_the_open_statement() -> None:
    script = LOAD + "lines = FOREACH raw GENERATE line\nDUMP lines;\n"
    problems = check_piglatin(script, reads_stream=True)
    assert problems == [
        Problem(2, "missing ';' at the end of this statement (the next one starts at line 3)")
    ]


def test_missing_semicolon_before_an_assignment_is_reported() -> None:
    script = LOAD + "a = FILTER raw BY line IS NOT NULL\nb = LIMIT a 10;\nDUMP b;\n"
    assert lines_of(check_piglatin(script, reads_stream=True)) == [2]


def test_statement_left_open_at_end_of_file_is_reported_at_its_line() -> None:
    script = LOAD + "top = LIMIT raw 10;\nSTORE top\n  INTO 's3://bucket/out'\n"
    assert check_piglatin(script, reads_stream=True) == [
        Problem(3, "statement is not closed with ';'")
    ]


def test_unclosed_string_is_reported_on_its_line() -> None:
    script = LOAD + "x = FILTER raw BY line MATCHES '.*GET;\nDUMP x;\n"
    problems = check_piglatin(script, reads_stream=True)
    assert problems[0] == Problem(2, "string opened with ' is never closed on its line")


def test_unclosed_block_comment_is_reported() -> None:
    script = LOAD + "DUMP raw;\n/* trailing notes\n"
    assert check_piglatin(script, reads_stream=True) == [
        Problem(3, "comment opened with /* is never closed")
    ]


def test_semicolons_in_comments_and_strings_do_not_end_statements() -> None:
    script = (
        "-- DUMP nothing; here\n" + LOAD + "/* a; b; */ x = FILTER raw BY line != ';';\nDUMP x;\n"
    )
    assert check_piglatin(script, reads_stream=True) == []


def test_unbalanced_parenthesis_is_reported_where_it_opens() -> None:
    script = LOAD + "x = FOREACH raw GENERATE SUBSTRING(line, 0, 3;\nDUMP x;\n"
    assert check_piglatin(script, reads_stream=True) == [
        Problem(2, "'(' is not closed before the ';'")
    ]


def test_hive_style_set_is_reported() -> None:
    script = "SET kinesis.checkpoint.enabled=true;\n" + LOAD + "DUMP raw;\n"
    problems = check_piglatin(script, reads_stream=True)
    assert lines_of(problems) == [1]
    assert "Hive syntax" in problems[0].message


def test_set_without_a_value_is_reported() -> None:
    problems = check_piglatin(LOAD + "SET default_parallel;\nDUMP raw;\n", reads_stream=True)
    assert problems == [Problem(2, "SET default_parallel has no value")]


def test_relation_never_defined_is_reported_with_a_suggestion() -> None:
    script = LOAD + "lines = FOREACH raw GENERATE line;\nDUMP line;\n"
    assert check_piglatin(script, reads_stream=True) == [
        Problem(3, "relation line is not defined (did you mean lines?)")
    ]


def test_relation_used_before_its_definition_is_reported() -> None:
    script = LOAD + "top = LIMIT sorted 10;\nsorted = ORDER raw BY line;\nSTORE top INTO 'o';\n"
    assert check_piglatin(script, reads_stream=True) == [
        Problem(2, "relation sorted is used before it is defined (line 3)")
    ]


def test_every_input_of_join_cogroup_union_and_cross_is_checked() -> None:
    script = (
        LOAD
        + "j = JOIN raw BY (line), missing1 BY (line);\n"
        + "c = COGROUP raw BY line INNER, missing2 BY line;\n"
        + "u = UNION ONSCHEMA raw, missing3;\n"
        + "x = CROSS raw, missing4;\n"
    )
    problems = check_piglatin(script, reads_stream=True)
    assert lines_of(problems) == [2, 3, 4, 5]
    assert [p.message.split()[1] for p in problems] == [f"missing{i}" for i in range(1, 5)]


def test_by_clauses_and_generate_fields_are_not_relations() -> None:
    script = (
        LOAD
        + "g = GROUP raw BY (line, host);\n"
        + "o = ORDER g BY group DESC, host ASC;\n"
        + "f = FOREACH o GENERATE group, COUNT(raw) AS n, raw.line;\n"
        + "DUMP f;\n"
    )
    assert check_piglatin(script, reads_stream=True) == []


def test_nested_foreach_aliases_stay_inside_the_block() -> None:
    script = (
        LOAD
        + "g = GROUP raw ALL;\n"
        + "f = FOREACH g {\n  u = DISTINCT raw.line;\n  GENERATE COUNT(u);\n}\n"
        + "DUMP u;\n"
    )
    assert check_piglatin(script, reads_stream=True) == [Problem(7, "relation u is not defined")]


def test_split_defines_each_branch() -> None:
    script = LOAD + "SPLIT raw INTO ok IF SIZE(line) > 0, empty OTHERWISE;\nDUMP ok;\nDUMP empty;\n"
    assert check_piglatin(script, reads_stream=True) == []


def test_parameters_stand_for_relations_and_values() -> None:
    script = LOAD + "x = FILTER $INPUT BY $0 == '$WANTED';\nSTORE x INTO '$OUTPUT';\n"
    assert check_piglatin(script, reads_stream=True) == []


def test_misspelt_operator_and_statement_are_reported_with_suggestions() -> None:
    script = LOAD + "x = FILTR raw BY line IS NULL;\nSTROE raw INTO 'o';\n"
    assert check_piglatin(script, reads_stream=True) == [
        Problem(2, "unknown Pig operator FILTR (did you mean FILTER?)"),
        Problem(3, "not a Pig Latin statement: STROE (did you mean STORE?)"),
    ]


def test_grunt_commands_are_accepted() -> None:
    script = "fs -rm -r -f s3://bucket/out;\nREGISTER s3://bucket/udfs.jar;\nrmf /tmp/x;\n"
    assert check_piglatin(script, reads_stream=False) == []


def test_macros_inline_operators_and_blocks_without_semicolon_pass() -> None:
    script = (
        "IMPORT 'macros.pig';\n"
        "DEFINE top_n(rel, n) RETURNS out { $out = LIMIT $rel $n; };\n"
        + LOAD
        + "g = GROUP raw ALL; c = FOREACH g { d = DISTINCT raw.line; GENERATE COUNT(d); }\n"
        + "x1, x2 = top_n(c, 3);\n"
        + "f = FOREACH (FILTER raw BY line IS NOT NULL) GENERATE line;\n"
        + "cat = LIMIT f 10;\n"
        + "store cat into 'out' using PigStorage(',');\nDESCRIBE x2;\n"
    )
    assert check_piglatin(script, reads_stream=True) == []


def test_grunt_commands_take_a_line_and_need_no_semicolon() -> None:
    script = (
        "raw = LOAD 'in' AS (line:chararray);\n"
        "rmf out/iteration=3\n"
        "fs -rm -r -f out/old;\n"
        "STORE raw INTO 'out/iteration=3';\n"
    )
    assert check_piglatin(script, reads_stream=False) == []


def test_a_statement_after_a_grunt_command_is_still_checked() -> None:
    script = "rmf out/x\nraw = LOAD 'in' AS (line:chararray)\nSTORE raw INTO 'out/x';\n"
    assert lines_of(check_piglatin(script, reads_stream=False)) == [2]
