"""The result store: every finished replication, written to the run folder as it completes, so
an interrupted sweep or study resumes where it stopped (issue #15).

One SQLite file, ``results.sqlite`` in the run folder (the standard library's ``sqlite3``):

- **no new dependency** (Parquet would need pyarrow, ~100 MB, for a table a few MB large);
- **atomic commits that survive ``kill -9``**: each finished replication is one transaction in
  write-ahead-log (WAL) mode; a process killed mid-write leaves the last commit intact and
  SQLite rolls the unfinished one back when the file is next opened. A crash, Ctrl-C or
  ``kill -9`` loses at most the replications still being computed (``synchronous=NORMAL``:
  a power cut may lose the last few commits too, never the file);
- **streaming appends**: a row is added per finished replication, in the order the workers
  finish (not gathered into one list and written at the end); Parquet files are written whole
  (a row group at a time), which loses everything since the last group on a kill.

A row is keyed by the scenario's content hash (:func:`scenario_hash`: SHA-256 of its plain
data, so any changed number is another scenario), the master seed and the replication index,
and holds the replication's KPIs (JSON: Python's float text round-trips exactly), its weekly
series (float64 bytes) and its run facts (``meta``). Read back, a replication equals the
computed one to the last bit, so a resumed run writes byte-identical tables.

The store belongs to one question: the file records the **subject** (the hash of the command's
base scenario, or of a study file's content) and the **model version** (``sim.__version__``:
raise it whenever a change to the model changes results). A store written for another subject
or by another model version is refused (never mixed in), and so is a file that is not a store,
or a damaged one; each message names what differs and the fix (another ``--out`` folder, or
delete the store). The simulation never reads the store's bytes as code: KPIs and meta are
JSON, series raw float64 (no pickle).

:mod:`sim.experiment` writes through the store's :meth:`ResultStore.get` and
:meth:`ResultStore.put` from its one runner (``store=`` of ``replicate``, ``sweep``,
``compare``, ``min_staffing``, ``replicate_to_precision`` and ``replicate_many``); the
``worksim`` commands open it in their ``--out`` folder.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .results import RunResult
from .scenario import Scenario

__all__ = ["ResultStore", "StoredSeries", "StoreError", "STORE_NAME", "STORE_FILES", "FORMAT",
           "FORMAT_VERSION", "model_version", "scenario_hash", "open_store", "stored_keys"]

STORE_NAME = "results.sqlite"
"""The store's file name in a run folder."""
STORE_FILES = (STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm")
"""The store and SQLite's write-ahead log and index beside it (present while it is open, or
after a kill)."""
FORMAT = "worksim result store"
FORMAT_VERSION = 1


class StoreError(ValueError):
    """A store that cannot be used: foreign, another model version, damaged, or not a store."""


def model_version() -> str:
    """The version of the model whose results a store holds (``sim.__version__``)."""
    from . import __version__
    return __version__


def _canonical(data: Any) -> Any:
    """Numbers as floats (``730`` and ``730.0`` are the same horizon), containers walked."""
    if isinstance(data, dict):
        return {str(k): _canonical(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_canonical(v) for v in data]
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    return data


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the scenario's plain data with sorted keys and every number as a float:
    the same numbers, the same hash, on any machine."""
    text = json.dumps(_canonical(scenario.to_dict()), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (scenario_hash TEXT PRIMARY KEY, name TEXT NOT NULL,
                                      scenario TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    scenario_hash TEXT NOT NULL, seed INTEGER NOT NULL, replication INTEGER NOT NULL,
    kpis TEXT NOT NULL, series_names TEXT NOT NULL, series BLOB NOT NULL, meta TEXT NOT NULL,
    computed_by TEXT NOT NULL, stored_at TEXT NOT NULL,
    PRIMARY KEY (scenario_hash, seed, replication));
"""


def _fix(path: Path) -> str:
    return (f"give another --out folder, or delete {path} (and {path.name}-wal, "
            f"{path.name}-shm beside it) to start again")


class ResultStore:
    """A run folder's store of finished replications (see the module docstring).

    ``ResultStore(path, subject, label)`` opens or creates the file; ``subject`` is what the
    store is for (a hash) and ``label`` says it in words in messages. Use as a context manager
    or call :meth:`close`. One process writes (the one that runs the sweep); the workers only
    compute.
    """

    def __init__(self, path: str | Path, subject: str, label: str = "",
                 about: Any = None) -> None:
        self.path = Path(path)
        self.subject = subject
        self.label = label or subject[:12]
        self.about = about  # the subject's plain data (JSON-able): a refusal names what differs
        self._hashes: dict[int, tuple[Scenario, str]] = {}
        self._described: set[str] = set()  # scenarios written to the scenarios table
        self.computed_by = f"{socket.gethostname()}:{os.getpid()}"
        existed = self.path.exists()
        if existed and not self.path.is_file():
            raise StoreError(f"{self.path}: is not a file; {_fix(self.path)}.")
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the result store ({exc}); "
                             f"{_fix(self.path)}.") from None
        try:
            self._open(existed)
        except BaseException:
            self._db.close()
            raise

    # -- opening -------------------------------------------------------------------------
    def _damaged(self, why: str) -> StoreError:
        return StoreError(f"{self.path}: not a readable worksim result store ({why}); it may be "
                          f"damaged or another program's file; {_fix(self.path)}.")

    def _open(self, existed: bool) -> None:
        db = self._db
        try:
            if existed:
                with self.path.open("rb") as fh:
                    head = fh.read(16)
                if head != b"SQLite format 3\x00":
                    raise self._damaged("it does not start as an SQLite database")
                check = db.execute("PRAGMA quick_check").fetchall()
                if check != [("ok",)]:
                    raise self._damaged("SQLite's check found: "
                                        + "; ".join(str(r[0]) for r in check[:3]))
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a process kill
            if not existed or not self._tables():
                if existed:
                    raise self._damaged("it has no worksim tables")
                info = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
                        "model_version": model_version(), "subject": self.subject,
                        "label": self.label, "about": json.dumps(self.about, sort_keys=True),
                        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
                with self._transaction():  # the tables and their facts in one commit
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        db.execute(statement)
                    db.executemany("INSERT INTO store_info VALUES (?, ?)", info.items())
            self._check_info()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(str(exc)) from None

    def _tables(self) -> set[str]:
        rows = self._db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        return {r[0] for r in rows}

    def _check_info(self) -> None:
        if not {"store_info", "scenarios", "runs"} <= self._tables():
            raise self._damaged("it lacks the worksim tables")
        info = dict(self._db.execute("SELECT key, value FROM store_info").fetchall())
        if info.get("format") != FORMAT:
            raise self._damaged("it is not marked as a worksim result store")
        if info.get("format_version") != str(FORMAT_VERSION):
            raise StoreError(f"{self.path}: written in store format {info.get('format_version')}, "
                             f"this worksim reads format {FORMAT_VERSION}; {_fix(self.path)}.")
        if info.get("model_version") != model_version():
            raise StoreError(f"{self.path}: holds results of model version "
                             f"{info.get('model_version')}, this is version {model_version()}; "
                             "results of two model versions are never mixed; "
                             f"{_fix(self.path)}.")
        if info.get("subject") != self.subject:
            try:
                differs = _differences(json.loads(info.get("about") or "null"), self.about)
            except ValueError:
                differs = ""
            raise StoreError(f"{self.path}: holds results of another question "
                             f"({info.get('label')}), not of this one ({self.label}): "
                             f"{differs or 'they differ in at least one number'}; results are "
                             f"never mixed; {_fix(self.path)}.")

    # -- reading and writing ---------------------------------------------------------------
    def _transaction(self) -> Any:
        db = self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind: Any, *_: Any) -> None:
                db.execute("COMMIT" if kind is None else "ROLLBACK")
        return _Tx()

    def hash_of(self, scenario: Scenario) -> str:
        """The scenario's content hash (cached per scenario object)."""
        cached = self._hashes.get(id(scenario))
        if cached is not None and cached[0] is scenario:
            return cached[1]
        digest = scenario_hash(scenario)
        self._hashes[id(scenario)] = (scenario, digest)
        return digest

    def get(self, task: tuple[Scenario, int, int], *, lazy: bool = False) -> RunResult | None:
        """The stored result of (scenario, seed, replication), or None. With ``lazy`` its
        weekly series stay in the file (:class:`StoredSeries`) and only the KPIs and run facts
        are read into memory."""
        scenario, seed, rep = task
        key = (self.hash_of(scenario), seed, rep)
        columns = "kpis, series_names, meta" if lazy else "kpis, series_names, series, meta"
        try:
            row = self._db.execute(f"SELECT {columns} FROM runs WHERE scenario_hash=? AND "
                                   "seed=? AND replication=?", key).fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(str(exc)) from None
        if row is None:
            return None
        try:
            if lazy:
                kpis, names, meta = row
                return _decode(kpis, "[]", b"", meta,
                               series=StoredSeries(self.path, key, json.loads(names)))
            return _decode(*row)
        except (ValueError, TypeError, KeyError) as exc:
            raise self._damaged(f"replication {rep} of seed {seed} cannot be read: {exc}") from None

    def lazy(self, task: tuple[Scenario, int, int], result: RunResult) -> RunResult:
        """*result*, just stored, with its weekly series left in the file (:class:`StoredSeries`):
        what a sweep keeps in memory while it runs is the KPIs and run facts only."""
        scenario, seed, rep = task
        names = [(name, int(np.size(values))) for name, values in result.series.items()]
        return RunResult(kpis=result.kpis, series=StoredSeries(
            self.path, (self.hash_of(scenario), seed, rep), names), meta=result.meta)

    def put(self, task: tuple[Scenario, int, int], result: RunResult) -> None:
        """Store one finished replication in a transaction of its own (a second copy of the
        same key is ignored: a replication is a pure function of its key)."""
        scenario, seed, rep = task
        digest = self.hash_of(scenario)
        kpis, names, blob, meta = _encode(result)
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
        try:
            with self._transaction():
                if digest not in self._described:
                    self._db.execute("INSERT OR IGNORE INTO scenarios VALUES (?, ?, ?)",
                                     (digest, scenario.name, json.dumps(scenario.to_dict(),
                                                                        ensure_ascii=False)))
                self._db.execute("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 (digest, seed, rep, kpis, names, blob, meta, self.computed_by,
                                  now))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot write a finished replication ({exc}); check "
                             "the disk's free space and permissions.") from None
        self._described.add(digest)

    def count(self) -> int:
        """Replications stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def keys(self) -> Iterator[tuple[str, int, int]]:
        """(scenario hash, seed, replication) of every stored replication."""
        yield from self._db.execute("SELECT scenario_hash, seed, replication FROM runs")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix or "(whole)": data}


def _differences(stored: Any, now: Any, most: int = 4) -> str:
    """``field: A in the store, B now`` for the first few fields that differ."""
    if stored is None or now is None:
        return ""
    old, new = _flat(stored), _flat(now)
    keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    shown = [f"{k}: {json.dumps(old.get(k), ensure_ascii=False)[:40]} in the store, "
             f"{json.dumps(new.get(k), ensure_ascii=False)[:40]} now" for k in keys[:most]]
    more = f" and {len(keys) - most} more fields" if len(keys) > most else ""
    return "; ".join(shown) + more


def _encode(result: RunResult) -> tuple[str, str, bytes, str]:
    kpis = json.dumps(result.kpis, default=float)  # floats (and any ints) exactly as they are
    arrays = [(name, np.ascontiguousarray(values, dtype="<f8")) for name, values in
              result.series.items()]
    names = json.dumps([[name, int(a.size)] for name, a in arrays])
    blob = b"".join(a.tobytes() for _, a in arrays)
    meta = json.dumps(result.meta, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    return kpis, names, blob, meta


def _decode(kpis: str, names: str, blob: bytes, meta: str, *,
            series: Mapping[str, np.ndarray] | None = None) -> RunResult:
    if series is None:
        series = _split(names, blob)
    loaded = json.loads(kpis)
    if not isinstance(loaded, dict):
        raise ValueError("the KPIs are not a table")
    return RunResult(kpis=loaded, series=series, meta=json.loads(meta))


def _split(names: str, blob: bytes) -> dict[str, np.ndarray]:
    """The weekly series of one replication from its stored names, sizes and float64 bytes."""
    values = np.frombuffer(blob, dtype="<f8")
    series: dict[str, np.ndarray] = {}
    start = 0
    for name, size in json.loads(names):
        series[str(name)] = values[start:start + int(size)].astype(float)
        start += int(size)
    if start != values.size:
        raise ValueError("the series have the wrong length")
    return series


class StoredSeries(Mapping[str, np.ndarray]):
    """One stored replication's weekly series, read from the store's file each time one is
    asked for, never held: a sweep or study keeps only KPIs and run facts in memory (about
    4 KiB a replication instead of about 17 KiB), whatever its size. The file is opened
    read-only for each read, so the series stay readable after the store is closed, as long
    as the run folder is there. The values are the stored bytes, identical to the computed."""

    __slots__ = ("_path", "_key", "_names")

    def __init__(self, path: Path, key: tuple[str, int, int],
                 names: list[tuple[str, int]]) -> None:
        self._path, self._key = Path(path), key
        self._names = [(str(name), int(size)) for name, size in names]

    def __getitem__(self, name: str) -> np.ndarray:
        start = 0
        for stored, size in self._names:
            if stored == name:  # only this series' bytes are decoded
                return np.frombuffer(self._blob(), dtype="<f8", count=size,
                                     offset=8 * start).astype(float)
            start += size
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(stored == name for stored, _ in self._names)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._names)

    def __len__(self) -> int:
        return len(self._names)

    def _blob(self) -> bytes:
        uri = f"{self._path.resolve().as_uri()}?mode=ro"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=30.0)
            try:
                row = db.execute("SELECT series FROM runs WHERE scenario_hash=? AND seed=? AND "
                                 "replication=?", self._key).fetchone()
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: cannot read a stored replication's series ({exc}); "
                             "the run folder must stay in place while its results are in use.") from None
        if row is None:
            raise StoreError(f"{self._path}: replication {self._key[2]} of seed {self._key[1]} "
                             "is no longer in the store.")
        return row[0]


def open_store(folder: str | Path, subject: str, label: str = "", about: Any = None
               ) -> ResultStore:
    """The store in a run folder (created when missing); ``about`` as in :class:`ResultStore`."""
    return ResultStore(Path(folder) / STORE_NAME, subject, label, about)


def stored_keys(path: str | Path) -> list[tuple[str, int, int, str]]:
    """(scenario hash, seed, replication, computed_by) of every replication in the store file
    at ``path``, read-only (for checks and tests; no subject is asked)."""
    uri = f"file:{Path(path).resolve()}?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=30.0)
    try:
        return [tuple(r) for r in db.execute(
            "SELECT scenario_hash, seed, replication, computed_by FROM runs")]
    finally:
        db.close()
