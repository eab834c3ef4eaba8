"""Pig's error reports read into one line with the script line (samples measured on Pig 0.17)."""

from __future__ import annotations

import pytest

from kiter.errors import UsageError
from kiter.targets.base import Script
from kiter.targets.pigerrors import read_failure

SYNTAX = """\
ERROR PigServer - exception during parsing: Error during parsing. <file /r/script.pig, line 7, column 28>  Syntax error, unexpected symbol at or near 'line'
Failed to parse: <file /r/script.pig, line 7, column 28>  Syntax error, unexpected symbol at or near 'line'
\tat org.apache.pig.parser.QueryParserDriver.parse(QueryParserDriver.java:244)
ERROR Grunt - ERROR 1200: <file /r/script.pig, line 7, column 28>  Syntax error, unexpected symbol at or near 'line'
Details at logfile: /r/logs/pig_1796196642116.log
"""

GRUNT = """\
ERROR Grunt - ERROR 1000: Error during parsing. Encountered " <QUOTEDSTRING> "\\'/tmp/out dir\\' "" at line 1, column 5.
Was expecting one of:
"""

RUNTIME_STDERR = """\
ERROR MRPigStatsUtil - 1 map reduce job(s) failed!
ERROR GruntParser - ERROR 2244: Job job_local524791705_0001 failed, hadoop does not return any error message
"""

RUNTIME_LOG = """\
2026-12-02 07:40:30,100 INFO  MapReduceLauncher - detailed locations: M: lines[1,8],lines[-1,-1],errs[2,7] C:  R:
2026-12-02 07:40:31,100 WARN  ControlledJob - PigLatin:e_missing.pig got an error while submitting
org.apache.pig.backend.executionengine.ExecException: ERROR 2118: Input path does not exist: file:/data/does/not/exist
Failed Jobs:
JobId\tAlias\tFeature\tMessage\tOutputs
job_local524791705_0001\terrs,lines\tMAP_ONLY\tMessage: org.apache.pig.backend.executionengine.ExecException: ERROR 2118: Input path does not exist: file:/data/does/not/exist\t
"""


def test_a_parse_error_gives_its_line_column_and_message_without_the_file() -> None:
    error = read_failure(SYNTAX, "")
    assert (error.line, error.column) == (7, 28)
    assert error.message == "1200: Syntax error, unexpected symbol at or near 'line'"


def test_a_grunt_command_error_gives_the_line_of_its_at_line_clause() -> None:
    error = read_failure(GRUNT, "")
    assert (error.line, error.column) == (1, 5)
    assert error.message.startswith('1000: Encountered " <QUOTEDSTRING>')


def test_a_failed_job_takes_its_cause_from_the_run_log_and_its_line_from_the_aliases() -> None:
    error = read_failure(RUNTIME_STDERR, RUNTIME_LOG)
    assert error.message == "2118: Input path does not exist: file:/data/does/not/exist"
    assert error.line == 1


def test_an_undefined_parameter_is_reported_in_pigs_words() -> None:
    stderr = (
        "ERROR Main - ERROR 2997: Encountered IOException. org.apache.pig.tools.parameters."
        "ParameterSubstitutionException: Undefined parameter : OUT found when trying to find "
        "the value of OUT.\n"
    )
    error = read_failure(stderr, "")
    assert error.line is None
    assert "Undefined parameter : OUT" in error.message


def test_silence_still_gives_a_reason() -> None:
    assert read_failure("", "").message == "Pig failed without saying why"


def test_pig_parameters_are_quoted_and_escaped_as_pig_reads_them() -> None:
    script = Script("j", "pig", "", "l", 0, variables={"OUT": "a b", "Q": "it's $x", "B": "c:\\d"})
    assert script.pig_parameters() == ["OUT='a b'", "Q='it\\'s \\$x'", "B='c:\\\\d'"]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"bad-name": "x"}, "Pig parameter 'bad-name' is not a name"),
        ({"X": "two\nlines"}, "Pig parameter X holds a line break"),
        ({"X": "\\$y"}, "Pig parameter X holds"),
    ],
)
def test_values_pig_cannot_take_as_parameters_are_refused(
    variables: dict[str, str], expected: str
) -> None:
    with pytest.raises(UsageError, match=expected.replace("(", r"\(")):
        Script("j", "pig", "", "l", 0, variables=variables).pig_parameters()


def test_a_register_of_a_missing_file_takes_its_cause_from_the_log_stderr_points_at(
    tmp_path: object,
) -> None:
    from pathlib import Path

    log = Path(str(tmp_path)) / "pig_1796419952496.log"
    log.write_text(
        "Pig Stack Trace\n---------------\n"
        "ERROR 101: file '/usr/share/aws/emr/udfs/custom.jar' does not exist.\n\n"
        "org.apache.pig.backend.executionengine.ExecException: ERROR 101: file "
        "'/usr/share/aws/emr/udfs/custom.jar' does not exist.\n"
        "\tat org.apache.pig.impl.io.FileLocalizer.fetchFilesInternal(FileLocalizer.java:821)\n"
    )
    error = read_failure(f"ERROR Main - Details at logfile: {log}\n", "")
    assert error.message == "101: file '/usr/share/aws/emr/udfs/custom.jar' does not exist."
