"""The scaffold's Hadoop Streaming programs (templates/kiter/streaming/) give the Hive job's top 10,
run here as Hadoop Streaming runs them: the mapper over each split, lines sent by key to one of
two reducers, sorted, each reducer keeping its share's top 10."""

from __future__ import annotations

import subprocess
import sys
import zlib

from kiter.library import builtin_dir
from kiter.local.traffic import Traffic, expected_top_errors

PROGRAMS = builtin_dir("templates") / "kiter" / "streaming"


def run_program(name: str, lines: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(PROGRAMS / name)],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def streaming(lines: list[str], reducers: int = 2) -> list[tuple[object, ...]]:
    mapped = run_program("top_errors_mapper.py", lines[: len(lines) // 2])
    mapped += run_program("top_errors_mapper.py", lines[len(lines) // 2 :])
    shares: list[list[str]] = [[] for _ in range(reducers)]
    for line in mapped:  # streaming's key: the text before the first tab
        shares[zlib.crc32(line.split("\t")[0].encode()) % reducers].append(line)
    rows = []
    for share in shares:
        for line in run_program("top_errors_reducer.py", sorted(share)):
            region, browser, domain, status, errors = line.split("\t")
            rows.append((region, browser, domain, int(status), int(errors)))
    return sorted(rows, key=lambda r: (-r[4], r[0], r[1], r[2], r[3]))[:10]


def test_the_streaming_top_ten_is_the_hive_jobs_over_the_same_records() -> None:
    lines = Traffic(seed=11).lines(3000)

    assert streaming(lines) == expected_top_errors(lines)


def test_a_line_the_regex_does_not_read_is_skipped_as_hive_skips_it() -> None:
    lines = ["not a web-log line", *Traffic(seed=3).lines(200)]

    assert streaming(lines) == expected_top_errors(lines)
