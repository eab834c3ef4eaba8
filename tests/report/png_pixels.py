"""A PNG's pixels with nothing but zlib: enough to count colours in a browser's screenshot.

Reads 8-bit RGB and RGBA images, not interlaced (what Chromium writes); anything else is an
error, not a guess.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def colours(path: Path, box: tuple[int, int, int, int] | None = None) -> Counter[tuple[int, ...]]:
    """How many pixels of each RGB colour the image has (in `box` = left, top, right, bottom)."""
    width, height, rows = _rows(path.read_bytes())
    left, top, right, bottom = box or (0, 0, width, height)
    counts: Counter[tuple[int, ...]] = Counter()
    for y, row in enumerate(rows):
        if top <= y < bottom:
            px = len(row) // width
            counts.update(
                tuple(row[x * px : x * px + 3]) for x in range(max(left, 0), min(right, width))
            )
    return counts


def _rows(data: bytes) -> tuple[int, int, list[bytes]]:
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG")
    at, idat, header = len(SIGNATURE), b"", b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, {interlace=}")
    px = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * px
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, px)
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def _unfilter(kind: int, line: bytearray, up: bytearray, px: int) -> None:
    """Undo one row's filter in place (PNG specification, section 9)."""
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, up, strict=True))
        return
    for i in range(len(line)):
        left = line[i - px] if i >= px else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up[i]) // 2) & 0xFF
        elif kind == 4:
            corner = up[i - px] if i >= px else 0
            line[i] = (line[i] + _paeth(left, up[i], corner)) & 0xFF
        else:
            raise ValueError(f"unknown PNG filter {kind}")


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c
