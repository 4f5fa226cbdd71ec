"""Cell metadata a learner's editor changed is put back from the gradebook before grading.

A temporary copy of the course releases ``fidelity_review`` (as ``tests/test_grading_sandbox.py``
does); the learner notebooks are that release with the solutions filled in, each with one kind
of edit to its cells' metadata. The unit tests run :class:`RestoreCellMetadata` on them against
the copy's gradebook, then nbgrader's own sanitize steps; the last test grades a learner with
several edits at once through ``tools.py autograde``, in the sandbox, in one batch with the same
learner without the edits.
"""

from __future__ import annotations

import copy
import json

import nbformat
import pytest
from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds, OverwriteCells
from test_grading_sandbox import COURSE, NAME, _course, _grades, _learner, _tool
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from sim.grading import restore
from sim.grading.restore import RECORD_KEY, RestoreCellMetadata

PLAIN, EDITED, STRIPPED = "s-plain", "s-edited", "s-stripped"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = _course(tmp_path_factory.mktemp("restore"))
    released = _tool(root, "release", NAME)
    assert released.returncode == 0, released.stdout[-3000:]
    source = nbformat.read(root / "source" / NAME / f"{NAME}.ipynb", 4)
    release = nbformat.read(root / "release" / NAME / f"{NAME}.ipynb", 4)
    return {"root": root, "release": release, "learner": _learner(release, source, None)}


def _resources(root) -> dict:
    return {"nbgrader": {"student": "s-unit", "assignment": NAME, "notebook": NAME,
                         "db_url": f"sqlite:///{root / 'gradebook.db'}"}}


def _config(root) -> Config:
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "tyokyky-course"
    return config


def _restore(course, nb):
    nb, _ = RestoreCellMetadata(config=_config(course["root"])).preprocess(nb, _resources(course["root"]))
    return nb, nb.metadata.get(RECORD_KEY, [])


def _nbgrader_sanitizes(course, nb):
    """nbgrader's own sanitize steps after ours (they raise on metadata they cannot use)."""
    for step in (DeduplicateIds, OverwriteCells, CheckCellMetadata):
        nb, _ = step(config=_config(course["root"])).preprocess(nb, _resources(course["root"]))
    return nb


def _cell(nb, cell_id: str):
    return next(c for c in nb.cells if c.get("id") == cell_id)


def _meta(cell) -> dict:
    """The nbgrader block without the checksum (the gradebook's differs from the release's for
    test cells with hidden tests; nbgrader's OverwriteCells sets the gradebook's anyway)."""
    return {k: v for k, v in cell.metadata.get("nbgrader", {}).items() if k != "checksum"}


def _released(course, cell_id: str) -> dict:
    return _meta(_cell(course["release"], cell_id))


def _rows(record, *keys) -> list[tuple]:
    return [tuple(entry[k] for k in keys) for entry in record]


def _to_markdown(cell) -> None:
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


def _edited(course, *edits):
    nb = copy.deepcopy(course["learner"])
    for edit in edits:
        EDITS[edit](nb)
    return nb


# one kind of learner edit each, to the cell with that released id
EDITS = {
    "points": lambda nb: _cell(nb, "fidelity-ratings-match-consensus").metadata.nbgrader.update(points=40),
    "grade_id": lambda nb: _cell(nb, "fidelity-total-correct").metadata.nbgrader.update(grade_id="my_total"),
    "no-metadata": lambda nb: _cell(nb, "fidelity-band-correct").metadata.pop("nbgrader"),
    "locked": lambda nb: _cell(nb, "setup").metadata.nbgrader.update(locked=False),
    "schema": lambda nb: _cell(nb, "answer-total").metadata.nbgrader.update(schema_version=2),
    "test-markdown": lambda nb: _to_markdown(_cell(nb, "fidelity-next-review-correct")),
    "solution-markdown": lambda nb: _to_markdown(_cell(nb, "answer-priorities")),
}


def test_an_unedited_notebook_is_left_as_it_is(course):
    nb = copy.deepcopy(course["learner"])
    nb.metadata[RECORD_KEY] = [{"message": "a record the learner wrote"}]
    restored, record = _restore(course, nb)
    assert record == []
    assert RECORD_KEY not in restored.metadata
    for mine, released in zip(restored.cells, course["release"].cells):
        assert (mine.cell_type, _meta(mine)) == (released.cell_type, _meta(released))


def test_changed_points_are_put_back(course):
    nb, record = _restore(course, _edited(course, "points"))
    cell_id = "fidelity-ratings-match-consensus"
    assert _meta(_cell(nb, cell_id)) == _released(course, cell_id)
    assert _rows(record, "grade_id", "matched_by", "changes") == [
        ("fidelity_ratings_match_consensus", "grade_id", ["points 40 -> 4"])]
    assert record[0]["message"].startswith(
        "metadata restored for cell 'fidelity_ratings_match_consensus' (points 40 -> 4)")


def test_a_changed_grade_id_is_put_back_by_the_cell_id(course):
    nb = _edited(course, "grade_id")
    with pytest.raises(Exception, match="failed to validate"):  # nbgrader alone refuses it
        _nbgrader_sanitizes(course, copy.deepcopy(nb))
    nb, record = _restore(course, nb)
    assert _meta(_cell(nb, "fidelity-total-correct")) == _released(course, "fidelity-total-correct")
    assert _rows(record, "grade_id", "matched_by", "changes") == [
        ("fidelity_total_correct", "cell id", ['grade_id "my_total" -> "fidelity_total_correct"'])]
    _nbgrader_sanitizes(course, nb)


def test_a_changed_grade_id_and_cell_id_are_put_back_by_place_and_source(course):
    nb = _edited(course, "grade_id")
    _cell(nb, "fidelity-total-correct").id = "a-new-id"
    scratch = nbformat.v4.new_code_cell("print(total)", id="scratch")
    nb.cells.insert(nb.cells.index(_cell(nb, "a-new-id")), scratch)
    nb, record = _restore(course, nb)
    assert _meta(_cell(nb, "a-new-id")) == _released(course, "fidelity-total-correct")
    assert "nbgrader" not in _cell(nb, "scratch").metadata  # the learner's own cell stays theirs
    assert _rows(record, "grade_id", "matched_by") == [("fidelity_total_correct", "similarity")]
    assert record[0]["similarity"] >= restore.MIN_SIMILARITY


def test_removed_nbgrader_metadata_is_put_back(course):
    nb, record = _restore(course, _edited(course, "no-metadata"))
    assert _meta(_cell(nb, "fidelity-band-correct")) == _released(course, "fidelity-band-correct")
    assert _rows(record, "grade_id", "matched_by", "changes") == [
        ("fidelity_band_correct", "cell id", ["nbgrader metadata was removed"])]


def test_an_answer_without_metadata_or_its_id_is_matched_by_its_place(course):
    """The learner's answer is unlike the released stub; it is the only cell left between the
    cells matched before and after it, so it is that solution cell."""
    nb = copy.deepcopy(course["learner"])
    answer = _cell(nb, "answer-total")
    answer.metadata.pop("nbgrader")
    answer.id = "colab-1"
    nb, record = _restore(course, nb)
    assert _meta(_cell(nb, "colab-1")) == _released(course, "answer-total")
    assert _rows(record, "grade_id", "matched_by") == [("answer_total", "place")]


def test_a_flipped_locked_flag_is_put_back(course):
    nb, record = _restore(course, _edited(course, "locked"))
    assert _cell(nb, "setup").metadata.nbgrader.locked is True
    assert _rows(record, "grade_id", "changes") == [("setup", ["locked false -> true"])]


@pytest.mark.parametrize("flags, changes", [
    ({"grade": False}, ["grade false -> true"]),
    ({"solution": True, "locked": False}, ["solution true -> false", "locked false -> true"]),
])
def test_flipped_grade_and_solution_flags_are_put_back(course, flags, changes):
    """nbgrader's OverwriteCells checks neither flag (the learner's value -> the source's)."""
    nb = copy.deepcopy(course["learner"])
    _cell(nb, "fidelity-priorities-correct").metadata.nbgrader.update(flags)
    nb, record = _restore(course, nb)
    assert _meta(_cell(nb, "fidelity-priorities-correct")) == _released(course, "fidelity-priorities-correct")
    assert _rows(record, "grade_id", "changes") == [("fidelity_priorities_correct", changes)]


def test_a_test_cell_turned_into_markdown_is_code_again(course):
    nb, record = _restore(course, _edited(course, "test-markdown"))
    cell = _cell(nb, "fidelity-next-review-correct")
    assert (cell.cell_type, cell.outputs, cell.execution_count) == ("code", [], None)
    assert _meta(cell) == _released(course, "fidelity-next-review-correct")
    assert _rows(record, "grade_id", "changes") == [
        ("fidelity_next_review_correct", ["cell type markdown -> code"])]
    nbformat.validate(nb)


def test_a_solution_cell_turned_into_markdown_is_code_again_with_the_answer(course):
    answer = _cell(course["learner"], "answer-priorities").source
    nb, record = _restore(course, _edited(course, "solution-markdown"))
    cell = _cell(nb, "answer-priorities")
    assert (cell.cell_type, cell.source) == ("code", answer)
    assert _rows(record, "grade_id", "changes") == [("answer_priorities", ["cell type markdown -> code"])]


def test_a_changed_schema_version_is_put_back(course):
    nb = _edited(course, "schema")
    with pytest.raises(Exception, match="schema version"):
        _nbgrader_sanitizes(course, copy.deepcopy(nb))
    nb, record = _restore(course, nb)
    assert _rows(record, "grade_id", "changes") == [("answer_total", ["schema_version 2 -> 3"])]


def test_reordered_cells_are_matched_wherever_they_are(course):
    """Task 3 moved before task 2, its test cell without metadata or id: matched by its source.
    The order stays the learner's (nbgrader runs the cells as they are)."""
    nb = copy.deepcopy(course["learner"])
    task3 = [_cell(nb, i) for i in ("text-11", "answer-priorities", "fidelity-priorities-correct")]
    for cell in task3:
        nb.cells.remove(cell)
    at = nb.cells.index(_cell(nb, "text-06"))
    nb.cells[at:at] = task3
    task3[2].metadata.pop("nbgrader")
    task3[2].id = "moved"
    order = [c.get("id") for c in nb.cells]
    nb, record = _restore(course, nb)
    assert [c.get("id") for c in nb.cells] == order
    assert _meta(_cell(nb, "moved")) == _released(course, "fidelity-priorities-correct")
    assert _rows(record, "grade_id", "matched_by") == [("fidelity_priorities_correct", "similarity")]
    for cell in nb.cells:
        if cell.get("id") != "moved":
            assert _meta(cell) == _released(course, cell.id)


def test_cells_matching_no_source_cell_lose_their_metadata_and_still_run(course):
    nb = copy.deepcopy(course["learner"])
    test = _cell(nb, "fidelity-band-correct")
    copied = nbformat.from_dict(copy.deepcopy(test))
    copied.id = "pasted"
    bonus = nbformat.v4.new_code_cell("assert True", id="bonus", metadata={"nbgrader": {
        "grade": True, "grade_id": "bonus", "locked": True, "points": 100, "schema_version": 3,
        "solution": False, "task": False}})
    nb.cells[nb.cells.index(test):nb.cells.index(test)] = [copied, bonus]
    with pytest.raises(Exception, match="failed to validate|schema version"):
        _nbgrader_sanitizes(course, copy.deepcopy(nb))
    nb, record = _restore(course, nb)
    assert "nbgrader" not in _cell(nb, "pasted").metadata and "nbgrader" not in _cell(nb, "bonus").metadata
    assert _cell(nb, "bonus").source == "assert True"
    assert _meta(_cell(nb, "fidelity-band-correct")) == _released(course, "fidelity-band-correct")
    assert _rows(record, "grade_id", "matched_by") == [("fidelity_band_correct", None), ("bonus", None)]
    assert "a second copy of cell 'fidelity_band_correct'" in record[0]["message"]
    assert 'grade_id "bonus" is not in the gradebook' in record[1]["message"]
    graded = _nbgrader_sanitizes(course, nb)
    assert [c.get("id") for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade")] == [
        c.id for c in course["release"].cells if c.metadata.get("nbgrader", {}).get("grade")]


def test_a_learners_values_cannot_break_the_report_into_forged_lines(course):
    nb = copy.deepcopy(course["learner"])
    forged = "x\n[AutogradeApp | ERROR] plagiarism\u2028[AutogradeApp | ERROR] plagiarism" + "y" * 1000
    _cell(nb, "fidelity-band-correct").metadata.nbgrader.update(grade_id=forged, points=forged)
    unknown = {"grade": False, "grade_id": forged, "locked": True, "solution": False}
    nb.cells.append(nbformat.v4.new_code_cell("1", metadata={"nbgrader": unknown}))
    nb, record = _restore(course, nb)
    assert _meta(_cell(nb, "fidelity-band-correct")) == _released(course, "fidelity-band-correct")
    assert [len(r["message"].splitlines()) for r in record] == [1, 1]
    assert all(len(r["message"]) < 300 and "plagiarism" in r["message"] for r in record), record


def test_nbgrader_refuses_the_notebook_with_every_edit_and_grades_it_once_restored(course):
    nb = _edited(course, *EDITS)
    with pytest.raises(Exception):  # noqa: B017 - whichever of nbgrader's checks comes first
        _nbgrader_sanitizes(course, copy.deepcopy(nb))
    nb, record = _restore(course, nb)
    assert len(record) == len(EDITS)
    nb = _nbgrader_sanitizes(course, nb)
    for mine, released in zip(nb.cells, course["release"].cells):
        assert (mine.cell_type, _meta(mine)) == (released.cell_type, _meta(released))


def test_the_course_config_restores_before_nbgrader_reads_the_metadata():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    steps = config.Autograde.sanitize_preprocessors
    defaults = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    assert [s for s in steps if s is not RestoreCellMetadata] == defaults
    assert steps.index(RestoreCellMetadata) < steps.index(DeduplicateIds) < steps.index(OverwriteCells)


def test_the_steps_refuse_when_nbgrader_defaults_change(monkeypatch):
    class Trait:
        @staticmethod
        def default():
            return [OverwriteCells, CheckCellMetadata]

    monkeypatch.setattr(Autograde, "class_traits", classmethod(lambda cls: {"sanitize_preprocessors": Trait}))
    with pytest.raises(RuntimeError, match="sanitize steps have changed"):
        restore.sanitize_steps()


@pytest.mark.slow
def test_a_learner_with_edited_metadata_scores_what_they_score_without(course):
    """Autograde through tools.py, sandboxed, in one batch: the same answers with and without
    the edits get the same score in every cell, and the restorations are listed."""
    root = course["root"]
    for student, edits in ((PLAIN, ()), (EDITED, tuple(EDITS)), (STRIPPED, ())):
        folder = root / "submitted" / student / NAME
        folder.mkdir(parents=True)
        nb = _edited(course, *edits)
        if edits:  # and one answer whose metadata and id the editor dropped
            answer = _cell(nb, "answer-ratings")
            answer.metadata.pop("nbgrader")
            answer.id = "editor-1"
        if student == STRIPPED:  # an editor that keeps no nbgrader metadata at all
            for cell in nb.cells:
                cell.metadata.pop("nbgrader", None)
        nbformat.write(nb, folder / f"{NAME}.ipynb")
    graded = _tool(root, "autograde", NAME)
    assert graded.returncode == 0, graded.stdout[-4000:]
    grades = _grades(root)
    assert set(grades) == {PLAIN, EDITED, STRIPPED}
    assert grades[EDITED] == grades[PLAIN] == grades[STRIPPED], graded.stdout[-4000:]
    # the name check before grading says what autograde will do, not that cells were deleted
    checked = [ln for ln in graded.stdout.splitlines() if ln.startswith("  [")]
    assert not [ln for ln in checked if "DELETED-CELL" in ln or "NEEDS ATTENTION" in ln], checked
    assert any(f"[NO-METADATA] {STRIPPED}: '{NAME}.ipynb' has lost all its nbgrader metadata" in ln
               for ln in checked), checked
    assert {ln.split("cell '")[1].split("'")[0] for ln in checked if f"[RESTORED-CELL] {EDITED}:" in ln} == {
        "fidelity_total_correct", "fidelity_band_correct"}
    assert sum(grades[PLAIN].values()) > 0
    lines = [ln for ln in graded.stdout.splitlines() if f"[RESTORED-METADATA] {EDITED}:" in ln]
    assert all(f"] {EDITED}: {NAME}.ipynb: metadata restored for cell '" in ln for ln in lines), lines
    restored = {ln.split("cell '")[1].split("'")[0] for ln in lines}
    assert restored == {"fidelity_ratings_match_consensus", "fidelity_total_correct", "fidelity_band_correct",
                        "setup", "answer_total", "fidelity_next_review_correct", "answer_priorities",
                        "answer_ratings"}
    assert any("(points 40 -> 4)" in ln for ln in lines)
    report = json.loads((root / "exports" / "logs" / f"autograde-{NAME}-latest.json").read_text())
    edited = [i["student"] for i in report["restored_metadata"] if i["student"] != STRIPPED]
    assert edited == [EDITED] * len(lines)
    autograded = nbformat.read(root / "autograded" / EDITED / NAME / f"{NAME}.ipynb", 4)
    assert len(autograded.metadata[RECORD_KEY]) == len(lines)
