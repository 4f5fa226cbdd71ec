"""Releases ship only what the source's MANIFEST lists; the gradebook is backed up and can be restored.

The first tests drive :mod:`sim.grading.gradebook` on small SQLite files. The others run
``assignments/tools.py`` in a temporary copy of the course (``fidelity_review`` only): a file
planted in ``source/`` or a listed file that is missing stops ``release``; a release zips exactly
the manifest; an autograde (one honest learner, in the sandbox) is backed up first and ``undo``
puts the earlier gradebook back, and a second ``undo`` undoes the first.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import zipfile
from contextlib import closing
from pathlib import Path

import nbformat
import nbgrader.api as nbgrader_api  # installed by make (the lab extra): fail, never skip
import pytest

# the course tests' helpers: a temporary course copy, running tools.py, an honest learner
from test_grading_sandbox import _course, _learner, _tool  # noqa: E402

from sim.grading import gradebook

NAME = "fidelity_review"
HONEST = "s-honest"


# --------------------------------------------------------------------------- the module


def _db(path: Path, rows: list[tuple[str, int]]) -> Path:
    with closing(sqlite3.connect(path)) as con:
        con.execute("CREATE TABLE IF NOT EXISTS grade (student TEXT PRIMARY KEY, score INTEGER)")
        con.execute("DELETE FROM grade")
        con.executemany("INSERT INTO grade VALUES (?, ?)", rows)
        con.commit()
    return path


def _rows(path: Path) -> list[tuple[str, int]]:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return con.execute("SELECT student, score FROM grade ORDER BY student").fetchall()


def test_backup_of_an_open_database_holds_its_committed_state_only(tmp_path):
    db = tmp_path / "gradebook.db"
    with closing(sqlite3.connect(db)) as con:
        # WAL: committed rows stay in gradebook.db-wal while the database is open, so a plain
        # copy of gradebook.db would miss them; an uncommitted row must not be in any backup
        assert con.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("CREATE TABLE grade (student TEXT PRIMARY KEY, score INTEGER)")
        con.executemany("INSERT INTO grade VALUES (?, ?)", [(f"s{i}", i) for i in range(50)])
        con.commit()
        con.execute("INSERT INTO grade VALUES ('uncommitted', 99)")
        path = gradebook.backup(db, tmp_path / "backups", "autograde-case_plan", keep=10)
        con.rollback()
    assert path.parent == tmp_path / "backups"
    assert path.name.startswith("gradebook-") and path.name.endswith("-autograde-case_plan.db")
    assert _rows(path) == sorted((f"s{i}", i) for i in range(50))
    assert gradebook.describe(path)["label"] == "autograde-case_plan"


def test_backup_taken_while_another_connection_writes_is_one_consistent_snapshot(tmp_path):
    """A writer moves points between two learners in transactions: every backup sums to 100."""
    db = _db(tmp_path / "gradebook.db", [("a", 100), ("b", 0)])
    stop, transfers = threading.Event(), [0]

    def write() -> None:
        with closing(sqlite3.connect(db, timeout=30)) as con:
            while not stop.is_set():
                transfers[0] += 1
                with con:
                    con.execute("UPDATE grade SET score = score - 1 WHERE student = 'a'")
                    con.execute("UPDATE grade SET score = score + 1 WHERE student = 'b'")
                with con:
                    con.execute("UPDATE grade SET score = score + 1 WHERE student = 'a'")
                    con.execute("UPDATE grade SET score = score - 1 WHERE student = 'b'")
                time.sleep(0.001)  # a busy writer, not one that locks every reader out

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while transfers[0] < 3:
            time.sleep(0.01)
        paths = [gradebook.backup(db, tmp_path / "backups", f"run{i}", keep=100) for i in range(10)]
        during = transfers[0]
    finally:
        stop.set()
        writer.join()
    assert len(set(paths)) == 10 and during > 3
    for path in paths:
        assert sum(score for _, score in _rows(path)) == 100


def test_only_the_newest_backups_are_kept_and_other_files_are_left_alone(tmp_path):
    db = _db(tmp_path / "gradebook.db", [("a", 1)])
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    made = [gradebook.backup(db, folder, f"autograde-run{i}", keep=3) for i in range(5)]
    assert gradebook.list_backups(folder) == made[:1:-1]  # the last three, newest first
    assert sorted(p.name for p in folder.iterdir()) == sorted([p.name for p in made[2:]] + ["notes.txt"])
    with pytest.raises(ValueError):
        gradebook.backup(db, folder, "x", keep=0)


def test_backup_of_a_missing_gradebook_fails_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        gradebook.backup(tmp_path / "gradebook.db", tmp_path / "backups", "autograde-a", keep=3)
    assert not (tmp_path / "gradebook.db").exists()
    assert gradebook.list_backups(tmp_path / "backups") == []


def test_restore_backs_up_the_current_gradebook_first_so_it_can_be_undone(tmp_path):
    db = _db(tmp_path / "gradebook.db", [("a", 1)])
    folder = tmp_path / "backups"
    earlier = gradebook.backup(db, folder, "autograde-a", keep=10)
    _db(db, [("a", 0), ("b", 3)])
    with closing(sqlite3.connect(db)) as reader:  # e.g. the formgrader, idle but connected
        assert reader.execute("SELECT count(*) FROM grade").fetchone() == (2,)
        restored, before = gradebook.restore(db, folder, keep=10)
        assert reader.execute("SELECT count(*) FROM grade").fetchone() == (1,)
    assert restored == earlier
    assert _rows(db) == [("a", 1)]
    assert _rows(before) == [("a", 0), ("b", 3)]
    assert gradebook.list_backups(folder) == [before, earlier]
    assert gradebook.describe(before)["label"] == "undo"
    again, _ = gradebook.restore(db, folder, keep=10)  # undo the undo
    assert again == before
    assert _rows(db) == [("a", 0), ("b", 3)]


def test_restoring_the_oldest_backup_survives_the_pruning_of_the_backup_made_first(tmp_path):
    db = _db(tmp_path / "gradebook.db", [("a", 1)])
    folder = tmp_path / "backups"
    oldest = gradebook.backup(db, folder, "first", keep=2)
    _db(db, [("a", 2)])
    gradebook.backup(db, folder, "second", keep=2)
    _db(db, [("a", 3)])
    restored, before = gradebook.restore(db, folder, keep=2, which=oldest)
    assert restored == oldest and not oldest.exists()  # pruned, but read before anything changed
    assert _rows(db) == [("a", 1)]
    assert _rows(before) == [("a", 3)]


def test_a_damaged_backup_is_refused_and_changes_nothing(tmp_path):
    db = _db(tmp_path / "gradebook.db", [("a", 1)])
    folder = tmp_path / "backups"
    good = gradebook.backup(db, folder, "good", keep=10)
    bad = folder / good.name.replace("-good.db", "-zzz.db")
    bad.write_bytes(b"SQLite format 3\0" + b"\xff" * 2000)
    with pytest.raises(sqlite3.DatabaseError):
        gradebook.restore(db, folder, keep=10, which=bad)
    assert _rows(db) == [("a", 1)]
    assert set(gradebook.list_backups(folder)) == {good, bad}  # no backup made before failing


# --------------------------------------------------------------------------- through tools.py


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
def test_a_file_planted_in_source_stops_the_release_and_nothing_is_generated(tmp_path):
    root = _course(tmp_path)
    (root / "source" / NAME / "planted.py").write_text("print('hello')\n")
    (root / "source" / NAME / ".ipynb_checkpoints").mkdir()  # editor caches are not files to ship
    (root / "source" / NAME / ".ipynb_checkpoints" / f"{NAME}-checkpoint.ipynb").write_text("{}")
    done = _tool(root, "release", NAME)
    assert done.returncode == 2, done.stdout + done.stderr
    refusal = [ln for ln in done.stdout.splitlines() if "planted.py" in ln]
    assert len(refusal) == 1 and "remove it, or add it to MANIFEST" in refusal[0], done.stdout
    assert "checkpoint" not in done.stdout
    assert not (root / "exports" / "release" / f"{NAME}.zip").exists()
    assert not (root / "release").exists()


@pytest.mark.slow
def test_a_listed_file_that_is_missing_stops_the_release(tmp_path):
    root = _course(tmp_path)
    with open(root / "source" / NAME / "MANIFEST", "a", encoding="utf-8") as fh:
        fh.write("data/ratings.csv\n")
    done = _tool(root, "release", NAME)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "data/ratings.csv" in done.stdout and "lacks" in done.stdout
    assert not (root / "exports" / "release" / f"{NAME}.zip").exists()


@pytest.mark.slow
def test_release_ships_exactly_the_manifest_and_refuses_a_release_folder_with_more(tmp_path):
    root = _course(tmp_path)
    (root / "source" / NAME / "data").mkdir()
    (root / "source" / NAME / "data" / "ratings.csv").write_text("item,rating\nS1,4\n")
    with open(root / "source" / NAME / "MANIFEST", "a", encoding="utf-8") as fh:
        fh.write("# a data file learners read\ndata/ratings.csv\n")
    done = _tool(root, "release", NAME)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = [f"{NAME}.ipynb", "data/ratings.csv"]
    release = root / "release" / NAME
    assert _files(release) == sorted(expected)  # MANIFEST itself is not released
    zipped = root / "exports" / "release" / f"{NAME}.zip"
    with zipfile.ZipFile(zipped) as z:
        assert sorted(z.namelist()) == sorted(f"{NAME}/{f}" for f in expected)
        released = nbformat.reads(z.read(f"{NAME}/{NAME}.ipynb").decode(), 4)
    assert "### BEGIN SOLUTION" not in "".join(c.source for c in released.cells)  # nbgrader's version
    before = zipped.read_bytes()
    (release / "stray.txt").write_text("left over")
    again = _tool(root, "release", NAME)  # nbgrader keeps the existing release folder
    assert again.returncode == 2, again.stdout + again.stderr
    assert "stray.txt" in again.stdout and "nothing zipped" in again.stdout
    assert zipped.read_bytes() == before


def _submissions(db: Path) -> dict[str, float]:
    with nbgrader_api.Gradebook("sqlite:///" + str(db), course_id="tyokyky-course") as gb:
        return {s.student.id: round(float(s.score), 3) for s in gb.assignment_submissions(NAME)}


@pytest.mark.slow
def test_autograde_is_backed_up_and_undo_restores_the_earlier_gradebook(tmp_path):
    root = _course(tmp_path)
    assert _tool(root, "undo").returncode == 2  # nothing to undo yet
    assert _tool(root, "undo", "../gradebook.db").returncode == 2  # only a listed backup
    assert _tool(root, "release", NAME).returncode == 0
    source_nb = nbformat.read(root / "source" / NAME / f"{NAME}.ipynb", 4)
    release_nb = nbformat.read(root / "release" / NAME / f"{NAME}.ipynb", 4)
    folder = root / "submitted" / HONEST / NAME
    folder.mkdir(parents=True)
    nbformat.write(_learner(release_nb, source_nb, None), folder / f"{NAME}.ipynb")
    db = root / "gradebook.db"
    assert _submissions(db) == {}

    graded = _tool(root, "autograde", NAME)
    assert graded.returncode == 0, graded.stdout[-3000:]
    after = _submissions(db)
    assert after[HONEST] > 0
    backups = gradebook.list_backups(root / "exports" / "backups")
    assert [gradebook.describe(p)["label"] for p in backups] == [f"autograde-{NAME}"]
    assert _submissions(backups[0]) == {}  # taken before the grading run

    listed = _tool(root, "backups")
    assert listed.returncode == 0 and backups[0].name in listed.stdout

    undone = _tool(root, "undo")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert backups[0].name in undone.stdout and "autograded/" in undone.stdout
    assert _submissions(db) == {}
    redone = _tool(root, "undo")  # the undo was backed up too: undo it
    assert redone.returncode == 0, redone.stdout + redone.stderr
    assert _submissions(db) == after
    labels = [gradebook.describe(p)["label"] for p in gradebook.list_backups(root / "exports" / "backups")]
    assert labels == ["undo", "undo", f"autograde-{NAME}"]
