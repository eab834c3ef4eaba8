"""The quick reading of a script's Kinesis tables and loads (run on every render) finds what the
full reading (run to rewrite, import or check before submit) finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.scripts import kinesis_loads, kinesis_tables, mentions, streams_named

CORPUS = sorted((Path(__file__).parent.parent / "adopt" / "scripts").iterdir())


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_the_quick_reading_names_the_streams_the_full_reading_finds(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    dialect = "pig" if path.suffix == ".pig" else "hive"
    found = mentions(text.lower())
    assert found is not None
    quick = sorted({name for name, _ in streams_named(text, text.lower(), dialect, found).streams})
    if dialect == "hive":
        full = sorted({t.stream for t in kinesis_tables(text) if t.stream})
    else:
        full = sorted({load.stream for load in kinesis_loads(text)})
    assert quick == full != []


LOADS = {
    "arguments": (
        "r = LOAD 'S' USING KinesisStreamLoader('kinesis.nodata.timeout=1') AS (l);",
        True,
    ),
    "arguments after a comment": (
        "r = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader /* c */ ('a=1');",
        True,
    ),
    "a loader kept in a DEFINE": (
        "DEFINE K com.amazon.emr.kinesis.pig.KinesisStreamLoader('a=1');",
        True,
    ),
    "none": ("r = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (l);", False),
    "none, no brackets": ("r = LOAD 'S' USING KinesisStreamLoader AS (l);", False),
    "none, lower case": ("r = load 'S' using kinesisstreamloader();", False),
}


@pytest.mark.parametrize("text, maybe", LOADS.values(), ids=list(LOADS))
def test_the_quick_reading_says_when_a_kinesis_load_may_give_the_loader_arguments(
    text: str, maybe: bool
) -> None:
    found = mentions(text.lower())
    assert found is not None
    named = streams_named(text, text.lower(), "pig", found)
    assert named.loader_arguments is maybe
    full = any(load.arguments for load in kinesis_loads(text))
    assert full <= maybe  # whatever the full reading finds, the quick one said may be there


def test_a_script_that_never_names_the_connector_needs_no_reading() -> None:
    assert mentions("SELECT 'kinesi' FROM t;\nSET hive.exec.parallel=true;\n") is None


def test_the_connectors_own_class_names_cannot_hold_a_setting_but_a_set_can() -> None:
    table = (
        "CREATE TABLE t (line STRING) STORED BY "
        "'com.amazon.emr.kinesis.hive.KinesisStorageHandler'\n"
        'TBLPROPERTIES ("kinesis.stream.name"="S");\n'
    )
    found = mentions(table.lower())
    assert found is not None and not found.settings and not found.credentials
    for setting in (
        "SET kinesis.nodata.timeout=1;",
        "SET hiveconf:KINESIS.x=1;",
        "SET 'kinesis.x' 1;",
    ):
        found = mentions((table + setting).lower())
        assert found is not None and found.settings


def test_credentials_are_seen_in_any_case_even_in_comments() -> None:
    found = mentions("-- SET Kinesis.SecretKey=x;\nSELECT 1;\n".lower())
    assert found is not None and found.credentials
