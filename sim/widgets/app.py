"""The planners' app (run under Voilà from ``course/app/planner.ipynb``): a thin view.

Choose a preset (named and described in both languages) or upload a scenario YAML (scenario
A), put in the county's own numbers (scenario B) in explained groups — referrals by source,
staff and caseloads, routing (for each client profile, the per cent of the team's decisions
that go to each pathway; the IPS slider moves every profile at once; rows that do not add up
to 100 % get the scenario loader's message), mean durations — and save them as a commented
YAML file that the upload reads back (:mod:`sim.template`; the commented template too), run
replications with a progress bar, read the KPI table with 95 % confidence intervals (each
"–" numbered, its reason under the table) and the plots, compare
A and B with paired differences, find the fewest coaches that meet a waiting-time target, and
download CSV, xlsx and the run record. English or Finnish.

The county's numbers can also be fitted from its own data (:mod:`sim.fit`): an uploaded
referrals CSV sets B's referral rates by source (matched by name or by the source's label in
either language; sources new to the scenario are added, those not in the file kept) and its
seasonality, a durations CSV the distribution of the stage chosen; a file that cannot be fitted
shows the fit's one-line message and leaves B as it was (the upload's bytes are read as a file
is: :func:`sim.fit.read_data`). The overload warnings of B
(:func:`sim.experiment.stability_checks`) are shown before a run and the results' own
(:func:`sim.experiment.result_checks`) under every result: the run, the comparison (A and B)
and the staffing answer, all in the app's language (:func:`sim.report.warning_texts`). The
decision brief (:mod:`sim.brief`) of the latest results — the run, the comparison or the
staffing search — downloads as HTML and PDF in the app's language. Presets are listed by their
human names (the preset id stays the dropdown's value).

Accessibility: every input has a visible label and a help line; plots have captions that
follow their alt text; :data:`A11Y_SCRIPT` (shown once by the app) sets the page's
``<html lang>``, copies the captions into the images' ``alt``, names sliders, ties help lines
to inputs and scrolls new results into view; the app's CSS draws a focus ring and download
links as buttons.

All logic is in :mod:`sim.planner` and the figures (with their alt text) in :mod:`sim.plots`;
this module only wires widgets to them, on the :class:`sim.widgets.base.RunView` base. Key
elements carry stable ``tyo-*`` CSS classes (and the download links stable ids) for browser
tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import HTML

from sim import planner, plots, template
from sim.brief import brief_files, build_brief
from sim.experiment import (
    compare,
    min_staffing,
    refinement_cap,
    replicate,
    result_checks,
    stability_checks,
)
from sim.learning.text import LANGUAGES, check_language, number, percent, t
from sim.report import warning_texts
from sim.scenario import MAX_DURATION_DAYS, PATHWAYS, Scenario, list_presets, preset
from sim.widgets.base import Picture, RunView, captioned, esc, image_widget, show_figure, show_png
from sim.widgets.capacity import STYLE, default_coach_range

__all__ = ["PlannerApp", "planner_app", "A11Y_SCRIPT"]

_STYLE = {"description_width": "20em"}  # "Odotuksen tavoite, 90. persentiili (pv)" fits
_WIDE_STYLE = {"description_width": "26em"}  # the county's numbers: long, plain labels
_FIELD = widgets.Layout(width="35em")
_WIDE_FIELD = widgets.Layout(width="40em")
_WIDE_SLIDER = widgets.Layout(width="54em")
_SLIDER = widgets.Layout(width="49em")
_BUTTON = widgets.Layout(width="max-content")
_ROUTE_STYLE = {"description_width": "15em"}  # routing: "Kuntouttava työtoiminta (%)"
_ROUTE_FIELD = widgets.Layout(width="22em")
_ROUTE_GRID = widgets.Layout(grid_template_columns="repeat(auto-fill, minmax(23em, 1fr))",
                             width="72em", max_width="100%")
#: Labels of the client profiles the presets use; another profile is shown by its name.
_PROFILE_KEYS = {"mental_health": "routing.profile.mental_health",
                 "long_term_unemployment": "routing.profile.long_term_unemployment",
                 "physical_health": "routing.profile.physical_health",
                 "young_neet": "routing.profile.young_neet", "default": "routing.profile.default"}
#: Labels of the team's decisions; a pathway registered in code is shown by its name.
_PATHWAY_KEYS = {"ips": "routing.pathway.ips", "stepwise": "routing.pathway.stepwise",
                 "vocational": "routing.pathway.vocational",
                 "education": "routing.pathway.education", "pension": "routing.pathway.pension",
                 "other": "routing.pathway.other"}

#: Labels of the referral sources the presets use; a source of an uploaded file that is not
#: here is shown by its name in the file.
_SOURCE_KEYS = {"sote_centre": "planner.source.sote_centre",
                "social_services": "planner.source.social_services",
                "employment_services": "planner.source.employment_services",
                "kela": "planner.source.kela", "ohjaamo": "planner.source.ohjaamo",
                "psychiatric_care": "planner.source.psychiatric_care",
                "employment_experiment": "planner.source.employment_experiment"}
#: The main stages' mean durations (sim.template.DURATIONS): label and help text.
_DURATION_KEYS = {
    "assessment.duration": ("planner.param.dur_assessment", "planner.help.dur_assessment"),
    "ips.days_to_job": ("planner.param.dur_days_to_job", "planner.help.dur_days_to_job"),
    "ips.job_tenure": ("planner.param.dur_job_tenure", "planner.help.dur_job_tenure"),
    "stepwise.duration": ("planner.param.dur_stepwise", "planner.help.dur_stepwise"),
    "vocational.wait": ("planner.param.dur_vocational_wait", "planner.help.dur_vocational_wait"),
    "vocational.duration": ("planner.param.dur_vocational", "planner.help.dur_vocational")}
#: Each preset's human name and a sentence about it, in both languages.
_PRESET_KEYS = {
    "varsinais-suomi": ("planner.preset.varsinais_suomi", "planner.preset.varsinais_suomi_about"),
    "keski-suomi": ("planner.preset.keski_suomi", "planner.preset.keski_suomi_about"),
    "pohjois-savo-pilot": ("planner.preset.pohjois_savo_pilot",
                           "planner.preset.pohjois_savo_pilot_about"),
    "national": ("planner.preset.national", "planner.preset.national_about")}

#: The app's own CSS: a visible focus ring, download links drawn as buttons, help lines.
_APP_STYLE = """<style>
.tyo-app.tyo-app :focus-visible, .tyo-app.tyo-app.tyo-app input:focus-visible,
.tyo-app.tyo-app.tyo-app select:focus-visible, .tyo-app.tyo-app.tyo-app .noUi-handle:focus-visible {
  outline: 3px solid #1a5fb4 !important; outline-offset: 2px; }
.tyo-app a.tyo-download { display: inline-block; margin: 0.25em 0.8em 0.25em 0; padding: 0.4em 0.9em;
  border: 1px solid #1a5fb4; border-radius: 4px; background: #e8f0fb; color: #0b3d91;
  font-weight: 600; text-decoration: none; }
.tyo-app a.tyo-download:hover { background: #d0e2f7; }
.tyo-app a.tyo-download code { font-weight: normal; background: none; }
.tyo-group { border-left: 4px solid #d0d7de; padding-left: 0.7em; margin: 0.4em 0; }
.tyo-group h4 { margin: 0.3em 0 0.1em 0; }
.tyo-help-text { color: #444; font-size: 0.9em; margin: 0 0 0.35em 1em; }
</style>"""

A11Y_SCRIPT = """<script>
/* The planners' app (sim/widgets/app.py): what ipywidgets cannot say itself. It runs in the
   page once and follows every change: the page's language (<html lang>, from the app's
   tyo-lang-* class), each plot's alt text (from its caption), each input's accessible name
   (its widget label; a routing share's is prefixed by its profile) and help text
   (aria-describedby), and results scrolled into view after a run (a new data-token in a
   tyo-scroll-target). */
(function () {
  if (window.tyoPlannerA11y) { return; }
  window.tyoPlannerA11y = true;
  function sync() {
    var app = document.querySelector('.tyo-app');
    if (!app) { return; }
    var lang = app.classList.contains('tyo-lang-fi') ? 'fi' : 'en';
    if (document.documentElement.lang !== lang) { document.documentElement.lang = lang; }
    app.querySelectorAll('.tyo-figure').forEach(function (fig) {
      var img = fig.querySelector('img');
      var cap = fig.querySelector('.tyo-alt-text');
      var alt = cap ? cap.getAttribute('data-alt') : '';
      if (img && img.getAttribute('alt') !== alt) { img.setAttribute('alt', alt); }
    });
    app.querySelectorAll('.widget-label').forEach(function (label) {
      var box = label.parentElement;
      var name = label.textContent.trim();
      if (!box || !name) { return; }
      var group = box.closest('.tyo-route-profile');  /* routing: "<profile>: <pathway> (%)" */
      var head = group ? group.querySelector('.tyo-route-head') : null;
      if (head) { name = head.textContent.trim() + ': ' + name; }
      box.querySelectorAll('input:not([type=file]), select, textarea, [role=slider]')
        .forEach(function (el) {
          if (el.getAttribute('aria-label') !== name) { el.setAttribute('aria-label', name); }
        });
    });
    app.querySelectorAll('.tyo-field').forEach(function (row) {
      var help = row.querySelector('.tyo-help-text');
      if (!help || !help.id) { return; }
      row.querySelectorAll('input, select, [role=slider]').forEach(function (el) {
        if (el.getAttribute('aria-describedby') !== help.id) {
          el.setAttribute('aria-describedby', help.id);
        }
      });
    });
    app.querySelectorAll('.tyo-scroll-target').forEach(function (target) {
      var mark = target.querySelector('[data-token]');
      var token = mark ? mark.getAttribute('data-token') : '';
      if (token && target.getAttribute('data-seen') !== token) {
        target.setAttribute('data-seen', token);
        target.scrollIntoView({behavior: 'smooth', block: 'start'});
      }
    });
  }
  var queued = false;
  new MutationObserver(function () {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; sync(); });
  }).observe(document.body, {childList: true, subtree: true, attributes: true,
                              characterData: true});
  sync();
})();
</script>"""
_HELP_IDS = itertools.count(1)


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
        self._label(self.lang_toggle, "description", "planner.param.language")
        self.header = widgets.HTML().add_class("tyo-header")
        self._label(self.header, "value", lambda: STYLE + _APP_STYLE
                    + f"<h2>{esc(self._t('planner.app.title'))}</h2>"
                    f"<p>{esc(self._t('planner.app.intro'))}</p>")

        # 1 scenario
        # options are (human name, preset id) pairs: code and tests set the id as the value
        self.preset = widgets.Dropdown(options=[(name, name) for name in list_presets()],
                                       value=scenario, style=_STYLE,
                                       layout=_FIELD).add_class("tyo-preset")
        self._label(self.preset, "description", "planner.param.preset")
        self.upload = widgets.FileUpload(accept=".yaml,.yml", multiple=False,
                                         layout=widgets.Layout(width="max-content"))
        self.upload.add_class("tyo-upload")
        self._label(self.upload, "description", "planner.button.upload")
        self.preset_about = widgets.HTML().add_class("tyo-preset-about")
        self.error = widgets.HTML(layout=widgets.Layout(display="none")).add_class("tyo-error")
        self.scenario_info = widgets.HTML().add_class("tyo-scenario-info")

        # 2 key numbers of B
        wide = {"style": _WIDE_STYLE, "layout": _WIDE_FIELD}
        slider = {"style": _WIDE_STYLE, "layout": _WIDE_SLIDER, "continuous_update": False}
        self.referrals = widgets.BoundedFloatText(min=0, max=10_000_000, step=10,
                                                  **wide).add_class("tyo-referrals")
        self.coordinators = widgets.BoundedFloatText(min=0, max=100_000, step=0.5,
                                                     **wide).add_class("tyo-coordinators")
        self.coaches = widgets.BoundedFloatText(min=0, max=100_000, step=1,
                                                **wide).add_class("tyo-coaches")
        self.caseload = widgets.IntSlider(min=1, max=40, **slider).add_class("tyo-caseload")
        self.fidelity = widgets.IntSlider(min=25, max=125, **slider).add_class("tyo-fidelity")
        self.ips_share = widgets.FloatSlider(min=0, max=1, step=0.01, readout_format=".0%",
                                             **slider).add_class("tyo-ips-share")
        for control, key in ((self.referrals, "planner.param.referrals"),
                             (self.coordinators, "planner.param.coordinators"),
                             (self.coaches, "planner.param.coaches"),
                             (self.caseload, "planner.param.caseload"),
                             (self.fidelity, "planner.param.fidelity"),
                             (self.ips_share, "planner.param.ips_share")):
            self._label(control, "description", key)
        self.reset_button = widgets.Button(icon="undo", layout=_BUTTON).add_class("tyo-reset")
        self._label(self.reset_button, "description", "planner.button.reset")
        # ... and the rest of a county's numbers: referrals by source, mean durations
        self._syncing = False
        self.sources: dict[str, widgets.BoundedFloatText] = {}
        self.source_box = widgets.VBox().add_class("tyo-sources")
        self.durations: dict[str, widgets.BoundedFloatText] = {}
        for path, (label, _) in _DURATION_KEYS.items():
            box = widgets.BoundedFloatText(min=0, max=MAX_DURATION_DAYS, step=1,
                                           style=_WIDE_STYLE, layout=_WIDE_FIELD)
            box.add_class("tyo-duration").add_class("tyo-dur-" + _css(path))
            self._label(box, "description", label)
            self.durations[path] = box
        # ... and routing: for each client profile, its share of team decisions by pathway (%)
        self.routes: dict[tuple[str, str], widgets.BoundedFloatText] = {}
        self.routing_box = widgets.VBox().add_class("tyo-routing")
        self.scenario_downloads = widgets.HTML().add_class("tyo-scenario-downloads")
        self.saved_scenario: Scenario | None = None
        self.scenario_files: dict[str, bytes] = {}
        # ... or fitted from the county's own data (sim.fit): referrals, or one stage's durations
        self.fit_referrals = widgets.FileUpload(accept=".csv,.txt", multiple=False, layout=_BUTTON)
        self.fit_referrals.add_class("tyo-fit-referrals")
        self._label(self.fit_referrals, "description", "planner.button.fit_referrals")
        self.fit_field = widgets.Dropdown(value="stepwise.duration", style=_WIDE_STYLE,
                                          layout=_WIDE_SLIDER, options=list(_DURATION_KEYS))
        self.fit_field.add_class("tyo-fit-field")
        self._label(self.fit_field, "description", "planner.param.fit_field")
        self.fit_durations = widgets.FileUpload(accept=".csv,.txt", multiple=False, layout=_BUTTON)
        self.fit_durations.add_class("tyo-fit-durations")
        self._label(self.fit_durations, "description", "planner.button.fit_durations")
        self.fit_error = widgets.HTML(layout=widgets.Layout(display="none")).add_class(
            "tyo-fit-error")
        self.fit_report = widgets.HTML().add_class("tyo-fit-report")
        self.fit_plot = image_widget("tyo-fit-plot")
        self.fit_result: Any = None  # the latest sim.fit.ReferralFit or DurationFit (its figure)
        self._fit_said: dict[str, tuple[Any, dict[str, Any]]] = {}  # kind -> (fit, put into B)
        self._clear_fits()

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
        self.warnings_before = widgets.HTML().add_class("tyo-warnings-before")
        self.warnings_after = widgets.HTML().add_class("tyo-warnings-after")
        self.results_mark = widgets.HTML().add_class("tyo-scroll-target")
        self.waits_plot = image_widget("tyo-waits-plot")
        self.series_plot = image_widget("tyo-series-plot")
        self.outcomes_plot = image_widget("tyo-outcomes-plot")

        # 4 compare
        self.compare_button = widgets.Button(icon="balance-scale", layout=_BUTTON)
        self.compare_button.add_class("tyo-compare")
        self._label(self.compare_button, "description", "planner.button.compare")
        self.compare_mark = widgets.HTML().add_class("tyo-scroll-target")
        self.compare_table = widgets.HTML().add_class("tyo-compare-result")
        self.warnings_compare = widgets.HTML().add_class("tyo-warnings-compare")
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
        self.sweep_mark = widgets.HTML().add_class("tyo-scroll-target")
        self.sweep_answer = widgets.HTML().add_class("tyo-answer")
        self.sweep_table = widgets.HTML().add_class("tyo-sweep-result")
        self.warnings_sweep = widgets.HTML().add_class("tyo-warnings-sweep")
        self.sweep_plot = image_widget("tyo-capacity-plot")

        # 6 downloads
        self.downloads = widgets.HTML().add_class("tyo-downloads")

        # 7 decision brief (sim.brief) of the latest results
        self.brief_question = widgets.Text(style=_STYLE, layout=_WIDE_FIELD)
        self.brief_question.add_class("tyo-brief-question")
        self._label(self.brief_question, "description", "planner.param.question")
        self.brief_button = widgets.Button(icon="file-text", layout=_BUTTON).add_class("tyo-brief")
        self._label(self.brief_button, "description", "planner.button.brief")
        self.brief_links = widgets.HTML().add_class("tyo-brief-downloads")
        self.brief_files: dict[str, bytes] = {}
        self._latest: str | None = None  # "run", "compare" or "sweep": the brief's results
        self._brief_about: tuple[str, str] | None = None  # (kind, name) of the brief built
        self._brief_stale = False

        # the page's language, live alt text, input names, scrolling (see A11Y_SCRIPT)
        self.script = widgets.Output(layout=widgets.Layout(height="0px", overflow="hidden"))
        self.script.add_class("tyo-script")
        self.script.append_display_data(HTML(A11Y_SCRIPT))
        self.captions: list[tuple[Picture, widgets.HTML]] = []
        self._runs = itertools.count(1)

        headings = {k: widgets.HTML() for k in ("scenario", "parameters", "run", "results",
                                                 "compare", "sweep", "downloads", "save", "brief")}
        for key, heading in headings.items():
            self._label(heading, "value",
                        (lambda k: lambda: f"<h3>{esc(self._t('planner.head.' + k))}</h3>")(key))
        self.buttons = (self.run_button, self.compare_button, self.sweep_button,
                        self.reset_button, self.brief_button)
        # figures first, in this order (captions[:3] are the run's)
        figures = {p: self._figure(p) for p in (self.waits_plot, self.series_plot,
                                                  self.outcomes_plot, self.compare_plot,
                                                  self.sweep_plot, self.fit_plot)}

        def section(name: str, *children: widgets.Widget) -> widgets.VBox:
            return widgets.VBox([headings[name], *children]).add_class("tyo-section").add_class(
                f"tyo-section-{name}")

        def group(title: str, intro: str, *rows: widgets.Widget) -> widgets.VBox:
            head = widgets.HTML()
            self._label(head, "value", lambda: f"<h4>{esc(self._t(title))}</h4>"
                        f'<p class="tyo-note">{esc(self._t(intro))}</p>')
            return widgets.VBox([head, *rows]).add_class("tyo-group")

        self.groups = {
            "referrals": group("planner.group.referrals", "planner.group.referrals_help",
                               self._field(self.referrals, "planner.help.referrals"),
                               self.source_box),
            "staff": group("planner.group.staff", "planner.group.staff_help",
                           self._field(self.coordinators, "planner.help.coordinators"),
                           self._field(self.coaches, "planner.help.coaches"),
                           self._field(self.caseload, "planner.help.caseload"),
                           self._field(self.fidelity, "planner.help.fidelity")),
            "routing": group("planner.group.routing", "planner.group.routing_help",
                             self._field(self.ips_share, "planner.help.ips_share"),
                             self._intro("routing.note"), self.routing_box),
            "durations": group("planner.group.durations", "planner.group.durations_help",
                               *(self._field(self.durations[path], help_key)
                                 for path, (_, help_key) in _DURATION_KEYS.items())),
            "fit": group("planner.group.fit", "planner.group.fit_help", self.fit_referrals,
                         self._field(self.fit_field, "planner.help.fit_field"), self.fit_durations,
                         self.fit_error, self.fit_report, figures[self.fit_plot]),
        }
        for name, box in self.groups.items():
            box.add_class(f"tyo-group-{name}")

        self.children = [
            widgets.HBox([self.lang_toggle]), self.header,
            section("scenario", self.preset, self.preset_about, self.upload, self.error,
                    self.scenario_info),
            section("parameters", *self.groups.values(), self.reset_button, headings["save"],
                    self.scenario_downloads),
            section("run", self.replications, self.seed, self.warnings_before,
                    widgets.HBox([self.run_button, self.progress]), self.status,
                    self.results_mark, headings["results"], self.table, self.warnings_after,
                    figures[self.waits_plot], figures[self.series_plot],
                    figures[self.outcomes_plot]),
            section("compare", self.compare_button, self.compare_mark, self.compare_table,
                    self.warnings_compare, figures[self.compare_plot]),
            section("sweep", self.sweep_coaches, self.sweep_target, self.sweep_button,
                    self.sweep_mark, self.sweep_answer, self.sweep_table, self.warnings_sweep,
                    figures[self.sweep_plot]),
            section("downloads", self.downloads),
            section("brief", self._intro("planner.brief.intro"),
                    self._field(self.brief_question, "planner.help.question"), self.brief_button,
                    self.brief_links),
            self.script,
        ]
        self.add_class("tyo-app")

        self.lang_toggle.observe(lambda change: self.set_language(change["new"]), names="value")
        self.preset.observe(  # not while relabelling (that would hide an error shown)
            lambda change: None if self._ignore_preset else self._guarded(
                lambda: self.use_preset(change["new"]), busy=False), names="value")
        self.upload.observe(lambda change: self._on_upload(change["new"]), names="value")
        for kind, control in (("referrals", self.fit_referrals), ("durations", self.fit_durations)):
            control.observe((lambda k, c: lambda change: self._on_fit_upload(k, c, change["new"]))(
                kind, control), names="value")
        self.brief_button.on_click(lambda _: self._guarded(self.make_brief))
        self.reset_button.on_click(lambda _: self._guarded(self.reset_parameters, busy=False))
        self.referrals.observe(self._on_total, names="value")
        self.ips_share.observe(self._on_ips_share, names="value")
        for control in (self.coordinators, self.coaches, self.caseload, self.fidelity,
                        *self.durations.values()):
            control.observe(lambda _: self._render_scenario_downloads(), names="value")
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

    def _field(self, control: widgets.Widget, help_key: str) -> widgets.VBox:
        """An input with its help text below it (tied to it by aria-describedby in the page)."""
        help_text = widgets.HTML()
        help_id = f"tyo-help-{next(_HELP_IDS)}"
        self._label(help_text, "value", lambda: f'<div class="tyo-help-text" id="{help_id}">'
                    f"{esc(self._t(help_key))}</div>")
        return widgets.VBox([control, help_text]).add_class("tyo-field")

    def _figure(self, picture: Picture) -> widgets.VBox:
        """A plot with a caption that follows its alt text and the app's language (the page copies
        it to the img; see A11Y_SCRIPT)."""
        figure = captioned(picture, lambda: self.lang, box_class="tyo-figure", caption_class="tyo-alt",
                           alt_on_page=True)
        self._labels.append(figure.redraw)
        self.captions.append((picture, figure.caption))
        return figure

    def _intro(self, key: str) -> widgets.HTML:
        """A note in the app's language (redrawn on a language switch)."""
        note = widgets.HTML()
        self._label(note, "value", lambda: f'<p class="tyo-note">{esc(self._t(key))}</p>')
        return note

    def _mark(self, target: widgets.HTML) -> None:
        """A new token: the page scrolls ``target`` (just above the new results) into view."""
        target.value = f'<span data-token="{next(self._runs)}"></span>'

    def set_language(self, lang: str) -> None:
        """Redraw every label, table, answer and figure in ``lang`` (``"en"`` or ``"fi"``)."""
        check_language(lang)  # an unknown language fails here, before anything changes
        if self.lang_toggle.value != lang:
            self.lang_toggle.value = lang  # its observer calls back here with the new value
            return
        self.lang = lang
        for code in LANGUAGES:
            self.remove_class(f"tyo-lang-{code}")
        self.add_class(f"tyo-lang-{lang}")  # the page's <html lang> follows (A11Y_SCRIPT)
        for relabel in self._labels:
            relabel()
        self._label_sources()
        self._label_routing()
        self._label_presets()
        self._label_fit_field()
        self._render_fit()
        if self.brief_files:  # the brief is in the language it was made in: make it again
            self._clear_brief()
        self._render_brief()
        self._render_scenario_downloads()
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
        self._latest = None
        self._clear_brief(stale=False)
        self._render_brief()
        self.reset_parameters()
        coaches = max(1, int(round(self.coaches.value)))
        self.sweep_coaches.max = max(30, 3 * coaches)
        self.sweep_coaches.value = default_coach_range(coaches)
        for output in (self.table, self.compare_table, self.sweep_answer, self.sweep_table,
                       self.warnings_after, self.warnings_compare, self.warnings_sweep):
            output.value = ""
        for image in (self.waits_plot, self.series_plot, self.outcomes_plot, self.compare_plot,
                      self.sweep_plot):
            show_png(image, b"")
        self.progress.value = 0
        self._show_scenario()
        self._render_downloads()
        self._say(self._t("planner.status.loaded", name=scenario.name) + " "
                  + self._t("planner.status.ready", button=self._t("planner.button.run")))

    @contextlib.contextmanager
    def _sync(self) -> Iterator[None]:
        """Set fields from code without their observers reacting to each change."""
        before, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = before

    def reset_parameters(self) -> None:
        """Put A's values back into the edit fields."""
        p = planner.key_parameters(self.scenario_a)
        self._clear_fits()
        self._render_fit()
        with self._sync():
            self.referrals.value = round(p["referrals_per_year"], 3)
            self.coordinators.value = p["coordinators"]
            self.coaches.value = p["coaches"]
            self.caseload.max = max(40, int(p["caseload_per_coach"]))
            self.caseload.value = int(p["caseload_per_coach"])
            self.fidelity.value = int(p["fidelity_score"])
            self.ips_share.value = round(p["ips_share"], 2)
            self._build_sources()
            self._build_routing()
            for source in self.scenario_a.arrivals.sources:
                self.sources[source.name].value = source.per_year
            for path, mean in template.duration_means(self.scenario_a).items():
                self.durations[path].value = mean
        self._render_scenario_downloads()

    def _build_sources(self, names: list[str] | None = None) -> None:
        """One referrals field per source of A, or per name of ``names`` (A's and those a
        fit added); rebuilt when the names change."""
        names = names or [s.name for s in self.scenario_a.arrivals.sources]
        if names == list(self.sources):
            return
        self.sources, rows = {}, []
        for name in names:
            box = widgets.BoundedFloatText(min=0, max=10_000_000, step=1, style=_WIDE_STYLE,
                                           layout=_WIDE_FIELD)
            box.add_class("tyo-source").add_class(f"tyo-source-{_css(name)}")
            box.observe(self._on_source, names="value")
            self.sources[name] = box
            help_text = widgets.HTML()
            rows.append(widgets.VBox([box, help_text]).add_class("tyo-field"))
        self.source_box.children = rows
        self._label_sources()

    def _label_sources(self) -> None:
        for name, row in zip(self.sources, self.source_box.children, strict=True):
            key = _SOURCE_KEYS.get(name)
            shown = self._t(key) if key else name
            self.sources[name].description = self._t("planner.param.source", source=shown)
            help_id = f"tyo-help-source-{_css(name)}"
            row.children[1].value = (f'<div class="tyo-help-text" id="{help_id}">'
                                     f'{esc(self._t("planner.help.source"))}</div>')

    def _on_source(self, _: Any) -> None:
        """A source edited: the total follows."""
        if self._syncing:
            return
        with self._sync():
            self.referrals.value = round(sum(self.source_values().values()), 3)
        self._render_scenario_downloads()

    def _on_total(self, change: dict[str, Any]) -> None:
        """The total edited: every source is scaled in proportion."""
        if self._syncing:
            return
        current = self.source_values()
        before, total = sum(current.values()), float(change["new"])
        scaled = {k: round(v * total / before if before > 0 else total / len(current), 3)
                  for k, v in current.items()}
        largest = max(scaled, key=lambda k: scaled[k])
        scaled[largest] = round(scaled[largest] + total - sum(scaled.values()), 9)
        with self._sync():
            for name, value in scaled.items():
                self.sources[name].value = value
        self._render_scenario_downloads()

    # -- routing: a share (%) for each client profile and pathway ---------------------------

    def _build_routing(self) -> None:
        """One field per routing row of A and pathway, grouped by profile, each with the
        row's sum below it; set to A's shares."""
        self.routes, groups = {}, []
        for route in self.scenario_a.routing:
            head, total = widgets.HTML(), widgets.HTML()
            fields = []
            for pathway, share in zip(PATHWAYS, route.probabilities(), strict=True):
                box = widgets.BoundedFloatText(value=round(share * 100, 9), min=0, max=100, step=1,
                                               style=_ROUTE_STYLE, layout=_ROUTE_FIELD)
                box.add_class("tyo-route").add_class(f"tyo-route-{_css(route.profile)}-{pathway}")
                box.observe(self._on_route, names="value")
                self.routes[(route.profile, pathway)] = box
                fields.append(box)
            grid = widgets.GridBox(fields, layout=_ROUTE_GRID)
            groups.append(widgets.VBox([head, grid, total]).add_class("tyo-route-profile")
                          .add_class(f"tyo-route-profile-{_css(route.profile)}"))
        self.routing_box.children = groups
        self._label_routing()

    def _label_routing(self) -> None:
        """Each profile's heading (its share of referrals), its fields and its sum."""
        if not self.routes:
            return
        mix = {p.name: p.share for p in self.scenario_a.arrivals.profiles}
        rows = self.routing_values(exact=False)
        for route, group in zip(self.scenario_a.routing, self.routing_box.children, strict=True):
            profile = route.profile
            name = self._t(_PROFILE_KEYS[profile]) if profile in _PROFILE_KEYS else profile
            head = (self._t("routing.head", profile=name, share=percent(mix[profile], self.lang))
                    if profile in mix else name)
            group.children[0].value = f'<h5 class="tyo-route-head">{esc(head)}</h5>'
            for pathway in PATHWAYS:
                label = self._t(_PATHWAY_KEYS[pathway]) if pathway in _PATHWAY_KEYS else pathway
                self.routes[(profile, pathway)].description = f"{label} (%)"
            total = sum(rows[profile].values())
            gap = 1 - total
            words = (self._t("routing.sum", sum=percent(total, self.lang, 1)) if abs(gap) <= 1e-6
                     else self._t("routing.sum_off", sum=percent(total, self.lang, 1),
                                  gap=percent(abs(gap), self.lang, 1)))
            role = ' role="alert"' if abs(gap) > 1e-6 else ""
            group.children[2].value = f'<p class="tyo-route-sum"{role}>{esc(words)}</p>'

    def routing_values(self, exact: bool = True) -> dict[str, dict[str, float]]:
        """The routing rows as edited, as shares (0–1) in the scenario file's layout; a field
        left as shown gives back A's exact share (``exact``)."""
        out: dict[str, dict[str, float]] = {}
        for route in self.scenario_a.routing:
            row = {}
            for pathway, share in zip(PATHWAYS, route.probabilities(), strict=True):
                shown = self.routes[(route.profile, pathway)].value
                row[pathway] = (share if exact and abs(shown - share * 100) <= 1e-6
                                else round(shown / 100, 9))  # 48.3283 % -> 0.483283
            out[route.profile] = row
        return out

    def _on_route(self, _: Any) -> None:
        """A share edited: the IPS slider and the sums follow."""
        if self._syncing:
            return
        with contextlib.suppress(ValueError):  # rows that do not add up: the slider waits
            share = planner.ips_share(self.scenario_a.with_changes(
                {"routing": self.routing_values()}))
            with self._sync():
                self.ips_share.value = round(share, 2)
        self._label_routing()
        self._render_scenario_downloads()

    def _on_ips_share(self, change: dict[str, Any]) -> None:
        """The IPS slider moved: every profile's row moves with it (the other pathways keep
        their proportions: :func:`sim.planner.routing_with_ips_share`)."""
        if self._syncing:
            return
        with contextlib.suppress(ValueError):  # rows that do not add up are left as they are
            now = self.scenario_a.with_changes({"routing": self.routing_values()})
            rows = planner.routing_with_ips_share(now, float(change["new"]))
            with self._sync():
                for profile, row in rows.items():
                    for pathway, share in row.items():
                        self.routes[(profile, pathway)].value = round(share * 100, 9)
        self._label_routing()
        self._render_scenario_downloads()

    def source_values(self) -> dict[str, float]:
        """Referrals a year by source, as edited."""
        return {name: box.value for name, box in self.sources.items()}

    def duration_values(self) -> dict[str, float]:
        """Mean durations (days) of the main stages, as edited."""
        return {path: box.value for path, box in self.durations.items()}

    def parameters(self) -> dict[str, float]:
        """The edited key numbers; fields left as shown give back A's exact values."""
        shown = {"referrals_per_year": self.referrals.value, "coordinators": self.coordinators.value,
                 "coaches": self.coaches.value, "caseload_per_coach": self.caseload.value,
                 "fidelity_score": self.fidelity.value, "ips_share": self.ips_share.value}
        return planner.snap_to_base(self.scenario_a, shown,
                                     {"referrals_per_year": 1e-3, "ips_share": 0.005})

    @property
    def scenario_b(self) -> Scenario:
        """A with the edited numbers (validated; raises ScenarioError): the key numbers,
        referrals by source (which carry the total) and the mean durations."""
        params = dict(self.parameters())
        params.pop("referrals_per_year")  # the sources carry it
        params.pop("ips_share")  # the routing rows carry it
        b = planner.edited_scenario(self.scenario_a, params)
        changes = template.county_changes(self.scenario_a, self.source_values(),
                                          self.duration_values())
        routing = self.routing_values()
        if routing != self.scenario_a.to_dict()["routing"]:
            changes["routing"] = routing  # the loader checks it (each row sums to 100 %)
        changes.update(self._fit_changes())
        cites = self._fit_citations()
        if cites:
            changes["sources"] = {**dict(self.scenario_a.sources), **cites}
        return b.with_changes(changes) if changes else b

    def _render_scenario_downloads(self) -> None:
        """Links to the edited scenario and to A's commented template, as YAML files that the
        upload above reads back (each field explained; edited fields cited as the county's)."""
        if self._syncing or not self.sources:
            return
        try:
            b = self.scenario_b
        except ValueError as exc:
            self.warnings_before.value = ""
            self.saved_scenario, self.scenario_files = None, {}
            self.scenario_downloads.value = (
                f'<p class="tyo-note">{esc(self._t("planner.download.invalid", message=exc))}</p>')
            return
        self.warnings_before.value = self._warnings_html(
            self._t("planner.warnings.before"), warning_texts(stability_checks(b), self.lang))
        a = self.scenario_a
        saved = template.cite_changes(a, b, self._t("planner.download.own_number"))
        cites = self._fit_citations()  # a fitted number says the file it was fitted from
        if cites:
            saved = saved.with_changes({"sources": {**dict(saved.sources), **cites}})
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", saved.name).strip("-.") or "scenario"
        files = [("tyo-dl-scenario-yaml", f"{name}.yaml",
                  template.scenario_yaml(saved, self.lang, based_on=a.name),
                  "planner.download.scenario_yaml"),
                 ("tyo-dl-template-yaml", "scenario-template.yaml",
                  template.scenario_yaml(a, self.lang, based_on=a.name),
                  "planner.download.template_yaml")]
        self.saved_scenario = saved
        self.scenario_files = {filename: text.encode("utf-8") for _, filename, text, _ in files}
        links = "".join(planner.download_link(filename, text.encode("utf-8"), "application/x-yaml",
                                              self._t(label), link_id)
                        for link_id, filename, text, label in files)
        self.scenario_downloads.value = (f"<div>{links}</div><p class=\"tyo-note\">"
                                         f"{esc(self._t('planner.download.save_note'))}</p>")

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
        keys = _PRESET_KEYS.get(self.preset.value or "")
        self.preset_about.value = (f"<p><strong>{esc(self._t(keys[0]))}</strong>: "
                                   f"{esc(self._t(keys[1]))}</p>" if keys else "")

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
        self._new_results("run")
        self._render_results()
        self._render_downloads()
        self._mark(self.results_mark)
        self._done(b.name, n, seconds, notes)

    def run_comparison(self) -> None:
        """A and B with the same seeds; paired differences."""
        a, b = self.scenario_a, self.scenario_b
        n = self.replications.value
        self._announce(2 * n, b)
        cmp, seconds, notes = self._timed(
            lambda: compare(a, {"B": b}, n, self.seed.value, jobs=1, progress=self._tick))
        self.comparison = cmp
        self._new_results("compare")
        self._render_comparison()
        self._render_downloads()
        self._mark(self.compare_mark)
        self._done(f"A/B {a.name}", 2 * n, seconds, notes)

    def run_sweep(self) -> None:
        """The fewest coaches (over the chosen range) that meet the target for B."""
        b = self.scenario_b
        n = self.replications.value
        values = planner.sweep_values(*self.sweep_coaches.value)
        target = f"{planner.SWEEP_KPI}<={self.sweep_target.value}"
        self._announce(n * len(values), b)
        result, seconds, notes = self._timed(lambda: min_staffing(
            b, "ips.coaches", values, target, n, self.seed.value, jobs=1, progress=self._tick,
            max_replications=refinement_cap(n)))
        self.sweep_result = result
        self._new_results("sweep")
        self._render_sweep()
        self._render_downloads()
        self._mark(self.sweep_mark)
        self._done(b.name, n * len(result.points), seconds, notes)

    # -- rendering from stored results ----------------------------------------------------

    def _render_results(self) -> None:
        if self.reps is None:
            return
        rows = planner.kpi_rows(self.reps, lang=self.lang)
        self.table.value = planner.kpi_table_html(rows, self.lang)
        self.warnings_after.value = self._warnings_html(
            self._t("planner.warnings.after"), warning_texts(result_checks(self.reps), self.lang))
        show_figure(self.waits_plot, plots.waits_figure(self.reps, self.lang))
        show_figure(self.series_plot, plots.series_figure(self.reps, lang=self.lang))
        show_figure(self.outcomes_plot, plots.outcomes_figure(self.reps, self.lang))

    def _render_comparison(self) -> None:
        if self.comparison is None:
            return
        self.comparison_rows = planner.comparison_rows(self.comparison, lang=self.lang)
        self.compare_table.value = planner.comparison_table_html(self.comparison_rows, self.lang)
        cmp = self.comparison
        self.warnings_compare.value = self._warnings_html(self._t("warning.head.compare"), [
            f"{name}: {message}" for name, reps in (("A", cmp.base), *cmp.alternatives.items())
            for message in warning_texts(reps.checks(), self.lang)])
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
        point = planner.answer_point(self.sweep_result)  # the answer, or the most tried
        param = self.sweep_result.parameters[0]
        self.warnings_sweep.value = self._warnings_html(
            self._t("warning.head.sweep", setting=plots.setting_label(param, self.lang),
                    value=plots.amount(point.scenario.get(param), self.lang)),
            warning_texts(point.checks(), self.lang))
        show_figure(self.sweep_plot, plots.capacity_figure(self.sweep_result, lang=self.lang))

    def _render_downloads(self) -> None:
        files = planner.run_downloads(self.reps, self.comparison_rows or None,
                                       self.sweep_rows or None)
        self.download_files = {name: data for _, name, data, _ in files}
        self.downloads.value = planner.downloads_html(files, self.lang)


    # -- warnings ---------------------------------------------------------------------------

    def _warnings_html(self, heading: str, messages: list[str]) -> str:
        """Warnings (in the app's language, from :mod:`sim.experiment`) under a heading."""
        if not messages:
            return ""
        items = "".join(f"<li>{esc(m)}</li>" for m in messages)
        return (f'<div class="tyo-warnings" role="status"><p><strong>⚠ {esc(heading)}'
                f"</strong></p><ul>{items}</ul></div>")

    # -- the decision brief -----------------------------------------------------------------

    def _new_results(self, kind: str) -> None:
        """New results of ``kind``: the brief is made from them (an older brief is stale)."""
        self._latest = kind
        self._clear_brief()
        self._render_brief()

    def _clear_brief(self, stale: bool = True) -> None:
        self._brief_stale = stale and bool(self.brief_files)
        self.brief_files, self._brief_about = {}, None

    def _brief_result(self) -> Any:
        return {"run": self.reps, "compare": self.comparison,
                "sweep": self.sweep_result}.get(self._latest or "")

    def make_brief(self) -> None:
        """The decision brief of the latest results, in the app's language: HTML and PDF."""
        result = self._brief_result()
        if result is None:
            self._render_brief()
            return
        started = time.perf_counter()
        question = self.brief_question.value.strip()[:500] or None
        brief = build_brief(result, self.lang, question=question)
        page, pdf = brief.to_html().encode("utf-8"), brief.to_pdf()
        html_name, pdf_name = brief_files(self.lang)
        self.brief_files = {html_name: page, pdf_name: pdf}
        name = (result.base.scenario.name if self._latest == "compare" else
                result.results[0].scenario.name if self._latest == "sweep" else
                result.scenario.name)
        self._brief_about, self._brief_stale = (self._latest or "run", name), False
        self._render_brief()
        self._say(self._t("planner.status.brief", seconds=planner.format_value(
            time.perf_counter() - started, "", self.lang)))

    def _render_brief(self) -> None:
        if self.brief_files and self._brief_about:
            kind, name = self._brief_about
            (html_name, page), (pdf_name, pdf) = self.brief_files.items()
            links = (planner.download_link(html_name, page, "text/html",
                                           self._t("planner.download.brief_html"), "tyo-dl-brief-html")
                     + planner.download_link(pdf_name, pdf, "application/pdf",
                                             self._t("planner.download.brief_pdf"), "tyo-dl-brief-pdf"))
            about = self._t("planner.brief.from", what=self._t(f"planner.brief.what.{kind}"),
                            name=name)
            self.brief_links.value = f'<div>{links}</div><p class="tyo-note">{esc(about)}</p>'
        elif self._brief_result() is None:
            self.brief_links.value = f'<p class="tyo-note">{esc(self._t("planner.brief.none"))}</p>'
        else:
            self.brief_links.value = (f'<p class="tyo-note">{esc(self._t("planner.brief.stale"))}'
                                      "</p>" if self._brief_stale else "")

    # -- fit from the county's own data (sim.fit) -------------------------------------------

    def _clear_fits(self) -> None:
        """Forget every fit: B's numbers are A's again (or as edited)."""
        self.fit_result, self._fit_said, self._fit_error = None, {}, ""
        self.fitted_sources: dict[str, float] = {}
        self.fitted_seasonality: list[float] | None = None
        self.fitted_durations: dict[str, dict[str, Any]] = {}
        self.fit_cites: dict[str, str] = {}

    def _fit_changes(self) -> dict[str, Any]:
        """``with_changes`` entries for the fitted seasonality and the fitted distributions
        whose mean is still the one shown (an edited mean keeps the scenario's spread)."""
        changes: dict[str, Any] = {}
        if self.fitted_seasonality is not None:
            changes["arrivals.seasonality"] = list(self.fitted_seasonality)
        for path, dist in self.fitted_durations.items():
            if abs(self.durations[path].value - dist["mean"]) < 1e-9:
                changes[path] = dict(dist)
        return changes

    def _fit_citations(self) -> dict[str, str]:
        """The fits' citations of the fields that still hold the fitted values."""
        current = self.source_values()
        active = {"arrivals.seasonality": self.fitted_seasonality is not None,
                  "arrivals.sources": bool(self.fitted_sources) and all(
                      abs(current.get(k, -1.0) - v) < 1e-9 for k, v in self.fitted_sources.items())}
        active.update({path: path in self._fit_changes() for path in self.fitted_durations})
        return {path: cite for path, cite in self.fit_cites.items() if active.get(path)}

    def _label_presets(self) -> None:
        """Each preset by its human name in the app's language (its id stays the value)."""
        value = self.preset.value
        self._ignore_preset = True  # relabelling is not a choice of preset
        try:
            self.preset.options = [(self._t(_PRESET_KEYS[name][0]) if name in _PRESET_KEYS
                                    else name, name) for name in list_presets()]
            self.preset.index = None if value is None else list_presets().index(value)
        finally:
            self._ignore_preset = False

    def _label_fit_field(self) -> None:
        """The stage choices in the app's language (the chosen stage kept)."""
        value = self.fit_field.value
        self.fit_field.options = [(self._t(label), path) for path, (label, _) in _DURATION_KEYS.items()]
        self.fit_field.value = value

    def _on_fit_upload(self, kind: str, control: widgets.FileUpload, value: Any) -> None:
        if not value:
            return
        try:
            if isinstance(value, dict):  # ipywidgets 7: {name: {"content": ...}}
                value = [{"name": k, **v} for k, v in value.items()]
            item = value[0]
            name = str(item.get("name") or "data.csv")
            data = item.get("content", b"")
            data = data.tobytes() if isinstance(data, memoryview) else bytes(data)
            self._guarded(lambda: self.fit_upload(kind, name, data), busy=False)
        finally:
            control.value = ()  # so that the same file can be uploaded again after a fix

    def fit_upload(self, kind: str, name: str, data: bytes) -> None:
        """Fit ``kind`` ("referrals" or "durations", for the stage chosen in ``fit_field``)
        from an uploaded CSV file and put the fitted values into B. A file that cannot be
        fitted shows the fit's one-line message and leaves B as it was."""
        from sim import fit  # scipy loads here, at the first fit
        self._show_fit_error("")
        shown = re.sub(r"[^\w.\- ]+", "_", Path(name).name)[:100].strip(" .") or "data.csv"
        try:
            table = fit.read_data(data, shown)  # the upload's bytes, read as a file would be
            referrals = table.layout in ("referrals", "monthly")
            if kind == "referrals" and not referrals:
                raise fit.DataError(f"{shown}: holds durations, not referrals; give a file with "
                                    "date,source or month,source,count columns, or upload it as "
                                    "durations.")
            if kind == "durations" and referrals:
                raise fit.DataError(f"{shown}: holds referrals, not durations; give a file with "
                                    "start,end or days columns, or upload it as referrals.")
            result = (fit.fit_referrals(table) if referrals
                      else fit.fit_durations(table, self.fit_field.value))
            self._apply_fit(result)
        except ValueError as exc:  # DataError and ScenarioError are ValueErrors
            self._show_fit_error(str(exc))

    def _apply_fit(self, result: Any) -> None:
        """Put a fit's values into B's fields; B unchanged (and the error raised) if the
        result is not a valid scenario."""
        saved = (self.source_values(), self.duration_values(), self.fitted_sources,
                 self.fitted_seasonality, dict(self.fitted_durations), dict(self.fit_cites))
        fragment = result.fragment(dt.date.today())
        try:
            if hasattr(result, "per_year"):
                said = self._apply_referrals(fragment, result.seasonal)
            else:
                path = result.field
                section, name = path.split(".", 1)
                dist = fragment[section][name]
                self.fitted_durations[path] = dist
                self.fit_cites[path] = fragment["sources"][path]
                with self._sync():
                    self.durations[path].value = dist["mean"]
                said = {"field": path, "dist": dict(dist)}
            self.scenario_b  # noqa: B018 - validates B with the fitted values
        except ValueError:
            values, durations, self.fitted_sources, self.fitted_seasonality, \
                self.fitted_durations, self.fit_cites = saved
            self._set_sources(values)
            with self._sync():
                for path, mean in durations.items():
                    self.durations[path].value = mean
            self._render_scenario_downloads()
            raise
        self.fit_result = result
        self._fit_said["referrals" if "sources" in said else "durations"] = (result, said)
        self._render_fit()
        self._render_scenario_downloads()

    def _apply_referrals(self, fragment: dict[str, Any], seasonal: bool) -> dict[str, Any]:
        fitted = fragment["arrivals"]["sources"]
        values = self.source_values()
        matched: dict[str, float] = {}
        added = []
        for name, rate in fitted.items():
            target = self._match_source(name)
            if target is None:  # a scenario may have any sources: a new one is added
                target = name
                added.append(name)
            matched[target] = float(rate)
        kept = [name for name in values if name not in matched]
        self._set_sources({**values, **matched})
        self.fitted_sources = matched
        self.fitted_seasonality = list(fragment["arrivals"]["seasonality"])
        self.fit_cites.update({k: v for k, v in fragment["sources"].items()
                               if k.startswith("arrivals.")})
        return {"sources": matched, "added": added, "kept": kept, "seasonal": seasonal}

    def _set_sources(self, values: dict[str, float]) -> None:
        """Referral fields for exactly these sources, with these values; the total follows."""
        with self._sync():
            self._build_sources(list(values))
            for name, value in values.items():
                self.sources[name].value = value
            self.referrals.value = round(sum(values.values()), 3)

    def _match_source(self, name: str) -> str | None:
        """The source of B that a file's source name means: the same name, or its label in
        either language, compared without case, spaces or punctuation."""
        key = _plain(name)
        for source in self.sources:
            label = _SOURCE_KEYS.get(source)
            names = {source, *((t(label, code) for code in LANGUAGES) if label else ())}
            if key in {_plain(n) for n in names}:
                return source
        return None

    def _source_label(self, name: str) -> str:
        key = _SOURCE_KEYS.get(name)
        return self._t(key) if key else name

    def _show_fit_error(self, message: str) -> None:
        self._fit_error = message
        self.fit_error.value = (f'<p class="tyo-error-line" role="alert">'
                                f'{esc(self._t("planner.fit.error", message=message))}</p>'
                                if message else "")
        self.fit_error.layout.display = None if message else "none"

    def _render_fit(self) -> None:
        """The latest fit in words, its report and its figure, in the app's language."""
        self._show_fit_error(self._fit_error)
        if self.fit_result is None:
            self.fit_report.value = ""
            show_png(self.fit_plot, b"")
            return
        self.fit_report.value = "".join(self._fit_words(*fitted) for fitted in self._fit_said.values())
        show_figure(self.fit_plot, plots.referral_fit_figure(self.fit_result, self.lang)
                    if hasattr(self.fit_result, "per_year")
                    else plots.duration_fit_figure(self.fit_result, self.lang))

    def _fit_words(self, result: Any, said: dict[str, Any]) -> str:
        """What a fit put into B, in words, then its report."""
        lang = self.lang
        if "sources" in said:
            values = ", ".join(f"{self._source_label(k)} {number(v, lang, 1)}"
                               for k, v in said["sources"].items())
            lines = [self._t("planner.fit.sources", values=values)]
            if said["added"]:
                lines.append(self._t("planner.fit.added", names=", ".join(
                    self._source_label(k) for k in said["added"])))
            if said["kept"]:
                lines.append(self._t("planner.fit.kept", names=", ".join(
                    self._source_label(k) for k in said["kept"])))
            lines.append(self._t("planner.fit.season_yes" if said["seasonal"]
                                 else "planner.fit.season_no"))
        else:
            dist = said["dist"]
            lines = [self._t("planner.fit.duration", field=self._t(_DURATION_KEYS[said["field"]][0]),
                             dist=dist["dist"], mean=number(dist["mean"], lang, 1),
                             cv=number(dist.get("cv", 1.0), lang, 3))]
        words = "".join(f"<p>{esc(line)}</p>" for line in lines)
        report = esc("\n".join(result.report(lang)))
        return (f"{words}<details><summary>{esc(self._t('planner.fit.report'))}"
                f"</summary><pre>{report}</pre></details>")


def _plain(name: str) -> str:
    """A name compared loosely: lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", name.casefold())


def _css(name: str) -> str:
    """A name as a CSS class part: lower-case letters, digits and '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x"


def planner_app(lang: str = "en", scenario: str = "varsinais-suomi", replications: int = 10,
                seed: int = 1) -> PlannerApp:
    """The planners' app: scenario, key numbers, run, compare, staffing and downloads."""
    return PlannerApp(lang, scenario, replications, seed)
