"""The planners' app (run under Voilà from ``course/app/planner.ipynb``): a thin view.

Choose a preset or upload a scenario YAML (scenario A), edit the key numbers (scenario B),
run replications with a progress bar, read the KPI table with 95 % confidence intervals and
the plots, compare A and B with paired differences, find the fewest coaches that meet a
waiting-time target, and download CSV, xlsx and the run record. English or Finnish.

All logic is in :mod:`sim.planner` and the figures (with their alt text) in :mod:`sim.plots`;
this module only wires widgets to them, on the :class:`sim.widgets.base.RunView` base. Key
elements carry stable ``tyo-*`` CSS classes (and the download links stable ids) for browser
tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from sim import planner, plots
from sim.experiment import compare, min_staffing, replicate
from sim.learning.text import LANGUAGES, check_language, number, t
from sim.scenario import Scenario, list_presets, preset
from sim.widgets.base import RunView, esc, image_widget, show_figure, show_png
from sim.widgets.capacity import STYLE, default_coach_range

__all__ = ["PlannerApp", "planner_app"]

_STYLE = {"description_width": "15em"}
_FIELD = widgets.Layout(width="30em")
_SLIDER = widgets.Layout(width="44em")
_BUTTON = widgets.Layout(width="max-content")


class PlannerApp(RunView):
    """The whole app; every control and output is an attribute (see the module docstring)."""

    def __init__(self, lang: str = "en", scenario: str = "varsinais-suomi",
                 replications: int = 10, seed: int = 1) -> None:
        super().__init__(lang)
        self._labels: list[Callable[[], None]] = []
        self.scenario_a: Scenario = preset(scenario)
        self.reps = None
        self.comparison = None
        self.comparison_rows: list[dict[str, Any]] = []
        self.sweep_result = None
        self.sweep_rows: list[dict[str, Any]] = []
        self.answer: dict[str, Any] | None = None

        self.lang_toggle = widgets.ToggleButtons(  # each language named in itself
            options=[(t("planner.language", code), code) for code in LANGUAGES], value=lang)
        self.lang_toggle.add_class("tyo-lang")
        self.header = widgets.HTML().add_class("tyo-header")
        self._label(self.header, "value", lambda: STYLE + f"<h2>{esc(self._t('planner.app.title'))}</h2>"
                    f"<p>{esc(self._t('planner.app.intro'))}</p>")

        # 1 scenario
        self.preset = widgets.Dropdown(options=list_presets(), value=scenario, style=_STYLE,
                                       layout=_FIELD).add_class("tyo-preset")
        self._label(self.preset, "description", "planner.param.preset")
        self.upload = widgets.FileUpload(accept=".yaml,.yml", multiple=False,
                                         layout=widgets.Layout(width="max-content"))
        self.upload.add_class("tyo-upload")
        self._label(self.upload, "description", "planner.button.upload")
        self.error = widgets.HTML(layout=widgets.Layout(display="none")).add_class("tyo-error")
        self.scenario_info = widgets.HTML().add_class("tyo-scenario-info")

        # 2 key numbers of B
        self.referrals = widgets.BoundedFloatText(min=0, max=10_000_000, step=10, style=_STYLE,
                                                  layout=_FIELD).add_class("tyo-referrals")
        self.coordinators = widgets.BoundedFloatText(min=0, max=100_000, step=0.5, style=_STYLE,
                                                     layout=_FIELD).add_class("tyo-coordinators")
        self.coaches = widgets.BoundedFloatText(min=0, max=100_000, step=1, style=_STYLE,
                                                layout=_FIELD).add_class("tyo-coaches")
        self.caseload = widgets.IntSlider(min=1, max=40, continuous_update=False, style=_STYLE,
                                          layout=_SLIDER).add_class("tyo-caseload")
        self.fidelity = widgets.IntSlider(min=25, max=125, continuous_update=False, style=_STYLE,
                                          layout=_SLIDER).add_class("tyo-fidelity")
        self.ips_share = widgets.FloatSlider(min=0, max=1, step=0.01, readout_format=".0%",
                                             continuous_update=False, style=_STYLE,
                                             layout=_SLIDER).add_class("tyo-ips-share")
        for control, key in ((self.referrals, "planner.param.referrals"),
                             (self.coordinators, "planner.param.coordinators"),
                             (self.coaches, "planner.param.coaches"),
                             (self.caseload, "planner.param.caseload"),
                             (self.fidelity, "planner.param.fidelity"),
                             (self.ips_share, "planner.param.ips_share")):
            self._label(control, "description", key)
        self.reset_button = widgets.Button(icon="undo", layout=_BUTTON).add_class("tyo-reset")
        self._label(self.reset_button, "description", "planner.button.reset")

        # 3 run
        self.replications = widgets.BoundedIntText(value=replications, min=2, max=200,
                                                   style=_STYLE, layout=_FIELD)
        self.replications.add_class("tyo-replications")
        self._label(self.replications, "description", "planner.param.replications")
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, style=_STYLE,
                                           layout=_FIELD).add_class("tyo-seed")
        self._label(self.seed, "description", "planner.param.seed")
        self.run_button = widgets.Button(button_style="primary", icon="play", layout=_BUTTON)
        self.run_button.add_class("tyo-run")
        self._label(self.run_button, "description", "planner.button.run")
        self.table = widgets.HTML().add_class("tyo-kpi")
        self.waits_plot = image_widget("tyo-waits-plot")
        self.series_plot = image_widget("tyo-series-plot")
        self.outcomes_plot = image_widget("tyo-outcomes-plot")

        # 4 compare
        self.compare_button = widgets.Button(icon="balance-scale", layout=_BUTTON)
        self.compare_button.add_class("tyo-compare")
        self._label(self.compare_button, "description", "planner.button.compare")
        self.compare_table = widgets.HTML().add_class("tyo-compare-result")
        self.compare_plot = image_widget("tyo-compare-plot")

        # 5 staffing
        self.sweep_coaches = widgets.IntRangeSlider(min=1, max=30, continuous_update=False,
                                                    style=_STYLE, layout=_SLIDER)
        self.sweep_coaches.add_class("tyo-sweep-coaches")
        self._label(self.sweep_coaches, "description", "planner.param.coach_range")
        self.sweep_target = widgets.BoundedIntText(value=30, min=1, max=3650, style=_STYLE,
                                                   layout=_FIELD).add_class("tyo-sweep-target")
        self._label(self.sweep_target, "description", "planner.param.target")
        self.sweep_button = widgets.Button(icon="search", layout=_BUTTON)
        self.sweep_button.add_class("tyo-sweep")
        self._label(self.sweep_button, "description", "planner.button.sweep")
        self.sweep_answer = widgets.HTML().add_class("tyo-answer")
        self.sweep_table = widgets.HTML().add_class("tyo-sweep-result")
        self.sweep_plot = image_widget("tyo-capacity-plot")

        # 6 downloads
        self.downloads = widgets.HTML().add_class("tyo-downloads")

        headings = {k: widgets.HTML() for k in ("scenario", "parameters", "run", "results",
                                                 "compare", "sweep", "downloads")}
        for key, heading in headings.items():
            self._label(heading, "value",
                        (lambda k: lambda: f"<h3>{esc(self._t('planner.head.' + k))}</h3>")(key))
        self.buttons = (self.run_button, self.compare_button, self.sweep_button,
                        self.reset_button)

        def section(name: str, *children: widgets.Widget) -> widgets.VBox:
            return widgets.VBox([headings[name], *children]).add_class("tyo-section").add_class(
                f"tyo-section-{name}")

        self.children = [
            widgets.HBox([self.lang_toggle]), self.header,
            section("scenario", self.preset, self.upload, self.error, self.scenario_info),
            section("parameters", self.referrals, self.coordinators, self.coaches, self.caseload,
                    self.fidelity, self.ips_share, self.reset_button),
            section("run", self.replications, self.seed,
                    widgets.HBox([self.run_button, self.progress]), self.status, headings["results"],
                    self.table, self.waits_plot, self.series_plot, self.outcomes_plot),
            section("compare", self.compare_button, self.compare_table, self.compare_plot),
            section("sweep", self.sweep_coaches, self.sweep_target, self.sweep_button,
                    self.sweep_answer, self.sweep_table, self.sweep_plot),
            section("downloads", self.downloads),
        ]
        self.add_class("tyo-app")

        self.lang_toggle.observe(lambda change: self.set_language(change["new"]), names="value")
        self.preset.observe(
            lambda change: self._guarded(lambda: self.use_preset(change["new"]), busy=False),
            names="value")
        self.upload.observe(lambda change: self._on_upload(change["new"]), names="value")
        self.reset_button.on_click(lambda _: self._guarded(self.reset_parameters, busy=False))
        self.run_button.on_click(lambda _: self._guarded(self.run))
        self.compare_button.on_click(lambda _: self._guarded(self.run_comparison))
        self.sweep_button.on_click(lambda _: self._guarded(self.run_sweep))
        self.set_language(lang)
        self.use_scenario(self.scenario_a)

    # -- labels and language ---------------------------------------------------------------

    def _label(self, widget: widgets.Widget, attribute: str, key: str | Callable[[], str]) -> None:
        """Register a label so that :meth:`set_language` can redraw it."""
        make = key if callable(key) else (lambda k=key: self._t(k))
        self._labels.append(lambda: setattr(widget, attribute, make()))

    def set_language(self, lang: str) -> None:
        """Redraw every label, table, answer and figure in ``lang`` (``"en"`` or ``"fi"``)."""
        check_language(lang)  # an unknown language fails here, before anything changes
        if self.lang_toggle.value != lang:
            self.lang_toggle.value = lang  # its observer calls back here with the new value
            return
        self.lang = lang
        for relabel in self._labels:
            relabel()
        self._show_scenario()
        self._render_results()
        self._render_comparison()
        self._render_sweep()
        self._render_downloads()
        if self._last_error:
            self._show_error(self._last_error)
        if self._last_done:
            self._done(*self._last_done)
        else:
            self._say(self._t("planner.status.ready", button=self._t("planner.button.run")))

    # -- scenario A and the edited B -------------------------------------------------------

    _ignore_preset = False

    def use_preset(self, name: str | None) -> None:
        if name is not None and not self._ignore_preset:
            self.use_scenario(preset(name))

    def _on_upload(self, value: Any) -> None:
        if not value:
            return
        try:
            self._guarded(lambda: self.use_scenario(planner.scenario_from_upload(value),
                                                    from_file=True), busy=False)
        finally:
            self.upload.value = ()  # so that the same file can be uploaded again after a fix

    def use_scenario(self, scenario: Scenario, from_file: bool = False) -> None:
        """Make ``scenario`` the new A (and B); earlier results no longer apply."""
        self.scenario_a = scenario
        if from_file:  # no preset is selected now, so any preset can be chosen again
            self._ignore_preset = True
            self.preset.index = None
            self._ignore_preset = False
        self._hide_error()
        self.reps = self.comparison = self.sweep_result = self.answer = self._last_done = None
        self.comparison_rows, self.sweep_rows = [], []
        self.reset_parameters()
        coaches = max(1, int(round(self.coaches.value)))
        self.sweep_coaches.max = max(30, 3 * coaches)
        self.sweep_coaches.value = default_coach_range(coaches)
        for output in (self.table, self.compare_table, self.sweep_answer, self.sweep_table):
            output.value = ""
        for image in (self.waits_plot, self.series_plot, self.outcomes_plot, self.compare_plot,
                      self.sweep_plot):
            show_png(image, b"")
        self.progress.value = 0
        self._show_scenario()
        self._render_downloads()
        self._say(self._t("planner.status.loaded", name=scenario.name) + " "
                  + self._t("planner.status.ready", button=self._t("planner.button.run")))

    def reset_parameters(self) -> None:
        """Put A's values back into the edit fields."""
        p = planner.key_parameters(self.scenario_a)
        self.referrals.value = round(p["referrals_per_year"], 3)
        self.coordinators.value = p["coordinators"]
        self.coaches.value = p["coaches"]
        self.caseload.max = max(40, int(p["caseload_per_coach"]))
        self.caseload.value = int(p["caseload_per_coach"])
        self.fidelity.value = int(p["fidelity_score"])
        self.ips_share.value = round(p["ips_share"], 2)

    def parameters(self) -> dict[str, float]:
        """The edited key numbers; fields left as shown give back A's exact values."""
        shown = {"referrals_per_year": self.referrals.value, "coordinators": self.coordinators.value,
                 "coaches": self.coaches.value, "caseload_per_coach": self.caseload.value,
                 "fidelity_score": self.fidelity.value, "ips_share": self.ips_share.value}
        return planner.snap_to_base(self.scenario_a, shown,
                                     {"referrals_per_year": 1e-3, "ips_share": 0.005})

    @property
    def scenario_b(self) -> Scenario:
        """A with the edited key numbers (validated; raises ScenarioError)."""
        return planner.edited_scenario(self.scenario_a, self.parameters())

    def _show_scenario(self) -> None:
        s = self.scenario_a
        lang = self.lang
        summary = self._t("planner.scenario.summary", name=s.name,
                          referrals=planner.format_value(s.arrivals.per_year, "", lang),
                          coordinators=plots.amount(s.assessment.coordinators, lang),
                          coaches=plots.amount(s.ips.coaches, lang),
                          caseload=plots.amount(s.ips.caseload_per_coach, lang),
                          days=plots.amount(s.horizon_days, lang))
        desc = f"<br><em>{esc(s.description)}</em>" if s.description else ""
        self.scenario_info.value = f"<p>{esc(summary)}{desc}</p>"

    # -- errors -----------------------------------------------------------------------------

    _last_error = ""

    def _show_error(self, message: str) -> None:
        self._last_error = message
        self.error.value = (f"<b>{esc(self._t('planner.error.title'))}</b><pre>{esc(message)}</pre>"
                            f"<p>{esc(self._t('planner.error.kept', name=self.scenario_a.name))}</p>")
        self.error.layout.display = None

    def _hide_error(self) -> None:
        self._last_error = ""
        self.error.value = ""
        self.error.layout.display = "none"

    def _announce(self, runs: int, scenario: Scenario) -> None:
        message = self._t("planner.status.running", runs=runs)
        seconds = planner.estimated_seconds(scenario, runs)
        if seconds > 20:
            message += " " + self._t("planner.status.estimate", seconds=number(seconds, self.lang))
        self._say(message)

    _last_done: tuple | None = None

    def _done(self, name: str, runs: int, seconds: float, notes: list[str]) -> None:
        self._last_done = (name, runs, seconds, notes)
        self._say(self._t("planner.status.done", name=name, runs=runs,
                          seconds=planner.format_value(seconds, "", self.lang)), notes)

    # -- actions ----------------------------------------------------------------------------

    def run(self) -> None:
        """Replications of B: KPI table, plots and downloads."""
        b = self.scenario_b
        n = self.replications.value
        self._announce(n, b)
        reps, seconds, notes = self._timed(
            lambda: replicate(b, n, self.seed.value, jobs=1, progress=self._tick))
        self.reps = reps
        self._render_results()
        self._render_downloads()
        self._done(b.name, n, seconds, notes)

    def run_comparison(self) -> None:
        """A and B with the same seeds; paired differences."""
        a, b = self.scenario_a, self.scenario_b
        n = self.replications.value
        self._announce(2 * n, b)
        cmp, seconds, notes = self._timed(
            lambda: compare(a, {"B": b}, n, self.seed.value, jobs=1, progress=self._tick))
        self.comparison = cmp
        self._render_comparison()
        self._render_downloads()
        self._done(f"A/B {a.name}", 2 * n, seconds, notes)

    def run_sweep(self) -> None:
        """The fewest coaches (over the chosen range) that meet the target for B."""
        b = self.scenario_b
        n = self.replications.value
        values = planner.sweep_values(*self.sweep_coaches.value)
        target = f"{planner.SWEEP_KPI}<={self.sweep_target.value}"
        self._announce(n * len(values), b)
        result, seconds, notes = self._timed(lambda: min_staffing(
            b, "ips.coaches", values, target, n, self.seed.value, jobs=1, progress=self._tick))
        self.sweep_result = result
        self._render_sweep()
        self._render_downloads()
        self._done(b.name, n * len(result.points), seconds, notes)

    # -- rendering from stored results ----------------------------------------------------

    def _render_results(self) -> None:
        if self.reps is None:
            return
        rows = planner.kpi_rows(self.reps, lang=self.lang)
        self.table.value = planner.kpi_table_html(rows, self.lang)
        show_figure(self.waits_plot, plots.waits_figure(self.reps, self.lang))
        show_figure(self.series_plot, plots.series_figure(self.reps, lang=self.lang))
        show_figure(self.outcomes_plot, plots.outcomes_figure(self.reps, self.lang))

    def _render_comparison(self) -> None:
        if self.comparison is None:
            return
        self.comparison_rows = planner.comparison_rows(self.comparison, lang=self.lang)
        self.compare_table.value = planner.comparison_table_html(self.comparison_rows, self.lang)
        rows = self.comparison.rows([planner.SWEEP_KPI])
        show_figure(self.compare_plot, plots.comparison_figure(rows, planner.SWEEP_KPI, self.lang))

    def _render_sweep(self) -> None:
        if self.sweep_result is None:
            return
        self.answer = planner.staffing_answer(self.sweep_result, self.lang)
        self.sweep_answer.value = (f"<p>{esc(self.answer['text'])}</p>"
                                   f'<p class="tyo-note">{esc(self.answer["note"])}</p>')
        self.sweep_rows = planner.sweep_rows(self.sweep_result, self.lang)
        self.sweep_table.value = planner.sweep_table_html(self.sweep_rows, self.lang)
        show_figure(self.sweep_plot, plots.capacity_figure(self.sweep_result, lang=self.lang))

    def _render_downloads(self) -> None:
        files = planner.run_downloads(self.reps, self.comparison_rows or None,
                                       self.sweep_rows or None)
        self.download_files = {name: data for _, name, data, _ in files}
        self.downloads.value = planner.downloads_html(files, self.lang)


def planner_app(lang: str = "en", scenario: str = "varsinais-suomi", replications: int = 10,
                seed: int = 1) -> PlannerApp:
    """The planners' app: scenario, key numbers, run, compare, staffing and downloads."""
    return PlannerApp(lang, scenario, replications, seed)
