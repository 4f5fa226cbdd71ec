"""The service-system views for course modules 0–3 (thin views over :mod:`sim.practice.services`).

* :func:`learning_path` (module 0) – pick your role, see a suggested order of the modules;
* :func:`service_navigator` (module 1) – describe a fictional client, see who leads and who helps;
* :func:`assessment_explorer` (module 2) – tick what an initial assessment covered, see the gaps;
* :func:`role_matcher` (module 3) – match each task in a pathway to the actor who does it.

Each is a :class:`~sim.widgets.base.View` whose controls and outputs are plain attributes, so a
test can set ``.value`` and read what a learner would see (``.result.value`` is the rendered
HTML). Labels come from ``sim/data/strings.yaml`` through :func:`sim.learning.text.t`; the
service system's own texts (actors, reasons, areas, tasks) from ``sim/data/practice/services.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from sim.practice import services
from sim.widgets.base import View, esc, sources_html

__all__ = [
    "LearningPath", "learning_path",
    "ServiceNavigator", "service_navigator",
    "AssessmentExplorer", "assessment_explorer",
    "RoleMatcher", "role_matcher",
]

_WIDE = widgets.Layout(width="auto")
_LABEL = {"description_width": "initial"}


def _dropdown(description: str, options: list[tuple[str, Any]], value: Any) -> widgets.Dropdown:
    return widgets.Dropdown(options=options, value=value, description=description,
                            style=_LABEL, layout=widgets.Layout(width="max-content"))


# --- module 0: learning path ---------------------------------------------------


class LearningPath(View):
    """Pick your professional role; see a suggested order of the modules."""

    def __init__(self, lang: str = "en", role: str = "coordinator") -> None:
        super().__init__(lang)
        self.role = _dropdown(self._t("path0.role"),
                              [(self._t(f"role.{r}"), r) for r in services.LEARNER_ROLES], role)
        self.result = widgets.HTML()
        self.path: tuple[str, ...] = ()
        self.role.observe(lambda _: self.update(), names="value")
        self.children = [widgets.HTML(f"<b>{esc(self._t('path0.title'))}</b>"), self.role, self.result]
        self.update()

    def update(self) -> None:
        self.path = services.learning_path(self.role.value)
        items = []
        for module in self.path:
            core = f" <em>({esc(self._t('path0.core'))})</em>" if module <= "m04" else ""
            items.append(f"<li>{esc(self._t(f'module.{module}'))}{core}</li>")
        self.result.value = f"<ol>{''.join(items)}</ol><p>{esc(self._t('path0.note'))}</p>"

    def snapshot_body(self) -> str:
        return f"<p><b>{esc(self.role.description)}</b> {esc(self.role.label)}</p>{self.result.value}"


def learning_path(lang: str = "en", role: str = "coordinator") -> LearningPath:
    """Module 0: a suggested learning path for a learner's role."""
    return LearningPath(lang, role)


# --- module 1: service navigator ---------------------------------------------


class ServiceNavigator(View):
    """Describe a fictional client; see who the case manager is and which actors fit."""

    def __init__(self, lang: str = "en", **situation: Any) -> None:
        super().__init__(lang)
        s = services.Situation(**situation)
        self.age_group = _dropdown(self._t("nav.age_group"),
                                   [(self._t(f"nav.age.{v}"), v) for v in services.AGE_GROUPS], s.age_group)
        self.benefit = _dropdown(self._t("nav.benefit"),
                                 [(self._t(f"nav.benefit.{v}"), v) for v in services.BENEFITS], s.benefit)
        self.barrier = _dropdown(self._t("nav.barrier"),
                                 [(self._t(f"nav.barrier.{v}"), v) for v in services.BARRIERS], s.barrier)
        self.work_history = _dropdown(self._t("nav.work_history"),
                                      [(self._t(f"nav.history.{v}"), v) for v in services.WORK_HISTORIES],
                                      s.work_history)
        self.wants_open_market = widgets.Checkbox(value=s.wants_open_market, indent=False, layout=_WIDE,
                                                  description=self._t("nav.wants_open_market"))
        self.result = widgets.HTML()
        self.navigation: services.Navigation | None = None
        self.controls = (self.age_group, self.benefit, self.barrier, self.work_history,
                         self.wants_open_market)
        for control in self.controls:
            control.observe(lambda _: self.update(), names="value")
        self.children = [widgets.HTML(f"<b>{esc(self._t('nav.title'))}</b>"), *self.controls, self.result]
        self.update()

    @property
    def situation(self) -> services.Situation:
        return services.Situation(age_group=self.age_group.value, benefit=self.benefit.value,
                                  barrier=self.barrier.value, work_history=self.work_history.value,
                                  wants_open_market=bool(self.wants_open_market.value))

    def update(self) -> None:
        nav = self.navigation = services.navigate(self.situation)
        lang = self.lang
        manager = services.actor(nav.case_manager)
        rows = []
        for actor_id in nav.actor_ids:
            reasons = " ".join(esc(r.why[lang]) + sources_html(r.sources) for r in nav.reasons(actor_id))
            rows.append(f"<li><b>{esc(services.actor(actor_id).name[lang])}</b>: {reasons}</li>")
        self.result.value = (
            f"<h4>{esc(self._t('nav.case_manager'))}: {esc(manager.name[lang])}</h4>"
            f"<p>{esc(nav.case_manager_why[lang])}</p>"
            f"<p><b>{esc(self._t('nav.entry'))}:</b> {esc(services.actor(nav.entry).name[lang])}</p>"
            f"<h4>{esc(self._t('nav.involve'))}</h4><ul>{''.join(rows)}</ul>"
            f"<p><em>{esc(self._t('nav.fictional'))}</em></p>"
        )

    def snapshot_body(self) -> str:
        items = [f"<li>{esc(c.description.rstrip(':'))}: {esc(c.label)}</li>" for c in self.controls[:-1]]
        tick = "☑" if self.wants_open_market.value else "☐"
        items.append(f"<li>{tick} {esc(self.wants_open_market.description)}</li>")
        return f"<ul>{''.join(items)}</ul>{self.result.value}"


def service_navigator(lang: str = "en", **situation: Any) -> ServiceNavigator:
    """Module 1: who fits a fictional client's situation (keywords preset the controls)."""
    return ServiceNavigator(lang, **situation)


# --- module 2: initial assessment ---------------------------------------------


class AssessmentExplorer(View):
    """Tick what an initial assessment covered; see what is missing and who could help."""

    def __init__(self, lang: str = "en", covered: Iterable[str] = ("health",)) -> None:
        super().__init__(lang)
        covered = set(covered)
        self.areas = {
            a.id: widgets.Checkbox(value=a.id in covered, description=a.name[self.lang],
                                   indent=False, layout=_WIDE)
            for a in services.ASSESSMENT_AREAS
        }
        self.result = widgets.HTML()
        self.coverage: services.Coverage | None = None
        for box in self.areas.values():
            box.observe(lambda _: self.update(), names="value")
        self.children = [widgets.HTML(f"<b>{esc(self._t('assess.title'))}</b>"),
                         *self.areas.values(), self.result]
        self.update()

    def update(self) -> None:
        lang = self.lang
        cov = self.coverage = services.assess_coverage(a for a, box in self.areas.items() if box.value)
        by_id = {a.id: a for a in services.ASSESSMENT_AREAS}
        parts = [f"<p><b>{esc(self._t('assess.covered', n=len(cov.covered), total=len(by_id)))}</b></p>"]
        if cov.health_check_only:
            parts.append(f'<p style="color:#a40">{esc(self._t("assess.health_check_only"))}'
                         f"{sources_html(['S2'])}</p>")
        if cov.complete:
            parts.append(f'<p style="color:#060">{esc(self._t("assess.complete"))}{sources_html(["S0"])}</p>')
        else:
            rows = []
            for area_id in cov.missing:
                area = by_id[area_id]
                who = ", ".join(services.actor(a).name[lang] for a in area.who)
                rows.append(f"<li><b>{esc(area.name[lang])}</b>: {esc(area.why[lang])}"
                            f"{sources_html(area.sources)}<br>{esc(self._t('assess.who'))}: {esc(who)}</li>")
            parts.append(f"<p>{esc(self._t('assess.missing'))}</p><ul>{''.join(rows)}</ul>")
        self.result.value = "".join(parts)

    def snapshot_body(self) -> str:
        ticks = "".join(f"<li>{'☑' if box.value else '☐'} {esc(box.description)}</li>"
                        for box in self.areas.values())
        return f'<ul style="list-style:none">{ticks}</ul>{self.result.value}'


def assessment_explorer(lang: str = "en", covered: Iterable[str] = ("health",)) -> AssessmentExplorer:
    """Module 2: what an initial assessment covers beyond the unemployed person's health check."""
    return AssessmentExplorer(lang, covered)


# --- module 3: who does what ----------------------------------------------------


class RoleMatcher(View):
    """Match each task to the actor who does it; check for explained feedback."""

    def __init__(self, lang: str = "en") -> None:
        super().__init__(lang)
        choices = [(self._t("roles.choose"), "")] + [
            (services.actor(a).name[self.lang], a) for a in services.ROLE_CHOICES]
        self.selectors = {task.id: widgets.Dropdown(options=choices, value="", layout=_WIDE,
                                                    description=self._t("roles.who", number=number),
                                                    style={"description_width": "initial"})
                          for number, task in enumerate(services.ROLE_TASKS, 1)}
        self.check_button = widgets.Button(description=self._t("roles.check"), button_style="primary",
                                           icon="check")
        self.feedback = widgets.HTML()
        self.score = widgets.HTML()
        self.results: tuple[services.RoleResult, ...] = ()
        self.check_button.on_click(lambda _: self.check())
        rows = []
        for number, task in enumerate(services.ROLE_TASKS, 1):
            rows.append(widgets.HTML(f"<b>{number}.</b> {esc(task.task[self.lang])}"))
            rows.append(self.selectors[task.id])
        self.children = [widgets.HTML(f"<b>{esc(self._t('roles.title'))}</b>"), *rows,
                         self.check_button, self.score, self.feedback]

    def check(self) -> tuple[services.RoleResult, ...]:
        lang = self.lang
        answers = {task_id: (box.value or None) for task_id, box in self.selectors.items()}
        self.results = services.check_roles(answers)
        tasks = {task.id: task for task in services.ROLE_TASKS}
        rows = []
        for number, r in enumerate(self.results, 1):
            task = tasks[r.task_id]
            expected = services.actor(r.expected).name[lang]
            if r.chosen is None:
                mark, verdict = "•", self._t("roles.unanswered", expected=expected)
            elif r.correct:
                mark, verdict = "✔", self._t("roles.right", expected=expected)
            else:
                mark, verdict = "✘", self._t("roles.wrong", chosen=services.actor(r.chosen).name[lang],
                                               expected=expected)
            rows.append(f"<li>{mark} <b>{number}.</b> {esc(verdict)} {esc(task.explanation[lang])}"
                        f"{sources_html(task.sources)}</li>")
        right = sum(r.correct for r in self.results)
        self.score.value = f"<b>{esc(self._t('roles.score', correct=right, total=len(self.results)))}</b>"
        self.feedback.value = f'<ul style="list-style:none;padding-left:0">{"".join(rows)}</ul>'
        return self.results

    def snapshot_body(self) -> str:
        tasks = "".join(f"<li>{esc(task.task[self.lang])}</li>" for task in services.ROLE_TASKS)
        roles = ", ".join(services.actor(a).name[self.lang] for a in services.ROLE_CHOICES)
        return (f"<p><b>{esc(self._t('roles.title'))}</b></p><ol>{tasks}</ol>"
                f"<p>{esc(self._t('roles.options'))}: {esc(roles)}</p>")


def role_matcher(lang: str = "en") -> RoleMatcher:
    """Module 3: who does what in a client's pathway."""
    return RoleMatcher(lang)
