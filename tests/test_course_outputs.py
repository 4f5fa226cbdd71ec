"""The few notebook outputs that matter, checked against values computed here with ``sim``.

The course notebooks are committed without outputs, so nbval can only show that they run;
this test executes four modules and reads what a learner would see.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import sim
from sim.practice import benefits, fidelity
from sim.widgets.fidelity import FIDELITY_CASES

pytestmark = pytest.mark.slow  # executes four notebooks (~20 s)

COURSE = Path(__file__).resolve().parents[1] / "course"


def shown_text(lang: str, stem: str) -> list[str]:
    """Each code cell's HTML output as plain text, as a learner reads it."""
    nb = nbformat.read(COURSE / lang / f"{stem}.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    texts = []
    for cell in nb.cells:
        html = " ".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", []))
        html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
        texts.append(" ".join(re.sub(r"<[^>]+>", " ", html).split()))
    return texts


def test_fidelity_module_shows_the_case_total_and_band():
    result = fidelity.score(fidelity.ratings_from_evidence(FIDELITY_CASES["kuopio_team"]))
    page = " ".join(shown_text("en", "05_fidelity_review"))
    assert f"Total {result.total} / 125" in page
    assert f"Band: {result.band_label('en')}" in page


def test_case_planning_module_applies_the_april_2024_earnings_rule():
    page = " ".join(shown_text("en", "06_case_planning"))
    expected = benefits.unemployment_benefit_after_earnings(750, 600, date(2024, 9, 2))
    assert f"Benefit after earnings: €{expected:,.2f} a month" in page


def test_capacity_module_table_matches_the_presets_it_names():
    page = " ".join(shown_text("en", "08_pathways_and_capacity"))
    for name in ("pohjois-savo-pilot", "varsinais-suomi", "keski-suomi"):
        coaches = sim.preset(name).ips.coaches
        assert re.search(rf"{name} {coaches:g} \d", page), name


def test_impact_module_reports_counts_with_intervals():
    page = " ".join(shown_text("fi", "09_evaluating_impact"))
    assert re.search(r"\d+ / \d+|\d+ of \d+|\d+/\d+", page)
    assert "%" in page and ("31" in page and "50" in page)
