"""Every course widget, walked as a tree without a browser: each input a learner can reach has an
accessible name and each picture it shows has alt text, in English and Finnish.

An input's name is its ipywidgets ``description``: ipywidgets 8 draws it as a ``<label for=…>``
tied to the input (checkboxes put it inside their ``<label>``), so a screen reader announces it. A
radio group is named option by option (each radio sits in a ``<label>`` with its text). Buttons
need their ``description`` (or a ``tooltip``), not only an icon. A picture is a
:class:`sim.widgets.base.Picture` with its ``alt`` words, shown in a caption beside it (a live
ipywidgets Image puts no alt on its ``<img>``; see :func:`sim.widgets.base.captioned`), or an
``<img alt="…">`` in an HTML output.
"""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import pytest

import sim.widgets as sw
from sim.learning.progress import ProgressStore
from sim.widgets.base import Picture, captioned

#: Widgets that show or hold output, not inputs a learner operates.
OUTPUTS = (widgets.HTML, widgets.HTMLMath, widgets.Label, widgets.Output, widgets.IntProgress,
           widgets.FloatProgress, widgets.Image, widgets.Box, widgets.Valid)


def _run(view):
    """Run the simulation in Finnish only (a run takes seconds; the English controls are still walked)."""
    if view.lang == "fi":
        view.run_button.click()
    return view


def _dashboard(lang):
    view = sw.capacity_dashboard(lang=lang, scenario="pohjois-savo-pilot", replications=2)
    view.coaches.value = (1, 3)
    return _run(view)


#: Widgets built with more than a language: in the state that shows their pictures (in Finnish).
SPECIAL = {
    "my_progress": lambda lang, store: sw.my_progress(lang=lang, store=store),
    "quiz": lambda lang, store: sw.quiz("m06", lang=lang, store=store),
    "fidelity_form": lambda lang, store: sw.fidelity_form(lang=lang, case="kuopio_team"),
    "pathway_explorer": lambda lang, store: _run(
        sw.pathway_explorer(lang=lang, scenario="pohjois-savo-pilot", replications=2)),
    "capacity_dashboard": lambda lang, store: _dashboard(lang),
}
#: Every course widget that ``sim.widgets`` exports, new modules' too (the planners' app has its
#: own browser test, tests/test_browser.py; ``pathway_figure`` returns a figure, not a widget).
COURSE_WIDGETS = {
    name: SPECIAL.get(name, lambda lang, store, name=name: getattr(sw, name)(lang=lang))
    for name in sw.__all__ if name[0].islower() and name not in {"planner_app", "pathway_figure"}
}
#: The widgets above that show a picture in that state (so the walk is seen to reach pictures).
DRAWING = {"pathway_comparison", "fidelity_form", "benefits_calculator", "impact_calculator"}
RUNNING = {"pathway_explorer", "capacity_dashboard"}  # draw after a run


def walk(widget, parent=None):
    """Every widget in the tree with the box that holds it."""
    yield widget, parent
    for child in getattr(widget, "children", ()):
        yield from walk(child, widget)


def caption_text(box) -> str:
    """The words of the HTML outputs next to a picture in its box."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", w.value)) for w in getattr(box, "children", ())
                    if isinstance(w, widgets.HTML))


def accessible_name(widget) -> str:
    """The name a screen reader gives the input ("" when it has none)."""
    if isinstance(widget, (widgets.RadioButtons, widgets.ToggleButtons)):
        labels = [str(label).strip() for label in widget.options_labels] if hasattr(
            widget, "options_labels") else [str(o[0] if isinstance(o, tuple) else o) for o in widget.options]
        return "; ".join(labels) if labels and all(labels) else ""
    return (str(getattr(widget, "description", "") or "").strip()
            or str(getattr(widget, "tooltip", "") or "").strip())


def problems(view) -> tuple[list[str], int, int]:
    """What lacks a name or alt text, with the number of inputs and pictures seen."""
    found, inputs, pictures = [], 0, 0
    for w, parent in walk(view):
        if isinstance(w, widgets.Image):
            if bytes(w.value):
                pictures += 1
                if not isinstance(w, Picture) or len(w.alt.strip()) < 20:
                    found.append(f"picture without alt text: {type(w).__name__} {w._dom_classes}")
                elif w.alt not in caption_text(parent):
                    found.append(f"picture without a caption of its alt text: {w._dom_classes}")
            continue
        if isinstance(w, widgets.HTML):
            for tag in re.findall(r"<img\b[^>]*>", w.value):
                pictures += 1
                if not re.search(r'\balt="[^"]{20,}"', tag):
                    found.append(f"<img> without alt text in an HTML output: {tag[:80]}")
            continue
        if isinstance(w, OUTPUTS) or not isinstance(w, widgets.DOMWidget):
            continue
        inputs += 1
        if not accessible_name(w):
            found.append(f"{type(w).__name__} without an accessible name {w._dom_classes}")
    return found, inputs, pictures


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return ProgressStore(tmp_path_factory.mktemp("progress"), user="a11y")


@pytest.mark.parametrize("lang", ["en", "fi"])
@pytest.mark.parametrize("name", COURSE_WIDGETS)
def test_every_input_has_an_accessible_name_and_every_picture_alt_text(name, lang, store):
    view = COURSE_WIDGETS[name](lang, store)
    found, inputs, pictures = problems(view)
    assert inputs, f"{name}: no inputs found; is the walk still reaching them?"
    if name in DRAWING or (lang == "fi" and name in RUNNING):
        assert pictures, f"{name}: no pictures found; is the walk still reaching them?"
    assert not found, f"{name} ({lang}):\n" + "\n".join(found)


def test_the_check_flags_an_unnamed_input_and_a_picture_without_alt_text():
    box = widgets.VBox([widgets.IntSlider(), widgets.Dropdown(options=["a"], description="Named"),
                        widgets.RadioButtons(options=["yes", ""]), widgets.Button(icon="check"),
                        widgets.Image(value=b"\x89PNG"), widgets.HTML('<img src="x.png">')])
    found, inputs, pictures = problems(box)
    assert inputs == 4 and pictures == 2
    assert [f.split(" ")[0] for f in found] == ["IntSlider", "RadioButtons", "Button", "picture", "<img>"]
    described = Picture(value=b"\x89PNG", alt="A line chart of the wait against the share of places in use")
    assert "caption" in problems(widgets.VBox([described]))[0][0]
    assert problems(captioned(described, "fi")) == ([], 0, 1)


def test_the_modules_0_to_9_widgets_are_all_walked():
    assert set(SPECIAL) | DRAWING | RUNNING | {
        "learning_path", "service_navigator", "assessment_explorer", "role_matcher", "caseplan_builder",
        "employer_planner"} <= set(COURSE_WIDGETS)
