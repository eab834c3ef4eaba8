"""A damaged ledger is refused or mended exactly, never read as a fresh start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiter.errors import ConfigError, LedgerDamaged
from kiter.metastore.items import HEAD
from kiter.metastore.ledger import Ledger

from .conftest import HASH, RANGE, TABLE

pytestmark = pytest.mark.functional

MakeLedger = Callable[..., Ledger]


def _run(ledger: Ledger, n: int, logical: str = "orders") -> None:
    for _ in range(n):
        claim = ledger.claim(logical)
        ledger.record_boundaries(claim, {"s-0": {"start": None, "end": str(100 + claim.iteration)}})
        ledger.succeed(claim, {})


def _key(logical: str, range_value: str) -> dict[str, Any]:
    return {HASH: {"S": f"kiter#{logical}"}, RANGE: {"S": range_value}}


def test_a_head_moved_forward_past_a_missing_iteration_is_refused(ddb: Any, ledger: Ledger) -> None:
    _run(ledger, 3)
    ddb.update_item(
        TableName=TABLE,
        Key=_key("orders", HEAD),
        UpdateExpression="SET next_iteration = :n",
        ExpressionAttributeValues={":n": {"N": "5"}},
    )
    with pytest.raises(LedgerDamaged, match="iteration 4 of orders is missing") as caught:
        ledger.claim("orders")
    assert caught.value.exit_code == 4
    assert [r.iteration for r in ledger.history("orders")] == [0, 1, 2]


def test_a_deleted_previous_iteration_stops_the_next_one(ddb: Any, ledger: Ledger) -> None:
    _run(ledger, 3)
    ddb.delete_item(TableName=TABLE, Key=_key("orders", f"{2:010d}"))
    with pytest.raises(LedgerDamaged, match="iteration 2 of orders is missing.*iteration 3 starts"):
        ledger.claim("orders")
    assert ledger.lease("orders") is None


def test_a_rerun_of_a_deleted_iteration_is_refused(ddb: Any, ledger: Ledger) -> None:
    _run(ledger, 3)
    ddb.delete_item(TableName=TABLE, Key=_key("orders", f"{1:010d}"))
    with pytest.raises(LedgerDamaged, match="iteration 1 of orders is missing"):
        ledger.claim("orders", iteration=1)


def test_a_deleted_head_is_rebuilt_from_the_items_not_reset(ddb: Any, ledger: Ledger) -> None:
    _run(ledger, 3)
    ledger.fail(ledger.claim("orders"), "boom")  # iteration 3 FAILED: it is next
    ddb.delete_item(TableName=TABLE, Key=_key("orders", HEAD))
    claim = ledger.claim("orders")
    assert (claim.iteration, claim.attempt) == (3, 2)
    assert claim.previous is not None and claim.previous.shards["s-0"]["end"] == "102"
    assert any("rebuilt from its items" in note for note in claim.notes)
    ledger.succeed(claim, {})
    assert ledger.head("orders").next == 4


def test_a_deleted_head_with_a_gap_in_the_items_is_refused(ddb: Any, ledger: Ledger) -> None:
    _run(ledger, 4)
    ddb.delete_item(TableName=TABLE, Key=_key("orders", HEAD))
    ddb.delete_item(TableName=TABLE, Key=_key("orders", f"{1:010d}"))
    with pytest.raises(LedgerDamaged, match="head of orders is missing and iteration 1 is too"):
        ledger.claim("orders")


@pytest.mark.parametrize(
    ("attribute", "value", "said"),
    [
        ("attempts", {"S": "three"}, "attempts is a str"),
        ("state", {"N": "1"}, "state is a int"),
        ("owner", {"L": [{"S": "x"}]}, "owner is a list"),
        ("shards", {"S": "none"}, "shards is a str"),
    ],
)
def test_a_malformed_item_is_a_one_line_damage_error(
    ddb: Any, ledger: Ledger, attribute: str, value: dict[str, Any], said: str
) -> None:
    _run(ledger, 2)
    ddb.update_item(
        TableName=TABLE,
        Key=_key("orders", f"{1:010d}"),
        UpdateExpression="SET #a = :v",
        ExpressionAttributeNames={"#a": attribute},
        ExpressionAttributeValues={":v": value},
    )
    for read in (lambda: ledger.claim("orders"), lambda: ledger.history("orders")):
        with pytest.raises(LedgerDamaged, match=said) as caught:
            read()
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("ledger item '0000000001' (iteration) of orders in table")


def test_a_malformed_head_is_a_damage_error(ddb: Any, ledger: Ledger) -> None:
    _run(ledger, 1)
    ddb.update_item(
        TableName=TABLE,
        Key=_key("orders", HEAD),
        UpdateExpression="SET next_iteration = :v",
        ExpressionAttributeValues={":v": {"S": "1"}},
    )
    with pytest.raises(LedgerDamaged, match="'~head' \\(head\\) of orders .* next_iteration"):
        ledger.claim("orders")


def test_two_ledger_tables_on_one_checkpoint_table_cannot_both_run_a_logical_name(
    ddb: Any, make_ledger: MakeLedger
) -> None:
    from kiter.metastore.table import CheckpointTable

    CheckpointTable(ddb, "OtherLedger", HASH, RANGE).create(
        on_demand=True, read=0, write=0, progress=lambda _l: None
    )
    default = make_ledger()
    own = Ledger(ddb, "OtherLedger", HASH, RANGE, owner=default.owner, checkpoint_table=TABLE)
    default.succeed(default.claim("orders"), {})
    with pytest.raises(ConfigError, match="kept by the ledger in table MyEMRKinesisTable"):
        own.claim("orders")
    assert own.lease("orders") is None
    assert own.claim("clicks").iteration == 0  # another logical name is free
    with pytest.raises(ConfigError, match="kept by the ledger in table OtherLedger"):
        default.claim("clicks")


def test_a_claim_preview_of_a_deleted_head_works_it_out_and_writes_nothing_back(
    ddb: Any, ledger: Ledger
) -> None:
    _run(ledger, 3)
    ledger.fail(ledger.claim("orders"), "boom")
    ddb.delete_item(TableName=TABLE, Key=_key("orders", HEAD))
    before = ddb.scan(TableName=TABLE)["Items"]
    preview = ledger.claiming.preview("orders")
    assert ddb.scan(TableName=TABLE)["Items"] == before
    assert (preview.iteration, preview.attempt, preview.rerun) == (3, 2, True)
    assert any("would be rebuilt from its items" in note for note in preview.notes)
    claim = ledger.claim("orders")
    assert (claim.iteration, claim.attempt, claim.rerun) == (3, 2, True)
