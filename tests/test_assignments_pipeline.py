"""The nbgrader course end to end: release, collect, autograde, feedback and export.

Each assignment runs in its own temporary copy of ``assignments/`` (never in the repository), driven
through ``assignments/tools.py`` exactly as a trainer would. One autograde call per assignment
grades a class of synthetic learners:

=============  ===============================================================================
s1-full        the release with every answer filled in from the solutions (and the model text)
s2-blank       the release as handed out, uploaded as ``s2-blank__<notebook>.ipynb``
s3-partial     some answers wrong in the ways learners get them wrong
s4-loop        an infinite loop in the first answer (short test-only Execute.timeout)
s5-error       the solutions, but one answer raises an exception
s6-tampered    the release with one test cell edited to pass and another test cell deleted
s7-renamed     s3-partial's notebook uploaded in a zip as ``<notebook> (1).ipynb``
s8-ambiguous   a zip with two notebooks, neither with the expected name
=============  ===============================================================================

Uploads (s2, s7, s8) go through ``tools.py collect --zip`` for fidelity_review and case_plan; for
capacity_plan, the slowest pipeline, they are put straight into ``submitted/`` and the autograde
step's own name check does the renaming. A fourth run checks that ``--max-minutes`` stops a batch
whose cells never time out. The runs happen in background threads (they mostly wait on nbgrader
and kernels), so the module takes about as long as the slowest assignment: ~2-3 min on 2 cores.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

nbgrader_api = pytest.importorskip("nbgrader.api")
from nbgrader.validator import Validator  # noqa: E402
from traitlets.config import Config  # noqa: E402

pytestmark = pytest.mark.slow  # the three pipelines together take about 3 minutes on 2 cores

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
ASSIGNMENTS = ("fidelity_review", "case_plan", "capacity_plan")
STUDENTS = ("s1-full", "s2-blank", "s3-partial", "s4-loop", "s5-error", "s6-tampered",
            "s7-renamed", "s8-ambiguous")
GRADED = STUDENTS[:-1]

# Test-only per-cell timeout for the temp copy: long enough for the slowest legitimate cell while
# three assignments share two cores, short enough that the looping learner costs little.
LOOP_TIMEOUT_S = {"fidelity_review": 15, "case_plan": 15, "capacity_plan": 30}
# Uploads of two assignments go through zip_collect; capacity_plan's (the slowest pipeline) are
# put straight into submitted/, as ``nbgrader collect`` from the exchange leaves them.
VIA_ZIP = {"fidelity_review": True, "case_plan": True, "capacity_plan": False}

TAMPERED_LINE = '"""I made this test pass."""\nassert True'
LOOP = "while True:\n    pass"
LEARNER_TEXT = "My answer: the plan follows the client's wishes and the IPS principles."
MARKER_NOTE = "# ### BEGIN HIDDEN TESTS  <- copied from the course notes (a learner's comment)"

# Per assignment: partly right answers, an answer that raises, which test cells the tampering
# learner edits and deletes, and the expected autograded score of every test cell.
# A recipe value is either a replacement source or a function of the solution source.
CASES = {
    "fidelity_review": {
        "partial": {"answer_ratings": '''
evidence = {
    "S1": 38 / 2,  # forgot that the developer-coach coaches 80 % of her time
    "S2": 90, "O1": 100 * 31 / 38,
    "O2": ["colocated", "prompts_team", "shared_record"],  # counted a record nobody can read
    "O5": 0, "O7": ["intake_asks", "materials"], "O8": 3,
    "SV2": ["not_required", "pros_cons"], "SV4": 41, "SV5": 80,
    "SV6": 210 / 30,  # per team, not per coach
    "SV8": 76.5, "SV9": 88.2, "SV10": 82.4, "SV13": 45,
    "SV14": ["documented_outreach", "community_visits", "family_contact"],
}
ratings = fidelity.ratings_from_evidence({**evidence, **JUDGEMENT_RATINGS})
'''},
        "error": {"answer_total": "result = fidelity.score(ratings)\ntotal = result.totl\n"},
        "edit": "fidelity_ratings_complete",
        "delete": "fidelity_band_correct",
        "max": {"fidelity_ratings_complete": 1, "fidelity_ratings_match_consensus": 4,
                "fidelity_total_correct": 2, "fidelity_band_correct": 1,
                "fidelity_next_review_correct": 1, "fidelity_priorities_correct": 2},
        "partial_scores": {"fidelity_ratings_complete": 1, "fidelity_ratings_match_consensus": 3.25,
                           "fidelity_total_correct": 1, "fidelity_band_correct": 1,
                           "fidelity_next_review_correct": 1, "fidelity_priorities_correct": 1.33},
        "error_zero": {"fidelity_total_correct", "fidelity_band_correct",
                       "fidelity_next_review_correct"},
        "manual": "fidelity_recommendation",
    },
    "case_plan": {
        "partial": {
            "answer_plan": lambda sol: sol + '''
plan_dict["benefits"]["by_trained_person"] = False   # "the coach can explain it"
plan_dict["parallel_services"][0]["owner"] = None    # nobody named for psychiatric care
plan_dict["disclosure"]["revisit_week"] = None
plan = caseplan.plan_from_dict(plan_dict)
''',
            "answer_earnings_limit": "earnings_limit_eur = 2100 * 0.4  # forgot the floor\n"},
        "error": {"answer_earnings_limit":
                  'earnings_limit_eur = benefits.disability_pension_earnings_limit(2100, "full", 2025)\n'},
        "edit": "case_plan_builds",
        "delete": "case_plan_disclosure_discussed",
        "max": {"case_plan_builds": 1, "case_plan_rule_check_clean": 3,
                "case_plan_benefits_counselling": 1, "case_plan_psychiatric_care_owner": 1,
                "case_plan_first_employer_contact": 1, "case_plan_disclosure_discussed": 1,
                "case_plan_no_readiness_gate": 1, "case_plan_follow_along_continues": 1,
                "earnings_limit_correct": 1},
        "partial_scores": {"case_plan_builds": 1, "case_plan_rule_check_clean": 2,
                           "case_plan_benefits_counselling": 0, "case_plan_psychiatric_care_owner": 0,
                           "case_plan_first_employer_contact": 1, "case_plan_disclosure_discussed": 0,
                           "case_plan_no_readiness_gate": 1, "case_plan_follow_along_continues": 1,
                           "earnings_limit_correct": 0},
        "error_zero": {"earnings_limit_correct"},
        "manual": "case_plan_justification",
    },
    "capacity_plan": {
        "partial": {
            "answer_draft": '''
draft = sim.replicate(SCENARIO.with_changes({"ips.coaches": DRAFT_COACHES}), REPLICATIONS, 2)
draft_p90 = draft.ci("ips_wait_days.p90")  # seed 2 instead of SEED
draft_meets_target = False
''',
            "answer_fewest": "fewest_coaches = 6  # meets the target on the mean only\n",
            "answer_compare": '''
from types import SimpleNamespace
p90_difference = SimpleNamespace(mean=24.6, low=3.9, high=45.3)  # base minus alternative
seventh_coach_shortens_p90 = True
seventh_coach_raises_30d_share = False  # wrong: its CI lies above 0
'''},
        "error": {"answer_fewest": '''
staffing = sim.min_staffing(SCENARIO, "ips.coach", COACH_VALUES, TARGET, REPLICATIONS, SEED)
fewest_coaches = staffing.best()["ips.coaches"]
'''},
        "edit": "fewest_coaches_valid",
        "delete": "draft_meets_target_correct",
        "max": {"draft_p90_correct": 1, "draft_meets_target_correct": 1, "fewest_coaches_valid": 1,
                "fewest_coaches_correct": 3, "paired_difference_correct": 1,
                "paired_reading_correct": 2},
        "partial_scores": {"draft_p90_correct": 0, "draft_meets_target_correct": 1,
                           "fewest_coaches_valid": 1, "fewest_coaches_correct": 1,
                           "paired_difference_correct": 0, "paired_reading_correct": 1},
        "error_zero": {"fewest_coaches_valid", "fewest_coaches_correct"},
        "manual": "capacity_memo",
    },
}


# --------------------------------------------------------------------------- building submissions


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _without_delimiters(source: str) -> str:
    return "\n".join(ln for ln in source.split("\n")
                     if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln)


def _secret_lines(cell) -> list[str]:
    """Lines a learner must not see: solution regions (whole manual answers) and hidden tests."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("solution") and cell.cell_type == "markdown":
        return cell.source.split("\n")
    pattern = (r"BEGIN SOLUTION[^\n]*\n(.*?)\n[^\n]*END SOLUTION"
               r"|BEGIN HIDDEN TESTS[^\n]*\n(.*?)\n[^\n]*END HIDDEN TESTS")
    return [ln for m in re.finditer(pattern, cell.source, re.S) for part in m.groups() if part
            for ln in part.split("\n")]


def _solutions(source_nb) -> dict[str, str]:
    """grade_id -> what a learner who solved it would have in the cell (delimiters removed)."""
    return {_gid(c): _without_delimiters(c.source) for c in source_nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def _learner_notebook(release_nb, source_nb, answers: dict[str, object] | None, *,
                      manual_text: str | None):
    """The release with answer cells filled: ``answers`` None = all solutions, else overrides."""
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))  # deep copy
    solutions = _solutions(source_nb)
    for cell in nb.cells:
        gid = _gid(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution"):
            continue
        if cell.cell_type == "markdown":
            if manual_text is not None:
                cell.source = manual_text
            continue
        if answers is None or gid in answers:
            recipe = None if answers is None else answers[gid]
            sol = solutions[gid]
            cell.source = sol if recipe is None else (recipe(sol) if callable(recipe) else recipe)
    return nb


def _build_class(root: Path, name: str) -> None:
    """Write every synthetic learner's upload into submitted/ or downloaded/<a>/archive/."""
    case = CASES[name]
    source_nb = nbformat.read(root / "source" / name / f"{name}.ipynb", 4)
    release_nb = nbformat.read(root / "release" / name / f"{name}.ipynb", 4)
    model = next(c.source for c in source_nb.cells if _gid(c) == case["manual"])
    full_answers = {g: None for g in _solutions(source_nb)}

    def submit(student: str, nb) -> None:
        folder = root / "submitted" / student / name
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")

    submit("s1-full", _learner_notebook(release_nb, source_nb, None, manual_text=model))
    partial = _learner_notebook(release_nb, source_nb, {**full_answers, **case["partial"]},
                                manual_text=LEARNER_TEXT)
    first = next(c for c in partial.cells
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    first.source = MARKER_NOTE + "\n" + first.source  # nbgrader's delimiter in an answer
    submit("s3-partial", partial)
    first_answer = next(_gid(c) for c in release_nb.cells
                        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    submit("s4-loop", _learner_notebook(release_nb, source_nb, {first_answer: LOOP}, manual_text=None))
    submit("s5-error", _learner_notebook(release_nb, source_nb, {**full_answers, **case["error"]},
                                         manual_text=model))
    tampered = _learner_notebook(release_nb, source_nb, {}, manual_text=None)
    for cell in tampered.cells:
        if _gid(cell) == case["edit"]:
            cell.source = TAMPERED_LINE
    tampered.cells = [c for c in tampered.cells if _gid(c) != case["delete"]]
    submit("s6-tampered", tampered)

    uploads = {"s2-blank": {f"{name}.ipynb": release_nb},
               "s7-renamed": {f"my work/{name} (1).ipynb": partial,
                              f"my work/.ipynb_checkpoints/{name} (1)-checkpoint.ipynb": partial},
               "s8-ambiguous": {"draft.ipynb": partial, "final.ipynb": partial}}
    if not VIA_ZIP[name]:
        for student, files in uploads.items():
            for path, nb in files.items():
                if ".ipynb_checkpoints" not in path:
                    folder = root / "submitted" / student / name
                    folder.mkdir(parents=True, exist_ok=True)
                    nbformat.write(nb, folder / Path(path).name)
        return
    archive = root / "downloaded" / name / "archive"
    archive.mkdir(parents=True)
    nbformat.write(release_nb, archive / f"s2-blank__{name}.ipynb")  # a plain upload
    for student in ("s7-renamed", "s8-ambiguous"):  # zipped uploads
        with zipfile.ZipFile(archive / f"{student}.zip", "w") as z:
            for path, nb in uploads[student].items():
                z.writestr(path, nbformat.writes(nb))


# --------------------------------------------------------------------------- the pipeline


class Pipeline:
    """One assignment's course copy, run through tools.py in a background thread."""

    def __init__(self, name: str, root: Path):
        self.name, self.root = name, root
        self.rc: dict[str, int] = {}
        self.out: dict[str, str] = {}
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"pipeline-{name}", daemon=True)

    def tool(self, *args: str) -> int:
        proc = subprocess.run([sys.executable, str(self.root / "tools.py"), *args], cwd=self.root,
                              capture_output=True, text=True, timeout=900)
        self.rc[args[0]] = proc.returncode
        self.out[args[0]] = proc.stdout + proc.stderr
        return proc.returncode

    def _run(self) -> None:
        try:
            assert self.tool("release", self.name) == 0, self.out["release"]
            _build_class(self.root, self.name)
            if VIA_ZIP[self.name]:
                self.tool("collect", self.name, "--zip")
            self.tool("autograde", self.name)
            self._grade_by_hand(("s1-full", "s3-partial"))
            self.tool("feedback", self.name)
            self.tool("export-cells", "--out", str(self.root / "exports" / "cells.csv"))
        except BaseException as exc:  # noqa: BLE001 - re-raised in wait()
            self.error = exc

    def _grade_by_hand(self, students) -> None:
        """What a trainer does in the formgrader: score the written answers."""
        manual = CASES[self.name]["manual"]
        with self.gradebook() as gb:
            for student in students:
                grade = gb.find_grade(manual, self.name, self.name, student)
                grade.manual_score = 3.0
                grade.needs_manual_grade = False
            gb.db.commit()

    def gradebook(self):
        return nbgrader_api.Gradebook("sqlite:///" + str(self.root / "gradebook.db"),
                                      course_id="tyokyky-course")

    def start(self) -> Pipeline:
        self._thread.start()
        return self

    def wait(self) -> Pipeline:
        self._thread.join(timeout=1200)
        assert not self._thread.is_alive(), f"{self.name}: pipeline still running after 20 min"
        if self.error is not None:
            raise self.error
        return self

    def grades(self) -> dict[str, dict[str, object]]:
        """student -> grade_id -> Grade.to_dict() for this assignment."""
        out: dict[str, dict[str, object]] = {}
        with self.gradebook() as gb:
            for sub in gb.assignment_submissions(self.name):
                for nb in sub.notebooks:
                    for g in nb.grades:
                        out.setdefault(sub.student.id, {})[g.name] = g.to_dict() | {"score": g.score}
        return out

    def report(self) -> dict:
        return json.loads((self.root / "exports" / "logs" /
                           f"autograde-{self.name}-latest.json").read_text())

    def autograded(self, student: str):
        return nbformat.read(self.root / "autograded" / student / self.name / f"{self.name}.ipynb", 4)


class WallClockRun(Pipeline):
    """A learner whose loop outlasts a generous cell timeout: tools.py's --max-minutes stops the
    whole run, nbgrader and its kernel included."""

    def _run(self) -> None:
        try:
            assert self.tool("release", self.name) == 0, self.out["release"]
            source_nb = nbformat.read(self.root / "source" / self.name / f"{self.name}.ipynb", 4)
            release_nb = nbformat.read(self.root / "release" / self.name / f"{self.name}.ipynb", 4)
            loop = _learner_notebook(release_nb, source_nb, {"answer_ratings": LOOP}, manual_text=None)
            folder = self.root / "submitted" / "s4-loop" / self.name
            folder.mkdir(parents=True)
            nbformat.write(loop, folder / f"{self.name}.ipynb")
            self.tool("autograde", self.name, "--max-minutes", "0.25")
        except BaseException as exc:  # noqa: BLE001 - re-raised in wait()
            self.error = exc


def _course_copy(tmp_path_factory, name: str, timeout_s: int) -> Path:
    root = tmp_path_factory.mktemp(name) / "assignments"
    root.mkdir()
    shutil.copy(COURSE / "nbgrader_config.py", root)
    for f in ("tools.py", "references.py"):
        shutil.copy(COURSE / f, root)
    shutil.copytree(COURSE / "source" / name, root / "source" / name)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(f"\n# test-only override (temp copy): per-cell timeout for this run\n"
                 f"c.Execute.timeout = {timeout_s}\n")
    return root


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory) -> dict[str, Pipeline]:
    """Start all three assignment pipelines at once; tests wait for the one they need."""
    started = {name: Pipeline(name, _course_copy(tmp_path_factory, name, LOOP_TIMEOUT_S[name])).start()
               for name in ASSIGNMENTS}
    root = _course_copy(tmp_path_factory, "fidelity_review", 600)
    started["wall-clock"] = WallClockRun("fidelity_review", root).start()
    return started


def _score(grades, student, gid) -> float:
    return round(float(grades[student][gid]["score"]), 2)


# --------------------------------------------------------------------------- source and release


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_with_solutions_passes_its_own_tests_in_the_validator(name, pipelines):
    """Runs top to bottom, including the hidden tests (the in-process Validator, P2)."""
    cfg = Config()
    cfg.Execute.timeout = 300  # not a timeout test; three pipelines share the cores meanwhile
    result = Validator(config=cfg).validate(str(COURSE / "source" / name / f"{name}.ipynb"))
    assert not result.get("failed") and not result.get("errors"), result
    assert not result.get("changed") and not result.get("type_changed"), result


def test_capacity_scenario_still_teaches_mean_versus_95_percent_confidence(pipelines):
    """The partial-credit answers, the memo and RUBRICS.md rest on these sim results (seed 1)."""
    ns: dict = {}
    for cell in nbformat.read(COURSE / "source" / "capacity_plan" / "capacity_plan.ipynb", 4).cells:
        if cell.cell_type == "code" and cell.metadata["nbgrader"]["grade_id"].startswith(("setup", "answer")):
            exec(cell.source, ns)
    mean_only = min(r["ips.coaches"] for r in ns["staffing"].table(["ips_wait_days.p90"])
                    if r["ips_wait_days.p90.mean"] <= 30)
    assert (ns["fewest_coaches"], mean_only, ns["draft_meets_target"]) == (7, 6, False)
    assert (ns["seventh_coach_shortens_p90"], ns["seventh_coach_raises_30d_share"]) == (True, True)
    assert ns["staffing"].offered_load["ips.coaches"] > ns["DRAFT_COACHES"]  # the draft is unstable


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_fails_validation_and_contains_no_solutions_or_hidden_tests(name, pipelines):
    p = pipelines[name].wait()
    release_path = p.root / "release" / name / f"{name}.ipynb"
    text = release_path.read_text(encoding="utf-8")
    source_nb = nbformat.read(COURSE / "source" / name / f"{name}.ipynb", 4)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    release_sources = "\n".join(c.source for c in nbformat.read(release_path, 4).cells)
    secrets = 0
    for cell in source_nb.cells:
        secret = [ln.strip() for ln in _secret_lines(cell) if len(ln.strip()) > 12]
        secrets += len(secret)
        leaked = [ln for ln in secret if ln in release_sources]
        assert not leaked, f"{_gid(cell)}: release shows solution or hidden-test lines {leaked}"
    assert secrets > 20, "the source should have solutions and hidden tests to hide"
    result = Validator().validate(str(release_path))
    assert result.get("failed"), "the release should fail its tests as handed out"


# --------------------------------------------------------------------------- autograded scores


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_full_solution_gets_full_marks_on_every_autograded_cell(name, pipelines):
    grades = pipelines[name].wait().grades()
    for gid, points in CASES[name]["max"].items():
        assert _score(grades, "s1-full", gid) == points, gid
    manual = grades["s1-full"][CASES[name]["manual"]]
    assert manual["manual_score"] == 3.0 and not manual["needs_manual_grade"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_blank_release_scores_zero_and_needs_no_manual_grading(name, pipelines):
    grades = pipelines[name].wait().grades()
    assert all(g["score"] == 0 for g in grades["s2-blank"].values()), grades["s2-blank"]
    assert not any(g["needs_manual_grade"] for g in grades["s2-blank"].values())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_partly_right_submission_gets_partial_credit_per_cell(name, pipelines):
    grades = pipelines[name].wait().grades()
    got = {gid: _score(grades, "s3-partial", gid) for gid in CASES[name]["max"]}
    assert got == CASES[name]["partial_scores"]
    assert 0 < sum(got.values()) < sum(CASES[name]["max"].values())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_infinite_loop_times_out_scores_zero_and_the_batch_goes_on(name, pipelines):
    p = pipelines[name].wait()
    grades = p.grades()
    assert all(g["score"] == 0 for g in grades["s4-loop"].values())
    report = p.report()
    release_nb = nbformat.read(p.root / "release" / name / f"{name}.ipynb", 4)
    first_answer = next(_gid(c) for c in release_nb.cells
                        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    assert report["timeouts"] == {"s4-loop": [first_answer]}  # only the loop, only that learner
    assert report["nbgrader_exit_code"] == 0
    for later in ("s5-error", "s6-tampered", "s7-renamed"):  # graded after the loop
        assert later in grades and (p.root / "autograded" / later / name).is_dir()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_exception_in_one_answer_zeroes_only_the_tests_that_need_it(name, pipelines):
    grades = pipelines[name].wait().grades()
    for gid, points in CASES[name]["max"].items():
        expected = 0 if gid in CASES[name]["error_zero"] else points
        assert _score(grades, "s5-error", gid) == expected, gid


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_edited_test_cell_is_restored_so_the_real_test_runs(name, pipelines):
    p = pipelines[name].wait()
    edited = CASES[name]["edit"]
    assert _score(p.grades(), "s6-tampered", edited) == 0  # "assert True" would have scored
    cell = next(c for c in p.autograded("s6-tampered").cells if _gid(c) == edited)
    source_nb = nbformat.read(COURSE / "source" / name / f"{name}.ipynb", 4)
    assert cell.source == next(c.source for c in source_nb.cells if _gid(c) == edited)
    assert cell.outputs and cell.outputs[-1].get("output_type") == "error"
    issues = [i for i in p.report()["issues"] if i["student"] == "s6-tampered"]
    assert {"edited-cell", "deleted-cell"} <= {i["kind"] for i in issues}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_deleted_test_cell_is_added_back_and_graded(name, pipelines):
    p = pipelines[name].wait()
    deleted = CASES[name]["delete"]
    grade = p.grades()["s6-tampered"][deleted]
    assert grade["score"] == 0 and not grade["needs_manual_grade"]  # ran and failed: no stuck cell
    cells = [c for c in p.autograded("s6-tampered").cells if _gid(c) == deleted]
    assert len(cells) == 1 and "was missing from the submission" in cells[0].source
    assert cells[0].outputs, "the restored test cell was executed"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_renamed_notebook_is_reported_copied_and_graded(name, pipelines):
    p = pipelines[name].wait()
    step = "collect" if VIA_ZIP[name] else "autograde"  # whichever first saw the upload
    assert f"[RENAMED] s7-renamed: '{name} (1).ipynb' copied to '{name}.ipynb'" in p.out[step]
    assert not any(i["blocking"] for i in p.report()["issues"] if i["student"] == "s7-renamed")
    grades = p.grades()
    got = {gid: _score(grades, "s7-renamed", gid) for gid in CASES[name]["max"]}
    assert got == CASES[name]["partial_scores"]  # the same notebook as s3-partial


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_ambiguous_submission_is_held_back_not_scored_zero(name, pipelines):
    p = pipelines[name].wait()
    assert p.rc["autograde"] == 3, p.out["autograde"]  # done, but a person is needed
    assert "NEEDS ATTENTION" in p.out["autograde"] and "s8-ambiguous" in p.out["autograde"]
    assert p.report()["held_back"] == ["s8-ambiguous"]
    assert "s8-ambiguous" not in p.grades()
    with open(p.root / "exports" / "cells.csv", newline="") as fh:
        assert not [r for r in csv.DictReader(fh) if r["student_id"] == "s8-ambiguous"]


# --------------------------------------------------------------------------- feedback and export


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_is_written_only_for_students_whose_manual_grading_is_done(name, pipelines):
    p = pipelines[name].wait()
    assert p.rc["feedback"] == 0, p.out["feedback"]
    written = {d.name for d in (p.root / "feedback").iterdir()}
    assert written == {"s1-full", "s2-blank", "s3-partial", "s4-loop", "s6-tampered"}
    for pending in ("s5-error", "s7-renamed"):
        assert f"held back: {pending}" in p.out["feedback"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_html_reveals_no_hidden_tests(name, pipelines):
    p = pipelines[name].wait()
    source = (COURSE / "source" / name / f"{name}.ipynb").read_text(encoding="utf-8")
    source_nb = nbformat.read(COURSE / "source" / name / f"{name}.ipynb", 4)
    hidden_comments = [region.split("\n")[1].strip()
                       for c in source_nb.cells if "BEGIN HIDDEN TESTS" in c.source
                       for region in c.source.split("BEGIN HIDDEN TESTS")[1:]]
    assert hidden_comments and "BEGIN HIDDEN TESTS" in source
    for student in ("s1-full", "s3-partial", "s6-tampered"):
        page = (p.root / "feedback" / student / name / f"{name}.html").read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        # only the partial learner's own comment, shown as written
        assert text.count("HIDDEN TESTS") == (1 if student == "s3-partial" else 0)
        assert (MARKER_NOTE in text) == (student == "s3-partial")
        shown = [c for c in hidden_comments if c in text]
        assert not shown, f"{student}: hidden test lines in the feedback: {shown}"
        assert "Score:" in text


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_export_cells_writes_one_row_per_student_and_grade_cell(name, pipelines):
    p = pipelines[name].wait()
    assert p.rc["export-cells"] == 0, p.out["export-cells"]
    with open(p.root / "exports" / "cells.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cells = [*CASES[name]["max"], CASES[name]["manual"]]
    assert list(rows[0])[:11] == ["student_id", "assignment", "notebook", "grade_cell", "cell_type",
                                  "auto_score", "manual_score", "extra_credit", "score", "max_score",
                                  "needs_manual_grade"]
    assert "provisional" in rows[0]  # tamper flags (tools.py flags)
    assert not any(r["provisional"] == "True" for r in rows)  # the synthetic class plays fair
    assert sorted((r["student_id"], r["grade_cell"]) for r in rows) == \
        sorted((s, c) for s in GRADED for c in cells)
    by_key = {(r["student_id"], r["grade_cell"]): r for r in rows}
    full_manual = by_key[("s1-full", CASES[name]["manual"])]
    assert (full_manual["manual_score"], full_manual["needs_manual_grade"]) == ("3.0", "False")
    assert by_key[("s5-error", CASES[name]["manual"])]["needs_manual_grade"] == "True"
    for gid, points in CASES[name]["max"].items():
        row = by_key[("s1-full", gid)]
        assert float(row["auto_score"]) == float(row["score"]) == float(row["max_score"]) == points


def test_max_minutes_stops_a_run_whose_cells_never_time_out(pipelines):
    run = pipelines["wall-clock"].wait()
    assert run.rc["autograde"] == 1, run.out["autograde"]  # stopped: nbgrader did not finish
    assert "Stopping nbgrader after 0.25 minutes" in run.out["autograde"]
    psutil = pytest.importorskip("psutil")

    def leftovers() -> list[int]:  # nbgrader runs in the course root, its kernels below it
        return [p.info["pid"] for p in psutil.process_iter(["pid", "cwd", "cmdline"])
                if str(run.root) in (p.info["cwd"] or "") + " ".join(p.info["cmdline"] or [])]

    for _ in range(20):
        if not leftovers():
            break
        time.sleep(0.5)
    assert not leftovers(), "processes of the stopped run are still alive"
