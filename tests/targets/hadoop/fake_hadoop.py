"""A stand-in for Hadoop Streaming's local job runner, for the target's tests without a JVM.

Run as `python fake_hadoop.py ARGV` in the run folder: it links the `-files` into its working
directory (as the local job runner does), refuses an existing `-output` (as Hadoop does), pipes
the `-input` folder's files through the `-mapper` command and writes its output as `part-00000`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def main(args: list[str]) -> int:
    for shipped in option(args, "-files").split(","):
        os.symlink(shipped, Path(shipped).name)
    output = Path(option(args, "-output").removeprefix("file://"))
    if output.exists():
        print(f"org.apache.hadoop.mapred.FileAlreadyExistsException: {output}", file=sys.stderr)
        return 1
    source = Path(option(args, "-input").removeprefix("file://"))
    records = "".join(part.read_text() for part in sorted(source.iterdir()))
    mapped = subprocess.run(
        option(args, "-mapper").split(), input=records, capture_output=True, text=True, check=False
    )
    sys.stderr.write(mapped.stderr)
    if mapped.returncode != 0:
        print("Streaming Command Failed!", file=sys.stderr)
        return 1
    output.mkdir(parents=True)
    (output / "part-00000").write_text(mapped.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
