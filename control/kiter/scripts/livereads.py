"""What a script made to read a staged iteration still reads live: the places it names the
EMR Kinesis connector, or gives a class kiter cannot read (a variable), once kiter has rewritten
the tables and loads it knows how to.

Pure text, comments aside; it only reads (kiter.adopt decides what to refuse).
"""

from __future__ import annotations

import re

from kiter.scripts.connector import _Piece, _pieces
from kiter.scripts.pigtokens import pig_statements, tokenize

# Where a class may be a variable (or, in Hive, escaped): what a script naming no `kinesis` must
# hold for `live_reads` to read it.
_MAY_NAME_A_VARIABLE = {
    "hive": re.compile(r"\bstored\s+by\s+['\"]?[^'\"\s]*[$\\]"),
    "pig": re.compile(r"\b(?:using|define\s+\S+)(?:\s|/\*.*?\*/|--[^\n]*)+\$", re.DOTALL),
}


def live_reads(text: str, lowered: str, dialect: str) -> list[tuple[int, str]]:
    """(line, what) of each place a script, staged, still names the connector or a class kiter
    cannot read: the loader or storage handler, a `kinesis.stream.name` property, a `STORED BY`
    or Pig loader that is a variable. Comments aside; `lowered` is `lowered(text)`."""
    if "kinesis" not in lowered and not _MAY_NAME_A_VARIABLE[dialect].search(lowered):
        return []  # the common case, without reading the script
    found: list[tuple[int, str]] = []
    if dialect == "hive":
        pieces = [p for p in _pieces(text) if p.kind in ("word", "string")]
        for index, piece in enumerate(pieces):
            low = piece.text.lower()
            what = ""
            if "kinesisstoragehandler" in low:
                what = f"{piece.text} names the Kinesis storage handler"
            elif "kinesis.stream.name" in low:
                what = f"{piece.text} is a Kinesis table property"
            elif _after_stored_by(pieces, index) and ("$" in piece.text or "\\" in piece.text):
                what = f"STORED BY {piece.text} is a class kiter cannot know"
            if what:
                found.append((text.count("\n", 0, piece.start) + 1, what))
        return found
    for statement in pig_statements(tokenize(text, []), []):
        tokens = statement.tokens
        for index, token in enumerate(tokens):
            before = tokens[index - 1].upper if index else ""
            if token.kind != "punct" and "kinesisstreamloader" in token.text.lower():
                found.append((token.line, f"{token.text} names the Kinesis loader"))
            elif token.kind == "param" and before == "USING":
                found.append((token.line, f"USING {token.text} is a loader kiter cannot know"))
            elif token.kind == "param" and index == 2 and tokens[0].upper == "DEFINE":
                alias = tokens[1].text
                found.append(
                    (token.line, f"DEFINE {alias} {token.text} is a loader kiter cannot know")
                )
    return found


def _after_stored_by(pieces: list[_Piece], index: int) -> bool:
    return index >= 2 and [p.text.upper() for p in pieces[index - 2 : index]] == ["STORED", "BY"]
