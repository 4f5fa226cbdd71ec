"""The planners' widgets driven headless: set ``.value``, click, read what a planner would see."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import ipywidgets as widgets
import pytest

import sim
from sim import planner
from sim import template as template_module
from sim.learning.text import number, t
from sim.report import warning_texts
from sim.results import KEY_KPIS
from sim.widgets import app as app_module
from sim.widgets import capacity as capacity_module
from sim.widgets.app import PlannerApp, planner_app
from sim.widgets.base import RunView, View
from sim.widgets.capacity import capacity_dashboard, pathway_explorer

PILOT = "pohjois-savo-pilot"
REPO = Path(__file__).resolve().parents[1]
BROKEN = "name: broken\nips:\n  coaches: -3\n"


def upload(name: str, data: bytes) -> tuple[dict, ...]:
    """What an ipywidgets 8 FileUpload holds after the browser sends one file."""
    return ({"name": name, "type": "application/x-yaml", "size": len(data),
             "content": memoryview(data), "last_modified": datetime.now(timezone.utc)},)


def cell(page: str, key: str, col: str = "mean") -> str:
    """The text of one table cell, found by its row key and column."""
    m = re.search(rf'<tr data-key="{re.escape(key)}">.*?<td data-col="{col}">([^<]*)</td>', page)
    assert m, f"no cell {key}/{col} in the table"
    return m.group(1)


def links(page: str) -> dict[str, tuple[str, str, bytes]]:
    """Download links in the page: id -> (file name, MIME type, decoded bytes)."""
    out = {}
    for m in re.finditer(r'<a class="tyo-download" id="([^"]+)" download="([^"]+)" '
                         r'href="data:([^;]+);base64,([^"]+)"', page):
        out[m.group(1)] = (m.group(2), m.group(3), base64.b64decode(m.group(4)))
    return out


def visible(w: widgets.Widget) -> bool:
    return w.layout.display != "none"


def pictured(image: widgets.Image, alt_start: str) -> bool:
    """A PNG is shown, with alt text (its title) that starts as the strings file says."""
    return (visible(image) and bytes(image.value).startswith(b"\x89PNG")
            and image.alt.startswith(alt_start))


@pytest.fixture
def app() -> PlannerApp:
    return planner_app(scenario=PILOT, replications=4)


# --- pathway explorer ----------------------------------------------------------------------

def test_explorer_starts_from_the_preset_and_resets_on_a_new_one():
    e = pathway_explorer(scenario=PILOT)
    assert (e.coaches.value, e.caseload.value, e.fidelity.value) == (2, 20, 80)
    e.preset.value = "varsinais-suomi"
    assert (e.coaches.value, e.fidelity.value) == (7, 95)
    assert e.ips_share.value == pytest.approx(0.28, abs=0.01)
    assert "national" not in e.preset.options  # ~20 s a replication: too slow for a click
    assert not visible(e.plot)  # no broken image before the first run


def test_explorer_shows_the_jam_when_coaches_are_too_few():
    e = pathway_explorer(scenario=PILOT, replications=3)
    e.coaches.value = 1
    e.run_button.click()
    jammed = float(cell(e.table.value, "ips_wait_days.mean"))
    assert "3 replications" in e.status.value
    assert pictured(e.plot, f"Line chart for {PILOT} over the days of the run")
    assert pictured(e.waits_plot, t("plot.alt.waits", "en", name=PILOT, n=3)) and e.reps.n == 3
    e.coaches.value = 4
    e.run_button.click()
    assert float(cell(e.table.value, "ips_wait_days.mean")) < jammed / 10
    assert e.reps.scenario.ips.coaches == 4


def test_explorer_sliders_reach_the_scenario():
    e = pathway_explorer(scenario=PILOT)
    e.caseload.value, e.fidelity.value, e.ips_share.value = 12, 110, 0.5
    b = e.edited()
    assert (b.ips.caseload_per_coach, b.ips.fidelity_score) == (12, 110)
    assert planner.ips_share(b) == pytest.approx(0.5, abs=1e-4)


def test_explorer_speaks_finnish():
    e = pathway_explorer("fi", scenario=PILOT, replications=2)
    assert e.run_button.description == "Aja"
    e.run_button.click()
    assert "Odotus työhönvalmennukseen" in e.table.value and "toistoa" in e.status.value
    assert pictured(e.waits_plot, t("plot.alt.waits", "fi", name=PILOT, n=2))


def test_explorer_is_displayed_through_its_widget():
    e = pathway_explorer(scenario=PILOT)
    assert isinstance(e.widget, widgets.VBox) and "tyo-pathway-explorer" in e.widget._dom_classes
    bundle = e._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == e.widget.model_id
    with pytest.raises(ValueError):
        pathway_explorer("sv")


def test_planner_views_share_the_one_view_base_and_its_static_snapshot():
    e = pathway_explorer(scenario=PILOT, replications=2)
    for view in (e, capacity_dashboard(scenario=PILOT), planner_app(scenario=PILOT)):
        assert isinstance(view, RunView) and isinstance(view, View) and view.widget is view
    assert "Pathway explorer" in e.snapshot_html() and "<img" not in e.snapshot_html()
    e.run_button.click()
    snapshot = e._repr_mimebundle_()["text/html"]
    alt = html.escape(e.waits_plot.alt, quote=True)
    assert f'<img alt="{alt}"' in snapshot and 'data-key="ips_wait_days.mean"' in snapshot
    assert "<input" not in snapshot  # controls need a kernel: only text and pictures


def test_a_failing_run_in_a_course_view_is_shown_in_its_status_line(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(capacity_module, "replicate", fail)
    e = pathway_explorer(scenario=PILOT, replications=2)
    e.run_button.click()
    assert e.status.value == "RuntimeError: the disk is full" and not e.run_button.disabled


# --- capacity dashboard -----------------------------------------------------------------------

def test_dashboard_finds_the_fewest_coaches_meeting_the_target():
    d = capacity_dashboard(scenario=PILOT, replications=3)
    assert d.coaches.value == (1, 6) and d.target.value == 30  # pilot: 2 coaches today
    d.run_button.click()
    best = d.result.best()["ips.coaches"]
    assert d.answer_data["best"] == best
    assert f"with 95 % confidence): {best:g}." in d.answer.value
    assert f'<tr data-key="{best}">' in d.table.value
    assert pictured(d.plot, "Chart of Wait for IPS coaching, 90th percentile for each value of Job coaches")
    assert d.progress.value == d.progress.max > 0


def test_dashboard_coordinators_slider_reaches_the_scenario_and_target_the_search():
    d = capacity_dashboard(scenario=PILOT, replications=2)
    d.coordinators.value, d.coaches.value, d.target.value = 3, (2, 3), 60
    d.run_button.click()
    assert all(r.scenario.assessment.coordinators == 3 for r in d.result.results)
    assert str(d.result.target) == "ips_wait_days.p90<=60"


# --- planners' app ---------------------------------------------------------------------------

def test_app_starts_with_the_preset_as_a_and_b(app):
    assert app.scenario_a == sim.preset(PILOT) and app.scenario_b == app.scenario_a
    assert "pohjois-savo-pilot: 150 referrals a year" in app.scenario_info.value
    assert app.coaches.value == 2 and app.referrals.value == 150
    assert not visible(app.error) and "Run the simulation" in app.downloads.value
    presets = dict((value, label) for label, value in app.preset.options)  # (name, id) pairs
    assert "national" in presets  # planners may run the big one, with an estimate
    assert presets[PILOT] == "Pohjois-Savo pilot (North Savo)" and app.preset.value == PILOT
    assert isinstance(app.widget, widgets.VBox) and "tyo-app" in app.widget._dom_classes


def test_run_fills_the_table_progress_plots_and_downloads(app):
    app.run_button.click()
    assert app.progress.value == app.progress.max == 4
    assert "4 replications" in app.status.value
    assert app.table.value.count("<tr data-key=") == len(KEY_KPIS)
    for image, key in ((app.waits_plot, "plot.alt.waits"), (app.series_plot, "plot.alt.series"),
                       (app.outcomes_plot, "plot.alt.outcomes")):
        assert pictured(image, t(key, "en", name=PILOT, n=4, series="").split(":")[0])
    files = links(app.downloads.value)
    assert set(files) == {"tyo-dl-summary-csv", "tyo-dl-summary-xlsx", "tyo-dl-run-json"}


def test_editing_coaches_changes_the_kpi_table(app):
    app.run_button.click()
    before = cell(app.table.value, "ips_wait_days.mean")
    app.coaches.value = 1
    assert app.scenario_b.ips.coaches == 1 and app.scenario_a.ips.coaches == 2
    app.run_button.click()
    after = cell(app.table.value, "ips_wait_days.mean")
    assert float(after) > float(before) + 50
    app.reset_button.click()
    assert app.coaches.value == 2 and app.scenario_b == app.scenario_a


def test_every_key_number_reaches_scenario_b(app):
    app.referrals.value, app.coordinators.value = 300, 2.5
    app.caseload.value, app.fidelity.value, app.ips_share.value = 15, 100, 0.4
    b = app.scenario_b
    assert b.arrivals.per_year == pytest.approx(300)
    assert (b.assessment.coordinators, b.ips.caseload_per_coach, b.ips.fidelity_score) == \
        (2.5, 15, 100)
    assert planner.ips_share(b) == pytest.approx(0.4, abs=1e-4)


def test_csv_download_decodes_to_the_summary_of_the_run(app):
    app.run_button.click()
    name, mime, data = links(app.downloads.value)["tyo-dl-summary-csv"]
    assert (name, mime) == ("summary.csv", "text/csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    expected = sim.report.summary_table(app.reps)
    assert [r["metric"] for r in rows] == [r["metric"] for r in expected]
    got = {r["metric"]: r for r in rows}
    assert float(got["ips_wait_days.mean"]["mean"]) == pytest.approx(
        app.reps.ci("ips_wait_days.mean").mean)
    assert got["ips_wait_days.mean"]["replications"] == "4"
    shown = cell(app.table.value, "ips_wait_days.mean")
    assert shown == number(float(got["ips_wait_days.mean"]["mean"]), "en", 1)


def test_xlsx_and_run_record_downloads(app):
    from openpyxl import load_workbook
    app.run_button.click()
    files = links(app.downloads.value)
    wb = load_workbook(io.BytesIO(files["tyo-dl-summary-xlsx"][2]))
    assert wb.sheetnames == ["summary", "replications", "parameters"]
    record = json.loads(files["tyo-dl-run-json"][2])
    assert (record["seed"], record["replications"]) == (1, 4)
    assert record["scenario"]["ips"]["coaches"] == 2


def test_compare_a_with_edited_b_side_by_side(app):
    app.coaches.value = 4
    app.compare_button.click()
    rows = {r["metric"]: r for r in app.comparison_rows}
    assert rows["ips_wait_days.mean"]["difference"] <= 0
    assert app.comparison.alternatives["B"].scenario.ips.coaches == 4
    assert app.comparison.base.scenario == app.scenario_a
    assert app.compare_table.value.count("<tr data-key=") == len(planner.COMPARE_KPIS)
    assert "A: as loaded" in app.compare_table.value
    assert pictured(app.compare_plot, "Chart of the paired difference from the base scenario")
    assert "tyo-dl-comparison-csv" in links(app.downloads.value)
    assert app.progress.value == app.progress.max == 8


def test_staffing_sweep_answers_with_the_fewest_coaches(app):
    app.sweep_coaches.value, app.sweep_target.value = (1, 4), 30
    app.sweep_button.click()
    best = app.sweep_result.best()["ips.coaches"]
    assert app.answer["best"] == best and f"confidence): {best:g}." in app.sweep_answer.value
    assert pictured(app.sweep_plot, "Chart of") and '<tr data-key="' in app.sweep_table.value
    name, _, data = links(app.downloads.value)["tyo-dl-sweep-csv"]
    assert name == "sweep.csv" and data.decode().startswith("ips.coaches,metric,")


def test_broken_upload_shows_the_loaders_message_and_keeps_the_scenario(app):
    app.run_button.click()
    table = app.table.value
    with pytest.raises(sim.ScenarioError) as expected:
        sim.scenario_from_text(BROKEN, origin="broken.yaml")
    app.upload.value = upload("broken.yaml", BROKEN.encode())
    assert visible(app.error)
    assert f"<pre>{html.escape(str(expected.value), quote=True)}</pre>" in app.error.value
    assert "still in use" in app.error.value
    assert app.scenario_a == sim.preset(PILOT) and app.table.value == table
    assert app.upload.value == ()  # cleared, so the fixed file can be uploaded again


def test_binary_upload_gets_a_plain_message(app):
    app.upload.value = upload("picture.yaml", b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert visible(app.error) and "not a UTF-8 text file" in app.error.value


@pytest.mark.parametrize("name, data, words", [
    ("bomb.yaml", ("lol:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"  - &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]\n" for k in range(1, 9))).encode(),
     "more than 10,000 values"),
    ("deep.yaml", b"name: " + b"[" * 50_000 + b"]" * 50_000, "nested more than 8 levels"),
    ("huge.yaml", b"# " * 1_000_000, "too large"),
    ("digits.yaml", f"base: {PILOT}\nips: {{coaches: {'9' * 400}}}\n".encode(), "400-digit number"),
])
def test_a_hostile_upload_is_refused_by_the_loader_and_keeps_the_scenario(app, name, data, words):
    app.run_button.click()
    table = app.table.value
    app.upload.value = upload(name, data)
    assert visible(app.error) and name in app.error.value and words in app.error.value
    assert "still in use" in app.error.value
    assert app.scenario_a == sim.preset(PILOT) and app.table.value == table
    assert app.upload.value == ()


def test_valid_upload_becomes_scenario_a_and_clears_the_error(app):
    app.upload.value = upload("broken.yaml", BROKEN.encode())
    app.run_button.click()
    text = "base: varsinais-suomi\nname: my-county\nips:\n  coaches: 11\n"
    app.upload.value = upload("my-county.yaml", text.encode())
    assert not visible(app.error) and app.error.value == ""
    assert app.scenario_a.name == "my-county" and app.coaches.value == 11
    assert app.preset.value is None  # any preset can be picked again
    assert app.table.value == "" and app.reps is None  # results of the old scenario are gone
    app.preset.value = PILOT
    assert app.scenario_a == sim.preset(PILOT)


def test_a_failing_action_shows_the_error_box_not_a_traceback(app, monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("replications: 0 must be a whole number ≥ 1.")
    monkeypatch.setattr(app_module, "replicate", fail)
    app.run_button.click()
    assert visible(app.error) and "replications: 0 must be" in app.error.value
    assert not app.run_button.disabled


def test_language_switch_redraws_labels_tables_and_answers(app):
    app.run_button.click()
    app.upload.value = upload("broken.yaml", BROKEN.encode())
    app.lang_toggle.value = "fi"
    assert app.lang == "fi" and app.run_button.description == "Aja"
    assert app.coaches.description == "Työhönvalmentajat (htv)"
    assert "Odotus työhönvalmennukseen" in app.table.value and "Keskiarvo" in app.table.value
    assert "Skenaariota ei voitu käyttää" in app.error.value
    assert "Tunnuslukujen yhteenveto" in app.downloads.value
    assert "ohjausta vuodessa" in app.scenario_info.value
    assert "4 toistoa" in app.status.value
    assert app.waits_plot.alt.startswith("Pylväskaavio") and app.lang_toggle.label == "Suomi"
    app.set_language("en")  # the same from code: the toggle follows
    assert app.lang_toggle.value == "en" and app.run_button.description == "Run"
    assert "Wait for IPS coaching" in app.table.value
    with pytest.raises(ValueError, match="sv"):
        app.set_language("sv")
    assert app.lang == "en"


def test_finnish_app_from_the_start():
    a = planner_app("fi", scenario=PILOT)
    assert a.lang_toggle.value == "fi" and a.compare_button.description == "Vertaa A:ta ja B:tä"


def test_stable_css_classes_for_browser_tests(app):
    classes = {c for w in (app.preset, app.upload, app.error, app.coaches, app.run_button,
                           app.progress, app.status, app.table, app.compare_button,
                           app.sweep_button, app.sweep_answer, app.downloads, app.lang_toggle)
               for c in w._dom_classes}
    assert {"tyo-preset", "tyo-upload", "tyo-error", "tyo-coaches", "tyo-run", "tyo-progress",
            "tyo-status", "tyo-kpi", "tyo-compare", "tyo-sweep", "tyo-answer", "tyo-downloads",
            "tyo-lang"} <= classes


# --- the app notebook ------------------------------------------------------------------------

NOTEBOOK = REPO / "course" / "app" / "planner.ipynb"


def test_app_notebook_is_thin_stripped_and_uses_python3():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) == 1 and "planner_app(" in "".join(code[0]["source"])
    for c in code:
        assert c["outputs"] == [] and c["execution_count"] is None
    assert "widgets" not in nb["metadata"]


def test_app_notebook_runs_and_displays_the_app():
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = nb.cells[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not any(o.get("output_type") == "error" for o in outputs)


def test_untouched_sliders_leave_the_preset_exactly_as_it_is():
    e = pathway_explorer(scenario="varsinais-suomi")
    assert e.ips_share.value == pytest.approx(0.28)  # the slider shows 0.285 rounded
    assert e.edited() == sim.preset("varsinais-suomi")
    a = planner_app(scenario="varsinais-suomi")
    assert a.scenario_b == a.scenario_a


# --- a county's own numbers: template, grouped inputs, saving, accessibility -----------------

def _field_lines(text: str) -> list[tuple[str, str]]:
    """(comment above, line) for every 'key: value' or 'key:' line of a commented template."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and re.match(r"^\s*[A-Za-z_][\w-]*:", line):
            out.append((lines[i - 1].strip(), line))
    return out


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_the_commented_template_explains_every_field_and_loads_as_its_preset(tmp_path, lang):
    from sim.template import scenario_template, write_template
    path = write_template(tmp_path / "county.yaml", "varsinais-suomi", lang)
    assert sim.load_scenario(path) == sim.preset("varsinais-suomi")
    text = path.read_text(encoding="utf-8")
    fields = _field_lines(text)
    in_citations = False
    for comment, line in fields:
        in_citations = in_citations or line.startswith("sources:")
        if in_citations and line.startswith("  "):
            continue  # the citation map's own lines are its entries
        assert comment.startswith("# "), f"no comment above {line!r}"
    unit, allowed, source = (("unit", "allowed", "source") if lang == "en"
                             else ("yksikkö", "sallittu", "lähde"))
    coaches = dict((line.strip(), c) for c, line in fields)["coaches: 7"]
    assert f"{unit}: " in coaches and f"{allowed}: " in coaches
    assert f"{source}: S4 (seven job coaches funded by the project)" in coaches
    sote = dict((line.strip(), c) for c, line in fields)["sote_centre: 260"]
    assert "10" in sote and f"{source}: scenario assumption (no referral counts in S4)" in sote
    with pytest.raises(FileExistsError):
        write_template(path, lang=lang)
    for name in sim.list_presets():  # every preset's template loads back as the preset
        assert sim.scenario_from_text(scenario_template(name, lang)) == sim.preset(name)


def test_worksim_template_prints_or_writes_and_never_overwrites(tmp_path, capsys):
    from sim.cli import main
    assert main(["template", "--lang", "fi"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Skenaariopohja") and "coaches: 7" in printed
    out = tmp_path / "t.yaml"
    assert main(["template", "--out", str(out)]) == 0
    assert sim.load_scenario(out) == sim.preset("varsinais-suomi")
    assert main(["template", "--out", str(out), "--lang", "fi"]) == 2
    assert "exists" in capsys.readouterr().err and "Scenario template" in out.read_text()
    assert main(["template", "--out", str(out), "--lang", "fi", "--overwrite"]) == 0
    assert "Skenaariopohja" in out.read_text()


def test_grouped_inputs_reach_the_scenario_that_run_uses(app):
    assert set(app.groups) == {"referrals", "staff", "routing", "durations", "fit"}
    assert list(app.sources) == ["social_services", "employment_experiment", "psychiatric_care"]
    app.sources["psychiatric_care"].value = 55
    assert app.referrals.value == pytest.approx(195)  # the total follows the sources
    app.durations["ips.days_to_job"].value = 60
    app.durations["stepwise.duration"].value = 205  # uniform 90–730: the spread is kept
    app.run_button.click()
    used = app.reps.scenario
    assert {s.name: s.per_year for s in used.arrivals.sources}["psychiatric_care"] == 55
    assert used.ips.days_to_job.mean == 60
    assert (used.stepwise.duration.low, used.stepwise.duration.high) == (45, 365)
    assert used.ips.coaches == app.scenario_a.ips.coaches  # the rest is A's
    app.referrals.value = 390  # the total scales every source in proportion
    assert app.source_values()["psychiatric_care"] == pytest.approx(110)
    assert app.scenario_b.arrivals.per_year == pytest.approx(390)
    app.reset_button.click()
    assert app.scenario_b == app.scenario_a and app.referrals.value == 150


def test_yaml_download_decodes_loads_back_equal_and_uploads_with_the_same_values(app):
    app.sources["social_services"].value = 95
    app.coaches.value, app.caseload.value = 3, 15
    app.durations["assessment.duration"].value = 30
    files = links(app.scenario_downloads.value)
    name, mime, data = files["tyo-dl-scenario-yaml"]
    assert (name, mime) == (f"{PILOT}.yaml", "application/x-yaml")
    loaded = sim.scenario_from_text(data.decode("utf-8"), origin=name)
    assert loaded == app.saved_scenario and loaded.to_dict() | {"sources": {}} == \
        app.scenario_b.to_dict() | {"sources": {}}  # B's values; edits cited as the county's
    assert loaded.source_of("ips.coaches").startswith("the county's own number")
    assert loaded.source_of("ips.fidelity_score") == app.scenario_a.source_of("ips.fidelity_score")
    template_name, _, template_data = files["tyo-dl-template-yaml"]
    assert template_name == "scenario-template.yaml"
    assert sim.scenario_from_text(template_data.decode("utf-8")) == app.scenario_a
    shown = (app.source_values(), app.duration_values(), app.coaches.value, app.caseload.value)
    app.upload.value = upload(name, data)  # the same file back through the app's upload
    assert not visible(app.error) and app.scenario_a == loaded
    assert (app.source_values(), app.duration_values(), app.coaches.value,
            app.caseload.value) == shown
    assert app.scenario_b == app.scenario_a


def test_a_number_that_cannot_be_saved_says_why_instead_of_a_link(app):
    app.durations["ips.job_tenure"].value = 0.5  # a job must last a day on average
    assert "tyo-dl-scenario-yaml" not in app.scenario_downloads.value
    assert "cannot be saved yet" in app.scenario_downloads.value
    assert "ips.job_tenure" in app.scenario_downloads.value
    app.durations["ips.job_tenure"].value = 200
    assert "tyo-dl-scenario-yaml" in links(app.scenario_downloads.value)


def test_routing_per_profile_is_edited_in_its_group_and_round_trips_through_the_yaml(app):
    a = app.scenario_a
    assert app.routing_box in app.groups["routing"].children
    assert set(app.routes) == {(r.profile, p) for r in a.routing for p in sim.scenario.PATHWAYS}
    heads = [g.children[0].value for g in app.routing_box.children]
    assert "Young people outside work and education (10% of referrals)" in heads[3]
    assert app.routes[("young_neet", "ips")].description == "IPS coaching (%)"
    assert app.routes[("young_neet", "ips")].value == pytest.approx(20)  # shown in per cent
    app.routes[("young_neet", "ips")].value = 30
    app.routes[("young_neet", "other")].value = 10  # the row adds up to 100 % again
    b = app.scenario_b
    assert b.route_for("young_neet").share("ips") == 0.3
    assert b.route_for("young_neet").share("other") == 0.1
    assert b.route_for("mental_health") == a.route_for("mental_health")  # the rest is A's
    assert app.ips_share.value == pytest.approx(round(planner.ips_share(b), 2))  # slider follows
    name, _, data = links(app.scenario_downloads.value)["tyo-dl-scenario-yaml"]
    loaded = sim.scenario_from_text(data.decode("utf-8"), origin=name)
    assert loaded == app.saved_scenario and loaded.routing == b.routing
    assert loaded.source_of("routing").startswith("the county's own number")
    shown = {k: box.value for k, box in app.routes.items()}
    app.upload.value = upload(name, data)  # back through the upload: the same shares shown
    assert not visible(app.error) and app.scenario_a == loaded
    assert {k: box.value for k, box in app.routes.items()} == pytest.approx(shown)
    assert app.scenario_b == app.scenario_a
    again = links(app.scenario_downloads.value)["tyo-dl-scenario-yaml"][2]
    assert sim.scenario_from_text(again.decode("utf-8")) == loaded  # unchanged the second time


def test_routing_that_does_not_add_up_gets_the_loaders_message(app):
    app.routes[("young_neet", "ips")].value = 30  # 110 % in all
    with pytest.raises(sim.ScenarioError) as raised:
        app.scenario_a.with_changes({"routing": app.routing_values()})
    assert "routing.young_neet: the shares sum to 1.1" in str(raised.value)
    assert "cannot be saved yet" in app.scenario_downloads.value
    assert html.escape(str(raised.value)) in app.scenario_downloads.value
    total = app.routing_box.children[3].children[2].value
    assert "Sum: 110.0%" in total and "change them by 10.0% in all" in total and 'role="alert"' in total
    app.lang_toggle.value = "fi"
    assert "Summa: 110,0\u00a0%" in app.routing_box.children[3].children[2].value
    app.run_button.click()  # the run refuses B with the same message
    assert visible(app.error) and html.escape(str(raised.value)) in app.error.value
    app.routes[("young_neet", "other")].value = 10
    assert "tyo-dl-scenario-yaml" in links(app.scenario_downloads.value)


def test_the_ips_slider_moves_every_profiles_row(app):
    app.ips_share.value = 0.5
    b = app.scenario_b
    assert planner.ips_share(b) == pytest.approx(0.5, abs=1e-6)
    expected = planner.routing_with_ips_share(app.scenario_a, 0.5)
    for profile, row in expected.items():
        for pathway, share in row.items():
            assert app.routes[(profile, pathway)].value == pytest.approx(share * 100)
            assert b.route_for(profile).share(pathway) == pytest.approx(share, abs=1e-9)


def _controls(view: widgets.Widget) -> list[widgets.Widget]:
    found = []

    def walk(w: widgets.Widget) -> None:
        if isinstance(w, (widgets.ValueWidget, widgets.Button)) and not isinstance(
                w, (widgets.HTML, widgets.Image, widgets.IntProgress)):
            found.append(w)
        for child in getattr(w, "children", ()):
            walk(child)
    walk(view)
    return found


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_every_input_has_a_label_and_help_in_words(lang):
    a = planner_app(lang, scenario="varsinais-suomi")
    controls = _controls(a)
    assert len(controls) >= 25  # sources, staff, routing, durations, run, sweep, language …
    unnamed = [type(c).__name__ for c in controls if not c.description.strip()]
    assert not unnamed
    assert len({c.description for c in a.sources.values()}) == len(a.sources) == 6
    helps = re.findall(r'class="tyo-help-text" id="([^"]+)">([^<]+)<',
                       " ".join(w.value for w in _all_html(a)))
    # every edited number, the stage a durations file is of, and the brief's question
    assert len(helps) == 1 + len(a.sources) + 5 + len(a.durations) + 2
    assert len({i for i, _ in helps}) == len(helps)  # ids are unique on the page
    finnish = a.durations["assessment.duration"].description
    assert (finnish == "Alkuarvio, keskimäärin pv") == (lang == "fi")


def _all_html(view: widgets.Widget) -> list[widgets.HTML]:
    found = []

    def walk(w: widgets.Widget) -> None:
        if isinstance(w, widgets.HTML):
            found.append(w)
        for child in getattr(w, "children", ()):
            walk(child)
    walk(view)
    return found


def test_plot_captions_follow_the_live_alt_text_in_both_languages(app):
    assert all(caption.value == "" for _, caption in app.captions)  # no plot, no caption
    app.run_button.click()
    for picture, caption in app.captions[:3]:
        assert picture.alt and f'data-alt="{html.escape(picture.alt, quote=True)}"' in caption.value
    app.set_language("fi")
    picture, caption = app.captions[0]
    assert picture.alt.startswith("Pylväskaavio") and "Kuva: Pylväskaavio" in caption.value
    assert f'data-alt="{html.escape(picture.alt, quote=True)}"' in caption.value
    assert 'data-token="' in app.results_mark.value  # the page scrolls the results into view


def test_page_language_focus_ring_buttons_and_preset_names(app):
    assert "tyo-lang-en" in app._dom_classes
    app.lang_toggle.value = "fi"
    assert "tyo-lang-fi" in app._dom_classes and "tyo-lang-en" not in app._dom_classes
    script = app.script.outputs[0]["data"]["text/html"]
    assert "document.documentElement.lang" in script and "aria-label" in script
    assert "outline: 3px solid" in app.header.value and ":focus-visible" in app.header.value
    assert "a.tyo-download { display: inline-block" in app.header.value
    assert "<strong>Pohjois-Savon pilotti</strong>" in app.preset_about.value
    assert app.preset.label == "Pohjois-Savon pilotti" and app.preset.value == PILOT
    app.preset.value = "varsinais-suomi"
    assert "Varsinais-Suomi" in app.preset_about.value and "koordinaattoria" in app.preset_about.value


# --- the decision brief, fit from data, warnings ---------------------------------------------

EXAMPLES = REPO / "sim" / "data" / "examples"


def test_the_decision_brief_of_a_run_downloads_as_html_and_pdf(app):
    app.brief_button.click()
    assert "Run the simulation" in app.brief_links.value and not links(app.brief_links.value)
    app.run_button.click()
    app.brief_question.value = "Do two coaches keep waits short?"
    app.brief_button.click()
    files = links(app.brief_links.value)
    assert set(files) == {"tyo-dl-brief-html", "tyo-dl-brief-pdf"}
    name, mime, page = files["tyo-dl-brief-html"]
    assert (name, mime) == ("brief-en.html", "text/html")
    text = html.unescape(page.decode("utf-8"))
    from sim.brief import kpi_sentence
    ci = app.reps.ci("ips_wait_days.mean")
    assert kpi_sentence("ips_wait_days.mean", ci, app.reps.scenario, "en") in text
    assert "Do two coaches keep waits short?" in text
    name, mime, pdf = files["tyo-dl-brief-pdf"]
    assert (name, mime) == ("brief-en.pdf", "application/pdf") and pdf.startswith(b"%PDF")
    assert "run of pohjois-savo-pilot" in app.brief_links.value
    app.lang_toggle.value = "fi"  # a brief is in one language: made again in Finnish
    assert not links(app.brief_links.value) and "tee se uudelleen" in app.brief_links.value
    app.brief_button.click()
    name, _, page = links(app.brief_links.value)["tyo-dl-brief-html"]
    assert name == "brief-fi.html" and '<html lang="fi">' in page.decode("utf-8")


def test_the_brief_follows_the_latest_results_comparison_then_sweep(app):
    app.coaches.value = 3
    app.compare_button.click()
    app.brief_button.click()
    assert "A–B comparison of pohjois-savo-pilot" in app.brief_links.value
    assert "tyo-dl-brief-pdf" in links(app.brief_links.value)
    app.sweep_coaches.value = (2, 3)
    app.sweep_button.click()
    assert not links(app.brief_links.value)  # the comparison's brief is no longer the latest
    app.brief_button.click()
    assert "staffing search" in app.brief_links.value


def test_referrals_fitted_from_a_csv_go_into_b_by_source_with_the_seasonality(app):
    data = (EXAMPLES / "referrals-fictional.csv").read_bytes()
    app.fit_referrals.value = upload("referrals-fictional.csv", data)
    assert app.fit_referrals.value == () and not visible(app.fit_error)
    values = app.source_values()
    assert values["social_services"] == 165.8  # matched by name
    assert (values["sote_centre"], values["kela"]) == (250.7, 39.4)  # new sources, added
    assert (values["employment_experiment"], values["psychiatric_care"]) == (30, 10)  # kept
    assert app.referrals.value == pytest.approx(sum(values.values()))
    b = app.scenario_b
    assert {s.name: s.per_year for s in b.arrivals.sources}["sote_centre"] == 250.7
    assert b.arrivals.seasonality[6] == pytest.approx(0.568)  # July, as fitted
    assert app.scenario_a.arrivals.seasonality[6] != pytest.approx(0.568)
    assert b.source_of("arrivals.seasonality").startswith("fitted from referrals-fictional.csv")
    report = html.unescape(app.fit_report.value)
    assert "Social services 165.8" in report and "New sources added:" in report
    assert "month effects are used" in report and "913 referrals from 3 sources" in report
    assert pictured(app.fit_plot, "Line chart of referrals per month")
    saved = sim.scenario_from_text(app.scenario_files["pohjois-savo-pilot.yaml"].decode(), origin="x")
    assert saved.source_of("arrivals.sources").startswith("fitted from referrals-fictional.csv")
    app.lang_toggle.value = "fi"
    assert "Viety B:hen" in app.fit_report.value and "Sosiaalipalvelut 165,8" in app.fit_report.value
    app.reset_button.click()  # back to A: the fit is forgotten
    assert app.scenario_b == app.scenario_a and app.fit_report.value == ""


def test_durations_fitted_from_a_finnish_csv_go_into_the_chosen_stage(app):
    app.fit_field.value = "stepwise.duration"
    data = (EXAMPLES / "kestot-fiktiivinen-fi.csv").read_bytes()
    app.fit_durations.value = upload("kestot-fiktiivinen-fi.csv", data)
    dist = app.scenario_b.stepwise.duration
    assert dist.dist in ("gamma", "weibull", "lognormal") and 200 < dist.mean < 280
    assert app.durations["stepwise.duration"].value == dist.mean
    assert f"a {dist.dist} distribution with a mean of" in app.fit_report.value
    assert app.scenario_b.ips == app.scenario_a.ips  # only the chosen stage
    app.durations["stepwise.duration"].value = 200  # edited after the fit: the edit wins
    assert template_module.duration_means(app.scenario_b)["stepwise.duration"] == 200


@pytest.mark.parametrize("button, name, data, words", [
    ("fit_referrals", "bad.csv", b"date,source\n2024-13-45,kela\n2024-01-02,kela\n", "is not a date"),
    ("fit_referrals", "spells.csv", b"start,end\n2024-01-01,2024-02-01\n2024-01-05,\n",
     "holds durations, not referrals"),
    ("fit_durations", "book.xlsx", b"PK\x03\x04 not text", "an Excel workbook"),
])
def test_a_bad_data_file_shows_one_line_and_keeps_b(app, button, name, data, words):
    app.coaches.value = 3
    before = app.scenario_b
    getattr(app, button).value = upload(name, data)
    assert visible(app.fit_error) and words in app.fit_error.value and "B is unchanged" in app.fit_error.value
    assert app.scenario_b == before and app.fit_report.value == ""
    assert not visible(app.error)  # the scenario's own error box is for scenario files


def test_warnings_before_a_run_and_after_it_in_the_apps_language(app):
    assert app.warnings_before.value == ""  # the pilot keeps up
    app.coaches.value = 1
    assert "Check before you run" in app.warnings_before.value
    assert "IPS coaching: about" in app.warnings_before.value
    app.replications.value = 2
    app.run_button.click()
    assert "What the run shows" in app.warnings_after.value
    shown = sim.experiment.result_warnings(app.reps)
    assert shown and all(html.escape(w) in app.warnings_after.value for w in shown)
    app.lang_toggle.value = "fi"
    finnish = warning_texts(sim.experiment.result_checks(app.reps), "fi")
    assert "Mitä ajo näyttää" in app.warnings_after.value
    assert finnish and all(html.escape(w) in app.warnings_after.value for w in finnish)
    assert not any(html.escape(w) in app.warnings_after.value for w in shown)  # no English left
    assert "IPS-valmennus: noin" in app.warnings_before.value
    app.coaches.value = 2
    assert app.warnings_before.value == ""


def test_warnings_under_the_comparison_and_the_staffing_answer(app):
    """Every result kind shows its own warnings, in the app's language: the comparison those
    of A and of B (named), the staffing search those of the point it answers with."""
    app.replications.value = 2
    app.coaches.value = 1  # B overloads its coaches; A (the pilot) keeps up
    app.compare_button.click()
    page = app.warnings_compare.value
    assert "Warnings for A and B" in page
    b_says = app.comparison.alternatives["B"].warnings()
    assert b_says and all(html.escape(f"B: {w}") in page for w in b_says)
    assert not any(html.escape(f"A: {w}") in page for w in b_says)
    app.lang_toggle.value = "fi"
    fi_says = warning_texts(app.comparison.alternatives["B"].checks(), "fi")
    assert all(html.escape(f"B: {w}") in app.warnings_compare.value for w in fi_says)
    assert "Varoitukset A:lle ja B:lle" in app.warnings_compare.value
    app.lang_toggle.value = "en"
    app.sweep_coaches.value = (1, 1)  # one value, below the load: the answer point overloads
    app.sweep_button.click()
    point = planner.answer_point(app.sweep_result)
    assert point.warnings() and all(html.escape(w) in app.warnings_sweep.value
                                    for w in point.warnings())
    assert "Warnings for the staffing answer" in app.warnings_sweep.value
    app.use_preset(PILOT)
    assert app.warnings_compare.value == app.warnings_sweep.value == ""
