"""Learners see no plotting or HTML-building code: a course notebook's code cell calls one function
from ``sim`` (``sim.widgets``, ``sim.plots``) instead. A cell tagged ``hide-input`` is exempt, for
the rare case a function cannot do it. Every notebook found is checked, new modules included."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

COURSE = Path(__file__).resolve().parents[1] / "course"
NOTEBOOKS = sorted(p for p in COURSE.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                   and "_build" not in p.parts)

#: What plotting or HTML building looks like in a cell, with the reason shown on failure.
FORBIDDEN = {
    r"\bplt\.|\bpyplot\b|import matplotlib|from matplotlib": "matplotlib calls",
    r"\.plot\(|\.bar[h]?\(|\.scatter\(|\.hist\(": "plotting calls",
    r"\b(ax|axes|fig)\.\w+\(|\bfig\s*=|\bax\s*=": "figure or axes manipulation",
    r"\bHTML\(|\bMarkdown\(|IPython\.display|display\(": "HTML or markup display",
    r"<\s*(div|table|tr|td|th|p|span|img|ul|li|h\d|b|br|style|script)\b": "HTML markup",
    r"\.to_html\(|\._repr_html_|\.style\.": "HTML rendering of tables",
}


def code_cells(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(i, cell.source) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and "hide-input" not in cell.metadata.get("tags", [])]


def test_the_course_notebooks_are_found():
    names = {p.relative_to(COURSE).as_posix() for p in NOTEBOOKS}
    assert {"en/08_pathways_and_capacity.ipynb", "fi/08_pathways_and_capacity.ipynb",
            "app/planner.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(COURSE).as_posix())
def test_no_code_cell_builds_plots_or_html(path):
    found = [f"cell {i}: {reason}: {match.group(0)!r}"
             for i, source in code_cells(path)
             for pattern, reason in FORBIDDEN.items()
             for match in [re.search(pattern, source)] if match]
    assert not found, "move this into one function in sim/widgets or sim/plots:\n" + "\n".join(found)


def test_the_check_catches_the_kinds_of_cell_it_is_meant_to(tmp_path):
    """The patterns fire on the cells module 8 used to show, and not on a plain widget call."""
    bad = ['fig = plots.utilisation_figure(servers=5)\nHTML(base.figure_html(fig))',
           'import matplotlib.pyplot as plt\nplt.plot([1, 2])',
           'ax.set_title("x")',
           'rows.append(f"<tr><td>{name}</td></tr>")',
           'from IPython.display import display\ndisplay(df.style.format("{:.1f}"))']
    good = 'preset_table(["keski-suomi"], replications=3, lang="fi")\nquiz("m08", lang="fi")'
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in [*bad, good]])
    nb.cells.append(nbformat.v4.new_code_cell('HTML("<b>hidden</b>")', metadata={"tags": ["hide-input"]}))
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    flagged = {i for i, source in code_cells(path) for pattern in FORBIDDEN if re.search(pattern, source)}
    assert flagged == set(range(len(bad)))
