"""What EMR steps and EMR Serverless job runs keep in S3: their scripts, and the logs EMR pushes.

Scripts go to `<script_prefix>/<logical>/<iteration>/<attempt>/<job>.hql|.pig|.sh` with SSE. A
script holding cross-account keys runs from a copy under `<attempt>/_run/`, deleted when its step
ends (by whichever attempt follows it there) or by the next attempt of the iteration; the copy that
stays is masked. The project files a streaming or jar step needs (its programs, its jar) go beside
the script, under `<attempt>/files/` by their path in the project, and stay as a record of what
ran. Step and task logs are read where EMR pushes them, waiting a bounded time for the first; a
Hadoop job's output is replaced (its objects deleted) and read back here too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from kiter import s3files
from kiter.aws import error_code, is_aws_error, service_error
from kiter.echo import Echo, no_echo
from kiter.errors import ConfigError, UsageError
from kiter.targets.base import Script
from kiter.targets.partrows import is_part_file, part_lines
from kiter.targets.steplogs import read_gz

LOG_FILES = ("stderr", "controller", "syslog")
# Under an attempt's script folder: copies of scripts that hold secrets, deleted after their step.
RUN_COPY_FOLDER = "_run"
# Under an attempt's script folder: the project files a streaming or jar step needs.
SHIPPED_FOLDER = "files"
# A failed job of many tasks leaves a log folder for each: the first ones are enough to explain it.
_MAX_TASK_LOGS = 50

_S3Error = (ClientError, BotoCoreError)
_Found = TypeVar("_Found", dict[str, str], list[tuple[str, int]])


def split_s3_url(url: str, *, what: str, where: str | None = None) -> tuple[str, str]:
    """('bucket', 'key/prefix') of an s3://bucket/key/prefix URL, without trailing slash."""
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        raise ConfigError(f"{what} must look like s3://bucket/prefix, got {url!r}", where=where)
    return bucket, prefix.strip("/")


class StepFiles:
    """The S3 side of one EMR target: its script prefix, the run copies, the step logs."""

    def __init__(
        self,
        s3: Any,
        script_prefix: str,
        *,
        name: str,
        echo: Echo = no_echo,
        longest_poll: float = 30,
        log_wait_seconds: float = 600,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        workdir: Path | None = None,
    ) -> None:
        self.s3 = s3
        self.name = name
        self.workdir = workdir  # the project folder: shipped files keep their path in it
        self.bucket, self.prefix = split_s3_url(script_prefix, what="script_prefix", where=name)
        self.echo = echo
        self.longest_poll = longest_poll
        self.log_wait_seconds = log_wait_seconds  # how long a failed run's logs are waited for
        self.clock = clock
        self.sleep = sleep

    def script_url(self, script: Script) -> str:
        """Where the step reads the script (the run copy when the script holds secrets)."""
        run_copy = script.record_text is not None and script.record_text != script.text
        return f"s3://{self.bucket}/{self.script_key(script, run_copy=run_copy)}"

    def _iteration_key(self, script: Script) -> str:
        tail = f"{script.logical_name}/{script.iteration}"
        return f"{self.prefix}/{tail}" if self.prefix else tail

    def script_key(self, script: Script, *, run_copy: bool = False) -> str:
        folder = f"{self._iteration_key(script)}/{script.attempt}"
        if run_copy:
            folder += f"/{RUN_COPY_FOLDER}"
        return f"{folder}/{script.job}.{script.extension}"

    def upload(self, script: Script) -> None:
        """The script the step runs; with secrets in it, also the masked copy kept on record.

        A script holding cross-account keys runs from `<attempt>/_run/`, an object deleted when
        its step ends (by whichever attempt follows it there); the copy that stays is masked.
        """
        run_copy = script.record_text is not None and script.record_text != script.text
        shipped = script.command.project_files if script.command is not None else ()
        self._check_shippable(script, shipped)
        if script.attempt > 1 or run_copy:
            # Only an earlier attempt of this iteration can have left one (a first attempt
            # spares the listing: a submit's calls are its cost, bench/submit.py).
            self._delete_stale_run_copies(script)
        copies = [(self.script_key(script), script.record_text or script.text)]
        if run_copy:
            copies.append((self.script_key(script, run_copy=True), script.text))
        for key, text in copies:
            try:
                self.s3.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=text.encode("utf-8"),
                    ServerSideEncryption="AES256",
                    ContentType="text/plain; charset=utf-8",
                )
            except _S3Error as exc:
                raise service_error(exc, f"upload script to s3://{self.bucket}/{key}") from None
        self.echo(f"uploaded {script.job}.{script.extension} to s3://{self.bucket}/{copies[0][0]}")
        for path in shipped:
            self._upload_file(path, self.shipped_key(script, path))

    def _check_shippable(self, script: Script, paths: tuple[str, ...]) -> None:
        """Every project file the step needs is a file, checked before anything goes up: a
        refused step leaves no half record in S3."""
        for path in paths:
            if Path(path).is_file():
                continue
            what = "a folder" if Path(path).is_dir() else "not a file"
            raise UsageError(
                f"job {script.job} ships {self.shipped_name(path)}, which is {what}: a step "
                "reads files (-files, its jar); name each (kiter validate checks them)"
            )

    def shipped_name(self, path: str) -> str:
        """How a project file is named under `files/`: its path in the project (its name when it
        is outside the project), `..` resolved: Hadoop normalizes the URL a step reads it by,
        while an S3 key is taken as written."""
        normal = os.path.normpath(path)
        if self.workdir is not None:
            try:
                return Path(normal).relative_to(os.path.normpath(self.workdir)).as_posix()
            except ValueError:
                pass
        return PurePosixPath(normal).name

    def shipped_key(self, script: Script, path: str) -> str:
        folder = f"{self._iteration_key(script)}/{script.attempt}/{SHIPPED_FOLDER}"
        return f"{folder}/{self.shipped_name(path)}"

    def shipped_url(self, script: Script, path: str) -> str:
        """Where a step reads a project file the job needs (`-files`, a custom JAR step's jar)."""
        return f"s3://{self.bucket}/{self.shipped_key(script, path)}"

    def _upload_file(self, path: str, key: str) -> None:
        # A jar may need multipart: s3files takes boto3's managed transfer for a big file.
        try:
            s3files.upload(
                self.s3, Path(path), self.bucket, key, {"ServerSideEncryption": "AES256"}
            )
        except Exception as exc:
            if is_aws_error(exc):
                raise service_error(exc, f"upload {path} to s3://{self.bucket}/{key}") from exc
            if isinstance(exc, OSError):
                raise UsageError(f"cannot upload {path}: {exc.strerror or exc}") from None
            raise
        self.echo(f"uploaded {self.shipped_name(path)} to s3://{self.bucket}/{key}")

    def _delete_stale_run_copies(self, script: Script) -> None:
        """Run copies of earlier attempts whose steps are over (a crash left them behind)."""
        prefix = self._iteration_key(script) + "/"
        try:
            keys = s3files.list_keys(self.s3, self.bucket, prefix)
            for key in (k for k in keys if f"/{RUN_COPY_FOLDER}/" in k):
                self.s3.delete_object(Bucket=self.bucket, Key=key)
        except _S3Error as exc:
            raise service_error(exc, f"clean up s3://{self.bucket}/{prefix}") from None

    def delete_run_copy_at(self, url: str) -> None:
        """The run reading the script at `url` is over: a secret-holding copy there goes."""
        if f"/{RUN_COPY_FOLDER}/" not in url:
            return
        bucket, key = split_s3_url(url, what="script URL", where=self.name)
        try:
            self.s3.delete_object(Bucket=bucket, Key=key)
        except _S3Error as exc:
            self.echo(f"warning: could not delete {url} (it holds secrets): {exc}")

    def run_logs(
        self,
        url: str,
        *,
        ran: bool,
        wait_for_logs: bool,
        wait_seconds: float | None,
        names: tuple[str, ...] = LOG_FILES,
        what: str = "step logs",
    ) -> tuple[dict[str, str], float, bool]:
        """A failed run's logs at `url`; (logs, the wait budget, whether it was waited for).
        Only a run that ran is waited for: one cancelled or refused before it started has no logs
        to come. `wait_seconds` None: `log_wait_seconds`."""
        budget = self.log_wait_seconds if wait_seconds is None else wait_seconds
        waited = wait_for_logs and ran
        logs = self.fetch_logs(url, budget if waited else 0, names=names, what=what)
        return logs, budget, waited

    def fetch_logs(
        self,
        url: str,
        wait_seconds: float,
        *,
        names: tuple[str, ...] = LOG_FILES,
        what: str = "step logs",
    ) -> dict[str, str]:
        """The logs `<url><name>.gz` present, waiting up to wait_seconds for the first to appear."""
        bucket, prefix = split_s3_url(url, what="log URL", where=self.name)
        return self._waited(
            lambda: self._read_logs(bucket, prefix, names),
            wait_seconds,
            f"waiting up to {wait_seconds:.0f} s for EMR to push {what} to {url}",
        )

    def _waited(self, look: Callable[[], _Found], wait_seconds: float, waiting: str) -> _Found:
        """`look()` again until it finds something or `wait_seconds` pass (EMR pushes logs about
        every 5 minutes); `waiting` is said once, when it first has to wait."""
        deadline = self.clock() + wait_seconds
        announced = False
        while True:
            found = look()
            remaining = deadline - self.clock()
            if found or remaining <= 0:
                return found
            if not announced:
                self.echo(waiting)
                announced = True
            self.sleep(min(self.longest_poll, remaining))

    def _read_logs(self, bucket: str, prefix: str, names: tuple[str, ...]) -> dict[str, str]:
        logs: dict[str, str] = {}
        for name in names:
            key = f"{prefix}/{name}.gz"
            try:
                body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except ClientError as exc:
                if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                    continue
                raise service_error(exc, f"read s3://{bucket}/{key}") from None
            except BotoCoreError as exc:
                raise service_error(exc, f"read s3://{bucket}/{key}") from None
            logs[name] = read_gz(body)
        return logs

    def replace_output(self, url: str) -> int:
        """Delete what a Hadoop job wrote at `url` (the objects under `url/`, the object `url`
        itself and EMRFS's `url_$folder$` marker), so that its next run writes it anew; returns
        how many objects went."""
        bucket, prefix = split_s3_url(url, what="output", where=self.name)
        if not prefix:
            raise UsageError(f"output {url} is a whole bucket, which a rerun would empty")
        keys = [
            key
            for key in self._keys(bucket, prefix, f"replace output {url}")
            if key in (prefix, f"{prefix}/", f"{prefix}_$folder$") or key.startswith(f"{prefix}/")
        ]
        try:
            failed = s3files.delete_keys(self.s3, bucket, keys)
        except _S3Error as exc:
            raise service_error(exc, f"replace output {url}") from None
        if failed:
            first = failed[0]
            raise UsageError(
                f"could not delete s3://{bucket}/{first.get('Key')} of output {url}: "
                f"{first.get('Code')}: {first.get('Message')}"
            )
        return len(keys)

    def part_lines(self, url: str) -> Iterator[str]:
        """The lines of the `part-*` objects right under `url/`, in name order."""
        bucket, prefix = split_s3_url(url, what="output", where=self.name)
        parts = sorted(
            key
            for key in self._keys(bucket, f"{prefix}/", f"read output {url}")
            if "/" not in key[len(prefix) + 1 :] and is_part_file(key[len(prefix) + 1 :])
        )
        for key in parts:
            try:
                body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
                lines = part_lines(f"s3://{bucket}/{key}", body)
                yield from (line.rstrip("\r\n") for line in lines)
            except _S3Error as exc:
                raise service_error(exc, f"read s3://{bucket}/{key}") from None

    def task_logs(
        self, url: str, wait_seconds: float, *, names: tuple[str, ...] = ("stderr", "syslog")
    ) -> dict[str, str]:
        """The task logs (`<name>.gz`, any depth) under `url`, by their s3:// URL, waiting up to
        wait_seconds for the first to appear."""
        bucket, prefix = split_s3_url(url, what="log URL", where=self.name)
        wanted = tuple(f"/{name}.gz" for name in names)
        keys = self._waited(
            lambda: [
                (key, size)
                for key, size in self._sized_keys(bucket, f"{prefix}/", f"list {url}")
                if key.endswith(wanted)
            ],
            wait_seconds,
            f"waiting up to {wait_seconds:.0f} s for EMR to push task logs to {url}",
        )
        # A task that failed wrote more than one that did not (an empty log is a 20-byte gzip):
        # the first `names` first, the longest logs first.
        keys.sort(key=lambda item: (not item[0].endswith(wanted[0]), -item[1], item[0]))
        logs = {}
        for key, _ in keys[:_MAX_TASK_LOGS]:
            try:
                body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except _S3Error as exc:
                raise service_error(exc, f"read s3://{bucket}/{key}") from None
            logs[f"s3://{bucket}/{key}"] = read_gz(body)
        return logs

    def _keys(self, bucket: str, prefix: str, action: str) -> list[str]:
        return [key for key, _ in self._sized_keys(bucket, prefix, action)]

    def _sized_keys(self, bucket: str, prefix: str, action: str) -> list[tuple[str, int]]:
        try:
            return s3files.objects_under(self.s3, bucket, prefix)
        except _S3Error as exc:
            raise service_error(exc, action) from None
