"""Forms for course modules 5 and 6: the fidelity self-scoring form, the case-plan builder and the
benefits calculator (thin views over :mod:`sim.practice.fidelity` and :mod:`sim.practice.caseplan`).

Each view is a :class:`~sim.widgets.explorers.View` whose controls and outputs are attributes, so a
test can set ``.value`` or click a button and read the HTML a learner would see. Labels come from
``sim/data/strings/modules_5_9.yaml`` through :func:`sim.learning.text.t`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from datetime import date

import ipywidgets as widgets

from sim.practice import caseplan, fidelity
from sim.widgets.base import View, esc, img_tag, png_bytes, sources_html

__all__ = [
    "BenefitsCalculator", "CASE_PLAN_STARTS", "CasePlanBuilder", "FIDELITY_CASES", "FidelityForm",
    "benefits_calculator", "case_ratings", "caseplan_builder", "fidelity_form",
]

_LABEL = {"description_width": "initial"}
_SLIDER = widgets.Layout(width="36em")


def _num(value: float, lang: str, digits: int = 0) -> str:
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u00a0").replace(".", ",") if lang == "fi" else text


# =========================================================================== module 5: fidelity

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
                flag = (f' <span style="color:#a60">({esc(self._t("fidelity_form.item_unconfirmed"))})</span>'
                        if item.unconfirmed else "")
                name = widgets.HTML(f"<b>{item.id}</b> {esc(item.name(self.lang))}"
                                    f"{sources_html(item.sources)}{flag}",
                                    layout=widgets.Layout(width="26em"))
                self.items[item.id] = widgets.Dropdown(options=[(str(r), r) for r in range(1, 6)],
                                                       value=start[item.id],
                                                       layout=widgets.Layout(width="5em"))
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
        self.plot = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        for box in self.items.values():
            box.observe(lambda _: self.update(), names="value")
        self.draw_button.on_click(lambda _: self.draw())
        note = self._t("fidelity_form.note") + (f" {fidelity.FI_NAMES_NOTE_FI}" if self.lang == "fi" else "")
        self.children = [widgets.HTML(f"<b>{esc(self._t('fidelity_form.title'))}</b><br>"
                                      f'<span style="color:#666">{esc(note)}</span>'),
                         self.tabs, self.summary, self.draw_button, self.figure_note, self.plot]
        self.update()
        self.rate_evidence()
        self.draw()

    # ---- evidence tab
    def _build_evidence(self, evidence: Mapping[str, object]) -> None:
        self.evidence: dict[str, widgets.Widget] = {}
        self.evidence_results: dict[str, widgets.HTML] = {}
        self.elements: dict[str, dict[str, widgets.Checkbox]] = {}
        self.evidence_ratings: dict[str, int] = {}
        rows: list[widgets.Widget] = [widgets.HTML(f"<p>{esc(self._t('fidelity_form.evidence_intro'))}</p>")]
        for item_id in _THRESHOLD:
            item = fidelity.ITEM_BY_ID[item_id]
            raw = evidence.get(item_id)
            value = raw.get("value") if isinstance(raw, Mapping) else raw
            lo, hi, step, default = _RANGES[item_id]
            cls = widgets.FloatSlider if isinstance(step, float) else widgets.IntSlider
            self.evidence[item_id] = cls(value=default if value is None else value, min=lo, max=hi, step=step,
                                         continuous_update=False, style=_LABEL, layout=_SLIDER,
                                         description=f"{item_id} {self._t(f'fidelity_form.ev.{item_id}')}")
            rows.append(self.evidence[item_id])
            extra = {"O1": "teams", "SV6": "log_review", "SV10": "current_jobs"}.get(item_id)
            if extra:
                got = raw.get(extra) if isinstance(raw, Mapping) else None
                if extra == "log_review":
                    ctrl = widgets.Dropdown(options=[(self._t(f"fidelity_form.log.{k}"), k)
                                                     for k in ("weekly", "monthly", "none")],
                                            value=got or "weekly", style=_LABEL,
                                            description=self._t("fidelity_form.ev.log_review"))
                else:
                    default = 1 if extra == "teams" else 10
                    ctrl = widgets.IntSlider(value=got if got is not None else default,
                                             min=0, max=5 if extra == "teams" else 60, style=_LABEL,
                                             layout=_SLIDER, continuous_update=False,
                                             description=self._t(f"fidelity_form.ev.{extra}"))
                self.evidence[f"{item_id}.{extra}"] = ctrl
                rows.append(ctrl)
            self.evidence_results[item_id] = widgets.HTML()
            rows.append(self.evidence_results[item_id])
        for item_id in _COUNT:
            item = fidelity.ITEM_BY_ID[item_id]
            present = set(evidence.get(item_id) or ())
            self.elements[item_id] = {
                e.key: widgets.Checkbox(value=e.key in present, indent=False,
                                        layout=widgets.Layout(width="auto"),
                                        description=e.en if self.lang == "en" else e.fi)
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

    def _evidence_value(self, item_id: str) -> object:
        if item_id in _COUNT:
            return [k for k, box in self.elements[item_id].items() if box.value]
        value = self.evidence[item_id].value
        extra = {"O1": "teams", "SV6": "log_review", "SV10": "current_jobs"}.get(item_id)
        return {"value": value, extra: self.evidence[f"{item_id}.{extra}"].value} if extra else value

    def rate_evidence(self) -> dict[str, int]:
        """Rate every threshold and count item from the evidence tab (shown next to each)."""
        for item_id in (*_THRESHOLD, *_COUNT):
            rating = fidelity.rate_item(item_id, self._evidence_value(item_id))
            self.evidence_ratings[item_id] = rating
            self.evidence_results[item_id].value = (
                f'<span style="color:#1b5e20">→ {esc(self._t("fidelity_form.rating", rating=rating))}: '
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

    def update(self) -> None:
        if self._quiet:
            return
        r = self.ratings
        s = self.score = fidelity.score(r)
        self.priorities = fidelity.improvement_priorities(r, 5)
        for item_id, html in self.anchors.items():
            text = esc(fidelity.anchor(item_id, r[item_id], self.lang))
            html.value = f'<span style="color:#444;font-size:0.9em">{text}</span>'
        for i, sec in enumerate(fidelity.SECTIONS):
            self.accordion.set_title(i, f"{sec.label(self.lang)} {s.by_section[sec.key]}/{5 * sec.size}")
        band = next(b for b in fidelity.BANDS if b.key == s.band)
        cutoff = f' <span style="color:#a60">({esc(self._t("fidelity_form.cutoff_unconfirmed"))})</span>' \
            if band.unconfirmed else ""
        months = fidelity.review_cadence_months(s.total)
        sections = ", ".join(f"{sec.label(self.lang)} {s.by_section[sec.key]}/{5 * sec.size}"
                             for sec in fidelity.SECTIONS)
        rows = []
        for p in self.priorities:
            item = fidelity.ITEM_BY_ID[p.id]
            flag = f" ({esc(self._t('fidelity_form.item_unconfirmed'))})" if item.unconfirmed else ""
            name = p.name_en if self.lang == "en" else p.name_fi
            nxt = p.next_anchor_en if self.lang == "en" else p.next_anchor_fi
            rows.append(f"<li><b>{p.id} {esc(name)}</b>: {p.rating} → {p.target_rating}. "
                        f"{esc(nxt)}{flag}</li>")
        self.summary.value = (
            f"<h4>{esc(self._t('fidelity_form.total', total=s.total))}</h4>"
            f"<p>{esc(sections)}</p>"
            f"<p><b>{esc(self._t('fidelity_form.band'))}:</b> {esc(s.band_label(self.lang))}"
            f"{sources_html(band.sources)}{cutoff}</p>"
            f"<p>{esc(self._t('fidelity_form.cadence', months=months))}{sources_html(['C9'])}</p>"
            f"<p><b>{esc(self._t('fidelity_form.priorities'))}</b></p><ol>{''.join(rows)}</ol>")
        self.figure_note.value = f'<em style="color:#666">{esc(self._t("fidelity_form.figure_stale"))}</em>' \
            if self.figure is not None else ""

    def draw(self) -> None:
        """Redraw the review figure for the current ratings."""
        self.figure = fidelity.review_figure(self.ratings, self.lang)
        self.plot.value = png_bytes(self.figure, dpi=72)
        self.figure_note.value = ""

    def snapshot_body(self) -> str:
        return f"{self.summary.value}{img_tag(bytes(self.plot.value), self.plot.tooltip or '')}"


def fidelity_form(lang: str = "en", case: str | None = None,
                  ratings: Mapping[str, int] | None = None) -> FidelityForm:
    """Module 5: score a team on the 25 items, by judgement or from evidence; ``case="kuopio_team"``."""
    return FidelityForm(lang, case, ratings)


# =========================================================================== module 6: case plan

#: Starting values of the case-plan builder's controls: a weak first draft and a plan that passes.
CASE_PLAN_STARTS: Mapping[str, Mapping[str, object]] = {
    "weak": dict(first_contact_week=12, counselling_scheduled=False, counselling_week=2, job_start_week=14,
                 trained_adviser=False, earnings_reporting=False, mental_health_owner=True,
                 social_work_owner=False, disclosure_discussed=False, disclosure_revisit=False,
                 time_limited=True, step_down_owner=False, relapse_days=14, readiness_first=True,
                 goal_from_preferences=True),
    "good": dict(first_contact_week=3, counselling_scheduled=True, counselling_week=1, job_start_week=14,
                 trained_adviser=True, earnings_reporting=True, mental_health_owner=True,
                 social_work_owner=True, disclosure_discussed=True, disclosure_revisit=True,
                 time_limited=False, step_down_owner=True, relapse_days=3, readiness_first=False,
                 goal_from_preferences=True),
}
_SEVERITY_STYLE = {"error": ("✘", "#a00"), "warning": ("⚠", "#a60"), "info": ("ℹ", "#555")}


class CasePlanBuilder(View):
    """Edit the key fields of a fictional client's plan; rule findings update as you go.

    Checkboxes and sliders are attributes named after the fields (``first_contact_week``,
    ``counselling_scheduled`` …); ``plan`` is the :class:`sim.practice.caseplan.CasePlan` built from them and
    ``findings`` the list from :func:`sim.practice.caseplan.check`; ``result`` shows them.
    """

    def __init__(self, lang: str = "en", start: str = "weak") -> None:
        super().__init__(lang)
        if start not in CASE_PLAN_STARTS:
            raise KeyError(f"unknown start {start!r}; use one of {', '.join(CASE_PLAN_STARTS)}")
        v = CASE_PLAN_STARTS[start]
        week = dict(min=0, max=30, continuous_update=False, style=_LABEL, layout=_SLIDER)

        def box(name: str) -> widgets.Checkbox:
            return widgets.Checkbox(value=bool(v[name]), indent=False, layout=widgets.Layout(width="auto"),
                                    description=self._t(f"caseplan.{name}"))

        self.first_contact_week = widgets.IntSlider(
            value=v["first_contact_week"], description=self._t("caseplan.first_contact_week"), **week)
        self.counselling_scheduled = box("counselling_scheduled")
        self.counselling_week = widgets.IntSlider(value=v["counselling_week"],
                                                  description=self._t("caseplan.counselling_week"), **week)
        self.job_start_week = widgets.IntSlider(value=v["job_start_week"],
                                                description=self._t("caseplan.job_start_week"), **week)
        self.trained_adviser = box("trained_adviser")
        self.earnings_reporting = box("earnings_reporting")
        self.mental_health_owner = box("mental_health_owner")
        self.social_work_owner = box("social_work_owner")
        self.disclosure_discussed = box("disclosure_discussed")
        self.disclosure_revisit = box("disclosure_revisit")
        self.time_limited = box("time_limited")
        self.step_down_owner = box("step_down_owner")
        self.relapse_days = widgets.IntSlider(value=v["relapse_days"], min=1, max=30, continuous_update=False,
                                              description=self._t("caseplan.relapse_days"), style=_LABEL,
                                              layout=_SLIDER)
        self.readiness_first = box("readiness_first")
        self.goal_from_preferences = box("goal_from_preferences")
        self.controls = (self.first_contact_week, self.counselling_scheduled, self.counselling_week,
                         self.job_start_week, self.trained_adviser, self.earnings_reporting,
                         self.mental_health_owner, self.social_work_owner, self.disclosure_discussed,
                         self.disclosure_revisit, self.time_limited, self.step_down_owner, self.relapse_days,
                         self.readiness_first, self.goal_from_preferences)
        self.result = widgets.HTML()
        self.plan: caseplan.CasePlan | None = None
        self.findings: list[caseplan.Finding] = []
        for control in self.controls:
            control.observe(lambda _: self.update(), names="value")

        def group(key: str, *members: widgets.Widget) -> widgets.VBox:
            return widgets.VBox([widgets.HTML(f"<b>{esc(self._t(key))}</b>"), *members])

        self.children = [
            widgets.HTML(f"<b>{esc(self._t('caseplan.title'))}</b><p>{esc(self._t('caseplan.client'))}</p>"),
            group("caseplan.group.search", self.first_contact_week, self.readiness_first,
                  self.goal_from_preferences),
            group("caseplan.group.benefits", self.counselling_scheduled, self.counselling_week,
                  self.job_start_week, self.trained_adviser, self.earnings_reporting),
            group("caseplan.group.parallel", self.mental_health_owner, self.social_work_owner),
            group("caseplan.group.disclosure", self.disclosure_discussed, self.disclosure_revisit),
            group("caseplan.group.support", self.time_limited, self.step_down_owner, self.relapse_days),
            self.result]
        self.update()

    def plan_dict(self) -> dict:
        """The plan as plain data, with texts in the view's language (fictional client)."""
        t = self._t
        coach, nurse = t("caseplan.owner.coach"), t("caseplan.owner.nurse")
        steps = [
            dict(description=t("caseplan.step.agreement"), owner=coach, phase=1, due_week=0),
            dict(description=t("caseplan.step.profile"), owner=coach, phase=2, due_week=1),
            dict(description=t("caseplan.step.first_contact"), owner=t("caseplan.owner.coach_client"),
                 phase=3, due_week=self.first_contact_week.value, employer_contact=True),
            dict(description=t("caseplan.step.employer_agreement"), owner=t("caseplan.owner.coach"), phase=4,
                 due_week=max(self.job_start_week.value - 1, self.first_contact_week.value),
                 employer_contact=True),
            dict(description=t("caseplan.step.start_support"), owner=t("caseplan.owner.coach"), phase=5,
                 due_week=self.job_start_week.value),
        ]
        scheduled = self.counselling_scheduled.value
        benefits = dict(counselling_week=self.counselling_week.value if scheduled else None,
                        planned_job_start_week=self.job_start_week.value,
                        by_trained_person=self.trained_adviser.value,
                        covers_earnings_reporting=self.earnings_reporting.value)
        return dict(
            client=dict(id=t("caseplan.client_id"), age=41, region="Varsinais-Suomi",
                        main_barrier=t("caseplan.barrier"), benefits=["labour_market_subsidy"]),
            profile=dict(preferences=[t("caseplan.preference")], sessions_held=3,
                         sources=[t("caseplan.source.client"), t("caseplan.source.work_activity")]),
            goals=[dict(description=t("caseplan.goal"), target_week=self.job_start_week.value,
                        from_client_preferences=self.goal_from_preferences.value)],
            steps=steps,
            parallel_services=[
                dict(name=t("caseplan.service.mental_health"), review_week=8,
                     owner=t("caseplan.owner.nurse") if self.mental_health_owner.value else None),
                dict(name=t("caseplan.service.social_work"), review_week=12,
                     owner=t("caseplan.owner.social_worker") if self.social_work_owner.value else None)],
            disclosure=dict(decision="partial", discussed=self.disclosure_discussed.value,
                            revisit_week=8 if self.disclosure_revisit.value else None),
            benefits=benefits,
            follow_along=dict(time_limited=self.time_limited.value,
                              end_week=26 if self.time_limited.value else None, min_contacts_per_month=2,
                              step_down_owner=nurse if self.step_down_owner.value else None,
                              relapse_contact_days=self.relapse_days.value),
            readiness_requirements=[t("caseplan.readiness")] if self.readiness_first.value else [],
        )

    def update(self) -> None:
        self.counselling_week.disabled = not self.counselling_scheduled.value
        self.plan = caseplan.plan_from_dict(self.plan_dict())
        self.findings = caseplan.check(self.plan)
        counts = {s: sum(f.severity == s for f in self.findings) for s in caseplan.SEVERITIES}
        if not self.findings:
            self.result.value = f'<p style="color:#060"><b>✔ {esc(self._t("caseplan.all_clear"))}</b></p>'
            return
        rows = []
        for f in self.findings:
            mark, colour = _SEVERITY_STYLE[f.severity]
            item = fidelity.ITEM_BY_ID.get(f.fidelity_item or "")
            ref = f" [{f.fidelity_item}]" if f.fidelity_item else ""
            flag = (f' <span style="color:#a60">({esc(self._t("caseplan.anchor_unconfirmed"))})</span>'
                    if item is not None and item.unconfirmed else "")
            rows.append(f'<li style="color:{colour}">{mark} <span style="color:#222">'
                        f"{esc(f.message(self.lang))}</span>{esc(ref)}{sources_html(f.sources)}{flag}</li>")
        self.result.value = (f"<p><b>{esc(self._t('caseplan.counts', **counts))}</b></p>"
                             f'<ul style="list-style:none;padding-left:0.3em">{"".join(rows)}</ul>')

    def snapshot_body(self) -> str:
        settings = [f"<li>{esc(self.first_contact_week.description)}: {self.first_contact_week.value}</li>"]
        settings += [f"<li>{'☑' if c.value else '☐'} {esc(c.description)}</li>" for c in self.controls
                     if isinstance(c, widgets.Checkbox)]
        return f'<ul style="list-style:none">{"".join(settings)}</ul>{self.result.value}'


def caseplan_builder(lang: str = "en", start: str = "weak") -> CasePlanBuilder:
    """Module 6: edit a fictional client's plan and see which IPS rules it breaks (``start="good"``)."""
    return CasePlanBuilder(lang, start)


# =========================================================================== module 6: benefits


class BenefitsCalculator(View):
    """Earnings against an unemployment benefit (50 % rule, claim-date switch) and the disability-pension
    earnings limit. ``result``/``pension_result`` are the outputs; ``plot`` shows benefit and income."""

    def __init__(self, lang: str = "en", benefit: int = 750, earnings: int = 600,
                 claim_start: date = date(2024, 9, 2), prior_earnings: int = 3000) -> None:
        super().__init__(lang)
        money = dict(continuous_update=False, style=_LABEL, layout=_SLIDER)
        self.benefit = widgets.IntSlider(value=benefit, min=0, max=2000, step=10,
                                         description=self._t("benefits.benefit"), **money)
        self.earnings = widgets.IntSlider(value=earnings, min=0, max=3000, step=10,
                                          description=self._t("benefits.earnings"), **money)
        self.claim_start = widgets.DatePicker(value=claim_start, description=self._t("benefits.claim_start"),
                                              style=_LABEL)
        self.result = widgets.HTML()
        self.plot = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.figure = None
        self.after: float | None = None
        self.prior_earnings = widgets.IntSlider(value=prior_earnings, min=0, max=8000, step=50,
                                                description=self._t("benefits.prior_earnings"), **money)
        self.pension = widgets.Dropdown(options=[(self._t("benefits.pension.full"), "full"),
                                                 (self._t("benefits.pension.partial"), "partial")],
                                        value="full", description=self._t("benefits.pension"), style=_LABEL)
        self.pension_result = widgets.HTML()
        self.limit: float | None = None
        for control in (self.benefit, self.earnings, self.claim_start):
            control.observe(lambda _: self.update(), names="value")
        for control in (self.prior_earnings, self.pension):
            control.observe(lambda _: self.update_pension(), names="value")
        self.children = [
            widgets.HTML(f"<b>{esc(self._t('benefits.title'))}</b><p>{esc(self._t('benefits.intro'))}</p>"),
            self.benefit, self.earnings, self.claim_start, self.result, self.plot,
            widgets.HTML(f"<b>{esc(self._t('benefits.pension_title'))}</b>"),
            self.prior_earnings, self.pension, self.pension_result]
        self.update()
        self.update_pension()

    def update(self) -> None:
        start = self.claim_start.value
        if not isinstance(start, date):
            self.after = None
            self.result.value = f'<p style="color:#a00">{esc(self._t("benefits.no_date"))}</p>'
            return
        benefit, earnings = self.benefit.value, self.earnings.value
        after = self.after = caseplan.unemployment_benefit_after_earnings(benefit, earnings, start)
        old_rules = start < caseplan.SUOJAOSA_ABOLISHED_FROM
        other = caseplan.unemployment_benefit_after_earnings(
            benefit, earnings, date(2024, 3, 1) if not old_rules else caseplan.SUOJAOSA_ABOLISHED_FROM)
        rule = self._t("benefits.rule_old" if old_rules else "benefits.rule_new")
        compare = self._t("benefits.compare_old" if not old_rules else "benefits.compare_new",
                          other=_num(other, self.lang, 2))
        self.result.value = (
            f"<p>{esc(self._t('benefits.after', after=_num(after, self.lang, 2)))}<br>"
            f"{esc(self._t('benefits.total', total=_num(after + earnings, self.lang, 2)))}</p>"
            f"<p>{esc(rule)}{sources_html(['C72', 'C75'])}<br>{esc(compare)}</p>"
            f'<p style="color:#666"><em>{esc(self._t("benefits.simplified"))}</em></p>')
        self.figure = self._figure(benefit, earnings, start)
        self.plot.value = png_bytes(self.figure)

    def _figure(self, benefit: float, earnings: float, start: date):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 3.2))
        fig.subplots_adjust(left=0.11, right=0.97, bottom=0.16, top=0.9)
        ax = fig.add_subplot()
        xs = list(range(0, 3001, 50))
        for claim, style, key in ((date(2024, 3, 1), ":", "benefits.line_old"),
                                  (caseplan.SUOJAOSA_ABOLISHED_FROM, "-", "benefits.line_new")):
            ys = [caseplan.unemployment_benefit_after_earnings(benefit, x, claim) for x in xs]
            ax.plot(xs, ys, style, color="#4c72b0", label=self._t(key))
            ax.plot(xs, [x + y for x, y in zip(xs, ys)], style, color="#55a868",
                    label=self._t("benefits.line_total") if style == "-" else None)
        ax.axvline(earnings, color="#888", linewidth=0.8)
        ax.set_xlabel(self._t("benefits.axis_earnings"))
        ax.set_ylabel("€")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7, loc="upper left")
        ax.set_title(self._t("benefits.figure_title"), fontsize=9)
        return fig

    def update_pension(self) -> None:
        prior = self.prior_earnings.value
        limit = self.limit = caseplan.disability_pension_earnings_limit(prior, self.pension.value, 2024)
        share = 40 if self.pension.value == "full" else 60
        self.pension_result.value = (
            f"<p>{esc(self._t('benefits.limit', limit=_num(limit, self.lang, 2), share=share))}"
            f"{sources_html(['C74'])}</p>"
            f'<p style="color:#666"><em>{esc(self._t("benefits.pension_note"))}</em></p>')

    def snapshot_body(self) -> str:
        settings = (f"<p>{esc(self.benefit.description)}: {self.benefit.value} €; "
                    f"{esc(self.earnings.description)}: {self.earnings.value} €; "
                    f"{esc(self.claim_start.description)}: {self.claim_start.value}</p>")
        return (f"{settings}{self.result.value}{img_tag(bytes(self.plot.value), self.plot.tooltip or '')}"
                f"<p>{esc(self.prior_earnings.description)}: {self.prior_earnings.value} €</p>"
                f"{self.pension_result.value}")


def benefits_calculator(lang: str = "en", benefit: int = 750, earnings: int = 600,
                        claim_start: date = date(2024, 9, 2),
                        prior_earnings: int = 3000) -> BenefitsCalculator:
    """Module 6: what earnings do to an unemployment benefit and to a disability pension (fictional sums)."""
    return BenefitsCalculator(lang, benefit, earnings, claim_start, prior_earnings)
