"""The AWS calls kiter makes, recorded from botocore's own events, and what IAM asks of each.

`CallRecorder` hooks every botocore session made while it is installed (botocore copies
`handlers.BUILTIN_HANDLERS` into each new session, the seam moto's mock uses too) and records
(service, operation, parameters) before a request is built. `needs` maps a call to the IAM
actions, resources and condition keys AWS authorizes it by, per the Service Authorization
Reference: mostly `<service>:<Operation>` on the resource the parameters name, with the exceptions
spelled out (S3's ListObjectsV2 is s3:ListBucket; a DynamoDB transaction asks for each item's own
action; StartJobRun also passes a role). `allows` evaluates a policy document for one need: Allow
statements only, IAM's wildcards, StringLike/StringEquals conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# Calls that need no permission at all.
FREE = {("sts", "GetCallerIdentity")}
# DynamoDB transaction entries and the action each asks for on its table.
TRANSACT_ACTIONS = {
    "Update": "UpdateItem",
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
# S3 operations whose IAM action is not s3:<Operation>, on an object of the call.
S3_OBJECT_ACTIONS = {
    "GetObject": "GetObject",
    "HeadObject": "GetObject",
    "PutObject": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "AbortMultipartUpload": "AbortMultipartUpload",
    "DeleteObject": "DeleteObject",
}
IAM_PREFIX = {
    "dynamodb": "dynamodb",
    "kinesis": "kinesis",
    "s3": "s3",
    "emr": "elasticmapreduce",
    "emr-serverless": "emr-serverless",
}


@dataclass(frozen=True)
class Call:
    service: str  # botocore's service name: dynamodb, kinesis, s3, emr, emr-serverless
    operation: str  # the API's name: ListObjectsV2
    params: Mapping[str, Any] = field(compare=False)

    def __str__(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass(frozen=True)
class Need:
    """One authorization a call needs: an action on a resource, with the request's condition
    keys."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    call: str = ""

    def __str__(self) -> str:
        keys = "".join(f" ({k}={v})" for k, v in self.context)
        return f"{self.action} on {self.resource}{keys} for {self.call}"


class CallRecorder:
    """Records the calls of every botocore client made while `install`ed, while `recording`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._on = False

    def __call__(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        if self._on:
            self.calls.append(Call(model.service_model.service_name, model.name, dict(params)))

    @contextmanager
    def recording(self) -> Iterator[None]:
        self._on = True
        try:
            yield
        finally:
            self._on = False


def needs(call: Call, *, region: str, account: str, streams: list[str]) -> list[Need]:
    """What IAM asks for `call`. `streams`: the streams a call without a stream name (GetRecords
    by iterator, ListShards by token) may be reading."""
    if (call.service, call.operation) in FREE:
        return []
    arn = f"arn:aws:{{}}:{region}:{account}:{{}}"
    p = call.params
    op = call.operation
    prefix = IAM_PREFIX[call.service]

    def need(action: str, resource: str, **context: str) -> Need:
        return Need(f"{prefix}:{action}", resource, tuple(sorted(context.items())), str(call))

    if call.service == "dynamodb":
        table = arn.format("dynamodb", "table/{}")
        if op == "TransactWriteItems" or op == "TransactGetItems":
            return [
                need(TRANSACT_ACTIONS[kind], table.format(body["TableName"]))
                for entry in p["TransactItems"]
                for kind, body in entry.items()
            ]
        if op in ("BatchGetItem", "BatchWriteItem"):
            return [need(op, table.format(name)) for name in p["RequestItems"]]
        return [need(op, table.format(p["TableName"]))]
    if call.service == "kinesis":
        stream = arn.format("kinesis", "stream/{}")
        if "StreamARN" in p:
            return [need(op, p["StreamARN"])]
        if "StreamName" in p:
            return [need(op, stream.format(p["StreamName"]))]
        return [need(op, stream.format(name)) for name in streams]
    if call.service == "s3":
        return _s3_needs(call, need)
    if call.service == "emr":
        if op == "ListClusters":
            return [need(op, "*")]
        cluster = p.get("ClusterId") or p["JobFlowId"]
        return [need(op, arn.format("elasticmapreduce", f"cluster/{cluster}"))]
    if call.service == "emr-serverless":
        if op == "ListApplications":
            return [need(op, "*")]
        app = arn.format("emr-serverless", f"/applications/{p['applicationId']}")
        if "jobRunId" in p:
            return [need(op, f"{app}/jobruns/{p['jobRunId']}")]
        found = [need(op, app)]
        if op == "StartJobRun":
            found.append(
                Need(
                    "iam:PassRole",
                    p["executionRoleArn"],
                    (("iam:PassedToService", "emr-serverless.amazonaws.com"),),
                    str(call),
                )
            )
        return found
    raise AssertionError(f"no IAM mapping for {call}: add one to iam_calls.needs")


def _s3_needs(call: Call, need: Any) -> list[Need]:
    p, op = call.params, call.operation
    if op in ("ListObjectsV2", "ListObjects"):
        return [need("ListBucket", f"arn:aws:s3:::{p['Bucket']}", **{"s3:prefix": p["Prefix"]})]
    if op == "HeadBucket":
        return [need("ListBucket", f"arn:aws:s3:::{p['Bucket']}")]
    if op in S3_OBJECT_ACTIONS:
        return [need(S3_OBJECT_ACTIONS[op], f"arn:aws:s3:::{p['Bucket']}/{p['Key']}")]
    if op == "DeleteObjects":
        return [
            need("DeleteObject", f"arn:aws:s3:::{p['Bucket']}/{o['Key']}")
            for o in p["Delete"]["Objects"]
        ]
    if op in ("CopyObject", "UploadPartCopy"):
        source = p["CopySource"]
        if isinstance(source, str):
            source = dict(zip(("Bucket", "Key"), source.lstrip("/").split("/", 1), strict=True))
        return [
            need("GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"),
            need("PutObject", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}"),
        ]
    raise AssertionError(f"no IAM mapping for {call}: add one to iam_calls._s3_needs")


def allows(policy: Mapping[str, Any], wanted: Need) -> bool:
    """Whether an Allow statement of `policy` grants `wanted` (no Deny statements expected)."""
    context = dict(wanted.context)
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", statement
        if not any(_like(a, wanted.action, fold=True) for a in _listed(statement["Action"])):
            continue
        if not any(_like(r, wanted.resource) for r in _listed(statement["Resource"])):
            continue
        if all(
            _holds(operator, key, values, context)
            for operator, keys in statement.get("Condition", {}).items()
            for key, values in keys.items()
        ):
            return True
    return False


def _holds(operator: str, key: str, values: Any, context: Mapping[str, str]) -> bool:
    # A condition on a key the request does not carry does not match (IAM's rule for String*).
    if key not in context:
        return False
    if operator == "StringLike":
        return any(_like(v, context[key]) for v in _listed(values))
    if operator == "StringEquals":
        return context[key] in _listed(values)
    raise AssertionError(f"condition operator {operator} is not evaluated here")


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _like(pattern: str, value: str, *, fold: bool = False) -> bool:
    """IAM's matching: * is any run of characters (slashes included), ? any one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.IGNORECASE if fold else 0) is not None
