"""A local Hadoop run's part files read back as rows, compressed by any codec Python reads."""

from __future__ import annotations

import bz2
import gzip
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from kiter.hadoopcommand import HadoopCommand
from kiter.targets.hadoop import output_rows


def command(folder: Path) -> HadoopCommand:
    return HadoopCommand(
        engine="jar", settings=(), arguments=(), input="", output=f"file://{folder}", jar="x.jar"
    )


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [("", bytes), (".gz", gzip.compress), (".bz2", bz2.compress), (".deflate", zlib.compress)],
)
def test_part_files_read_back_as_rows_whatever_codec_compressed_them(
    tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]
) -> None:
    (tmp_path / f"part-r-00000{suffix}").write_bytes(compress(b"404\t7\n"))
    (tmp_path / f"part-r-00001{suffix}").write_bytes(compress(b"x\t1.5\n"))
    (tmp_path / "_SUCCESS").write_bytes(b"")

    assert output_rows(command(tmp_path)) == (["$0", "$1"], [(404, 7), ("x", 1.5)])


def test_part_files_kiter_cannot_decompress_are_said_unread(tmp_path: Path) -> None:
    (tmp_path / "part-r-00000.zst").write_bytes(b"\x28\xb5\x2f\xfd garbage")
    said: list[str] = []

    assert output_rows(command(tmp_path), said.append) == ([], [])
    assert said == [
        f"rows not shown: {tmp_path}/part-r-00000.zst is .zst-compressed: kiter reads part files "
        "as text, .gz, .bz2 or .deflate"
    ]
