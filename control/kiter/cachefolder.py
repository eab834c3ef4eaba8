"""kiter's cache folder: what can be made again, kept between commands (the engines Maven
fetched, botocore's parsed data files). `KITER_CACHE`, else `$XDG_CACHE_HOME/kiter`, else
`~/.cache/kiter`; each user of it keeps a folder of its own inside. Nothing here writes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def cache_folder(part: str, env: Mapping[str, str] | None = None) -> Path:
    """The folder `part` keeps its cache in; RuntimeError when there is no home to put it in
    (no HOME and no password entry) and the environment names no other place."""
    env = os.environ if env is None else env
    if env.get("KITER_CACHE"):
        return Path(env["KITER_CACHE"]) / part
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "kiter" / part
