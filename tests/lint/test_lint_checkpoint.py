"""check_checkpoint: the kinesis.* settings a script makes against what kiter computed."""

from __future__ import annotations

from kiter.checkpoint import KNOWN_KINESIS_KEYS
from kiter.lint import Problem, check_checkpoint
from kiter.scripts import effective_settings

EXPECTED = {
    "kinesis.checkpoint.enabled": "true",
    "kinesis.checkpoint.metastore.table.name": "MyEMRKinesisTable",
    "kinesis.checkpoint.logical.name": "top10",
    "kinesis.checkpoint.iteration.no": "4",
}

GOOD_HIVE = (
    "SET kinesis.checkpoint.enabled=true;\n"
    "SET kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;\n"
    "SET kinesis.checkpoint.logical.name=top10;\n"
    "SET kinesis.checkpoint.iteration.no=4;\n"
)


def test_script_setting_exactly_what_kiter_expects_passes() -> None:
    assert check_checkpoint(effective_settings(GOOD_HIVE, "hive"), EXPECTED) == []


def test_wrong_iteration_is_reported_at_its_line() -> None:
    found = effective_settings(GOOD_HIVE.replace("iteration.no=4", "iteration.no=5"), "hive")
    assert check_checkpoint(found, EXPECTED) == [
        Problem(4, "kiter expects kinesis.checkpoint.iteration.no=4, the script sets 5")
    ]


def test_missing_key_is_reported_at_line_one() -> None:
    found = effective_settings(
        GOOD_HIVE.replace("SET kinesis.checkpoint.logical.name=top10;", ""), "hive"
    )
    assert check_checkpoint(found, EXPECTED) == [
        Problem(1, "missing SET kinesis.checkpoint.logical.name")
    ]


def test_key_set_twice_is_reported_at_the_second_set() -> None:
    found = effective_settings(GOOD_HIVE + "SET kinesis.checkpoint.iteration.no=4;\n", "hive")
    assert check_checkpoint(found, EXPECTED) == [
        Problem(5, "kinesis.checkpoint.iteration.no is set more than once (now to 4)")
    ]


def test_unrelated_key_set_twice_is_fine() -> None:
    found = effective_settings(
        GOOD_HIVE + "SET mapred.reduce.tasks=1;\nSET mapred.reduce.tasks=8;", "hive"
    )
    assert check_checkpoint(found, EXPECTED) == []


def test_missing_metastore_infix_is_called_a_typo() -> None:
    found = effective_settings(
        GOOD_HIVE + "SET kinesis.checkpoint.hash.key.name=HashKey;\n", "hive"
    )
    assert check_checkpoint(found, EXPECTED) == [
        Problem(
            5,
            "kinesis.checkpoint.hash.key.name: did you mean "
            "kinesis.checkpoint.metastore.hash.key.name?",
        )
    ]


def test_case_slip_in_a_key_is_called_a_typo() -> None:
    found = effective_settings("SET kinesis.accesskey 'AKIA';\n", "pig")
    problems = check_checkpoint(found, {})
    assert problems == [Problem(1, "kinesis.accesskey: did you mean kinesis.accessKey?")]


def test_unknown_kinesis_key_is_a_warning() -> None:
    found = effective_settings(GOOD_HIVE + "SET kinesis.shard.filter=shardId-0001;\n", "hive")
    problems = check_checkpoint(found, EXPECTED)
    assert [(p.line, p.severity) for p in problems] == [(5, "warning")]
    assert problems[0].format("job.hql").startswith("job.hql:5: warning: kinesis.shard.filter")


def test_trailing_comment_in_a_hive_value_is_explained() -> None:
    found = effective_settings(
        GOOD_HIVE.replace("iteration.no=4;", "iteration.no=4 -- fourth\n;"), "hive"
    )
    problems = check_checkpoint(found, EXPECTED)
    assert len(problems) == 1 and problems[0].line == 4
    assert "trailing -- comment becomes part of the value" in problems[0].message


def test_quoted_hive_value_is_explained() -> None:
    found = effective_settings(GOOD_HIVE.replace("name=top10", "name='top10'"), "hive")
    problems = check_checkpoint(found, EXPECTED)
    assert len(problems) == 1 and "keeps the quotes" in problems[0].message


def test_secret_values_are_never_echoed() -> None:
    found = effective_settings("SET kinesis.secretKey=wrong-secret;\n", "hive")
    problems = check_checkpoint(found, {"kinesis.secretKey": "right-secret"})
    assert len(problems) == 1
    assert "secret" not in problems[0].message.replace("secretKey", "").replace("<secret>", "")


def test_pig_settings_check_the_same_way() -> None:
    script = (
        "SET kinesis.checkpoint.enabled true;\n"
        "SET kinesis.checkpoint.metastore.table.name 'MyEMRKinesisTable';\n"
        "SET kinesis.checkpoint.logical.name top10;\n"
        "SET kinesis.checkpoint.iteration.no 3;\n"
    )
    assert check_checkpoint(effective_settings(script, "pig"), EXPECTED) == [
        Problem(4, "kiter expects kinesis.checkpoint.iteration.no=4, the script sets 3")
    ]


def test_plain_dict_of_settings_is_accepted() -> None:
    found = {"kinesis.checkpoint.enabled": ("true", 2)}
    assert check_checkpoint(found, {"kinesis.checkpoint.enabled": "true"}) == []


def test_every_known_key_passes_without_a_word() -> None:
    found = {key: ("x", i + 1) for i, key in enumerate(KNOWN_KINESIS_KEYS)}
    assert check_checkpoint(found, {}) == []


def test_problem_formats_as_path_line_message() -> None:
    assert Problem(3, "boom").format("s/job.pig") == "s/job.pig:3: boom"
