"""botocore's data files (service models, endpoints), read the way a short-lived command needs.

botocore reads its JSON into OrderedDicts (written before dicts kept their order: parsing the
1.2 MB endpoints.json so costs three times a plain parse) and, before loading any model, lists
every service folder it ships (about 430 folders, each checked, once per kind of file) only to
ask whether the one asked for is among them. For a command that makes three clients and exits,
that was about a fifth of `kiter submit --no-wait` (bench/submit.py). The loader here reads the
same files from the same search path (AWS_DATA_PATH and the config's `data_path` included) into
plain dicts, and asks only the service's own folder whether it has the model.

Parsing that JSON was still the largest part of making a client (about 17 ms for a submit's four
services and the endpoints file): each file parsed is kept in kiter's cache folder as marshal
data (`$KITER_CACHE/botocore`, else `$XDG_CACHE_HOME/kiter/botocore`, else
`~/.cache/kiter/botocore`), which loads in a third of the time. An entry is used only when it is
whole (its CRC-32 matches) and was made from the same file as it is now (path, size, modification
and change times, inode) by the same botocore and Python; anything else, an unreadable or a
corrupt entry included, is read from the JSON as before and the entry written again (atomically:
a new file renamed into place). The folder can be deleted at any time. It is trusted as Python
trusts its own `__pycache__`: marshal data in a folder of the user's.

Nothing here talks to AWS; `kiter.aws` installs it on every session it makes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import botocore
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader

from kiter.cachefolder import cache_folder as kiter_cache

# Part of every entry's signature: a new layout of entries makes the old ones misses.
_FORMAT = 1
_CRC_BYTES = 4
_STALE_WRITE_S = 3600.0


def cache_folder(env: Mapping[str, str] | None = None) -> Path | None:
    """Where parsed data files are kept (kiter.cachefolder); None when there is no home folder
    to put it in."""
    try:
        return kiter_cache("botocore", env)
    except RuntimeError:  # no HOME and no password entry
        return None


def _only_ours(folder: Path) -> bool:
    """Whether only this user can write in `folder` (or it is not there yet: it is made so).
    Its entries are loaded as Python loads its own bytecode: a folder others can write in, or
    another user's, is not used."""
    try:
        info = folder.stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


class _ParsedCache:
    """Parsed JSON data files, one marshal file each, keyed by the data file's path."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _entry(self, full_path: str) -> Path:
        name = f"{sys.version_info[0]}.{sys.version_info[1]}\0{full_path}"
        return self.folder / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.marshal"

    @staticmethod
    def signature(full_path: str, st: os.stat_result) -> tuple[Any, ...]:
        return (
            _FORMAT,
            marshal.version,
            tuple(sys.version_info[:2]),
            botocore.__version__,
            full_path,
            st.st_size,
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_ino,
        )

    def get(self, full_path: str, signature: tuple[Any, ...]) -> Any:
        """The data parsed from `full_path` when it was as `signature` says; None otherwise."""
        try:
            with open(self._entry(full_path), "rb") as fp:
                raw = fp.read()
            body = memoryview(raw)[_CRC_BYTES:]  # a view: no copy of a megabyte
            if not body or zlib.crc32(body) != int.from_bytes(raw[:_CRC_BYTES], "big"):
                return None
            kept, data = marshal.loads(body)
        except Exception:  # missing, unreadable, not marshal data: parse the JSON instead
            return None
        if kept != signature or not isinstance(data, dict | list):
            return None
        return data

    def put(self, full_path: str, signature: tuple[Any, ...], data: Any) -> None:
        """Keep `data`; a folder that cannot take it costs the next command a parse, no more."""
        tmp = None
        try:
            payload = marshal.dumps((signature, data))
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fp:
                fp.write(zlib.crc32(payload).to_bytes(_CRC_BYTES, "big"))
                fp.write(payload)
            os.replace(tmp, self._entry(full_path))
            tmp = None
        except (OSError, ValueError):
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._sweep()

    def _sweep(self) -> None:
        """What a process killed while writing an entry left: no write takes an hour."""
        old = time.time() - _STALE_WRITE_S
        with contextlib.suppress(OSError):
            for left in self.folder.glob(".tmp-*"):
                with contextlib.suppress(OSError):
                    if left.stat().st_mtime < old:
                        left.unlink()


class _PlainJSONFileLoader(JSONFileLoader):
    def __init__(self, cache: _ParsedCache | None = None) -> None:
        self.cache = cache

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        signature = None
        if self.cache is not None:  # a stat only where there is a cache to ask
            try:
                signature = _ParsedCache.signature(full_path, os.stat(full_path))
            except (FileNotFoundError, NotADirectoryError):
                return None
            cached = self.cache.get(full_path, signature)
            if cached is not None:
                return cached
        try:
            with open_method(full_path, "rb") as fp:
                payload = fp.read().decode("utf-8")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        data = json.loads(payload)
        if self.cache is not None and signature is not None:
            self.cache.put(full_path, signature, data)
        return data


class _ServicesWith:
    """The services that have a file of one kind (`service-2`, `paginators-1`, ...), asked one
    name at a time: `name in services` looks in that service's folders only. Listed whole
    (`session.get_available_services()`), it is botocore's own list."""

    def __init__(self, loader: _KiterLoader, type_name: str) -> None:
        self.loader = loader
        self.type_name = type_name

    def __iter__(self) -> Iterator[str]:
        return iter(self.loader.every_service(self.type_name))

    def __len__(self) -> int:
        return len(self.loader.every_service(self.type_name))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not name or os.sep in name or name.startswith("."):
            return False
        try:
            return bool(self.loader.list_api_versions(name, self.type_name))
        except (DataNotFoundError, OSError):
            return False


class _KiterLoader(Loader):
    def list_available_services(self, type_name: str) -> Any:
        return _ServicesWith(self, type_name)

    def every_service(self, type_name: str) -> list[str]:
        listed: list[str] = super().list_available_services(type_name)
        return listed


def install(session: Any) -> None:
    """Give `session` (a botocore Session) the loader, on the search path botocore would use."""
    paths = session.get_config_variable("data_path")
    extra = (
        [os.path.expanduser(os.path.expandvars(p)) for p in paths.split(os.pathsep)]
        if paths
        else None
    )
    folder = cache_folder()
    cache = _ParsedCache(folder) if folder is not None and _only_ours(folder) else None
    files = _PlainJSONFileLoader(cache)
    session.register_component(
        "data_loader", _KiterLoader(extra_search_paths=extra, file_loader=files)
    )
