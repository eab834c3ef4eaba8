"""What a local stack runs, as a value: each service as recorded and whether it answers now.

`kiter local status` prints it (or its JSON); kiter.local.stack builds it from the stack folder's
files. This room only describes: it starts, stops and prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiter.local.processes import HOST

MOTO = "moto"
HIVESERVER2 = "hiveserver2"


@dataclass(frozen=True)
class Service:
    """One service of the stack as recorded, and whether it answers right now."""

    name: str
    pid: int
    host: str
    port: int
    url: str
    alive: bool
    log_path: Path

    @property
    def memory_mb(self) -> float | None:
        """Resident memory of the process, from /proc (None when unknown)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "host": self.host,
            "port": self.port,
            "url": self.url,
            "alive": self.alive,
            "log": str(self.log_path),
            "memory_mb": round(self.memory_mb, 1) if self.alive and self.memory_mb else None,
        }


@dataclass(frozen=True)
class StackState:
    """What runs in one stack folder; `started_now` names what this call started."""

    folder: Path
    moto: Service | None
    hiveserver2: Service | None
    started: str | None
    started_now: tuple[str, ...] = ()

    @property
    def services(self) -> list[Service]:
        return [s for s in (self.moto, self.hiveserver2) if s is not None]

    @property
    def alive(self) -> bool:
        return bool(self.services) and all(s.alive for s in self.services)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "started": self.started,
            MOTO: self.moto.to_dict() if self.moto else None,
            HIVESERVER2: self.hiveserver2.to_dict() if self.hiveserver2 else None,
        }


def hiveserver2_url(port: int) -> str:
    return f"jdbc:hive2://{HOST}:{port}/default"
