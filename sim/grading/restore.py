"""Put back the nbgrader cell metadata a learner's editor changed, from the gradebook, before grading.

nbgrader trusts the metadata of a submitted cell to know what the cell is: its ``grade_id``,
``points``, the ``grade``, ``solution`` and ``locked`` flags, ``schema_version`` and the cell
type. An editor that changes or drops them (a renamed ``grade_id``, a removed ``nbgrader``
block, a test cell turned into markdown, an older ``schema_version``) makes nbgrader stop on the
whole notebook (``DeduplicateIds``, ``OverwriteCells`` or ``CheckCellMetadata`` raise, and the
learner scores 0) or grade it other than the source says (nbgrader never checks the ``grade``
and ``solution`` flags). nbgrader's own ``OverwriteCells`` only mends points, the locked flag
and the type of a cell whose ``grade_id`` is intact.

:class:`RestoreCellMetadata` is a sanitize step of ``nbgrader autograde``
(``assignments/nbgrader_config.py`` puts it before ``DeduplicateIds`` and ``OverwriteCells``,
see :func:`sanitize_steps`). It matches every submitted cell to a source cell of the gradebook
(this assignment and notebook), in this order, each cell and source cell at most once:

1. by ``grade_id``; when two cells carry the same one, the cell with the released cell's
   nbformat ``id`` wins, else the last (nbgrader's own ``DeduplicateIds`` keeps the last);
2. by the nbformat cell ``id``, which survives a release and most edits (the ids come from
   ``release/<assignment>/<notebook>.ipynb``; without it this step is skipped);
3. by place and similarity, source cell by source cell in notebook order. The candidates are
   the unmatched cells that are not empty and not a released ordinary cell (known by its
   ``id``); a source cell's place is between the cells matched to its neighbours in the
   source. The candidate in its place whose source is most like the source cell's
   (:class:`difflib.SequenceMatcher` ratio, against the gradebook's source and the released
   one) is matched when the ratio is at least ``min_similarity`` (0.6: in the fidelity_review
   notebook an unedited test cell scores 1.0 against its released source and at most 0.41
   against any other cell). Else a solution cell, whose answer is the learner's own text and
   unlike the released stub, is matched to the only candidate in its place when it is the only
   unmatched source cell there. Else the most alike candidate anywhere in the notebook, at
   the same threshold (the learner moved the cell). Cells keep the learner's order.

A matched cell gets the gradebook's ``nbgrader`` block (``grade_id``, ``grade``, ``solution``,
``locked``, ``task``, ``points``, ``schema_version``, ``cell_type``, ``checksum``) and cell type
back; its source stays (``OverwriteCells`` then puts back the source of locked cells). A cell
matched to nothing loses its ``nbgrader`` block and runs as an ordinary cell.

What was restored is recorded in the notebook's metadata under :data:`RECORD_KEY` (the
autograded copy keeps it; a key the learner wrote there is dropped first) and logged as a
warning in nbgrader's log; ``tools.py autograde`` prints it per learner as ``[RESTORED-METADATA]``
lines and puts it in its JSON report (:func:`restored_cells`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.nbgraderformat import SCHEMA_VERSION
from nbgrader.preprocessors import DeduplicateIds, NbGraderPreprocessor, OverwriteCells
from traitlets import Float

__all__ = ["MIN_SIMILARITY", "RECORD_KEY", "Match", "Reference", "RestoreCellMetadata", "match_cells",
           "references", "restore_cells", "restored_cells", "sanitize_steps"]

#: Notebook metadata key of the record of what was restored (a list of dicts, see restore_cells).
RECORD_KEY = "tyokyky_restored_cells"
#: The least difflib ratio for a match by position (see the module's docstring).
MIN_SIMILARITY = 0.6
#: The nbgrader fields a trainer is told about when they change (checksum and the recorded
#: cell type are nbgrader's bookkeeping; they are restored silently).
REPORTED = ("grade_id", "grade", "solution", "locked", "task", "points", "schema_version")
FLAGS = ("grade", "solution", "locked", "task")


@dataclass(frozen=True)
class Reference:
    """What one source cell of the gradebook must look like in a submission."""

    grade_id: str
    cell_type: str
    metadata: dict[str, Any]  # the whole nbgrader block
    texts: tuple[str, ...]  # its source in the gradebook (hidden tests included) and as released
    cell_id: str | None = None  # its nbformat id in the release

    @property
    def solution(self) -> bool:
        return bool(self.metadata["solution"])


@dataclass(frozen=True)
class Match:
    reference: Reference
    how: str  # "grade_id", "cell id", "similarity" or "place" (the only cell left in its place)
    similarity: float | None = None


@dataclass
class _Matching:
    cells: Sequence[NotebookNode]
    refs: Sequence[Reference]
    by_cell: dict[int, Match] = field(default_factory=dict)
    by_gid: dict[str, int] = field(default_factory=dict)

    def add(self, index: int, ref: Reference, how: str, similarity: float | None = None) -> None:
        self.by_cell[index] = Match(ref, how, similarity)
        self.by_gid[ref.grade_id] = index


def _block(cell: NotebookNode) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def references(notebook: Any, release: NotebookNode | None = None) -> tuple[list[Reference], set[str]]:
    """The source cells of a gradebook notebook (``nbgrader.api.Notebook``) in notebook order,
    and the ids of the released ordinary cells (those without nbgrader metadata)."""
    grades = {c.name: c for c in notebook.grade_cells}
    tasks = {c.name: c for c in notebook.task_cells}
    solutions = {c.name for c in notebook.solution_cells}
    released: dict[str, tuple[int, NotebookNode]] = {}
    ordinary: set[str] = set()
    for k, cell in enumerate(release.cells if release else []):
        gid = _block(cell).get("grade_id")
        if gid:
            released[gid] = (k, cell)
        elif cell.get("id"):
            ordinary.add(cell["id"])
    last = len(release.cells) if release else 0  # cells the release lacks keep their order, last
    out = []
    for source in sorted(notebook.source_cells, key=lambda s: released.get(s.name, (last,))[0]):
        gid = source.name
        meta = {"cell_type": source.cell_type, "checksum": source.checksum, "grade": gid in grades,
                "grade_id": gid, "locked": bool(source.locked), "schema_version": SCHEMA_VERSION,
                "solution": gid in solutions, "task": gid in tasks}
        scored = grades.get(gid) or tasks.get(gid)
        if scored is not None:
            meta["points"] = _number(float(scored.max_score))
        cell = released.get(gid, (0, None))[1]
        texts, cell_id = (source.source or "",), None
        if cell is not None:
            texts, cell_id = (*texts, cell.source), cell.get("id")
        out.append(Reference(gid, source.cell_type, meta, texts, cell_id))
    return out, ordinary


def _similarity(text: str, texts: Iterable[str], floor: float) -> float:
    """The best difflib ratio of *text* against *texts*; 0 where a quick bound is below *floor*
    (this also keeps a huge cell from costing time)."""
    best = 0.0
    for other in texts:
        matcher = SequenceMatcher(None, text, other, autojunk=False)
        if matcher.real_quick_ratio() >= floor and matcher.quick_ratio() >= floor:
            best = max(best, matcher.ratio())
    return best


def match_cells(cells: Sequence[NotebookNode], refs: Sequence[Reference], ordinary_ids: Iterable[str] = (),
                min_similarity: float = MIN_SIMILARITY) -> dict[int, Match]:
    """Submitted cell index -> its :class:`Match`, for the cells matched to a source cell (the
    module's docstring gives the order and the rules)."""
    m = _Matching(cells, refs)
    by_gid = {r.grade_id: r for r in refs}
    claims: dict[str, list[int]] = {}
    for i, cell in enumerate(cells):
        gid = _block(cell).get("grade_id")
        if isinstance(gid, str) and gid in by_gid:
            claims.setdefault(gid, []).append(i)
    for gid, found in claims.items():
        own = [i for i in found if by_gid[gid].cell_id and cells[i].get("id") == by_gid[gid].cell_id]
        m.add((own or found)[-1], by_gid[gid], "grade_id")
    by_id = {r.cell_id: r for r in refs if r.cell_id}
    for i, cell in enumerate(cells):
        ref = by_id.get(cell.get("id"))
        if ref is not None and i not in m.by_cell and ref.grade_id not in m.by_gid:
            m.add(i, ref, "cell id")
    ordinary = set(ordinary_ids)
    for k, ref in enumerate(refs):
        if ref.grade_id not in m.by_gid:
            _match_by_position(m, k, ordinary, min_similarity)
    return m.by_cell


def _match_by_position(m: _Matching, k: int, ordinary: set[str], floor: float) -> None:
    """Match source cell *k*: the most alike cell in its place, else the only cell left there
    (a solution cell), else the most alike cell anywhere (the learner moved it)."""
    ref = m.refs[k]
    before = [k2 for k2 in range(k) if m.refs[k2].grade_id in m.by_gid]
    after = [k2 for k2 in range(k + 1, len(m.refs)) if m.refs[k2].grade_id in m.by_gid]
    lo = max((m.by_gid[m.refs[k2].grade_id] for k2 in before), default=-1)
    hi = min((m.by_gid[m.refs[k2].grade_id] for k2 in after), default=len(m.cells))
    pool = [i for i, cell in enumerate(m.cells) if i not in m.by_cell and cell.source.strip()
            and cell.get("id") not in ordinary]
    in_place = [i for i in pool if lo < i < hi]
    similarity, i = _most_alike(m.cells, in_place, ref.texts, floor)
    if similarity >= floor:
        m.add(i, ref, "similarity", similarity)
        return
    # the source cells between the same two matched neighbours: this one alone?
    alone = (before[-1] if before else -1) + 1 == k and (after[0] if after else len(m.refs)) - 1 == k
    if ref.solution and alone and len(in_place) == 1:
        m.add(in_place[0], ref, "place", similarity)
        return
    similarity, i = _most_alike(m.cells, pool, ref.texts, floor)
    if similarity >= floor:
        m.add(i, ref, "similarity", similarity)


def _most_alike(cells: Sequence[NotebookNode], candidates: list[int], texts: tuple[str, ...],
                floor: float) -> tuple[float, int]:
    """(similarity rounded to 0.01, index) of the candidate most like *texts*, the first of equals."""
    scored = [(_similarity(cells[i].source, texts, floor), -i) for i in candidates]
    best, i = max(scored, default=(0.0, 0))
    return round(best, 2), -i


def _kept(value: Any) -> tuple[str, Any]:
    """A metadata value to compare: 4 and 4.0 points are the same, 1 and true flags are not."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number", float(value)
    return type(value).__name__, value


def _shown(value: Any) -> str:
    """A learner's value for the log and the trainer: JSON with every line break and non-ASCII
    character escaped (no forged log lines) and at most 60 characters."""
    if value is None:
        return "missing"
    text = json.dumps(_number(value), default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _changes(cell: NotebookNode, ref: Reference) -> list[str]:
    """What differs from the source cell, as "field old -> new" for a trainer."""
    out = []
    if "nbgrader" not in cell.get("metadata", {}):
        out.append("nbgrader metadata was removed")
    else:
        old = _block(cell)
        for key in REPORTED:
            was = old.get(key, False if key in FLAGS else None)
            now = ref.metadata.get(key, False if key in FLAGS else None)
            if _kept(was) != _kept(now):
                out.append(f"{key} {_shown(was)} -> {_shown(now)}")
    if cell.cell_type != ref.cell_type:
        known = cell.cell_type in ("code", "markdown", "raw")
        out.append(f"cell type {cell.cell_type if known else _shown(cell.cell_type)} -> {ref.cell_type}")
    return out


def _set_type(cell: NotebookNode, cell_type: str) -> None:
    if cell.cell_type == cell_type:
        return
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.pop("attachments", None)
        cell.outputs, cell.execution_count = [], None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def restore_cells(cells: Sequence[NotebookNode], refs: Sequence[Reference], ordinary_ids: Iterable[str] = (),
                  min_similarity: float = MIN_SIMILARITY) -> list[dict[str, Any]]:
    """Give every matched cell the gradebook's nbgrader metadata and cell type, and take the
    nbgrader metadata off every cell matched to nothing; returns what changed, one dict a cell:
    ``cell`` (its number, from 1), ``grade_id`` (the restored one, or the unmatched cell's own),
    ``matched_by`` (None: unmatched), ``similarity``, ``changes`` and a ``message``."""
    matches = match_cells(cells, refs, ordinary_ids, min_similarity)
    record = []
    for i, cell in enumerate(cells):
        match = matches.get(i)
        if match is None:
            old = _block(cell)
            if "nbgrader" not in cell.metadata:
                continue
            del cell.metadata["nbgrader"]
            gid = old.get("grade_id") if isinstance(old.get("grade_id"), str) else None
            if not gid and not any(old.get(f) is True for f in FLAGS):
                continue  # an empty block (e.g. the toolbar's "-"): nothing a trainer needs to know
            why = (f"a second copy of cell '{gid}'" if gid in {r.grade_id for r in refs}
                   else f"grade_id {_shown(gid)} is not in the gradebook" if gid else "it has no grade_id")
            record.append({"cell": i + 1, "grade_id": gid, "matched_by": None, "similarity": None,
                           "changes": ["nbgrader metadata removed"],
                           "message": f"cell {i + 1} matches no source cell ({why}): its nbgrader "
                                      "metadata was removed and it runs as an ordinary cell"})
            continue
        ref = match.reference
        changes = _changes(cell, ref)
        cell.metadata["nbgrader"] = nbformat.from_dict(copy.deepcopy(ref.metadata))
        _set_type(cell, ref.cell_type)
        if changes:
            how = {"grade_id": "its grade_id", "cell id": f"its cell id '{cell.get('id')}'",
                   "similarity": f"its place and source (similarity {match.similarity})",
                   "place": "its place (the only cell left there)"}[match.how]
            record.append({"cell": i + 1, "grade_id": ref.grade_id, "matched_by": match.how,
                           "similarity": match.similarity, "changes": changes,
                           "message": f"metadata restored for cell '{ref.grade_id}' ({'; '.join(changes)}); "
                                      f"matched by {how}"})
    return record


class RestoreCellMetadata(NbGraderPreprocessor):
    """The sanitize step that restores cell metadata from the gradebook (module docstring)."""

    min_similarity = Float(MIN_SIMILARITY, help="the least difflib ratio for a match by position "
                                                "and similarity").tag(config=True)

    def _coursedir(self) -> Any:
        owner = self.parent
        while owner is not None and getattr(owner, "coursedir", None) is None:
            owner = getattr(owner, "parent", None)
        if owner is not None:
            return owner.coursedir
        from nbgrader.coursedir import CourseDirectory
        return CourseDirectory(config=self.config)

    def _release(self, coursedir: Any, assignment: str, notebook: str) -> NotebookNode | None:
        path = Path(coursedir.format_path(coursedir.release_directory, ".", assignment)) / f"{notebook}.ipynb"
        try:
            return nbformat.read(str(path), as_version=4)
        except Exception as exc:  # noqa: BLE001 - without it, cells are matched without their ids
            self.log.warning("No released %s to match cell ids against (%s: %s)", path,
                             type(exc).__name__, exc)
            return None

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        coursedir = self._coursedir()
        release = self._release(coursedir, info["assignment"], info["notebook"])
        self.gradebook = Gradebook(info["db_url"], coursedir.course_id)
        with self.gradebook:
            source = self.gradebook.find_notebook(info["notebook"], info["assignment"])
            refs, ordinary = references(source, release)
        nb.metadata.pop(RECORD_KEY, None)  # only this step writes it
        record = restore_cells(nb.cells, refs, ordinary, self.min_similarity)
        for entry in record:
            entry.update(student=info.get("student"), notebook=info["notebook"])
            self.log.warning("Cell metadata of %s, %s.ipynb: %s", info.get("student"), info["notebook"],
                             entry["message"])
        if record:
            nb.metadata[RECORD_KEY] = record
        return nb, resources


def sanitize_steps() -> list[type]:
    """nbgrader 0.9's sanitize steps of autograde with :class:`RestoreCellMetadata` just before
    ``DeduplicateIds`` (which fails on a grade cell without a ``grade_id``) and so before
    ``OverwriteCells``; raises when nbgrader's defaults are not what this was written for."""
    from nbgrader.converters.autograde import Autograde

    steps = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    if DeduplicateIds not in steps or OverwriteCells not in steps[steps.index(DeduplicateIds):]:
        raise RuntimeError("nbgrader's sanitize steps have changed: DeduplicateIds then OverwriteCells "
                           "are not among them; check sim/grading/restore.py against this nbgrader version")
    at = steps.index(DeduplicateIds)
    return [*steps[:at], RestoreCellMetadata, *steps[at:]]


def restored_cells(autograded: Path, assignment: str, students: Iterable[str]) -> list[tuple[str, str]]:
    """(student, "<notebook>.ipynb: <message>") for every restoration recorded in the students'
    autograded notebooks of *assignment*, in student and cell order."""
    out = []
    for student in students:
        for path in sorted((autograded / student / assignment).glob("*.ipynb")):
            try:
                record = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get(RECORD_KEY, [])
                out += [(student, f"{path.name}: {entry['message']}") for entry in record]
            except (OSError, ValueError, AttributeError, TypeError, KeyError):
                continue  # an unreadable autograded copy is reported by the crash checks
    return out
