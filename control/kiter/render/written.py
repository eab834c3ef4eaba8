"""Rendered scripts written where `kiter render --out` puts them, with their manifest.

Writes files only; it renders nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiter.errors import UsageError

if TYPE_CHECKING:
    from kiter.render.rendered import Rendered


def write_rendered(rendered: Rendered, out_dir: Path) -> Path:
    """Write `<out>/<job>/<iteration>.<ext>` and record it in `<out>/manifest.json`, atomically."""
    try:
        return _write_rendered(rendered, out_dir)
    except OSError as exc:
        where = exc.filename or out_dir
        raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from None


def _write_rendered(rendered: Rendered, out_dir: Path) -> Path:
    target = out_dir / rendered.job / f"{rendered.iteration}.{rendered.extension}"
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, rendered.text)
    manifest_path = out_dir / "manifest.json"
    manifest: dict[str, Any] = {"scripts": {}}
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UsageError(
                f"{manifest_path} is not a kiter manifest; not overwriting it"
            ) from None
    key = f"{rendered.job}/{rendered.iteration}"
    entry = rendered.manifest_entry() | {"path": str(target.relative_to(out_dir))}
    manifest.setdefault("scripts", {})[key] = entry
    _atomic_write(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return target


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
