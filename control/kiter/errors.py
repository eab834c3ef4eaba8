"""One exception tree for kiter, and the exit code each branch maps to.

Domain rooms raise these; only `kiter.cli` turns them into a one-line message and an exit code.
Nothing here imports anything else from kiter.
"""

from __future__ import annotations

# Exit codes, documented in README.md ("Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1  # a job, a query, a step or an offline check failed
EXIT_USAGE = 2  # bad command line, kiter.toml, template or variable
EXIT_BUSY = 3  # another holder's lease is live on this logical name
EXIT_REFUSED = 4  # a guard refused: expired stream data, delete while running, ...
EXIT_SERVICE = 5  # an AWS endpoint or HiveServer2 could not be reached or refused us
# Stopped by a signal before the command was done, 128 + the signal's number as shells report a
# process it killed: what became of the iteration is said on the line before.
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (systemctl stop, docker stop)


class KiterError(Exception):
    """Base of every error kiter reports to a user as one line."""

    exit_code = EXIT_FAILED
    # Whether the same iteration tried again later may go through (`kiter run` retries those).
    retryable = True
    # The one line reads `kiter: <kind>: <message>`.
    kind = "error"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageError(KiterError):
    """The command line asked for something that cannot be done as asked."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """kiter.toml, an environment variable or a flag holds a bad value."""


class ConfigErrors(ConfigError):
    """Several problems of one configuration, reported together, one a line (up to `LIMIT`:
    past it, the rest are mostly the first ones' consequences)."""

    LIMIT = 20

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        shown = [str(error) for error in self.errors[: self.LIMIT]]
        more = len(self.errors) - self.LIMIT
        return shown + ([f"{more} more problems not shown: fix these first"] if more > 0 else [])

    def __str__(self) -> str:
        return self.message


class MissingTable(ConfigError):
    """A DynamoDB table kiter.toml names does not exist: setting up, not a service failure, so the
    same exit code whichever command found it (and `kiter run` stops instead of retrying)."""

    def __init__(self, *tables: str, region: str = "") -> None:
        where = f" in {region}" if region else ""
        super().__init__(
            f"table {' or '.join(tables)} does not exist{where}: "
            "`kiter metastore create` creates it"
        )


class SettingError(UsageError):
    """A checkpoint setting would break a SET line or the connector."""


class TemplateError(UsageError):
    """A Jinja template failed to load or render."""


class JobFailed(KiterError):
    """The engine reported that a script, step or query failed."""

    exit_code = EXIT_FAILED


class IterationBusy(KiterError):
    """Another claim holds an unexpired lease on the logical name."""

    exit_code = EXIT_BUSY


class LeaseLost(IterationBusy):
    """This process no longer holds the iteration it was running: another claim took it over.

    Nothing is recorded for the iteration by this process; what it started was cancelled unless
    the attempt that took over follows it.
    """


class Refused(KiterError):
    """A guard stopped an action that would lose data or fail for sure."""

    exit_code = EXIT_REFUSED


class LedgerDamaged(Refused):
    """An item of the ledger is missing or malformed: kiter refuses to guess what happened."""


class ServiceError(KiterError):
    """An AWS API or a HiveServer2 could not be reached or answered with an error."""

    exit_code = EXIT_SERVICE
    # What an AWS API answered, for callers that act on it (a throttle, a missing thing): its
    # error code and HTTP status ('' and 0 when it did not answer).
    code = ""
    status = 0


class Unfixable(ServiceError):
    """A service answered that no retry can change: credentials, permissions, missing things."""

    retryable = False


class Interrupted(KiterError):
    """The user or the system asked kiter to stop (SIGINT / SIGTERM); the command line exits 143
    when SIGTERM asked."""

    exit_code = EXIT_INTERRUPTED
