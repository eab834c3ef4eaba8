"""How kiter's lines on stderr look: as they are, stamped with the time, or one JSON object each.

`kiter run` stamps its lines with the UTC time (it runs for days); `--log-format json` (on `run`
and `submit`) makes every stderr line a JSON object: `{"time": "2024-05-01T12:00:00.123Z",
"level": "info" | "warning" | "error", "source": "kiter" | "engine", "message": "..."}`. The
command sets the format once, before anything is printed; nothing here prints.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from kiter.watch import utc_iso

FORMATS = ("text", "json")
_format = {"json": False, "stamped": False}


def configure(log_format: str = "text", *, stamped: bool = False) -> None:
    """Set how lines look for the rest of this process."""
    _format["json"] = log_format == "json"
    _format["stamped"] = stamped


def is_json() -> bool:
    return _format["json"]


def shown(text: str, level: str = "info", source: str = "kiter") -> str:
    """`text` as it goes to stderr. In text mode an error (kiter's last line) is never stamped:
    it reads the same whatever the command."""
    now = time.time()
    if _format["json"]:
        record = {"time": utc_iso(now), "level": level, "source": source, "message": text}
        return json.dumps(record, ensure_ascii=False)
    if _format["stamped"] and level != "error":
        return f"{datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M:%SZ} {text}"
    return text
