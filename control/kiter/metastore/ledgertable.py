"""What every part of one ledger works on, stored once: its table's calls and keys, owner, clock.

The ledger (ledger.py) builds one `LedgerTable` and hands the same object to its reading,
claiming and holding parts; none of them keeps a copy of a name, a key or a setting. This module
holds no behaviour: reads, claims and writes under a claim live in the parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiter.metastore.dynamo import Dynamo
from kiter.metastore.items import ATTRIBUTES, LedgerItems
from kiter.metastore.records import Owner


@dataclass(frozen=True)
class LedgerTable:
    """One ledger table: its calls (`db`), its keys and parsing (`items`), who writes, and when.

    `checkpoint_table` is where the binding items live (the connector's table; the ledger's own
    table when the ledger sits beside the connector's items).
    """

    db: Dynamo
    items: LedgerItems
    owner: Owner
    clock: Callable[[], float]
    lease_seconds: int
    checkpoint_table: str

    @classmethod
    def open(
        cls,
        client: Any,
        table: str,
        hash_key: str,
        range_key: str,
        *,
        owner: Owner,
        lease_seconds: int,
        clock: Callable[[], float],
        prefix: str,
        checkpoint_table: str | None,
    ) -> LedgerTable:
        items = LedgerItems(table, hash_key, range_key, prefix)  # checks the key names first
        return cls(
            db=Dynamo(client, table, {"#hk": hash_key, "#rk": range_key} | ATTRIBUTES),
            items=items,
            owner=owner,
            clock=clock,
            lease_seconds=lease_seconds,
            checkpoint_table=checkpoint_table or table,
        )

    @property
    def name(self) -> str:
        """The ledger table's name."""
        return self.items.table
