"""Module 7: the job-development planner (a thin view over :mod:`sim.practice.employers`).

A fictional job seeker's profile is matched against fictional employers, and a coach's week of
employer contacts is rated against the fidelity anchors SV5/SV6 and the hours of C14. The view is
a :class:`~sim.widgets.base.View` whose controls and outputs are attributes, so a test can set
``.value`` and read the HTML a learner would see. Labels come from
``sim/data/strings/modules_5_9.yaml`` through :func:`sim.learning.text.t`; the fields, strengths,
notes and example case from ``sim/data/practice/employers.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets

from sim.learning.text import Bilingual
from sim.practice import employers
from sim.widgets.base import View, esc, sources_html

__all__ = ["EmployerPlanner", "employer_planner"]

_LABEL = {"description_width": "initial"}
_SLIDER = widgets.Layout(width="36em")
_AUTO = widgets.Layout(width="auto")
_FIT_COLOUR = {"good": "#060", "possible": "#a60", "poor": "#a00"}
_NOTE_COLOUR = {"ok": "#060", "warning": "#a60", "info": "#444"}


def _checkboxes(table: Mapping[str, Bilingual], chosen: Sequence[str],
                lang: str) -> dict[str, widgets.Checkbox]:
    return {k: widgets.Checkbox(value=k in chosen, description=v(lang), indent=False, layout=_AUTO)
            for k, v in table.items()}


def _grid(boxes: dict[str, widgets.Checkbox]) -> widgets.GridBox:
    return widgets.GridBox(list(boxes.values()),
                           layout=widgets.Layout(grid_template_columns="repeat(2, 22em)"))


class EmployerPlanner(View):
    """A fictional job seeker's profile against fictional employers, and a coach's employer-contact week.

    ``fields``, ``strengths`` and ``avoid`` are dicts of checkboxes, ``max_hours``/``max_travel``
    sliders; ``matches`` is the ranked list and ``result`` the table. ``contacts``,
    ``preference_share``, ``log_review`` and ``minutes`` set the week; ``plan_check`` and
    ``plan_result`` hold its rating against SV5/SV6 (unconfirmed anchors) and C14.
    """

    def __init__(self, lang: str = "en", contacts: float = 4, preference_share: int = 60,
                 log_review: str = "monthly") -> None:
        super().__init__(lang)
        s = employers.EXAMPLE_SEEKER
        self.employers = tuple(employers.EXAMPLE_EMPLOYERS)
        self.fields = _checkboxes(employers.FIELDS, s.preferred_fields, self.lang)
        self.strengths = _checkboxes(employers.STRENGTHS, s.strengths, self.lang)
        self.avoid = _checkboxes(employers.CONDITIONS, s.avoid, self.lang)
        slider = dict(continuous_update=False, style=_LABEL, layout=_SLIDER)
        self.max_hours = widgets.IntSlider(value=int(s.max_hours_week), min=5, max=40,
                                           description=self._t("employers.max_hours"), **slider)
        self.max_travel = widgets.IntSlider(value=int(s.max_travel_km), min=1, max=50,
                                            description=self._t("employers.max_travel"), **slider)
        self.result = widgets.HTML()
        self.matches: list[employers.Match] = []
        self.contacts = widgets.FloatSlider(value=contacts, min=0, max=12, step=0.5, continuous_update=False,
                                            description=self._t("employers.contacts"), style=_LABEL,
                                            layout=_SLIDER)
        self.preference_share = widgets.IntSlider(value=preference_share, min=0, max=100, step=5,
                                                  continuous_update=False, style=_LABEL, layout=_SLIDER,
                                                  description=self._t("employers.preference_share"))
        self.log_review = widgets.Dropdown(options=[(self._t(f"employers.log.{k}"), k)
                                                    for k in employers.LOG_REVIEWS],
                                           value=log_review, description=self._t("employers.log_review"),
                                           style=_LABEL)
        self.minutes = widgets.IntSlider(value=45, min=15, max=120, step=15,
                                         description=self._t("employers.minutes"), **slider)
        self.plan_result = widgets.HTML()
        self.plan_check: employers.ContactPlanCheck | None = None
        for box in [*self.fields.values(), *self.strengths.values(), *self.avoid.values(),
                    self.max_hours, self.max_travel]:
            box.observe(lambda _: self.update_matches(), names="value")
        for control in (self.contacts, self.preference_share, self.log_review, self.minutes):
            control.observe(lambda _: self.update_plan(), names="value")
        head = widgets.HTML
        self.children = [
            head(f"<b>{esc(self._t('employers.title'))}</b>"
                 f"<p>{esc(self._t('employers.seeker', name=s.name))}</p>"),
            head(f"<b>{esc(self._t('employers.fields'))}</b>"), _grid(self.fields),
            head(f"<b>{esc(self._t('employers.strengths'))}</b>"), _grid(self.strengths),
            head(f"<b>{esc(self._t('employers.avoid'))}</b>"), _grid(self.avoid),
            self.max_hours, self.max_travel, self.result,
            head(f"<b>{esc(self._t('employers.week_title'))}</b>"
                 f"<p>{esc(self._t('employers.week_intro'))}</p>"),
            self.contacts, self.preference_share, self.log_review, self.minutes, self.plan_result]
        self.update_matches()
        self.update_plan()

    @property
    def seeker(self) -> employers.JobSeeker:
        chosen = [k for k, box in self.fields.items() if box.value]
        return employers.JobSeeker(name=employers.EXAMPLE_SEEKER.name, preferred_fields=chosen,
                                   strengths=[k for k, b in self.strengths.items() if b.value],
                                   max_hours_week=self.max_hours.value, max_travel_km=self.max_travel.value,
                                   avoid=[k for k, b in self.avoid.items() if b.value])

    def update_matches(self) -> None:
        lang = self.lang
        self.matches = employers.rank(self.seeker, self.employers)
        rows = []
        for m in self.matches:
            e = m.employer
            notes = []
            if m.adjustments:
                adj = ", ".join(self._t("employers.shorter_week") if a == "hours"
                                else employers.label("condition", a, lang) for a in m.adjustments)
                notes.append(f"{esc(self._t('employers.negotiate'))}: {esc(adj)}")
            if m.conflicts:
                conf = ", ".join(employers.label("condition", c, lang) for c in m.conflicts)
                notes.append(f'<span style="color:#a00">{esc(self._t("employers.conflicts"))}: '
                             f"{esc(conf)}</span>")
            if m.strengths_missing:
                gap = ", ".join(employers.label("strength", k, lang) for k in m.strengths_missing)
                notes.append(f"{esc(self._t('employers.missing'))}: {esc(gap)}")
            vacancy = self._t("employers.hiring") if e.hiring_now else self._t("employers.not_hiring")
            fit_text = esc(self._t(f"employers.fit.{m.fit}"))
            fit = f'<b style="color:{_FIT_COLOUR[m.fit]}">{m.score} · {fit_text}</b>'
            rows.append(
                f"<tr><td>{fit}</td><td><b>{esc(e.name)}</b><br>{esc(e.task(lang) if e.task else '')}<br>"
                f'<span style="color:#666">{esc(employers.label("field", e.field, lang))}; '
                f"{esc(self._hours(e))}; {esc(employers.amount(e.distance_km, lang))} km; {esc(vacancy)}"
                f"</span></td><td>{'<br>'.join(notes)}</td></tr>")
        header = "".join(f"<th style='text-align:left'>{esc(self._t(k))}</th>"
                         for k in ("employers.col.score", "employers.col.employer", "employers.col.notes"))
        self.result.value = (f"<table><tr>{header}</tr>{''.join(rows)}</table>"
                             f'<p style="color:#666"><em>{esc(self._t("employers.score_note"))}</em></p>')

    def _hours(self, e: employers.Employer) -> str:
        """The employer's week, as a range when it could be shortened: "20–37.5 h/week"."""
        hours = employers.amount(e.hours_week, self.lang)
        if e.min_hours_week < e.hours_week:
            hours = f"{employers.amount(e.min_hours_week, self.lang)}–{hours}"
        return self._t("employers.hours_week", hours=hours)

    def update_plan(self) -> None:
        c = self.plan_check = employers.check_contact_plan(self.contacts.value, self.preference_share.value,
                                                           self.log_review.value, self.minutes.value)
        notes = "".join(
            f'<li style="color:{_NOTE_COLOUR[n.level]}"><span style="color:#222">{esc(n.message(self.lang))}'
            f"</span>{sources_html(n.sources)}</li>" for n in c.notes)
        self.plan_result.value = (
            f"<p><b>{esc(self._t('employers.ratings', sv5=c.sv5_rating, sv6=c.sv6_rating))}</b> "
            f'<span style="color:#a60">({esc(self._t("employers.anchors_unconfirmed"))})</span></p>'
            f"<ul>{notes}</ul>")

    def snapshot_body(self) -> str:
        return f"{self.result.value}{self.plan_result.value}"


def employer_planner(lang: str = "en", contacts: float = 4, preference_share: int = 60,
                     log_review: str = "monthly") -> EmployerPlanner:
    """Module 7: match a fictional job seeker with fictional employers and plan a coach's employer week."""
    return EmployerPlanner(lang, contacts, preference_share, log_review)
