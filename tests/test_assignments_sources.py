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

from sim.grading import references  # noqa: E402

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
    assert [p.__name__ for p in c.GenerateFeedback.preprocessors][0] == "ClearHiddenTestsInTestCells"
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
    """Run the source notebook's code cells (solutions and hidden tests) in this process.

    Not ``sim.grading.references.run_solutions``: that one runs the setup and solution cells
    only, while the checks below read the hidden tests' own reference lines (``_REF_*``)."""
    namespace: dict = {}
    for cell in _nb(name).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"<{name}:{_meta(cell).get('grade_id')}>", "exec"), namespace)
    return namespace


def _model_answer(name: str) -> str:
    return " ".join(next(c.source for c in _nb(name).cells
                         if _meta(c).get("grade") and _meta(c).get("solution")).split())


def test_fidelity_model_answer_quotes_the_consensus_the_tests_compare_with():
    ns = _execute_source("fidelity_review")
    assert (ns["_REF_TOTAL"], ns["_REF_BAND"], ns["_REF_TOP3"]) == (79, "fair", ["O5", "O2", "O3"])
    assert ns["_REF_EVIDENCE_RATINGS"] == {i: ns["ratings"][i] for i in ns["EVIDENCE_ITEMS"]}
    assert "79/125, fair fidelity" in _model_answer("fidelity_review")


def test_case_plan_solution_is_clean_and_the_model_answer_quotes_its_earnings_limit():
    ns = _execute_source("case_plan")
    assert ns["casereview"].check(ns["plan"]) == []
    assert ns["earnings_limit_eur"] == 976.59
    assert "about €977 a month in 2024" in _model_answer("case_plan")


# --------------------------------------------------------------------------- reference values


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hidden_tests_compare_with_literals_that_match_the_model_answer(name):
    """``tools.py references`` finds every reference line up to date: the literals are what the
    recipe computes from the executed solutions (the capacity_plan one reruns the simulation)."""
    problems, changed = _tools().reference_check(COURSE, name)
    assert problems == [] and changed == []
    assert len(references.literals(_nb(name))) >= 2


def _setup_names(nb) -> set[str]:
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and _meta(cell).get("grade_id") == "setup":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hidden_tests_read_no_library_or_setup_name_a_learner_could_rebind(name):
    """Learners' cells run after the setup cell and can rebind or patch what it defines, so
    hidden tests take no reference from it: only the case-plan checker (``caseplan``, whose
    patching is a tamper flag) and ``re`` may be read."""
    nb = _nb(name)
    forbidden = _setup_names(nb) - {"caseplan", "re"}
    assert forbidden, "the setup cell defines names"
    for cell in nb.cells:
        pattern = r"BEGIN HIDDEN TESTS[^\n]*\n(.*?)\n[^\n]*END HIDDEN TESTS"
        for region in re.findall(pattern, cell.source, re.S):
            read = {n.id for n in ast.walk(ast.parse(region)) if isinstance(n, ast.Name)}
            assert not read & forbidden, (_meta(cell)["grade_id"], read & forbidden)


def test_a_stale_reference_is_reported_rewritten_and_blocks_the_release(tmp_path):
    root = tmp_path / "assignments"
    (root / "source").mkdir(parents=True)
    for f in ("nbgrader_config.py", "tools.py", "references.py"):
        shutil.copy(COURSE / f, root)
    shutil.copytree(COURSE / "source" / "fidelity_review", root / "source" / "fidelity_review")
    path = root / "source" / "fidelity_review" / "fidelity_review.ipynb"
    text = path.read_text(encoding="utf-8")
    assert text.count("_REF_TOTAL = 79  # reference:") == 1
    path.write_text(text.replace("_REF_TOTAL = 79  # reference:", "_REF_TOTAL = 80  # reference:"),
                    encoding="utf-8")
    tools = _tools()
    problems, _ = tools.reference_check(root, "fidelity_review")
    assert problems == ["_REF_TOTAL: 80 in the notebook, 79 now"]
    assert tools.main(["--course", str(root), "release", "fidelity_review"]) == 2
    assert not (root / "release").exists() and not (root / "gradebook.db").exists()
    assert tools.main(["--course", str(root), "references", "fidelity_review"]) == 3
    assert tools.main(["--course", str(root), "references", "fidelity_review", "--write"]) == 0
    assert path.read_text(encoding="utf-8") == text  # only the stale value changed back
    assert tools.reference_check(root, "fidelity_review") == ([], [])


def test_reference_lines_refuse_what_is_not_a_literal_and_names_without_a_value():
    nb = _nb("case_plan")
    cell = next(c for c in nb.cells if "_REF_EARNINGS_LIMIT = " in c.source)
    good = cell.source
    cell.source = good.replace("_REF_EARNINGS_LIMIT = 976.59", "_REF_EARNINGS_LIMIT = limit()")
    with pytest.raises(references.ReferenceLineError, match="earnings_limit_correct.*not a Python literal"):
        references.literals(nb)
    cell.source = good
    assert references.stale(nb, {"_REF_EARNINGS_LIMIT": 976.59}) == [
        "_REF_FIRST_CONTACT_MAX_WEEK: a test cell has this reference line but the recipe gives no value"]
    with pytest.raises(references.ReferenceLineError, match="no value"):
        references.write(nb, {"_REF_EARNINGS_LIMIT": 976.59})
    with pytest.raises(references.ReferenceLineError, match="cannot be written as a Python literal"):
        references.write(nb, {"_REF_EARNINGS_LIMIT": object(), "_REF_FIRST_CONTACT_MAX_WEEK": 4})


def _scores_of(name: str, answers: dict[str, object]) -> dict[str, float]:
    """grade_id -> score of every autograded test cell, run in this process after the setup and
    solution cells with *answers* put in the namespace (a learner's answers, simulated)."""
    nb = _nb(name)
    ns = references.run_solutions(nb, name)
    ns.update(answers)
    scores = {}
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        try:
            exec(compile(tree, meta["grade_id"], "exec"), ns)
            value = eval(compile(ast.Expression(last.value), meta["grade_id"], "eval"), ns) if last else None
        except Exception:  # noqa: BLE001 - a failing test cell scores 0, as in nbgrader
            scores[meta["grade_id"]] = 0.0
            continue
        scores[meta["grade_id"]] = float(value) if isinstance(value, (int, float)) else float(meta["points"])
    return scores


def test_case_plan_scores_nothing_for_the_other_clients_template():
    """The plan must fit Mikael: the template (another client's complete, clean plan) handed in
    unchanged scores 0 on every plan check, while the model answer scores full marks."""
    nb = _nb("case_plan")
    plan_cells = {_meta(c)["grade_id"]: _meta(c)["points"] for c in nb.cells if _meta(c).get("grade")
                  and c.cell_type == "code" and _meta(c)["grade_id"] != "earnings_limit_correct"}
    assert sum(plan_cells.values()) == 10
    full = _scores_of("case_plan", {})
    assert {g: full[g] for g in plan_cells} == plan_cells
    ns = references.run_solutions(nb, "case_plan")
    template = _scores_of("case_plan", {"plan_dict": ns["TEMPLATE"]})
    assert {g: template[g] for g in plan_cells} == dict.fromkeys(plan_cells, 0.0)
