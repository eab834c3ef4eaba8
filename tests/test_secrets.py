"""Secrets are masked by their known values and in every form logs and configuration dumps use."""

from __future__ import annotations

import pytest

from kiter.errors import UsageError
from kiter.secrets import MASK, Redactor, cross_account_secrets, is_secret_key, script_secrets

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCESS = "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize(
    "line",
    [
        f"SET kinesis.secretKey={SECRET};",
        f"set kinesis.secretKey = {SECRET}",
        f'TBLPROPERTIES ("kinesis.secretKey"="{SECRET}")',
        f'{{"kinesis.secretKey": "{SECRET}", "x": 1}}',
        f"<property><name>kinesis.secretKey</name>\n  <value>{SECRET}</value></property>",
        f"Map(kinesis.secretKey -> {SECRET}, kinesis.endpoint.region -> eu-west-1)",
        f"kinesis.secretKey: {SECRET}",
        f"INFO Setting kinesis.secretKey {SECRET} for the loader",
        f"fs.s3a.secret.key={SECRET}",
    ],
)
def test_a_secret_named_key_has_its_value_masked_in_every_form(line: str) -> None:
    masked = Redactor()(line)
    assert SECRET not in masked
    assert MASK in masked


def test_known_secret_values_are_masked_wherever_they_appear() -> None:
    redact = Redactor([SECRET, ACCESS])
    text = f"java.lang.IllegalArgumentException: bad key {ACCESS} / {SECRET} in request"
    assert redact(text) == f"java.lang.IllegalArgumentException: bad key {MASK} / {MASK} in request"


def test_ordinary_sentences_keep_their_words() -> None:
    line = "FAILED: password authentication failed for user kiter; TokenMgrError: Lexical error"
    assert Redactor()(line) == line


def test_script_secrets_finds_credentials_in_hive_pig_tblproperties_and_loader_forms() -> None:
    text = (
        f"SET kinesis.secretKey={SECRET}; -- rotated\n"
        f"SET kinesis.accessKey {ACCESS};\n"
        'TBLPROPERTIES ("kinesis.stream.name"="s", "kinesis.secretKey"="tbl-secret");\n'
        "raw = LOAD 's' USING KinesisStreamLoader('kinesis.accessKey=loader-key');\n"
        "SET kinesis.nodata.timeout=2;\n"
    )
    found = script_secrets(text)
    assert {SECRET, ACCESS, "tbl-secret", "loader-key"} <= found
    assert "2" not in found


def test_secret_names_are_recognised_and_others_are_not() -> None:
    assert is_secret_key("kinesis.secretKey") and is_secret_key(
        "javax.jdo.option.ConnectionPassword"
    )
    assert not is_secret_key("kinesis.stream.name")


def test_cross_account_keys_come_only_from_the_environment() -> None:
    with pytest.raises(UsageError, match="KITER_KINESIS_ACCESS_KEY"):
        cross_account_secrets({})
    keys = cross_account_secrets(
        {"KITER_KINESIS_ACCESS_KEY": ACCESS, "KITER_KINESIS_SECRET_KEY": SECRET}
    )
    assert keys == {"kinesis.accessKey": ACCESS, "kinesis.secretKey": SECRET}


@pytest.mark.parametrize(
    "value", ["s3cr3t;SET x=1", "s3cr3t\nSELECT 1", "it's", "s3 cr3t", "s3cré"]
)
def test_a_cross_account_key_a_set_line_cannot_carry_is_refused_without_showing_it(
    value: str,
) -> None:
    env = {"KITER_KINESIS_ACCESS_KEY": "AKIAEXAMPLE", "KITER_KINESIS_SECRET_KEY": value}
    with pytest.raises(UsageError, match="^KITER_KINESIS_SECRET_KEY holds ") as caught:
        cross_account_secrets(env)
    assert value not in str(caught.value)


def test_real_aws_keys_pass_as_they_are() -> None:
    env = {
        "KITER_KINESIS_ACCESS_KEY": "AKIAIOSFODNN7EXAMPLE",
        "KITER_KINESIS_SECRET_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+",
    }
    assert cross_account_secrets(env)["kinesis.secretKey"] == env["KITER_KINESIS_SECRET_KEY"]
