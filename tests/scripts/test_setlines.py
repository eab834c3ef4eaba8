"""A script's SET lines, Hive's and Pig's, read as each engine applies them."""

from __future__ import annotations

from pathlib import Path

from kiter.scripts import effective_settings

TOP10 = (Path(__file__).parent.parent / "lint" / "scripts" / "top10_errors.pig").read_text()


def test_set_statements_keep_values_as_hive_passes_them() -> None:
    script = (
        "SET kinesis.checkpoint.logical.name = access-log ;\n"
        "-- a comment line\n"
        "SET kinesis.checkpoint.metastore.table.name='MyTable';\n"
        "SET kinesis.checkpoint.iteration.no=4 -- fourth\n;\n"
        "SET -v;\nSET kinesis.nodata.timeout;\n"
    )
    assert effective_settings(script, "hive") == {
        "kinesis.checkpoint.logical.name": ("access-log", 1),
        "kinesis.checkpoint.metastore.table.name": ("'MyTable'", 3),
        "kinesis.checkpoint.iteration.no": ("4 -- fourth", 4),
    }


def test_set_statements_record_a_key_set_again() -> None:
    found = effective_settings("SET a=1;\nSET b=2;\nSET a=3;\n", "hive")
    assert found["a"] == ("3", 3)
    assert found.repeats == [("a", "3", 3)]


def test_set_statements_unquote_values_and_give_lines() -> None:
    found = effective_settings(TOP10, "pig")
    assert found["kinesis.checkpoint.metastore.table.name"] == ("MyEMRKinesisTable", 5)
    assert found["kinesis.checkpoint.iteration.no"] == ("4", 9)
    assert found["kinesis.checkpoint.logical.name"] == ("top10-errors", 8)


def test_set_statements_leave_out_hive_style_sets_and_record_repeats() -> None:
    found = effective_settings("SET a=1;\nSET b 'x';\nset b 'y';\n", "pig")
    assert dict(found) == {"b": ("y", 3)}
    assert found.repeats == [("b", "y", 3)]
