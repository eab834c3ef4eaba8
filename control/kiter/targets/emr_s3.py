"""What EMR steps and EMR Serverless job runs keep in S3: their scripts, and the logs EMR pushes.

Scripts go to `<script_prefix>/<logical>/<iteration>/<attempt>/<job>.hql|.pig` with SSE. A script
holding cross-account keys runs from a copy under `<attempt>/_run/`, deleted when its step ends
(by whichever attempt follows it there) or by the next attempt of the iteration; the copy that
stays is masked. Step logs are read where EMR pushes them, waiting a bounded time for the first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kiter.aws import error_code, service_error
from kiter.echo import Echo, no_echo
from kiter.errors import ConfigError
from kiter.targets.base import Script
from kiter.targets.steplogs import read_gz

LOG_FILES = ("stderr", "controller", "syslog")
# Under an attempt's script folder: copies of scripts that hold secrets, deleted after their step.
RUN_COPY_FOLDER = "_run"

_S3Error = (ClientError, BotoCoreError)


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
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.s3 = s3
        self.name = name
        self.bucket, self.prefix = split_s3_url(script_prefix, what="script_prefix", where=name)
        self.echo = echo
        self.longest_poll = longest_poll
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

    def _delete_stale_run_copies(self, script: Script) -> None:
        """Run copies of earlier attempts whose steps are over (a crash left them behind)."""
        prefix = self._iteration_key(script) + "/"
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            stale = [
                obj["Key"]
                for page in pages
                for obj in page.get("Contents", [])
                if f"/{RUN_COPY_FOLDER}/" in obj["Key"]
            ]
            for key in stale:
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
        deadline = self.clock() + wait_seconds
        announced = False
        while True:
            logs = self._read_logs(bucket, prefix, names)
            remaining = deadline - self.clock()
            if logs or remaining <= 0:
                return logs
            if not announced:
                self.echo(f"waiting up to {wait_seconds:.0f} s for EMR to push {what} to {url}")
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
