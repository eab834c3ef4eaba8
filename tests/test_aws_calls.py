"""Every AWS call is told to `Aws.on_call` while it is in flight: answered, refused, or unanswered
(the status line says when one has not answered within a second)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kiter.aws import Aws, AwsSettings
from kiter.local.processes import free_port

pytestmark = pytest.mark.functional


class Calls(list[str]):
    """What an on_call listener saw: `start X` and `end X` for each call."""

    @contextmanager
    def __call__(self, what: str) -> Iterator[None]:
        self.append(f"start {what}")
        yield
        self.append(f"end {what}")


def test_an_answered_call_is_told_from_its_start_to_its_answer(in_process_moto: None) -> None:
    calls = Calls()
    aws = Aws(AwsSettings(region="us-east-1"))
    aws.on_call = calls

    aws.client("dynamodb").list_tables()

    assert calls == ["start DynamoDB ListTables", "end DynamoDB ListTables"]


def test_a_refused_call_ends_too(in_process_moto: None) -> None:
    calls = Calls()
    aws = Aws(AwsSettings(region="us-east-1"))
    aws.on_call = calls

    with pytest.raises(Exception, match="ResourceNotFound"):
        aws.client("dynamodb").describe_table(TableName="missing")

    assert calls == ["start DynamoDB DescribeTable", "end DynamoDB DescribeTable"]


def test_a_call_that_got_no_answer_ends_too() -> None:
    calls = Calls()
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    aws = Aws(AwsSettings(region="us-east-1", endpoint_url=endpoint), max_attempts=1)
    aws.on_call = calls

    with pytest.raises(Exception, match="Could not connect"):
        aws.client("dynamodb").list_tables()

    assert calls == ["start DynamoDB ListTables", "end DynamoDB ListTables"]
