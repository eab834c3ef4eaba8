"""A job's own connector checkpoint table: rendered into its script, recorded with each connector
iteration, and never moved under a logical name with history without the user saying so."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from runner_support import MakeRunner, ScriptedTarget

from kiter.aws import Aws
from kiter.errors import Refused
from kiter.project import Project


def test_a_job_with_its_own_table_renders_and_records_it(
    project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    job = dataclasses.replace(project.job("connector"), checkpoint_table="astronomer-archive")
    runner = make_runner()
    runner.run(job, project.targets["engine"])
    assert "SET kinesis.checkpoint.metastore.table.name=astronomer-archive;" in (
        target.scripts[0].text
    )
    record = runner.ledger.get("conn", 0)
    assert record is not None and record.stats["checkpoint_table"] == "astronomer-archive"
    # The ledger stays where the project keeps it: the record was read from the project's table.
    runner.run(job, project.targets["engine"])
    assert [r.iteration for r in runner.ledger.history("conn")] == [0, 1]


def test_a_logical_name_that_ran_under_the_projects_table_is_not_moved_silently(
    project: Project, make_runner: MakeRunner, target: ScriptedTarget
) -> None:
    runner = make_runner()
    runner.run(project.job("connector"), project.targets["engine"])
    moved = dataclasses.replace(project.job("connector"), checkpoint_table="astronomer-archive")
    with pytest.raises(Refused) as refused:
        runner.run(moved, project.targets["engine"])
    message = str(refused.value)
    assert "iteration 0 of conn ran under checkpoint table MyEMRKinesisTable" in message
    assert 'checkpoint_table = "MyEMRKinesisTable"' in message and "new logical_name" in message
    assert len(target.scripts) == 1  # nothing claimed, nothing submitted
    assert runner.ledger.get("conn", 1) is None


def test_a_job_moved_back_from_its_own_table_is_refused_too(
    project: Project, make_runner: MakeRunner
) -> None:
    runner = make_runner()
    own = dataclasses.replace(project.job("connector"), checkpoint_table="astronomer-archive")
    runner.run(own, project.targets["engine"])
    with pytest.raises(Refused, match="ran under checkpoint table astronomer-archive"):
        runner.run(project.job("connector"), project.targets["engine"])


def test_a_staged_history_does_not_hold_a_connector_table(
    project: Project, make_runner: MakeRunner
) -> None:
    runner = make_runner()
    runner.run(project.job("top"), project.targets["engine"])
    connector = dataclasses.replace(
        project.job("top"), mode="connector", checkpoint_table="astronomer-archive"
    )
    assert runner.run(connector, project.targets["engine"]).iteration == 1


def test_the_next_iteration_is_checked_from_what_its_claim_read_not_the_history_again(
    project: Project, make_runner: MakeRunner, aws: Aws
) -> None:
    runner = make_runner()
    job = project.job("connector")
    queries: list[str] = []

    @contextmanager
    def told(call: str) -> Iterator[None]:
        queries.extend([call] if call == "DynamoDB Query" else [])
        yield

    aws.on_call = told
    runner.run(job, project.targets["engine"])  # iteration 0: nothing before it
    runner.run(job, project.targets["engine"])  # iteration 1: iteration 0 decides
    assert queries == ["DynamoDB Query"] * 2  # each claim's own read of the ledger's top
    moved = dataclasses.replace(job, checkpoint_table="astronomer-archive")
    with pytest.raises(Refused, match="iteration 1 of conn ran under checkpoint table"):
        runner.run(moved, project.targets["engine"])
    assert runner.ledger.get("conn", 2) is None  # the claim given back: no attempt spent
