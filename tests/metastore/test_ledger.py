"""The iteration ledger against in-process moto: every claim rule, leases, records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiter.errors import ConfigError, IterationBusy, Refused
from kiter.metastore.items import HEAD
from kiter.metastore.ledger import Ledger, Owner, iso

from .conftest import CONNECTOR_ITEMS, HASH, RANGE, TABLE, FakeClock, connector_items

pytestmark = pytest.mark.functional

MakeLedger = Callable[..., Ledger]
SEQ = "49590338271490256608559692538361571095921575989136588898"  # 56 digits: over 38


def _run(ledger: Ledger, logical: str = "orders", **stats: Any) -> int:
    claim = ledger.claim(logical)
    ledger.succeed(claim, stats)
    return claim.iteration


def test_first_claim_takes_iteration_zero(ledger: Ledger) -> None:
    claim = ledger.claim("orders", target="hiveserver2")
    assert (claim.iteration, claim.attempt, claim.rerun) == (0, 1, False)
    assert claim.previous is None
    assert claim.advances
    record = ledger.get("orders", 0)
    assert record is not None
    assert (record.state, record.attempts, record.target) == ("CLAIMED", 1, "hiveserver2")
    assert record.owner == Owner("alpha", 101, "run-a")
    assert record.created == record.claimed == "2025-06-15T15:06:40Z"


def test_the_script_started_is_recorded_by_its_sha256(ledger: Ledger) -> None:
    claim = ledger.claim("orders", target="hiveserver2")
    ledger.running(claim, "hs2:h:1", "hiveserver2", script_sha256="abc")
    record = ledger.get("orders", 0)
    assert record is not None and (record.state, record.script_sha256) == ("RUNNING", "abc")
    assert record.to_json()["script_sha256"] == "abc"


def test_claim_refuses_while_lease_is_held(make_ledger: MakeLedger, clock: FakeClock) -> None:
    make_ledger().claim("orders")
    clock.advance(120)
    other = make_ledger(host="beta", pid=202, run_id="run-b")
    with pytest.raises(IterationBusy, match="running on alpha") as err:
        other.claim("orders")
    assert str(err.value) == (
        "iteration 0 of orders is running on alpha (pid 101) since 2025-06-15T15:06:40Z"
    )
    assert err.value.exit_code == 3


def test_the_same_process_cannot_claim_twice_either(ledger: Ledger) -> None:
    ledger.claim("orders")
    with pytest.raises(IterationBusy, match="iteration 0 of orders is running"):
        ledger.claim("orders")


def test_logical_names_are_independent(ledger: Ledger) -> None:
    assert ledger.claim("orders").iteration == 0
    assert ledger.claim("clicks").iteration == 0


def test_success_moves_next_and_hands_over_the_previous_record(ledger: Ledger) -> None:
    first = ledger.claim("orders")
    ledger.record_boundaries(first, {"shardId-000000000000": {"start": "1", "end": SEQ}})
    ledger.running(first, "q-1", "hiveserver2")
    ledger.succeed(first, {"rows": 10})
    second = ledger.claim("orders")
    assert (second.iteration, second.attempt, second.rerun) == (1, 1, False)
    assert second.previous is not None
    assert second.previous.state == "SUCCEEDED"
    assert second.previous.shards["shardId-000000000000"]["end"] == SEQ
    assert second.previous.stats == {"rows": 10}
    assert ledger.head("orders").next == 1


def test_a_failed_iteration_is_claimed_again_with_its_boundaries(
    ledger: Ledger, clock: FakeClock
) -> None:
    claim = ledger.claim("orders")
    ledger.record_boundaries(claim, {"shardId-0": {"start": "5", "end": "9", "records": 4}})
    ledger.running(claim, "step-1", "emr")
    ledger.fail(claim, "Hive: table not found")
    failed = ledger.get("orders", 0)
    assert failed is not None
    assert (failed.state, failed.reason) == ("FAILED", "Hive: table not found")
    clock.advance(60)
    retry = ledger.claim("orders")
    assert (retry.iteration, retry.attempt, retry.rerun) == (0, 2, True)
    assert retry.record.shards == {"shardId-0": {"start": "5", "end": "9", "records": 4}}
    assert retry.record.first_started == "2025-06-15T15:06:40Z"
    assert retry.record.reason == ""


def test_an_explicit_iteration_past_next_is_refused(ledger: Ledger) -> None:
    _run(ledger)
    with pytest.raises(Refused, match="cannot start") as err:
        ledger.claim("orders", iteration=5)
    assert str(err.value) == (
        "iteration 5 of orders cannot start: iteration 1 has not SUCCEEDED yet "
        "(iterations run in order; the next one is 1)"
    )
    assert [r.iteration for r in ledger.history("orders")] == [0]
    assert ledger.lease("orders") is None


def test_iteration_n_plus_one_waits_for_n_to_succeed(ledger: Ledger) -> None:
    ledger.fail(ledger.claim("orders"), "boom")
    with pytest.raises(Refused, match="iteration 0 has not SUCCEEDED"):
        ledger.claim("orders", iteration=1)
    assert ledger.claim("orders").iteration == 0


def test_a_negative_iteration_is_a_config_error(ledger: Ledger) -> None:
    with pytest.raises(ConfigError, match="count from 0"):
        ledger.claim("orders", iteration=-1)


def test_a_deliberate_rerun_is_another_attempt_and_does_not_move_next(ledger: Ledger) -> None:
    for _ in range(3):
        _run(ledger)
    rerun = ledger.claim("orders", iteration=1)
    assert (rerun.iteration, rerun.attempt, rerun.rerun, rerun.advances) == (1, 2, True, False)
    assert rerun.previous is not None and rerun.previous.iteration == 0
    ledger.succeed(rerun, {"again": True})
    assert ledger.head("orders").next == 3
    assert ledger.claim("orders").iteration == 3


def test_a_failed_deliberate_rerun_leaves_next_alone(ledger: Ledger) -> None:
    _run(ledger)
    _run(ledger)
    ledger.fail(ledger.claim("orders", iteration=0), "oops")
    assert ledger.head("orders").next == 2
    record = ledger.get("orders", 0)
    assert record is not None and (record.state, record.attempts) == ("FAILED", 2)


def test_heartbeat_keeps_the_lease_alive(make_ledger: MakeLedger, clock: FakeClock) -> None:
    holder = make_ledger()
    other = make_ledger(host="beta", pid=202, run_id="run-b")
    claim = holder.claim("orders")
    clock.advance(290)
    claim = holder.heartbeat(claim)
    assert claim.lease_expires == clock.now + 300
    clock.advance(200)  # 490 s after the claim: past the first expiry, within the extended one
    with pytest.raises(IterationBusy, match="running on alpha"):
        other.claim("orders")
    holder.succeed(claim, {})
    assert other.claim("orders").iteration == 1


def test_an_expired_lease_is_taken_over_as_a_rerun(
    make_ledger: MakeLedger, clock: FakeClock
) -> None:
    holder = make_ledger()
    other = make_ledger(host="beta", pid=202, run_id="run-b")
    stale = holder.claim("orders")
    holder.running(stale, "q-1", "hiveserver2")
    clock.advance(301)
    taken = other.claim("orders")
    assert (taken.iteration, taken.attempt, taken.rerun) == (0, 2, True)
    assert taken.record.reason == "took over the expired lease of alpha (pid 101)"
    lease = other.lease("orders")
    assert lease is not None and lease.owner.host == "beta"
    # The old holder finds out at its next write, whatever it is.
    for act in (
        lambda: holder.heartbeat(stale),
        lambda: holder.running(stale, "q-2", "hiveserver2"),
        lambda: holder.record_boundaries(stale, {"s": {"start": "1", "end": "2"}}),
        lambda: holder.succeed(stale, {}),
        lambda: holder.fail(stale, "late"),
    ):
        with pytest.raises(IterationBusy, match="running on beta"):
            act()
    record = other.get("orders", 0)
    assert record is not None
    assert (record.state, record.owner) == ("CLAIMED", Owner("beta", 202, "run-b"))
    other.succeed(taken, {})
    assert other.head("orders").next == 1


def test_a_fence_takes_only_a_holder_whose_lease_runs_past_it(
    make_ledger: MakeLedger, clock: FakeClock
) -> None:
    holder = make_ledger()
    other = make_ledger(host="beta", pid=202, run_id="run-b")
    claim = holder.claim("orders")
    holder.confirm(claim, until=clock.now + 100)
    with pytest.raises(IterationBusy):  # 300 s of lease left: not enough for 400
        holder.confirm(claim, until=clock.now + 400)
    clock.advance(301)
    other.claim("orders")
    with pytest.raises(IterationBusy, match="running on beta"):
        holder.confirm(claim, until=clock.now)


def test_a_lease_keeper_fences_by_renewing_a_lease_that_ran_out_if_nobody_took_it(
    make_ledger: MakeLedger, clock: FakeClock
) -> None:
    from kiter.errors import LeaseLost
    from kiter.lease import LeaseKeeper

    holder = make_ledger()
    keeper = LeaseKeeper(holder, holder.claim("orders"), "engine", lambda _: None)
    clock.advance(1000)  # stopped past its lease; nobody took the iteration over
    keeper.fence()
    assert keeper.held_claim.lease_expires == clock.now + 300
    clock.advance(301)
    make_ledger(host="beta", pid=202, run_id="run-b").claim("orders")
    with pytest.raises(LeaseLost, match=r"taken over by beta \(pid 202\)\): started nothing"):
        keeper.fence()
    assert keeper.lost


def test_a_lost_lease_without_a_new_holder_says_so(ledger: Ledger, clock: FakeClock) -> None:
    claim = ledger.claim("orders")
    ledger.fail(claim, "interrupted")
    with pytest.raises(IterationBusy, match="no longer held by this run"):
        ledger.heartbeat(claim)


def test_an_expired_lease_that_nobody_took_is_still_ours(ledger: Ledger, clock: FakeClock) -> None:
    claim = ledger.claim("orders")
    clock.advance(1000)
    ledger.succeed(ledger.heartbeat(claim), {"late": 1})
    record = ledger.get("orders", 0)
    assert record is not None and record.state == "SUCCEEDED"


def test_taking_over_an_expired_rerun_closes_that_iteration(
    make_ledger: MakeLedger, clock: FakeClock
) -> None:
    holder = make_ledger()
    _run(holder)
    _run(holder)
    holder.claim("orders", iteration=0)
    clock.advance(400)
    other = make_ledger(host="beta", pid=202, run_id="run-b")
    claim = other.claim("orders")
    assert (claim.iteration, claim.rerun) == (2, False)
    old = other.get("orders", 0)
    assert old is not None
    assert (old.state, old.reason) == ("FAILED", "lease of alpha (pid 101) expired")


def test_running_records_submission_and_first_start(ledger: Ledger, clock: FakeClock) -> None:
    claim = ledger.claim("orders")
    clock.advance(5)
    ledger.running(claim, "s-1", "emr:j-ABC")
    ledger.fail(claim, "x")
    clock.advance(3600)
    again = ledger.claim("orders")
    ledger.running(again, "s-2", "emr:j-ABC")
    record = ledger.get("orders", 0)
    assert record is not None
    assert (record.state, record.submission_id, record.target) == ("RUNNING", "s-2", "emr:j-ABC")
    assert record.first_started == iso(clock.now - 3600)
    assert record.started == iso(clock.now)


def test_boundaries_are_stored_as_exact_strings(ddb: Any, ledger: Ledger) -> None:
    claim = ledger.claim("orders")
    ledger.record_boundaries(
        claim,
        {
            "shardId-000000000000": {"start": SEQ, "end": None, "records": 0},
            "shardId-000000000001": {"start": 7, "end": 12, "bytes": 10.5, "throttles": 1},
        },
    )
    raw = ddb.get_item(
        TableName=TABLE, Key={HASH: {"S": "kiter#orders"}, RANGE: {"S": "0000000000"}}
    )["Item"]["shards"]["M"]
    assert raw["shardId-000000000000"]["M"]["start"] == {"S": SEQ}
    assert raw["shardId-000000000000"]["M"]["end"] == {"NULL": True}
    assert raw["shardId-000000000001"]["M"]["start"] == {"S": "7"}
    record = ledger.get("orders", 0)
    assert record is not None
    assert record.shards["shardId-000000000001"] == {
        "start": "7",
        "end": "12",
        "bytes": 10.5,
        "throttles": 1,
    }


def test_boundaries_refuse_a_float_sequence_number(ledger: Ledger) -> None:
    claim = ledger.claim("orders")
    with pytest.raises(TypeError, match="sequence numbers are strings"):
        ledger.record_boundaries(claim, {"s": {"start": 1.0, "end": None}})


def test_a_rerun_cannot_change_recorded_boundaries(ledger: Ledger) -> None:
    claim = ledger.claim("orders")
    ledger.record_boundaries(claim, {"s": {"start": "1", "end": "9"}})
    ledger.fail(claim, "x")
    retry = ledger.claim("orders")
    with pytest.raises(Refused, match=r"recorded shard s as \[1, 9\]"):
        ledger.record_boundaries(retry, {"s": {"start": "1", "end": "12"}})
    # Same boundaries with fresh stats are fine.
    ledger.record_boundaries(retry, {"s": {"start": "1", "end": "9", "records": 8}})


def test_restore_gives_a_new_iteration_back_as_if_it_was_never_claimed(
    make_ledger: MakeLedger,
) -> None:
    holder = make_ledger()
    holder.restore(holder.claim("orders"))
    assert holder.get("orders", 0) is None
    assert holder.lease("orders") is None
    again = make_ledger(host="beta").claim("orders")
    assert (again.iteration, again.attempt, again.rerun) == (0, 1, False)


def test_restore_gives_a_finished_iteration_back_unchanged(
    ledger: Ledger, clock: FakeClock
) -> None:
    claim = ledger.claim("orders")
    ledger.running(claim, "s-1", "emr")
    ledger.succeed(claim, {"rows": 3})
    before = ledger.get("orders", 0)
    clock.advance(60)
    ledger.restore(ledger.claim("orders", iteration=0))
    after = ledger.get("orders", 0)
    assert after == before
    assert ledger.head("orders").next == 1
    assert ledger.lease("orders") is None


def test_history_lists_iterations_in_order_without_the_head(ledger: Ledger) -> None:
    for _ in range(12):
        _run(ledger)
    ledger.fail(ledger.claim("orders"), "no")
    history = ledger.history("orders")
    assert [r.iteration for r in history] == list(range(13))
    assert [r.state for r in history][-2:] == ["SUCCEEDED", "FAILED"]
    assert all(r.to_json()["logical"] == "orders" for r in history)
    assert ledger.get("orders", 99) is None
    assert ledger.history("never") == []


def test_summary_counts_per_logical_name(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    _run(ledger)
    _run(ledger)
    ledger.fail(ledger.claim("orders"), "x")
    ledger.claim("clicks")
    summary = ledger.summary()
    assert set(summary) == {"orders", "clicks"}
    assert summary["orders"] == {
        "CLAIMED": 0,
        "RUNNING": 0,
        "SUCCEEDED": 2,
        "FAILED": 1,
        "attempts": 3,
        "next": 2,
        "running": 0,
    }
    assert summary["clicks"]["CLAIMED"] == 1
    assert summary["clicks"]["running"] == 1


def test_any_running_lists_only_live_leases(make_ledger: MakeLedger, clock: FakeClock) -> None:
    ledger = make_ledger()
    ledger.claim("old")
    clock.advance(200)
    ledger.claim("new")
    _run(ledger, "done")
    clock.advance(150)  # "old" expired 50 s ago, "new" has 150 s left
    live = ledger.any_running()
    assert [(lease.logical, lease.iteration) for lease in live] == [("new", 0)]
    assert live[0].to_json()["owner"] == {"host": "alpha", "pid": 101, "run_id": "run-a"}


def test_connector_items_are_never_touched_or_listed(ddb: Any, make_ledger: MakeLedger) -> None:
    before = connector_items(ddb)
    assert len(before) == len(CONNECTOR_ITEMS)
    ledger = make_ledger()
    for _ in range(3):
        _run(ledger, "mylogical")
    ledger.fail(ledger.claim("other"), "x")
    ledger.heartbeat(ledger.claim("other"))
    assert connector_items(ddb) == before
    assert set(ledger.summary()) == {"mylogical", "other"}
    assert [r.iteration for r in ledger.history("other")] == [0]
    assert [r.iteration for r in ledger.history("mylogical")] == [0, 1, 2]


def test_a_logical_name_with_the_reserved_prefix_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ConfigError, match="reserved prefix"):
        ledger.claim("kiter#sneaky")
    with pytest.raises(ConfigError, match="non-empty"):
        ledger.claim("")


def test_key_names_that_clash_with_ledger_attributes_are_refused(ddb: Any) -> None:
    with pytest.raises(ConfigError, match="'state'"):
        Ledger(ddb, TABLE, "state", RANGE, owner=Owner("h", 1, "r"))


def test_claim_reads_once_and_writes_once(ddb: Any, ledger: Ledger) -> None:
    calls: list[str] = []
    limits: list[int | None] = []

    def count(event_name: str, **_kw: Any) -> None:
        calls.append(event_name.rsplit(".", 1)[-1])

    def limit(params: dict[str, Any], **_kw: Any) -> None:
        limits.append(params.get("Limit"))

    for _ in range(5):
        _run(ledger)
    ddb.meta.events.register("before-call.dynamodb.*", count)
    ddb.meta.events.register("before-parameter-build.dynamodb.Query", limit)
    try:
        claim = ledger.claim("orders")
        ledger.running(claim, "s", "t")
        ledger.succeed(claim, {})
    finally:
        ddb.meta.events.unregister("before-call.dynamodb.*", count)
        ddb.meta.events.unregister("before-parameter-build.dynamodb.Query", limit)
    assert calls == ["Query", "TransactWriteItems", "UpdateItem", "TransactWriteItems"]
    assert limits == [3]  # the head and the two newest iterations, however long the history


def test_head_item_sorts_after_every_iteration() -> None:
    assert f"{9_999_999_999:010d}" < HEAD


def test_a_claim_serialises_to_json_with_its_previous_record(ledger: Ledger) -> None:
    _run(ledger)
    data = ledger.claim("orders").to_json()
    assert (data["iteration"], data["attempt"], data["rerun"]) == (1, 1, False)
    assert data["previous"]["state"] == "SUCCEEDED"
    assert data["record"]["state"] == "CLAIMED"
    assert data["lease_expires"] == "2025-06-15T15:11:40Z"


def test_a_claim_preview_gives_what_the_claim_then_takes_and_writes_nothing(
    ddb: Any, ledger: Ledger
) -> None:
    empty = ddb.scan(TableName=TABLE)["Items"]
    first = ledger.claiming.preview("orders")
    assert (first.iteration, first.attempt, first.rerun, first.advances) == (0, 1, False, True)
    assert ddb.scan(TableName=TABLE)["Items"] == empty
    ledger.succeed(ledger.claim("orders"), {})
    ledger.fail(ledger.claim("orders"), "boom")
    before = ddb.scan(TableName=TABLE)["Items"]
    retry = ledger.claiming.preview("orders")
    old = ledger.claiming.preview("orders", 0)
    assert ddb.scan(TableName=TABLE)["Items"] == before
    claim = ledger.claim("orders")
    assert (retry.iteration, retry.attempt, retry.rerun) == (claim.iteration, claim.attempt, True)
    assert retry.previous is not None and retry.previous.iteration == 0
    assert (old.iteration, old.attempt, old.advances) == (0, 2, False)
