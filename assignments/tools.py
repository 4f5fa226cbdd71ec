#!/usr/bin/env python
"""Trainer's command line for the nbgrader course in this folder (nbgrader 0.9.6); see README.md.

    python tools.py release ASSIGNMENT [--force] [--exchange]
    python tools.py collect ASSIGNMENT [--zip] [--force]
    python tools.py check-names ASSIGNMENT
    python tools.py autograde ASSIGNMENT [--student ID] [--force] [--max-minutes M] [--max-memory-gb G]
                                         [--unsafe]
    python tools.py feedback ASSIGNMENT [--force] [--exchange]
    python tools.py export-cells --out FILE.csv [--assignment ASSIGNMENT]
    python tools.py flags ASSIGNMENT [--clear STUDENT]
    python tools.py validate [ASSIGNMENT ...]

Every nbgrader call runs with this Python's bin directory first on PATH (nbgrader shells out to
``alembic``) and with the course root as working directory, so ``nbgrader_config.py`` applies.
Exit codes: 0 done; 1 nbgrader failed (read the log it names); 2 usage error, or grading refused
because the sandbox cannot run; 3 done, but some submissions need a person (listed as NEEDS
ATTENTION and left ungraded, never scored 0).

Autograding runs every learner's kernel in a bubblewrap sandbox (``sim/grading/sandbox.py``,
configured in ``nbgrader_config.py``); it refuses to run without one unless ``--unsafe`` is given.
Before grading, it scans the learners' cells for tricks that can fool the tests in their own
notebook (``sim/grading/tamper.py``): a flagged learner's score is PROVISIONAL until the trainer
clears it with ``tools.py flags``. Flags do not change autograde's exit code (the learner is graded);
``tools.py flags`` exits with 3 while uncleared flags remain.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import filecmp
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

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
    kind: str  # renamed | missing | unreadable | no-metadata | extra | edited-cell | deleted-cell
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
            try:
                cells = _grade_ids(folder / name)
            except Exception as exc:  # noqa: BLE001 - report, don't crash the batch
                issues.append(Issue(student, "unreadable", f"'{name}' is not a readable notebook "
                                    f"({type(exc).__name__}: {exc}); ask for a new upload", True))
                continue
            if not cells:
                issues.append(Issue(student, "no-metadata", f"'{name}' has no nbgrader cells (answers "
                                    "copied into a new notebook?); copy them into the released "
                                    "notebook and run autograde again", True))
                continue
            reference = release / name
            if not reference.exists():
                continue
            for gid, source in _read_only_cells(reference).items():
                if gid not in cells:
                    issues.append(Issue(student, "deleted-cell", f"read-only cell '{gid}' was deleted; "
                                        "autograde adds test cells back and runs them", False))
                elif cells[gid] != source:
                    issues.append(Issue(student, "edited-cell", f"read-only cell '{gid}' was edited; "
                                        "autograde restores the original and runs it", False))
    return issues


def _print_issues(issues: list[Issue]) -> None:
    for i in issues:
        tag = "NEEDS ATTENTION" if i.blocking else i.kind.upper()
        print(f"  [{tag}] {i.student}: {i.message}")
    if not issues:
        print("  all submissions have the expected notebook names")


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
    """Per student: score, max score, and the cells still waiting for a person."""
    rows = []
    if not (root / "gradebook.db").exists():
        return rows
    with _gradebook(root) as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except Exception:  # noqa: BLE001 - assignment not in the gradebook yet
            return rows
        for sub in sorted(submissions, key=lambda s: s.student.id):
            pending = [g.name for nb in sub.notebooks for g in nb.grades if g.needs_manual_grade]
            rows.append({"student": sub.student.id, "score": round(sub.score, 2),
                         "max_score": sub.max_score, "needs_manual_grade": pending})
    return rows


def _timed_out_cells(root: Path, assignment: str) -> dict[str, list[str]]:
    """student -> cells stopped by Execute.timeout, read from the autograded notebooks."""
    import nbformat
    out: dict[str, list[str]] = {}
    for path in sorted((root / "autograded").glob(f"*/{assignment}/*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                gid = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {cell.get('id')}")
                out.setdefault(path.parents[1].name, []).append(gid)
    return out


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


# --------------------------------------------------------------------------- subcommands


def cmd_release(root: Path, a: argparse.Namespace) -> int:
    rc = run_nbgrader(root, ["generate_assignment", a.assignment, *(["--force"] if a.force else [])],
                      log=_log_path(root, f"release-{a.assignment}"), echo=a.verbose)
    if rc:
        return EXIT_NBGRADER_FAILED
    release = root / "release" / a.assignment
    out = root / "exports" / "release" / f"{a.assignment}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(release.rglob("*")):
            if f.is_file() and ".ipynb_checkpoints" not in f.parts:
                z.write(f, Path(a.assignment) / f.relative_to(release))
    print(f"Release for learners: {release}  (zip for an LMS or e-mail: {out})")
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
        args = ["zip_collect", a.assignment, *(["--force"] if a.force else [])]
    else:
        _ensure_exchange(root)
        args = ["collect", a.assignment, *(["--update"] if a.force else [])]
    rc = run_nbgrader(root, args, log=_log_path(root, f"collect-{a.assignment}"), echo=a.verbose)
    print("Checking notebook names:")
    issues = check_names(root, a.assignment)
    _print_issues(issues)
    if rc:
        return EXIT_NBGRADER_FAILED
    return EXIT_ATTENTION if any(i.blocking for i in issues) else EXIT_OK


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
    timeouts = _timed_out_cells(root, a.assignment)
    summary = submission_summary(root, a.assignment)
    flagged = provisional(root, a.assignment)
    print(f"\n{'student':24} {'score':>12}  notes")
    for row in summary:
        notes = []
        if row["student"] in flagged:
            notes.append(f"PROVISIONAL ({flagged[row['student']]} flagged lines)")
        if row["student"] in timeouts:
            notes.append("timed out: " + ", ".join(timeouts[row["student"]]))
        if row["needs_manual_grade"]:
            notes.append(f"{len(row['needs_manual_grade'])} cell(s) to grade by hand")
        print(f"{row['student']:24} {row['score']:>5} / {row['max_score']:<5}  {'; '.join(notes)}")
    for student in held:
        print(f"{student:24} {'not graded':>12}  NEEDS ATTENTION (see above)")
    if errors:
        print("\nnbgrader reported errors (see the log):", *errors[:20], sep="\n  ")
    report = {"assignment": a.assignment, "nbgrader_exit_code": rc, "log": str(log),
              "issues": [asdict(i) for i in issues], "held_back": held, "timeouts": timeouts,
              "errors": errors, "submissions": summary, "provisional": flagged}
    report_path = log.with_suffix(".json")
    report_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    shutil.copy(report_path, report_path.with_name(f"autograde-{a.assignment}-latest.json"))
    print(f"Report: {report_path}")
    if rc:
        print("nbgrader autograde FAILED for at least one submission: read the log before trusting "
              "grades.csv (a crashed submission can show as 0).")
        return EXIT_NBGRADER_FAILED
    return EXIT_ATTENTION if held else EXIT_OK


def cmd_feedback(root: Path, a: argparse.Namespace) -> int:
    summary = submission_summary(root, a.assignment)
    if not summary:
        print(f"No autograded submissions of {a.assignment!r} in the gradebook.")
        return EXIT_USAGE
    pending = sorted(r["student"] for r in summary if r["needs_manual_grade"])
    ready = sorted(r["student"] for r in summary if not r["needs_manual_grade"])
    for s in pending:
        print(f"  held back: {s} (manual grading not finished)")
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
                  "provisional"]


def export_cells(root: Path, out: Path, assignment: str | None = None) -> int:
    """Write one CSV row per (student, assignment, notebook, grade cell); returns the row count."""
    rows = []
    with _gradebook(root) as gb:
        for asg in sorted(gb.assignments, key=lambda x: x.name):
            if assignment and asg.name != assignment:
                continue
            flagged = provisional(root, asg.name)
            for sub in sorted(gb.assignment_submissions(asg.name), key=lambda s: s.student.id):
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
                            "provisional": sub.student.id in flagged})
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

    s = sub.add_parser("collect", help="collect from the exchange, or uploads with --zip")
    s.add_argument("assignment")
    s.add_argument("--zip", action="store_true", help="zip_collect from downloaded/<a>/archive")
    s.add_argument("--force", action="store_true", help="overwrite earlier collected files")
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
