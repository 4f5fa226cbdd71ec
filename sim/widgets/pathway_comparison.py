"""Module 4: train-then-place (stepwise) or place-then-train (IPS) on one timeline, with evidence.

A thin view over :func:`sim.practice.services.compare_pathways`: sliders for the stepwise
preparation time and the learner's own job-search assumption, a study to compare with, and
:func:`pathway_figure`, the two service pathways' timelines beside the study's outcome. The
view's controls and outputs are attributes (``.prep_months``, ``.summary``, ``.plot``,
``.figure``), so a test sets ``.value`` and reads what a learner would see.
"""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from sim.learning.text import check_language, number, percent, t
from sim.practice import services
from sim.widgets.base import View, captioned, esc, image_html, image_widget, png_bytes, show_png, sources_html

__all__ = ["PathwayComparisonView", "pathway_comparison", "pathway_figure"]

_LABEL = {"description_width": "initial"}
_SLIDER = widgets.Layout(width="44em")
_PHASE_COLOURS = {
    "path.phase.preparation": "#9e9e9e", "path.phase.agreement": "#4c72b0",
    "path.phase.search": "#dd8452", "path.phase.search_with_coach": "#dd8452",
    "path.phase.work": "#55a868", "path.phase.work_with_support": "#55a868",
}


def pathway_figure(comparison: services.PathwayComparison, lang: str = "en") -> Figure:
    """The two timelines (left) and the chosen study's outcome (right)."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    check_language(lang)
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax, bx = fig.subplots(1, 2, width_ratios=[2.7, 1.3])
    rows = ((1, comparison.stepwise, comparison.stepwise_first_contact_month),
            (0, comparison.ips, comparison.ips_first_contact_month))
    for y, phases, contact in rows:
        for phase in phases:
            ax.broken_barh([(phase.start_month, phase.end_month - phase.start_month)], (y - 0.3, 0.6),
                           facecolors=_PHASE_COLOURS[phase.key], edgecolor="white",
                           hatch="//" if phase.assumed else None)
        ax.plot([contact], [y + 0.38], marker="v", color="black")
    ax.set_yticks([1, 0], [t("path.stepwise", lang), t("path.ips", lang)])
    ax.set_xlim(0, comparison.horizon_months)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("path.months_axis", lang))
    ax.set_title(t("path.timeline_title", lang), fontsize=10)
    legend = [Patch(facecolor=_PHASE_COLOURS[k], label=t(k, lang)) for k in
              ("path.phase.preparation", "path.phase.agreement", "path.phase.search", "path.phase.work")]
    legend.append(Patch(facecolor="white", edgecolor="black", hatch="//", label=t("path.assumption", lang)))
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize=8,
              frameon=False)
    ev = comparison.evidence
    shares = [ev.ips_share, ev.comparison_share]
    bars = bx.bar([t("path.ips_short", lang), t("path.comparison_short", lang)], [100 * s for s in shares],
                  color=["#55a868", "#9e9e9e"])
    bx.bar_label(bars, labels=[percent(s, lang) for s in shares])
    bx.set_ylim(0, 100)
    bx.set_ylabel(t("path.share_axis", lang))
    bx.set_title(f"{ev.label(lang)}\n[{', '.join(ev.sources)}]", fontsize=9)
    return fig


class PathwayComparisonView(View):
    """Sliders for the stepwise preparation time and job-search time; a timeline figure."""

    def __init__(self, lang: str = "en", prep_months: int = 12, search_months: int = 4,
                 evidence: str = "bond2008") -> None:
        super().__init__(lang)
        lo, hi = services.PREP_MONTHS_RANGE
        self.prep_months = widgets.IntSlider(value=prep_months, min=lo, max=hi, continuous_update=False,
                                             description=self._t("path.prep_months"), style=_LABEL,
                                             layout=_SLIDER)
        lo, hi = services.SEARCH_MONTHS_RANGE
        self.search_months = widgets.IntSlider(value=search_months, min=lo, max=hi,
                                               continuous_update=False, style=_LABEL,
                                               description=self._t("path.search_months"), layout=_SLIDER)
        studies = [(e.label(self.lang), e.id) for e in services.EVIDENCE.values()]
        self.evidence = widgets.Dropdown(options=studies, value=evidence, style=_LABEL,
                                         description=self._t("path.evidence"),
                                         layout=widgets.Layout(width="max-content"))
        self.summary = widgets.HTML()
        self.plot = image_widget("tyokyky-pathway-plot")
        self.figure: Figure | None = None
        self.comparison: services.PathwayComparison | None = None
        for control in (self.prep_months, self.search_months, self.evidence):
            control.observe(lambda _: self.update(), names="value")
        self.children = [widgets.HTML(f"<b>{esc(self._t('path.title'))}</b>"), self.prep_months,
                         self.search_months, self.evidence, captioned(self.plot, self.lang), self.summary]
        self.update()

    def update(self) -> None:
        lang = self.lang
        c = self.comparison = services.compare_pathways(self.prep_months.value, self.search_months.value,
                                                        self.evidence.value)
        ev = c.evidence
        ips, comparison = percent(ev.ips_share, lang), percent(ev.comparison_share, lang)
        self.figure = pathway_figure(c, lang)
        alt = self._t("path.figure_alt", prep=c.prep_months, search=c.search_months,
                      days=services.FIRST_EMPLOYER_CONTACT_DAYS, study=ev.label(lang), ips=ips,
                      comparison=comparison)
        show_png(self.plot, png_bytes(self.figure, dpi=96), alt)
        contact = self._t("path.summary_contact", prep=c.prep_months,
                          days=services.FIRST_EMPLOYER_CONTACT_DAYS)
        evidence = self._t("path.summary_evidence", study=ev.label(lang), detail=ev.detail(lang),
                           ips=ips, comparison=comparison)
        sooner = self._t("path.summary_sooner", months=number(c.months_earlier, lang, 1))
        self.summary.value = (
            f"<ul><li>{esc(contact)}{sources_html(['C13', 'C63'])}</li>"
            f"<li>{esc(sooner)}</li>"
            f"<li>{esc(evidence)}{sources_html(ev.sources)}</li>"
            f"<li>{esc(self._t('path.summary_weeks'))}{sources_html(['C25'])}</li></ul>"
            f"<p><em>{esc(self._t('path.assumption_note'))}</em></p>"
        )

    def snapshot_body(self) -> str:
        settings = (f"<p>{esc(self.prep_months.description)}: {self.prep_months.value}; "
                    f"{esc(self.search_months.description)}: {self.search_months.value}</p>")
        return f"{settings}{image_html(self.plot)}{self.summary.value}"


def pathway_comparison(lang: str = "en", prep_months: int = 12, search_months: int = 4,
                       evidence: str = "bond2008") -> PathwayComparisonView:
    """Module 4: train-then-place vs place-then-train on one timeline, with evidence."""
    return PathwayComparisonView(lang, prep_months, search_months, evidence)
