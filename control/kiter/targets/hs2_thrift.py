"""Thrift plumbing for HiveServer2: sessions over a socket with timeouts, operation handles.

`Hs2Connection` opens and closes sessions the way PyHive would (SASL PLAIN, GSSAPI or none), but
over a socket with a connect timeout and a bound on every later call; errors become kiter's
ServiceError with the server's own words. Operation handles are written as a text id a ledger can
keep (`hs2:<host>:<port>/op/<guid>/<secret>/<type>`) and read back, because they are server-wide:
another session, in another process, may poll or cancel them.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pyhive import hive
from TCLIService.ttypes import (
    TCancelOperationReq,
    TGetOperationStatusReq,
    THandleIdentifier,
    TOperationHandle,
    TOperationState,
    TStatusCode,
)
from thrift.transport.TSocket import TSocket
from thrift.transport.TTransport import TBufferedTransport, TTransportException

from kiter.choices import Auth
from kiter.errors import ServiceError
from kiter.scripts import Statement, hive_set
from kiter.secrets import NO_SECRETS, Redactor
from kiter.targets.messages import clean_server_message, transport_message

# Thrift logs a traceback of its own for every failed connect; kiter says it in one line.
logging.getLogger("thrift").addHandler(logging.NullHandler())
logging.getLogger("thrift").propagate = False

RUNNING_STATES = {
    TOperationState.INITIALIZED_STATE,
    TOperationState.RUNNING_STATE,
    TOperationState.PENDING_STATE,
}
# Errors that mean the server is unreachable or the connection broke, not that SQL failed.
TRANSPORT_ERRORS = (TTransportException, OSError, EOFError)
# A recorded operation: hs2:<host>:<port>/op/<guid hex>/<secret hex>/<operation type>
_OPERATION_ID = re.compile(
    r"^hs2:(?P<address>[^/]+)/op/(?P<guid>[0-9a-f]+)/(?P<secret>[0-9a-f]+)/(?P<type>\d+)$"
)


@dataclass(frozen=True)
class Hs2Connection:
    """How to reach one HiveServer2 and open sessions on it."""

    host: str
    port: int
    username: str
    database: str
    auth: Auth
    password: str | None
    kerberos_service_name: str
    configuration: Mapping[str, str]
    connect_timeout: float
    read_timeout: float | None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @contextmanager
    def session(self, redact: Redactor = NO_SECRETS) -> Iterator[hive.Connection]:
        """A session without settings, for looking after operations of other sessions."""
        conn, transport = self.connect({}, redact)
        try:
            yield conn
        finally:
            self.close(conn, transport)

    def cancel_operation(self, operation: TOperationHandle) -> str:
        """Cancel an operation of any session; the server's answer in a few words."""
        try:
            with self.session() as conn:
                response = conn.client.CancelOperation(
                    TCancelOperationReq(operationHandle=operation)
                )
        except (*TRANSPORT_ERRORS, hive.OperationalError, ServiceError) as exc:
            return f"could not cancel it: {transport_message(exc)}"
        return "cancelled" if status_ok(response.status) else "the server no longer knows it"

    def connect(
        self, variables: Mapping[str, str], redact: Redactor
    ) -> tuple[hive.Connection, TBufferedTransport]:
        """Open a session; session settings travel with OpenSession, prefixed as HS2 wants."""
        session_conf = {f"set:hiveconf:{k}": v for k, v in self.configuration.items()}
        session_conf.update({f"set:hivevar:{k}": v for k, v in variables.items()})
        socket = TSocket(self.host, self.port)
        socket.setTimeout(self.connect_timeout * 1000)
        transport = self.transport(socket)
        try:
            conn = hive.Connection(
                thrift_transport=transport,
                username=self.username,
                database=self.database,
                configuration=session_conf,
            )
        except TRANSPORT_ERRORS as exc:
            transport.close()
            raise ServiceError(
                f"cannot reach HiveServer2 at {self.address} (auth {self.auth}): "
                + redact(transport_message(exc))
            ) from None
        except hive.OperationalError as exc:
            transport.close()
            status = getattr(exc.args[0], "status", None) if exc.args else None
            message = getattr(status, "errorMessage", None) or str(exc)
            raise ServiceError(
                f"HiveServer2 at {self.address} refused a session for {self.username} "
                f"on database {self.database}: " + redact(clean_server_message(message))
            ) from None
        socket.setTimeout(None if self.read_timeout is None else self.read_timeout * 1000)
        return conn, transport

    def transport(self, socket: TSocket) -> TBufferedTransport:
        """The Thrift transport PyHive would build, but over a socket with a timeout."""
        if self.auth == "NOSASL":
            return TBufferedTransport(socket)
        import thrift_sasl  # type: ignore[import-untyped]

        if self.auth == "KERBEROS":
            mechanism, service, password = "GSSAPI", self.kerberos_service_name, None
        else:
            # With NONE the server ignores the password but SASL PLAIN needs a non-empty one.
            mechanism, service, password = "PLAIN", None, self.password or "x"

        def sasl_client() -> Any:
            return hive.get_installed_sasl(
                host=self.host,
                sasl_auth=mechanism,
                service=service,
                username=self.username,
                password=password,
            )

        transport: TBufferedTransport = thrift_sasl.TSaslClientTransport(
            sasl_client, mechanism, socket
        )
        return transport

    def close(
        self,
        conn: hive.Connection | None,
        transport: TBufferedTransport | None,
        *,
        broken: bool = False,
    ) -> None:
        """End the session; a broken connection (half-read reply) is only dropped."""
        if conn is not None and not broken:
            try:
                conn.close()
                return
            except (*TRANSPORT_ERRORS, hive.OperationalError):
                pass
        if transport is not None:
            transport.close()


@dataclass
class Result:
    columns: list[str] | None  # None: the statement returned no rows worth reporting
    rows: list[tuple[Any, ...]]
    operation_id: str


def result_rows(
    cursor: hive.Cursor, statement: Statement
) -> tuple[list[str] | None, list[tuple[Any, ...]]]:
    description = cursor.description
    if not description or hive_set(statement.text) is not None:
        # `SET k=v` echoes its pair back; that is not a result a user asked for.
        return None, []
    columns = [str(col[0]) for col in description]
    return columns, [tuple(row) for row in cursor.fetchall()]


QUERY_KEYWORDS = {
    "SELECT",
    "WITH",
    "FROM",
    "VALUES",
    "TABLE",
    "SHOW",
    "DESCRIBE",
    "DESC",
    "EXPLAIN",
    "SET",
}


def is_query(statement: Statement) -> bool:
    words = statement.first_line.split(None, 1)
    return bool(words) and words[0].upper().lstrip("(") in QUERY_KEYWORDS


def fetch_logs(cursor: hive.Cursor) -> list[str]:
    try:
        return [str(line) for line in cursor.fetch_logs()]
    except hive.OperationalError:
        return []  # a server with operation logging off: no logs is not a failure


def operation_id(handle: Any) -> str:
    guid = getattr(getattr(handle, "operationId", None), "guid", None)
    if isinstance(guid, bytes) and len(guid) == 16:
        return str(uuid.UUID(bytes=guid))
    return guid.hex() if isinstance(guid, bytes) else "unknown"


def operation_handle(submission_id: str) -> TOperationHandle | None:
    """The operation handle a recorded id names (hs2:<address>/op/<guid>/<secret>/<type>)."""
    match = _OPERATION_ID.match(submission_id)
    if match is None:
        return None
    identifier = THandleIdentifier(
        guid=bytes.fromhex(match["guid"]), secret=bytes.fromhex(match["secret"])
    )
    return TOperationHandle(
        operationId=identifier, operationType=int(match["type"]), hasResultSet=True
    )


def status_ok(status: Any) -> bool:
    return status.statusCode in (TStatusCode.SUCCESS_STATUS, TStatusCode.SUCCESS_WITH_INFO_STATUS)


def operation_running(conn: hive.Connection, operation: TOperationHandle, address: str) -> bool:
    """Whether the server still runs the operation (False once it ended or is forgotten)."""
    try:
        response = conn.client.GetOperationStatus(TGetOperationStatusReq(operationHandle=operation))
    except TRANSPORT_ERRORS as exc:
        raise ServiceError(f"lost HiveServer2 at {address}: {transport_message(exc)}") from None
    return status_ok(response.status) and response.operationState in RUNNING_STATES


def recorded_id(address: str, handle: Any) -> str:
    """The text id of an operation handle, for the ledger (see operation_handle)."""
    identifier = handle.operationId
    return (
        f"hs2:{address}/op/{identifier.guid.hex()}/{identifier.secret.hex()}/"
        f"{int(handle.operationType)}"
    )


def recorded_address(submission_id: str) -> str | None:
    """The server a recorded operation id names, None when it names no operation."""
    match = _OPERATION_ID.match(submission_id)
    return match["address"] if match else None


def state_name(state: int) -> str:
    """An operation state as words ("RUNNING", "PENDING")."""
    return str(TOperationState._VALUES_TO_NAMES.get(state, state)).removesuffix("_STATE")
