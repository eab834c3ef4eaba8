"""A HiveServer2 statement's failure as kiter tells it: which statement, at which script line,
and the server's message cleaned of Java stack frames, with every secret of the session masked.

Reads what the server answered; it calls no server and never shows a secret (a `SET
kinesis.secretKey=...` statement is named by its key only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from TCLIService.ttypes import TOperationState

from kiter.errors import JobFailed
from kiter.scripts import Statement, hive_set
from kiter.secrets import MASK, Redactor, is_secret_key, script_secrets
from kiter.targets.messages import clean_server_message

_FIRST_LINE_WIDTH = 80


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


def statement_failed(
    number: int,
    statement: Statement,
    error_message: str | None,
    sql_state: str | None,
    redact: Redactor,
    state: int | None = None,
) -> StatementFailed:
    """The error for statement `number`: the server's message, or the state it ended in."""
    if error_message:
        server_message = redact(clean_server_message(error_message))
    else:
        state_name = TOperationState._VALUES_TO_NAMES.get(state, str(state))
        server_message = f"the operation ended in {state_name}"
    return StatementFailed(
        f"statement {number} (line {statement.line}: {first_line(statement, redact)}) "
        f"failed: {server_message}",
        number=number,
        line=statement.line,
        server_message=server_message,
        sql_state=sql_state,
    )


def call_failed(
    exc: Exception, number: int, statement: Statement, redact: Redactor
) -> StatementFailed:
    """The error for statement `number` from PyHive's OperationalError (its Thrift status)."""
    status = getattr(exc.args[0], "status", None) if exc.args else None
    return statement_failed(
        number,
        statement,
        getattr(status, "errorMessage", None) or str(exc),
        getattr(status, "sqlState", None),
        redact,
    )


def first_line(statement: Statement, redact: Redactor) -> str:
    """The statement's first line for progress and errors: secrets masked, at most 80 wide."""
    setting = hive_set(statement.text)
    if setting and is_secret_key(setting[0]):
        return f"SET {setting[0]}={MASK}"
    line = redact(statement.first_line)
    return line if len(line) <= _FIRST_LINE_WIDTH else line[: _FIRST_LINE_WIDTH - 3] + "..."


def session_redactor(
    text: str,
    password: str | None,
    variables: Mapping[str, str],
    configuration: Mapping[str, Any],
) -> Redactor:
    """What a session's log lines and errors must mask: the script's secrets, the LDAP password,
    and secret-named variables and session settings."""
    secrets = script_secrets(text)
    if password:
        secrets.add(password)
    for mapping in (variables, configuration):
        secrets.update(str(v) for k, v in mapping.items() if is_secret_key(k) and v)
    return Redactor(secrets)
