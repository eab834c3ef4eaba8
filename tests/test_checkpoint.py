"""The checkpoint settings: what they contain, how each dialect writes them, what they refuse."""

from __future__ import annotations

import pytest

from kiter.checkpoint import AnyIteration, CheckpointSettings, check_iteration, set_line
from kiter.errors import SettingError
from kiter.secrets import mask_values


def settings(**overrides: object) -> CheckpointSettings:
    values: dict[str, object] = {
        "table": "MyEMRKinesisTable",
        "hash_key": "HashKey",
        "range_key": "RangeKey",
        "logical_name": "top-errors",
        "iteration": 4,
    }
    values.update(overrides)
    return CheckpointSettings(**values)  # type: ignore[arg-type]


def test_hive_gets_set_key_equals_value_lines_in_the_documented_order() -> None:
    assert settings().block("hive").splitlines() == [
        "SET kinesis.checkpoint.enabled=true;",
        "SET kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;",
        "SET kinesis.checkpoint.metastore.hash.key.name=HashKey;",
        "SET kinesis.checkpoint.metastore.range.key.name=RangeKey;",
        "SET kinesis.checkpoint.metastore.hash.range.name=RangeKey;",
        "SET kinesis.checkpoint.logical.name=top-errors;",
        "SET kinesis.checkpoint.iteration.no=4;",
        "SET kinesis.rerun.iteration.without.wait=false;",
    ]


def test_pig_gets_set_key_space_value_lines() -> None:
    assert settings().block("pig").splitlines()[6] == "SET kinesis.checkpoint.iteration.no 4;"
    assert set_line("a.b", "c", "pig") == "SET a.b c;"


def test_optional_settings_appear_only_when_configured() -> None:
    full = settings(
        endpoint_region="eu-west-1",
        nodata_timeout=2,
        iteration_timeout=10,
        batch_size=500,
        rerun_without_wait=True,
    ).as_dict()
    assert full["kinesis.endpoint.region"] == "eu-west-1"
    assert full["kinesis.nodata.timeout"] == "2"
    assert full["kinesis.iteration.timeout"] == "10"
    assert full["kinesis.records.batchsize"] == "500"
    assert full["kinesis.rerun.iteration.without.wait"] == "true"
    assert "kinesis.nodata.timeout" not in settings().as_dict()


@pytest.mark.parametrize(
    ("logical_name", "message"),
    [
        ("", "kinesis.checkpoint.logical.name is empty"),
        ("top errors", "kinesis.checkpoint.logical.name contains whitespace"),
        ("top;DROP", "kinesis.checkpoint.logical.name contains a semicolon"),
        ("a=b", "kinesis.checkpoint.logical.name contains an equals sign"),
        ("it's", "kinesis.checkpoint.logical.name contains a quote"),
        ('say"hi"', "kinesis.checkpoint.logical.name contains a quote"),
        ("two\nlines", "kinesis.checkpoint.logical.name contains a line break"),
        ("café", "kinesis.checkpoint.logical.name contains a non-ASCII character"),
        ("tab\there", "kinesis.checkpoint.logical.name contains whitespace"),
        ("bell\x07", "kinesis.checkpoint.logical.name contains a control character"),
    ],
)
def test_a_value_that_would_break_a_set_line_is_refused_not_escaped(
    logical_name: str, message: str
) -> None:
    with pytest.raises(SettingError, match=message):
        settings(logical_name=logical_name)


@pytest.mark.parametrize("table", ["ab", "my table", "x" * 256, "tab/le", "tablé"])
def test_dynamodb_table_name_rules_are_enforced(table: str) -> None:
    with pytest.raises(SettingError, match="kinesis.checkpoint.metastore.table.name"):
        settings(table=table)


@pytest.mark.parametrize("iteration", [-1, 1.5, "3", True, None])
def test_iteration_numbers_are_whole_numbers_from_zero(iteration: object) -> None:
    with pytest.raises(SettingError, match="iteration.no must be a whole number >= 0"):
        check_iteration(iteration)


def test_iteration_zero_and_large_numbers_are_fine() -> None:
    assert settings(iteration=0).as_dict()["kinesis.checkpoint.iteration.no"] == "0"
    assert settings(iteration=10**12).iteration == 10**12
    assert settings(iteration=2**63 - 1).iteration == 2**63 - 1


def test_an_iteration_number_no_java_long_holds_is_refused() -> None:
    with pytest.raises(SettingError, match=r"iteration.no must be at most 9223372036854775807"):
        check_iteration(2**63)


@pytest.mark.parametrize(
    ("field", "value", "setting"),
    [
        ("batch_size", 0, "kinesis.records.batchsize"),
        ("batch_size", 10_001, "kinesis.records.batchsize"),
        ("nodata_timeout", 0, "kinesis.nodata.timeout"),
        ("endpoint_region", "Europe", "kinesis.endpoint.region"),
        ("hash_key", "Hash Key", "kinesis.checkpoint.metastore.hash.key.name"),
    ],
)
def test_out_of_range_optional_settings_are_refused(
    field: str, value: object, setting: str
) -> None:
    with pytest.raises(SettingError, match=setting):
        settings(**{field: value})


def test_masking_replaces_every_copy_of_each_secret() -> None:
    text = "SET kinesis.secretKey=abc123;\n-- abc123 again\nSET kinesis.accessKey=AKIA1;"
    masked = mask_values(text, ["abc123", "AKIA1", ""])
    assert "abc123" not in masked and "AKIA1" not in masked
    assert masked.count("****") == 3


@pytest.mark.parametrize("field", ["batch_size", "nodata_timeout", "iteration_timeout"])
def test_settings_checked_before_are_still_refused_in_another_type_or_iteration(
    field: str,
) -> None:
    settings(**{field: 1})  # checked once: the same names are not checked again
    with pytest.raises(SettingError, match="must be a whole number from 1"):
        settings(**{field: True})  # True == 1, but is no number of records or minutes
    with pytest.raises(SettingError, match="iteration.no must be a whole number >= 0"):
        settings(**{field: 1, "iteration": -1})


@pytest.mark.parametrize("engine", ["hive", "pig"])
@pytest.mark.parametrize(
    "optional",
    [
        {},
        {"endpoint_region": "eu-west-1", "nodata_timeout": 2, "batch_size": 500},
        {"logical_name": "clicks-{0}-{x}", "table": "Table"},
    ],
    ids=["required only", "with optional settings", "a name holding format braces"],
)
def test_a_jobs_settings_for_any_iteration_are_each_iterations_own(
    engine: str, optional: dict[str, object]
) -> None:
    any_iteration = AnyIteration(settings(iteration=0, **optional), engine)
    for iteration, rerun in ((0, False), (7, True), (12345, False)):
        own = settings(iteration=iteration, rerun_without_wait=rerun, **optional)
        items, block = any_iteration.of(iteration, rerun)
        assert items == own.items()
        assert block == own.block(engine)


@pytest.mark.parametrize("iteration", [-1, True, "3"])
def test_a_jobs_settings_refuse_an_iteration_that_is_no_iteration_number(iteration: object) -> None:
    any_iteration = AnyIteration(settings(), "hive")
    with pytest.raises(SettingError, match="iteration.no must be a whole number >= 0"):
        any_iteration.of(iteration, False)  # type: ignore[arg-type]
