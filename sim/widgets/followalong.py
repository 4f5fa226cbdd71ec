"""Module 12: the follow-along and job-ending planner (a thin view over :mod:`sim.practice.followalong`).

Part 1 plans a coach's face-to-face contacts in the first year after a fictional client starts work
and reviews the plan; part 2 reviews how his job ended and the next step. Controls and outputs are
attributes, so a test sets ``.value`` and reads the HTML a learner sees. Labels come from
``sim/data/strings/modules_11_12.yaml``; the choices, findings and the case from
``sim/data/practice/followalong.yaml``.
"""

from __future__ import annotations

import ipywidgets as widgets

from sim.practice import followalong
from sim.widgets.base import FORM_AUTO, FORM_LABEL, FORM_WIDE, View, esc, findings_html

__all__ = ["FollowAlongPlanner", "followalong_planner"]

_END_MONTHS = (3, 6, 12, 18, 24)


class FollowAlongPlanner(View):
    """A fictional client's support plan after a start at work, and the review of his job ending.

    Part 1: ``first_contact``, ``weekly_weeks``, ``later_every`` (sliders), ``months`` (0: no end
    date set by the service), ``employer_contact``, ``step_down`` and ``client_review``; ``plan``,
    ``plan_findings`` and ``plan_result`` hold the results. Part 2: ``reason``, ``months_in_job``,
    ``days_to_contact``, ``lessons``, ``account`` and ``next_step``; ``ending``, ``ending_findings``
    and ``ending_result``.
    """

    def __init__(self, lang: str = "en") -> None:
        super().__init__(lang)
        p, e = followalong.EXAMPLE_PLAN, followalong.EXAMPLE_ENDING
        slider = dict(continuous_update=False, style=FORM_LABEL, layout=FORM_WIDE)
        self.first_contact = widgets.IntSlider(value=p.first_contact_days, min=0, max=30,
                                               description=self._t("followalong.first_contact"), **slider)
        self.weekly_weeks = widgets.IntSlider(value=p.weekly_weeks, min=0, max=12,
                                              description=self._t("followalong.weekly_weeks"), **slider)
        self.later_every = widgets.IntSlider(value=p.later_every_weeks, min=1, max=12,
                                             description=self._t("followalong.later_every"), **slider)
        months = [(self._t("followalong.no_end"), 0)]
        months += [(self._t("followalong.after_months", months=m), m) for m in _END_MONTHS]
        self.months = widgets.Dropdown(options=months, value=p.months or 0, style=FORM_LABEL,
                                       layout=FORM_WIDE, description=self._t("followalong.months"))
        self.employer_contact = widgets.Checkbox(value=p.employer_contact, indent=False, layout=FORM_AUTO,
                                                 description=self._t("followalong.employer_contact"))
        self.step_down = self._dropdown(followalong.STEP_DOWN, p.step_down, "followalong.step_down")
        self.client_review = widgets.Checkbox(value=p.client_review, indent=False, layout=FORM_AUTO,
                                              description=self._t("followalong.client_review"))
        self.plan_result = widgets.HTML()
        self.reason = self._dropdown(followalong.REASONS, e.reason, "followalong.reason")
        self.months_in_job = widgets.IntSlider(value=e.months_in_job, min=0, max=36,
                                               description=self._t("followalong.months_in_job"), **slider)
        self.days_to_contact = widgets.IntSlider(value=e.days_to_contact, min=0, max=30,
                                                 description=self._t("followalong.days_to_contact"), **slider)
        self.lessons = widgets.Checkbox(value=e.lessons_recorded, indent=False, layout=FORM_AUTO,
                                        description=self._t("followalong.lessons"))
        self.account = widgets.Checkbox(value=e.client_account_recorded, indent=False, layout=FORM_AUTO,
                                        description=self._t("followalong.account"))
        self.next_step = self._dropdown(followalong.NEXT_STEPS, e.next_step, "followalong.next_step")
        self.ending_result = widgets.HTML()
        plan_controls = (self.first_contact, self.weekly_weeks, self.later_every, self.months,
                         self.employer_contact, self.step_down, self.client_review)
        ending_controls = (self.reason, self.months_in_job, self.days_to_contact, self.lessons, self.account,
                           self.next_step)
        for control in plan_controls:
            control.observe(lambda _: self.update_plan(), names="value")
        for control in ending_controls:
            control.observe(lambda _: self.update_ending(), names="value")
        head = widgets.HTML
        self.children = [
            head(f"<b>{esc(self._t('followalong.title'))}</b>"
                 f"<p>{esc(self._t('followalong.case', client=followalong.EXAMPLE_CLIENT))}</p>"
                 f"<b>{esc(self._t('followalong.plan_title'))}</b>"),
            *plan_controls, self.plan_result,
            head(f"<b>{esc(self._t('followalong.ending_title'))}</b>"),
            *ending_controls, self.ending_result]
        self.update_plan()
        self.update_ending()

    def _dropdown(self, table, value: str, key: str) -> widgets.Dropdown:
        return widgets.Dropdown(options=[(v(self.lang), k) for k, v in table.items()], value=value,
                                description=self._t(key), style=FORM_LABEL, layout=FORM_WIDE)

    def update_plan(self) -> None:
        self.plan = followalong.SupportPlan(
            first_contact_days=self.first_contact.value, weekly_weeks=self.weekly_weeks.value,
            later_every_weeks=self.later_every.value, months=self.months.value or None,
            employer_contact=self.employer_contact.value, step_down=self.step_down.value,
            client_review=self.client_review.value)
        self.plan_findings = followalong.review_plan(self.plan)
        counts = followalong.contacts_by_month(self.plan)
        months = "".join(f"<th>{m}</th>" for m in range(1, len(counts) + 1))
        cells = "".join(f"<td style='text-align:center'>{c}</td>" for c in counts)
        self.plan_result.value = (
            f"<table><caption style='text-align:left'>{esc(self._t('followalong.table_caption'))}</caption>"
            f"<tr><th style='text-align:left'>{esc(self._t('followalong.month'))}</th>{months}</tr>"
            f"<tr><th style='text-align:left'>{esc(self._t('followalong.contacts_row'))}</th>{cells}</tr>"
            f"</table>{findings_html(self.plan_findings, self.lang)}")

    def update_ending(self) -> None:
        self.ending = followalong.JobEnding(
            reason=self.reason.value, months_in_job=self.months_in_job.value,
            days_to_contact=self.days_to_contact.value, lessons_recorded=self.lessons.value,
            client_account_recorded=self.account.value, next_step=self.next_step.value)
        self.ending_findings = followalong.review_ending(self.ending)
        self.ending_result.value = findings_html(self.ending_findings, self.lang)

    def snapshot_body(self) -> str:
        return f"{self.plan_result.value}{self.ending_result.value}"


def followalong_planner(lang: str = "en") -> FollowAlongPlanner:
    """Module 12: plan a fictional client's support in work and review how his job ended."""
    return FollowAlongPlanner(lang)
