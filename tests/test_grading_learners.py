"""Learner ids from an LMS, repeated rounds of uploads, and the crashed status.

Unit tests of :mod:`sim.grading.learners` (the id mapping, upload names, the mapping file) and of
tools.py's reading of nbgrader's log; then one course copy of ``fidelity_review`` driven through
``tools.py`` as a trainer would: a first round of uploads from ``anna_k``, ``Äijälä_Sanna``,
``anna.k`` and ``ANNA-K`` (plus two files that cannot be collected), one autograde (``Äijälä_Sanna``'s
answer calls ``os._exit(1)``: the kernel dies inside the sandbox), export-cells, a second round
with one new learner, one changed upload and one hand-fixed folder, and the re-grade that the
second round asks for. About a minute on 2 cores.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_assignments_sources import _tools  # tools.py, loaded as a module

from sim.grading import learners
from sim.grading.learners import assign, base_id, is_safe_id, lms_key, split_upload_name

NAME = "fidelity_review"
NOTEBOOK = f"{NAME}.ipynb"


def _suffixed(base: str, lms_id: str) -> str:
    return f"{base}-{hashlib.sha256(lms_id.encode()).hexdigest()[:6]}"


# --------------------------------------------------------------------------- the id mapping


@pytest.mark.parametrize("lms_id, expected", [
    ("anna_k", "anna-k"), ("ANNA-K", "anna-k"), ("anna.k", "anna.k"), ("Äijälä_Sanna", "aijala-sanna"),
    ("maija.m@example.org", "maija.m-example.org"), ("Straße Ørsted", "strasse-orsted"),
    ("Anna  K.", "anna-k"), ("a__b", "a-b"), ("..hidden", "hidden"), ("s2-blank", "s2-blank"),
    ("Łukasz Œuvre-Æsir", "lukasz-oeuvre-aesir"), ("İlker", "ilker"),
])
def test_base_id_transliterates_to_lower_case_ascii(lms_id, expected):
    assert base_id(lms_id) == expected
    assert is_safe_id(expected)


def test_an_id_with_nothing_to_transliterate_still_gets_a_valid_distinct_id():
    a, b = base_id("日本語"), base_id("中文")
    assert is_safe_id(a) and is_safe_id(b) and a != b and a.startswith("learner-")


def test_a_mac_spelled_name_is_the_same_learner():
    nfd = unicodedata.normalize("NFD", "Äijälä_Sanna")
    assert nfd != "Äijälä_Sanna" and lms_key(nfd) == "Äijälä_Sanna"
    assert assign([nfd, "Äijälä_Sanna"], {}) == {"Äijälä_Sanna": "aijala-sanna"}


def test_colliding_ids_are_told_apart_by_a_stable_suffix_whatever_the_order():
    ids = ["anna_k", "Äijälä_Sanna", "anna.k", "ANNA-K"]
    expected = {"ANNA-K": "anna-k", "anna_k": _suffixed("anna-k", "anna_k"), "anna.k": "anna.k",
                "Äijälä_Sanna": "aijala-sanna"}
    assert assign(ids, {}) == expected
    assert assign(list(reversed(ids)), {}) == expected
    assert assign(["anna-k", "anna_k"], {}) == {"anna-k": "anna-k", "anna_k": _suffixed("anna-k", "anna_k")}


def test_known_ids_never_change_and_reserved_ids_are_not_given_away():
    known = {"anna_k": "anna-k"}  # anna_k came first in an earlier round
    assert assign(["anna_k", "ANNA-K"], known) == {"ANNA-K": _suffixed("anna-k", "ANNA-K")}
    assert assign(["Anna_K"], {}, reserved={"anna-k"}) == {"Anna_K": _suffixed("anna-k", "Anna_K")}
    # a learner collected before the mapping existed keeps their folder's id
    assert assign(["s1-full"], {}, reserved={"s1-full"}) == {"s1-full": "s1-full"}


lms_ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(lms_ids, max_size=25), st.lists(lms_ids, max_size=10), st.randoms())
def test_mapping_is_valid_injective_order_free_and_stable_across_rounds(first, second, rnd):
    round1 = assign(first, {})
    shuffled = list(first)
    rnd.shuffle(shuffled)
    assert assign(shuffled, {}) == round1
    round2 = assign(first + second, round1)
    assert not set(round2) & set(round1)  # nobody known is given a new id
    mapping = {**round1, **round2}
    assert set(mapping) == {lms_key(i) for i in first + second}
    assert len(set(mapping.values())) == len(mapping)
    assert all(is_safe_id(v) for v in mapping.values()), mapping


@given(st.from_regex(r"[a-z0-9]{1,8}(?:[.-][a-z0-9]{1,8}){0,4}", fullmatch=True))
def test_a_safe_id_is_its_own_base(safe):
    assert is_safe_id(safe) and base_id(safe) == safe


@given(lms_ids)
def test_every_base_id_is_safe(lms_id):
    assert is_safe_id(base_id(lms_id))


@pytest.mark.parametrize("filename, expected", [
    ("anna_k__fidelity_review.ipynb", ("anna_k", NOTEBOOK)),
    ("a__b__fidelity_review.ipynb", ("a__b", NOTEBOOK)),  # an id with a double underscore
    ("a__b__fidelity_review (1).ipynb", ("a__b", "fidelity_review (1).ipynb")),  # last "__"
    ("maija.m@example.org__fidelity_review.ipynb", ("maija.m@example.org", NOTEBOOK)),
    ("fidelity_review.ipynb", None), ("__fidelity_review.ipynb", None), ("anna__.ipynb", None),
    ("anna_k__notes.pdf", None),
])
def test_upload_names_split_into_learner_and_notebook(filename, expected):
    assert split_upload_name(filename, [NOTEBOOK]) == expected


def test_the_mapping_file_is_only_ever_appended_to(tmp_path):
    path = tmp_path / "learner-ids.csv"
    learners.append_mapping(path, [{"lms_id": "Äijälä_Sanna", "safe_id": "aijala-sanna", "first_seen": "t1",
                           "first_assignment": NAME}])
    path.write_text(path.read_text(encoding="utf-8").replace("t1", "t1 (checked by hand)"), encoding="utf-8")
    before = path.read_bytes()
    learners.append_mapping(path, [{"lms_id": "anna_k", "safe_id": "anna-k", "first_seen": "t2",
                           "first_assignment": NAME}])
    assert path.read_bytes().startswith(before)
    rows = learners.read_mapping(path)
    assert [r["lms_id"] for r in rows] == ["Äijälä_Sanna", "anna_k"] and list(rows[0]) == learners.COLUMNS
    assert learners.mapping_problems(rows) == []
    bad = rows + [{"lms_id": "anna_k", "safe_id": "Anna K"}, {"lms_id": "x", "safe_id": "anna-k"}]
    problems = " | ".join(learners.mapping_problems(bad))
    assert "line 4: LMS id 'anna_k' is also on line 3" in problems
    assert "line 4: 'Anna K' is not a safe id" in problems
    assert "line 5: id 'anna-k' is also on line 3" in problems


# --------------------------------------------------------------------------- reading nbgrader's log


LOG = """\
[AutogradeApp | INFO] Creating/updating student with ID 's-crash': {}
[AutogradeApp | INFO] Autograding /c/autograded/s-crash/fidelity_review/fidelity_review.ipynb
[AutogradeApp | ERROR] Kernel died while waiting for execute reply.
[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/s-crash/fidelity_review
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "/venv/nbclient/client.py", line 1009, in async_execute_cell
        raise DeadKernelError("Kernel died") from None
    nbclient.exceptions.DeadKernelError: Kernel died

[AutogradeApp | WARNING] Removing failed assignment: /c/autograded/s-crash/fidelity_review
[AutogradeApp | INFO] Creating/updating student with ID 's-odd': {}
[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/s-odd/fidelity_review
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "/venv/nbformat/reader.py", line 14, in parse_json
    nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'x'
[AutogradeApp | INFO] Creating/updating student with ID 's-honest': {}
[AutogradeApp | INFO] Setting destination file permissions to 444
[AutogradeApp | INFO] Creating/updating student with ID 's-stopped': {}
[AutogradeApp | INFO] Autograding /c/autograded/s-stopped/fidelity_review/fidelity_review.ipynb
[AutogradeApp | ERROR] There was an error processing assignment 'fidelity_review' for student 's-crash'
[AutogradeApp | ERROR] There was an error processing assignment 'fidelity_review' for student 's-odd'
"""


def test_crashes_are_read_from_nbgrader_log():
    started, crashed = _tools().crashes_in_log(LOG)
    assert started == {"s-crash", "s-odd", "s-honest", "s-stopped"}
    assert set(crashed) == {"s-crash", "s-odd", "s-stopped"}
    assert crashed["s-crash"].startswith("the kernel died")
    assert "NotJSONError: Notebook does not appear to be JSON" in crashed["s-odd"]
    assert "did not finish" in crashed["s-stopped"]  # nbgrader was stopped while grading it


def test_status_names():
    status = _tools().submission_status
    crashed, timeouts = {"a": "the kernel died"}, {"a": ["x"], "b": ["answer_ratings"]}
    assert status("a", True, crashed, timeouts) == "crashed: the kernel died"
    assert status("b", True, crashed, timeouts) == "timed-out: answer_ratings"
    assert status("c", True, crashed, timeouts) == "needs-manual-grading"
    assert status("d", False, crashed, timeouts) == "graded"


# --------------------------------------------------------------------------- end to end


def _tool(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "tools.py"), *args], cwd=root,
                          capture_output=True, text=True, timeout=600)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _zip(path: Path, members: dict[str, str], method: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", method) as z:
        for inner, text in members.items():
            z.writestr(inner, text)


def _line(out: str, student: str) -> str:
    return next(ln for ln in out.splitlines() if ln.startswith(student + " "))


ANNA_K = _suffixed("anna-k", "anna_k")
EXPECTED_IDS = {"ANNA-K": "anna-k", "Äijälä_Sanna": "aijala-sanna", "anna.k": "anna.k", "anna_k": ANNA_K}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Two rounds of uploads and one autograde in a course copy; every step's output kept."""
    from test_assignments_pipeline import _course_copy, _learner_notebook
    root = _course_copy(tmp_path_factory, NAME, 15)
    assert _tool(root, "release", NAME).returncode == 0
    source_nb = nbformat.read(root / "source" / NAME / NOTEBOOK, 4)
    release_nb = nbformat.read(root / "release" / NAME / NOTEBOOK, 4)
    text = "My recommendation: hire a second job coach and move the team into the clinic."
    honest = nbformat.writes(_learner_notebook(release_nb, source_nb, None, manual_text=text))
    quiet = nbformat.writes(_learner_notebook(release_nb, source_nb, None, manual_text=None))
    crash = _learner_notebook(release_nb, source_nb, None, manual_text=text)
    answer = next(c for c in crash.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "answer_ratings")
    answer.source = "import os\nos._exit(1)\n" + answer.source
    blank = nbformat.writes(release_nb)
    archive = root / "downloaded" / NAME / "archive"
    archive.mkdir(parents=True)
    uploads = {"anna_k": honest, "anna.k": blank}
    for lms, nb in uploads.items():
        (archive / f"{lms}__{NOTEBOOK}").write_text(nb, encoding="utf-8")
    mac_name = unicodedata.normalize("NFD", "Äijälä_Sanna")  # as a Mac spells it
    _zip(archive / f"{mac_name}.zip", {f"Sanna/{NOTEBOOK}": nbformat.writes(crash),
                                       f"Sanna/.ipynb_checkpoints/{NAME}-checkpoint.ipynb": blank})
    _zip(archive / "ANNA-K.zip", {NOTEBOOK: quiet, "__MACOSX/._fidelity_review.ipynb": "junk"})
    (archive / "anna_k__notes.pdf").write_bytes(b"%PDF-1.4")
    (archive / NOTEBOOK).write_text(blank, encoding="utf-8")  # whose?
    run: dict[str, object] = {"root": root, "honest": honest, "quiet": quiet, "blank": blank}
    run["round1"] = _tool(root, "collect", NAME, "--zip")
    run["ids1"] = (root / "exports" / "learner-ids.csv").read_bytes()
    run["submitted1"] = {sid: _tree(root / "submitted" / sid) for sid in EXPECTED_IDS.values()}
    run["autograde"] = _tool(root, "autograde", NAME)
    run["report"] = json.loads((root / "exports" / "logs" / f"autograde-{NAME}-latest.json").read_text())
    run["export"] = _tool(root, "export-cells", "--out", str(root / "exports" / "cells.csv"))
    with open(root / "exports" / "cells.csv", newline="", encoding="utf-8") as fh:
        run["cells"] = list(csv.DictReader(fh))

    # between the rounds: the trainer fixes ANNA-K's folder by hand
    fixed = root / "submitted" / "anna-k" / NAME
    (fixed / "trainer-note.txt").write_text("fixed a broken cell by hand", encoding="utf-8")
    nb_path = fixed / NOTEBOOK
    nb_path.write_text(nb_path.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")
    run["kept"] = {sid: _tree(root / "submitted" / sid) for sid in ("anna-k", "anna.k", "aijala-sanna")}
    # round 2: the LMS's new download; ANNA-K's zip packed again (other bytes, same notebook)
    for name in ("anna_k__notes.pdf", NOTEBOOK, f"{mac_name}.zip"):
        (archive / name).unlink()
    _zip(archive / "ANNA-K.zip", {f"submission/{NOTEBOOK}": quiet}, zipfile.ZIP_STORED)
    (archive / f"anna_k__{NOTEBOOK}").write_text(blank, encoding="utf-8")  # changed since grading
    (archive / f"maija.m@example.org__{NOTEBOOK}").write_text(quiet, encoding="utf-8")
    run["round2"] = _tool(root, "collect", NAME, "--zip")
    run["regrade"] = _tool(root, "autograde", NAME, "--student", ANNA_K)
    run["report2"] = json.loads((root / "exports" / "logs" / f"autograde-{NAME}-latest.json").read_text())
    return run


@pytest.mark.slow
def test_every_lms_id_is_collected_under_a_distinct_safe_id(course):
    root, out = course["root"], course["round1"].stdout
    assert course["round1"].returncode == 3, out  # two files need a person
    rows = list(csv.DictReader(course["ids1"].decode("utf-8").splitlines()))
    assert {r["lms_id"]: r["safe_id"] for r in rows} == EXPECTED_IDS
    assert {r["first_assignment"] for r in rows} == {NAME} and all(r["first_seen"] for r in rows)
    for lms, sid in EXPECTED_IDS.items():
        assert (root / "submitted" / sid / NAME / NOTEBOOK).is_file(), sid
        label = sid if sid == lms else f"{sid} ({lms!r})"
        assert f"[NEW-ID] {sid}: LMS id {lms!r} is {sid}" in out
        assert f"[COLLECTED] {label}: {NOTEBOOK}" in out
    first = course["submitted1"]
    assert first[ANNA_K][f"{NAME}/{NOTEBOOK}"].decode("utf-8") == course["honest"]
    assert sorted(first["aijala-sanna"]) == [f"{NAME}/{NOTEBOOK}", f"{NAME}/timestamp.txt"]  # no checkpoint
    assert sorted(first["anna-k"]) == [f"{NAME}/{NOTEBOOK}", f"{NAME}/timestamp.txt"]  # no __MACOSX


@pytest.mark.slow
def test_files_that_cannot_be_collected_are_reported_with_the_reason(course):
    out = course["round1"].stdout
    assert "[NEEDS ATTENTION] anna_k__notes.pdf: not a notebook (.ipynb), a zip" in out
    assert f"[NEEDS ATTENTION] {NOTEBOOK}: no learner id in the name" in out


@pytest.mark.slow
def test_a_crashed_kernel_is_crashed_not_waiting_for_manual_grading(course):
    run = course["autograde"]
    assert run.returncode in (0, 1), run.stdout[-3000:]  # 1 only where nbgrader gives up on it
    crashed = _line(run.stdout, "aijala-sanna")
    assert "crashed: " in crashed and "kernel" in crashed, crashed
    assert "to grade by hand" not in crashed and "needs-manual-grading" not in crashed
    assert "needs-manual-grading" in _line(run.stdout, ANNA_K)
    assert "1 cell(s) to grade by hand" in _line(run.stdout, ANNA_K)
    assert " graded" in _line(run.stdout, "anna-k") and " graded" in _line(run.stdout, "anna.k")
    status = course["report"]["status"]
    assert status["aijala-sanna"].startswith("crashed: ")
    assert status[ANNA_K] == "needs-manual-grading"
    assert status["anna-k"] == status["anna.k"] == "graded"


@pytest.mark.slow
def test_export_cells_has_a_status_column_beside_the_others(course):
    assert course["export"].returncode == 0, course["export"].stdout
    rows = course["cells"]
    assert {"needs_manual_grade", "provisional", "status"} <= set(rows[0])
    by_student = {}
    for r in rows:
        by_student.setdefault(r["student_id"], set()).add(r["status"])
    assert by_student == {ANNA_K: {"needs-manual-grading"}, "anna-k": {"graded"}, "anna.k": {"graded"},
                          "aijala-sanna": {course["report"]["status"]["aijala-sanna"]}}
    assert {r["provisional"] for r in rows if r["student_id"] == "aijala-sanna"} == {"True"}  # os._exit


@pytest.mark.slow
def test_second_round_touches_only_new_and_changed_uploads(course):
    root, out = course["root"], course["round2"].stdout
    assert course["round2"].returncode == 3, out  # a graded learner's upload changed
    for sid, files in course["kept"].items():  # unchanged, hand fix included; or not uploaded again
        assert _tree(root / "submitted" / sid) == files, sid
    assert "[UNCHANGED] anna-k ('ANNA-K')" in out and "[UNCHANGED] anna.k" in out
    assert "aijala-sanna" not in out  # no upload this round: not mentioned, not touched
    assert f"[COLLECTED] maija.m-example.org ('maija.m@example.org'): {NOTEBOOK}" in out
    ids = (root / "exports" / "learner-ids.csv").read_bytes()
    assert ids.startswith(course["ids1"])  # the first round's lines, byte for byte
    new = list(csv.DictReader(ids.decode("utf-8").splitlines()))[len(EXPECTED_IDS):]
    assert [(r["lms_id"], r["safe_id"]) for r in new] == [("maija.m@example.org", "maija.m-example.org")]


@pytest.mark.slow
def test_a_changed_upload_after_grading_keeps_the_old_one_and_asks_for_a_regrade(course):
    root, out = course["root"], course["round2"].stdout
    line = next(ln for ln in out.splitlines() if ln.startswith(f"  [CHANGED-SINCE-GRADING] {ANNA_K}"))
    assert "changed since grading" in line
    assert f"re-grade with: python tools.py autograde {NAME} --student {ANNA_K}" in line
    history = list((root / "exports" / "submitted-history" / ANNA_K / NAME).iterdir())
    assert len(history) == 1 and (history[0] / NOTEBOOK).read_text(encoding="utf-8") == course["honest"]
    assert (root / "submitted" / ANNA_K / NAME / NOTEBOOK).read_text(encoding="utf-8") == course["blank"]
    # collect graded nothing; the command it names grades the new upload (a blank notebook)
    before = {r["student"]: r["score"] for r in course["report"]["submissions"]}
    after = {r["student"]: r["score"] for r in course["report2"]["submissions"]}
    assert before[ANNA_K] > 0 and after[ANNA_K] == 0, course["regrade"].stdout[-3000:]
    assert course["regrade"].returncode == 0
    assert {s: v for s, v in after.items() if s != ANNA_K} == {s: v for s, v in before.items() if s != ANNA_K}
