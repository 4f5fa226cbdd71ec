"""Static checks of the nbgrader course: sources, config, rubrics and the trainer's tools.

Fast (no kernels, no nbgrader runs); the end-to-end grading pipeline is in
test_assignments_pipeline.py.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader")
from traitlets.config.loader import PyFileConfigLoader  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
ASSIGNMENTS = ("fidelity_review", "case_plan", "capacity_plan")
GRADE_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # snake_case, at least two words


def _nb(name: str):
    return nbformat.read(COURSE / "source" / name / f"{name}.ipynb", as_version=4)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _tools():
    spec = importlib.util.spec_from_file_location("course_tools", COURSE / "tools.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()


def test_only_the_three_assignments_are_in_source():
    assert sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir()) == sorted(ASSIGNMENTS)
    for name in ASSIGNMENTS:
        assert [p.name for p in (COURSE / "source" / name).glob("*.ipynb")] == [f"{name}.ipynb"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_is_committed_without_outputs_and_with_the_python3_kernel(name):
    nb = _nb(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, _meta(cell).get("grade_id")
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_nbgrader_cell_uses_schema_3_and_a_unique_descriptive_grade_id(name):
    ids = []
    for cell in _nb(name).cells:
        meta = _meta(cell)
        if not meta:
            continue
        assert meta["schema_version"] == 3 and meta["task"] is False, meta
        assert GRADE_ID.match(meta["grade_id"]) or meta["grade_id"] == "setup", meta["grade_id"]
        ids.append(meta["grade_id"])
        if meta["grade"]:
            assert 1 <= meta["points"] <= 4, f"{meta['grade_id']}: keep points small"
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_test_cell_opens_with_a_docstring_and_asserts_with_messages(name):
    tests = [c for c in _nb(name).cells if _meta(c).get("grade") and c.cell_type == "code"]
    assert len(tests) >= 5
    for cell in tests:
        gid = _meta(cell)["grade_id"]
        tree = ast.parse(cell.source)
        assert ast.get_docstring(tree, clean=False), f"{gid}: open with a docstring of what it checks"
        bare = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assert) and n.msg is None]
        assert not bare, f"{gid}: asserts on lines {bare} need a message (it becomes the feedback)"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_each_assignment_mixes_visible_hidden_partial_credit_and_manual_grading(name):
    """Visible checks in every test cell, hidden ones in some, partial credit, one written answer."""
    cells = _nb(name).cells
    tests = [c for c in cells if _meta(c).get("grade") and c.cell_type == "code"]
    assert any("BEGIN HIDDEN TESTS" in c.source for c in tests)
    for cell in tests:  # learners always see at least one check of each cell before grading
        visible = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", cell.source, flags=re.S)
        assert "assert " in visible, _meta(cell)["grade_id"]
    assert any(c.source.startswith('"""Partial credit') for c in tests)
    manual = [c for c in cells if _meta(c).get("grade") and _meta(c).get("solution")]
    assert len(manual) == 1 and manual[0].cell_type == "markdown"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hidden_regions_sit_in_test_cells_and_open_with_a_comment(name):
    """The feedback test looks for these comments to prove hidden tests stay hidden."""
    for cell in _nb(name).cells:
        if "BEGIN HIDDEN TESTS" not in cell.source:
            continue
        assert _meta(cell).get("grade") and not _meta(cell).get("solution")
        for region in cell.source.split("BEGIN HIDDEN TESTS")[1:]:
            assert region.split("\n")[1].lstrip().startswith("# "), _meta(cell)["grade_id"]
            assert "END HIDDEN TESTS" in region


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_grade_cells_follow_an_answer_or_test_cell_so_deleted_ones_can_be_added_back(name):
    """OverwriteCells.add_missing_cells re-inserts a deleted grade cell after the previous *source*
    cell, looked up among grade and solution cells only: a locked cell in between crashes it."""
    source_cells = [c for c in _nb(name).cells if _meta(c)]
    for prev, cell in zip(source_cells, source_cells[1:]):
        if _meta(cell).get("grade"):
            assert _meta(prev).get("grade") or _meta(prev).get("solution"), _meta(cell)["grade_id"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_setup_cell_is_locked_and_silences_warnings(name):
    first_code = next(c for c in _nb(name).cells if c.cell_type == "code")
    assert _meta(first_code) == {**_meta(first_code), "grade_id": "setup", "locked": True,
                                 "grade": False, "solution": False}
    assert 'warnings.filterwarnings("ignore")' in first_code.source


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_notebook_says_its_data_is_fictional_and_no_marker_text_leaks_into_markdown(name):
    cells = _nb(name).cells
    assert "fictional" in cells[0].source.lower()
    for cell in cells:
        if cell.cell_type == "markdown" and not _meta(cell):
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
                assert marker not in cell.source  # nbgrader would treat it as a region


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_notebook_tells_learners_the_per_cell_time_limit_of_the_config(name, config):
    assert f"may run for {config.Execute.timeout} seconds" in " ".join(_nb(name).cells[0].source.split())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_manual_cells_have_their_rubric_in_the_notebook_and_in_rubrics_md(name):
    cells = _nb(name).cells
    rubrics = (COURSE / "RUBRICS.md").read_text(encoding="utf-8")
    for i, cell in enumerate(cells):
        if not (_meta(cell).get("grade") and _meta(cell).get("solution")):
            continue
        gid, points = _meta(cell)["grade_id"], _meta(cell)["points"]
        before = cells[i - 1].source
        assert "**Rubric" in before and f"{points} points" in before, gid
        assert f"`{gid}`" in rubrics and f"({points} points)" in rubrics, gid
        assert len(re.findall(r"^\d\. ", before, re.M)) == points  # one line per point


def test_config_sets_what_the_course_relies_on(config):
    c = config
    assert c.CourseDirectory.course_id == "tyokyky-course"
    assert c.CourseDirectory.root == str(COURSE)
    assert c.CourseDirectory.db_url == "sqlite:///" + str(COURSE / "gradebook.db")
    assert 10 <= c.Execute.timeout <= 60 and c.Execute.interrupt_on_timeout is True
    assert "--InteractiveShell.xmode=Plain" in c.Execute.extra_arguments
    assert c.OverwriteCells.add_missing_cells is True
    assert c.LimitOutput.max_lines > 0 and c.LimitOutput.max_traceback > 0
    assert c.IgnorePattern.enabled is True
    assert [p.__name__ for p in c.GenerateFeedback.preprocessors][0] == "ClearHiddenTests"
    assert Path(c.Exchange.root) == COURSE / "exchange"
    assert c.FileNameCollectorPlugin.named_regexp.startswith(".*")  # matched on absolute paths


def test_warning_pattern_drops_python_warnings_but_not_other_stderr(config):
    pattern = re.compile(config.IgnorePattern.pattern)
    assert pattern.search("/venv/lib/x.py:12: UserWarning: old API\n  warn()\n")
    assert pattern.search("<ipython-input-3>:1: UnstableScenarioWarning: waits grow\n")
    assert not pattern.search("Traceback (most recent call last):\nValueError: bad\n")
    assert not pattern.search("Recheck these items: O2\n")


@pytest.mark.parametrize("path, expected", [
    ("/srv/c/downloaded/case_plan/extracted/anna-k__case_plan.ipynb", ("anna-k", "case_plan.ipynb")),
    ("/srv/c/downloaded/case_plan/extracted/anna-k/case_plan.ipynb", ("anna-k", "case_plan.ipynb")),
    ("/srv/c/downloaded/case_plan/extracted/b.lee/my work/case_plan (1).ipynb",
     ("b.lee", "case_plan (1).ipynb")),
    ("/srv/c/downloaded/case_plan/extracted/anna-k/.ipynb_checkpoints/case_plan-checkpoint.ipynb", None),
    ("/srv/c/downloaded/case_plan/extracted/anna-k/__MACOSX/._case_plan.ipynb", None),
    ("/srv/c/downloaded/case_plan/extracted/notes.txt", None),
])
def test_zip_collect_regex_reads_student_and_file_from_upload_paths(config, path, expected):
    m = re.match(config.FileNameCollectorPlugin.named_regexp, path)
    assert (m.group("student_id"), m.group("file_id")) == expected if expected else m is None


def _course_with_submissions(tmp_path: Path, files: dict[str, list[str]]) -> Path:
    root = tmp_path / "assignments"
    shutil.copytree(COURSE / "source" / "case_plan", root / "source" / "case_plan")
    for student, names in files.items():
        folder = root / "submitted" / student / "case_plan"
        folder.mkdir(parents=True)
        for n in names:
            shutil.copy(COURSE / "source" / "case_plan" / "case_plan.ipynb", folder / n)
    return root


def test_check_names_copies_a_single_misnamed_notebook_and_reports_it(tmp_path):
    root = _course_with_submissions(tmp_path, {"anna": ["case_plan (1).ipynb"], "ben": ["case_plan.ipynb"]})
    issues = _tools().check_names(root, "case_plan")
    assert [(i.student, i.kind, i.blocking) for i in issues] == [("anna", "renamed", False)]
    folder = root / "submitted" / "anna" / "case_plan"
    assert sorted(p.name for p in folder.iterdir()) == ["case_plan (1).ipynb", "case_plan.ipynb"]
    assert _tools().check_names(root, "case_plan") == []  # the kept original is not reported again


def test_check_names_holds_back_ambiguous_and_metadata_free_submissions(tmp_path):
    root = _course_with_submissions(tmp_path, {"cara": ["a.ipynb", "b.ipynb"], "dan": ["case_plan.ipynb"]})
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("plan_dict = {}")])
    nbformat.write(plain, root / "submitted" / "dan" / "case_plan" / "case_plan.ipynb")
    issues = {(i.student, i.kind): i for i in _tools().check_names(root, "case_plan")}
    ambiguous = issues[("cara", "missing")]
    assert ambiguous.blocking and "'a.ipynb', 'b.ipynb'" in ambiguous.message
    assert issues[("dan", "no-metadata")].blocking
    assert not (root / "submitted" / "cara" / "case_plan" / "case_plan.ipynb").exists()


def test_tools_refuses_unknown_assignments_with_a_usage_error(capsys):
    assert _tools().main(["autograde", "no_such_assignment"]) == 2
    assert "known: capacity_plan, case_plan, fidelity_review" in capsys.readouterr().out


def test_readme_documents_every_tools_subcommand_and_the_make_targets():
    readme = (COURSE / "README.md").read_text(encoding="utf-8")
    for sub in ("release", "collect", "check-names", "autograde", "feedback", "export-cells", "validate"):
        assert f"tools.py {sub}" in readme, sub
    for target in ("make release A=", "make collect A=", "make grade A=", "make feedback A=", "make export"):
        assert target in readme, target


def _execute_source(name: str) -> dict:
    """Run the source notebook's code cells (solutions and hidden tests) in this process."""
    namespace: dict = {}
    for cell in _nb(name).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"<{name}:{_meta(cell).get('grade_id')}>", "exec"), namespace)
    return namespace


def _model_answer(name: str) -> str:
    return " ".join(next(c.source for c in _nb(name).cells
                         if _meta(c).get("grade") and _meta(c).get("solution")).split())


def test_fidelity_model_answer_quotes_the_consensus_the_tests_compute():
    ns = _execute_source("fidelity_review")
    assert (ns["_CONSENSUS_TOTAL"], ns["band_key"], ns["priorities"]) == (79, "fair", ["O5", "O2", "O3"])
    assert ns["ratings"] == ns["_CONSENSUS"]  # the solution is the reviewers' consensus
    assert "79/125, fair fidelity" in _model_answer("fidelity_review")


def test_case_plan_solution_is_clean_and_the_model_answer_quotes_its_earnings_limit():
    ns = _execute_source("case_plan")
    assert ns["casereview"].check(ns["plan"]) == []
    assert ns["earnings_limit_eur"] == 976.59
    assert "about €977 a month in 2024" in _model_answer("case_plan")
