"""The decision brief: one self-contained HTML page and a PDF of the same content that a planner
hands to the board (``worksim brief FOLDER``).

A brief answers one question in words: the question, the key results with their 95 %
confidence intervals as sentences, a picture of the pathway with its yearly flows, the A–B
comparison or the staffing answer, the numbers the simulation starts from with the source of
each, warnings, assumptions and limits, and the simulation's STRESS-DES record as an appendix.
Every word is English or Finnish from ``sim/data/strings/brief.yaml`` (and the KPI and setting
names of ``strings/plots.yaml``); no code name of a KPI or a setting appears in it.

Build it from a folder that ``worksim run``, ``worksim sweep`` or ``worksim compare --out``
wrote, or from results in memory::

    write_brief("results/my-run", "fi")                    # brief-fi.html and brief-fi.pdf there
    write_brief(reps, "en", out="briefs/")                 # Replications, Comparison or SweepResult
    brief = build_brief(load_results("results/my-run"), "en")
    brief.to_html(), brief.to_pdf()                        # str and bytes

The content is a list of blocks (heading, paragraph, list, table, picture) rendered twice, to
HTML and to PDF (fpdf2 with matplotlib's DejaVu Sans, so Finnish letters, "–", "−" and "€"
show), so both say the same.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as _dt
import html
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import __version__, plots
from .experiment import (
    UTILISATION_WARNING,
    Comparison,
    Replications,
    SweepResult,
    Target,
)
from .learning.text import UnknownKeyError, check_language, number, percent, t
from .planner import answer_point, clip_bound, ips_share
from .report import (
    Footnotes,
    missing_reason,
    parameter_table,
    run_record,
    stress_report,
    warning_texts,
)
from .results import KEY_KPIS, KPIS, RunResult, kpi_unit
from .scenario import Scenario
from .stats import CI

__all__ = ["Block", "Brief", "Loaded", "build_brief", "load_results", "write_brief",
           "brief_files", "kpi_sentence", "format_value", "words"]

Result = Replications | Comparison | SweepResult

_TARGET_WORDS = {"<=": "at_most", "<": "below", ">=": "at_least", ">": "above"}
_COMPARE_KPIS = ("ips_wait_days.mean", "ips_wait_days.p90", "ips_started_within_30d_share",
                 "assessment_wait_days.mean", "employed_within_365d_share",
                 "coach_caseload_utilisation", "exit_employed")
_ASSUMED = "scenario assumption"  # what Scenario.source_of says for a field with no citation


# --- content blocks ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Block:
    """One piece of the brief: ``kind`` is h1, h2, h3, p, note, ul, table or img.

    ``text`` holds a heading's or paragraph's words, ``items`` a list's items or a table's rows
    (the first row is the header), ``image`` a PNG and ``text`` then its alt text.
    """

    kind: str
    text: str = ""
    items: tuple = ()
    image: bytes = b""


@dataclasses.dataclass(frozen=True)
class Brief:
    """A built brief: its title, language and blocks; :meth:`to_html` and :meth:`to_pdf`."""

    title: str
    lang: str
    blocks: tuple[Block, ...]

    def to_html(self) -> str:
        return _html(self)

    def to_pdf(self) -> bytes:
        return _pdf(self)


@dataclasses.dataclass(frozen=True)
class Loaded:
    """Results read back from an output folder, with the folder's STRESS-DES record."""

    result: Result
    kind: str  # "run", "compare" or "sweep"
    appendix: str | None = None


# --- numbers in words -------------------------------------------------------------------------

def _per_year(metric: str) -> bool:
    base = metric.split(".")[0]
    return base == "referrals" or base.startswith("exit_")


def _year_factor(scenario: Scenario) -> float:
    days = scenario.horizon_days - scenario.warmup_days
    return 365.0 / days if days > 0 else math.nan


def format_value(value: float, unit: str, lang: str = "en") -> str:
    """A result as the brief writes it: shares as whole per cents, days and people whole
    (one decimal below 10), anything else with the decimals it needs."""
    if value is None or not math.isfinite(value):
        return "–"
    if unit == "share":
        return percent(value, lang, 0)
    if unit in ("days", "clients"):
        return number(value, lang, 0 if abs(value) >= 10 else 1)
    return plots.amount(value, lang)


def _interval(low: str, high: str) -> str:
    """A 95 % confidence interval as the brief writes it, in every language: "(82–110)"."""
    return f"({low}–{high})"


def _ci_words(ci: CI, unit: str, lang: str, factor: float = 1.0) -> str:
    low, high = ci.low * factor, ci.high * factor
    if not (math.isfinite(low) and math.isfinite(high)):
        return t("brief.ci.none", lang)
    return _interval(format_value(clip_bound(low, unit), unit, lang),
                     format_value(clip_bound(high, unit), unit, lang))


def kpi_sentence(metric: str, ci: CI, scenario: Scenario, lang: str = "en", reason: str = ""
                 ) -> str:
    """One KPI with its 95 % CI as a sentence: "People wait on average 96 days (82–110) for a
    coaching place." Counts of referred people (referrals, exits) are given a year. A KPI
    with no value says why: *reason* (:func:`sim.report.missing_reason`) if given."""
    unit = kpi_unit(metric)
    factor = _year_factor(scenario) if _per_year(metric) else 1.0
    label = plots.kpi_label(metric, lang)
    if not math.isfinite(ci.mean):
        return f"{label}: {reason}." if reason else t("brief.kpi.none", lang, label=label)
    fields = {"value": format_value(ci.mean * factor, unit, lang),
              "ci": _ci_words(ci, unit, lang, factor)}
    try:
        return t(f"brief.kpi.{metric}", lang, **fields)
    except UnknownKeyError:
        return f"{label}: {fields['value']} {fields['ci']}."  # the same in every language


def _signed(value: float, unit: str, lang: str) -> str:
    """A difference with its sign (− is U+2212), shares in percentage points (without the
    unit: :func:`_in_units` adds it)."""
    if not math.isfinite(value):
        return "–"
    shown = (number(abs(value) * 100, lang, 1) if unit == "share"
             else format_value(abs(value), unit, lang))
    if not any(c in shown for c in "123456789"):
        return shown  # nothing to sign: 0, 0.0
    return ("+" if value > 0 else "\u2212") + shown


def _in_units(shown: str, unit: str, lang: str, per_year: bool = False, difference: bool = False
              ) -> str:
    """A value or a difference with its unit in words: days, a year, percentage points."""
    if shown == "–":
        return shown
    if unit == "share":
        return f"{shown}\u00a0{t('brief.unit.pp', lang)}" if difference else shown
    if unit == "days":
        return t("brief.value.days", lang, value=shown)
    return t("brief.value.per_year", lang, value=shown) if per_year else shown


def _with_reason(shown: str, why: str) -> str:
    """A value as shown, or "–" with the reason it has none."""
    return f"– ({why})" if shown == "–" and why else shown


def _target_words(target: Target, lang: str) -> str:
    unit = kpi_unit(target.kpi)
    value = (percent(target.value, lang, 0) if unit == "share"
             else t("brief.value.days", lang, value=plots.amount(target.value, lang))
             if unit == "days" else plots.amount(target.value, lang))
    return t(f"brief.target.{_TARGET_WORDS[target.op]}", lang,
             kpi=plots.kpi_label(target.kpi, lang), value=value)


# --- codes as words ----------------------------------------------------------------------------

def _setting_words(path: str, lang: str) -> str:
    label = plots.setting_label(path, lang)
    if label != path:
        return label
    return " › ".join(part.replace("_", " ") for part in path.split("."))


def _code_words(code: str, lang: str, params: set[str]) -> str:
    base, _, part = code.partition(".")
    if base in KPIS:
        label = plots.kpi_label(code, lang)
        return label if label != code else plots.kpi_label(base, lang)
    if code in params or plots.setting_label(code, lang) != code:
        return _setting_words(code, lang)
    if re.fullmatch(r"[a-z][a-z0-9]*(?:[._][a-z0-9]+)+", code):
        return code.replace("_", " ")
    return code


_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\.[A-Za-z0-9_]+)?\b")


def words(text: str, lang: str = "en", params: Sequence[str] = ()) -> str:
    """*text* with every code name written in words: KPIs by :func:`sim.plots.kpi_label`,
    settings (dotted paths in *params* or with a label) by :func:`sim.plots.setting_label`
    (or their parts, "ips › caseload per coach"), other snake_case names with spaces."""
    known = set(params)
    text = re.sub(r"`([^`]*)`", lambda m: _code_words(m.group(1), lang, known), text)
    for path in sorted(known, key=len, reverse=True):
        if "." in path and path in text:
            text = re.sub(rf"(?<![\w.]){re.escape(path)}(?![\w])", _setting_words(path, lang), text)
    return _SNAKE.sub(lambda m: _code_words(m.group(0), lang, known), text)


# --- reading an output folder ------------------------------------------------------------------

def brief_files(lang: str) -> tuple[str, str]:
    """The file names a brief in *lang* is written to."""
    check_language(lang)
    return f"brief-{lang}.html", f"brief-{lang}.pdf"


def _replications(scenario: Scenario, seed: int, per_rep: Sequence[Mapping[str, Any]],
                  meta: Sequence[Mapping[str, Any]] = ()) -> Replications:
    runs = []
    for i, kpis in enumerate(per_rep):
        values = {k: float(v) if v not in ("", None) else math.nan
                  for k, v in kpis.items() if k != "replication"}
        runs.append(RunResult(kpis=values, series={}, meta=dict(meta[i]) if i < len(meta) else {}))
    if not runs:
        raise ValueError("the folder holds no replications.")
    return Replications(scenario, seed, tuple(runs))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read it ({exc}); write the results again.") from None


def load_results(folder: str | Path) -> Loaded:
    """The results in a folder written by ``worksim run``, ``worksim sweep`` or
    ``worksim compare --out`` (ValueError, saying what is missing, for any other folder)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder; give the output folder of worksim run, sweep "
                         "or compare --out.")
    try:
        if (folder / "compare.json").is_file():
            data = _read_json(folder / "compare.json")
            base = Scenario.from_dict(data["base"])
            reps = _replications(base, data["seed"], data["per_replication"]["base"])
            alts = {name: _replications(Scenario.from_dict(s), data["seed"],
                                        data["per_replication"][name])
                    for name, s in data["alternatives"].items()}
            record = data.get("record")
            appendix = stress_report(reps, record) if record else None
            return Loaded(Comparison(reps, alts), "compare", appendix)
        if (folder / "sweep.json").is_file():
            data = _read_json(folder / "sweep.json")
            first = Scenario.from_dict(data["scenario"])
            results = tuple(_replications(first.with_changes(point), data["seed"], per_rep)
                            for point, per_rep in zip(data["points"], data["per_point"]))
            target = data.get("target")
            result = SweepResult(tuple(data["parameters"]), tuple(data["points"]), results,
                                 Target(**target) if target else None,
                                 dict(data.get("offered_load") or {}))
            record = data.get("record")
            shown = answer_point(result)
            appendix = stress_report(shown, record) if record else None
            return Loaded(result, "sweep", appendix)
        if (folder / "run.json").is_file() and (folder / "replications.csv").is_file():
            data = _read_json(folder / "run.json")
            with (folder / "replications.csv").open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            reps = _replications(Scenario.from_dict(data["scenario"]), data["seed"], rows,
                                 data.get("per_replication") or ())
            report = folder / "report.md"
            appendix = (report.read_text(encoding="utf-8") if report.is_file()
                        else stress_report(reps, data))
            return Loaded(reps, "run", appendix)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{folder}: the results there are incomplete ({exc} is missing); "
                         "write them again with worksim.") from None
    if (folder / "sweep.csv").is_file():
        raise ValueError(f"{folder}: this sweep folder has no sweep.json (an older worksim wrote "
                         "it); run the sweep again to write a brief from it.")
    raise ValueError(f"{folder}: not a run, sweep or compare folder (no run.json, sweep.json or "
                     "compare.json); give a folder written by worksim run, worksim sweep or "
                     "worksim compare --out.")


# --- building the brief ---------------------------------------------------------------------------

def _figure_block(fig) -> Block:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return Block("img", fig.get_label(), image=buf.getvalue())


def _question(result: Result, lang: str, question: str | None) -> list[Block]:
    if isinstance(result, Comparison):
        s = result.base.scenario
        asked = t("brief.question.compare", lang, name=s.name,
                  alternatives=", ".join(t("brief.quoted", lang, name=n) for n in result.alternatives))
    elif isinstance(result, SweepResult):
        s = answer_point(result).scenario
        setting = ", ".join(_setting_words(p, lang) for p in result.parameters)
        asked = (t("brief.question.sweep_target", lang, setting=setting,
                   target=_target_words(result.target, lang))
                 if result.target is not None else t("brief.question.sweep", lang, setting=setting))
    else:
        s = result.scenario
        asked = t("brief.question.run", lang, name=s.name)
    blocks = [Block("h2", t("brief.h.question", lang)), Block("p", question or asked)]
    if s.rationale:
        blocks.append(Block("note", t("brief.question.rationale", lang, text=s.rationale)))
    if s.description:
        blocks.append(Block("note", t("brief.question.scenario", lang, text=s.description)))
    return blocks


def _results(reps: Replications, lang: str, heading: str = "brief.h.results") -> list[Block]:
    s = reps.scenario
    have = reps.runs[0].kpis
    sentences = [kpi_sentence(k, reps.ci(k), s, lang, missing_reason(reps, k, lang))
                 for k in KEY_KPIS if k in have or k.split(".")[0] in have]
    note = t("brief.results.source", lang, replications=reps.n, days=plots.amount(s.horizon_days, lang),
             warmup=plots.amount(s.warmup_days, lang))
    return [Block("h2", t(heading, lang)), Block("ul", items=tuple(sentences)), Block("note", note)]


def _flows(reps: Replications, lang: str) -> list[Block]:
    flows = plots.pathway_flows(reps)
    d, o = flows["decisions"], flows["outcomes"]
    def people(value: float) -> str:
        return format_value(value, "clients", lang)

    text = t("brief.flows.text", lang, referrals=people(flows["referrals"]),
             ips=people(d.get("ips", 0)), stepwise=people(d.get("stepwise", 0)),
             vocational=people(d.get("vocational", 0)), employed=people(o.get("employed", 0)),
             in_service=people(o.get("in_service", 0)))
    return [Block("h2", t("brief.h.flows", lang)), Block("p", text),
            _figure_block(plots.flow_figure(reps, lang, flows))]


def _changes(base: Scenario, alt: Scenario, lang: str) -> str:
    before = {r["parameter"]: r["value"] for r in parameter_table(base)}
    after = {r["parameter"]: r["value"] for r in parameter_table(alt)}
    changed = [f"{_setting_words(p, lang)} {_shown(before.get(p), lang)} → {_shown(after[p], lang)}"
               for p in after if before.get(p) != after[p] and p != "name"]
    changed += [f"{_setting_words(p, lang)} {_shown(before[p], lang)} → –"
                for p in before if p not in after]
    return "; ".join(changed) or t("brief.compare.same", lang)


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return plots.amount(value, lang)
    return str(value)


def _comparison(cmp: Comparison, lang: str) -> list[Block]:
    blocks = [Block("h2", t("brief.h.compare", lang))]
    base = cmp.base
    blocks.append(Block("ul", items=tuple(
        t("brief.compare.changes", lang, name=name, changes=_changes(base.scenario, alt.scenario,
                                                                      lang))
        for name, alt in cmp.alternatives.items())))
    have = base.runs[0].kpis
    kpis = [k for k in _COMPARE_KPIS if k in have]
    for name, alt in cmp.alternatives.items():
        items = []
        for k in kpis:
            unit = kpi_unit(k)
            factor = _year_factor(base.scenario) if _per_year(k) else 1.0
            d = cmp.difference(name, k)
            low, high = d.low * factor, d.high * factor
            clear = math.isfinite(low) and (low > 0 or high < 0)
            why = {x: missing_reason(r, k, lang) for x, r in (("a", base), ("b", alt))}
            either = why["a"] or why["b"]
            ci = (_interval(_signed(low, unit, lang), _signed(high, unit, lang))
                  if math.isfinite(low) else f"({either})" if either else t("brief.ci.none", lang))
            yearly = _per_year(k)
            a, b = (_with_reason(_in_units(format_value(r.ci(k).mean * factor, unit, lang), unit,
                                           lang, yearly), why[x])
                    for x, r in (("a", base), ("b", alt)))
            items.append(t("brief.compare.row", lang, label=plots.kpi_label(k, lang), name=name,
                           a=a, b=b,
                           diff=_in_units(_signed(d.mean * factor, unit, lang), unit, lang,
                                          yearly, difference=True), ci=ci,
                           verdict=t("brief.compare.clear" if clear else "brief.compare.unclear",
                                     lang)))
        blocks.append(Block("ul", items=tuple(items)))
    blocks.append(Block("note", t("brief.compare.note", lang, replications=base.n)))
    rows = cmp.rows(kpis[:1])
    if rows:
        blocks.append(_figure_block(plots.comparison_figure(rows, kpis[0], lang)))
    return blocks


def _sweep(result: SweepResult, lang: str) -> list[Block]:
    blocks = [Block("h2", t("brief.h.sweep" if result.target is not None else "brief.h.results",
                            lang))]
    params = result.parameters
    setting = ", ".join(_setting_words(p, lang) for p in params)
    if result.target is not None and len(params) == 1:
        param = params[0]
        best = result.best()
        target = _target_words(result.target, lang)
        if best is None:
            values = sorted(p[param] for p in result.points)
            blocks.append(Block("p", t("brief.sweep.none", lang, setting=setting, target=target,
                                       values=", ".join(plots.amount(v, lang) for v in values))))
        else:
            blocks.append(Block("p", t("brief.sweep.best", lang, setting=setting, target=target,
                                       best=plots.amount(best[param], lang))))
        floor = result.offered_load.get(param)
        if floor:
            blocks.append(Block("note", t("brief.sweep.floor", lang, setting=setting,
                                          floor=number(floor, lang, 1))))
    kpi = result.target.kpi if result.target is not None else "ips_wait_days.p90"
    unit = kpi_unit(kpi)
    header = [*(_setting_words(p, lang) for p in params), plots.kpi_label(kpi, lang),
              t("brief.col.ci", lang)]
    if result.target is not None:
        header.append(t("brief.col.meets", lang))
    rows = [tuple(header)]
    notes = Footnotes()
    for point, reps in zip(result.points, result.results):
        ci = reps.ci(kpi)
        why = missing_reason(reps, kpi, lang)
        row = [*(plots.amount(point[p], lang) for p in params),
               format_value(ci.mean, unit, lang) if math.isfinite(ci.mean) else notes.mark(why),
               _ci_words(ci, unit, lang) if math.isfinite(ci.mean) else notes.mark(why)]
        if result.target is not None:
            row.append(t("brief.yes" if result.target.met_by(ci) else "brief.no", lang))
        rows.append(tuple(row))
    blocks.append(Block("table", items=tuple(rows)))
    if notes.reasons:  # why each "–" in the table has no value
        blocks.append(Block("note", " ".join([t("missing.notes", lang), *notes.lines()])))
    if len(params) == 1:
        blocks.append(_figure_block(plots.capacity_figure(result, kpi, lang)))
    shown = answer_point(result)
    blocks.append(Block("note", t("brief.sweep.shown", lang, setting=setting, value=", ".join(
        plots.amount(shown.scenario.get(p), lang) for p in params))))
    return blocks


def _mean_days(dist: Any) -> float | None:
    mean = getattr(dist, "mean_days", None)
    return float(mean) if mean is not None else None


def _numbers(s: Scenario, lang: str) -> list[Block]:
    """The key input numbers in words, with the source of each."""
    def val(kind: str, value: float | None) -> str:
        if value is None:
            return t("brief.value.no_limit", lang)
        return t(f"brief.value.{kind}", lang, value=plots.amount(value, lang))

    sources = sorted({s.source_of(f"arrivals.sources.{src.name}") for src in s.arrivals.sources})
    rows = [("referrals", val("per_year", s.arrivals.per_year), "; ".join(sources)),
            ("coordinators", val("fte", s.assessment.coordinators), "assessment.coordinators"),
            ("active_cases", val("cases", s.assessment.active_cases_per_coordinator),
             "assessment.active_cases_per_coordinator"),
            ("assessment_days", val("mean_days", _mean_days(s.assessment.duration)),
             "assessment.duration"),
            ("meeting_interval", val("days", s.team.meeting_interval_days),
             "team.meeting_interval_days"),
            ("cases_per_meeting", val("cases", s.team.cases_per_meeting), "team.cases_per_meeting"),
            ("ips_share", percent(ips_share(s), lang, 0),
             t("brief.source.derived", lang, source=s.source_of("routing"))),
            ("coaches", val("fte", s.ips.coaches), "ips.coaches"),
            ("caseload", val("clients", s.ips.caseload_per_coach), "ips.caseload_per_coach"),
            ("fidelity", val("points", s.ips.fidelity_score), "ips.fidelity_score"),
            ("job_finding", percent(s.ips.job_finding_share, lang, 0), "ips.job_finding_share"),
            ("days_to_job", val("mean_days", _mean_days(s.ips.days_to_job)), "ips.days_to_job"),
            ("stepwise_places", val("places", s.stepwise.places), "stepwise.places"),
            ("stepwise_days", val("mean_days", _mean_days(s.stepwise.duration)),
             "stepwise.duration"),
            ("vocational_share", percent(s.vocational.employment_share, lang, 0),
             "vocational.employment_share"),
            ("horizon", val("days", s.horizon_days), "horizon_days"),
            ("warmup", val("days", s.warmup_days), "warmup_days")]
    table = [(t("brief.col.what", lang), t("brief.col.value", lang), t("brief.col.source", lang))]
    fields = {r["parameter"] for r in parameter_table(s)}
    for key, value, source in rows:
        if source in fields or source.split(".")[0] in ("assessment", "ips", "stepwise",
                                                          "vocational", "team"):
            source = s.source_of(source)  # a field: its cited source
        if source.startswith(_ASSUMED):
            source = t("brief.source.assumption", lang) + source[len(_ASSUMED):]
        table.append((t(f"brief.param.{key}", lang), value, words(source, lang)))
    params = parameter_table(s)
    cited = sum(1 for r in params if not str(r["source"]).startswith(_ASSUMED))
    return [Block("h2", t("brief.h.numbers", lang)), Block("table", items=tuple(table)),
            Block("note", t("brief.numbers.note", lang, cited=cited, total=len(params)))]


def _warnings(reps: Replications, lang: str, params: Sequence[str],
              others: Mapping[str, Replications] | None = None) -> list[Block]:
    """The model's own checks (in the brief's language, field names in words) of the results
    described and of each compared alternative (named), then the brief's own notes."""
    items = [words(m, lang, params) for m in warning_texts(reps.checks(), lang)]
    for name, alt in (others or {}).items():
        items += [f"{name}: {words(m, lang, params)}" for m in warning_texts(alt.checks(), lang)]
    have = reps.runs[0].kpis
    if "coach_caseload_utilisation" in have:  # near full (result_warnings says "full")
        util = reps.ci("coach_caseload_utilisation").mean
        if math.isfinite(util) and 0.9 < util < UTILISATION_WARNING:
            items.append(t("brief.warnings.full", lang, share=percent(util, lang, 0)))
    if "coordinator_utilisation" in have:
        util = reps.ci("coordinator_utilisation").mean
        if math.isfinite(util) and 0.9 < util < UTILISATION_WARNING:
            items.append(t("brief.warnings.coordinators", lang, share=percent(util, lang, 0)))
    if reps.n < 10:
        items.append(t("brief.warnings.few", lang, replications=reps.n))
    if not items:
        items.append(t("brief.warnings.none", lang))
    return [Block("h2", t("brief.h.warnings", lang)), Block("ul", items=tuple(items))]


def _limits(s: Scenario, lang: str) -> list[Block]:
    items = (t("brief.limits.model", lang), t("brief.limits.ci", lang),
             t("brief.limits.years", lang, days=plots.amount(s.horizon_days - s.warmup_days, lang),
               horizon=plots.amount(s.horizon_days, lang)),
             t("brief.limits.queues", lang), t("brief.limits.first", lang))
    return [Block("h2", t("brief.h.limits", lang)), Block("ul", items=items)]


def _appendix(markdown: str | None, lang: str, params: Sequence[str]) -> list[Block]:
    """The STRESS-DES record (Markdown as ``sim.report.stress_report`` writes it) as blocks,
    every code written in words."""
    blocks = [Block("h2", t("brief.h.appendix", lang))]
    if not markdown:
        return blocks + [Block("p", t("brief.appendix.none", lang))]
    blocks.append(Block("note", t("brief.appendix.note", lang)))
    paragraph: list[str] = []
    items: list[str] = []
    table: list[tuple[str, ...]] = []

    def clean(text: str) -> str:  # the record is English: its codes in English words
        return words(text.replace("**", ""), "en", params).strip()

    def flush() -> None:
        if paragraph:
            blocks.append(Block("p", clean(" ".join(paragraph))))
            paragraph.clear()
        if items:
            blocks.append(Block("ul", items=tuple(clean(i) for i in items)))
            items.clear()
        if table:
            blocks.append(Block("table", items=tuple(table)))
            table.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if paragraph or items:
                flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                continue
            table.append(tuple(clean(c) for c in cells))
            continue
        if table:
            flush()
        if stripped.startswith("#"):
            flush()
            level = len(stripped) - len(stripped.lstrip("#"))
            blocks.append(Block("h3" if level <= 2 else "h4", clean(stripped.lstrip("#"))))
        elif stripped.startswith("- "):
            if paragraph:
                flush()
            items.append(stripped[2:])
        elif not stripped:
            flush()
        elif items:
            items[-1] += " " + stripped
        else:
            paragraph.append(stripped)
    flush()
    return blocks


def build_brief(result: Result | Loaded, lang: str = "en", *, question: str | None = None,
                appendix: str | None = None) -> Brief:
    """The brief of a run (Replications), a comparison (Comparison) or a sweep (SweepResult)
    in *lang*. *question* replaces the question worked out from the results; *appendix* is the
    STRESS-DES record in Markdown (by default ``report.md`` of a folder, or written from the
    results when their replications carry a run record)."""
    check_language(lang)
    if isinstance(result, Loaded):
        appendix = appendix if appendix is not None else result.appendix
        result = result.result
    if isinstance(result, Comparison):
        main = result.base
    elif isinstance(result, SweepResult):
        main = answer_point(result)
    elif isinstance(result, Replications):
        main = result
    else:
        raise TypeError(f"build_brief needs Replications, Comparison or SweepResult, got "
                        f"{type(result).__name__}.")
    if appendix is None and main.runs[0].meta.get("stream_map"):
        appendix = stress_report(main, run_record(main))
    s = main.scenario
    params = [r["parameter"] for r in parameter_table(s)]
    title = t("brief.title", lang, name=s.name)
    blocks: list[Block] = [Block("h1", title), Block("note", t(
        "brief.meta", lang, version=__version__, date=_dt.date.today().isoformat(),
        replications=main.n, seed=main.seed))]
    blocks += _question(result, lang, question)
    if isinstance(result, Comparison):
        blocks += _comparison(result, lang)
        blocks += _results(main, lang)
    elif isinstance(result, SweepResult):
        blocks += _sweep(result, lang)
        blocks += _results(main, lang)
    else:
        blocks += _results(main, lang, "brief.h.answer")
    blocks += _flows(main, lang)
    blocks += [Block("h2", t("brief.h.figures", lang)),
               _figure_block(plots.waits_figure(main, lang)),
               _figure_block(plots.outcomes_figure(main, lang)),
               Block("note", t("brief.figure.note", lang))]
    blocks += _numbers(s, lang)
    blocks += _warnings(main, lang, params,
                        result.alternatives if isinstance(result, Comparison) else None)
    blocks += _limits(s, lang)
    blocks += _appendix(appendix, lang, params)
    return Brief(title, lang, tuple(blocks))


# --- writing it ----------------------------------------------------------------------------------

def write_brief(source: str | Path | Result | Loaded, lang: str = "en",
                out: str | Path | None = None, *, question: str | None = None,
                overwrite: bool = False) -> dict[str, Path]:
    """Write ``brief-<lang>.html`` and ``brief-<lang>.pdf``; returns their paths.

    *source* is an output folder (the brief goes into it unless *out* is given) or results in
    memory (then *out* is needed). An existing brief is replaced only with *overwrite*.
    """
    check_language(lang)
    if isinstance(source, (str, Path)):
        loaded = load_results(source)
        out = Path(source) if out is None else Path(out)
    else:
        loaded = source
        if out is None:
            raise ValueError("write_brief: give out=FOLDER for results in memory.")
        out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: not a folder; choose another --out folder.")
    names = brief_files(lang)
    paths = {name: out / name for name in names}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{', '.join(existing)} already exists; add --overwrite to replace "
                              "it or choose another --out folder.")
    brief = build_brief(loaded, lang, question=question)
    page, pdf = brief.to_html(), brief.to_pdf()  # both built before anything is written
    out.mkdir(parents=True, exist_ok=True)
    paths[names[0]].write_text(page, encoding="utf-8")
    paths[names[1]].write_bytes(pdf)
    return paths


_CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;max-width:52em;margin:2em auto;
padding:0 1em;line-height:1.45;color:#1a1a1a}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}
h3{font-size:1.1em}h4{font-size:1em}p.note{color:#444;font-size:.92em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}img{max-width:100%;height:auto;display:block;margin:1em 0}
section.appendix{font-size:.88em}
"""


def _html(brief: Brief) -> str:
    esc = html.escape
    parts = ["<!DOCTYPE html>", f'<html lang="{esc(brief.lang)}">', "<head>",
             '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{esc(brief.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>"]
    in_appendix = False
    appendix = t("brief.h.appendix", brief.lang)
    for b in brief.blocks:
        if b.kind == "h2" and b.text == appendix and not in_appendix:
            parts.append('<section class="appendix">')
            in_appendix = True
        if b.kind in ("h1", "h2", "h3", "h4"):
            parts.append(f"<{b.kind}>{esc(b.text)}</{b.kind}>")
        elif b.kind == "p":
            parts.append(f"<p>{esc(b.text)}</p>")
        elif b.kind == "note":
            parts.append(f'<p class="note">{esc(b.text)}</p>')
        elif b.kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "table":
            head, *rows = b.items
            parts.append("<table><thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in head)
                         + "</tr></thead><tbody>"
                         + "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                                   for row in rows) + "</tbody></table>")
        elif b.kind == "img":
            data = base64.b64encode(b.image).decode("ascii")
            parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{esc(b.text)}">'
                         "</figure>")
    if in_appendix:
        parts.append("</section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _font_files() -> tuple[str, str]:
    from matplotlib import font_manager
    regular = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"),
                                    fallback_to_default=True)
    bold = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans",
                                                             weight="bold"),
                                 fallback_to_default=True)
    return regular, bold


def _pdf(brief: Brief, compress: bool = True) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    regular, bold = _font_files()
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_lang(brief.lang)
    pdf.set_title(brief.title)
    pdf.set_creator(f"worksim {__version__}")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    sizes = {"h1": 16, "h2": 13, "h3": 11.5, "h4": 10.5}
    appendix = t("brief.h.appendix", brief.lang)
    body = 10.0
    for b in brief.blocks:
        if b.kind in sizes:
            if b.kind == "h2" and b.text == appendix:
                pdf.add_page()
                body = 8.5
            pdf.ln(2 if b.kind != "h1" else 0)
            pdf.set_font("DejaVu", "B", sizes[b.kind])
            pdf.multi_cell(0, sizes[b.kind] * 0.5, b.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif b.kind in ("p", "note"):
            pdf.set_font("DejaVu", "", body if b.kind == "p" else body - 1)
            pdf.set_text_color(0 if b.kind == "p" else 70)
            pdf.multi_cell(0, body * 0.5, b.text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0)
            pdf.ln(1.5)
        elif b.kind == "ul":
            pdf.set_font("DejaVu", "", body)
            for item in b.items:
                pdf.set_x(pdf.l_margin + 2)
                pdf.multi_cell(0, body * 0.5, f"•  {item}", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.8)
            pdf.ln(1)
        elif b.kind == "table":
            pdf.set_font("DejaVu", "", body - 1.5)
            head = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
            with pdf.table(text_align="LEFT", headings_style=head, line_height=(body - 1.5) * 0.5,
                           padding=1) as table:
                for row in b.items:
                    cells = table.row()
                    for cell in row:
                        cells.cell(str(cell))
            pdf.ln(2)
        elif b.kind == "img":
            pdf.image(io.BytesIO(b.image), w=pdf.epw, alt_text=b.text)
            pdf.ln(2)
    return bytes(pdf.output())
