"""Backups of nbgrader's SQLite gradebook, and restoring one (``tools.py backups`` / ``undo``).

A backup is a complete copy of the database made with SQLite's online backup API
(:meth:`sqlite3.Connection.backup`): it is consistent even while another process (the formgrader,
a grading run) has the database open, which a plain file copy is not. Backups are named
``gradebook-<UTC stamp>-<label>.db``; the stamp has a fixed width, so name order is time order.
A backup is written under a temporary name and renamed when complete, so a half-written file is
never listed. Only the newest ``keep`` backups are kept.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["backup", "list_backups", "restore", "describe"]

PREFIX = "gradebook-"
_NAME = re.compile(r"^gradebook-(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<label>[A-Za-z0-9._-]+)\.db$")
_STAMP = "%Y%m%dT%H%M%S.%fZ"


def _copy(src: sqlite3.Connection, dest: sqlite3.Connection) -> None:
    """Copy the whole of *src* into *dest* in one step (one consistent snapshot of *src*)."""
    src.backup(dest, pages=-1)


def _safe_label(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._-") or "backup"


def backup(db: Path, folder: Path, label: str, keep: int) -> Path:
    """Copy the database *db* into *folder* as ``gradebook-<UTC stamp>-<label>.db``.

    Then delete all but the newest *keep* backups in *folder*; returns the new backup's path.
    Raises ``FileNotFoundError`` if *db* does not exist (SQLite would create an empty one).
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    db, folder = Path(db), Path(folder)
    if not db.is_file():
        raise FileNotFoundError(f"no gradebook at {db}")
    folder.mkdir(parents=True, exist_ok=True)
    while True:  # two backups within one microsecond get two names
        stamp = datetime.now(timezone.utc).strftime(_STAMP)
        path = folder / f"{PREFIX}{stamp}-{_safe_label(label)}.db"
        if not path.exists():
            break
    tmp = path.with_name(path.name + ".partial")
    try:
        with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(tmp)) as dest:
            _copy(src, dest)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    for old in list_backups(folder)[keep:]:
        old.unlink(missing_ok=True)
    return path


def list_backups(folder: Path) -> list[Path]:
    """The backups in *folder*, newest first (files of other names are left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_file() and _NAME.match(p.name)),
                  key=lambda p: p.name, reverse=True)


def describe(path: Path) -> dict[str, str]:
    """``{"taken": "2026-01-31 12:00:05 UTC", "label": "autograde-case_plan"}`` from a backup's name."""
    m = _NAME.match(Path(path).name)
    if not m:
        raise ValueError(f"not a gradebook backup: {path}")
    taken = datetime.strptime(m["stamp"], _STAMP).strftime("%Y-%m-%d %H:%M:%S UTC")
    return {"taken": taken, "label": m["label"]}


def restore(db: Path, folder: Path, keep: int, which: Path | None = None,
            label: str = "undo") -> tuple[Path, Path | None]:
    """Put backup *which* (default: the newest in *folder*) back into the database *db*.

    The current database is backed up first (as a backup labelled *label*), so a restore can itself
    be undone; returns ``(restored backup, backup of the database as it was)`` (the second is
    ``None`` when *db* did not exist). The chosen backup is read into memory before anything
    changes, so pruning old backups cannot remove it, and an unreadable backup changes nothing.
    The database is overwritten through SQLite's backup API, which takes SQLite's locks: a
    process that has the database open sees the old or the new gradebook, never a mix.
    """
    db, folder = Path(db), Path(folder)
    if which is None:
        found = list_backups(folder)
        if not found:
            raise FileNotFoundError(f"no gradebook backups in {folder}")
        which = found[0]
    which = Path(which)
    if not which.is_file():
        raise FileNotFoundError(f"no backup {which}")
    with closing(sqlite3.connect(":memory:")) as memory:
        with closing(sqlite3.connect(f"{which.resolve().as_uri()}?mode=ro", uri=True)) as src:
            _copy(src, memory)
        (check,) = memory.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise sqlite3.DatabaseError(f"{which} is damaged: {check}")
        before = backup(db, folder, label, keep) if db.is_file() else None
        with closing(sqlite3.connect(db)) as dest:
            _copy(memory, dest)
    return which, before
