"""Course widgets for module 8 (pathways and capacity): thin views over :mod:`sim.planner`.

* :func:`pathway_explorer` — pick a county, move the coaches, caseload cap, fidelity and
  IPS-routing sliders, run a few replications and watch the waiting list and caseloads
  over time (with too few coaches the pathway jams);
* :func:`capacity_dashboard` — set the coordinators, the range of coaches to try and the
  target wait; the staffing search finds the fewest coaches that meet the target;
* :func:`utilisation_picture` and :func:`preset_table` — the module's queueing curve (with its
  alt text) and its table of presets, so that the notebook shows no plotting or HTML code.

Each is a :class:`sim.widgets.base.RunView` (a box with a status line and a progress bar)
whose controls and outputs are attributes (``.coaches``, ``.run_button``, ``.status``,
``.table``, ``.plot`` …); ``.widget`` is the view itself. Tests drive them headless by setting
``.value`` and calling ``.run_button.click()``. Every figure is shown with its alt text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
from IPython.display import HTML

from sim import planner, plots
from sim.experiment import min_staffing, refinement_cap, replicate
from sim.learning.text import number, t
from sim.scenario import Scenario, preset
from sim.widgets.base import RunView, captioned, esc, figure_html, image_widget, show_figure

__all__ = ["PathwayExplorer", "pathway_explorer", "CapacityDashboard", "capacity_dashboard",
           "STYLE", "utilisation_picture", "preset_table", "PRESET_TABLE_KPIS"]

#: Presets fast enough for a learner's click (the national preset takes ~20 s a run).
_MAX_SECONDS_PER_RUN = 2.0
_DEFAULT_PRESET = "varsinais-suomi"
_EXPLORER_KPIS = ("ips_wait_days.mean", "ips_wait_days.p90", "ips_started_within_30d_share",
                  "ips_waiting_mean", "coach_caseload_utilisation", "waiting_at_end",
                  "ips_employed_within_365d_share", "employed_within_365d_share")
_LABEL_STYLE = {"description_width": "16em"}
_WIDE = widgets.Layout(width="36em")

#: CSS for the ``tyo-*`` classes, added once per view as an HTML widget.
STYLE = """<style>
.tyo-app { max-width: 74em; }
.tyo-section { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.4em 0.8em; margin: 0.5em 0; }
.tyo-error { border: 2px solid #b00020; background: #fdecea; color: #5f0012; border-radius: 6px;
             padding: 0.5em 0.9em; margin: 0.4em 0; }
.tyo-error pre { white-space: pre-wrap; font-size: 0.95em; margin: 0.3em 0; }
.tyo-answer { font-size: 1.1em; font-weight: 600; color: #1b5e20; }
.tyo-kpi-table, .tyo-compare-table, .tyo-sweep-table { border-collapse: collapse; margin: 0.3em 0; }
.tyo-kpi-table th, .tyo-kpi-table td, .tyo-compare-table th, .tyo-compare-table td,
.tyo-sweep-table th, .tyo-sweep-table td { border-bottom: 1px solid #d0d7de; padding: 0.15em 0.7em;
             text-align: left; font-variant-numeric: tabular-nums; }
.tyo-note { color: #555; font-size: 0.9em; }
.tyo-download { display: inline-block; margin: 0.2em 1.2em 0.2em 0; }
</style>"""


def _preset_dropdown(lang: str, value: str) -> widgets.Dropdown:
    names = planner.preset_choices(_MAX_SECONDS_PER_RUN)
    if value not in names:
        names.append(value)
    dropdown = widgets.Dropdown(options=names, value=value, style=_LABEL_STYLE, layout=_WIDE,
                                description=t("planner.param.preset", lang))
    return dropdown.add_class("tyo-preset")


def default_coach_range(coaches: float) -> tuple[int, int]:
    """Coaches to try by default: from half today's number to twice it plus two."""
    c = max(1, int(round(coaches)))
    return max(1, c // 2), 2 * c + 2


# --- pathway explorer ----------------------------------------------------------------------


class PathwayExplorer(RunView):
    """Sliders for coaches, caseload cap, fidelity and IPS routing; waiting list over time."""

    def __init__(self, lang: str = "en", scenario: str = _DEFAULT_PRESET, replications: int = 5,
                 seed: int = 1) -> None:
        super().__init__(lang)
        self.seed = seed
        self.reps = None
        self.scenario: Scenario | None = None
        self.preset = _preset_dropdown(lang, scenario)
        self.coaches = widgets.IntSlider(min=1, max=30, description=self._t("planner.param.coaches"),
                                         continuous_update=False, style=_LABEL_STYLE, layout=_WIDE)
        self.caseload = widgets.IntSlider(min=5, max=30, description=self._t("planner.param.caseload"),
                                          continuous_update=False, style=_LABEL_STYLE, layout=_WIDE)
        self.fidelity = widgets.IntSlider(min=25, max=125, continuous_update=False,
                                          description=self._t("planner.param.fidelity"),
                                          style=_LABEL_STYLE, layout=_WIDE)
        self.ips_share = widgets.FloatSlider(min=0, max=1, step=0.01, readout_format=".0%",
                                             continuous_update=False, style=_LABEL_STYLE,
                                             layout=_WIDE, description=self._t("planner.param.ips_share"))
        self.replications = widgets.IntSlider(value=replications, min=2, max=20,
                                              continuous_update=False, style=_LABEL_STYLE,
                                              layout=_WIDE,
                                              description=self._t("planner.param.replications"))
        for name in ("coaches", "caseload", "fidelity", "ips_share", "replications"):
            getattr(self, name).add_class(f"tyo-{name.replace('_', '-')}")
        self.run_button = widgets.Button(description=self._t("planner.button.run"),
                                         button_style="primary", icon="play").add_class("tyo-run")
        self.buttons = (self.run_button,)
        self.table = widgets.HTML().add_class("tyo-kpi")
        self.plot = image_widget("tyo-series-plot")
        self.waits_plot = image_widget("tyo-waits-plot")
        self.preset.observe(lambda _: self.load_preset(), names="value")
        self.run_button.on_click(lambda _: self.run())
        self.children = [
            widgets.HTML(STYLE + f"<h3>{esc(self._t('planner.explorer.title'))}</h3>"
                         f"<p>{esc(self._t('planner.explorer.note'))}</p>"),
            self.preset, self.coaches, self.caseload, self.fidelity, self.ips_share,
            self.replications, widgets.HBox([self.run_button, self.progress]), self.status,
            captioned(self.plot, self.lang), self.table, captioned(self.waits_plot, self.lang),
        ]
        self.add_class("tyo-pathway-explorer")
        self.load_preset()

    def load_preset(self) -> None:
        """Reset the sliders to the chosen preset's values."""
        self.scenario = preset(self.preset.value)
        p = planner.key_parameters(self.scenario)
        self.coaches.max = max(30, int(3 * p["coaches"]))
        self.coaches.value = int(round(p["coaches"]))
        self.caseload.value = int(p["caseload_per_coach"])
        self.fidelity.value = int(p["fidelity_score"])
        self.ips_share.value = round(p["ips_share"], 2)
        self._say(self._t("planner.status.ready", button=self._t("planner.button.run")))

    def parameters(self) -> dict[str, float]:
        """Slider values; those the sliders only rounded keep the preset's exact values."""
        assert self.scenario is not None
        shown = {"coaches": self.coaches.value, "caseload_per_coach": self.caseload.value,
                 "fidelity_score": self.fidelity.value, "ips_share": self.ips_share.value}
        return planner.snap_to_base(self.scenario, shown, {"coaches": 0.5, "ips_share": 0.005})

    def edited(self) -> Scenario:
        """The preset with the slider values (validated)."""
        assert self.scenario is not None
        return planner.edited_scenario(self.scenario, self.parameters())

    def run(self) -> None:
        self._guarded(self._run)

    def _run(self) -> None:
        scenario = self.edited()
        n = self.replications.value
        self._say(self._t("planner.status.running", runs=n))
        reps, seconds, notes = self._timed(
            lambda: replicate(scenario, n, self.seed, jobs=1, progress=self._tick))
        self.reps = reps
        self.table.value = planner.kpi_table_html(
            planner.kpi_rows(reps, _EXPLORER_KPIS, self.lang), self.lang)
        show_figure(self.plot, plots.series_figure(reps, lang=self.lang))
        show_figure(self.waits_plot, plots.waits_figure(reps, self.lang))
        self._say(self._t("planner.status.done", name=scenario.name, runs=n,
                          seconds=planner.format_value(seconds, "", self.lang)), notes)


def pathway_explorer(lang: str = "en", scenario: str = _DEFAULT_PRESET,
                     replications: int = 5) -> PathwayExplorer:
    """Module 8: move the staffing sliders and watch the IPS waiting list grow or drain."""
    return PathwayExplorer(lang, scenario, replications)


# --- capacity dashboard -------------------------------------------------------------------


class CapacityDashboard(RunView):
    """Coordinators, a range of coaches and a target wait; finds the fewest coaches."""

    def __init__(self, lang: str = "en", scenario: str = _DEFAULT_PRESET, replications: int = 5,
                 seed: int = 1) -> None:
        super().__init__(lang)
        self.seed = seed
        self.result = None
        self.answer_data: dict[str, Any] | None = None
        self.scenario: Scenario | None = None
        self.preset = _preset_dropdown(lang, scenario)
        self.coordinators = widgets.FloatSlider(min=0.5, max=30, step=0.5, readout_format=".1f",
                                                continuous_update=False,
                                                description=self._t("planner.param.coordinators"),
                                                style=_LABEL_STYLE, layout=_WIDE)
        self.coaches = widgets.IntRangeSlider(min=1, max=30, continuous_update=False,
                                              description=self._t("planner.param.coach_range"),
                                              style=_LABEL_STYLE, layout=_WIDE)
        self.target = widgets.IntSlider(value=30, min=7, max=180, continuous_update=False,
                                        description=self._t("planner.param.target"),
                                        style=_LABEL_STYLE, layout=_WIDE)
        self.replications = widgets.IntSlider(value=replications, min=2, max=20,
                                              continuous_update=False, style=_LABEL_STYLE,
                                              layout=_WIDE,
                                              description=self._t("planner.param.replications"))
        for name in ("coordinators", "coaches", "target", "replications"):
            getattr(self, name).add_class(f"tyo-{name}")
        self.run_button = widgets.Button(description=self._t("planner.button.sweep"),
                                         button_style="primary", icon="search",
                                         layout=widgets.Layout(width="max-content"))
        self.run_button.add_class("tyo-run")
        self.buttons = (self.run_button,)
        self.answer = widgets.HTML().add_class("tyo-answer")
        self.table = widgets.HTML().add_class("tyo-sweep")
        self.plot = image_widget("tyo-capacity-plot")
        self.preset.observe(lambda _: self.load_preset(), names="value")
        self.run_button.on_click(lambda _: self.run())
        self.children = [
            widgets.HTML(STYLE + f"<h3>{esc(self._t('planner.dashboard.title'))}</h3>"),
            self.preset, self.coordinators, self.coaches, self.target, self.replications,
            widgets.HBox([self.run_button, self.progress]), self.status, self.answer,
            captioned(self.plot, self.lang), self.table,
        ]
        self.add_class("tyo-capacity-dashboard")
        self.load_preset()

    def load_preset(self) -> None:
        self.scenario = preset(self.preset.value)
        p = planner.key_parameters(self.scenario)
        self.coordinators.max = max(30.0, 3 * p["coordinators"])
        self.coordinators.value = p["coordinators"]
        coaches = int(round(p["coaches"]))
        self.coaches.max = max(30, 3 * coaches)
        self.coaches.value = default_coach_range(coaches)
        self._say(self._t("planner.status.ready", button=self._t("planner.button.sweep")))

    def run(self) -> None:
        self._guarded(self._run)

    def _run(self) -> None:
        assert self.scenario is not None
        scenario = planner.edited_scenario(self.scenario,
                                            {"coordinators": self.coordinators.value})
        values = planner.sweep_values(*self.coaches.value)
        n = self.replications.value
        target = f"{planner.SWEEP_KPI}<={self.target.value}"
        self._say(self._t("planner.status.running", runs=n * len(values)))
        result, seconds, notes = self._timed(lambda: min_staffing(
            scenario, "ips.coaches", values, target, n, self.seed, jobs=1,
            progress=self._tick, max_replications=refinement_cap(n)))
        self.result = result
        self.answer_data = planner.staffing_answer(result, self.lang)
        self.answer.value = (f"<p>{esc(self.answer_data['text'])}</p>"
                             f'<p class="tyo-note">{esc(self.answer_data["note"])}</p>')
        self.table.value = planner.sweep_table_html(planner.sweep_rows(result, self.lang),
                                                     self.lang)
        show_figure(self.plot, plots.capacity_figure(result, lang=self.lang))
        runs = n * len(result.points)
        self._say(self._t("planner.status.done", name=scenario.name, runs=runs,
                          seconds=planner.format_value(seconds, "", self.lang)), notes)


def capacity_dashboard(lang: str = "en", scenario: str = _DEFAULT_PRESET,
                       replications: int = 5) -> CapacityDashboard:
    """Module 8: the fewest coaches that meet a waiting-time target, with its capacity curve."""
    return CapacityDashboard(lang, scenario, replications)


# --- the module's picture and table ---------------------------------------------------------

#: The measures in module 8's table of presets.
PRESET_TABLE_KPIS = ("ips_wait_days.mean", "ips_started_within_30d_share", "coach_caseload_utilisation",
                     "ips_employed_within_365d_share")


def utilisation_picture(servers: int = 5, mean_days: float = 14, lang: str = "en") -> HTML:
    """Module 8: the mean wait against the share of places in use (Erlang C), with its alt text."""
    return HTML(figure_html(plots.utilisation_figure(servers=servers, mean_days=mean_days, lang=lang)))


def preset_table(names: Iterable[str], replications: int = 3, seed: int = 1, lang: str = "en") -> HTML:
    """Module 8: run each preset a few times; one row per preset with its coaches and key measures."""
    rows = []
    for name in names:
        scenario = preset(name)
        reps = replicate(scenario, replications=replications, seed=seed)
        coaches = scenario.ips.coaches
        row = {"name": name, "coaches": number(coaches, lang, 0 if coaches == int(coaches) else 1)}
        row.update({r["metric"]: planner.format_value(r["mean"], r["unit"], lang)
                    for r in planner.kpi_rows(reps, PRESET_TABLE_KPIS, lang)})
        rows.append(row)
    days = t("planner.unit.days", lang)
    columns = [("name", t("planner.param.preset", lang)), ("coaches", t("planner.param.coaches", lang))]
    columns += [(kpi, planner.kpi_label(kpi, lang) + (f" ({days})" if kpi.endswith(".mean") else ""))
                for kpi in PRESET_TABLE_KPIS]
    return HTML(planner.html_table(rows, columns, "tyo-kpi-table", row_key="name"))
