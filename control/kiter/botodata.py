"""botocore's data files (service models, endpoints), read the way a short-lived command needs.

botocore reads its JSON into OrderedDicts (written before dicts kept their order: parsing the
1.2 MB endpoints.json so costs three times a plain parse) and, before loading any model, lists
every service folder it ships (about 430 folders, each checked, once per kind of file) only to
ask whether the one asked for is among them. For a command that makes three clients and exits,
that was about a fifth of `kiter submit --no-wait` (bench/submit.py). The loader here reads the
same files from the same search path (AWS_DATA_PATH and the config's `data_path` included) into
plain dicts, and asks only the service's own folder whether it has the model.

Nothing here talks to AWS; `kiter.aws` installs it on every session it makes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader


class _PlainJSONFileLoader(JSONFileLoader):
    def _load_file(self, full_path: str, open_method: Any) -> Any:
        try:
            with open_method(full_path, "rb") as fp:
                payload = fp.read().decode("utf-8")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        return json.loads(payload)


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
    session.register_component(
        "data_loader", _KiterLoader(extra_search_paths=extra, file_loader=_PlainJSONFileLoader())
    )
