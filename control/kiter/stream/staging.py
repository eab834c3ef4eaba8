"""Staging: where staged mode puts an iteration's records for a Hive script to read as a partition.

Layout (kiter/layout.py): `<url>/<logical>/iteration=<N>/<shard>.<ext>`, one file per shard that
had records. A
partition is written under a temporary name and made visible only by `commit()`, so a crashed or
failed read leaves nothing a query picks up; Hive and Spark skip names starting with `_` or `.`.

- `file:///abs/path`: files go to a hidden sibling `<logical>/_tmp-iteration=N-<uuid>/`, fsynced,
  then renamed into place. Replacing an existing partition takes two renames (old one aside to
  `_old-...`, new one in) and then a delete: a query running in between sees no partition at all
  for a moment, never a partial or mixed one. Leftover `_tmp-`/`_old-` folders of the same
  iteration (from a crash) are removed on the next commit.
- `s3://bucket/prefix`: each shard file is spooled to local disk while reading (bounded memory),
  uploaded under `<logical>/_tmp-iteration=N-<uuid>/` on commit, then server-side copied to the
  partition prefix, stale objects of an older version of the partition deleted, and the temp prefix
  deleted. S3 makes each object atomic, not a prefix: a query during commit may see some new
  files beside old ones. A crash before the copy leaves only the ignored temp prefix, and a local
  spool folder `kiter-stage-<url hash>-<logical>-<N>-<pid>-*` in the system temp folder; both are
  removed when that iteration is staged again (a spool only once its process is gone: a holder
  stopped past its lease keeps its own, and finds out at its lease check, not by a crash).

This room writes bytes and knows nothing about Kinesis or the ledger; one writer per (logical,
iteration) at a time is the caller's job (the ledger's lease).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self
from urllib.parse import unquote, urlparse

from kiter import s3files
from kiter.aws import is_aws_error, service_error
from kiter.errors import ServiceError, UsageError
from kiter.layout import (
    partition_name,
    partition_url,
    replaced_prefix,
    table_url,
    temporary_prefix,
)
from kiter.stream.formats import RecordFormat, as_format

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.=-]*$")


def _check_name(kind: str, name: str) -> str:
    # A name starting with _ or . would be ignored by Hive; a slash would change the layout.
    if not _SAFE_NAME.match(name):
        raise UsageError(
            f"{kind} {name!r} cannot name a staging folder: use letters, digits, '_', '-', '.', "
            "starting with a letter or digit"
        )
    return name


class PartitionWriter(Protocol):
    """One iteration's partition being written; nothing is visible until commit()."""

    fmt: RecordFormat

    def shard_file(self, shard_id: str) -> IO[bytes]:
        """The open binary file for a shard (the same one on every call)."""
        ...

    def commit(self) -> None:
        """Make the partition visible, replacing any earlier version of it."""
        ...

    def abort(self) -> None:
        """Throw away what was written (idempotent; nothing after commit)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Staging(Protocol):
    """A staging root (file:// or s3://)."""

    url: str

    def partition(
        self, logical: str, iteration: int, fmt: RecordFormat | str
    ) -> PartitionWriter: ...

    def partition_location(self, logical: str, iteration: int) -> str: ...

    def partition_exists(self, logical: str, iteration: int) -> bool:
        """Whether a committed partition of this iteration is there."""
        ...

    def table_location(self, logical: str) -> str: ...


class _WriterBase:
    """Shared shape: lazily opened shard files, commit on clean exit, abort on exception."""

    def __init__(self, fmt: RecordFormat, folder: Path) -> None:
        self.fmt = fmt
        self._folder = folder
        self._files: dict[str, IO[bytes]] = {}
        self._done = False

    def shard_file(self, shard_id: str) -> IO[bytes]:
        if self._done:
            raise RuntimeError("partition writer already committed or aborted")
        handle = self._files.get(shard_id)
        if handle is None:
            name = f"{_check_name('shard id', shard_id)}.{self.fmt.extension}"
            handle = open(self._folder / name, "wb")  # noqa: SIM115 - closed at commit/abort
            self._files[shard_id] = handle
        return handle

    def _close_files(self, sync: bool) -> None:
        for handle in self._files.values():
            if not handle.closed:
                if sync:
                    handle.flush()
                    os.fsync(handle.fileno())
                handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.commit()

    def commit(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


# --- file:// ----------------------------------------------------------------------------------


class LocalStaging:
    """A staging root on a local or mounted file system."""

    def __init__(self, url: str, root: Path) -> None:
        self.url = url.rstrip("/")
        self.root = root

    def partition(
        self, logical: str, iteration: int, fmt: RecordFormat | str
    ) -> LocalPartitionWriter:
        table = self.root / _check_name("logical name", logical)
        table.mkdir(parents=True, exist_ok=True)
        tmp = table / f"{temporary_prefix(iteration)}{uuid.uuid4().hex}"
        tmp.mkdir()
        return LocalPartitionWriter(
            as_format(fmt), tmp, table / partition_name(iteration), int(iteration)
        )

    def partition_exists(self, logical: str, iteration: int) -> bool:
        return (
            self.root / _check_name("logical name", logical) / f"iteration={iteration}"
        ).is_dir()

    def partition_location(self, logical: str, iteration: int) -> str:
        return partition_url(self.url, _check_name("logical name", logical), iteration)

    def table_location(self, logical: str) -> str:
        return table_url(self.url, _check_name("logical name", logical))


class LocalPartitionWriter(_WriterBase):
    def __init__(self, fmt: RecordFormat, tmp: Path, final: Path, iteration: int) -> None:
        super().__init__(fmt, tmp)
        self.final = final
        self.temporary_prefix = temporary_prefix(iteration)
        self.replaced_prefix = replaced_prefix(iteration)

    def commit(self) -> None:
        if self._done:
            return
        self._close_files(sync=True)
        _fsync_dir(self._folder)
        parent = self.final.parent
        old = parent / f"{self.replaced_prefix}{uuid.uuid4().hex}"
        if self.final.exists():
            os.rename(self.final, old)
        os.rename(self._folder, self.final)
        _fsync_dir(parent)
        self._done = True
        shutil.rmtree(old, ignore_errors=True)
        for stale in parent.iterdir():
            if (
                stale.name.startswith((self.temporary_prefix, self.replaced_prefix))
                and stale.is_dir()
            ):
                shutil.rmtree(stale, ignore_errors=True)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._close_files(sync=False)
        shutil.rmtree(self._folder, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- s3:// ------------------------------------------------------------------------------------


class S3Staging:
    """A staging root under an S3 bucket and prefix."""

    def __init__(self, url: str, bucket: str, prefix: str, s3_client: Any) -> None:
        self.url = url.rstrip("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.s3 = s3_client

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def partition(self, logical: str, iteration: int, fmt: RecordFormat | str) -> S3PartitionWriter:
        _check_name("logical name", logical)
        name = partition_name(iteration)
        # One writer per iteration at a time (the lease): what an earlier, crashed writer of this
        # iteration left (temp objects, a local spool) is removed before writing again.
        stale = s3files.list_keys(
            self.s3, self.bucket, self._key(logical, temporary_prefix(iteration))
        )
        if stale:
            _delete_staged(self.s3, self.bucket, stale)
        spool_prefix = f"kiter-stage-{_digest(self.url)}-{logical}-{int(iteration)}-"
        for leftover in Path(tempfile.gettempdir()).glob(spool_prefix + "*"):
            if not _alive(leftover.name[len(spool_prefix) :].split("-", 1)[0]):
                shutil.rmtree(leftover, ignore_errors=True)
        return S3PartitionWriter(
            as_format(fmt),
            self,
            tmp_key=self._key(logical, f"{temporary_prefix(iteration)}{uuid.uuid4().hex}"),
            final_key=self._key(logical, name),
            spool_prefix=f"{spool_prefix}{os.getpid()}-",
        )

    def partition_exists(self, logical: str, iteration: int) -> bool:
        prefix = self._key(_check_name("logical name", logical), partition_name(iteration) + "/")
        try:
            out = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        except Exception as exc:
            if is_aws_error(exc):
                raise service_error(exc, f"look for s3://{self.bucket}/{prefix}") from exc
            raise
        return bool(out.get("KeyCount") or out.get("Contents"))

    def partition_location(self, logical: str, iteration: int) -> str:
        return partition_url(self.url, _check_name("logical name", logical), iteration)

    def table_location(self, logical: str) -> str:
        return table_url(self.url, _check_name("logical name", logical))


def _alive(pid: str) -> bool:
    """Whether the process that named a spool folder runs on (a name without a pid: no)."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class S3PartitionWriter(_WriterBase):
    def __init__(
        self,
        fmt: RecordFormat,
        staging: S3Staging,
        *,
        tmp_key: str,
        final_key: str,
        spool_prefix: str = "kiter-stage-",
    ) -> None:
        self._spool = tempfile.TemporaryDirectory(prefix=spool_prefix)
        super().__init__(fmt, Path(self._spool.name))
        self._staging = staging
        self.tmp_key = tmp_key
        self.final_key = final_key

    def commit(self) -> None:
        if self._done:
            return
        s3, bucket = self._staging.s3, self._staging.bucket
        self._close_files(sync=False)
        sizes = {p.name: p.stat().st_size for p in self._folder.iterdir()}
        names = sorted(sizes)
        try:
            for name in names:
                s3files.upload(s3, self._folder / name, bucket, f"{self.tmp_key}/{name}")
            existing = s3files.list_keys(s3, bucket, self.final_key + "/")
            for name in names:
                tmp = f"{self.tmp_key}/{name}"
                s3files.copy(s3, bucket, tmp, sizes[name], f"{self.final_key}/{name}")
            wanted = {f"{self.final_key}/{n}" for n in names}
            _delete_staged(s3, bucket, [k for k in existing if k not in wanted])
            _delete_staged(s3, bucket, [f"{self.tmp_key}/{n}" for n in names])
        except Exception as exc:
            if is_aws_error(exc):
                raise service_error(exc, f"staging s3://{bucket}/{self.final_key}") from exc
            raise
        finally:
            self._done = True
            self._spool.cleanup()

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._close_files(sync=False)
        self._spool.cleanup()
        # Cleanup must not hide the error being raised; leftovers sit under an ignored name.
        with contextlib.suppress(Exception):
            _delete_staged(
                self._staging.s3,
                self._staging.bucket,
                s3files.list_keys(self._staging.s3, self._staging.bucket, self.tmp_key + "/"),
            )


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:10]


def open_staging(url: str, *, s3_client: Any = None) -> LocalStaging | S3Staging:
    """A staging root for `file:///abs/path` or `s3://bucket/prefix` (s3 needs `s3_client`)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise UsageError(f"staging url {url!r}: file URLs take no host (file:///abs/path)")
        path = Path(unquote(parsed.path))
        if not path.is_absolute() or not parsed.path:
            raise UsageError(f"staging url {url!r} needs an absolute path (file:///abs/path)")
        path.mkdir(parents=True, exist_ok=True)
        return LocalStaging(f"file://{path}", path)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise UsageError(f"staging url {url!r} names no bucket (s3://bucket/prefix)")
        if s3_client is None:
            raise UsageError("an s3:// staging url needs an S3 client")
        return S3Staging(url, parsed.netloc, parsed.path, s3_client)
    raise UsageError(f"staging url {url!r}: use file:///abs/path or s3://bucket/prefix")


def _delete_staged(s3: Any, bucket: str, keys: list[str]) -> None:
    """Delete staged objects; a key S3 refuses is an error (the first call with one stops)."""
    refused = s3files.delete_keys(s3, bucket, keys)
    if refused:
        first = refused[0]
        raise ServiceError(
            f"could not delete {len(refused)} staged object(s) in s3://{bucket}, e.g. "
            f"{first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".rstrip()
        )
