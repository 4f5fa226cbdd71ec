#!/usr/bin/env python
"""Trainer's command line for the nbgrader course in this folder (nbgrader 0.9.6); see README.md.

    python tools.py release ASSIGNMENT [--force] [--exchange]
    python tools.py references ASSIGNMENT [--write]
    python tools.py collect ASSIGNMENT [--zip] [--force]
    python tools.py check-names ASSIGNMENT
    python tools.py autograde ASSIGNMENT [--student ID] [--force] [--max-minutes M] [--max-memory-gb G]
                                         [--unsafe]
    python tools.py feedback ASSIGNMENT [--force] [--exchange]
    python tools.py export-cells --out FILE.csv [--assignment ASSIGNMENT]
    python tools.py flags ASSIGNMENT [--clear STUDENT]
    python tools.py validate [ASSIGNMENT ...]
    python tools.py backups
    python tools.py undo [BACKUP]

Every nbgrader call runs with this Python's bin directory first on PATH (nbgrader shells out to
``alembic``) and with the course root as working directory, so ``nbgrader_config.py`` applies.
Exit codes: 0 done; 1 nbgrader failed (read the log it names); 2 usage error, or refused: grading
when the sandbox cannot run or the gradebook cannot be backed up, a release whose files do not
match the assignment's MANIFEST; 3 done, but some submissions need a person (listed as NEEDS
ATTENTION and left ungraded, never scored 0; for collect also an upload CHANGED-SINCE-GRADING).

``collect --zip`` collects uploads from ``downloaded/<assignment>/archive/`` under any LMS learner
id, mapped to a safe nbgrader id in ``exports/learner-ids.csv`` (``sim/grading/learners.py``);
a second round touches only new or changed uploads. Autograde gives each learner a status:
graded, needs-manual-grading, timed-out: <cells> or crashed: <reason>.

Autograding runs every learner's kernel in a bubblewrap sandbox (``sim/grading/sandbox.py``,
configured in ``nbgrader_config.py``); it refuses to run without one unless ``--unsafe`` is given.
Before grading, it scans the learners' cells for tricks that can fool the tests in their own
notebook (``sim/grading/tamper.py``): a flagged learner's score is PROVISIONAL until the trainer
clears it with ``tools.py flags``. Flags do not change autograde's exit code (the learner is graded);
``tools.py flags`` exits with 3 while uncleared flags remain.

``release`` ships exactly the files listed in ``source/<assignment>/MANIFEST`` (nbgrader's
generated versions). Every command that writes the gradebook (release, autograde, undo) first
backs it up to ``exports/backups/`` (``sim/grading/gradebook.py``); ``undo`` puts the newest
backup back.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import filecmp
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

COURSE = Path(__file__).resolve().parent
EXIT_OK, EXIT_NBGRADER_FAILED, EXIT_USAGE, EXIT_ATTENTION = 0, 1, 2, 3


# --------------------------------------------------------------------------- running nbgrader


UNSAFE_WARNING = """\
--unsafe: learners' code will run WITHOUT the sandbox, with your user's rights. A notebook can
then read the solutions and hidden tests, read and change the gradebook and other learners'
work, plant files in source/ that go out with the next release, leave processes behind and
reach servers on this machine. Use it only for notebooks you trust, e.g. your own tests."""


def _env(unsafe: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("TYOKYKY_UNSAFE_GRADING", None)  # only --unsafe turns the sandbox off
    # an error in nbgrader_config.py stops nbgrader instead of being logged and ignored (which
    # would fall back to nbgrader's defaults: no sandbox)
    env["TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR"] = "1"
    if unsafe:
        env["TYOKYKY_UNSAFE_GRADING"] = "1"  # read by nbgrader_config.py
    return env


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _log_path(root: Path, name: str) -> Path:
    logs = root / "exports" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"{name}-{_stamp()}.log"


def _limits(max_memory_gb: float | None):
    """A preexec_fn capping the address space of nbgrader and the kernels it starts."""
    if not max_memory_gb:
        return None

    def apply() -> None:
        import resource
        cap = int(max_memory_gb * 1024 ** 3)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return apply


def _stop_tree(pid: int) -> None:
    """SIGTERM nbgrader and everything it started; kernels run in sessions of their own."""
    try:
        import psutil  # installed with ipykernel
        children = psutil.Process(pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - fall back to the process group
        children = []
    for child in children:
        with contextlib.suppress(Exception):
            child.terminate()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)


def run_nbgrader(root: Path, args: list[str], *, log: Path | None = None, echo: bool = True,
                 max_minutes: float | None = None, max_memory_gb: float | None = None,
                 unsafe: bool = False) -> int:
    """Run ``nbgrader ARGS`` in ``root``; output goes to ``log`` (and the terminal if ``echo``)."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    print("$ nbgrader " + " ".join(args), flush=True)
    with open(log, "w", encoding="utf-8") if log else contextlib.nullcontext() as out:
        proc = subprocess.Popen(cmd, cwd=root, env=_env(unsafe), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                preexec_fn=_limits(max_memory_gb))
        watchdog = None
        if max_minutes:
            def stop() -> None:
                print(f"Stopping nbgrader after {max_minutes} minutes (--max-minutes).", flush=True)
                _stop_tree(proc.pid)
            watchdog = threading.Timer(max_minutes * 60, stop)
            watchdog.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            if out:
                out.write(line)
            if echo:
                sys.stdout.write(line)
        rc = proc.wait()
        if watchdog:
            watchdog.cancel()
    if log:
        print(f"nbgrader {args[0]} exited with {rc}; log: {log}")
    return rc


# --------------------------------------------------------------------------- submission checks


@dataclass
class Issue:
    """One finding about a submission; ``blocking`` ones keep the student out of autograding."""

    student: str
    # renamed | missing | unreadable | no-metadata | extra | edited-cell | deleted-cell | restored-cell
    kind: str
    message: str
    blocking: bool


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def _grade_ids(path: Path) -> dict[str, str]:
    """grade_id -> source of the nbgrader cells of a notebook (raises on unreadable files)."""
    import nbformat
    nb = nbformat.read(str(path), as_version=4)
    out = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            out[gid] = cell.source
    return out


def _read_only_cells(path: Path) -> dict[str, str]:
    """grade_id -> source of the locked, non-solution cells (tests and setup) of a notebook."""
    import nbformat
    nb = nbformat.read(str(path), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and meta.get("locked") and not meta.get("solution"):
            out[meta["grade_id"]] = cell.source
    return out


def check_names(root: Path, assignment: str, *, fix: bool = True) -> list[Issue]:
    """Check every ``submitted/<student>/<assignment>/`` against the source notebooks.

    A misnamed notebook is never left to become a silent 0: when exactly one expected notebook
    is missing and exactly one other notebook is present (and it carries this assignment's
    nbgrader cells), it is COPIED to the expected name (the original stays for the record);
    otherwise the student is reported as blocking and kept out of autograding. Edited or deleted
    read-only cells are reported for information: autograde restores them from the source.
    """
    expected = {p.name for p in _notebooks(root / "source" / assignment)}
    release = root / "release" / assignment
    sources = _SourceCells(root, assignment)
    issues: list[Issue] = []
    for folder in sorted((root / "submitted").glob(f"*/{assignment}")):
        if not folder.is_dir():
            continue
        student = folder.parent.name
        present = {p.name for p in _notebooks(folder)}
        missing, extra = sorted(expected - present), sorted(present - expected)
        if len(missing) == 1 and len(extra) == 1:
            src, dest = folder / extra[0], folder / missing[0]
            try:
                ok = bool(set(_grade_ids(src)) & set(_grade_ids(root / "source" / assignment / missing[0])))
            except Exception:  # noqa: BLE001 - any unreadable file is reported below
                ok = False
            if ok and fix:
                shutil.copy2(src, dest)
                issues.append(Issue(student, "renamed", f"'{extra[0]}' copied to '{missing[0]}' "
                                    "(original kept); graded under the expected name", False))
                present.add(missing[0])
                missing, extra = [], []
            elif ok:
                issues.append(Issue(student, "renamed", f"'{extra[0]}' should be '{missing[0]}'; "
                                    "run without --no-fix to copy it", True))
                continue
        for name in missing:
            found = ", ".join(f"'{e}'" for e in extra) or "no notebooks"
            issues.append(Issue(student, "missing", f"no '{name}' (found {found}); rename the right "
                                f"file to '{name}' in {folder} and run autograde again", True))
        for name in extra if not missing else []:
            copied = [folder / e for e in expected & present
                      if filecmp.cmp(folder / name, folder / e, shallow=False)]
            if not copied:  # an identical file is the kept original of an earlier rename
                issues.append(Issue(student, "extra", f"'{name}' is not part of the assignment and "
                                    "is not graded", False))
        for name in sorted(expected & present):
            issues += _check_cells(root, assignment, student, folder / name, release / name, sources)
    return issues


class _SourceCells:
    """The gradebook's source cells of each notebook of an assignment, as autograde's metadata
    restoration matches learners' cells against them (``sim/grading/restore.py``); None before
    the assignment is released (no gradebook entry)."""

    def __init__(self, root: Path, assignment: str):
        self.root, self.assignment, self._cache = root, assignment, {}

    def get(self, notebook: Path, release: Path):
        if notebook.name not in self._cache:
            self._cache[notebook.name] = self._read(notebook.stem, release)
        return self._cache[notebook.name]

    def _read(self, stem: str, release: Path):
        import nbformat

        from sim.grading import restore
        if not (self.root / "gradebook.db").exists() or not release.exists():
            return None
        try:
            with _gradebook(self.root) as gb:
                return restore.references(gb.find_notebook(stem, self.assignment),
                                          nbformat.read(str(release), as_version=4))
        except Exception:  # noqa: BLE001 - not in the gradebook: check names only
            return None


def _check_cells(root: Path, assignment: str, student: str, path: Path, release: Path,
                 sources: _SourceCells) -> list[Issue]:
    """What autograde will find in one submitted notebook: unreadable (blocking), no cell it can
    match to the assignment (blocking), and for information the read-only cells that were
    deleted, edited, or lost their nbgrader metadata (autograde puts those back)."""
    import nbformat

    from sim.grading import restore
    name = path.name
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the batch
        return [Issue(student, "unreadable", f"'{name}' is not a readable notebook "
                      f"({type(exc).__name__}: {exc}); ask for a new upload", True)]
    own = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    own.pop(None, None)
    found = sources.get(path, release)
    if found is None:  # before a release: the notebook's own metadata is all there is
        if not own:
            return [Issue(student, "no-metadata", f"'{name}' has no nbgrader cells (answers copied into "
                          "a new notebook?); copy them into the released notebook and run autograde "
                          "again", True)]
        return []
    refs, ordinary = found
    matched = {m.reference.grade_id: (nb.cells[i], m) for i, m in
               restore.match_cells(nb.cells, refs, ordinary).items()}
    answers = [r.grade_id for r in refs if r.solution]
    if not any(g in matched for g in answers):
        return [Issue(student, "no-metadata", f"'{name}' has no cell that autograde can match to an "
                      "answer of the assignment (answers copied into a new notebook?); copy them into "
                      "the released notebook and run autograde again", True)]
    issues = []
    if not own:
        issues.append(Issue(student, "no-metadata", f"'{name}' has lost all its nbgrader metadata (saved "
                            f"by another editor?); autograde puts it back for the {len(matched)} cells "
                            f"it matches of {len(refs)}", False))
    for gid, source in _read_only_cells(release).items():
        if gid not in matched:
            issues.append(Issue(student, "deleted-cell", f"read-only cell '{gid}' was deleted; "
                                "autograde adds test cells back and runs them", False))
            continue
        cell, match = matched[gid]
        if own and match.how != "grade_id":
            issues.append(Issue(student, "restored-cell", f"read-only cell '{gid}' lost or changed its "
                                "nbgrader metadata; autograde puts it back", False))
        elif cell.source != source:
            issues.append(Issue(student, "edited-cell", f"read-only cell '{gid}' was edited; "
                                "autograde restores the original and runs it", False))
    return issues


def _print_issues(issues: list[Issue]) -> None:
    for i in issues:
        tag = "NEEDS ATTENTION" if i.blocking else i.kind.upper()
        print(f"  [{tag}] {i.student}: {i.message}")
    if not issues:
        print("  all submissions have the expected notebook names")


# --------------------------------------------------------------------------- collecting uploads


# One notebook of an upload, bytes: notebooks are small; this stops a zip that unpacks to gigabytes
# (the same as the sandbox's largest file). A zip may hold at most 4 times this in notebooks.
MAX_UPLOAD_BYTES = 50 * 1024 ** 2


def _learner_ids_path(root: Path) -> Path:
    return root / "exports" / "learner-ids.csv"


def _collect_record_path(root: Path, assignment: str) -> Path:
    return root / "exports" / "collect" / f"{assignment}.json"


def _upload_notebooks(entry: Path) -> list[tuple[str, bytes]]:
    """(path inside, content) of the notebooks in a zip or a folder of one learner; Jupyter
    checkpoints, macOS ``__MACOSX`` folders and hidden files are skipped."""
    def wanted(inner: str) -> bool:
        parts = PurePosixPath(inner).parts
        return inner.lower().endswith(".ipynb") and not any(
            p.startswith(".") or p == "__MACOSX" for p in parts)

    out: list[tuple[str, bytes]] = []
    with contextlib.ExitStack() as stack:
        if entry.is_dir():
            members = [(p.relative_to(entry).as_posix(), p.stat().st_size, p.read_bytes)
                       for p in sorted(entry.rglob("*")) if p.is_file()]
        else:
            z = stack.enter_context(zipfile.ZipFile(entry))
            members = [(i.filename, i.file_size, lambda i=i: z.read(i)) for i in z.infolist()
                       if not i.is_dir()]
        total = 0
        for inner, size, read in members:
            if not wanted(inner):
                continue
            total += size
            if size > MAX_UPLOAD_BYTES or total > 4 * MAX_UPLOAD_BYTES:
                raise ValueError(f"'{inner}' makes it larger than a notebook upload can be")
            out.append((inner, read()))
    return out


def read_uploads(archive: Path, notebooks: list[str]) -> tuple[dict[str, dict[str, bytes]], list[Issue]]:
    """The uploads in ``downloaded/<a>/archive/``: LMS id -> notebook file name -> content.

    Read: ``<LMS id>__<notebook>.ipynb``, ``<LMS id>.zip`` and a folder ``<LMS id>/`` (every
    notebook inside, at any depth, under its own name). Anything else, and every learner whose
    uploads hold two different notebooks of one name, is a blocking Issue: none of their files
    is collected. Hidden files (``.DS_Store``) are listed as ignored.
    """
    from sim.grading.learners import lms_key, split_upload_name
    found: dict[str, dict[str, bytes]] = {}
    origin: dict[tuple[str, str], str] = {}
    issues: list[Issue] = []
    for entry in sorted(archive.iterdir()):
        if entry.name.startswith("."):
            issues.append(Issue(entry.name, "ignored", "a hidden file, not an upload", False))
            continue
        if entry.is_dir() or entry.suffix.lower() == ".zip":
            lms = lms_key(entry.name if entry.is_dir() else entry.stem)
            try:
                inside = _upload_notebooks(entry)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as exc:
                issues.append(Issue(entry.name, "unreadable", f"cannot be read ({type(exc).__name__}: "
                                    f"{exc}); ask {lms!r} for a new upload", True))
                continue
            if not inside:
                issues.append(Issue(entry.name, "missing", f"holds no notebook (.ipynb); ask {lms!r} "
                                    "for the notebook", True))
            files = []
            for inner, data in inside:
                name = PurePosixPath(inner).name
                split = split_upload_name(name, notebooks)
                files.append((split[1] if split and lms_key(split[0]) == lms else name, data,
                              f"{entry.name}: {inner}"))
        elif entry.suffix.lower() == ".ipynb":
            split = split_upload_name(entry.name, notebooks)
            if not split:
                issues.append(Issue(entry.name, "no-learner-id", "no learner id in the name: rename it "
                                    "to '<LMS id>__<notebook>.ipynb' and collect again", True))
                continue
            if entry.stat().st_size > MAX_UPLOAD_BYTES:
                issues.append(Issue(entry.name, "too-large", "larger than a notebook upload can be; "
                                    "open it yourself", True))
                continue
            lms, files = lms_key(split[0]), [(split[1], entry.read_bytes(), entry.name)]
        else:
            issues.append(Issue(entry.name, "not-an-upload", "not a notebook (.ipynb), a zip or a folder "
                                "of one learner: convert or rename it, or remove it from "
                                f"{archive}, and collect again", True))
            continue
        for name, data, where in files:
            have = found.setdefault(lms, {})
            if name in have and have[name] != data:
                issues.append(Issue(lms, "two-versions", f"two different '{name}' ({origin[lms, name]}; "
                                    f"{where}): keep one in {archive} and collect again", True))
            have.setdefault(name, data)
            origin.setdefault((lms, name), where)
    blocked = {i.student for i in issues if i.kind == "two-versions"}
    return {lms: files for lms, files in found.items() if lms not in blocked}, issues


def _files_digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def collect_uploads(root: Path, assignment: str, *, force: bool = False) -> list[Issue]:
    """Collect ``downloaded/<a>/archive/`` into ``submitted/<id>/<a>/``, learner by learner.

    Every LMS id gets a safe nbgrader id (``sim/grading/learners.py``), kept in
    ``exports/learner-ids.csv``, which is only ever appended to. A learner whose upload is the one
    collected before (the same notebooks, byte for byte) is not touched: hand fixes in their
    folder and their grades stay (``force`` collects them again all the same). A new or changed
    upload is written with a ``timestamp.txt``; a folder it replaces is first moved to
    ``exports/submitted-history/<id>/<a>/<time>/``, and a learner graded before is reported as
    changed since grading. Raises ValueError when the mapping file cannot be used.
    """
    from sim.grading import learners
    notebooks = [p.name for p in _notebooks(root / "source" / assignment)]
    uploads, problems = read_uploads(root / "downloaded" / assignment / "archive", notebooks)
    ids_path = _learner_ids_path(root)
    rows = learners.read_mapping(ids_path)
    wrong = learners.mapping_problems(rows)
    if wrong:
        raise ValueError(f"{ids_path} cannot be used: {'; '.join(wrong)}. Fix it by hand (never "
                         "change the id of a learner already collected); nothing was collected")
    known = {learners.lms_key(r["lms_id"]): r["safe_id"] for r in rows}
    submitted = root / "submitted"
    reserved = {p.name for p in submitted.iterdir() if p.is_dir()} if submitted.is_dir() else set()
    new = learners.assign(uploads, known, reserved)
    stamp = _stamp()
    learners.append_mapping(ids_path, [{"lms_id": lms, "safe_id": sid, "first_seen": stamp,
                                        "first_assignment": assignment} for lms, sid in new.items()])
    ids = {**known, **new}
    out = [Issue(sid, "new-id", f"LMS id {lms!r} is {sid} from now on (added to {ids_path.name})", False)
           for lms, sid in sorted(new.items(), key=lambda kv: kv[1])]
    record_path = _collect_record_path(root, assignment)
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    graded = {r["student"] for r in submission_summary(root, assignment)}
    graded |= {p.parent.name for p in (root / "autograded").glob(f"*/{assignment}") if p.is_dir()}
    for lms in sorted(uploads, key=lambda k: ids[k]):
        sid, files = ids[lms], uploads[lms]
        who = sid if sid == lms else f"{sid} ({lms!r})"
        digest, folder, old = _files_digest(files), submitted / sid / assignment, record.get(sid, {})
        same = old.get("sha256") == digest or (not old and folder.is_dir() and all(
            (folder / n).is_file() and (folder / n).read_bytes() == d for n, d in files.items()))
        if same and folder.is_dir() and not force:
            record.setdefault(sid, {"lms_id": lms, "sha256": digest, "collected": stamp,
                                    "timestamp": None})
            out.append(Issue(who, "unchanged", f"same upload as collected {record[sid]['collected']}; "
                             "left as it is", False))
            continue
        kept = None
        if folder.is_dir():
            kept = root / "exports" / "submitted-history" / sid / assignment / stamp
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(folder), str(kept))
        folder.mkdir(parents=True)
        for name, data in sorted(files.items()):
            (folder / name).write_bytes(data)
        # nbgrader autograde re-grades a submission whose timestamp is newer than the graded one's
        timestamp = (same and old.get("timestamp")) or datetime.now(timezone.utc).isoformat(" ")
        (folder / "timestamp.txt").write_text(timestamp, encoding="utf-8")
        record[sid] = {"lms_id": lms, "sha256": digest, "collected": stamp, "timestamp": timestamp}
        names = ", ".join(sorted(files))
        where = f"; the earlier folder is kept in {kept.relative_to(root)}" if kept else ""
        if kept and not same and sid in graded:
            graded_copy = root / "autograded" / sid / assignment  # without a timestamp: only --force
            old_copy = graded_copy.is_dir() and not (graded_copy / "timestamp.txt").exists()
            force_too = " --force" if old_copy else ""
            out.append(Issue(who, "changed-since-grading", f"changed since grading: collected {names}"
                             f"{where}; re-grade with: python tools.py autograde {assignment} --student "
                             f"{sid}{force_too}", False))
        elif kept and not same:
            out.append(Issue(who, "updated", f"a changed upload: {names}{where}", False))
        elif old or kept:
            why = "--force" if kept else "its folder was missing"
            out.append(Issue(who, "collected-again", f"the same upload ({why}): {names}{where}", False))
        else:
            out.append(Issue(who, "collected", names, False))
    record_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = record_path.with_name(record_path.name + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(record.items())), indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(record_path)
    return out + problems


# --------------------------------------------------------------------------- gradebook helpers


def _gradebook(root: Path):
    from nbgrader.api import Gradebook
    return Gradebook("sqlite:///" + str(root / "gradebook.db"), course_id=_course_id(root))


def _config(root: Path):
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _course_id(root: Path) -> str:
    return _config(root).CourseDirectory.course_id


def _ensure_exchange(root: Path) -> None:
    """Create the configured exchange root (nbgrader refuses to use a missing one)."""
    exchange = Path(_config(root).Exchange.root or root / "exchange")
    if not exchange.exists():
        exchange.mkdir(parents=True)
        print(f"Created the exchange {exchange}; for learners on other unix accounts make it "
              "shared: chmod 1777 (see README.md).")


def submission_summary(root: Path, assignment: str) -> list[dict]:
    """Per student: score, max score, the cells still waiting for a person, and the status."""
    rows = []
    if not (root / "gradebook.db").exists():
        return rows
    crashed, timeouts = crashed_submissions(root, assignment), _timed_out_cells(root, assignment)
    with _gradebook(root) as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except Exception:  # noqa: BLE001 - assignment not in the gradebook yet
            return rows
        for sub in sorted(submissions, key=lambda s: s.student.id):
            pending = [g.name for nb in sub.notebooks for g in nb.grades if g.needs_manual_grade]
            rows.append({"student": sub.student.id, "score": round(sub.score, 2),
                         "max_score": sub.max_score, "needs_manual_grade": pending,
                         "status": submission_status(sub.student.id, bool(pending), crashed, timeouts)})
    return rows


def submission_status(student: str, pending: bool, crashed: dict[str, str],
                      timeouts: dict[str, list[str]]) -> str:
    """``crashed: <reason>``, ``timed-out: <cells>``, ``needs-manual-grading`` or ``graded``.

    A crashed submission did not run to the end (``crashed_submissions``): it is never shown as
    waiting for manual grading, whatever its cells say; a person looks at it first."""
    if student in crashed:
        return f"crashed: {crashed[student]}"
    if student in timeouts:
        return "timed-out: " + ", ".join(timeouts[student])
    return "needs-manual-grading" if pending else "graded"


def _status_path(root: Path, assignment: str) -> Path:
    return root / "exports" / "status" / f"{assignment}.json"


# what nbgrader's log says when it could not grade a notebook -> what the trainer reads
CRASH_REASONS = (
    ("DeadKernelError", "the kernel died: the learner's code ended it (exit, os._exit, a crash) or it "
                        "hit the sandbox's CPU-time or memory limit"),
    ("UnresponsiveKernelError", "the kernel stopped answering and could not be interrupted"),
    ("Kernel didn't respond", "the kernel did not start"),
)


def crashes_in_log(text: str) -> tuple[set[str], dict[str, str]]:
    """From nbgrader autograde's log: (the students it started grading, student -> why their
    notebook could not be graded). A student whose grading never finished (nbgrader stopped by
    ``--max-minutes``) counts as crashed too."""
    started: set[str] = set()
    finished: set[str] = set()
    failed: dict[str, str] = {}  # student -> last line of the traceback
    current, in_traceback = None, False
    for line in text.splitlines():
        begin = re.search(r"\| INFO\] Creating/updating student with ID '(.+?)'", line)
        listed = re.search(r"\| ERROR\] There was an error processing assignment '.*' for student "
                           r"'(.+?)'$", line)
        if begin:
            current, in_traceback = begin.group(1), False
            started.add(current)
        elif listed:
            failed.setdefault(listed.group(1), "")
        elif current and "| INFO] Setting destination file permissions" in line:
            finished.add(current)
        elif current and "| ERROR] There was an error processing assignment:" in line:
            failed[current], in_traceback = "", True
        elif current and "| ERROR] While processing assignment" in line and "unresponsive" in line:
            failed[current] = "UnresponsiveKernelError"
        elif in_traceback and line[:1].isspace() and line.strip():
            failed[current] = line.strip()
        elif line.startswith("[") and "| ERROR] Traceback (most recent call last)" not in line:
            in_traceback = False
    crashed = {}
    for student, last in failed.items():
        why = next((reason for key, reason in CRASH_REASONS if key in last), None)
        crashed[student] = why or (f"the notebook could not be run ({last[:200]})" if last
                                   else "nbgrader could not grade the notebook (see the log)")
    if current and current not in finished and current not in crashed:
        crashed[current] = "grading did not finish (nbgrader was stopped, e.g. by --max-minutes)"
    return started, crashed


def record_crashes(root: Path, assignment: str, started: set[str], crashed: dict[str, str],
                   log: Path) -> None:
    """Keep the crashes of an autograde run in ``exports/status/<a>.json`` (for the summary and
    export-cells); the students graded again in this run lose their earlier entry."""
    path = _status_path(root, assignment)
    records = json.loads(path.read_text(encoding="utf-8"))["students"] if path.exists() else {}
    for student in started | set(crashed):
        records.pop(student, None)
    now = datetime.now(timezone.utc)
    for student, reason in crashed.items():
        records[student] = {"crashed": reason, "at": now.timestamp(), "when": now.isoformat(" "),
                            "log": str(log)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"assignment": assignment, "students": dict(sorted(records.items()))},
                              indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def crashed_submissions(root: Path, assignment: str) -> dict[str, str]:
    """student -> why their notebook did not run to the end. Read from the autograded notebook,
    where the sandboxed Execute step (``sim/grading/execute.py``) marks the cell in which the
    kernel stopped (it died, or hit the CPU, memory or wall-clock limit); and, where nbgrader
    could not grade the notebook at all (and kept no autograded copy), from what autograde
    recorded from nbgrader's log (``record_crashes``), until the student is graded again."""
    from sim.grading.execute import KERNEL_STOPPED
    path = _status_path(root, assignment)
    out = {}
    for student, record in (json.loads(path.read_text(encoding="utf-8"))["students"].items()
                            if path.exists() else ()):
        graded = (root / "autograded" / student / assignment).glob("*.ipynb")
        if not any(p.stat().st_mtime > record["at"] for p in graded):
            out[student] = record["crashed"]
    for student, cells in _cells_with_error(root, assignment, KERNEL_STOPPED).items():
        grade_id, why = cells[0]
        out.setdefault(student, f"{why.removeprefix('the kernel stopped in this cell: ')} (in {grade_id})")
    return out


def _cells_with_error(root: Path, assignment: str, ename: str) -> dict[str, list[tuple[str, str]]]:
    """student -> (grade id, message) of the cells with an ``ename`` error, in the autograded notebooks."""
    import nbformat
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((root / "autograded").glob(f"*/{assignment}/*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            error = next((o for o in cell.get("outputs", []) if o.get("ename") == ename), None)
            if cell.cell_type == "code" and error is not None:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {cell.get('id')}")
                out.setdefault(path.parents[1].name, []).append((gid, str(error.get("evalue", ""))))
    return out


def _timed_out_cells(root: Path, assignment: str) -> dict[str, list[str]]:
    """student -> cells stopped by Execute.timeout, read from the autograded notebooks."""
    return {student: [gid for gid, _ in cells]
            for student, cells in _cells_with_error(root, assignment, "CellTimeoutError").items()}


# --------------------------------------------------------------------------- tamper flags


def _flags_path(root: Path, assignment: str) -> Path:
    return root / "exports" / "flags" / f"{assignment}.json"


def load_flags(root: Path, assignment: str) -> dict[str, dict]:
    """student -> {sha256, scanned, flags, cleared, cleared_at} from exports/flags/<assignment>.json."""
    path = _flags_path(root, assignment)
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["students"]


def _save_flags(root: Path, assignment: str, records: dict[str, dict]) -> Path:
    from sim.grading.tamper import KINDS
    path = _flags_path(root, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"assignment": assignment, "kinds": KINDS, "students": dict(sorted(records.items()))}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def _flagged_lines(record: dict) -> int:
    return len({(f["notebook"], f["cell"], f["line"]) for f in record["flags"]})


def provisional(root: Path, assignment: str) -> dict[str, int]:
    """student -> flagged lines, for the students whose flags the trainer has not cleared."""
    return {s: _flagged_lines(r) for s, r in load_flags(root, assignment).items()
            if r["flags"] and not r["cleared"]}


def scan_submissions(root: Path, assignment: str, students: list[str]) -> dict[str, dict]:
    """Scan the students' submitted notebooks for tamper flags and record them.

    The record of a student is keyed by the SHA-256 of their notebooks: while the submission is
    unchanged, a trainer's ``cleared`` decision is kept; a changed submission is flagged afresh.
    """
    import nbformat

    from sim.grading.tamper import scan_notebook
    records = load_flags(root, assignment)
    sources = {p.name: nbformat.read(str(p), as_version=4) for p in _notebooks(root / "source" / assignment)}
    for student in students:
        if not (root / "submitted" / student / assignment).is_dir():
            continue
        digest, flags = hashlib.sha256(), []
        for name, source_nb in sources.items():
            path = root / "submitted" / student / assignment / name
            if not path.exists():
                continue
            data = path.read_bytes()
            digest.update(f"{name}\0{len(data)}\0".encode() + data)
            try:
                nb = nbformat.reads(data.decode("utf-8"), as_version=4)
            except Exception:  # noqa: BLE001 - unreadable notebooks are check_names' business
                continue
            try:
                found = [f.as_dict() for f in scan_notebook(nb, source_nb)]
            except Exception as exc:  # noqa: BLE001 - a flaw of the scan must not stop grading
                found = [{"cell": "-", "line": 0, "text": "", "kind": "unscannable",
                          "reason": f"the scan failed ({type(exc).__name__}: {exc}); read the notebook"}]
            flags += [{"notebook": name, **f} for f in found]
        old = records.get(student, {})
        same = old.get("sha256") == digest.hexdigest()
        records[student] = {"sha256": digest.hexdigest(), "scanned": _stamp(), "flags": flags,
                            "cleared": bool(same and old.get("cleared")),
                            "cleared_at": old.get("cleared_at") if same else None}
    _save_flags(root, assignment, records)
    return {s: records[s] for s in students if s in records}


def _print_flags(student: str, record: dict) -> None:
    state = f"cleared {record['cleared_at']}" if record["cleared"] else "PROVISIONAL"
    print(f"  [FLAGGED] {student}: {_flagged_lines(record)} line(s), {state}")
    for f in record["flags"]:
        print(f"      {f['notebook']} {f['cell']}, line {f['line']} [{f['kind']}]: {f['text']}")
        print(f"          {f['reason']}")


# --------------------------------------------------------------------------- release manifest


MANIFEST = "MANIFEST"  # source/<assignment>/MANIFEST: the files learners get, one path a line
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__"}  # editor and interpreter caches, never released


def read_manifest(folder: Path) -> list[str]:
    """The relative paths listed in ``folder/MANIFEST``, in order.

    One path a line, relative to the folder, with ``/`` between folders; blank lines and lines
    starting with ``#`` are skipped. Raises ``ValueError`` naming the file and the bad line.
    """
    path = folder / MANIFEST
    if not path.is_file():
        raise ValueError(f"{path} is missing: list the files learners get in it, one per line "
                         "(see README.md)")
    listed: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rel = PurePosixPath(line)
        if rel.is_absolute() or "\\" in line or {"..", "."} & set(line.split("/")) \
                or rel.as_posix() == MANIFEST or SKIPPED_DIRS & set(rel.parts):
            raise ValueError(f"{path} line {number}: {line!r} is not a plain relative path of a "
                             "file to release")
        if rel.as_posix() not in listed:
            listed.append(rel.as_posix())
    if not listed:
        raise ValueError(f"{path} lists no files")
    return listed


def files_under(folder: Path) -> set[str]:
    """Every file below *folder* as a relative ``/`` path, outside SKIPPED_DIRS, without the
    top-level MANIFEST; a link to a folder counts as a file (nothing may hide in one)."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        rel = Path(dirpath).relative_to(folder)
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        found |= {(rel / name).as_posix() for name in [*filenames, *linked]}
    found.discard(MANIFEST)
    return found


# What to do about files a folder holds but MANIFEST does not list, and about listed files it lacks
MANIFEST_FIXES = {
    "source": ("remove {it}, or add {it} to MANIFEST", "put {it} back, or remove {it} from MANIFEST"),
    "release": ("delete {it} there, or run release again with --force to regenerate",
                "nbgrader did not write {it}: read the log"),
}


def manifest_mismatch(folder: Path, listed: list[str], fix_extra: str, fix_missing: str) -> str | None:
    """One line naming every file in *folder* (``<step>/<assignment>/``) not in *listed* and every
    listed file it lacks, each with its fix (``{it}`` in a fix becomes "it" or "them")."""
    where = f"{folder.parent.name}/{folder.name}/"
    present = files_under(folder) if folder.is_dir() else set()
    extra = sorted(present - set(listed))
    missing = [f for f in listed if f not in present or not (folder / f).is_file()]
    parts = []
    for names, what, fix in ((extra, "holds {n} file(s) not in MANIFEST", fix_extra),
                             (missing, "lacks {n} file(s) listed in MANIFEST", fix_missing)):
        if names:
            it = "it" if len(names) == 1 else "them"
            parts.append(f"{where} {what.format(n=len(names))}: {', '.join(names)} ({fix.format(it=it)})")
    return "; ".join(parts) or None


def _release_ignore(root: Path) -> list[str]:
    """generate_assignment options that leave MANIFEST out of the release (nbgrader's
    ``CourseDirectory.ignore`` as configured, plus MANIFEST)."""
    from nbgrader.coursedir import CourseDirectory
    ignore = [*CourseDirectory(config=_config(root)).ignore, MANIFEST]
    return [f"--CourseDirectory.ignore={pattern}" for pattern in dict.fromkeys(ignore)]


# --------------------------------------------------------------------------- gradebook backups


# Backups kept in exports/backups/. One is made before every command that writes the gradebook
# (release, autograde, undo), so 10 reach back over several grading runs and a few undos; each is
# one copy of gradebook.db (~160 KB after releasing one assignment), so the folder stays small.
BACKUPS_KEPT = 10


def _backups(root: Path) -> Path:
    return root / "exports" / "backups"


def backup_gradebook(root: Path, command: str, assignment: str) -> bool:
    """Back up gradebook.db before *command* writes it; False (after saying why) if that fails."""
    import sqlite3

    from sim.grading.gradebook import backup
    db = root / "gradebook.db"
    if not db.exists():
        return True
    try:
        path = backup(db, _backups(root), f"{command}-{assignment}", BACKUPS_KEPT)
    except (OSError, sqlite3.Error) as exc:
        print(f"error: {command} refused: the gradebook could not be backed up to {_backups(root)} "
              f"({type(exc).__name__}: {exc}); nothing was changed.")
        return False
    print(f"Gradebook backed up to {path.relative_to(root)} (python tools.py undo restores it).")
    return True


# --------------------------------------------------------------------------- subcommands


# --------------------------------------------------------------------------- reference values


def _recipes(root: Path) -> dict:
    """The assignments' reference recipes (``references.py`` next to ``nbgrader_config.py``)."""
    import importlib.util
    path = root / "references.py"
    if not path.exists():
        return {}
    spec = importlib.util.spec_from_file_location("course_references", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.RECIPES)


def reference_check(root: Path, assignment: str, *, write: bool = False) -> tuple[list[str], list[str]]:
    """(problems, changed names) of the hidden tests' reference lines of ``source/<a>/<a>.ipynb``
    (``sim/grading/references.py``). The source's setup and solution cells run in this process:
    they are the course's own code, never a learner's. With ``write``, stale lines are rewritten."""
    import io

    import nbformat

    from sim.grading import references
    path = root / "source" / assignment / f"{assignment}.ipynb"
    if not path.exists():
        return [], []
    nb = nbformat.read(str(path), as_version=4)
    try:
        found = references.literals(nb)
    except references.ReferenceLineError as exc:
        return [str(exc)], []
    recipe = _recipes(root).get(assignment)
    if recipe is None:
        return ([f"the hidden tests have reference lines ({', '.join(found)}) but references.py "
                 f"has no recipe for {assignment!r}"] if found else []), []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        values = recipe(references.run_solutions(nb, assignment))
    try:
        problems = references.stale(nb, values)
        if not write or not problems:
            return problems, []
        changed = references.write(nb, values)
    except references.ReferenceLineError as exc:
        return [str(exc)], []
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(path)
    return [], [f"{p}" for p in problems if p.split(":")[0] in changed]


def cmd_references(root: Path, a: argparse.Namespace) -> int:
    problems, changed = reference_check(root, a.assignment, write=a.write)
    for line in changed:
        print(f"  rewritten: {line}")
    if changed:
        print(f"Wrote the new reference values into source/{a.assignment}/{a.assignment}.ipynb; "
              "check the diff, then release again.")
        return EXIT_OK
    for line in problems:
        print(f"  STALE: {line}")
    if problems:
        print(f"The hidden tests of {a.assignment!r} compare with values the source no longer gives; "
              f"run: python tools.py references {a.assignment} --write")
        return EXIT_ATTENTION
    print(f"The hidden tests' reference values of {a.assignment!r} are up to date.")
    return EXIT_OK


def cmd_release(root: Path, a: argparse.Namespace) -> int:
    source = root / "source" / a.assignment
    try:
        listed = read_manifest(source)
    except (OSError, ValueError) as exc:
        print(f"error: release refused: {exc}")
        return EXIT_USAGE
    problems, _ = reference_check(root, a.assignment)
    if problems:
        print("error: release refused, nothing generated: the hidden tests' reference values are out "
              "of date:\n" + "\n".join(f"  {p}" for p in problems) +
              f"\nrun: python tools.py references {a.assignment} --write, check the diff, release again")
        return EXIT_USAGE
    wrong = manifest_mismatch(source, listed, *MANIFEST_FIXES["source"])
    if wrong:
        print(f"error: release refused, nothing generated: {wrong}")
        return EXIT_USAGE
    if not backup_gradebook(root, "release", a.assignment):
        return EXIT_USAGE
    rc = run_nbgrader(root, ["generate_assignment", a.assignment, *(["--force"] if a.force else []),
                             *_release_ignore(root)],
                      log=_log_path(root, f"release-{a.assignment}"), echo=a.verbose)
    if rc:
        return EXIT_NBGRADER_FAILED
    release = root / "release" / a.assignment
    wrong = manifest_mismatch(release, listed, *MANIFEST_FIXES["release"])
    if wrong:
        print(f"error: release refused, nothing zipped: {wrong}")
        return EXIT_USAGE
    out = root / "exports" / "release" / f"{a.assignment}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in sorted(listed):
            z.write(release / rel, f"{a.assignment}/{rel}")
    partial.replace(out)
    print(f"Release for learners: {release}  (zip for an LMS or e-mail: {out}; "
          f"{len(listed)} file(s), as listed in source/{a.assignment}/{MANIFEST})")
    if a.exchange:
        _ensure_exchange(root)
        rc = run_nbgrader(root, ["release_assignment", a.assignment, *(["--force"] if a.force else [])],
                          log=_log_path(root, f"exchange-release-{a.assignment}"), echo=a.verbose)
        if rc:
            return EXIT_NBGRADER_FAILED
    return EXIT_OK


def cmd_collect(root: Path, a: argparse.Namespace) -> int:
    if a.zip:
        archive = root / "downloaded" / a.assignment / "archive"
        if not archive.is_dir() or not any(archive.iterdir()):
            print(f"Put the uploaded files in {archive} first (see README.md).")
            return EXIT_USAGE
        try:
            collected = collect_uploads(root, a.assignment, force=a.force)
        except ValueError as exc:
            print(f"error: {exc}")
            return EXIT_USAGE
        print(f"Collected from {archive} (learner ids: {_learner_ids_path(root)}):")
        _print_issues(collected)
        rc = 0
    else:
        _ensure_exchange(root)
        args = ["collect", a.assignment, *(["--update"] if a.force else [])]
        rc = run_nbgrader(root, args, log=_log_path(root, f"collect-{a.assignment}"), echo=a.verbose)
        collected = []
    print("Checking notebook names:")
    issues = check_names(root, a.assignment)
    _print_issues(issues)
    if rc:
        return EXIT_NBGRADER_FAILED
    regrade = any(i.kind == "changed-since-grading" for i in collected)
    return EXIT_ATTENTION if regrade or any(i.blocking for i in issues + collected) else EXIT_OK


def cmd_check_names(root: Path, a: argparse.Namespace) -> int:
    issues = check_names(root, a.assignment, fix=not a.no_fix)
    _print_issues(issues)
    return EXIT_ATTENTION if any(i.blocking for i in issues) else EXIT_OK


def cmd_autograde(root: Path, a: argparse.Namespace) -> int:
    if a.unsafe:
        print(UNSAFE_WARNING, flush=True)
    else:
        from sim.grading.execute import is_sandboxed
        from sim.grading.sandbox import check
        why = check()
        if not why:
            try:
                sandboxed = is_sandboxed(_config(root))
            except Exception as exc:  # noqa: BLE001 - any error in the config file refuses
                sandboxed, why = False, f"nbgrader_config.py does not load: {exc}"
            if not sandboxed and not why:
                why = ("nbgrader_config.py does not run kernels through SandboxedExecute "
                       "(c.Autograde.autograde_preprocessors)")
        if why:
            print(f"error: grading refused: {why}. Learners' code must run in the sandbox; "
                  "`make grade` installs bubblewrap, or see --unsafe in assignments/README.md.")
            return EXIT_USAGE
    if not backup_gradebook(root, "autograde", a.assignment):
        return EXIT_USAGE
    print("Checking submissions:")
    issues = check_names(root, a.assignment)
    _print_issues(issues)
    held = sorted({i.student for i in issues if i.blocking})
    print("Scanning learners' cells for tamper flags (see `python tools.py flags`):")
    students = [a.student] if a.student else sorted(
        p.parent.name for p in (root / "submitted").glob(f"*/{a.assignment}") if p.is_dir())
    scanned = scan_submissions(root, a.assignment, [s for s in students if s not in held])
    for student, record in scanned.items():
        if record["flags"]:
            _print_flags(student, record)
    if not any(r["flags"] for r in scanned.values()):
        print("  no flags")
    args = ["autograde", a.assignment]
    if a.student:
        args += ["--student", a.student]
    if a.force:
        print("--force: manual grades of re-autograded students are reset to 'needs grading' (P7).")
        args.append("--force")
    if held:
        args.append("--CourseDirectory.student_id_exclude=" + ",".join(held))
    log = _log_path(root, f"autograde-{a.assignment}")
    rc = run_nbgrader(root, args, log=log, echo=a.verbose, max_minutes=a.max_minutes,
                      max_memory_gb=a.max_memory_gb, unsafe=a.unsafe)
    errors = [ln.rstrip() for ln in log.read_text(encoding="utf-8").splitlines()
              if "| ERROR]" in ln and "Timeout waiting" not in ln and "Interrupting kernel" not in ln]
    record_crashes(root, a.assignment, *crashes_in_log(log.read_text(encoding="utf-8")), log)
    timeouts = _timed_out_cells(root, a.assignment)
    summary = submission_summary(root, a.assignment)
    crashed = {r["student"] for r in summary if r["status"].startswith("crashed")}
    flagged = provisional(root, a.assignment)
    print(f"\n{'student':24} {'score':>12}  status; notes")
    for row in summary:
        student, notes = row["student"], [row["status"]]
        graded_copy = (root / "autograded" / student / a.assignment).is_dir()
        score = f"{row['score']:>5} / {row['max_score']:<5}"
        if student in flagged:
            notes.append(f"PROVISIONAL ({flagged[student]} flagged lines)")
        if student in crashed:  # not waiting for manual grading: a person decides first
            if not graded_copy:  # nbgrader gave up: its 0 is no grade
                score = "crashed"
            notes.append(f"{'NOT GRADED' if not graded_copy else 'later cells not run (0)'}: read it, "
                         "fix it or ask for a new upload, then python tools.py autograde "
                         f"{a.assignment} --student {student}{' --force' if graded_copy else ''}")
        elif row["needs_manual_grade"]:
            notes.append(f"{len(row['needs_manual_grade'])} cell(s) to grade by hand")
        print(f"{student:24} {score:>12}  {'; '.join(notes)}")
    for student in held:
        print(f"{student:24} {'not graded':>12}  NEEDS ATTENTION (see above)")
    # cell metadata the learner's editor changed, put back before grading (sim/grading/restore.py)
    from sim.grading.restore import restored_cells
    restored = [Issue(s, "restored-metadata", m, False) for s, m in restored_cells(
        root / "autograded", a.assignment, [s for s in students if s not in held])]
    if restored:
        print("\nCell metadata put back from the gradebook before grading (changed in the learner's copy):")
        _print_issues(restored)
    if errors:
        print("\nnbgrader reported errors (see the log):", *errors[:20], sep="\n  ")
    report = {"assignment": a.assignment, "nbgrader_exit_code": rc, "log": str(log),
              "issues": [asdict(i) for i in issues], "held_back": held, "timeouts": timeouts,
              "errors": errors, "submissions": summary, "provisional": flagged,
              "status": {r["student"]: r["status"] for r in summary},
              "restored_metadata": [asdict(i) for i in restored]}
    report_path = log.with_suffix(".json")
    report_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    shutil.copy(report_path, report_path.with_name(f"autograde-{a.assignment}-latest.json"))
    print(f"Report: {report_path}")
    if rc:
        print("nbgrader autograde FAILED for at least one submission: read the log before trusting "
              "grades.csv (a crashed submission shows as 0 there; its status here says 'crashed').")
        return EXIT_NBGRADER_FAILED
    return EXIT_ATTENTION if held else EXIT_OK


def cmd_feedback(root: Path, a: argparse.Namespace) -> int:
    summary = submission_summary(root, a.assignment)
    if not summary:
        print(f"No autograded submissions of {a.assignment!r} in the gradebook.")
        return EXIT_USAGE
    pending = sorted(r["student"] for r in summary if r["needs_manual_grade"])
    ready = sorted(r["student"] for r in summary if not r["needs_manual_grade"])
    status = {r["student"]: r["status"] for r in summary}
    for s in pending:
        why = "manual grading not finished"
        if status[s].startswith(("crashed", "timed-out")):  # a person looks at it before grading
            why = f"{status[s]}; look at the notebook in the formgrader, then grade it by hand"
        print(f"  held back: {s} ({why})")
    if not ready:
        print("No student is fully graded yet; grade in the formgrader first.")
        return EXIT_OK
    exclude = ["--CourseDirectory.student_id_exclude=" + ",".join(pending)] if pending else []
    force = ["--force"] if a.force else []
    rc = run_nbgrader(root, ["generate_feedback", a.assignment, *force, *exclude],
                      log=_log_path(root, f"feedback-{a.assignment}"), echo=a.verbose)
    if rc:
        return EXIT_NBGRADER_FAILED
    flagged = provisional(root, a.assignment)
    for s in ready:
        note = f"  PROVISIONAL ({flagged[s]} flagged lines, see tools.py flags)" if s in flagged else ""
        if status[s].startswith(("crashed", "timed-out")):
            note += f"  ({status[s]}; the feedback shows the cells that did not run)"
        print(f"  feedback: {s}: {root / 'feedback' / s / a.assignment}{note}")
    if a.exchange:
        _ensure_exchange(root)
        rc = run_nbgrader(root, ["release_feedback", a.assignment, *exclude],
                          log=_log_path(root, f"exchange-feedback-{a.assignment}"), echo=a.verbose)
        if rc:
            return EXIT_NBGRADER_FAILED
    return EXIT_OK


EXPORT_COLUMNS = ["student_id", "assignment", "notebook", "grade_cell", "cell_type", "auto_score",
                  "manual_score", "extra_credit", "score", "max_score", "needs_manual_grade",
                  "provisional", "status"]


def export_cells(root: Path, out: Path, assignment: str | None = None) -> int:
    """Write one CSV row per (student, assignment, notebook, grade cell); returns the row count."""
    rows = []
    with _gradebook(root) as gb:
        for asg in sorted(gb.assignments, key=lambda x: x.name):
            if assignment and asg.name != assignment:
                continue
            flagged = provisional(root, asg.name)
            crashed, timeouts = crashed_submissions(root, asg.name), _timed_out_cells(root, asg.name)
            for sub in sorted(gb.assignment_submissions(asg.name), key=lambda s: s.student.id):
                pending = any(g.needs_manual_grade for nb in sub.notebooks for g in nb.grades)
                status = submission_status(sub.student.id, pending, crashed, timeouts)
                for nb in sorted(sub.notebooks, key=lambda n: n.name):
                    order = {c.name: i for i, c in enumerate(nb.notebook.source_cells)}
                    for g in sorted(nb.grades, key=lambda g: order.get(g.name, 0)):
                        rows.append({
                            "student_id": sub.student.id, "assignment": asg.name,
                            "notebook": nb.name, "grade_cell": g.name,
                            "cell_type": g.cell_type, "auto_score": g.auto_score,
                            "manual_score": g.manual_score, "extra_credit": g.extra_credit,
                            "score": g.score, "max_score": g.max_score,
                            "needs_manual_grade": g.needs_manual_grade,
                            "provisional": sub.student.id in flagged, "status": status})
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def cmd_export_cells(root: Path, a: argparse.Namespace) -> int:
    if not (root / "gradebook.db").exists():
        print(f"No gradebook at {root / 'gradebook.db'}; release and autograde first.")
        return EXIT_USAGE
    n = export_cells(root, Path(a.out).resolve(), a.assignment)
    print(f"Wrote {n} rows to {a.out}")
    return EXIT_OK


def cmd_flags(root: Path, a: argparse.Namespace) -> int:
    records = load_flags(root, a.assignment)
    if not records:
        print(f"No scan recorded for {a.assignment!r}: autograde scans every submission first.")
        return EXIT_OK
    unknown = [s for s in a.clear or [] if s not in records]
    if unknown:
        print(f"error: no scan recorded for {', '.join(unknown)}; known: {', '.join(sorted(records))}.")
        return EXIT_USAGE
    for student in a.clear or []:
        records[student].update(cleared=True, cleared_at=_stamp())
        print(f"Cleared {student}: their score is no longer provisional (until they submit again).")
    path = _save_flags(root, a.assignment, records) if a.clear else _flags_path(root, a.assignment)
    for student, record in sorted(records.items()):
        if record["flags"]:
            _print_flags(student, record)
    clean = sorted(s for s, r in records.items() if not r["flags"])
    print(f"No flags: {len(clean)} of {len(records)} submission(s). Record: {path}")
    left = provisional(root, a.assignment)
    if left:
        print(f"Provisional until cleared: {', '.join(sorted(left))} "
              f"(python tools.py flags {a.assignment} --clear STUDENT)")
    return EXIT_ATTENTION if left else EXIT_OK


def _describe_backup(path: Path) -> str:
    from sim.grading.gradebook import describe
    info = describe(path)
    return f"{path.name}  (taken {info['taken']}, before {info['label']})"


def cmd_backups(root: Path, a: argparse.Namespace) -> int:
    from sim.grading.gradebook import list_backups
    found = list_backups(_backups(root))
    if not found:
        print(f"No gradebook backups in {_backups(root)} yet: release and autograde make one "
              "before they write the gradebook.")
        return EXIT_OK
    print(f"Gradebook backups in {_backups(root)}, newest first (the last {BACKUPS_KEPT} are kept):")
    for n, path in enumerate(found):
        note = "   <- python tools.py undo restores this one" if n == 0 else ""
        print(f"  {_describe_backup(path)}  {path.stat().st_size // 1024} KiB{note}")
    return EXIT_OK


def cmd_undo(root: Path, a: argparse.Namespace) -> int:
    import sqlite3

    from sim.grading.gradebook import list_backups, restore
    found = list_backups(_backups(root))
    which = _backups(root) / a.backup if a.backup else None
    if not found or (which and which not in found):
        print(f"error: nothing to undo: {'no backup ' + repr(a.backup) if which else 'no backups'} "
              f"in {_backups(root)} (see python tools.py backups).")
        return EXIT_USAGE
    description = _describe_backup(which or found[0])
    try:
        restored, before = restore(root / "gradebook.db", _backups(root), BACKUPS_KEPT, which)
    except (OSError, sqlite3.Error) as exc:
        print(f"error: undo failed ({type(exc).__name__}: {exc}); the gradebook was not restored.")
        return EXIT_USAGE
    print(f"Restored gradebook.db from {description}.")
    if before:
        print(f"The gradebook as it was is saved as {before.name}: python tools.py undo again puts it back.")
    print("Not rolled back: autograded/, feedback/ and exports/ (flags, logs, reports) stay as they are; "
          "restart the formgrader if it is running (see README.md).")
    return EXIT_OK


def validate(path: Path) -> dict:
    """nbgrader's Validator, in process (``nbgrader validate`` exits 0 even on failure, P2)."""
    from nbgrader.validator import Validator
    return Validator().validate(str(path))


def cmd_validate(root: Path, a: argparse.Namespace) -> int:
    names = a.assignment or sorted(p.name for p in (root / "source").iterdir() if p.is_dir())
    bad = 0
    for name in names:
        for nb in _notebooks(root / "source" / name):
            res = validate(nb)
            ok = not any(res.get(k) for k in ("failed", "errors", "changed", "type_changed"))
            print(f"{'ok  ' if ok else 'FAIL'} source {name}/{nb.name}: the solutions pass the tests")
            bad += not ok
            rel = root / "release" / name / nb.name
            if rel.exists():
                failed = bool(validate(rel).get("failed"))
                print(f"{'ok  ' if failed else 'FAIL'} release {name}/{nb.name}: fails as released")
                bad += not failed
    return EXIT_OK if not bad else EXIT_NBGRADER_FAILED


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--course", type=Path, default=COURSE, help="course root (default: this folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="echo nbgrader's output")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("release", help="generate the student version (+ zip; --exchange to release)")
    s.add_argument("assignment")
    s.add_argument("--force", action="store_true", help="overwrite an existing release")
    s.add_argument("--exchange", action="store_true", help="also release to the exchange")
    s.set_defaults(func=cmd_release)

    s = sub.add_parser("references", help="check (or --write) the hidden tests' reference values")
    s.add_argument("assignment")
    s.add_argument("--write", action="store_true", help="rewrite stale values in the source notebook")
    s.set_defaults(func=cmd_references)

    s = sub.add_parser("collect", help="collect from the exchange, or uploads with --zip")
    s.add_argument("assignment")
    s.add_argument("--zip", action="store_true",
                   help="uploads from downloaded/<a>/archive (new and changed ones; any LMS learner id)")
    s.add_argument("--force", action="store_true",
                   help="overwrite earlier collected files (--zip: unchanged uploads too; the old "
                        "folders are kept in exports/submitted-history/)")
    s.set_defaults(func=cmd_collect)

    s = sub.add_parser("check-names", help="report (and fix) misnamed or tampered submissions")
    s.add_argument("assignment")
    s.add_argument("--no-fix", action="store_true", help="only report, copy nothing")
    s.set_defaults(func=cmd_check_names)

    s = sub.add_parser("autograde", help="check names, autograde all students, summarise")
    s.add_argument("assignment")
    s.add_argument("--student", help="only this student id")
    s.add_argument("--force", action="store_true", help="re-autograde (resets manual grading!)")
    s.add_argument("--max-minutes", type=float, help="stop the whole run after M minutes")
    s.add_argument("--max-memory-gb", type=float, help="address-space cap for nbgrader and kernels")
    s.add_argument("--unsafe", action="store_true",
                   help="run learners' code WITHOUT the sandbox, with your rights (says why it is unsafe)")
    s.set_defaults(func=cmd_autograde)

    s = sub.add_parser("feedback", help="HTML feedback for students whose manual grading is done")
    s.add_argument("assignment")
    s.add_argument("--force", action="store_true", help="rewrite existing feedback")
    s.add_argument("--exchange", action="store_true", help="also release feedback to the exchange")
    s.set_defaults(func=cmd_feedback)

    s = sub.add_parser("export-cells", help="per-cell scores as CSV (nbgrader's export has totals)")
    s.add_argument("--out", required=True, help="CSV file to write")
    s.add_argument("--assignment", help="only this assignment")
    s.set_defaults(func=cmd_export_cells)

    s = sub.add_parser("flags", help="tamper flags of the last autograde; --clear a learner after review")
    s.add_argument("assignment")
    s.add_argument("--clear", action="append", metavar="STUDENT",
                   help="mark this learner's flags as reviewed (repeatable); kept until they resubmit")
    s.set_defaults(func=cmd_flags)

    s = sub.add_parser("validate", help="sources pass their tests; releases fail them")
    s.add_argument("assignment", nargs="*")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("backups", help="list the gradebook backups (made before release and autograde)")
    s.set_defaults(func=cmd_backups)

    s = sub.add_parser("undo", help="restore the newest gradebook backup (backs up the current one first)")
    s.add_argument("backup", nargs="?", help="a file name from `tools.py backups` (default: the newest)")
    s.set_defaults(func=cmd_undo)

    a = p.parse_args(argv)
    root = a.course.resolve()
    if not (root / "nbgrader_config.py").exists():
        print(f"{root} is not a course root (no nbgrader_config.py).")
        return EXIT_USAGE
    if getattr(a, "assignment", None) and isinstance(a.assignment, str) \
            and not (root / "source" / a.assignment).is_dir():
        known = ", ".join(sorted(p.name for p in (root / "source").iterdir() if p.is_dir()))
        print(f"Unknown assignment {a.assignment!r}; known: {known}.")
        return EXIT_USAGE
    return a.func(root, a)


if __name__ == "__main__":
    sys.exit(main())
