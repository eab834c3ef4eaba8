"""Kinesis calls for the stream room: one layer of retries, throttles counted, errors made kiter's.

The reader is given a client without botocore retries (`Aws.client("kinesis", retries=False)`);
`call_with_backoff` retries throttles and transient failures with exponential backoff, at most
MAX_THROTTLE_RETRIES times (under a minute in all), and counts throttles per shard, including any
retries a botocore client made itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kiter.aws import error_code, in_region, service_error
from kiter.errors import Refused
from kiter.stream.plan import ShardStats

THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "LimitExceededException"})
MAX_THROTTLE_RETRIES = 12
MAX_BACKOFF_SECONDS = 5.0


def call_with_backoff(
    client: Any,
    action: str,
    stats: ShardStats | None,
    *,
    sleep: Callable[[float], None],
    first_backoff: float = 0.2,
    **kwargs: Any,
) -> dict[str, Any]:
    """Call a Kinesis action, retrying throttles and transient failures with exponential backoff
    (at most MAX_THROTTLE_RETRIES times, under a minute in all) and counting throttles."""
    method = getattr(client, _snake(action))
    backoff = max(first_backoff, 0.05)
    attempt = 0
    while True:
        try:
            response: dict[str, Any] = method(**kwargs)
        except Exception as exc:
            throttled = error_code(exc) in THROTTLE_CODES
            if stats is not None:
                stats.throttles += _retry_attempts(exc) + (1 if throttled else 0)
            if (throttled or _transient(exc)) and attempt < MAX_THROTTLE_RETRIES:
                attempt += 1
                sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            raise
        if stats is not None:
            stats.throttles += _retry_attempts_response(response)
        return response


TRANSIENT_CODES = frozenset(
    {"InternalFailure", "InternalServerError", "ServiceUnavailable", "KMSThrottlingException"}
)


def _transient(exc: BaseException) -> bool:
    """A failure the same call may not meet again: a dropped connection, a timeout, a 5xx."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ReadTimeoutError

    return isinstance(exc, BotoConnectionError | ReadTimeoutError) or (
        error_code(exc) in TRANSIENT_CODES
    )


def _snake(action: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in action).lstrip("_")


def message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message", exc))
    return str(exc)


def _retry_attempts(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    return _retry_attempts_response(response) if isinstance(response, dict) else 0


def _retry_attempts_response(response: Mapping[str, Any]) -> int:
    meta = response.get("ResponseMetadata")
    return int(meta.get("RetryAttempts", 0) or 0) if isinstance(meta, Mapping) else 0


def list_shards(
    client: Any, stream: str, *, sleep: Callable[[float], None] = time.sleep
) -> list[dict[str, Any]]:
    """Every shard of the stream ListShards reports (open and closed within retention), paged."""
    shards: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"StreamName": stream}
    try:
        while True:
            page = call_with_backoff(client, "ListShards", None, sleep=sleep, **kwargs)
            shards.extend(page.get("Shards", []))
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise Refused(f"stream {stream} does not exist{in_region(client)}") from exc
        raise service_error(exc, f"listing shards of {stream}") from exc
