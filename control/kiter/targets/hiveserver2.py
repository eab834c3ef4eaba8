"""Run HiveQL on a HiveServer2 (Hive's own, or Spark's Thrift Server) through PyHive.

One Thrift session per run or query: `start` opens it, `follow` runs the script split client-side
(HiveServer2 takes one statement per call), each statement asynchronously and polled, with the
operation log streamed to the Echo as it arrives. Server errors become `JobFailed` with the
server's own message, an unreachable server becomes `ServiceError`, Ctrl-C cancels the running
operation on the server.

A session lives only as long as this process holds it, so a run cannot be detached. What can
outlive a stopped process is the statement it had in flight: a statement still running after its
first poll is reported to the Watch (and so recorded in the ledger) by its operation handle, and a
later attempt `attach`es to it and waits for it to end before running the script again. Operation
handles are server-wide, so another session can poll or cancel them.

This module must not know about the ledger, rendering or the CLI, and must never let a secret (an
LDAP password, a `SET kinesis.secretKey=...` value) reach the Echo or an error message.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

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

from kiter.errors import Interrupted, JobFailed, ServiceError, UsageError
from kiter.secrets import MASK, Redactor, is_secret_key, script_secrets
from kiter.sqlsplit import Statement, split_statements
from kiter.targets.base import (
    Abandoned,
    Echo,
    Handle,
    Outcome,
    Script,
    Unwatched,
    Watch,
    no_echo,
)
from kiter.targets.messages import clean_server_message, transport_message

Auth = Literal["NONE", "NOSASL", "LDAP", "KERBEROS"]

_RUNNING_STATES = {
    TOperationState.INITIALIZED_STATE,
    TOperationState.RUNNING_STATE,
    TOperationState.PENDING_STATE,
}
# Errors that mean the server is unreachable or the connection broke, not that SQL failed.
_TRANSPORT_ERRORS = (TTransportException, OSError, EOFError)

_SET_ASSIGNMENT = re.compile(r"\s*SET\s+([^=\s]+)\s*=(.*)", re.I | re.S)
_FIRST_LINE_WIDTH = 80
# A recorded operation: hs2:<host>:<port>/op/<guid hex>/<secret hex>/<operation type>
_OPERATION_ID = re.compile(
    r"^hs2:(?P<address>[^/]+)/op/(?P<guid>[0-9a-f]+)/(?P<secret>[0-9a-f]+)/(?P<type>\d+)$"
)


class StatementFailed(JobFailed):
    """HiveServer2 reported an error for one statement of a script."""

    def __init__(
        self,
        message: str,
        *,
        number: int,
        line: int,
        server_message: str,
        sql_state: str | None,
    ) -> None:
        super().__init__(message)
        self.number = number  # 1-based position of the statement in the script
        self.line = line  # 1-based script line where the statement starts
        self.server_message = server_message  # cleaned of Java stack frames, secrets redacted
        self.sql_state = sql_state


@dataclass
class _Running:
    """The operation currently running, so that interrupt() can reach it from another thread."""

    cursor: hive.Cursor
    number: int
    handle: Any  # TOperationHandle


@dataclass
class _Session:
    """A run's open session: its connection and what it is to run."""

    conn: hive.Connection | None  # None for a script with nothing to run
    transport: TBufferedTransport | None
    statements: list[Statement]
    redact: Redactor


class HiveServer2Target:
    """A HiveServer2 endpoint that runs Hive scripts statement by statement."""

    kind = "hiveserver2"
    detachable = False

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int = 10000,
        username: str = "kiter",
        database: str = "default",
        auth: Auth = "NONE",
        password: str | None = None,
        kerberos_service_name: str = "hive",
        configuration: Mapping[str, str] | None = None,
        connect_timeout: float = 30.0,
        read_timeout: float | None = 600.0,
        echo: Echo = no_echo,
        poll_interval: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if auth not in ("NONE", "NOSASL", "LDAP", "KERBEROS"):
            raise UsageError(
                f"target {name}: auth must be NONE, NOSASL, LDAP or KERBEROS, not {auth}"
            )
        if auth == "LDAP" and not password:
            raise UsageError(f"target {name}: auth = LDAP needs a password (from the environment)")
        self.name = name
        self.host = host
        self.port = port
        self.username = username
        self.database = database
        self.auth = auth
        self._password = password
        self.kerberos_service_name = kerberos_service_name
        self.configuration = dict(configuration or {})
        self.connect_timeout = connect_timeout
        # A bound on any single Thrift call once connected, so a hung server cannot hang a
        # scheduler forever; polling keeps each call short, so this is far above normal use.
        self.read_timeout = read_timeout
        self._echo = echo
        self.poll_interval = poll_interval
        self._sleep = sleep
        # Serialises Thrift calls on the live connection between the polling thread and interrupt().
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self._cancel_requested = threading.Event()
        # True while a Thrift call is in flight: a KeyboardInterrupt then leaves a half-read reply
        # on the socket, and the connection cannot carry a CancelOperation any more.
        self._mid_call = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"HiveServer2Target({self.name!r}, {self.address}, auth={self.auth})"

    # -- the two-phase protocol ------------------------------------------------------------------

    def find(self, script: Script) -> Handle | None:
        """None: HiveServer2 cannot list operations by name; the ledger's record finds them."""
        del script
        return None

    def attach(self, submission_id: str) -> Handle | None:
        """A statement an earlier attempt recorded on this server, to wait for (see follow)."""
        match = _OPERATION_ID.match(submission_id)
        return Handle(submission_id) if match and match["address"] == self.address else None

    def start(self, script: Script) -> Handle:
        """Open the run's session; the statements run in follow()."""
        if script.engine == "pig":
            raise UsageError(
                f"Pig scripts run as EMR steps: point job {script.job} at a target with "
                f'kind = "emr" (target {self.name} is a HiveServer2)'
            )
        session = self._open(script.text, script.variables)
        return Handle(f"hs2:{self.address}", live=session)

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        """Run the session's statements; for an attached statement of another attempt, wait for
        it to end (the outcome is then CANCELLED: that attempt's script did not finish here)."""
        if isinstance(handle.live, _Session):
            return self._run(handle, handle.live, watch)
        return self._wait_for_foreign(handle, watch)

    def cancel(self, handle: Handle) -> str:
        """Cancel the run's statement on the server (ours, or one an earlier attempt recorded)."""
        operation = _operation_handle(handle.id)
        if operation is None:  # this process's own session
            return "cancelled" if self.interrupt() else "nothing was running"
        conn, transport = self._connect({}, Redactor())
        try:
            with self._lock:
                response = conn.client.CancelOperation(
                    TCancelOperationReq(operationHandle=operation)
                )
        except (*_TRANSPORT_ERRORS, hive.OperationalError) as exc:
            return f"could not cancel it: {transport_message(exc)}"
        finally:
            self._close(conn, transport)
        return "cancelled" if _ok(response.status) else "the server no longer knows it"

    def query(self, sql_text: str, *, variables: Mapping[str, str] | None = None) -> Outcome:
        """Run ad-hoc HiveQL (one statement or several) and return the last rows it produced."""
        handle = Handle(f"hs2:{self.address}", live=self._open(sql_text, dict(variables or {})))
        return self._run(handle, handle.live, Unwatched())

    def interrupt(self) -> bool:
        """Cancel the running operation from another thread; True if one was running.

        The polling thread then raises `Interrupted`, and no further statement starts.
        """
        self._cancel_requested.set()
        running = self._running
        if running is None:
            return False
        with self._lock:
            if self._running is not running:
                return False  # it finished meanwhile; the next statement will not start
            try:
                running.cursor.cancel()
            except (*_TRANSPORT_ERRORS, hive.OperationalError):
                return False  # already over, or the server is gone: the poller will see
        return True

    # -- running statements ----------------------------------------------------------------------

    def _open(self, text: str, variables: Mapping[str, str]) -> _Session:
        statements = split_statements(text)
        secrets = script_secrets(text)
        if self._password:
            secrets.add(self._password)
        for mapping in (variables, self.configuration):
            secrets.update(str(v) for k, v in mapping.items() if is_secret_key(k) and v)
        redact = Redactor(secrets)
        if not statements:
            return _Session(None, None, statements, redact)
        conn, transport = self._connect(variables, redact)
        return _Session(conn, transport, statements, redact)

    def _run(self, handle: Handle, session: _Session, watch: Watch) -> Outcome:
        self._cancel_requested.clear()
        self._mid_call = False
        redact = session.redact
        statements = session.statements
        outcome = Outcome(state="SUCCEEDED", submission_id=handle.id)
        if session.conn is None:
            return outcome
        number = 0
        try:
            for number, statement in enumerate(statements, 1):
                if self._cancel_requested.is_set():
                    raise Interrupted(f"cancelled before statement {number} on {self.address}")
                if not watch.held():
                    raise Abandoned(handle, f"stopped before statement {number} on {self.address}")
                self._echo(
                    f"statement {number}/{len(statements)} (line {statement.line}): "
                    + _first_line(statement, redact)
                )
                result = self._execute(session.conn, number, statement, redact, watch)
                outcome.submission_id = f"hs2:{self.address}/{result.operation_id}"
                # DDL and INSERT answer with an empty "Result" table on Spark: only rows, or a
                # query's (possibly empty) table, replace what an earlier statement returned.
                if result.columns is not None and (result.rows or _is_query(statement)):
                    outcome.columns, outcome.rows = result.columns, result.rows
            return outcome
        except KeyboardInterrupt:
            where = f"statement {number}" if number else "the session"
            self._cancel_after_interrupt(redact)
            raise Interrupted(f"cancelled {where} on {self.address}") from None
        except Abandoned:
            self._cancel_after_interrupt(redact)
            raise
        finally:
            self._running = None
            self._close(session.conn, session.transport, broken=self._mid_call)
            self._mid_call = False

    def _execute(
        self,
        conn: hive.Connection,
        number: int,
        statement: Statement,
        redact: Redactor,
        watch: Watch,
    ) -> _Result:
        cursor = conn.cursor()
        try:
            result = self._poll_until_done(cursor, number, statement, redact, watch)
        except (KeyboardInterrupt, Abandoned):
            raise  # _run cancels the operation first, then drops the session
        except BaseException:
            self._close_cursor(cursor)
            raise
        self._close_cursor(cursor)
        return result

    def _poll_until_done(
        self,
        cursor: hive.Cursor,
        number: int,
        statement: Statement,
        redact: Redactor,
        watch: Watch,
    ) -> _Result:
        with self._call(number, statement, redact):
            cursor.execute(statement.text, async_=True)
        handle = cursor._operationHandle
        self._running = _Running(cursor=cursor, number=number, handle=handle)
        polls = 0
        while True:
            with self._call(number, statement, redact):
                status = cursor.poll(get_progress_update=False)
                logs = _fetch_logs(cursor)
            for line in logs:
                self._echo(redact(line))
            state = status.operationState
            if state == TOperationState.FINISHED_STATE:
                break
            if state == TOperationState.CANCELED_STATE:
                raise Interrupted(f"cancelled statement {number} on {self.address}")
            if state not in _RUNNING_STATES:
                raise self._failed(
                    number, statement, status.errorMessage, status.sqlState, redact, state
                )
            polls += 1
            if polls == 1:
                # Still running after a first look: a statement worth recording, so that a later
                # attempt waits for it should this process stop while it runs.
                watch.moved(Handle(self._recorded_id(handle)))
            elif not watch.held():
                raise Abandoned(
                    Handle(self._recorded_id(handle)),
                    f"stopped following statement {number} on {self.address}",
                )
            self._sleep(self.poll_interval)
        self._running = None
        with self._call(number, statement, redact):
            for line in _fetch_logs(cursor):
                self._echo(redact(line))
            columns, rows = _result_rows(cursor, statement)
        return _Result(columns=columns, rows=rows, operation_id=_operation_id(handle))

    def _recorded_id(self, handle: Any) -> str:
        identifier = handle.operationId
        return (
            f"hs2:{self.address}/op/{identifier.guid.hex()}/{identifier.secret.hex()}/"
            f"{int(handle.operationType)}"
        )

    def _wait_for_foreign(self, handle: Handle, watch: Watch) -> Outcome:
        """Poll another attempt's statement until the server says it is over (or forgets it)."""
        operation = _operation_handle(handle.id)
        ended = Outcome(
            "CANCELLED", handle.id, cause="the statement an earlier attempt left running is over"
        )
        if operation is None:
            return ended
        conn, transport = self._connect({}, Redactor())
        self._echo(f"waiting for the statement an earlier attempt left running ({handle.id})")
        try:
            while True:
                with self._lock:
                    response = conn.client.GetOperationStatus(
                        TGetOperationStatusReq(operationHandle=operation)
                    )
                if not _ok(response.status) or response.operationState not in _RUNNING_STATES:
                    return ended
                if not watch.held():
                    raise Abandoned(handle, f"stopped waiting for {handle.id}")
                self._sleep(max(self.poll_interval, 1.0))
        except _TRANSPORT_ERRORS as exc:
            raise ServiceError(
                f"lost HiveServer2 at {self.address}: {transport_message(exc)}"
            ) from None
        finally:
            self._close(conn, transport)

    def _close_cursor(self, cursor: hive.Cursor) -> None:
        if self._mid_call:
            return  # the connection is unusable; _close drops it
        with self._lock:
            try:
                cursor.close()
            except (*_TRANSPORT_ERRORS, hive.OperationalError):
                pass  # closing the operation is housekeeping: the outcome stands

    @contextmanager
    def _call(self, number: int, statement: Statement, redact: Redactor) -> Iterator[None]:
        """One Thrift exchange: serialised with interrupt(), its errors turned into kiter's."""
        with self._lock:
            self._mid_call = True
            try:
                yield
            except hive.OperationalError as exc:
                self._mid_call = False
                status = getattr(exc.args[0], "status", None) if exc.args else None
                raise self._failed(
                    number,
                    statement,
                    getattr(status, "errorMessage", None) or str(exc),
                    getattr(status, "sqlState", None),
                    redact,
                ) from None
            except _TRANSPORT_ERRORS as exc:
                raise ServiceError(
                    f"lost HiveServer2 at {self.address} during statement {number}: "
                    + redact(transport_message(exc))
                ) from None
            self._mid_call = False

    def _failed(
        self,
        number: int,
        statement: Statement,
        error_message: str | None,
        sql_state: str | None,
        redact: Redactor,
        state: int | None = None,
    ) -> StatementFailed:
        if error_message:
            server_message = redact(clean_server_message(error_message))
        else:
            state_name = TOperationState._VALUES_TO_NAMES.get(state, str(state))
            server_message = f"the operation ended in {state_name}"
        return StatementFailed(
            f"statement {number} (line {statement.line}: {_first_line(statement, redact)}) "
            f"failed: {server_message}",
            number=number,
            line=statement.line,
            server_message=server_message,
            sql_state=sql_state,
        )

    # -- connections -----------------------------------------------------------------------------

    def _connect(
        self, variables: Mapping[str, str], redact: Redactor
    ) -> tuple[hive.Connection, TBufferedTransport]:
        """Open a session; session settings travel with OpenSession, prefixed as HS2 wants."""
        session_conf = {f"set:hiveconf:{k}": v for k, v in self.configuration.items()}
        session_conf.update({f"set:hivevar:{k}": v for k, v in variables.items()})
        socket = TSocket(self.host, self.port)
        socket.setTimeout(self.connect_timeout * 1000)
        transport = self._transport(socket)
        try:
            conn = hive.Connection(
                thrift_transport=transport,
                username=self.username,
                database=self.database,
                configuration=session_conf,
            )
        except _TRANSPORT_ERRORS as exc:
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

    def _transport(self, socket: TSocket) -> TBufferedTransport:
        """The Thrift transport PyHive would build, but over a socket with a timeout."""
        if self.auth == "NOSASL":
            return TBufferedTransport(socket)
        import thrift_sasl  # type: ignore[import-untyped]

        if self.auth == "KERBEROS":
            mechanism, service, password = "GSSAPI", self.kerberos_service_name, None
        else:
            # With NONE the server ignores the password but SASL PLAIN needs a non-empty one.
            mechanism, service, password = "PLAIN", None, self._password or "x"

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

    def _close(
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
            except (*_TRANSPORT_ERRORS, hive.OperationalError):
                pass
        if transport is not None:
            transport.close()

    def _cancel_after_interrupt(self, redact: Redactor) -> None:
        """Best effort: stop the running operation on the server before giving up the session."""
        running = self._running
        if running is None:
            return
        try:
            if not self._mid_call:
                running.cursor.cancel()
                return
            # The live connection has a half-read reply on it: cancel over a fresh session.
            # Operation handles are server-wide, so another session may cancel this one.
            conn, transport = self._connect({}, redact)
            try:
                request = TCancelOperationReq(operationHandle=running.handle)
                conn.client.CancelOperation(request)
            finally:
                self._close(conn, transport)
        except (*_TRANSPORT_ERRORS, hive.OperationalError, ServiceError) as exc:
            self._echo(
                f"could not cancel statement {running.number} on {self.address}: "
                + redact(str(exc))
            )


@dataclass
class _Result:
    columns: list[str] | None  # None: the statement returned no rows worth reporting
    rows: list[tuple[Any, ...]]
    operation_id: str


def _result_rows(
    cursor: hive.Cursor, statement: Statement
) -> tuple[list[str] | None, list[tuple[Any, ...]]]:
    description = cursor.description
    if not description or _SET_ASSIGNMENT.match(statement.text):
        # `SET k=v` echoes its pair back; that is not a result a user asked for.
        return None, []
    columns = [str(col[0]) for col in description]
    return columns, [tuple(row) for row in cursor.fetchall()]


_QUERY_KEYWORDS = {
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


def _is_query(statement: Statement) -> bool:
    words = statement.first_line.split(None, 1)
    return bool(words) and words[0].upper().lstrip("(") in _QUERY_KEYWORDS


def _fetch_logs(cursor: hive.Cursor) -> list[str]:
    try:
        return [str(line) for line in cursor.fetch_logs()]
    except hive.OperationalError:
        return []  # a server with operation logging off: no logs is not a failure


def _operation_id(handle: Any) -> str:
    guid = getattr(getattr(handle, "operationId", None), "guid", None)
    if isinstance(guid, bytes) and len(guid) == 16:
        return str(uuid.UUID(bytes=guid))
    return guid.hex() if isinstance(guid, bytes) else "unknown"


def _operation_handle(submission_id: str) -> TOperationHandle | None:
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


def _ok(status: Any) -> bool:
    return status.statusCode in (TStatusCode.SUCCESS_STATUS, TStatusCode.SUCCESS_WITH_INFO_STATUS)


def _first_line(statement: Statement, redact: Redactor) -> str:
    """The statement's first line for progress and errors: secrets masked, at most 80 wide."""
    match = _SET_ASSIGNMENT.match(statement.text)
    if match and is_secret_key(match.group(1)):
        return f"SET {match.group(1)}={MASK}"
    line = redact(statement.first_line)
    return line if len(line) <= _FIRST_LINE_WIDTH else line[: _FIRST_LINE_WIDTH - 3] + "..."
