"""The connector's checkpoint table: create it, describe it, size it, delete it.

This room provisions the DynamoDB table that the EMR Kinesis connector keeps its checkpoints in
(and that kiter's own ledger shares under a reserved prefix). It works on the table, never on
items: the connector's items are undocumented and are not kiter's to read or write. It takes a
boto3 DynamoDB client from the caller and turns botocore errors into kiter's errors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kiter.aws import error_code, in_region, region_of, service_error
from kiter.errors import ConfigError, MissingTable, ServiceError

PAY_PER_REQUEST = "PAY_PER_REQUEST"
PROVISIONED = "PROVISIONED"

Progress = Callable[[str], None]


def required_capacity(jobs: int, shards: int) -> tuple[int, int]:
    """(read, write) capacity units for `jobs` concurrent jobs over at most `shards` shards each.

    EMR's guidance: read = j*s/5, write = j*s. Rounded up, and at least 1 unit each, since
    DynamoDB refuses 0 and a fraction of a unit is still a unit.
    """
    units = max(jobs, 0) * max(shards, 0)
    return max(1, math.ceil(units / 5)), max(1, units)


@dataclass(frozen=True)
class TableInfo:
    """What DescribeTable says about the checkpoint table, in the terms kiter checks."""

    name: str
    hash_key: str
    hash_type: str
    range_key: str | None
    range_type: str | None
    billing_mode: str  # PROVISIONED | PAY_PER_REQUEST
    read: int  # 0 with on-demand billing
    write: int
    status: str  # CREATING | ACTIVE | UPDATING | DELETING | ...
    item_count: int  # DynamoDB refreshes it about every six hours
    arn: str = ""

    @property
    def on_demand(self) -> bool:
        return self.billing_mode == PAY_PER_REQUEST

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "hash_key": {"name": self.hash_key, "type": self.hash_type},
            "range_key": {"name": self.range_key, "type": self.range_type},
            "billing_mode": self.billing_mode,
            "read_capacity": self.read,
            "write_capacity": self.write,
            "status": self.status,
            "item_count": self.item_count,
        }


@dataclass(frozen=True)
class CreateResult:
    """The table after `create`; `present` is True when it existed already and was left alone."""

    info: TableInfo
    present: bool


def capacity_shortfall(info: TableInfo, read: int, write: int) -> str | None:
    """A warning when a provisioned table has less capacity than (read, write); else None."""
    if info.on_demand or (info.read >= read and info.write >= write):
        return None
    return (
        f"table {info.name} has {info.read} read / {info.write} write capacity units, "
        f"below the {read} read / {write} write that EMR's guidance asks for "
        "(read = jobs*shards/5, write = jobs*shards): the connector may be throttled; "
        "raise the capacity or switch the table to on-demand billing"
    )


def billing_mismatch(info: TableInfo, *, on_demand: bool, read: int, write: int) -> str | None:
    """What differs when the table is not billed as asked (on demand, or provisioned at (read,
    write)); None when it is. An existing table is never changed unasked: the caller says it."""
    if on_demand and not info.on_demand:
        return (
            f"table {info.name} is billed {info.billing_mode} ({info.read} read / {info.write} "
            f"write units), not {PAY_PER_REQUEST} (on demand) as asked"
        )
    if not on_demand and info.on_demand:
        return (
            f"table {info.name} is billed {PAY_PER_REQUEST} (on demand), not {PROVISIONED} at the "
            f"{max(1, read)} read / {max(1, write)} write units asked for"
        )
    return None


def _info(desc: dict[str, Any]) -> TableInfo:
    types = {a["AttributeName"]: a["AttributeType"] for a in desc.get("AttributeDefinitions", [])}
    keys = {k["KeyType"]: k["AttributeName"] for k in desc.get("KeySchema", [])}
    hash_key = keys.get("HASH", "")
    range_key = keys.get("RANGE")
    billing = desc.get("BillingModeSummary", {}).get("BillingMode", PROVISIONED)
    throughput = desc.get("ProvisionedThroughput", {})
    on_demand = billing == PAY_PER_REQUEST
    return TableInfo(
        name=desc["TableName"],
        hash_key=hash_key,
        hash_type=types.get(hash_key, "?"),
        range_key=range_key,
        range_type=types.get(range_key) if range_key else None,
        billing_mode=billing,
        read=0 if on_demand else int(throughput.get("ReadCapacityUnits", 0)),
        write=0 if on_demand else int(throughput.get("WriteCapacityUnits", 0)),
        status=desc.get("TableStatus", "?"),
        item_count=int(desc.get("ItemCount", 0)),
        arn=desc.get("TableArn", ""),
    )


class CheckpointTable:
    """The checkpoint table named in kiter.toml: String hash key + String range key."""

    def __init__(self, client: Any, name: str, hash_key: str, range_key: str) -> None:
        self.client = client
        self.name = name
        self.hash_key = hash_key
        self.range_key = range_key

    def describe(self) -> TableInfo | None:
        """The table as DynamoDB sees it, or None when there is no such table."""
        try:
            desc = self.client.describe_table(TableName=self.name)["Table"]
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise service_error(exc, f"describe table {self.name}") from exc
        except BotoCoreError as exc:
            raise service_error(exc, f"describe table {self.name}") from exc
        return _info(desc)

    def schema_mismatch(self, info: TableInfo) -> str | None:
        """Why `info`'s key schema is not the one kiter.toml expects, or None when it is."""
        for role, have, have_type, want in (
            ("hash", info.hash_key, info.hash_type, self.hash_key),
            ("range", info.range_key, info.range_type, self.range_key),
        ):
            if have != want or have_type != "S":
                shown = f"'{have}' ({have_type})" if have else "none"
                return f"table {self.name} has {role} key {shown}, kiter.toml expects '{want}' (S)"
        return None

    def create(
        self,
        *,
        on_demand: bool,
        read: int,
        write: int,
        progress: Progress,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 300.0,
        poll: float = 2.0,
    ) -> CreateResult:
        """Create the table and wait until it is ACTIVE; an existing matching table is kept as is.

        An existing table whose key schema differs raises ConfigError and is not modified.
        """
        info = self.describe()
        if info is not None:
            return CreateResult(self._accept_existing(info, progress, sleep, timeout, poll), True)
        args: dict[str, Any] = {
            "TableName": self.name,
            "AttributeDefinitions": [
                {"AttributeName": self.hash_key, "AttributeType": "S"},
                {"AttributeName": self.range_key, "AttributeType": "S"},
            ],
            "KeySchema": [
                {"AttributeName": self.hash_key, "KeyType": "HASH"},
                {"AttributeName": self.range_key, "KeyType": "RANGE"},
            ],
        }
        if on_demand:
            args["BillingMode"] = PAY_PER_REQUEST
        else:
            args["BillingMode"] = PROVISIONED
            args["ProvisionedThroughput"] = {
                "ReadCapacityUnits": max(1, read),
                "WriteCapacityUnits": max(1, write),
            }
        mode = "on-demand" if on_demand else f"{max(1, read)} read / {max(1, write)} write units"
        progress(f"creating table {self.name}{in_region(self.client)} ({mode})")
        try:
            self.client.create_table(**args)
        except ClientError as exc:
            # Someone else created it between our describe and create: judge their table instead.
            if error_code(exc) == "ResourceInUseException":
                again = self.describe()
                if again is not None:
                    return CreateResult(
                        self._accept_existing(again, progress, sleep, timeout, poll), True
                    )
            raise service_error(exc, f"create table {self.name}") from exc
        except BotoCoreError as exc:
            raise service_error(exc, f"create table {self.name}") from exc
        return CreateResult(self._wait_active(progress, sleep, timeout, poll), False)

    def _accept_existing(
        self,
        info: TableInfo,
        progress: Progress,
        sleep: Callable[[float], None],
        timeout: float,
        poll: float,
    ) -> TableInfo:
        problem = self.schema_mismatch(info)
        if problem:
            raise ConfigError(problem)
        progress(f"table {self.name} exists ({info.status})")
        if info.status != "ACTIVE":
            return self._wait_active(progress, sleep, timeout, poll)
        return info

    def _wait_active(
        self,
        progress: Progress,
        sleep: Callable[[float], None],
        timeout: float,
        poll: float,
    ) -> TableInfo:
        waited = 0.0
        while True:
            info = self.describe()
            if info is not None and info.status == "ACTIVE":
                progress(f"table {self.name} is ACTIVE")
                return info
            if waited >= timeout:
                state = info.status if info else "missing"
                raise ServiceError(
                    f"table {self.name} is still {state} after {timeout:.0f} s; "
                    "check it in the DynamoDB console and run the command again"
                )
            progress(f"waiting for table {self.name} ({info.status if info else 'missing'})")
            sleep(poll)
            waited += poll

    def update_capacity(self, read: int, write: int) -> TableInfo:
        """Set provisioned capacity (switching an on-demand table to provisioned)."""
        info = self.describe()
        if info is None:
            raise MissingTable(self.name, region=region_of(self.client))
        read, write = max(1, read), max(1, write)
        if not info.on_demand and (info.read, info.write) == (read, write):
            # DynamoDB rejects an update that changes nothing.
            return info
        args: dict[str, Any] = {
            "TableName": self.name,
            "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write},
        }
        if info.on_demand:
            args["BillingMode"] = PROVISIONED
        try:
            desc = self.client.update_table(**args)["TableDescription"]
        except (ClientError, BotoCoreError) as exc:
            raise service_error(exc, f"update capacity of table {self.name}") from exc
        return _info(desc)

    def switch_to_on_demand(self) -> TableInfo:
        """Bill the table PAY_PER_REQUEST (DynamoDB allows this switch a few times a day)."""
        info = self.describe()
        if info is None:
            raise MissingTable(self.name, region=region_of(self.client))
        if info.on_demand:
            return info  # DynamoDB rejects an update that changes nothing
        try:
            desc = self.client.update_table(TableName=self.name, BillingMode=PAY_PER_REQUEST)
        except (ClientError, BotoCoreError) as exc:
            raise service_error(exc, f"switch table {self.name} to on-demand billing") from exc
        return _info(desc["TableDescription"])

    def delete(
        self,
        progress: Progress,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 300.0,
        poll: float = 2.0,
    ) -> bool:
        """Delete the table and wait until it is gone; False when there was none.

        The guard against deleting under a running iteration is the caller's
        (`Ledger.any_running()`): this verb only deletes.
        """
        progress(f"deleting table {self.name}")
        try:
            self.client.delete_table(TableName=self.name)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                progress(f"table {self.name} does not exist{in_region(self.client)}")
                return False
            raise service_error(exc, f"delete table {self.name}") from exc
        except BotoCoreError as exc:
            raise service_error(exc, f"delete table {self.name}") from exc
        waited = 0.0
        while self.describe() is not None:
            if waited >= timeout:
                raise ServiceError(
                    f"table {self.name} is still being deleted after {timeout:.0f} s"
                )
            sleep(poll)
            waited += poll
        progress(f"table {self.name} deleted")
        return True


def create_ledger_table(
    client: Any, name: str, hash_key: str, range_key: str, progress: Progress
) -> CreateResult:
    """kiter's ledger in a table of its own: a few small writes per iteration, so on demand."""
    return CheckpointTable(client, name, hash_key, range_key).create(
        on_demand=True, read=0, write=0, progress=progress
    )
