"""The rewriter of owned settings (run on every render) and the check before submit read a script's
SET lines the same way: whatever the check would refuse, the rewriter took over, and nothing else.

Each text is fed to both paths as it is and with CRLF line ends.
"""

from __future__ import annotations

import re

import pytest

from kiter.adopt import adopt_script
from kiter.adopt.owned import check_effective_settings, is_owned
from kiter.checkpoint import CheckpointSettings
from kiter.errors import SettingError
from kiter.scripts import effective_settings, kinesis_loads

SETTINGS = CheckpointSettings("MyEMRKinesisTable", "HashKey", "RangeKey", "clicks", 5)
HIVE_TABLE = (
    "CREATE TABLE t (line STRING)\n"
    "STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'\n"
    'TBLPROPERTIES ("kinesis.stream.name"="S");\n'
)
PIG_LOAD = "raw = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line);\n"

# (dialect, text, the lines that set an owned setting, as the engine reads the text)
TRICKY = {
    "hive: comments and strings holding SET, lowercase set mid-script, hiveconf:": (
        "hive",
        "-- SET kinesis.checkpoint.iteration.no=99;\n"
        + HIVE_TABLE
        + "SELECT 'SET kinesis.checkpoint.iteration.no=98;' AS s FROM t;\n"
        "SELECT 1 FROM t; set kinesis.checkpoint.logical.name=other;\n"
        "SET hiveconf:kinesis.checkpoint.iteration.no=97;\n"
        "SELECT line FROM t;\n",
        [6, 7],
    ),
    "hive: a ';' inside quotes and a value over two lines": (
        "hive",
        HIVE_TABLE + "SET kinesis.nodata.timeout='a;b';\n"
        "SET kinesis.checkpoint.iteration.no=4\n-- fourth\n;\n"
        "SELECT line FROM t;\n",
        [4, 5],
    ),
    "hive: what Hive's CLI strips around a key: comment lines, control characters": (
        "hive",
        HIVE_TABLE + "SET\n-- x\nkinesis.checkpoint.iteration.no=0;\n"
        "SET kinesis.checkpoint.logical.name\n-- y\n=other;\n"
        "SET \x01kinesis.checkpoint.metastore.table.name=OtherTable;\n"
        "SELECT line FROM t;\n",
        [4, 7, 10],
    ),
    "hive: Pig's form sets nothing in Hive": (
        "hive",
        HIVE_TABLE + "SET kinesis.checkpoint.iteration.no 4;\nSELECT line FROM t;\n",
        [],
    ),
    "pig: comments and strings holding SET, lowercase set, a quoted value": (
        "pig",
        "-- SET kinesis.checkpoint.iteration.no 99;\n/* set kinesis.checkpoint.iteration.no 3; */\n"
        + PIG_LOAD
        + "x = FOREACH raw GENERATE 'SET kinesis.checkpoint.iteration.no 98;' AS s;\n"
        "set kinesis.checkpoint.logical.name 'other';\n"
        "SET kinesis.checkpoint.metastore.table.name 'a;b';\n"
        "STORE x INTO 'out';\n",
        [5, 6],
    ),
    "pig: a quoted key": (
        "pig",
        PIG_LOAD + "SET 'kinesis.checkpoint.iteration.no' '97';\nSTORE raw INTO 'out';\n",
        [2],
    ),
    "pig: a comment between SET and its key": (
        "pig",
        PIG_LOAD + "SET /* ours */ kinesis.checkpoint.iteration.no 96;\nSTORE raw INTO 'out';\n",
        [2],
    ),
    "pig: Hive's form sets nothing in Pig": (
        "pig",
        PIG_LOAD + "SET kinesis.checkpoint.iteration.no=4;\nSTORE raw INTO 'out';\n",
        [],
    ),
    "pig: loader arguments behind a comment": (
        "pig",
        "raw = LOAD 'S' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader(\n"
        "  /* kiter's now */ 'kinesis.checkpoint.iteration.no=95',\n"
        "  'kinesis.records.batchsize=5') AS (line);\n"
        "STORE raw INTO 'out';\n",
        [2, 3],
    ),
}


def _rewritten(text: str, dialect: str) -> tuple[str, list[int]]:
    adopted = adopt_script(
        text,
        engine=dialect,
        mode="connector",
        stream="S",
        settings=SETTINGS.items(),
        partition="s3://stage/p",
        template="job.tmpl",
        source=lambda: text,
    )
    lines = re.findall(r"^job\.tmpl:(\d+): kiter owns ", "\n".join(adopted.notes), re.M)
    assert len(lines) == len(adopted.notes)
    return adopted.text, sorted(int(line) for line in lines)


def _guard_sees(text: str, dialect: str) -> list[int]:
    """The lines of `text` the check before submit reads as setting an owned setting."""
    found = effective_settings(text, dialect)
    lines = [line for key, (_, line) in found.items() if is_owned(key)]
    lines += [line for key, _, line in found.repeats if is_owned(key)]
    if dialect == "pig":
        lines += [
            text.count("\n", 0, start) + 1
            for load in kinesis_loads(text)
            for argument, start, _ in load.arguments
            if is_owned(argument.split("=", 1)[0])
        ]
    return sorted(lines)


@pytest.mark.parametrize("crlf", [False, True], ids=["LF", "CRLF"])
@pytest.mark.parametrize("case", sorted(TRICKY))
def test_the_rewriter_takes_over_exactly_what_the_check_before_submit_reads(
    case: str, crlf: bool
) -> None:
    dialect, text, owned_lines = TRICKY[case]
    if crlf:
        text = text.replace("\n", "\r\n")
    rewritten, taken = _rewritten(text, dialect)
    assert taken == _guard_sees(text, dialect) == owned_lines
    assert _guard_sees(rewritten, dialect) == []
    assert rewritten.count("\n") == text.count("\n")
    block = SETTINGS.block(dialect) + "\n\n"
    # The check passes what the rewriter made, and would have refused the script as it was.
    check_effective_settings(block + rewritten, dialect, SETTINGS)
    if owned_lines:
        with pytest.raises(SettingError, match="nothing was submitted"):
            check_effective_settings(block + text, dialect, SETTINGS)
