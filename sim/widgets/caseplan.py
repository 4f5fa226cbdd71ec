"""Course module 6: the case-plan builder, a thin view over :mod:`sim.practice.caseplan` (the plan)
and :mod:`sim.practice.casereview` (the rule check).

The builder is a :class:`~sim.widgets.base.View` whose controls and outputs are attributes, so a test
can set ``.value`` and read the findings a learner would see. Labels come from
``sim/data/strings/modules_5_9.yaml`` (``caseplan.*``) through :func:`sim.learning.text.t`.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets

from sim.learning.text import number
from sim.practice import caseplan, casereview, fidelity
from sim.widgets.base import View, esc, sources_html

__all__ = ["CASE_PLAN_STARTS", "CasePlanBuilder", "caseplan_builder"]

_LABEL = {"description_width": "initial"}
_SLIDER = widgets.Layout(width="36em")

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
    ``findings`` the list from :func:`sim.practice.casereview.check`; ``result`` shows them.
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
        self.findings: list[casereview.Finding] = []
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
        self.findings = casereview.check(self.plan)
        counts = {s: number(sum(f.severity == s for f in self.findings), self.lang)
                  for s in casereview.SEVERITIES}
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
        week = number(self.first_contact_week.value, self.lang)
        settings = [f"<li>{esc(self.first_contact_week.description)}: {week}</li>"]
        settings += [f"<li>{'☑' if c.value else '☐'} {esc(c.description)}</li>" for c in self.controls
                     if isinstance(c, widgets.Checkbox)]
        return f'<ul style="list-style:none">{"".join(settings)}</ul>{self.result.value}'


def caseplan_builder(lang: str = "en", start: str = "weak") -> CasePlanBuilder:
    """Module 6: edit a fictional client's plan and see which IPS rules it breaks (``start="good"``)."""
    return CasePlanBuilder(lang, start)
