"""Module 11: the disclosure and consent planner (a thin view over :mod:`sim.practice.disclosure`).

A fictional client's written agreement on what is shared, with whom, by whom and with what consent,
and its review. Controls and outputs are attributes, so a test sets ``.value``, clicks ``add`` or
``remove`` and reads the HTML a learner sees. Labels come from ``sim/data/strings/modules_11_12.yaml``;
items, recipients, findings and the case from ``sim/data/practice/disclosure.yaml``.
"""

from __future__ import annotations

from dataclasses import replace

import ipywidgets as widgets

from sim.practice import disclosure
from sim.practice.findings import Finding
from sim.widgets.base import FORM_AUTO, FORM_LABEL, FORM_WIDE, View, esc, findings_html

__all__ = ["DisclosurePlanner", "disclosure_planner"]

STARTS = ("draft", "blank")


class DisclosurePlanner(View):
    """Build and review a fictional client's disclosure and consent agreement.

    ``item``, ``recipient``, ``teller`` and ``consent`` are dropdowns for one line; ``add`` and
    ``remove`` change the agreement; ``review_weeks``, ``withdrawal`` and ``copy`` set the rest.
    ``agreement`` and ``findings`` hold the logic's results, ``document`` and ``review`` the HTML.
    """

    def __init__(self, lang: str = "en", start: str = "draft") -> None:
        super().__init__(lang)
        if start not in STARTS:
            raise ValueError(f"start={start!r} is not one of: {', '.join(STARTS)}")
        base = disclosure.EXAMPLE
        self.agreement = base if start == "draft" else disclosure.Agreement(
            client=base.client, wants_adjustments=base.wants_adjustments)
        self.findings: tuple[Finding, ...] = ()

        def dropdown(table, key: str) -> widgets.Dropdown:
            return widgets.Dropdown(options=[(v(self.lang), k) for k, v in table.items()],
                                    description=self._t(key), style=FORM_LABEL, layout=FORM_WIDE)

        self.item = dropdown(disclosure.ITEMS, "disclosure.what")
        self.recipient = dropdown(disclosure.RECIPIENTS, "disclosure.to_whom")
        self.teller = dropdown(disclosure.TELLERS, "disclosure.who")
        self.consent = dropdown(disclosure.CONSENTS, "disclosure.consent")
        self.add = widgets.Button(description=self._t("disclosure.add"), button_style="primary",
                                  tooltip=self._t("disclosure.add"), layout=FORM_AUTO)
        self.remove = widgets.Button(description=self._t("disclosure.remove"),
                                     tooltip=self._t("disclosure.remove"), layout=FORM_AUTO)
        self.review_weeks = widgets.IntSlider(value=self.agreement.review_weeks, min=0, max=26,
                                              continuous_update=False, style=FORM_LABEL, layout=FORM_WIDE,
                                              description=self._t("disclosure.review_weeks"))
        self.withdrawal = widgets.Checkbox(value=self.agreement.withdrawal_explained, indent=False,
                                           description=self._t("disclosure.withdrawal"),
                                           layout=FORM_AUTO)
        self.copy = widgets.Checkbox(value=self.agreement.copy_to_client, indent=False,
                                     description=self._t("disclosure.copy"), layout=FORM_AUTO)
        self.document = widgets.HTML()
        self.review = widgets.HTML()
        self.add.on_click(lambda _: self._change(self.agreement.with_line(self.line)))
        self.remove.on_click(lambda _: self._change(
            self.agreement.without(self.item.value, self.recipient.value)))
        for control in (self.review_weeks, self.withdrawal, self.copy):
            control.observe(lambda _: self._change(self.agreement), names="value")
        self.children = [
            widgets.HTML(f"<b>{esc(self._t('disclosure.title'))}</b>"
                         f"<p>{esc(self._t('disclosure.case', client=base.client))}</p>"),
            self.item, self.recipient, self.teller, self.consent,
            widgets.HBox([self.add, self.remove]),
            self.review_weeks, self.withdrawal, self.copy, self.document, self.review]
        self._change(self.agreement)

    @property
    def line(self) -> disclosure.Line:
        """The line the dropdowns describe."""
        return disclosure.Line(self.item.value, self.recipient.value, self.teller.value, self.consent.value)

    def _change(self, agreement: disclosure.Agreement) -> None:
        self.agreement = replace(agreement, review_weeks=self.review_weeks.value,
                                 withdrawal_explained=self.withdrawal.value, copy_to_client=self.copy.value)
        self.findings = disclosure.review(self.agreement)
        self.document.value = self._document_html()
        self.review.value = self._review_html()

    def _document_html(self) -> str:
        a = self.agreement
        head = "".join(f"<th style='text-align:left'>{esc(h)}</th>" for h in
                       ("#", self._t("disclosure.what"), self._t("disclosure.to_whom"),
                        self._t("disclosure.who"), self._t("disclosure.consent")))
        rows = "".join(f"<tr><td>{n}</td>{''.join(f'<td>{esc(c)}</td>' for c in row)}</tr>"
                       for n, row in enumerate(disclosure.agreement_rows(a, self.lang), 1))
        title = esc(self._t("disclosure.agreement_title", client=a.client))
        caption = f"<caption style='text-align:left'><b>{title}</b></caption>"
        table = (f"<table>{caption}<tr>{head}</tr>{rows}</table>"
                 if a.lines else f"<p><b>{title}</b></p><p>{esc(self._t('disclosure.no_lines'))}</p>")
        terms = [self._t("disclosure.revisit_after", weeks=a.review_weeks) if a.review_weeks
                 else self._t("disclosure.revisit_none"),
                 self._t("disclosure.withdrawal_yes" if a.withdrawal_explained
                         else "disclosure.withdrawal_no"),
                 self._t("disclosure.copy_yes" if a.copy_to_client else "disclosure.copy_no")]
        return table + "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in terms) + "</ul>"

    def _review_html(self) -> str:
        return f"<b>{esc(self._t('disclosure.findings_title'))}</b>{findings_html(self.findings, self.lang)}"

    def snapshot_body(self) -> str:
        return f"{self.document.value}{self.review.value}"


def disclosure_planner(lang: str = "en", start: str = "draft") -> DisclosurePlanner:
    """Module 11: write and review a fictional client's disclosure and consent agreement."""
    return DisclosurePlanner(lang, start)
