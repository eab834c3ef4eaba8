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

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pyhive import hive
from TCLIService.ttypes import TOperationState
from thrift.transport.TTransport import TBufferedTransport

from kiter.choices import Auth
from kiter.echo import NO_PROGRESS, Progress
from kiter.errors import Interrupted, ServiceError, UsageError
from kiter.scripts import Statement, split_statements
from kiter.secrets import Redactor
from kiter.targets.base import (
    UNWATCHED,
    Abandoned,
    Echo,
    Handle,
    Outcome,
    Script,
    Unwatched,
    Watch,
    no_echo,
)
from kiter.targets.hs2_thrift import (
    RUNNING_STATES,
    TRANSPORT_ERRORS,
    Hs2Connection,
    Result,
    fetch_logs,
    is_query,
    operation_handle,
    operation_id,
    operation_running,
    recorded_address,
    recorded_id,
    result_rows,
    state_name,
)
from kiter.targets.hs2errors import call_failed, first_line, session_redactor, statement_failed
from kiter.targets.messages import transport_message


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
        log: Echo = no_echo,
        progress: Progress = NO_PROGRESS,
        poll_interval: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
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
        self.auth = auth
        self._password = password
        self.configuration = dict(configuration or {})
        self.connection = Hs2Connection(
            host=host,
            port=port,
            username=username,
            database=database,
            auth=auth,
            password=password,
            kerberos_service_name=kerberos_service_name,
            configuration=self.configuration,
            connect_timeout=connect_timeout,
            # A bound on any single Thrift call once connected, so a hung server cannot hang a
            # scheduler forever; polling keeps each call short, so this is far above normal use.
            read_timeout=read_timeout,
        )
        self._echo = echo
        self._progress = progress
        self._now = now
        # The engine's own words: each statement as it starts, and the operation logs.
        self._log = log
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
        return Handle(submission_id) if recorded_address(submission_id) == self.address else None

    def start(self, script: Script, watch: Watch = UNWATCHED) -> Handle:
        """Open the run's session; the statements run in follow(), the first one fenced."""
        del watch  # nothing runs on the engine yet: follow() fences its first statement
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
        operation = operation_handle(handle.id)
        if operation is None:  # this process's own session
            return "cancelled" if self.interrupt() else "nothing was running"
        return self.connection.cancel_operation(operation)

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
            except (*TRANSPORT_ERRORS, hive.OperationalError):
                return False  # already over, or the server is gone: the poller will see
        return True

    # -- running statements ----------------------------------------------------------------------

    def _open(self, text: str, variables: Mapping[str, str]) -> _Session:
        statements = split_statements(text)
        redact = session_redactor(text, self._password, variables, self.configuration)
        if not statements:
            return _Session(None, None, statements, redact)
        # A server that never answers is waited for connect_timeout: the line says so.
        with self._progress.calling(f"HiveServer2 at {self.address} to open a session"):
            conn, transport = self.connection.connect(variables, redact)
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
                if number == 1:
                    watch.fence()  # the script's start: proven held, nothing in between
                elif not watch.held():
                    raise Abandoned(handle, f"stopped before statement {number} on {self.address}")
                self._log(
                    f"statement {number}/{len(statements)} (line {statement.line}): "
                    + first_line(statement, redact)
                )
                result = self._execute(session.conn, number, statement, redact, watch)
                outcome.submission_id = f"hs2:{self.address}/{result.operation_id}"
                # DDL and INSERT answer with an empty "Result" table on Spark: only rows, or a
                # query's (possibly empty) table, replace what an earlier statement returned.
                if result.columns is not None and (result.rows or is_query(statement)):
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
            self._progress.done()
            self._running = None
            self.connection.close(session.conn, session.transport, broken=self._mid_call)
            self._mid_call = False

    def _execute(
        self,
        conn: hive.Connection,
        number: int,
        statement: Statement,
        redact: Redactor,
        watch: Watch,
    ) -> Result:
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
    ) -> Result:
        sent = self._now()  # HiveServer2 tells no start time: the statement's age is kiter's
        where = f"HiveServer2 at {self.address}"
        line = f"line {statement.line}"
        self._progress.update(f"statement {number} sent", sent, line)
        with self._call(number, statement, redact), self._progress.calling(where):
            cursor.execute(statement.text, async_=True)
        handle = cursor._operationHandle
        self._running = _Running(cursor=cursor, number=number, handle=handle)
        polls = 0
        while True:
            with self._call(number, statement, redact), self._progress.calling(where):
                status = cursor.poll(get_progress_update=False)
                logs = fetch_logs(cursor)
            for line in logs:
                self._log(redact(line))
            state = status.operationState
            self._progress.update(f"statement {number} {state_name(state)}", sent, line)
            if state == TOperationState.FINISHED_STATE:
                break
            if state == TOperationState.CANCELED_STATE:
                raise Interrupted(f"cancelled statement {number} on {self.address}")
            if state not in RUNNING_STATES:
                raise statement_failed(
                    number, statement, status.errorMessage, status.sqlState, redact, state
                )
            polls += 1
            if polls == 1:
                # Still running after a first look: a statement worth recording, so that a later
                # attempt waits for it should this process stop while it runs.
                watch.moved(Handle(recorded_id(self.address, handle)))
            elif not watch.held():
                raise Abandoned(
                    Handle(recorded_id(self.address, handle)),
                    f"stopped following statement {number} on {self.address}",
                )
            self._sleep(self.poll_interval)
        self._running = None
        with self._call(number, statement, redact):
            for line in fetch_logs(cursor):
                self._log(redact(line))
            columns, rows = result_rows(cursor, statement)
        return Result(columns=columns, rows=rows, operation_id=operation_id(handle))

    def _wait_for_foreign(self, handle: Handle, watch: Watch) -> Outcome:
        """Poll another attempt's statement until the server says it is over (or forgets it)."""
        operation = operation_handle(handle.id)
        ended = Outcome(
            "CANCELLED", handle.id, cause="the statement an earlier attempt left running is over"
        )
        if operation is None:
            return ended
        self._echo(f"waiting for the statement an earlier attempt left running ({handle.id})")
        with self.connection.session() as conn:
            while operation_running(conn, operation, self.address):
                if not watch.held():
                    raise Abandoned(handle, f"stopped waiting for {handle.id}")
                self._sleep(max(self.poll_interval, 1.0))
        return ended

    def _close_cursor(self, cursor: hive.Cursor) -> None:
        if self._mid_call:
            return  # the connection is unusable; _close drops it
        with self._lock:
            try:
                cursor.close()
            except (*TRANSPORT_ERRORS, hive.OperationalError):
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
                raise call_failed(exc, number, statement, redact) from None
            except TRANSPORT_ERRORS as exc:
                raise ServiceError(
                    f"lost HiveServer2 at {self.address} during statement {number}: "
                    + redact(transport_message(exc))
                ) from None
            self._mid_call = False

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
            self.connection.cancel_operation(running.handle)
        except (*TRANSPORT_ERRORS, hive.OperationalError, ServiceError) as exc:
            self._echo(
                f"could not cancel statement {running.number} on {self.address}: "
                + redact(str(exc))
            )
