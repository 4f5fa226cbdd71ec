"""Course modules 6 and 10: the benefits calculator and the month-by-month income calculator, thin
views over :mod:`sim.practice.benefits`.

Each calculator is a :class:`~sim.widgets.base.View` whose controls and outputs are attributes, so a
test can set ``.value`` and read the sums a learner would see. Labels come from
``sim/data/strings/modules_5_9.yaml`` (``benefits.*``, module 6) and ``sim/data/strings.yaml``
(``income.*``, module 10) through :func:`sim.learning.text.t`; sums are written in the language's
style by :func:`sim.learning.text.number`. Every control has a description (its accessible name) and
every figure alt text.
"""

from __future__ import annotations

from datetime import date

import ipywidgets as widgets

from sim.learning.text import number, percent
from sim.practice import benefits
from sim.widgets.base import View, captioned, esc, image_html, image_widget, png_bytes, show_png, sources_html

__all__ = ["BenefitsCalculator", "IncomeCalculator", "benefits_calculator", "income_calculator"]

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
            self.benefit, self.earnings, self.claim_start, self.result, captioned(self.plot, self.lang),
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


# --- module 10: month-by-month income ------------------------------------------------------------

_HORIZON = 12  # months the income calculator shows
# Label keys written out, so that the strings test can see every key in use.
_SITUATION_LABEL = {"unemployment": "income.situation.unemployment",
                    "full_pension": "income.situation.full_pension",
                    "partial_pension": "income.situation.partial_pension"}
_STATUS_LABEL = {"no_work": "income.status.no_work", "adjusted": "income.status.adjusted",
                 "within_limit": "income.status.within_limit", "over_limit": "income.status.over_limit",
                 "resting": "income.status.resting"}
_COLUMNS = ("income.col.month", "income.col.earnings", "income.col.benefit", "income.col.total",
            "income.col.note")


class IncomeCalculator(View):
    """A fictional client's income month by month when a job starts: pay plus the adjusted unemployment
    benefit, or plus a disability pension kept within its earnings limit, over it, or left resting.

    ``months`` (:class:`~sim.practice.benefits.IncomeMonth`) and ``summary`` hold what is shown;
    ``table``, ``result`` and ``plot`` are the outputs."""

    def __init__(self, lang: str = "en", situation: str = "full_pension", benefit: int = 1140,
                 prior_earnings: int = 2300, start_month: int = 3, hours: int = 20, wage: float = 13.5,
                 claim_start: date = date(2025, 1, 7), rest_months: int = 0) -> None:
        super().__init__(lang)
        if situation not in benefits.INCOME_SITUATIONS:
            raise benefits.BenefitError(f"situation must be one of {', '.join(benefits.INCOME_SITUATIONS)}, "
                                        f"got {situation!r}")
        money = dict(continuous_update=False, style=_LABEL, layout=_SLIDER)
        self.situation = widgets.Dropdown(
            options=[(self._t(_SITUATION_LABEL[key]), key) for key in benefits.INCOME_SITUATIONS],
            value=situation, description=self._t("income.situation"), style=_LABEL, layout=_SLIDER)
        self.benefit = widgets.IntSlider(value=benefit, min=0, max=3000, step=10,
                                         description=self._t("income.benefit"), **money)
        self.claim_start = widgets.DatePicker(value=claim_start, description=self._t("income.claim_start"),
                                              style=_LABEL)
        self.prior_earnings = widgets.IntSlider(value=prior_earnings, min=0, max=8000, step=50,
                                                description=self._t("income.prior_earnings"), **money)
        self.start_month = widgets.IntSlider(value=start_month, min=1, max=_HORIZON,
                                             description=self._t("income.start_month"), **money)
        self.hours = widgets.IntSlider(value=hours, min=0, max=40, description=self._t("income.hours"),
                                       **money)
        self.wage = widgets.FloatSlider(value=wage, min=8, max=30, step=0.5, readout_format=".2f",
                                        description=self._t("income.wage"), **money)
        self.rest = widgets.Checkbox(value=bool(rest_months), description=self._t("income.rest"),
                                     style=_LABEL, layout=_SLIDER)
        low, high = benefits.PENSION_REST_MONTHS
        self.rest_months = widgets.IntSlider(value=max(low, rest_months), min=low, max=min(high, _HORIZON),
                                             description=self._t("income.rest_months"), **money)
        self.pay = widgets.HTML()
        self.table = widgets.HTML()
        self.result = widgets.HTML()
        self.plot = image_widget("tyo-income-plot")
        self.figure = None
        self.months: tuple[benefits.IncomeMonth, ...] = ()
        self.summary: benefits.IncomeSummary | None = None
        controls = (self.situation, self.benefit, self.claim_start, self.prior_earnings, self.start_month,
                    self.hours, self.wage, self.rest, self.rest_months)
        for control in controls:
            control.observe(lambda _: self.update(), names="value")
        intro = self._t("income.intro", months=str(_HORIZON))
        self.children = [widgets.HTML(f"<b>{esc(self._t('income.title'))}</b><p>{esc(intro)}</p>"),
                         *controls, self.pay, self.table, self.result, captioned(self.plot, self.lang)]
        self.update()

    def _euros(self, value: float) -> str:
        return number(value, self.lang, 2)

    def _resting(self) -> tuple[int, ...]:
        if not self.rest.value or self.situation.value == "unemployment":
            return ()
        first = self.start_month.value
        return tuple(range(first, min(first + self.rest_months.value, _HORIZON + 1)))

    def update(self) -> None:
        situation = self.situation.value
        pension = situation != "unemployment"
        self.claim_start.layout.display = "none" if pension else None
        for control in (self.prior_earnings, self.rest, self.rest_months):
            control.layout.display = None if pension else "none"
        self.rest_months.disabled = not self.rest.value
        start = self.claim_start.value
        if not pension and not isinstance(start, date):
            self.months, self.summary = (), None
            self.result.value = f'<p style="color:#a00">{esc(self._t("income.no_date"))}</p>'
            self.table.value = ""
            show_png(self.plot, b"")
            return
        pay = benefits.monthly_earnings(self.hours.value, self.wage.value)
        earnings = [pay if m >= self.start_month.value else 0.0 for m in range(1, _HORIZON + 1)]
        self.months = benefits.income_by_month(
            situation, self.benefit.value, earnings, claim_start=start or date(2025, 1, 1),
            prior_earnings_month=self.prior_earnings.value, year=_PENSION_YEAR, resting=self._resting())
        summary = self.summary = benefits.summarise_income(self.months, self.benefit.value)
        self.pay.value = "<p>" + esc(self._t("income.pay", hours=number(self.hours.value, self.lang),
                                            wage=self._euros(self.wage.value), pay=self._euros(pay))) + "</p>"
        self.table.value = self._table()
        self.result.value = self._result(summary)
        self.figure = self._figure()
        show_png(self.plot, png_bytes(self.figure), self._alt())

    def _table(self) -> str:
        pad = "padding:0 0.6em"
        head = "".join(f'<th scope="col" style="text-align:left;{pad}">{esc(self._t(key))}</th>'
                       for key in _COLUMNS)
        rows = []
        for m in self.months:
            cells = [self._euros(m.earnings), self._euros(m.benefit), self._euros(m.total)]
            style = ' style="background:#fdecea"' if m.status == "over_limit" else ""
            note = esc(self._t(_STATUS_LABEL[m.status]))
            rows.append(f'<tr{style}><th scope="row" style="text-align:left">{m.month}</th>'
                        + "".join(f'<td style="text-align:right;{pad}">{c}</td>' for c in cells)
                        + f'<td style="{pad}">{note}</td></tr>')
        return (f'<table class="tyo-income-table"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>')

    def _month_list(self, months: tuple[int, ...]) -> str:
        """``3–6, 9``: runs of consecutive months joined with an en dash."""
        return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in benefits.month_runs(months))

    def _result(self, summary: benefits.IncomeSummary) -> str:
        lines = [esc(self._t("income.summary", months=str(len(self.months)),
                             earnings=self._euros(summary.earnings), benefit=self._euros(summary.benefit),
                             total=self._euros(summary.total), without=self._euros(summary.without_work),
                             gain=self._euros(summary.gain)))]
        if self.situation.value == "unemployment":
            lines.append(esc(self._t("income.rule.unemployment")) + sources_html(["C72", "C75"]))
            if self.rest.value:
                lines.append(esc(self._t("income.rest_unemployment")))
        else:
            kind = "full" if self.situation.value == "full_pension" else "partial"
            floor = benefits.DISABILITY_PENSION_FLOOR_EUR[_PENSION_YEAR]
            lines.append(esc(self._t(
                "income.rule.pension", limit=self._euros(self.months[0].limit or 0.0),
                share=percent(benefits.DISABILITY_PENSION_SHARES[kind], self.lang), year=str(_PENSION_YEAR),
                floor=self._euros(floor))) + sources_html(["C74"]))
            if summary.over_limit_months:
                over = self._t("income.over_limit", months=self._month_list(summary.over_limit_months))
                lines.append(f'<span style="color:#a00">{esc(over)}</span>' + sources_html(["C74"]))
            if summary.resting_months:
                lines.append(esc(self._t("income.rest_note", months=self._month_list(summary.resting_months)))
                             + sources_html(["C74"]))
        note = f'<p style="color:#666"><em>{esc(self._t("income.not_counted"))}</em></p>'
        return "<p>" + "<br>".join(lines) + "</p>" + note

    def _figure(self):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 3.2))
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.16, top=0.9)
        ax = fig.add_subplot()
        xs = [m.month for m in self.months]
        pay = [m.earnings for m in self.months]
        ax.bar(xs, pay, color="#55a868", label=self._t("income.bar_earnings"))
        ax.bar(xs, [m.benefit for m in self.months], bottom=pay, color="#4c72b0",
               label=self._t("income.bar_benefit"))
        over = [m for m in self.months if m.status == "over_limit"]
        if over:
            ax.bar([m.month for m in over], [m.total for m in over], fill=False, hatch="//",
                   edgecolor="#c44e52", label=self._t("income.bar_over"))
        if self.situation.value != "unemployment" and self.months:
            ax.axhline(self.months[0].limit, color="#333", linestyle="--", linewidth=0.9,
                       label=self._t("income.line_limit"))
        ax.set_xticks(xs)
        ax.set_xlabel(self._t("income.axis_month"))
        ax.set_ylabel(self._t("income.axis_euros"))
        ax.legend(fontsize=7, loc="upper left")
        ax.set_title(self._t("income.figure_title"), fontsize=9)
        return fig

    def _alt(self) -> str:
        totals = [m.total for m in self.months]
        alt = self._t("income.figure_alt", months=str(len(self.months)), total=self._euros(sum(totals)),
                      high=self._euros(max(totals)), low=self._euros(min(totals)))
        if self.situation.value != "unemployment":
            alt += " " + self._t("income.figure_alt_limit", limit=self._euros(self.months[0].limit or 0.0),
                           over=str(len(self.summary.over_limit_months) if self.summary else 0))
        return alt

    def snapshot_body(self) -> str:
        settings = "; ".join(
            f"{esc(c.description)}: {esc(v)}" for c, v in (
                (self.situation, self._t(_SITUATION_LABEL[self.situation.value])),
                (self.benefit, f"{number(self.benefit.value, self.lang)} €"),
                (self.start_month, self.start_month.value), (self.hours, self.hours.value),
                (self.wage, f"{self._euros(self.wage.value)} €")))
        return (f"<p><b>{esc(self._t('income.title'))}</b></p><p>{settings}</p>{self.pay.value}"
                f"{self.table.value}{self.result.value}{image_html(self.plot)}")


def income_calculator(lang: str = "en", situation: str = "full_pension", benefit: int = 1140,
                      prior_earnings: int = 2300, start_month: int = 3, hours: int = 20,
                      wage: float = 13.5, rest_months: int = 0) -> IncomeCalculator:
    """Module 10: a fictional client's income month by month when a job starts (simplified rules).

    The defaults are the module's fictional client, Jussi; ``rest_months`` > 0 starts with his pension
    left resting for that many months from the job's start."""
    return IncomeCalculator(lang, situation, benefit, prior_earnings, start_month, hours, wage,
                            rest_months=rest_months)
