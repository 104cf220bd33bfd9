"""Write output files atomically: a reader (or a second writer) sees the old file or the new
one, never a half-written one; nothing is left behind when writing fails. And costlab's JSON
caches (the roofline, the spec summaries): a damaged or missing one reads as empty, and one
that cannot be written only costs the next run its time."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from costlab.errors import CostlabError, OptionError

__all__ = ["write_atomic", "cache_dir", "read_cache", "write_cache"]


def write_atomic(path: Path | str, content: str | bytes, *,
                 error: type[CostlabError] = OptionError) -> None:
    """Writes `content` to a temporary file in `path`'s directory, then renames it over `path`
    (os.replace is atomic on one file system). Raises `error` naming the file, with one line,
    when the directory is missing or not writable; no directory is created. A symbolic link
    stays a link (the file it names is replaced); a device or a pipe (`-o /dev/null`, a FIFO)
    is written in place, never replaced by a file (which, run as root, would replace the
    device itself)."""
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()
    data = content.encode("utf-8") if isinstance(content, str) else content
    if target.exists() and not target.is_file():
        try:
            with target.open("wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise error(f"cannot write {target}: {exc.strerror}") from None
        return
    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    except OSError as exc:
        raise error(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        mode = target.stat().st_mode & 0o7777 if target.exists() else _default_mode()
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise error(f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _default_mode() -> int:
    """What open() would give a new file: 0o666 less the umask (mkstemp makes it 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def cache_dir() -> Path:
    """$COSTLAB_CACHE_DIR, else the user's cache directory ($XDG_CACHE_HOME/costlab, or
    ~/.cache/costlab)."""
    override = os.environ.get("COSTLAB_CACHE_DIR")
    if override:
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "costlab"


def read_cache(path: Path) -> dict[str, Any]:
    """The JSON object in `path`; empty when there is none or it is damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_cache(path: Path, data: dict[str, Any]) -> bool:
    """Writes `data` atomically, creating the directory; False when it cannot (a read-only
    home), which the caller may ignore: the cache only saves time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    except (OSError, CostlabError):
        return False
    return True
