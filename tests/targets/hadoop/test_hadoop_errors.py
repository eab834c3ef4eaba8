"""A failed Hadoop run in one line, from its output as Hadoop 2.10.2 writes it (texts captured
from real runs of the local engine)."""

from __future__ import annotations

from kiter.targets.hadooperrors import failure_cause, java_exception, python_error

PROGRAMS = {"status_mapper.py": "streaming/status_mapper.py"}

MAPPER_STDERR = """\
Traceback (most recent call last):
  File "/p/.kiter/local/hadoop/status/3/1/status_mapper.py", line 9, in <module>
    print(parse(line))
          ^^^^^^^^^^^
  File "/p/.kiter/local/hadoop/status/3/1/status_mapper.py", line 5, in parse
    return int(line.split()[0])
           ^^^^^^^^^^^^^^^^^^^^
ValueError: invalid literal for int() with base 10: 'a'
Streaming Command Failed!
"""

STREAMING_RUN_LOG = """\
2026-12-04 21:13:10,940 INFO  PipeMapRed - PipeMapRed failed!
java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with code 1
\tat org.apache.hadoop.streaming.PipeMapRed.waitOutputThreads(PipeMapRed.java:325)
2026-12-04 21:13:10,946 WARN  LocalJobRunner - job_local348198251_0001
java.lang.Exception: java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with code 1
\tat org.apache.hadoop.mapred.LocalJobRunner$Job.runTasks(LocalJobRunner.java:492)
Caused by: java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with code 1
\tat org.apache.hadoop.streaming.PipeMapRed.waitOutputThreads(PipeMapRed.java:325)
2026-12-04 21:13:11,500 ERROR StreamJob - Job not successful!
"""

MAIN_STDERR = """\
Exception in thread "main" org.apache.hadoop.mapreduce.lib.input.InvalidInputException: Input path does not exist: file:/p/staging/words/iteration=3/nothing
\tat org.apache.hadoop.mapreduce.lib.input.FileInputFormat.singleThreadedListStatus(FileInputFormat.java:329)
\tat java.base/java.security.AccessController.doPrivileged(AccessController.java:712)
\tat org.apache.hadoop.examples.WordCount.main(WordCount.java:87)
"""

TASK_RUN_LOG = """\
2026-12-04 21:20:01,000 WARN  LocalJobRunner - job_local1_0001
java.lang.Exception: java.lang.IllegalStateException: bad record 'x'
\tat org.apache.hadoop.mapred.LocalJobRunner$Job.runTasks(LocalJobRunner.java:492)
Caused by: java.lang.IllegalStateException: bad record 'x'
\tat com.example.Counts$Map.map(Counts.java:42)
\tat org.apache.hadoop.mapreduce.Mapper.run(Mapper.java:146)
2026-12-04 21:20:01,500 INFO  Job - Job job_local1_0001 failed with state FAILED due to: NA
"""


def test_a_python_programs_last_error_is_named_at_its_project_file_and_line() -> None:
    cause = failure_cause(MAPPER_STDERR, STREAMING_RUN_LOG, PROGRAMS)

    assert cause == (
        "streaming/status_mapper.py:5: ValueError: invalid literal for int() with base 10: 'a'"
    )


def test_a_traceback_from_a_file_that_was_not_shipped_keeps_its_message_alone() -> None:
    assert python_error(MAPPER_STDERR, {}) == (
        "ValueError: invalid literal for int() with base 10: 'a'"
    )


def test_of_several_tracebacks_the_last_is_told() -> None:
    second = MAPPER_STDERR.replace("ValueError: invalid", "KeyError: 'b' instead of invalid")
    assert python_error(MAPPER_STDERR + second, PROGRAMS) == (
        "streaming/status_mapper.py:5: KeyError: 'b' instead of invalid literal for int() with "
        "base 10: 'a'"
    )


def test_a_jar_whose_main_throws_is_told_by_its_exception() -> None:
    assert failure_cause(MAIN_STDERR, "", {}) == (
        "org.apache.hadoop.mapreduce.lib.input.InvalidInputException: Input path does not "
        "exist: file:/p/staging/words/iteration=3/nothing"
    )


def test_a_failed_task_is_told_by_its_deepest_cause_and_the_programs_own_frame() -> None:
    assert java_exception(TASK_RUN_LOG) == (
        "java.lang.IllegalStateException: bad record 'x' (at Counts.java:42)"
    )


def test_a_program_that_fails_without_a_traceback_adds_its_last_words() -> None:
    stderr = "reading input\nrun.sh: line 3: jq: command not found\nStreaming Command Failed!\n"

    assert failure_cause(stderr, STREAMING_RUN_LOG, {}) == (
        "java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with "
        "code 1; the program's last line on stderr: run.sh: line 3: jq: command not found"
    )


def test_a_run_without_any_error_text_says_so() -> None:
    assert failure_cause("", "", {}) == "no error found in its output"
