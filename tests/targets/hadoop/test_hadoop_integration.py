"""Streaming and jar jobs on real Hadoop 2.10.2 (the local Hadoop target), through `kiter submit` on
a fresh scaffold's local stack (moto server): staged iterations, rows read back, a Cascading app
(a jar job on Cascading's local planner), a failing mapper explained and retried."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiter.local.hadoopengine import HadoopEngine
from kiter.local.maven import cache_root
from kiter.local.pigengine import PigEngine
from kiter.local.traffic import Traffic, browser_family, expected_top_errors, parse
from kiter_support import kiter_process, local_scaffold

pytestmark = pytest.mark.integration

WORDCOUNT = """
[jobs.wordcount]
engine = "jar"
stream = "Words"
logical_name = "wordcount"
mode = "staged"
jar = "jars/hadoop-mapreduce-examples-2.10.2.jar"
main_class = "org.apache.hadoop.examples.WordCount"
args = ["{{ input }}", "{{ output }}"]
output = ".kiter/output/wordcount/{{ iteration }}"

[profiles.local.jobs.wordcount]
target = "hadoop"
"""

# No main_class: the app's manifest names it. Without a third argument every error type is
# written; with 10, the top 10 in the Hive job's order.
CASCADING = """
[jobs.cascading_errors]
engine = "jar"
stream = "AccessLogStream"
logical_name = "cascading-errors"
mode = "staged"
jar = "jars/kiter-cascading-app.jar"
args = ["{{ input }}", "{{ output }}"]
output = ".kiter/output/cascading-errors/{{ iteration }}"

[profiles.local.jobs.cascading_errors]
target = "hadoop"

[jobs.cascading_top]
engine = "jar"
stream = "AccessLogStream"
logical_name = "cascading-top"
mode = "staged"
jar = "jars/kiter-cascading-app.jar"
args = ["{{ input }}", "{{ output }}", "10"]
output = ".kiter/output/cascading-top/{{ iteration }}"

[profiles.local.jobs.cascading_top]
target = "hadoop"
"""

RAISING_MAPPER = """\
import sys


def ratio(line):
    return len(line) / 0


for line in sys.stdin:
    print(ratio(line))
"""

VOCABULARY = [f"w{n}" for n in range(40)] + ["kinesis", "hadoop", "200", "404"]


@pytest.fixture
def scaffold(
    tmp_path: Path, hadoop_engine: HadoopEngine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    del hadoop_engine  # installed before the stack starts
    # A home of its own: a run may write nothing there (the engines stay in the real cache).
    monkeypatch.setenv("KITER_CACHE", str(cache_root().parent))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "project").mkdir()
    with local_scaffold(tmp_path / "project", "--no-hive", "--shards", "2") as root:
        yield root


def local(root: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    done = kiter_process(root, "--profile", "local", *args, stdin=stdin)
    return done.returncode, done.stdout, done.stderr


def put(root: Path, stream: str, lines: list[str]) -> None:
    code, _, err = local(root, "local", "put", stream, "-", stdin="".join(f"{x}\n" for x in lines))
    assert code == 0, err


def tsv_rows(out: str) -> list[list[str]]:
    return [line.split("\t") for line in out.splitlines()[1:]]


def test_hadoops_own_wordcount_jar_counts_exactly_each_staged_iterations_records(
    scaffold: Path, examples_jar: Path
) -> None:
    (scaffold / "jars").mkdir()
    (scaffold / "jars" / examples_jar.name).write_bytes(examples_jar.read_bytes())
    with (scaffold / "kiter.toml").open("a") as toml:
        toml.write(WORDCOUNT)
    code, _, err = local(scaffold, "local", "up", "--no-hive", "--shards", "2")  # makes Words
    assert code == 0, err
    words = random.Random(5)
    batches = [
        [" ".join(words.choices(VOCABULARY, k=6)) for _ in range(150)],
        [" ".join(words.choices(VOCABULARY[:20], k=4)) for _ in range(90)],
    ]

    counted = []
    for iteration, batch in enumerate(batches):
        put(scaffold, "Words", batch)
        code, out, err = local(scaffold, "submit", "wordcount", "--format", "tsv")
        assert code == 0, err
        assert f"iteration {iteration} of wordcount, attempt 1, SUCCEEDED" in err
        counted.append({word: int(n) for word, n in tsv_rows(out)})

    for batch, counts in zip(batches, counted, strict=True):
        assert counts == Counter(word for line in batch for word in line.split())
    assert set(counted[1]) <= set(VOCABULARY[:20])  # nothing of the first iteration's
    assert sorted(os.listdir(scaffold.parent / "home")) == []
    run_dir = scaffold / ".kiter/local/hadoop/wordcount/1/1"
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "hadoop-run.log",
        "home",
        "programs.tsv",
        "stderr.log",
    ]


def error_types(lines: list[str]) -> Counter[tuple[str, str, str, int]]:
    """Failed requests (status 400 and up) by region, browser, domain and status."""
    counts: Counter[tuple[str, str, str, int]] = Counter()
    for line in lines:
        fields = parse(line)
        if fields is not None and int(fields["status"]) >= 400:
            browser = browser_family(fields["agent"])
            counts[(fields["region"], browser, fields["domain"], int(fields["status"]))] += 1
    return counts


def test_a_cascading_app_jar_counts_exactly_each_staged_iterations_error_types_and_the_top_ten(
    scaffold: Path, cascading_jar: Path
) -> None:
    # About 5 s beside the build (5-12 s once ~/.m2 has the jars): each submit is a kiter process
    # and one JVM of under a second.
    (scaffold / "jars").mkdir()
    (scaffold / "jars" / cascading_jar.name).write_bytes(cascading_jar.read_bytes())
    with (scaffold / "kiter.toml").open("a") as toml:
        toml.write(CASCADING)
    code, _, err = local(scaffold, "validate", "cascading_errors", "cascading_top")
    assert code == 0, err  # a readable jar whose manifest names a class it holds
    # The second iteration's requests are all to the API: any other domain would be the first's.
    lines = Traffic(seed=8).lines(1200)
    batches = [
        [line for line in lines[:600] if not line.startswith("api.example.com ")],
        [line for line in lines[600:] if line.startswith("api.example.com ")],
    ]

    counted = []
    for iteration, batch in enumerate(batches):
        put(scaffold, "AccessLogStream", batch)
        code, out, err = local(scaffold, "submit", "cascading_errors", "--format", "tsv")
        assert code == 0, err
        assert f"iteration {iteration} of cascading-errors, attempt 1, SUCCEEDED" in err
        counted.append({(r, b, d, int(s)): int(n) for r, b, d, s, n in tsv_rows(out)})
        # The app read kiter's -D settings before its arguments: it names the iteration it ran.
        given = scaffold / f".kiter/output/cascading-errors/{iteration}/_settings"
        assert f"kinesis.checkpoint.iteration.no={iteration}" in given.read_text().splitlines()

    for batch, counts in zip(batches, counted, strict=True):
        assert counts == error_types(batch)
    assert {domain for _, _, domain, _ in counted[1]} == {"api.example.com"}
    # Its own logical name, its first iteration: every record put so far.
    code, out, err = local(scaffold, "submit", "cascading_top", "--format", "tsv")
    assert code == 0, err
    top = [(r, b, d, int(s), int(n)) for r, b, d, s, n in tsv_rows(out)]
    assert top == expected_top_errors(batches[0] + batches[1])
    assert sorted(os.listdir(scaffold.parent / "home")) == []
    run_dir = scaffold / ".kiter/local/hadoop/cascading-errors/1/1"
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "hadoop-run.log",
        "home",
        "programs.tsv",
        "stderr.log",
    ]


def test_the_scaffolds_streaming_job_gives_the_top_ten_pig_and_python_give(
    scaffold: Path, pig_engine: PigEngine
) -> None:
    del pig_engine
    lines = Traffic(seed=3).lines(600)
    put(scaffold, "AccessLogStream", lines)

    code, out, err = local(scaffold, "submit", "top_errors_streaming", "--format", "tsv")
    assert code == 0, err
    code, pig_out, pig_err = local(scaffold, "submit", "top_errors_pig", "--format", "tsv")
    assert code == 0, pig_err

    rows = [(r, b, d, int(s), int(n)) for r, b, d, s, n in tsv_rows(out)]
    top = sorted(rows, key=lambda row: (-row[4], *row[:4]))[:10]
    assert top == expected_top_errors(lines)
    assert ["\t".join(map(str, row)) for row in top] == pig_out.splitlines()[1:]
    output = scaffold / ".kiter/output/top-errors-streaming/iteration=0"
    assert sorted(p.name for p in output.glob("part-*")) == ["part-00000", "part-00001"]
    assert "600 records staged" in err


def test_a_mapper_that_raises_fails_the_iteration_in_one_line_and_the_next_submit_retries_it(
    scaffold: Path,
) -> None:
    mapper = scaffold / "streaming" / "top_errors_mapper.py"
    working = mapper.read_text()
    mapper.write_text(RAISING_MAPPER)
    put(scaffold, "AccessLogStream", Traffic(seed=4).lines(50))

    code, out, err = local(scaffold, "submit", "top_errors_streaming")

    cause = (
        "streaming/top_errors_mapper.py:5: ZeroDivisionError: division by zero (whole log: "
        ".kiter/local/hadoop/top-errors-streaming/0/1/hadoop-run.log, and stderr.log beside it)"
    )
    assert (code, out) == (1, "")
    assert err.endswith(
        f"iteration 0 of top-errors-streaming failed on hadoop "
        f"(hadoop:{scaffold}/.kiter/local/hadoop/top-errors-streaming/0/1):\n{cause}\n"
    )
    code, out, _ = local(scaffold, "iterations", "top_errors_streaming", "--json")
    [record] = json.loads(out)["iterations"]
    assert (record["state"], record["attempts"], record["reason"]) == ("FAILED", 1, cause)
    code, out, err = local(scaffold, "logs", "top_errors_streaming", "-i", "0")
    # The run log kept of the attempt first, then the cause read from the run's own logs.
    assert code == 0, err
    assert out.startswith("==> .kiter/logs/top-errors-streaming/0/1.log <==\n")
    assert out.endswith(f"{cause}\n")

    mapper.write_text(working)
    code, _, err = local(scaffold, "submit", "top_errors_streaming")
    assert code == 0, err
    assert "iteration 0 of top-errors-streaming, attempt 2, SUCCEEDED, 50 records staged" in err
