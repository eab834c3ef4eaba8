"""Unit tests of the step-log explainer (no AWS, no moto)."""

from __future__ import annotations

import gzip

import emr_logsamples as samples

from kiter.targets.steplogs import MAX_LINES, probable_cause, read_gz


def test_hive_table_not_found_gives_the_failed_line_and_the_exit_code() -> None:
    cause = probable_cause(
        {"stderr": samples.HIVE_TABLE_NOT_FOUND_STDERR, "controller": samples.CONTROLLER_EXIT_1}
    )

    assert cause.splitlines() == [
        "FAILED: SemanticException [Error 10001]: Line 3:14 Table not found 'weblogs'",
        "Step failed with exitCode 1 and took 14 seconds",
    ]


def test_pig_iterator_error_gives_grunt_error_and_innermost_exception_without_frames() -> None:
    cause = probable_cause({"stderr": samples.PIG_ITERATOR_STDERR})

    lines = cause.splitlines()
    assert lines[0] == "ERROR 1066: Unable to open iterator for alias raw"
    assert "ERROR 1002: Unable to store alias raw" in lines
    assert lines[-1].startswith("java.io.IOException: Stream AccessLogStream not found")
    assert not any(line.startswith("at ") or "PigServer.java" in line for line in lines)
    assert len(lines) == 3


def test_pig_parse_error_is_found_without_its_logger_prefix() -> None:
    cause = probable_cause({"stderr": samples.PIG_PARSE_STDERR})

    assert cause.startswith(
        'ERROR 1000: Error during parsing. Encountered " <IDENTIFIER> "LOADD ""'
    )
    assert "Grunt" not in cause


def test_hive_execution_error_is_paired_with_the_innermost_cause_from_syslog() -> None:
    cause = probable_cause({"syslog": samples.HIVE_TEZ_SYSLOG, "stderr": samples.HIVE_TEZ_STDERR})

    lines = cause.splitlines()
    assert lines[0] == (
        "FAILED: Execution Error, return code 2 from org.apache.hadoop.hive.ql.exec.tez.TezTask"
    )
    assert lines[1].startswith(
        "com.amazonaws.services.kinesis.model.ExpiredIteratorException: Iterator expired."
    )
    assert len(lines) == 2


def test_the_same_failure_in_two_logs_is_reported_once() -> None:
    line = "FAILED: SemanticException [Error 10001]: Line 3:14 Table not found 'weblogs'"
    cause = probable_cause({"stderr": line + "\n", "syslog": f"2024-05-01 10:00:00 ERROR {line}\n"})

    assert cause == line


def test_at_most_eight_lines_are_returned() -> None:
    stderr = "".join(f"FAILED: SemanticException [Error 1000{i}]: problem {i}\n" for i in range(20))

    lines = probable_cause({"stderr": stderr}).splitlines()

    assert len(lines) == MAX_LINES
    assert lines[0].endswith("problem 0")


def test_plain_error_lines_are_used_only_when_nothing_more_specific_is_found() -> None:
    syslog = (
        "2024-05-01 10:00:00,000 INFO [main] org.x.Y - fine\n"
        "2024-05-01 10:00:01,000 ERROR [main] org.apache.hadoop.mapreduce.Job - "
        "Job job_1 failed with state FAILED due to: Application killed by user\n"
    )

    assert probable_cause({"syslog": syslog}) == (
        "Job job_1 failed with state FAILED due to: Application killed by user"
    )


def test_an_exception_without_caused_by_is_reported_from_its_own_line() -> None:
    stderr = (
        'Exception in thread "main" java.lang.IllegalArgumentException: Wrong FS: s3://x, '
        "expected: hdfs://ip-10-0-0-1\n"
        "\tat org.apache.hadoop.fs.FileSystem.checkPath(FileSystem.java:730)\n"
    )

    assert probable_cause({"stderr": stderr}) == (
        "java.lang.IllegalArgumentException: Wrong FS: s3://x, expected: hdfs://ip-10-0-0-1"
    )


def test_logs_without_errors_give_no_cause() -> None:
    assert probable_cause({"stderr": "OK\nTime taken: 1.2 seconds\n", "controller": ""}) == ""


def test_kinesis_keys_echoed_by_a_log_are_masked() -> None:
    stderr = "FAILED: ParseException line 1:4 at 'set kinesis.secretKey=AbCdSecret123' near x\n"

    cause = probable_cause({"stderr": stderr})

    assert "AbCdSecret123" not in cause
    assert "kinesis.secretKey=****" in cause


def test_read_gz_reads_gzip_plain_text_and_concatenated_members() -> None:
    assert read_gz(gzip.compress(b"FAILED: x\n")) == "FAILED: x\n"
    assert read_gz(b"plain text log\n") == "plain text log\n"
    assert read_gz(gzip.compress(b"one\n") + gzip.compress(b"two\n")) == "one\ntwo\n"


def test_read_gz_keeps_what_it_can_of_a_log_cut_short() -> None:
    data = gzip.compress(("line\n" * 2000 + "FAILED: end\n").encode())

    text = read_gz(data[: len(data) - 12])

    assert text.startswith("line\nline\n")


def test_read_gz_keeps_the_end_of_a_huge_log() -> None:
    text = read_gz(gzip.compress(b"x" * 1000 + b"FAILED: tail"), max_chars=20)

    assert text == "xxxxxxxxFAILED: tail"
