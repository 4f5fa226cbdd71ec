"""Tamper flags: learners' cells scanned for tricks that can fool the tests in their own notebook.

Every trick is one learner's notebook, built from the real ``fidelity_review`` release (generated
in a temporary copy of the course) with the solutions filled in and the trick added to an answer
cell; the scan must flag it with the right kind on the right line, and nothing else. The shipped
solutions of all three assignments must have no flags. The notebooks are only read here, never run,
except in the last test, which grades an honest and a flagged learner through ``tools.py
autograde`` in the sandbox and checks what the trainer sees: the summary, the flags report and the
``provisional`` column of ``export-cells``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import nbgrader  # noqa: F401 - installed by make (the lab extra): fail, never skip
import pytest

# the course tests' helpers: a temporary course copy, running tools.py, importing it
from test_assignments_sources import _tools  # noqa: E402
from test_grading_sandbox import _course, _tool  # noqa: E402

from sim.grading import sandbox, tamper
from sim.grading.tamper import scan_notebook, scan_source

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
NAME = "fidelity_review"
ASSIGNMENTS = ("fidelity_review", "case_plan", "capacity_plan")

# (id, answer cell, code added at the top of the cell, kind, line of the flag within that code)
TRICKS = [
    ("round-lambda", "answer_ratings", "round = lambda x, n=None: 4.0", "rebinds-builtin", 1),
    ("def-isinstance", "answer_ratings", "def isinstance(obj, classes):\n    return True",
     "rebinds-builtin", 1),
    ("builtins-module", "answer_ratings", "import builtins\nbuiltins.round = lambda *a: 4.0",
     "rebinds-builtin", 2),
    ("builtins-setattr", "answer_total", "import builtins as b\nsetattr(b, 'sum', lambda values: 79)",
     "rebinds-builtin", 2),
    ("dunder-builtins", "answer_ratings", "__builtins__.len = lambda x: 16", "rebinds-builtin", 1),
    ("loop-shadows-sum", "answer_total", "for sum in [lambda values: 79]:\n    pass", "rebinds-builtin", 1),
    ("rebind-module", "answer_ratings", "from types import SimpleNamespace\nfidelity = SimpleNamespace()",
     "rebinds-test-name", 2),
    ("rebind-setup-list", "answer_ratings", "EVIDENCE_ITEMS = ['S3']", "rebinds-test-name", 1),
    ("slice-setup-list", "answer_ratings", "EVIDENCE_ITEMS[:] = ['S3']", "rebinds-test-name", 1),
    ("clear-setup-dict", "answer_ratings", "JUDGEMENT_RATINGS.clear()", "rebinds-test-name", 1),
    ("global-in-function", "answer_total",
     "def sneaky():\n    global fidelity\n    fidelity = None\nsneaky()", "rebinds-test-name", 3),
    ("walrus", "answer_priorities", "(fidelity := None)", "rebinds-test-name", 1),
    ("patch-function", "answer_total", "fidelity.band = lambda total: 'fair'", "patches-module", 1),
    ("patch-setattr", "answer_total", "setattr(fidelity, 'review_cadence_months', lambda total: 6)",
     "patches-module", 1),
    ("patch-submodule", "answer_ratings", "import sim.practice.fidelity\nsim.practice.fidelity.score = print",
     "patches-module", 2),
    ("patch-vars", "answer_ratings", "vars(fidelity)['score'] = print", "patches-module", 1),
    ("patch-copy", "answer_ratings", "items = fidelity.ITEMS\nitems.clear()", "patches-module", 2),
    ("patch-imported-list", "answer_ratings", "from sim.practice.fidelity import ITEMS\nITEMS.clear()",
     "patches-module", 2),
    ("patch-numpy", "answer_ratings", "import numpy as np\nnp.isclose = lambda *a, **k: True",
     "patches-module", 2),
    ("patch-code", "answer_ratings", "fidelity.score.__code__ = (lambda r: None).__code__",
     "patches-module", 1),
    ("mock-any", "answer_total", "from unittest import mock\ntotal = mock.ANY", "patches-module", 1),
    ("sys-modules", "answer_ratings", "import sys\nsys.modules['sim.practice.fidelity'] = None",
     "import-machinery", 2),
    ("importlib", "answer_ratings", "import importlib\nimportlib.reload(fidelity)", "import-machinery", 1),
    ("ctypes", "answer_ratings", "import ctypes", "import-machinery", 1),
    ("gc", "answer_ratings", "import gc\nrefs = gc.get_referrers(fidelity)", "import-machinery", 1),
    ("frames", "answer_ratings", "import inspect\nfound = inspect.currentframe().f_back.f_globals",
     "import-machinery", 2),
    ("function-globals", "answer_ratings", "found = fidelity.score.__globals__", "import-machinery", 1),
    ("dunder-import", "answer_ratings", "module = __import__('sys')", "import-machinery", 1),
    ("input-transformer", "answer_ratings",
     "get_ipython().input_transformers_post.append(lambda lines: lines)", "ipython-hooks", 1),
    ("display-formatter", "answer_ratings",
     "get_ipython().display_formatter.formatters['text/plain'].for_type(float, lambda *a: None)",
     "ipython-hooks", 1),
    ("precision-magic", "answer_ratings", "%precision 4.0%.0s", "ipython-hooks", 1),
    ("config-magic", "answer_ratings", "%config InteractiveShell.ast_node_interactivity = 'none'",
     "ipython-hooks", 1),
    ("displayhook", "answer_ratings", "import sys\nsys.displayhook = print", "ipython-hooks", 2),
    ("events", "answer_ratings", "from IPython import get_ipython\nget_ipython().events.register('x', print)",
     "ipython-hooks", 2),
    ("always-equal", "answer_total", "class Always:\n    def __eq__(self, other):\n        return True",
     "always-equal-class", 2),
    ("fake-float", "answer_total", "class F(float):\n    def __float__(self):\n        return 79.0",
     "always-equal-class", 2),
    ("fake-class", "answer_total", "class G:\n    __class__ = int", "always-equal-class", 2),
    ("dynamic-class", "answer_total", "Eq = type('Eq', (), {'__eq__': lambda s, o: True})",
     "always-equal-class", 1),
    ("patched-eq", "answer_total", "class H:\n    pass\nH.__eq__ = lambda s, o: True",
     "always-equal-class", 3),
    ("reads-hidden", "answer_total", "guess = _REF_TOTAL", "reads-test-value", 1),
    ("globals", "answer_total", "names = globals()", "namespace-access", 1),
    ("history", "answer_total", "code = In[4]", "namespace-access", 1),
    ("exec", "answer_ratings", "exec('round = lambda *a: 4.0')", "exec-eval", 1),
    ("pickle", "answer_ratings", "import pickle\nx = pickle.loads(b'')", "exec-eval", 2),
    ("open", "answer_ratings", "answers = open('answers.txt').read()", "file-access", 1),
    ("pathlib", "answer_ratings", "from pathlib import Path\nanswers = Path('answers.txt').read_text()",
     "file-access", 2),
    ("os-listdir", "answer_ratings", "import os\nfiles = os.listdir('..')", "file-access", 2),
    ("writefile-magic", "answer_ratings", "%%writefile helper.py\nx = 1", "file-access", 1),
    ("run-magic", "answer_ratings", "%run helper.py", "file-access", 1),
    ("socket", "answer_ratings", "import socket\ns = socket.create_connection(('127.0.0.1', 8888))",
     "socket-access", 2),
    ("urllib", "answer_ratings", "from urllib.request import urlopen", "socket-access", 1),
    ("subprocess", "answer_ratings", "import subprocess\nsubprocess.run(['ls'])", "process-access", 2),
    ("shell-escape", "answer_ratings", "!cat ../../../source/fidelity_review/fidelity_review.ipynb",
     "process-access", 1),
    ("os-system", "answer_ratings", "import os\nos.system('ls')", "process-access", 2),
    ("thread", "answer_ratings", "import threading\nthreading.Thread(target=print).start()",
     "process-access", 2),
    ("bash-magic", "answer_ratings", "%%bash\nls", "process-access", 1),
    ("inside-time-magic", "answer_ratings", "x = 1\n%time fidelity.score = print", "patches-module", 2),
    ("nested-too-deeply", "answer_ratings", "x = " + "+".join(["1"] * 100_000), "unscannable", 1),
]

# Honest code a learner may well write: never flagged.
HONEST = [
    ("answer_ratings", "from sim.practice import fidelity\nimport sim.practice.fidelity as fidelity"),
    ("answer_ratings", "%matplotlib inline\n%time check = fidelity.ITEM_IDS\nfidelity.score?"),
    ("answer_ratings", "import math\nimport numpy as np\nshare = math.floor(100 * 31 / 38) + np.mean([1])"),
    ("answer_ratings", "from types import SimpleNamespace\nci = SimpleNamespace(mean=1.0, low=0, high=2)"),
    ("answer_ratings", "class Note:\n    def __init__(self, text):\n        self.text = text\n\n"
                       "    def __repr__(self):\n        return self.text"),
    ("answer_ratings", "def helper(values):\n    round = 2\n    fidelity = sum(values)\n    return fidelity"),
    ("answer_total", "ratings = dict(ratings)\nratings['S1'] = 4\ntotal = sum(ratings.values())"),
    ("answer_ratings", "import warnings\nwarnings.filterwarnings('ignore')\nid = 5"),
    ("answer_ratings", "from IPython.display import Markdown, display\ndisplay(Markdown('**ok**'))"),
    ("answer_ratings", "import pandas as pd\npd.options.display.max_rows = 5\n"
                       "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)"),
    ("answer_ratings", "lookup = {k: v for k, v in JUDGEMENT_RATINGS.items()}\n"
                       "for item_id in EVIDENCE_ITEMS:\n    print(item_id, [r for r in lookup])"),
    ("answer_total", "try:\n    check = fidelity.validate_ratings(ratings)\n"
                     "except fidelity.FidelityError as error:\n    print(error)"),
]


# --------------------------------------------------------------------------- notebooks


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _solved(nb):
    """A copy of *nb* whose answer cells hold the solutions without their delimiters."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        cell.source = "\n".join(ln for ln in cell.source.split("\n") if "SOLUTION" not in ln)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary course with fidelity_review released: (root, source notebook, release notebook)."""
    root = _course(tmp_path_factory.mktemp("tamper"))
    released = _tool(root, "release", NAME)
    assert released.returncode == 0, released.stdout + released.stderr
    source = nbformat.read(root / "source" / NAME / f"{NAME}.ipynb", 4)
    return root, source, nbformat.read(root / "release" / NAME / f"{NAME}.ipynb", 4)


def _learner(course, cell: str | None = None, code: str = ""):
    """The release with every answer filled in from the solutions, *code* first in *cell*."""
    _root, source, release = course
    solutions = {_gid(c): c.source for c in _solved(source).cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for c in nb.cells:
        if c.cell_type == "code" and _gid(c) in solutions:
            c.source = (code + "\n" if _gid(c) == cell else "") + solutions[_gid(c)]
    return nb


# --------------------------------------------------------------------------- the scan


def test_every_kind_is_exercised_by_a_trick():
    assert {t[3] for t in TRICKS} == set(tamper.KINDS)


@pytest.mark.parametrize("cell, code, kind, line", [t[1:] for t in TRICKS], ids=[t[0] for t in TRICKS])
def test_each_trick_is_flagged_with_its_kind_on_its_line_and_nothing_else(course, cell, code, kind, line):
    flags = scan_notebook(_learner(course, cell, code), course[1])
    expected = code.split("\n")[line - 1].strip()[:tamper.MAX_TEXT]
    assert (cell, line, expected, kind) in [(f.cell, f.line, f.text, f.kind) for f in flags], flags
    assert all(f.cell == cell and f.line <= code.count("\n") + 1 for f in flags), flags  # no false alarms
    assert all(f.reason and f.kind in tamper.KINDS for f in flags)


@pytest.mark.parametrize("cell, code", HONEST, ids=[f"honest-{i}" for i in range(len(HONEST))])
def test_honest_code_is_not_flagged(course, cell, code):
    assert scan_notebook(_learner(course, cell, code), course[1]) == []


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_shipped_solutions_have_no_flags(name):
    source = nbformat.read(COURSE / "source" / name / f"{name}.ipynb", 4)
    assert [label for label, _ in tamper.editable_cells(source)], "no answer cells were scanned"
    assert scan_notebook(_solved(source), source) == []
    assert scan_notebook(_solved(source)) == []  # also against its own cells


def test_the_solved_release_has_no_flags_and_the_blank_release_neither(course):
    assert scan_notebook(_learner(course), course[1]) == []
    assert scan_notebook(course[2], course[1]) == []


def test_a_cell_the_learner_added_is_scanned_and_named_by_its_position(course):
    nb = _learner(course)
    at = next(i for i, c in enumerate(nb.cells) if _gid(c) == "answer_total")
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell("x = 1\nround = lambda x, n=0: 2.0"))
    fake = nbformat.v4.new_code_cell("sum = len")  # claims to be a locked test the source lacks
    fake.metadata["nbgrader"] = {"grade": True, "locked": True, "solution": False, "grade_id": "my_test",
                                 "points": 1, "schema_version": 3, "task": False}
    nb.cells.insert(at + 2, fake)
    found = [(f.cell, f.line, f.kind) for f in scan_notebook(nb, course[1])]
    assert found == [(f"new cell {at + 2}", 2, "rebinds-builtin"),
                     (f"new cell {at + 3}", 1, "rebinds-builtin")]


def test_test_cells_are_not_scanned_but_an_answer_cell_turned_markdown_is(course):
    nb = _learner(course)
    for cell in nb.cells:
        if _gid(cell) == "fidelity_total_correct":
            cell.source = "round = print"  # autograde restores the test from the source
        if _gid(cell) == "answer_priorities":
            cell.cell_type = "markdown"  # autograde turns it back into code and runs it
            cell.source = "fidelity = None\n" + cell.source
            del cell["outputs"], cell["execution_count"]
    found = [(f.cell, f.line, f.kind) for f in scan_notebook(nb, course[1])]
    assert found == [("answer_priorities", 1, "rebinds-test-name")]


def test_a_cell_that_does_not_parse_is_not_flagged(course):
    assert scan_notebook(_learner(course, "answer_ratings", "round = lambda: (\nfidelity ="), course[1]) == []
    assert scan_source("import builtins\nbuiltins.round = (", "x") == []


def test_odd_metadata_does_not_stop_the_scan(course):
    nb = _learner(course, "answer_ratings", "round = print")
    odd = nbformat.v4.new_code_cell("sum = len")
    odd.metadata["nbgrader"] = "not a mapping"
    nb.cells.append(odd)
    found = [(f.cell, f.line, f.kind) for f in scan_notebook(nb, course[1])]
    assert found == [("answer_ratings", 1, "rebinds-builtin"),
                     (f"new cell {len(nb.cells)}", 1, "rebinds-builtin")]


def test_magics_and_shell_escapes_are_read_without_ipython_too(monkeypatch):
    monkeypatch.setattr(tamper, "_python", tamper._python_without_ipython)
    flags = scan_source("x = 1\n!ls ..\nif x:\n    %precision 3\n%time round = print", "c")
    assert [(f.line, f.kind) for f in flags] == [(2, "process-access"), (4, "ipython-hooks"),
                                                 (5, "rebinds-builtin")]
    assert [f.kind for f in scan_source("%%bash\nls", "c")] == ["process-access"]


def test_scan_source_alone_knows_the_guarded_builtins_and_the_cells_own_imports():
    flags = scan_source("import builtins as b\nisinstance = None\nb.round = print\nsum = 0", "answer")
    assert [(f.cell, f.line, f.kind, f.text) for f in flags] == [
        ("answer", 2, "rebinds-builtin", "isinstance = None"),
        ("answer", 3, "rebinds-builtin", "b.round = print")]
    assert "round" in flags[1].reason and "tests" in flags[1].reason


def test_the_names_the_tests_use_come_from_the_source_with_its_hidden_tests(course):
    context = tamper.context_from(course[1])
    assert {"fidelity", "EVIDENCE_ITEMS", "JUDGEMENT_RATINGS"} <= context.protected
    # a reference value is a literal the test cell assigns just before it reads it: rebinding it
    # in an answer changes nothing, reading it is still a flag
    assert "_REF_TOTAL" not in context.protected and "_REF_TOTAL" in context.hidden
    assert context.answers == {"ratings", "total", "band_key", "next_review_months", "priorities"}
    assert "_REF_EVIDENCE_RATINGS" in context.hidden and "fidelity" not in context.hidden
    assert {"round", "sum", "type"} <= context.guarded_builtins
    released = tamper.context_from(course[2])  # the release lacks the hidden tests
    assert "_REF_TOTAL" not in released.hidden


# --------------------------------------------------------------------------- the trainer's record


def _submit(root: Path, student: str, nb) -> None:
    folder = root / "submitted" / student / NAME
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{NAME}.ipynb")


def test_the_record_keeps_a_trainers_clearing_until_the_submission_changes(course, tmp_path, capsys):
    tools, root = _tools(), _course(tmp_path)
    _submit(root, "s-honest", _learner(course))
    _submit(root, "s-trick", _learner(course, "answer_total", "fidelity.band = lambda total: 'good'"))
    tools.scan_submissions(root, NAME, ["s-honest", "s-trick"])
    record = json.loads((root / "exports" / "flags" / f"{NAME}.json").read_text())["students"]
    assert record["s-honest"]["flags"] == [] and record["s-trick"]["cleared"] is False
    assert [(f["notebook"], f["cell"], f["line"], f["kind"]) for f in record["s-trick"]["flags"]] == \
        [(f"{NAME}.ipynb", "answer_total", 1, "patches-module")]
    assert tools.provisional(root, NAME) == {"s-trick": 1}

    assert tools.main(["--course", str(root), "flags", NAME]) == 3  # waiting for the trainer
    out = capsys.readouterr().out
    assert "s-trick: 1 line(s), PROVISIONAL" in out and "fidelity.band = lambda total: 'good'" in out
    assert "answer_total, line 1 [patches-module]" in out and "s-honest" not in out
    assert tools.main(["--course", str(root), "flags", NAME, "--clear", "s-nobody"]) == 2
    assert tools.main(["--course", str(root), "flags", NAME, "--clear", "s-trick"]) == 0
    assert tools.provisional(root, NAME) == {}

    tools.scan_submissions(root, NAME, ["s-honest", "s-trick"])  # graded again, unchanged
    assert tools.load_flags(root, NAME)["s-trick"]["cleared"] is True
    assert tools.provisional(root, NAME) == {}

    _submit(root, "s-trick", _learner(course, "answer_total", "x = 1\nfidelity.band = print"))
    tools.scan_submissions(root, NAME, ["s-trick"])  # a new submission is flagged afresh
    again = tools.load_flags(root, NAME)
    assert again["s-trick"]["cleared"] is False and again["s-trick"]["cleared_at"] is None
    assert [f["line"] for f in again["s-trick"]["flags"]] == [2]
    assert (again["s-honest"]["sha256"], again["s-honest"]["flags"]) == \
        (record["s-honest"]["sha256"], [])  # not scanned this time, and not lost
    assert tools.provisional(root, NAME) == {"s-trick": 1}


def test_flags_without_a_scan_says_so(tmp_path, capsys):
    root = _course(tmp_path)
    assert _tools().main(["--course", str(root), "flags", NAME]) == 0
    assert "autograde scans every submission first" in capsys.readouterr().out


def test_the_readme_explains_flags_provisional_and_clearing():
    readme = (COURSE / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tamper flags", 1)[1].split("\n## ", 1)[0]
    for kind in tamper.KINDS:
        assert f"`{kind}`" in section, kind
    assert "tools.py flags" in section and "--clear" in section and "provisional" in section.lower()


# --------------------------------------------------------------------------- graded by the trainer


@pytest.mark.slow
def test_autograde_marks_a_flagged_learner_provisional_until_cleared(course, tmp_path):
    """Two learners graded in the sandbox: the honest one, and one whose `round` gives full marks."""
    assert sandbox.check() is None, f"the sandbox must run here: {sandbox.check()}"
    root = course[0]
    _submit(root, "s-honest", _learner(course))
    _submit(root, "s-round", _learner(course, "answer_priorities", "round = lambda x, n=None: float(n)"))
    graded = _tool(root, "autograde", NAME)
    out = graded.stdout
    assert graded.returncode == 0, out + graded.stderr  # flags do not change the exit code
    assert "[FLAGGED] s-round: 1 line(s), PROVISIONAL" in out, out
    assert "answer_priorities, line 1 [rebinds-builtin]: round = lambda x, n=None: float(n)" in out
    rows = {ln.split()[0]: ln for ln in out.splitlines() if ln.startswith(("s-honest ", "s-round "))}
    assert "PROVISIONAL (1 flagged lines)" in rows["s-round"] and "PROVISIONAL" not in rows["s-honest"]
    report = json.loads((root / "exports" / "logs" / f"autograde-{NAME}-latest.json").read_text())
    assert report["provisional"] == {"s-round": 1}

    def exported() -> dict[str, set[str]]:
        done = _tool(root, "export-cells", "--out", str(tmp_path / "cells.csv"))
        assert done.returncode == 0, done.stdout + done.stderr
        with open(tmp_path / "cells.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and "provisional" in rows[0]
        return {s: {r["provisional"] for r in rows if r["student_id"] == s} for s in ("s-honest", "s-round")}

    assert exported() == {"s-honest": {"False"}, "s-round": {"True"}}
    cleared = _tool(root, "flags", NAME, "--clear", "s-round")
    assert cleared.returncode == 0 and "Cleared s-round" in cleared.stdout, cleared.stdout
    assert exported() == {"s-honest": {"False"}, "s-round": {"False"}}
