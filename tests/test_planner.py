"""The planners' logic (sim.planner) and their figures (sim.plots), tested without widgets."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

import sim
from sim import planner, plots
from sim.experiment import stability_checks
from sim.learning.text import keys, number, percent, strings, t
from sim.model import SERIES
from sim.planner import (
    edited_scenario,
    ips_share,
    key_parameters,
    routing_with_ips_share,
    scaled_sources,
    scenario_changes,
)
from sim.report import warning_texts
from sim.results import KEY_KPIS, known_kpis
from sim.scenario import PATHWAYS

PILOT = "pohjois-savo-pilot"  # the smallest preset: a replication takes ~0.02 s


@pytest.fixture(scope="module")
def county():
    return sim.preset("varsinais-suomi")


@pytest.fixture(scope="module")
def pilot():
    return sim.preset(PILOT)


@pytest.fixture(scope="module")
def pilot_reps(pilot):
    return sim.replicate(pilot, 3, seed=1)


def upload(name: str, data: bytes) -> tuple[dict, ...]:
    """What an ipywidgets 8 FileUpload holds after one file."""
    return ({"name": name, "type": "application/x-yaml", "size": len(data),
             "content": memoryview(data), "last_modified": datetime.now(timezone.utc)},)


# --- key parameters and the edited scenario ---------------------------------------------

def test_key_parameters_read_the_preset(county):
    p = key_parameters(county)
    assert p["referrals_per_year"] == pytest.approx(700)
    assert (p["coordinators"], p["coaches"], p["caseload_per_coach"]) == (6, 7, 20)
    assert p["fidelity_score"] == 95
    assert p["ips_share"] == pytest.approx(0.40 * 0.35 + 0.35 * 0.25 + 0.15 * 0.15 + 0.10 * 0.35)


def test_unchanged_key_parameters_leave_the_scenario_as_it_was(county):
    assert scenario_changes(county, key_parameters(county)) == {}
    assert edited_scenario(county, key_parameters(county)) == county


def test_edited_scenario_sets_the_staffing_fields(county):
    b = edited_scenario(county, {"coordinators": 7.5, "coaches": 9, "caseload_per_coach": 15,
                                 "fidelity_score": 110})
    assert (b.assessment.coordinators, b.ips.coaches) == (7.5, 9)
    assert (b.ips.caseload_per_coach, b.ips.fidelity_score) == (15, 110)
    assert b.arrivals == county.arrivals and b.routing == county.routing


def test_edited_scenario_can_rename(county):
    assert edited_scenario(county, {"coaches": 8}, name="plus-one").name == "plus-one"


def test_scaled_sources_keep_their_proportions_and_hit_the_total(county):
    sources = scaled_sources(county, 1400)
    assert sum(sources.values()) == pytest.approx(1400, abs=1e-6)
    for s in county.arrivals.sources:
        assert sources[s.name] == pytest.approx(2 * s.per_year, abs=1e-3)
    b = edited_scenario(county, {"referrals_per_year": 1400})
    assert b.arrivals.per_year == pytest.approx(1400, abs=1e-6)


def test_scaled_sources_split_evenly_when_every_source_is_zero(county):
    zero = county.with_changes({"arrivals.sources": {"a": 0, "b": 0}})
    assert scaled_sources(zero, 100) == {"a": 50, "b": 50}


def test_negative_referrals_raise_a_scenario_error(county):
    with pytest.raises(sim.ScenarioError, match="arrivals.sources"):
        scaled_sources(county, -1)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.285, 0.6, 1.0])
def test_ips_share_is_met_and_every_routing_row_sums_to_one(county, share):
    b = county.with_changes({"routing": routing_with_ips_share(county, share)})
    assert ips_share(b) == pytest.approx(share, abs=1e-5)
    for route in b.routing:
        assert sum(route.probabilities()) == pytest.approx(1, abs=1e-9)
        assert all(0 <= p <= 1 for p in route.probabilities())


def test_raising_the_ips_share_raises_it_for_every_profile(county):
    rows = routing_with_ips_share(county, 0.5)
    for route in county.routing:
        assert rows[route.profile]["ips"] >= route.ips


def test_other_pathways_keep_their_proportions(county):
    rows = routing_with_ips_share(county, 0.1)
    for route in county.routing:
        old = {p: getattr(route, p) for p in PATHWAYS[1:]}
        new = rows[route.profile]
        ratio = (1 - new["ips"]) / (1 - route.ips)
        for p, value in old.items():
            assert new[p] == pytest.approx(value * ratio, abs=1e-5)


def test_lowering_ips_share_from_an_all_ips_row_moves_the_rest_to_other(pilot):
    all_ips = pilot.with_changes({"routing": {"default": {"ips": 1.0}}})
    rows = routing_with_ips_share(all_ips, 0.25)
    assert rows["default"]["ips"] == pytest.approx(0.25)
    assert rows["default"]["other"] == pytest.approx(0.75)


def test_out_of_range_values_raise_the_loaders_message(county):
    with pytest.raises(sim.ScenarioError, match=r"ips\.coaches: -1 is out of range"):
        edited_scenario(county, {"coaches": -1})
    with pytest.raises(sim.ScenarioError, match="routing"):
        routing_with_ips_share(county, 1.5)


def test_unknown_key_parameters_are_refused(county):
    with pytest.raises(KeyError, match="coachez"):
        scenario_changes(county, {"coachez": 3})


def test_preset_choices_leave_out_presets_too_slow_for_a_click():
    fast = planner.preset_choices(max_seconds_per_run=2.0)
    assert PILOT in fast and "varsinais-suomi" in fast
    assert "national" not in fast
    assert planner.preset_choices() == sim.list_presets()


def test_estimated_seconds_grow_with_volume_and_replications(pilot, county):
    assert planner.estimated_seconds(pilot, 10) < planner.estimated_seconds(county, 10)
    assert planner.estimated_seconds(county, 20) == pytest.approx(
        2 * planner.estimated_seconds(county, 10))


# --- uploads --------------------------------------------------------------------------------

def test_a_valid_upload_gives_the_scenario_in_the_file():
    text = (Path(sim.__file__).parent / "presets" / "varsinais-suomi.yaml").read_bytes()
    assert planner.scenario_from_upload(upload("vs.yaml", text)) == sim.preset("varsinais-suomi")


def test_a_bad_upload_raises_exactly_the_loaders_message():
    bad = "name: broken\nips:\n  coaches: -3\n"
    with pytest.raises(sim.ScenarioError) as expected:
        sim.scenario_from_text(bad, origin="broken.yaml")
    with pytest.raises(sim.ScenarioError) as got:
        planner.scenario_from_upload(upload("broken.yaml", bad.encode()))
    assert str(got.value) == str(expected.value)
    assert "ips.coaches" in str(got.value) and "-3" in str(got.value)


def test_invalid_yaml_names_the_file_and_line():
    with pytest.raises(sim.ScenarioError, match=r"oops\.yaml: not valid YAML at line 2"):
        planner.scenario_from_upload(upload("oops.yaml", b"name: x\n  - : [\n"))


@pytest.mark.parametrize("data, message", [
    (b"", "empty"), (b"  \n", "empty"), (b"\xff\xfe\x00bad", "not a UTF-8 text file")])
def test_empty_and_binary_uploads_get_a_plain_message(data, message):
    with pytest.raises(sim.ScenarioError, match=message):
        planner.decode_upload(upload("x.yaml", data))


def test_decode_upload_reads_both_ipywidgets_forms_and_strips_a_bom():
    assert planner.decode_upload(upload("a.yaml", "\ufeffname: ä".encode())) == ("a.yaml", "name: ä")
    v7 = {"b.yaml": {"metadata": {"name": "b.yaml"}, "content": b"name: b"}}
    assert planner.decode_upload(v7) == ("b.yaml", "name: b")
    with pytest.raises(sim.ScenarioError, match="no file"):
        planner.decode_upload(())


def test_oversized_uploads_are_refused():
    with pytest.raises(sim.ScenarioError, match="too large"):
        planner.decode_upload(upload("big.yaml", b"#" * (planner.MAX_UPLOAD_BYTES + 1)))


# --- tables ---------------------------------------------------------------------------------

def test_kpi_rows_are_the_replication_means_and_cis(pilot_reps):
    rows = planner.kpi_rows(pilot_reps)
    assert [r["metric"] for r in rows] == list(KEY_KPIS)
    for r in rows:
        ci = pilot_reps.ci(r["metric"])
        assert (r["mean"], r["replications"]) == (pytest.approx(ci.mean, nan_ok=True), ci.n)
        assert r["ci95_low"] == pytest.approx(ci.low, nan_ok=True)


def test_kpi_table_has_one_row_per_kpi_in_the_chosen_language(pilot_reps):
    rows = planner.kpi_rows(pilot_reps, lang="fi")
    page = planner.kpi_table_html(rows, "fi")
    assert page.count("<tr data-key=") == len(rows)
    assert 'data-key="ips_wait_days.p90"' in page
    assert "Odotus työhönvalmennukseen, 90. persentiili" in page
    assert "95 %:n luottamusväli" in page and "3 toistoa" in page


@pytest.mark.parametrize("value, unit, lang, shown", [
    (0.4567, "share", "en", percent(0.457, "en", 1)), (0.4567, "share", "fi", percent(0.457, "fi", 1)),
    (12.345, "days", "en", "12.3"), (12.345, "days", "fi", "12,3"),
    (1234.5, "days", "fi", number(1234.5, "fi", 1)),
    (3019.4, "clients", "en", "3,019"), (3019.4, "clients", "fi", number(3019, "fi")),
    (42.26, "", "en", "42.3"), (math.nan, "days", "en", "–"), (None, "days", "fi", "–")])
def test_format_value(value, unit, lang, shown):
    assert planner.format_value(value, unit, lang) == shown


def test_finnish_numbers_use_the_text_modules_style_not_english_separators():
    shown = planner.format_value(3019.4, "clients", "fi")
    assert shown[0] == "3" and shown[-3:] == "019" and "," not in shown and "." not in shown
    assert planner.format_value(0.5, "share", "fi").startswith("50,0")


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_share_differences_are_percentage_points(lang):
    shown = planner.format_difference(-0.032, "share", lang)
    assert shown == f"{number(-3.2, lang, 1)}\u00a0{t('planner.unit.pp', lang)}"
    assert planner.format_difference(-3.25, "days", lang) == planner.format_value(-3.25, "days", lang)
    assert planner.format_difference(math.nan, "share", lang) == "–"


def test_ci_bounds_are_cut_at_zero_and_at_100_percent():
    row = {"metric": "ips_wait_days.p90", "label": "w", "unit": "days", "mean": 3.0,
           "ci95_low": -2.5, "ci95_high": 8.0, "replications": 3}
    assert ">0.0 – 8.0<" in planner.kpi_table_html([row])
    share = dict(row, metric="coach_caseload_utilisation", unit="share", mean=0.999,
                 ci95_low=0.998, ci95_high=1.001)
    assert f">{percent(0.998, 'en', 1)} – {percent(1, 'en', 1)}<" in planner.kpi_table_html([share])


def test_more_coaches_give_a_clear_paired_drop_in_the_ips_wait(pilot):
    a = pilot.with_changes({"ips.coaches": 1})
    b = edited_scenario(a, {"coaches": 3})
    rows = planner.comparison_rows(sim.compare(a, {"B": b}, 5, seed=1))
    by = {r["metric"]: r for r in rows}
    wait = by["ips_wait_days.mean"]
    assert wait["difference"] == pytest.approx(wait["b_mean"] - wait["a_mean"])
    assert wait["diff_ci95_high"] < 0 and wait["clear_difference"] is True
    assert [r["metric"] for r in rows] == list(planner.COMPARE_KPIS)
    page = planner.comparison_table_html(rows, "en")
    assert page.count("<tr data-key=") == len(rows) and "B − A (paired)" in page


def test_identical_scenarios_show_no_clear_difference(pilot):
    rows = planner.comparison_rows(sim.compare(pilot, {"B": pilot}, 3, seed=1))
    assert all(r["difference"] == 0 for r in rows if math.isfinite(r["difference"]))
    assert not any(r["clear_difference"] for r in rows)


@pytest.mark.parametrize("low, high, expected", [
    (3, 6, [3, 4, 5, 6]), (6, 3, [3, 4, 5, 6]), (5, 5, [5]), (1, 25, list(range(1, 26))),
    (1, 60, list(range(1, 60, 3)) + [60])])
def test_sweep_values(low, high, expected):
    assert planner.sweep_values(low, high) == expected
    assert len(planner.sweep_values(low, high)) <= 25


def test_staffing_answer_names_the_fewest_coaches_meeting_the_target(pilot):
    result = sim.min_staffing(pilot, "ips.coaches", [1, 2, 3, 4], "ips_wait_days.p90<=30", 5, 1)
    answer = planner.staffing_answer(result, "en")
    assert answer["best"] == result.best()["ips.coaches"]
    assert f"{answer['best']:g}." in answer["text"] and "30 days" in answer["text"]
    assert answer["floor"] == pytest.approx(result.offered_load["ips.coaches"])
    rows = planner.sweep_rows(result)
    assert [r["meets_target"] for r in rows] == [result.target.met_by(r.ci("ips_wait_days.p90"))
                                                 for r in result.results]
    page = planner.sweep_table_html(rows, "fi")
    assert page.count("<tr data-key=") == len(rows) and "Täyttää tavoitteen?" in page


def test_staffing_answer_says_so_when_no_value_meets_the_target(pilot):
    # 1 coach is below the offered-load floor (~1.7), so only 2 is run; it misses 1 day
    result = sim.min_staffing(pilot, "ips.coaches", [1, 2], "ips_wait_days.p90<=1", 3, 1)
    assert result.best() is None
    floor = result.offered_load["ips.coaches"]
    assert 1 < floor < 2
    answer = planner.staffing_answer(result, "fi")
    assert answer["best"] is None
    assert "Mikään kokeilluista valmentajamääristä (2) ei täytä" in answer["text"]
    assert f"Alle noin {number(floor, 'fi', 1)} valmentajalla" in answer["note"]


# --- downloads ------------------------------------------------------------------------------

def test_csv_bytes_round_trip(pilot_reps):
    summary = sim.report.summary_table(pilot_reps)
    back = list(csv.DictReader(io.StringIO(planner.csv_bytes(summary).decode())))
    assert [r["metric"] for r in back] == [r["metric"] for r in summary]
    assert float(back[0]["mean"]) == pytest.approx(summary[0]["mean"])
    assert planner.csv_bytes([]) == b""


def test_xlsx_bytes_open_as_a_workbook(pilot_reps):
    from openpyxl import load_workbook
    files = {name: data for _, name, data, _ in planner.run_downloads(pilot_reps)}
    wb = load_workbook(io.BytesIO(files["summary.xlsx"]))
    assert wb.sheetnames == ["summary", "replications", "parameters"]
    assert wb["summary"].cell(1, 1).value == "metric"
    assert wb["replications"].max_row == 1 + pilot_reps.n


def test_run_record_json_has_what_is_needed_to_repeat_the_run(pilot_reps):
    record = json.loads(planner.run_record_json(pilot_reps))
    assert record["seed"] == 1 and record["replications"] == 3
    assert sim.Scenario.from_dict(record["scenario"]) == pilot_reps.scenario


def test_download_links_carry_the_file_as_a_data_uri():
    link = planner.download_link("a b.csv", b"x,y\n1,2\n", "text/csv", "Table", "tyo-dl-x")
    href = re.search(r'href="data:text/csv;base64,([^"]+)"', link).group(1)
    assert base64.b64decode(href) == b"x,y\n1,2\n"
    assert 'id="tyo-dl-x"' in link and 'download="a b.csv"' in link


def test_download_ids_are_stable(pilot_reps):
    ids = [f[0] for f in planner.run_downloads(pilot_reps, [{"a": 1}], [{"b": 2}])]
    assert ids == ["tyo-dl-summary-csv", "tyo-dl-summary-xlsx", "tyo-dl-run-json",
                   "tyo-dl-comparison-csv", "tyo-dl-sweep-csv"]
    assert planner.run_downloads() == []
    assert "tyo-download" not in planner.downloads_html([], "en")


# --- text -------------------------------------------------------------------------------

def test_labels_come_from_the_planner_strings_file_in_both_languages():
    entries = {k: v for k, v in strings().items() if k.startswith("planner.")}
    assert len(entries) > 50
    for key, entry in entries.items():
        assert entry["en"] != entry["fi"], key
    assert t("planner.button.run", "fi") == "Aja"
    assert t("planner.status.done", "en", name="x", runs=3, seconds="0.1") == \
        "x: 3 replications in 0.1 s."


KEY = r"[a-z0-9_]+(?:\.[a-z0-9_]+)+"  # a whole key such as planner.button.run
VIEW_CODE = ("planner.py", "plots.py", "widgets/capacity.py", "widgets/app.py", "widgets/base.py")


def test_every_label_the_views_use_exists_under_its_full_key():
    used = set()
    for module in VIEW_CODE:
        code = (Path(sim.__file__).parent / module).read_text(encoding="utf-8")
        used |= set(re.findall(rf"""\b_?t\(\s*["']({KEY})["']""", code))
        used |= set(re.findall(rf"""_label\([^)]*?["']({KEY})["']\)""", code))
        used |= set(re.findall(rf"""\(self\.\w+, ["'](planner\.{KEY})["']\)""", code))
    assert len(used) > 60
    assert {k.split(".")[0] for k in used} <= {"planner", "plot", "kpi", "widget", "warning",
                                                "routing", "missing", "finding"}
    assert not used - set(strings())


def test_every_kpi_has_a_name_in_words_in_both_languages():
    for kpi in known_kpis():
        en, fi = planner.kpi_label(kpi, "en"), planner.kpi_label(kpi, "fi")
        assert kpi not in (en, fi) and en != fi, kpi
    assert planner.kpi_label("ips_wait_days.p90", "fi") == "Odotus työhönvalmennukseen, 90. persentiili"
    assert planner.kpi_label("exit_employed.ips", "en") == \
        "Left the pathway employed, when the team first chose IPS coaching"
    assert planner.kpi_label("no_such_kpi", "en") == "no_such_kpi"
    assert set(KEY_KPIS) | set(planner.COMPARE_KPIS) <= set(known_kpis())


def test_unknown_language_or_key_is_an_error():
    with pytest.raises(ValueError, match="sv"):
        planner.format_value(1.0, "days", "sv")
    with pytest.raises(ValueError, match="sv"):
        planner.kpi_table_html([], "sv")
    with pytest.raises(KeyError):
        t("planner.no.such.key")


@pytest.mark.parametrize("query, lang", [("lang=fi", "fi"), ("?lang=en&x=1", "en"), ("", "en"),
                                         ("lang=sv", "en")])
def test_query_language(query, lang):
    assert planner.query_language(query) == lang


def test_the_planning_logic_does_not_need_ipywidgets():
    import subprocess
    import sys
    code = "import sys, sim.planner; assert 'ipywidgets' not in sys.modules, 'imported ipywidgets'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_values_the_controls_only_rounded_keep_the_exact_base(county):
    shown = dict(key_parameters(county), ips_share=0.28, coaches=7.2)
    snapped = planner.snap_to_base(county, shown, {"ips_share": 0.005})
    assert snapped["ips_share"] == ips_share(county) == pytest.approx(0.285)
    assert snapped["coaches"] == 7.2  # no tolerance given: a real edit
    assert edited_scenario(county, planner.snap_to_base(
        county, dict(shown, coaches=7), {"ips_share": 0.005})) == county


# --- figures (sim.plots): words, not codes, and a sentence for the alt text --------------------

CODE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\.p90\b|\bips\.|<=")  # ips_wait_days, ips.coaches, p<=30


def shown_text(fig) -> list[str]:
    """Every text a person sees on a figure: titles, axis labels, tick labels and legends."""
    import io
    fig.savefig(io.BytesIO(), format="png")  # tick labels are made when the figure is drawn
    texts = [fig.get_label()]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [tick.get_text() for tick in ax.get_xticklabels() + ax.get_yticklabels()]
        if ax.get_legend():
            texts += [text.get_text() for text in ax.get_legend().get_texts()]
    return [text for text in texts if text]


@pytest.fixture(scope="module")
def pilot_sweep(pilot):
    return sim.min_staffing(pilot, "ips.coaches", [1, 2, 3], "ips_wait_days.p90<=30", 2, 1)


def figures(pilot, pilot_reps, pilot_sweep, lang):
    rows = sim.compare(pilot, {"B": pilot.with_changes({"ips.coaches": 3})}, 2, seed=1).rows(
        [planner.SWEEP_KPI])
    analysis = {"series": "ips_waiting", "days": [0, 7, 14, 21], "mean": [0, 2, 3, 3],
                "welch": [1, 2, 3], "window": 1, "suggested_warmup_days": 14}
    return {"waits": plots.waits_figure(pilot_reps, lang),
            "series": plots.series_figure(pilot_reps, lang=lang),
            "outcomes": plots.outcomes_figure(pilot_reps, lang),
            "capacity": plots.capacity_figure(pilot_sweep, lang=lang),
            "comparison": plots.comparison_figure(rows, planner.SWEEP_KPI, lang),
            "warmup": plots.warmup_figure(analysis, lang),
            "utilisation": plots.utilisation_figure(lang=lang)}


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_figures_say_what_they_show_in_words(pilot, pilot_reps, pilot_sweep, lang):
    for name, fig in figures(pilot, pilot_reps, pilot_sweep, lang).items():
        texts = shown_text(fig)
        codes = [text for text in texts if CODE.search(text.replace("pohjois-savo-pilot", ""))]
        assert not codes, (name, codes)
        alt = fig.get_label()
        assert alt.endswith(".") and len(alt.split()) >= 8, (name, alt)


def test_a_figures_alt_text_is_its_sentence_from_the_strings_file(pilot_reps, pilot_sweep):
    waits = plots.waits_figure(pilot_reps, "fi")
    assert waits.get_label() == t("plot.alt.waits", "fi", name=PILOT, n=pilot_reps.n)
    capacity = plots.capacity_figure(pilot_sweep, lang="en").get_label()
    best = pilot_sweep.best()["ips.coaches"]
    assert capacity.startswith(t("plot.alt.capacity", "en", kpi="Wait for IPS coaching, 90th percentile",
                                 setting="Job coaches (FTE)"))
    assert f"target: at most 30. Dotted line: fewest that meet the target: {best:g}." in capacity


def test_finnish_figures_write_numbers_the_finnish_way(pilot_sweep):
    fig = plots.capacity_figure(pilot_sweep, lang="fi")
    floor = pilot_sweep.offered_load["ips.coaches"]
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert f"kuormitusraja ({number(floor, 'fi', 1)})" in legend and "," in number(floor, "fi", 1)
    shares = shown_text(plots.utilisation_figure(lang="fi"))
    assert percent(0.6, "fi") in shares  # the x axis: share of places in use


def test_every_series_and_setting_the_figures_name_has_words():
    assert {f"plot.series.{name}" for name in SERIES} <= set(keys("plot.series."))
    assert plots.setting_label("assessment.coordinators", "fi") == "Työkykykoordinaattorit (htv)"
    assert plots.setting_label("ips.job_finding_share", "en") == "ips.job_finding_share"


def test_figures_refuse_an_unknown_language(pilot_reps):
    with pytest.raises(ValueError, match="sv"):
        plots.waits_figure(pilot_reps, "sv")


@pytest.mark.parametrize("value, lang, shown", [
    (7, "en", "7"), (7.5, "en", "7.5"), (7.5, "fi", "7,5"), (0.25, "en", "0.25"),
    (1200, "fi", number(1200, "fi"))])
def test_amount_keeps_only_the_decimals_a_number_needs(value, lang, shown):
    assert plots.amount(value, lang) == shown


# --- warnings and missing values in the planner's language -------------------------------------

ENGLISH = re.compile(r"\b(about|only|the|but|waiting|clients|places|were|grew|no one|run)\b")


def english_left(text: str) -> bool:
    """English words in a text, the file's field names (stepwise.places) and {fields} aside."""
    return bool(ENGLISH.search(re.sub(r"\{[^}]*\}|\b[a-z_]+(?:\.[a-z_]+)+\b", "", text)))


def test_every_warning_and_missing_value_text_has_finnish_that_differs_from_english():
    entries = {k: v for k, v in strings().items()
               if k.split(".")[0] in ("warning", "missing", "routing")}
    assert len(keys("warning.")) >= 15 and len(keys("missing.")) >= 10
    for key, entry in entries.items():
        assert entry["en"].strip() and entry["fi"].strip(), key
        assert entry["en"] != entry["fi"], key
        assert not english_left(entry["fi"]), (key, entry["fi"])


@pytest.mark.parametrize("changes", [
    {"assessment.coordinators": 0.5}, {"team.cases_per_meeting": 1}, {"ips.coaches": 0.5},
    {"stepwise.places": 10, "initial.stepwise_in_service": 5}, {"initial.ips_in_service": 60},
    {"initial.stepwise_in_service": 120}])
def test_overload_warnings_for_every_capacity_come_in_finnish(changes):
    s = sim.preset(PILOT).with_changes(changes)
    checks = stability_checks(s)
    en, fi = warning_texts(checks, "en"), warning_texts(checks, "fi")
    assert en and len(en) == len(fi)
    # the strings file's English is the model's own words, word for word (no second wording)
    assert en == [c.english for c in checks] == sim.experiment.stability_warnings(s)
    for english, finnish in zip(en, fi, strict=True):
        assert english != finnish and not english_left(finnish), finnish
        # the same numbers, written the Finnish way; the field to change is named as in the file
        assert re.findall(r"\b[a-z]+\.[a-z_]+\b", english) == re.findall(r"\b[a-z]+\.[a-z_]+\b",
                                                                          finnish)


def test_the_ips_overload_warning_says_its_numbers_in_each_language():
    s = sim.preset("varsinais-suomi")
    loads = sim.experiment.stage_loads(s)["ips"]
    need = loads["load"] / s.ips.caseload_per_coach
    (en,), (fi,) = (warning_texts(stability_checks(s), lang) for lang in ("en", "fi"))
    assert f"more than about {number(need, 'en', 1)} coaches" in en
    assert f"yli noin {number(need, 'fi', 1)} valmentajaa" in fi and "," in number(need, "fi", 1)


@pytest.fixture(scope="module")
def overloaded_reps():
    over = sim.preset(PILOT).with_changes({"ips.coaches": 1, "horizon_days": 540})
    with pytest.warns(sim.experiment.UnstableScenarioWarning):
        return sim.replicate(over, 2, 1)


def test_result_warnings_come_in_finnish(overloaded_reps):
    checks = sim.experiment.result_checks(overloaded_reps)
    en, fi = warning_texts(checks, "en"), warning_texts(checks, "fi")
    assert en == sim.experiment.result_warnings(overloaded_reps)  # the model's words, as written
    assert len(en) == len(fi) >= 2
    assert any("IPS-valmennuksen jono kasvoi" in m for m in fi)
    assert any(m.startswith("valmentajien asiakaspaikat olivat täynnä") for m in fi)
    assert all(e != f and not english_left(f) for e, f in zip(en, fi, strict=True))
    assert warning_texts(overloaded_reps.checks(), "fi") == warning_texts(
        stability_checks(overloaded_reps.scenario), "fi") + fi


def test_worksim_run_sweep_and_compare_print_warnings_in_finnish(tmp_path, capsys):
    from sim.cli import main
    assert main(["run", PILOT, "--set", "ips.coaches=1", "--horizon-days", "120", "-n", "2",
                 "-j", "1", "-q", "--lang", "fi", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr()
    assert "varoitus: IPS-valmennus: noin" in out.err  # before the run, from the scenario
    assert "varoitus: valmentajien asiakaspaikat olivat täynnä" in out.out  # from the run
    assert "warning:" not in out.out + out.err
    assert main(["compare", PILOT, "--alt", "one:ips.coaches=1", "--horizon-days", "120",
                 "-n", "2", "-j", "1", "-q", "--lang", "fi"]) == 0
    out = capsys.readouterr().out
    assert "varoitus: one: IPS-valmennus: noin" in out and f"varoitus: {PILOT}:" not in out
    assert main(["sweep", PILOT, "--horizon-days", "120", "--vary", "ips.coaches=1:1",
                 "--target", "ips_wait_days.p90<=30", "-n", "2", "-j", "1", "-q", "--lang", "fi",
                 "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "varoitus: ips.coaches=1: IPS-valmennus: noin" in out


@pytest.fixture(scope="module")
def no_coaching():
    """A county whose team sends no one to IPS (and stepwise refers no one on): no one
    starts coaching, so every coaching KPI is undefined."""
    s = sim.preset(PILOT)
    s = s.with_changes({"routing": routing_with_ips_share(s, 0.0), "stepwise.onward.refer_ips": 0,
                        "stepwise.onward.other": 0.5, "initial.ips_waiting": 0,
                        "horizon_days": 300})
    reps = sim.replicate(s, 2, 1)
    assert all(r.kpis["ips_wait_days.n"] == 0 for r in reps.runs)  # the premise, checked
    return reps


def _dashes_and_notes(page: str) -> tuple[set[str], list[str]]:
    """The numbered dashes in an HTML table and the notes under it."""
    cells = re.findall(r'<td data-col="[^"]+">([^<]*)</td>', page)
    assert "–" not in cells  # no dash without its number
    marks = {c[1:] for c in cells if c.startswith("–")}
    return marks, re.findall(r"<li>([^<]+)</li>", page)


@pytest.mark.parametrize("lang, reason", [("en", "no one started coaching"),
                                          ("fi", "kukaan ei aloittanut valmennusta")])
def test_a_dash_in_the_kpi_table_says_why(no_coaching, lang, reason):
    page = planner.kpi_table_html(planner.kpi_rows(no_coaching, lang=lang), lang)
    marks, notes = _dashes_and_notes(page)
    assert marks and {n.split(" ", 1)[0] for n in notes} == marks  # every mark has its note
    wait = re.search(r'<tr data-key="ips_wait_days.mean">(.*?)</tr>', page).group(1)
    mark = re.search(r"–(\S)", wait).group(1)
    assert f"{mark} {reason}" in notes
    assert t("missing.notes", lang) in page
    ok = re.search(r'<tr data-key="referrals">(.*?)</tr>', page).group(1)
    assert not re.search(r">–", ok)  # a defined KPI has its number


def test_dashes_in_the_comparison_and_the_sweep_say_why(no_coaching):
    cmp = sim.compare(no_coaching.scenario, {"B": no_coaching.scenario.with_changes(
        {"ips.coaches": 3})}, 2, 1)
    page = planner.comparison_table_html(planner.comparison_rows(cmp, lang="en"), "en")
    marks, notes = _dashes_and_notes(page)
    assert marks and any(n.endswith("no one started coaching") for n in notes)
    sweep = sim.min_staffing(no_coaching.scenario, "ips.coaches", [2, 3], "ips_wait_days.p90<=30",
                             2, 1)
    page = planner.sweep_table_html(planner.sweep_rows(sweep, "fi"), "fi")
    marks, notes = _dashes_and_notes(page)
    assert marks and notes == ["¹ kukaan ei aloittanut valmennusta"]


def test_the_terminal_table_and_the_brief_say_why_a_value_is_missing(no_coaching):
    from sim.brief import build_brief
    from sim.report import format_table, missing_reason
    rows = no_coaching.summary()
    text = format_table(rows, KEY_KPIS, {r.metric: missing_reason(no_coaching, r.metric, "en")
                                          for r in rows})
    line = next(x for x in text.splitlines() if x.startswith("ips_wait_days.mean "))
    mark = re.search(r"–(\S)", line).group(1)
    assert f"{mark} no one started coaching" in text.splitlines()
    assert "nan" not in text
    brief = build_brief(no_coaching, "fi")
    said = " ".join(b.text for b in brief.blocks) + " ".join(
        " ".join(map(str, item)) if isinstance(item, tuple) else str(item)
        for b in brief.blocks for item in b.items)
    assert f"{plots.kpi_label('ips_wait_days.mean', 'fi')}: kukaan ei aloittanut valmennusta." in said


def test_a_one_replication_interval_says_so():
    from sim.report import missing_reason
    reps = sim.replicate(sim.preset(PILOT).with_changes({"horizon_days": 200}), 1, 1)
    assert missing_reason(reps, "referrals", "en") == t("missing.one", "en")
    assert missing_reason(reps, "referrals", "fi") == t("missing.one", "fi")
