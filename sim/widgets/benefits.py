"""Course module 6: the benefits calculator, a thin view over :mod:`sim.practice.benefits`.

The calculator is a :class:`~sim.widgets.base.View` whose controls and outputs are attributes, so a
test can set ``.value`` and read the sums a learner would see. Labels come from
``sim/data/strings/modules_5_9.yaml`` (``benefits.*``) through :func:`sim.learning.text.t`; sums
are written in the language's style by :func:`sim.learning.text.number`.
"""

from __future__ import annotations

from datetime import date

import ipywidgets as widgets

from sim.learning.text import number, percent
from sim.practice import benefits
from sim.widgets.base import View, esc, image_html, image_widget, png_bytes, show_png, sources_html

__all__ = ["BenefitsCalculator", "benefits_calculator"]

_LABEL = {"description_width": "initial"}
_SLIDER = widgets.Layout(width="36em")
_BEFORE_SWITCH = date(2024, 3, 1)  # a claim start under the old rule, with the €300 protected amount
_MAX_EARNINGS = 3000  # the figure's earnings axis, € a month
_PENSION_YEAR = 2024  # the year of the disability-pension earnings floor shown


class BenefitsCalculator(View):
    """Earnings against an unemployment benefit (50 % rule, claim-date switch) and the disability-pension
    earnings limit. ``result``/``pension_result`` are the outputs; ``plot`` shows benefit and income."""

    def __init__(self, lang: str = "en", benefit: int = 750, earnings: int = 600,
                 claim_start: date = date(2024, 9, 2), prior_earnings: int = 3000) -> None:
        super().__init__(lang)
        money = dict(continuous_update=False, style=_LABEL, layout=_SLIDER)
        self.benefit = widgets.IntSlider(value=benefit, min=0, max=2000, step=10,
                                         description=self._t("benefits.benefit"), **money)
        self.earnings = widgets.IntSlider(value=earnings, min=0, max=_MAX_EARNINGS, step=10,
                                          description=self._t("benefits.earnings"), **money)
        self.claim_start = widgets.DatePicker(value=claim_start, description=self._t("benefits.claim_start"),
                                              style=_LABEL)
        self.result = widgets.HTML()
        self.plot = image_widget("tyo-benefits-plot")
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

    def _euros(self, value: float) -> str:
        return number(value, self.lang, 2)

    def update(self) -> None:
        start = self.claim_start.value
        if not isinstance(start, date):
            self.after = None
            self.result.value = f'<p style="color:#a00">{esc(self._t("benefits.no_date"))}</p>'
            return
        benefit, earnings = self.benefit.value, self.earnings.value
        after = self.after = benefits.unemployment_benefit_after_earnings(benefit, earnings, start)
        old_rules = start < benefits.SUOJAOSA_ABOLISHED_FROM
        other = benefits.unemployment_benefit_after_earnings(
            benefit, earnings, _BEFORE_SWITCH if not old_rules else benefits.SUOJAOSA_ABOLISHED_FROM)
        rule = self._t("benefits.rule_old" if old_rules else "benefits.rule_new")
        compare = self._t("benefits.compare_old" if not old_rules else "benefits.compare_new",
                          other=self._euros(other))
        self.result.value = (
            f"<p>{esc(self._t('benefits.after', after=self._euros(after)))}<br>"
            f"{esc(self._t('benefits.total', total=self._euros(after + earnings)))}</p>"
            f"<p>{esc(rule)}{sources_html(['C72', 'C75'])}<br>{esc(compare)}</p>"
            f'<p style="color:#666"><em>{esc(self._t("benefits.simplified"))}</em></p>')
        self.figure = self._figure(benefit, earnings)
        alt = self._t("benefits.figure_alt", max=number(_MAX_EARNINGS, self.lang),
                      earnings=number(earnings, self.lang))
        show_png(self.plot, png_bytes(self.figure), alt)

    def _figure(self, benefit: float, earnings: float):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 3.2))
        fig.subplots_adjust(left=0.11, right=0.97, bottom=0.16, top=0.9)
        ax = fig.add_subplot()
        xs = list(range(0, _MAX_EARNINGS + 1, 50))
        for claim, style, key in ((_BEFORE_SWITCH, ":", "benefits.line_old"),
                                  (benefits.SUOJAOSA_ABOLISHED_FROM, "-", "benefits.line_new")):
            ys = [benefits.unemployment_benefit_after_earnings(benefit, x, claim) for x in xs]
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
        prior, pension = self.prior_earnings.value, self.pension.value
        limit = self.limit = benefits.disability_pension_earnings_limit(prior, pension, _PENSION_YEAR)
        text = self._t("benefits.limit", limit=self._euros(limit),
                       share=percent(benefits.DISABILITY_PENSION_SHARES[pension], self.lang),
                       year=str(_PENSION_YEAR),
                       floor=self._euros(benefits.DISABILITY_PENSION_FLOOR_EUR[_PENSION_YEAR]))
        self.pension_result.value = (
            f"<p>{esc(text)}{sources_html(['C74'])}</p>"
            f'<p style="color:#666"><em>{esc(self._t("benefits.pension_note"))}</em></p>')

    def _sum_setting(self, slider: widgets.IntSlider) -> str:
        return f"{esc(slider.description)}: {number(slider.value, self.lang)} €"

    def snapshot_body(self) -> str:
        settings = (f"<p>{self._sum_setting(self.benefit)}; {self._sum_setting(self.earnings)}; "
                    f"{esc(self.claim_start.description)}: {self.claim_start.value}</p>")
        return (f"{settings}{self.result.value}{image_html(self.plot)}"
                f"<p>{self._sum_setting(self.prior_earnings)}</p>{self.pension_result.value}")


def benefits_calculator(lang: str = "en", benefit: int = 750, earnings: int = 600,
                        claim_start: date = date(2024, 9, 2),
                        prior_earnings: int = 3000) -> BenefitsCalculator:
    """Module 6: what earnings do to an unemployment benefit and to a disability pension (fictional sums)."""
    return BenefitsCalculator(lang, benefit, earnings, claim_start, prior_earnings)
