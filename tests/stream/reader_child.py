"""Reads one iteration into a staging folder, slowly; a test kills it with SIGKILL mid-read.

Usage: python reader_child.py ENDPOINT STREAM STAGING_URL LOGICAL ITERATION
"""

from __future__ import annotations

import sys

import boto3

from kiter.stream.reader import StopPolicy, read_iteration
from kiter.stream.staging import open_staging


def main(argv: list[str]) -> int:
    endpoint, stream, url, logical, iteration = argv
    client = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")
    staging = open_staging(url)
    with staging.partition(logical, int(iteration), "jsonl") as writer:
        read_iteration(
            client,
            stream,
            iteration=int(iteration),
            previous=None,
            writer=writer,
            echo=lambda line: print(line, file=sys.stderr, flush=True),
            stop=StopPolicy(batch_size=25),
            min_call_interval=0.05,
        )
    print("committed", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
