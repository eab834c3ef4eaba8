"""Run HiveQL on a HiveServer2 (Hive's own, or Spark's Thrift Server) through PyHive.

One Thrift session per submit or query: the script is split client-side (HiveServer2 takes one
statement per call), each statement runs asynchronously and is polled, and the operation log is
streamed to the Echo as it arrives. Server errors become `JobFailed` with the server's own message,
an unreachable server becomes `ServiceError`, Ctrl-C cancels the running operation on the server.

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
from TCLIService.ttypes import TCancelOperationReq, TOperationState
from thrift.transport.TSocket import TSocket
from thrift.transport.TTransport import TBufferedTransport, TTransportException

from kiter.errors import Interrupted, JobFailed, ServiceError, UsageError
from kiter.sqlsplit import Statement, split_statements
from kiter.targets.base import Echo, Outcome, Script, no_echo

Auth = Literal["NONE", "NOSASL", "LDAP", "KERBEROS"]

_RUNNING_STATES = {
    TOperationState.INITIALIZED_STATE,
    TOperationState.RUNNING_STATE,
    TOperationState.PENDING_STATE,
}
# Errors that mean the server is unreachable or the connection broke, not that SQL failed.
_TRANSPORT_ERRORS = (TTransportException, OSError, EOFError)

# Setting names whose values are credentials: redacted from echo and from error messages.
_SECRET_KEY = re.compile(r"secret|password|passwd|accesskey|access\.key|token|credential", re.I)
_SET_ASSIGNMENT = re.compile(r"\s*SET\s+([^=\s]+)\s*=(.*)", re.I | re.S)
_REDACTED = "****"
_FIRST_LINE_WIDTH = 80
_MAX_ERROR_LINES = 20


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
    """The operation currently running, so that cancel() can reach it from another thread."""

    cursor: hive.Cursor
    number: int
    handle: Any  # TOperationHandle


class HiveServer2Target:
    """A HiveServer2 endpoint that runs Hive scripts statement by statement."""

    kind = "hiveserver2"

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
        # Serialises Thrift calls on the live connection between the polling thread and cancel().
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

    # -- the Target protocol ---------------------------------------------------------------------

    def submit(self, script: Script, *, wait: bool = True) -> Outcome:
        """Run every statement of a Hive script and return the rows of the last one that had any.

        HiveServer2 holds a script's session only while the client stays connected, so there is
        nothing to come back to later: `wait=False` is accepted for the protocol's sake and the
        script still runs to the end before this returns.
        """
        del wait
        if script.engine == "pig":
            raise UsageError(
                f"Pig scripts run as EMR steps: point job {script.job} at a target with "
                f'kind = "emr" (target {self.name} is a HiveServer2)'
            )
        return self._run(split_statements(script.text), script.variables)

    def query(self, sql_text: str, *, variables: Mapping[str, str] | None = None) -> Outcome:
        """Run ad-hoc HiveQL (one statement or several) and return the last rows it produced."""
        return self._run(split_statements(sql_text), dict(variables or {}))

    def cancel(self) -> bool:
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

    def _run(self, statements: list[Statement], variables: Mapping[str, str]) -> Outcome:
        self._cancel_requested.clear()
        self._mid_call = False
        redact = _Redactor.for_run(statements, variables, self.configuration, self._password)
        outcome = Outcome(state="SUCCEEDED", submission_id=f"hs2:{self.address}")
        if not statements:
            return outcome
        transport: TBufferedTransport | None = None
        conn: hive.Connection | None = None
        number = 0
        try:
            conn, transport = self._connect(variables, redact)
            for number, statement in enumerate(statements, 1):
                if self._cancel_requested.is_set():
                    raise Interrupted(f"cancelled before statement {number} on {self.address}")
                self._echo(
                    f"statement {number}/{len(statements)} (line {statement.line}): "
                    + redact.first_line(statement)
                )
                result = self._execute(conn, number, statement, redact)
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
        finally:
            self._running = None
            self._close(conn, transport, broken=self._mid_call)
            self._mid_call = False

    def _execute(
        self, conn: hive.Connection, number: int, statement: Statement, redact: _Redactor
    ) -> _Result:
        cursor = conn.cursor()
        try:
            result = self._poll_until_done(cursor, number, statement, redact)
        except KeyboardInterrupt:
            raise  # _run cancels the operation first, then drops the session
        except BaseException:
            self._close_cursor(cursor)
            raise
        self._close_cursor(cursor)
        return result

    def _poll_until_done(
        self, cursor: hive.Cursor, number: int, statement: Statement, redact: _Redactor
    ) -> _Result:
        with self._call(number, statement, redact):
            cursor.execute(statement.text, async_=True)
        handle = cursor._operationHandle
        self._running = _Running(cursor=cursor, number=number, handle=handle)
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
            self._sleep(self.poll_interval)
        self._running = None
        with self._call(number, statement, redact):
            for line in _fetch_logs(cursor):
                self._echo(redact(line))
            columns, rows = _result_rows(cursor, statement)
        return _Result(columns=columns, rows=rows, operation_id=_operation_id(handle))

    def _close_cursor(self, cursor: hive.Cursor) -> None:
        if self._mid_call:
            return  # the connection is unusable; _close drops it
        with self._lock:
            try:
                cursor.close()
            except (*_TRANSPORT_ERRORS, hive.OperationalError):
                pass  # closing the operation is housekeeping: the outcome stands

    @contextmanager
    def _call(self, number: int, statement: Statement, redact: _Redactor) -> Iterator[None]:
        """One Thrift exchange: serialised with cancel(), its errors turned into kiter's."""
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
                    + redact(_transport_message(exc))
                ) from None
            self._mid_call = False

    def _failed(
        self,
        number: int,
        statement: Statement,
        error_message: str | None,
        sql_state: str | None,
        redact: _Redactor,
        state: int | None = None,
    ) -> StatementFailed:
        if error_message:
            server_message = redact(clean_server_message(error_message))
        else:
            state_name = TOperationState._VALUES_TO_NAMES.get(state, str(state))
            server_message = f"the operation ended in {state_name}"
        return StatementFailed(
            f"statement {number} (line {statement.line}: {redact.first_line(statement)}) "
            f"failed: {server_message}",
            number=number,
            line=statement.line,
            server_message=server_message,
            sql_state=sql_state,
        )

    # -- connections -----------------------------------------------------------------------------

    def _connect(
        self, variables: Mapping[str, str], redact: _Redactor
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
                + redact(_transport_message(exc))
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

    def _cancel_after_interrupt(self, redact: _Redactor) -> None:
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


def _transport_message(exc: BaseException) -> str:
    inner = getattr(exc, "inner", None)
    text = str(exc) or type(exc).__name__
    return f"{text} ({inner})" if inner else text


_JAVA_FRAME = re.compile(r"^\s+at [\w$.<>]+\(.*\)\s*$|^\s*\.\.\. \d+ more\s*$|^Caused by: ")
_HS2_PREFIX = re.compile(
    r"^(?:org\.apache\.hive\.service\.cli\.HiveSQLException:\s*)?(?:Error running query:\s*)?"
)
# Spark repeats the error class around the Java exception name: "[X] org...Exception: \n[X] ..."
_SPARK_WRAPPER = re.compile(r"^\[(\w+)\] [\w.$]+(?:Exception|Error): \s*(?=\[\1\])", re.S)


def clean_server_message(message: str) -> str:
    """The server's error text without Java stack frames and wrapper prefixes."""
    kept: list[str] = []
    for raw in message.splitlines():
        if _JAVA_FRAME.match(raw):
            break
        kept.append(raw.rstrip())
    text = "\n".join(kept).strip()
    text = _HS2_PREFIX.sub("", text, count=1)
    text = _SPARK_WRAPPER.sub("", text, count=1).strip()
    lines = text.splitlines()
    if len(lines) > _MAX_ERROR_LINES:
        lines = [*lines[:_MAX_ERROR_LINES], "..."]
    return "\n".join(lines) or message.strip()


class _Redactor:
    """Replaces credential values with **** in anything bound for the Echo or an error."""

    def __init__(self, secrets: set[str]) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True)

    @classmethod
    def for_run(
        cls,
        statements: list[Statement],
        variables: Mapping[str, str],
        configuration: Mapping[str, str],
        password: str | None,
    ) -> _Redactor:
        secrets = {password} if password else set()
        for mapping in (variables, configuration):
            secrets.update(v for k, v in mapping.items() if _SECRET_KEY.search(k) and v)
        for statement in statements:
            match = _SET_ASSIGNMENT.match(statement.text)
            if match and _SECRET_KEY.search(match.group(1)):
                # Hive keeps the value verbatim to the end of the line, comments included.
                value = match.group(2).strip()
                secrets.update(v for v in (value, value.split("--")[0].strip()) if v)
        return cls(secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return text

    def first_line(self, statement: Statement) -> str:
        match = _SET_ASSIGNMENT.match(statement.text)
        if match and _SECRET_KEY.search(match.group(1)):
            return f"SET {match.group(1)}={_REDACTED}"
        line = self(statement.first_line)
        return line if len(line) <= _FIRST_LINE_WIDTH else line[: _FIRST_LINE_WIDTH - 3] + "..."
