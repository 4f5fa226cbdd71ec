"""A learner's progress: quiz attempts and module completion, kept per OS user, never in a notebook.

The store is one small JSON file per OS user, ``progress-<user>.json``, in
``<jupyter data dir>/tyokyky-course`` (``jupyter_core.paths.jupyter_data_dir()``, under the
user's own home), or in ``$TYOKYKY_PROGRESS_DIR`` when that is set (tests, shared set-ups).
The folder is created with mode 0700 and the file with 0600, so on a shared server each
learner sees only their own record.

Why a JSON file and not SQLite: the record is a few kilobytes that is read and written whole;
a learner can open and read it; and SQLite's locking is unreliable on the network home folders
that shared Jupyter servers often use. Every change is a read-modify-write under an advisory
lock (``fcntl.flock`` where the OS has it, so two open notebooks do not overwrite each other)
and is written atomically: a temporary file in the same folder, ``fsync``, then ``os.replace``.
The record survives kernel restarts because it is only a file.

The record carries an HMAC-SHA256 made with a random key kept in the same folder
(``key``, mode 0600). A record edited by hand, or damaged, no longer matches: the store then
moves the file aside (``progress-<user>.tampered-<time>.json``, nothing is deleted), starts a
new record and says so in :attr:`ProgressStore.warning`. This is tamper-*evident* against
casual edits, not a security boundary: the key lives with the learner, who can re-sign
anything. The certificate's hash (:mod:`sim.learning.certificate`) is of the same kind.

What is recorded (all times in UTC, ISO 8601):

* per quiz question (``"m04:principles"``): the number of checked attempts, whether and when it
  was answered right, and whether the answer was shown (then it no longer counts as right);
* per module: when it was first opened (the quiz or the progress view was shown), the last
  activity, *active time* (the sum of gaps between activities, leaving out gaps longer than
  :data:`IDLE_GAP` as breaks — an estimate of time on the module's page, not of reading done
  elsewhere), and when it was completed: every question of its quiz answered right or shown.
"""

from __future__ import annotations

import contextlib
import copy
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

try:  # POSIX; elsewhere the store works without the lock
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from sim.learning import quiz as quizlib
from sim.learning.text import load_data
from sim.practice import services

__all__ = [
    "ENV_DIR",
    "FORMAT",
    "IDLE_GAP",
    "ModuleStatus",
    "ProgressStore",
    "default_store",
    "module_hours",
    "module_ids",
    "progress_dir",
    "role_path",
    "roles",
]

ENV_DIR = "TYOKYKY_PROGRESS_DIR"
FORMAT = 1
IDLE_GAP = 60 * 60  # seconds; a longer pause between activities counts as a break
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def progress_dir() -> Path:
    """Where the store lives: ``$TYOKYKY_PROGRESS_DIR`` or ``<jupyter data dir>/tyokyky-course``."""
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override).expanduser()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "tyokyky-course"


def _user() -> str:
    try:
        name = getpass.getuser()
    except Exception:  # no user name in the environment: fall back to the uid
        name = str(os.getuid()) if hasattr(os, "getuid") else "learner"
    return _SAFE.sub("_", name) or "learner"


# --- course data: modules, their study hours, role paths --------------------------------


def _course() -> dict:
    return load_data("progress.yaml")


def module_ids() -> tuple[str, ...]:
    """The course modules in order (``m00`` … ``m09``)."""
    return tuple(_course()["modules"])


def module_hours(module: str) -> float:
    """The estimated study hours of *module* (``sim/data/progress.yaml``)."""
    return float(_course()["modules"][module]["hours"])


def roles() -> tuple[str, ...]:
    """The learner roles that have a suggested order of modules (module 0's learning path)."""
    return services.LEARNER_ROLES


def role_path(role: str) -> tuple[str, ...]:
    """The suggested order of modules for *role*: the one module 0's learning path shows
    (:func:`sim.practice.services.learning_path`), so the two never disagree."""
    return services.learning_path(role)


# --- the record ---------------------------------------------------------------------


def _empty(user: str) -> dict:
    return {"format": FORMAT, "user": user, "created": _iso(_now()), "modules": {}, "questions": {}}


def _canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class ModuleStatus:
    """One module as the learner's record shows it."""

    module: str
    questions: int  # in the module's quiz
    right: int  # answered right (without the answer shown first)
    first_try: int  # of those, right at the first attempt
    revealed: int  # answers the learner asked to see
    attempts: int
    first_opened: datetime | None
    completed: datetime | None
    active_seconds: float

    @property
    def done(self) -> bool:
        return self.completed is not None

    @property
    def started(self) -> bool:
        return self.first_opened is not None or self.attempts > 0


class ProgressStore:
    """The progress record of one OS user, in ``folder`` (default :func:`progress_dir`).

    Every method re-reads the file, so several notebooks (kernels) of one learner see each
    other's changes; :attr:`warning` says if a damaged or edited record was set aside.
    """

    def __init__(self, folder: str | os.PathLike | None = None, user: str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else progress_dir()
        self.user = _SAFE.sub("_", user) if user else _user()
        self.path = self.folder / f"progress-{self.user}.json"
        self.key_path = self.folder / "key"
        self.warning = ""  # set when a record was set aside
        self.set_aside: Path | None = None

    # -- files --
    def _ensure_folder(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # not ours to change (e.g. a shared override)
            os.chmod(self.folder, 0o700)

    def _key(self) -> bytes:
        try:
            return bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
        except (FileNotFoundError, ValueError):
            pass
        key = secrets.token_bytes(32)
        self._write_atomic(self.key_path, key.hex().encode())
        return key

    def _write_atomic(self, path: Path, data: bytes) -> None:
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_folder()
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        lock = os.open(self.folder / f".progress-{self.user}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)

    def _signature(self, record: dict) -> str:
        return hmac.new(self._key(), _canonical(record), hashlib.sha256).hexdigest()

    def _read(self) -> dict:
        """The verified record, or a new one (a bad file is moved aside and :attr:`warning` set)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _empty(self.user)
        try:
            stored = json.loads(raw.decode("utf-8"))
            record, signature = stored["record"], stored["hmac"]
            good = isinstance(record, dict) and hmac.compare_digest(str(signature), self._signature(record))
        except (ValueError, KeyError, TypeError):
            good = False
        if good and record.get("format") == FORMAT:
            return record
        stamp = _now().strftime("%Y%m%dT%H%M%SZ")
        aside = self.folder / f"progress-{self.user}.tampered-{stamp}.json"
        n = 1
        while aside.exists():
            n += 1
            aside = self.folder / f"progress-{self.user}.tampered-{stamp}-{n}.json"
        os.replace(self.path, aside)
        self.set_aside = aside
        self.warning = str(aside)
        return _empty(self.user)

    def _write(self, record: dict) -> None:
        body = {"record": record, "hmac": self._signature(record)}
        self._write_atomic(self.path, json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"))

    def record(self) -> dict:
        """A copy of the current record (see the module docstring for its fields)."""
        with self._locked():
            return copy.deepcopy(self._read())

    def _update(self, change) -> dict:
        with self._locked():
            record = self._read()
            change(record)
            self._write(record)
            return copy.deepcopy(record)

    # -- recording --
    @staticmethod
    def _activity(record: dict, module: str, moment: datetime) -> dict:
        entry = record["modules"].setdefault(
            module, {"first_opened": _iso(moment), "last_seen": _iso(moment), "active_seconds": 0,
                     "completed": None})
        gap = (moment - _parse(entry["last_seen"])).total_seconds()
        if 0 < gap <= IDLE_GAP:
            entry["active_seconds"] = int(entry["active_seconds"] + gap)
        entry["last_seen"] = _iso(max(moment, _parse(entry["last_seen"])))
        return entry

    def open_module(self, module: str, now: datetime | None = None) -> None:
        """Note that *module* was opened (its quiz or the progress view was shown)."""
        moment = now or _now()
        self._update(lambda record: self._activity(record, module, moment))

    def record_attempt(self, quiz_id: str, question_id: str, correct: bool, *,
                       revealed: bool = False, now: datetime | None = None) -> None:
        """Note one checked answer (``correct``) or, with ``revealed=True``, that the answer
        was shown (then a later right answer does not count as right)."""
        moment = now or _now()

        def change(record: dict) -> None:
            self._activity(record, quiz_id, moment)
            entry = record["questions"].setdefault(
                f"{quiz_id}:{question_id}",
                {"attempts": 0, "right_at": None, "first_try": False, "revealed": False})
            if revealed:
                entry["revealed"] = True
            else:
                entry["attempts"] += 1
                if correct and entry["right_at"] is None and not entry["revealed"]:
                    entry["right_at"] = _iso(moment)
                    entry["first_try"] = entry["attempts"] == 1
            self._complete_if_done(record, quiz_id, moment)

        self._update(change)

    @staticmethod
    def _complete_if_done(record: dict, module: str, moment: datetime) -> None:
        entry = record["modules"][module]
        if entry["completed"]:
            return
        ids = [q.id for q in quizlib.load_quiz(module).questions]
        answers = [record["questions"].get(f"{module}:{qid}", {}) for qid in ids]
        if all(a.get("right_at") or a.get("revealed") for a in answers):
            entry["completed"] = _iso(moment)

    # -- reading --
    def status(self, module: str, record: dict | None = None) -> ModuleStatus:
        """How far the learner is in *module*."""
        record = self.record() if record is None else record
        questions = [q.id for q in quizlib.load_quiz(module).questions]
        answers = [record["questions"].get(f"{module}:{qid}", {}) for qid in questions]
        entry = record["modules"].get(module, {})
        return ModuleStatus(
            module=module,
            questions=len(questions),
            right=sum(bool(a.get("right_at")) for a in answers),
            first_try=sum(bool(a.get("first_try")) for a in answers),
            revealed=sum(bool(a.get("revealed")) and not a.get("right_at") for a in answers),
            attempts=sum(a.get("attempts", 0) for a in answers),
            first_opened=_parse(entry["first_opened"]) if entry.get("first_opened") else None,
            completed=_parse(entry["completed"]) if entry.get("completed") else None,
            active_seconds=float(entry.get("active_seconds", 0)),
        )

    def statuses(self) -> tuple[ModuleStatus, ...]:
        """Every module's status, in course order (one read of the file)."""
        record = self.record()
        return tuple(self.status(m, record) for m in module_ids())

    def next_modules(self, role: str, count: int = 3) -> tuple[str, ...]:
        """The first *count* modules of *role*'s suggested path that are not completed yet."""
        done = {s.module for s in self.statuses() if s.done}
        return tuple(m for m in role_path(role) if m not in done)[:count]


def default_store() -> ProgressStore:
    """The current OS user's store in :func:`progress_dir` (read from the environment each call)."""
    return ProgressStore()
