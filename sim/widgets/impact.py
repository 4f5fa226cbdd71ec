"""Module 9: the impact calculator (a thin view over :mod:`sim.practice.impact`).

A fictional team's quarterly counts go in; employment rates with confidence intervals come out,
judged against the quarterly benchmarks of C38, with a figure. The view is a
:class:`~sim.widgets.base.View` whose controls and outputs are attributes, so a test can set
``.value`` and read the HTML a learner would see. Labels come from
``sim/data/strings/modules_5_9.yaml`` through :func:`sim.learning.text.t`; the sentences about a
result from ``sim/data/practice/impact.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
from matplotlib.figure import Figure

from sim.learning.text import percent
from sim.practice import impact
from sim.widgets.base import View, captioned, esc, image_html, image_widget, png_bytes, show_png, sources_html

__all__ = ["EXAMPLE_QUARTERS", "ImpactCalculator", "impact_calculator"]

_LABEL = {"description_width": "initial"}
_LEVELS = (0.8, 0.9, 0.95)
_AVERAGE = next(b for b in impact.BENCHMARKS if b.key == "average")


#: Quarterly counts of a fictional team (people in competitive work, people served).
EXAMPLE_QUARTERS = (("Q1", 5, 24), ("Q2", 9, 31), ("Q3", 13, 35), ("Q4", 15, 38))


class ImpactCalculator(View):
    """Quarterly counts in, rates with intervals out, judged against the C38 benchmarks.

    ``working[i]`` and ``served[i]`` are the count boxes of quarter ``i``; ``level`` and ``method``
    pick the interval; ``results`` holds the :class:`sim.practice.impact.PeriodResult` list, ``table`` and
    ``plot`` what is shown, ``needed`` how many people a quarter would be needed to judge.
    """

    def __init__(self, lang: str = "en", quarters: Sequence[tuple[str, int, int]] = EXAMPLE_QUARTERS,
                 level: float = 0.95, method: str = "wilson") -> None:
        super().__init__(lang)
        self.labels = [q[0] for q in quarters]
        count = dict(min=0, max=1000, layout=widgets.Layout(width="12em"), style=_LABEL)
        self.working = [widgets.BoundedIntText(value=w, description=self._t("impact.working"), **count)
                        for _, w, _ in quarters]
        self.served = [widgets.BoundedIntText(value=n, description=self._t("impact.served"), **count)
                       for _, _, n in quarters]
        self.level = widgets.Dropdown(options=[(percent(x, self.lang), x) for x in _LEVELS], value=level,
                                      description=self._t("impact.level"), style=_LABEL)
        self.method = widgets.Dropdown(options=[(self._t(f"impact.method.{m}"), m) for m in impact.METHODS],
                                       value=method, description=self._t("impact.method"), style=_LABEL)
        self.table = widgets.HTML()
        self.needed = widgets.HTML()
        self.plot = image_widget("tyokyky-impact-plot")
        self.figure: Figure | None = None
        self.results: list[impact.PeriodResult] = []
        for control in (*self.working, *self.served, self.level, self.method):
            control.observe(lambda _: self.update(), names="value")
        rows = [widgets.HBox([widgets.HTML(f"<b>{esc(name)}</b>", layout=widgets.Layout(width="4em")), w, n])
                for name, w, n in zip(self.labels, self.working, self.served)]
        title = f"<b>{esc(self._t('impact.title'))}</b><p>{esc(self._t('impact.intro'))}</p>"
        self.children = [widgets.HTML(title),
                         *rows, widgets.HBox([self.level, self.method]), self.table,
                         captioned(self.plot, self.lang), self.needed]
        self.update()

    def update(self) -> None:
        counts = [(name, w.value, n.value) for name, w, n in zip(self.labels, self.working, self.served)]
        bad = [name for name, w, n in counts if w > n]
        if bad:
            self.results = []
            text = self._t("impact.more_working", quarters=", ".join(bad))
            self.table.value = f'<p style="color:#a00">{esc(text)}</p>'
            self.figure = None
            show_png(self.plot, b"")  # a picture of the last valid counts would mislead
            return
        self.results = impact.judge_periods(counts, self.level.value, self.method.value)
        rows = []
        for r in self.results:
            colour = "#666" if r.too_small else "#222"
            flag = f' <b style="color:#a60">{esc(self._t("impact.too_small"))}</b>' if r.too_small else ""
            rows.append(f'<li style="color:{colour}"><b>{esc(r.label)}</b>: '
                        f"{esc(r.message(self.lang))}{flag}</li>")
        if not rows:
            rows.append(f"<li>{esc(self._t('impact.no_data'))}</li>")
        self.table.value = f"<ul>{''.join(rows)}</ul>{sources_html(impact.BENCHMARK_SOURCES)}"
        if self.results:
            self.figure = impact.impact_figure(self.results, self.lang)
            show_png(self.plot, png_bytes(self.figure), self._alt())
        else:
            self.figure = None
            show_png(self.plot, b"")
        average = _AVERAGE.rate
        n = impact.served_needed(average, self.level.value, self.method.value)
        self.needed.value = f"<p>{esc(self._t('impact.needed', n=n, rate=percent(average, self.lang)))}</p>"

    def _alt(self) -> str:
        """What the figure shows, in words: each quarter's rate and interval against the benchmarks."""
        lang = self.lang
        quarters = []
        for r in self.results:
            p = r.proportion
            quarter = f"{r.label} {percent(p.rate, lang)} ({percent(p.low, lang)}–{percent(p.high, lang)})"
            quarters.append(f"{quarter}, {self._t('impact.too_small')}" if r.too_small else quarter)
        rates = {b.key: percent(b.rate, lang) for b in impact.BENCHMARKS}
        return self._t("impact.figure_alt", level=percent(self.level.value, lang),
                       quarters="; ".join(quarters), **rates)

    def snapshot_body(self) -> str:
        return f"{self.table.value}{image_html(self.plot)}{self.needed.value}"


def impact_calculator(lang: str = "en", quarters: Sequence[tuple[str, int, int]] = EXAMPLE_QUARTERS,
                      level: float = 0.95, method: str = "wilson") -> ImpactCalculator:
    """Module 9: a fictional team's quarterly employment rates with intervals, against the benchmarks."""
    return ImpactCalculator(lang, quarters, level, method)
