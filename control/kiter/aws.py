"""The one place that makes AWS sessions and clients.

Region, profile, endpoint and botocore's retry mode are applied here and nowhere else. No module
keeps a client at import time: callers ask an `Aws` for one, so moto and tests need no patching.

The region follows the AWS CLI's conventions below kiter's own settings (`conventional_region`):
AWS_REGION, AWS_DEFAULT_REGION, then the AWS profile's region; with none, a client is refused
(NO_REGION) rather than guessed.

Retries live in one layer per call: botocore's standard mode (at most `MAX_ATTEMPTS` tries, each
bounded by the connect and read timeouts, so one call gives up within about two minutes), except
for the stream reader, which takes a client without retries (`retries=False`) and retries
throttles itself, counting them per shard, within a total time of its own.
Every client tells `Aws.on_call` of each call while it is in flight (the CLI's status line says
when one has not answered within a second: an endpoint that never answers is not two minutes of
silence).
Clients come straight from botocore (boto3's clients are botocore's): boto3 itself would import
s3transfer and its resource layer, about 100 ms at every start, for nothing kiter uses.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiter.errors import ConfigError, ServiceError, Unfixable

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from botocore.session import Session


@dataclass(frozen=True)
class AwsSettings:
    """Where and as whom kiter talks to AWS (the `[aws]` table, after precedence)."""

    region: str | None = None  # None: no setting or AWS convention named one
    profile: str | None = None
    endpoint_url: str | None = None
    # The embedded local stack takes any keys: use fixed ones, so a fresh machine needs none.
    local_credentials: bool = False


NO_REGION = (
    "no AWS region: pass --region, or set KITER_AWS_REGION, region in kiter.toml's [aws], "
    "AWS_REGION or AWS_DEFAULT_REGION, or a region in the AWS profile "
    "(aws configure set region REGION)"
)
# AWS's own variables, read (in this order) when kiter's flag, variable and file name no region.
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")


def conventional_region(profile: str | None, env: Mapping[str, str]) -> tuple[str, str] | None:
    """The region as the AWS CLI finds it, and where from: AWS_REGION, AWS_DEFAULT_REGION, then
    the region of the AWS profile (`profile`, else AWS_PROFILE, else "default") in the AWS
    config file, as botocore reads it. None when nothing names one."""
    for name in REGION_VARIABLES:
        if env.get(name):
            return env[name], name
    return _profile_region(profile, env)


def _profile_region(profile: str | None, env: Mapping[str, str]) -> tuple[str, str] | None:
    config_file = env.get("AWS_CONFIG_FILE") or "~/.aws/config"
    credentials_file = env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    if not any(os.path.isfile(os.path.expanduser(p)) for p in (config_file, credentials_file)):
        return None  # nothing to read: spare every command botocore's import (about 0.1 s)
    from botocore.exceptions import BotoCoreError
    from botocore.session import Session

    name = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    session = Session()
    # From `env`, not the process's environment, so the caller's view of it is the one read.
    session.set_config_variable("config_file", config_file)
    session.set_config_variable("credentials_file", credentials_file)
    try:
        region = session.full_config.get("profiles", {}).get(name, {}).get("region")
    except BotoCoreError as exc:  # a config file botocore cannot parse
        raise ConfigError(f"AWS settings: {exc}") from None
    if not region:
        return None
    return str(region), f"region of AWS profile {name!r} in {config_file}"


MAX_ATTEMPTS = 4
CONNECT_TIMEOUT_S = 5
_CLIENTS_LOCK = threading.Lock()
READ_TIMEOUT_S = 30


@dataclass
class Aws:
    """A lazily built botocore session that hands out configured clients, one per service."""

    settings: AwsSettings = field(default_factory=AwsSettings)
    max_attempts: int = MAX_ATTEMPTS
    _session: Any = field(default=None, init=False, repr=False)
    # Told of each call ("DynamoDB TransactWriteItems") for as long as it is in flight.
    on_call: Callable[[str], AbstractContextManager[None]] | None = field(
        default=None, repr=False, compare=False
    )
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def session(self) -> Session:
        if self._session is None:
            from botocore.exceptions import BotoCoreError
            from botocore.session import Session

            from kiter import botodata

            local = self.settings.local_credentials
            session = Session(profile=None if local else self.settings.profile)
            try:
                if local:
                    session.set_credentials("kiter-local", "kiter-local")
                session.get_scoped_config()  # a missing profile fails here, not mid-command
                botodata.install(session)
            except BotoCoreError as exc:  # ProfileNotFound, a broken ~/.aws/config
                raise ConfigError(f"AWS settings: {exc}") from None
            self._session = session
        return self._session

    @property
    def region(self) -> str:
        """The region every client talks to; a ConfigError (exit 2) when none was found."""
        if not self.settings.region:
            raise ConfigError(NO_REGION)
        return self.settings.region

    def client(self, service: str, *, retries: bool = True, region: str | None = None) -> Any:
        """A client for `service` with kiter's region, endpoint and bounded retries.

        `retries=False`: botocore tries each call once, for callers that retry themselves.
        `region`: another region than kiter's, for a resource an ARN places there (an SNS topic).
        """
        key = (service if retries else f"{service}#once") + (f"@{region}" if region else "")
        with _CLIENTS_LOCK:  # a session builds clients one at a time (jobs run side by side)
            if key not in self._clients:
                self._clients[key] = self._new_client(service, retries, region)
        return self._clients[key]

    def _new_client(self, service: str, retries: bool, region: str | None = None) -> Any:
        from botocore.config import Config

        config = Config(
            retries={
                "mode": "standard",
                "total_max_attempts": self.max_attempts if retries else 1,
            },
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
        )
        endpoint = self.settings.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
        session: Any = self.session()  # a missing AWS profile is said before a missing region
        client = session.create_client(
            service, region_name=region or self.region, endpoint_url=endpoint, config=config
        )
        _tell_calls(client, lambda: self.on_call)
        return client


# The calls in flight on each thread, innermost last (clients are shared between threads).
_in_flight = threading.local()


def _tell_calls(
    client: Any, listener: Callable[[], Callable[[str], AbstractContextManager[None]] | None]
) -> None:
    """Have `listener()`, asked at each call, told of the call from its start to its answer."""
    service = client.meta.service_model.service_id

    def before(model: Any, **_: Any) -> None:  # a before-call handler's answer replaces the call
        on_call = listener()
        told = on_call(f"{service} {model.name}") if on_call is not None else None
        if told is not None:
            told.__enter__()
        _in_flight.__dict__.setdefault("calls", []).append(told)

    def after(**_: Any) -> None:  # after-call, or after-call-error when no answer came
        calls = _in_flight.__dict__.get("calls")
        told = calls.pop() if calls else None
        if told is not None:
            told.__exit__(None, None, None)

    events = client.meta.events
    events.register("before-call", before)
    events.register("after-call", after)
    events.register("after-call-error", after)


def region_of(client: Any) -> str:
    """A botocore client's region ("" when it has none): a message about a resource says where
    it looked."""
    region = getattr(getattr(client, "meta", None), "region_name", None)
    return region if isinstance(region, str) else ""


def in_region(client: Any) -> str:
    """`" in REGION"` for a botocore client ("" without one)."""
    region = region_of(client)
    return f" in {region}" if region else ""


def is_aws_error(exc: BaseException) -> bool:
    """Whether `exc` comes from botocore or boto3 (ClientError, BotoCoreError, S3 transfers)."""
    return type(exc).__module__.split(".")[0] in ("botocore", "boto3")


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


# Answers no retry changes: the run stops at once with exit 5 instead of retrying.
UNFIXABLE_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "ResourceNotFoundException",
        "NoSuchBucket",
        "ValidationException",
    }
)
CREDENTIALS_HINT = (
    "kiter looks for credentials as the AWS CLI does: the [aws] profile (or --aws-profile, "
    "KITER_AWS_PROFILE), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, then "
    "the instance's role; for the embedded stack, use --profile local"
)


def service_error(exc: ClientError | Exception, action: str) -> ServiceError:
    """Turn a botocore error into kiter's ServiceError with the AWS message, not a repr; the
    error keeps the AWS code and HTTP status of the answer (`ServiceError.code`, `.status`)."""
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return Unfixable(f"{action}: no AWS credentials found ({exc}); {CREDENTIALS_HINT}")
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        code = str(err.get("Code", "Error"))
        message = str(err.get("Message", ""))
        if _HTML.match(message):
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            message = f"the endpoint answered HTTP {status} with an HTML page, not an AWS answer"
        kind = Unfixable if code in UNFIXABLE_CODES else ServiceError
        error = kind(f"{action}: {code}: {message}".rstrip(": "))
        error.code = code
        error.status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error
    return ServiceError(f"{action}: {exc}")


_HTML = re.compile(r"\s*<(?:!doctype|html|head|body)\b", re.IGNORECASE)
