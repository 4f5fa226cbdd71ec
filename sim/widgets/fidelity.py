"""Course module 5: the fidelity self-scoring form, a thin view over :mod:`sim.practice.fidelity`.

The form is a :class:`~sim.widgets.base.View` whose controls and outputs are attributes, so a test
can set ``.value`` or click a button and read the HTML a learner would see. Labels come from
``sim/data/strings/modules_5_9.yaml`` (``fidelity_form.*``) through :func:`sim.learning.text.t`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

import ipywidgets as widgets

from sim.learning.text import number
from sim.practice import fidelity
from sim.widgets.base import View, captioned, esc, image_html, image_widget, png_bytes, show_png, sources_html

__all__ = ["FIDELITY_CASES", "FidelityForm", "case_ratings", "fidelity_form"]

_LABEL = {"description_width": "initial"}
_SLIDER = widgets.Layout(width="36em")

#: Evidence for a fictional team in Kuopio modelled on the Pohjois-Savo pilot (S3); judgement items
#: carry the reviewers' rating. Mapped to items in module 5: O2 (monthly meetings, one-way record,
#: offices nearby), O4 (two coaches, no leader), O8 (no mission link or goals), SV12 (set end date).
FIDELITY_CASES: Mapping[str, Mapping[str, object]] = {
    "kuopio_team": {
        "S1": 18, "S2": 95, "S3": 4,
        "O1": {"value": 60, "teams": 1}, "O2": ["shared_record", "colocated"], "O3": 3, "O4": 3,
        "O5": ["outcome_review"], "O6": 4, "O7": ["intake_asks", "plan_reviews", "materials"],
        "O8": ["leaders_know", "steering_group"],
        "SV1": 3, "SV2": ["not_required", "pros_cons", "wording_prepared"], "SV3": 4, "SV4": 35,
        "SV5": 80, "SV6": {"value": 3, "log_review": "none"}, "SV7": 3, "SV8": 75, "SV9": 90,
        "SV10": {"value": 90, "current_jobs": 8}, "SV11": 3, "SV12": 3, "SV13": 45,
        "SV14": ["no_discharge", "documented_outreach", "community_visits"],
    },
}

# Threshold items: (slider min, max, step, default) in the item's unit.
_RANGES = {"S1": (0, 60, 1, 20), "S2": (0, 100, 1, 90), "O1": (0, 100, 5, 75), "SV4": (0, 400, 5, 30),
           "SV5": (0, 100, 5, 75), "SV6": (0, 12, 0.5, 4), "SV8": (0, 100, 5, 70), "SV9": (0, 100, 5, 70),
           "SV10": (0, 100, 5, 85), "SV13": (0, 100, 5, 50)}
# The sliders of the extra evidence some threshold items take: (min, max, default).
_EXTRA_RANGES = {"teams": (0, 5, 1), "current_jobs": (0, 60, 10)}
_THRESHOLD = tuple(i.id for i in fidelity.ITEMS if i.kind == "threshold")
_COUNT = tuple(i.id for i in fidelity.ITEMS if i.kind == "count")


def case_ratings(case: str) -> dict[str, int]:
    """The 25 ratings of a named fictional case in :data:`FIDELITY_CASES`."""
    if case not in FIDELITY_CASES:
        raise KeyError(f"unknown case {case!r}; use one of {', '.join(FIDELITY_CASES)}")
    return fidelity.ratings_from_evidence(FIDELITY_CASES[case])


class FidelityForm(View):
    """All 25 items as 1–5 dropdowns by section, with a second tab that rates items from evidence.

    ``items[id]`` are the dropdowns, ``score`` the :class:`sim.practice.fidelity.FidelityScore`, ``summary``
    the live total, subtotals, band, review cadence and improvement priorities; ``draw_button``
    redraws the review figure into ``plot`` (drawing takes about half a second, so it is not live).
    """

    def __init__(self, lang: str = "en", case: str | None = None,
                 ratings: Mapping[str, int] | None = None) -> None:
        super().__init__(lang)
        case_start = case_ratings(case) if case else None  # an unknown case fails here, by name
        evidence = dict(FIDELITY_CASES[case]) if case else {}
        if ratings:
            start = fidelity.validate_ratings(ratings)
        else:
            start = case_start or dict.fromkeys(fidelity.ITEM_IDS, 3)
        self._quiet = False
        self.score: fidelity.FidelityScore | None = None
        self.priorities: list[fidelity.Priority] = []
        self.figure = None
        self.items: dict[str, widgets.Dropdown] = {}
        self.anchors: dict[str, widgets.HTML] = {}
        sections = []
        for sec in fidelity.SECTIONS:
            rows = []
            for item in (i for i in fidelity.ITEMS if i.section == sec.key):
                name = widgets.HTML(f"{esc(item.name(self.lang))}"
                                    f"{sources_html(item.sources)}{self._unconfirmed_flag(item)}",
                                    layout=widgets.Layout(width="26em"))
                self.items[item.id] = widgets.Dropdown(options=[(str(r), r) for r in range(1, 6)],
                                                       value=start[item.id], description=item.id,
                                                       tooltip=item.name(self.lang),
                                                       style={"description_width": "2.6em"},
                                                       layout=widgets.Layout(width="8em"))
                self.anchors[item.id] = widgets.HTML(layout=widgets.Layout(width="30em"))
                rows.append(widgets.HBox([name, self.items[item.id], self.anchors[item.id]]))
            sections.append(widgets.VBox(rows))
        self.accordion = widgets.Accordion(children=sections)
        self._build_evidence(evidence)
        self.tabs = widgets.Tab(children=[self.accordion, self.evidence_box])
        self.tabs.titles = (self._t("fidelity_form.tab_items"), self._t("fidelity_form.tab_evidence"))
        self.summary = widgets.HTML()
        self.draw_button = widgets.Button(description=self._t("fidelity_form.draw"), icon="bar-chart",
                                          layout=widgets.Layout(width="max-content"))
        self.figure_note = widgets.HTML()
        self.plot = image_widget("tyo-fidelity-plot")
        for box in self.items.values():
            box.observe(lambda _: self.update(), names="value")
        self.draw_button.on_click(lambda _: self.draw())
        note = " ".join(filter(None, (self._t("fidelity_form.note"), fidelity.names_note(self.lang))))
        self.children = [widgets.HTML(f"<b>{esc(self._t('fidelity_form.title'))}</b><br>"
                                      f'<span style="color:#666">{esc(note)}</span>'),
                         self.tabs, self.summary, self.draw_button, self.figure_note,
                         captioned(self.plot, self.lang)]
        self.update()
        self.rate_evidence()
        self.draw()

    def _unconfirmed_flag(self, item: fidelity.Item) -> str:
        """A note in a warning colour for items whose anchors are unconfirmed, else ``""``."""
        if not item.unconfirmed:
            return ""
        return f' <span style="color:#a60">({esc(self._t("fidelity_form.item_unconfirmed"))})</span>'

    # ---- evidence tab
    def _build_evidence(self, evidence: Mapping[str, object]) -> None:
        self.evidence: dict[str, widgets.Widget] = {}
        self.evidence_results: dict[str, widgets.HTML] = {}
        self.elements: dict[str, dict[str, widgets.Checkbox]] = {}
        self.evidence_ratings: dict[str, int] = {}
        rows: list[widgets.Widget] = [widgets.HTML(f"<p>{esc(self._t('fidelity_form.evidence_intro'))}</p>")]
        for item_id in _THRESHOLD:
            raw = evidence.get(item_id)
            given = raw if isinstance(raw, Mapping) else {"value": raw}
            lo, hi, step, default = _RANGES[item_id]
            cls = widgets.FloatSlider if isinstance(step, float) else widgets.IntSlider
            value = given.get("value")
            self.evidence[item_id] = cls(value=default if value is None else value, min=lo, max=hi, step=step,
                                         continuous_update=False, style=_LABEL, layout=_SLIDER,
                                         description=f"{item_id} {self._t(f'fidelity_form.ev.{item_id}')}")
            rows.append(self.evidence[item_id])
            for extra in fidelity.EVIDENCE_EXTRAS.get(item_id, ()):
                self.evidence[f"{item_id}.{extra}"] = ctrl = self._extra_control(extra, given.get(extra))
                rows.append(ctrl)
            self.evidence_results[item_id] = widgets.HTML()
            rows.append(self.evidence_results[item_id])
        for item_id in _COUNT:
            item = fidelity.ITEM_BY_ID[item_id]
            present = set(evidence.get(item_id) or ())
            self.elements[item_id] = {
                e.key: widgets.Checkbox(value=e.key in present, indent=False,
                                        layout=widgets.Layout(width="auto"), description=e.text(self.lang))
                for e in item.elements}
            self.evidence_results[item_id] = widgets.HTML()
            rows += [widgets.HTML(f"<b>{item_id} {esc(item.name(self.lang))}</b>"),
                     *self.elements[item_id].values(), self.evidence_results[item_id]]
        for ctrl in [*self.evidence.values(), *(b for d in self.elements.values() for b in d.values())]:
            ctrl.observe(lambda _: self.rate_evidence(), names="value")
        self.apply_button = widgets.Button(description=self._t("fidelity_form.apply"), button_style="primary",
                                           icon="arrow-up", layout=widgets.Layout(width="max-content"))
        self.apply_button.on_click(lambda _: self.apply_evidence())
        self.evidence_box = widgets.VBox([*rows, self.apply_button])

    def _extra_control(self, extra: str, given: object) -> widgets.Widget:
        """The control for one extra piece of evidence (O1 teams, SV6 log review, SV10 jobs)."""
        description = self._t(f"fidelity_form.ev.{extra}")
        if extra == "log_review":
            return widgets.Dropdown(options=[(self._t(f"fidelity_form.log.{k}"), k)
                                             for k in fidelity.LOG_REVIEW_CAPS],
                                    value=given or "weekly", style=_LABEL, description=description)
        lo, hi, default = _EXTRA_RANGES[extra]
        return widgets.IntSlider(value=default if given is None else given, min=lo, max=hi, style=_LABEL,
                                 layout=_SLIDER, continuous_update=False, description=description)

    def _evidence_value(self, item_id: str) -> object:
        if item_id in _COUNT:
            return [k for k, box in self.elements[item_id].items() if box.value]
        value = self.evidence[item_id].value
        extras = fidelity.EVIDENCE_EXTRAS.get(item_id, ())
        if not extras:
            return value
        return {"value": value, **{x: self.evidence[f"{item_id}.{x}"].value for x in extras}}

    def rate_evidence(self) -> dict[str, int]:
        """Rate every threshold and count item from the evidence tab (shown next to each)."""
        for item_id in (*_THRESHOLD, *_COUNT):
            rating = fidelity.rate_item(item_id, self._evidence_value(item_id))
            self.evidence_ratings[item_id] = rating
            said = self._t("fidelity_form.rating", rating=number(rating, self.lang))
            self.evidence_results[item_id].value = (
                f'<span style="color:#1b5e20">→ {esc(said)}: '
                f"{esc(fidelity.anchor(item_id, rating, self.lang))}</span>")
        return dict(self.evidence_ratings)

    def apply_evidence(self) -> None:
        """Copy the evidence-based ratings into the item dropdowns."""
        self.set_ratings(self.rate_evidence())

    # ---- ratings and summary
    @contextmanager
    def _hold(self):
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def set_ratings(self, ratings: Mapping[str, int]) -> None:
        """Set some or all ratings at once, updating the summary once."""
        with self._hold():
            for item_id, value in ratings.items():
                self.items[item_id].value = int(value)
        self.update()

    @property
    def ratings(self) -> dict[str, int]:
        return {i: int(box.value) for i, box in self.items.items()}

    def _subtotals(self, s: fidelity.FidelityScore) -> str:
        return ", ".join(s.subtotal_label(sec.key, self.lang) for sec in fidelity.SECTIONS)

    def update(self) -> None:
        if self._quiet:
            return
        r, lang = self.ratings, self.lang
        s = self.score = fidelity.score(r)
        self.priorities = fidelity.improvement_priorities(r, 5)
        for item_id, html in self.anchors.items():
            text = esc(fidelity.anchor(item_id, r[item_id], lang))
            html.value = f'<span style="color:#444;font-size:0.9em">{text}</span>'
        for i, sec in enumerate(fidelity.SECTIONS):
            self.accordion.set_title(i, s.subtotal_label(sec.key, lang))
        band = next(b for b in fidelity.BANDS if b.key == s.band)
        # a band without a source has an unconfirmed name as well as an unconfirmed cut-off
        flags = ([self._t("fidelity_form.name_unconfirmed")] if not band.sources else []) \
            + ([self._t("fidelity_form.cutoff_unconfirmed")] if band.unconfirmed else [])
        cutoff = f' <span style="color:#a60">({esc("; ".join(flags))})</span>' if flags else ""
        months = number(fidelity.review_cadence_months(s.total), lang)
        rows = []
        for p in self.priorities:
            flag = self._unconfirmed_flag(fidelity.ITEM_BY_ID[p.id])
            rows.append(f"<li><b>{p.id} {esc(p.name(lang))}</b>: {number(p.rating, lang)} → "
                        f"{number(p.target_rating, lang)}. {esc(p.next_anchor(lang))}{flag}</li>")
        self.summary.value = (
            f"<h4>{esc(self._t('fidelity_form.total', total=number(s.total, lang)))}</h4>"
            f"<p>{esc(self._subtotals(s))}</p>"
            f"<p><b>{esc(self._t('fidelity_form.band'))}:</b> {esc(s.band_label(lang))}"
            f"{sources_html(band.sources)}{cutoff}</p>"
            f"<p>{esc(self._t('fidelity_form.cadence', months=months))}{sources_html(['C9'])}</p>"
            f"<p><b>{esc(self._t('fidelity_form.priorities'))}</b></p><ol>{''.join(rows)}</ol>")
        self.figure_note.value = f'<em style="color:#666">{esc(self._t("fidelity_form.figure_stale"))}</em>' \
            if self.figure is not None else ""

    def draw(self) -> None:
        """Redraw the review figure for the current ratings."""
        ratings = self.ratings
        self.figure = fidelity.review_figure(ratings, self.lang)
        s = fidelity.score(ratings)
        alt = self._t("fidelity_form.figure_alt", sections=self._subtotals(s),
                      total=number(s.total, self.lang), band=fidelity.band_title(s.band, self.lang))
        show_png(self.plot, png_bytes(self.figure, dpi=72), alt)
        self.figure_note.value = ""

    def snapshot_body(self) -> str:
        return f"{self.summary.value}{image_html(self.plot)}"


def fidelity_form(lang: str = "en", case: str | None = None,
                  ratings: Mapping[str, int] | None = None) -> FidelityForm:
    """Module 5: score a team on the 25 items, by judgement or from evidence; ``case="kuopio_team"``."""
    return FidelityForm(lang, case, ratings)
