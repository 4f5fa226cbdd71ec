"""The planners' logic behind the capacity widgets and the planners' app (no ipywidgets here).

Everything a view needs, as pure functions tested without widgets: the key parameters of a
scenario and the validated scenario built from edited values, the uploaded-file loader,
KPI, comparison and staffing tables in English or Finnish, HTML for those tables and the
download files (CSV, xlsx, run record JSON) as bytes and ``data:`` links.
The views in :mod:`sim.widgets.capacity` and :mod:`sim.widgets.app` only wire these up.

Labels live in ``sim/data/strings/planner.yaml`` (keys ``planner.*``) and KPI names in
``sim/data/strings/plots.yaml`` (through :func:`sim.plots.kpi_label`), English and Finnish side
by side, read with :func:`sim.learning.text.t`; numbers are written with
:func:`~sim.learning.text.number` and :func:`~sim.learning.text.percent`.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .experiment import Comparison, Replications, SweepResult
from .learning.text import UnknownLanguageError, check_language, number, percent, t
from .plots import amount, kpi_label, setting_label
from .report import (
    Footnotes,
    json_default,
    missing_reason,
    parameter_table,
    run_record,
    summary_table,
    write_xlsx,
)
from .results import KEY_KPIS, kpi_unit
from .scenario import (
    MAX_FILE_BYTES,
    PATHWAYS,
    Scenario,
    ScenarioError,
    list_presets,
    preset,
    scenario_from_text,
    scenario_text,
)

__all__ = [
    "query_language", "KEY_PARAMETERS", "key_parameters",
    "ips_share", "scaled_sources", "routing_with_ips_share", "scenario_changes", "snap_to_base",
    "edited_scenario", "preset_choices", "estimated_seconds", "decode_upload",
    "scenario_from_upload", "kpi_label", "format_value", "format_difference", "clip_bound", "kpi_rows",
    "comparison_rows", "answer_point",
    "sweep_values", "sweep_rows", "staffing_answer", "certainty_text", "html_table", "kpi_table_html",
    "comparison_table_html", "sweep_table_html", "csv_bytes", "xlsx_bytes", "run_record_json",
    "data_uri", "download_link", "run_downloads", "downloads_html", "COMPARE_KPIS", "SWEEP_KPI",
]

# --- language ----------------------------------------------------------------------------

def query_language(query: str, default: str = "en") -> str:
    """The ``lang`` of a URL query string such as ``"lang=fi"`` (Voilà's ``QUERY_STRING``);
    *default* when it names no course language."""
    from urllib.parse import parse_qs
    lang = parse_qs(query.lstrip("?")).get("lang", [default])[0]
    try:
        return check_language(lang)
    except UnknownLanguageError:
        return default


# --- presets -------------------------------------------------------------------------------

#: Seconds per simulated client (measured: ~0.15 s for a 700-referral county over 3 years).
_SECONDS_PER_CLIENT = 7e-5


def estimated_seconds(scenario: Scenario, runs: int) -> float:
    """A rough wall-clock estimate for ``runs`` replications on one core."""
    clients = scenario.arrivals.per_year * scenario.horizon_days / 365 + scenario.initial.total
    return runs * clients * _SECONDS_PER_CLIENT


def preset_choices(max_seconds_per_run: float | None = None) -> list[str]:
    """Preset names, optionally only those whose replication runs in ``max_seconds_per_run``."""
    names = list_presets()
    if max_seconds_per_run is None:
        return names
    return [n for n in names if estimated_seconds(preset(n), 1) <= max_seconds_per_run]


# --- key parameters and the edited scenario ---------------------------------------------

KEY_PARAMETERS = ("referrals_per_year", "coordinators", "coaches", "caseload_per_coach",
                  "fidelity_score", "ips_share")


def ips_share(scenario: Scenario) -> float:
    """Share of team decisions that choose IPS, weighted by the client-profile mix."""
    return sum(p.share * scenario.route_for(p.name).ips for p in scenario.arrivals.profiles)


def key_parameters(scenario: Scenario) -> dict[str, float]:
    """The numbers planners edit first, read from a scenario."""
    return {"referrals_per_year": scenario.arrivals.per_year,
            "coordinators": scenario.assessment.coordinators,
            "coaches": scenario.ips.coaches,
            "caseload_per_coach": scenario.ips.caseload_per_coach,
            "fidelity_score": scenario.ips.fidelity_score,
            "ips_share": ips_share(scenario)}


def _fix_sum(values: dict[str, float], keep: str | None = None, digits: int = 6
             ) -> dict[str, float]:
    """Round to ``digits`` and put the rounding residual on the largest entry (not ``keep``)."""
    total = sum(values.values())
    out = {k: round(v, digits) for k, v in values.items()}
    candidates = [k for k in out if k != keep] or list(out)
    largest = max(candidates, key=lambda k: out[k])
    out[largest] = round(out[largest] + total - sum(out.values()), digits + 6)
    return out


def scaled_sources(scenario: Scenario, total: float) -> dict[str, float]:
    """Referral sources scaled in proportion so that they add up to ``total`` a year."""
    if total < 0:
        raise ScenarioError(f"arrivals.sources: {total!r} referrals a year is out of range; "
                            "allowed: a number ≥ 0 (referrals/year).")
    sources = {s.name: s.per_year for s in scenario.arrivals.sources}
    current = sum(sources.values())
    if current > 0:
        scaled = {k: v * total / current for k, v in sources.items()}
    else:
        scaled = {k: total / len(sources) for k in sources}
    return _fix_sum(scaled, digits=3)


def routing_with_ips_share(scenario: Scenario, share: float) -> dict[str, dict[str, float]]:
    """Routing rows moved so that the overall IPS share of team decisions is ``share``.

    Raising the share moves every profile the same fraction of the way towards IPS; lowering
    it scales every profile's IPS probability by the same factor. The other pathways keep
    their proportions, so each row still sums to 1.
    """
    if not 0 <= share <= 1:
        raise ScenarioError(f"routing: an IPS share of {share!r} is out of range; allowed: "
                            "a number ≥ 0 and ≤ 1 (probability).")
    current = ips_share(scenario)
    rows: dict[str, dict[str, float]] = {}
    for route in scenario.routing:
        old = {p: getattr(route, p) for p in PATHWAYS}
        if share >= current:
            step = (share - current) / (1 - current) if current < 1 else 0.0
            new_ips = old["ips"] + step * (1 - old["ips"])
        else:
            new_ips = old["ips"] * share / current
        rest_old, rest_new = 1 - old["ips"], 1 - new_ips
        row = {"ips": new_ips}
        for p in PATHWAYS[1:]:
            row[p] = old[p] * rest_new / rest_old if rest_old > 1e-12 else 0.0
        if rest_old <= 1e-12:
            row["other"] = rest_new
        rows[route.profile] = _fix_sum(row, keep="ips")
    return rows


def scenario_changes(base: Scenario, params: Mapping[str, float]) -> dict[str, Any]:
    """``with_changes`` entries for the key parameters in ``params`` that differ from ``base``."""
    unknown = set(params) - set(KEY_PARAMETERS)
    if unknown:
        raise KeyError(f"unknown key parameter(s) {sorted(unknown)}; known: "
                       f"{', '.join(KEY_PARAMETERS)}")
    now = key_parameters(base)
    changed = {k: v for k, v in params.items() if not math.isclose(v, now[k], abs_tol=1e-9)}
    out: dict[str, Any] = {}
    if "referrals_per_year" in changed:
        out["arrivals.sources"] = scaled_sources(base, changed["referrals_per_year"])
    for key, path in (("coordinators", "assessment.coordinators"), ("coaches", "ips.coaches"),
                      ("caseload_per_coach", "ips.caseload_per_coach"),
                      ("fidelity_score", "ips.fidelity_score")):
        if key in changed:
            value = changed[key]
            out[path] = int(value) if float(value).is_integer() else value
    if "ips_share" in changed:
        out["routing"] = routing_with_ips_share(base, changed["ips_share"])
    return out


def snap_to_base(base: Scenario, shown: Mapping[str, float],
                 tolerance: Mapping[str, float] | None = None) -> dict[str, float]:
    """Key parameters read from controls, with values the controls merely rounded put back.

    A slider shows 28 % for a routing share of 0.285; unless the user moved it, the scenario
    must keep 0.285. Values within ``tolerance`` (half a control step) of the base's are
    replaced by the base's exact values.
    """
    exact = key_parameters(base)
    tolerance = tolerance or {}
    return {k: exact[k] if abs(v - exact[k]) <= tolerance.get(k, 1e-9) else v
            for k, v in shown.items()}


def edited_scenario(base: Scenario, params: Mapping[str, float], name: str | None = None
                    ) -> Scenario:
    """The validated scenario ``base`` with the key parameters in ``params``."""
    changes = scenario_changes(base, params)
    if name is not None:
        changes["name"] = name
    return base.with_changes(changes) if changes else base


# --- uploaded scenario files ---------------------------------------------------------------

MAX_UPLOAD_BYTES = MAX_FILE_BYTES
"""Largest upload: the limit of every scenario file (``sim.scenario.MAX_FILE_BYTES``)."""


def decode_upload(value: Any) -> tuple[str, str]:
    """(file name, text) of the first file in an ``ipywidgets.FileUpload`` value.

    Accepts the ipywidgets 8 form (a tuple of dicts with ``name`` and ``content``) and the
    ipywidgets 7 form (a dict keyed by file name). The bytes go through the scenario loader's
    own checks (:func:`sim.scenario.scenario_text`): :class:`ScenarioError` with a plain
    message for an empty, oversized or non-UTF-8 file.
    """
    if isinstance(value, Mapping):  # ipywidgets 7: {name: {"metadata": ..., "content": ...}}
        value = [{"name": k, **v} for k, v in value.items()]
    files = list(value or ())
    if not files:
        raise ScenarioError("no file was uploaded.")
    item = files[0]
    name = str(item.get("name") or item.get("metadata", {}).get("name") or "upload")
    content = item.get("content", b"")
    data = content.tobytes() if isinstance(content, memoryview) else bytes(content)
    return name, scenario_text(data, origin=name)


def scenario_from_upload(value: Any) -> Scenario:
    """The validated scenario in an uploaded file; the loader's message on any problem."""
    name, body = decode_upload(value)
    return scenario_from_text(body, origin=name)


# --- tables -------------------------------------------------------------------------------

COMPARE_KPIS = ("ips_wait_days.mean", "ips_wait_days.p90", "ips_started_within_30d_share",
                "assessment_wait_days.mean", "employed_within_365d_share",
                "coach_caseload_utilisation", "ips_waiting_mean", "exit_employed")
SWEEP_KPI = "ips_wait_days.p90"
_NONNEGATIVE_UNITS = ("days", "share", "clients")


def format_value(value: float | None, unit: str, lang: str = "en") -> str:
    """A number for the tables in *lang*'s style: shares as percentages and days with one
    decimal, other numbers of 100 or more whole, smaller ones with one decimal; ``–`` if NaN."""
    if value is None or not math.isfinite(value):
        return "–"
    if unit == "share":
        return percent(value, lang, 1)
    return number(value, lang, 0 if unit != "days" and abs(value) >= 100 else 1)


def format_difference(value: float, unit: str, lang: str = "en") -> str:
    """A difference B − A for the tables: shares in percentage points, others as
    :func:`format_value`."""
    if unit == "share" and math.isfinite(value):
        return f"{number(100 * value, lang, 1)}\u00a0{t('planner.unit.pp', lang)}"
    return format_value(value, unit, lang)


def clip_bound(value: float, unit: str) -> float:
    """CI bounds as shown: never below 0 for counts, days and shares, never above 100 %."""
    if not math.isfinite(value):
        return value
    if unit == "share":
        value = min(value, 1.0)
    return max(value, 0.0) if unit in _NONNEGATIVE_UNITS else value


def kpi_rows(reps: Replications, kpis: Iterable[str] = KEY_KPIS, lang: str = "en"
             ) -> list[dict[str, Any]]:
    """One row per KPI: metric, label, unit, mean, ci95_low, ci95_high, replications."""
    rows = []
    for k in kpis:
        ci = reps.ci(k)
        rows.append({"metric": k, "label": kpi_label(k, lang), "unit": kpi_unit(k),
                     "mean": ci.mean, "ci95_low": ci.low, "ci95_high": ci.high,
                     "replications": ci.n, "missing": missing_reason(reps, k, lang)})
    return rows


def comparison_rows(cmp: Comparison, kpis: Iterable[str] = COMPARE_KPIS, lang: str = "en",
                    name: str = "B") -> list[dict[str, Any]]:
    """A (base) and B side by side with the paired difference B − A and its 95 % CI."""
    rows = []
    for r in cmp.rows(kpis):
        if r["scenario"] != name:
            continue
        k = r["metric"]
        a, b = cmp.base.ci(k), cmp.alternatives[name].ci(k)
        clear = bool(math.isfinite(r["ci95_low"]) and (r["ci95_low"] > 0 or r["ci95_high"] < 0))
        a_why = missing_reason(cmp.base, k, lang)
        b_why = missing_reason(cmp.alternatives[name], k, lang)
        diff_why = "" if math.isfinite(r["ci95_low"]) else (
            a_why or b_why or t("missing.one", lang))
        rows.append({"metric": r["metric"], "label": kpi_label(r["metric"], lang),
                     "unit": r["unit"], "a_mean": a.mean, "a_ci95_low": a.low,
                     "a_ci95_high": a.high, "b_mean": b.mean, "b_ci95_low": b.low,
                     "b_ci95_high": b.high, "difference": r["difference"],
                     "diff_ci95_low": r["ci95_low"], "diff_ci95_high": r["ci95_high"],
                     "clear_difference": clear, "replications": r["replications"],
                     "a_missing": a_why, "b_missing": b_why, "diff_missing": diff_why})
    return rows


def sweep_values(low: float, high: float, max_points: int = 25) -> list[int]:
    """Whole numbers from ``low`` to ``high`` (inclusive), thinned to at most ``max_points``."""
    low, high = int(math.floor(low)), int(math.ceil(high))
    if high < low:
        low, high = high, low
    step = max(1, math.ceil((high - low + 1) / max_points))
    values = list(range(low, high + 1, step))
    if values[-1] != high:
        values.append(high)
    return values


def sweep_rows(result: SweepResult, lang: str = "en") -> list[dict[str, Any]]:
    """Per number of coaches: the target KPI with its CI and whether the CI meets the target."""
    param = result.parameters[0]
    kpi = result.target.kpi if result.target else SWEEP_KPI
    rows = []
    for point, reps in zip(result.points, result.results, strict=True):
        ci = reps.ci(kpi)
        row = {param: point[param], "metric": kpi, "label": kpi_label(kpi, lang),
               "unit": kpi_unit(kpi), "mean": ci.mean, "ci95_low": ci.low, "ci95_high": ci.high,
               "replications": ci.n, "missing": missing_reason(reps, kpi, lang)}
        if result.target is not None:
            row["meets_target"] = result.target.met_by(ci)
        rows.append(row)
    return rows


def answer_point(result: SweepResult) -> Replications:
    """The grid point a sweep's answer is about: the fewest that meet the target, else the
    largest value tried (the brief, the app and ``worksim sweep`` describe this one)."""
    best = result.best() if result.target is not None else None
    if best is not None:
        return result.results[list(result.points).index(best)]
    return result.results[-1]


def staffing_answer(result: SweepResult, lang: str = "en") -> dict[str, Any]:
    """The fewest staff meeting the target, as a value and as a sentence (plus the load floor)."""
    if result.target is None:
        raise ValueError("this sweep has no target; run min_staffing with a target.")
    param = result.parameters[0]
    best = result.best()
    target = amount(result.target.value, lang)
    if best is None:
        values = sorted(p[param] for p in result.points)
        tried = (", ".join(amount(v, lang) for v in values) if len(values) <= 5
                 else f"{amount(values[0], lang)}–{amount(values[-1], lang)}")
        sentence = t("planner.answer.none", lang, values=tried, target=target)
        value = None
    else:
        value = best[param]
        sentence = t("planner.answer.best", lang, target=target, best=amount(value, lang))
    floor = result.offered_load.get(param)
    note = t("planner.answer.floor", lang, floor=format_value(floor, "", lang)) if floor else ""
    certainty = certainty_text(result, lang)
    if certainty:
        sentence = f"{sentence} {certainty}"
    return {"parameter": param, "best": value, "text": sentence, "floor": floor, "note": note,
            "certainty": certainty}


def _valued(value: float, unit: str, lang: str) -> str:
    """A KPI value with its unit in words: ``27.0 days`` / ``27,0 pv``, ``85.0%``."""
    text = format_value(value, unit, lang)
    if unit in ("days", "clients") and math.isfinite(value):
        text += f"\u00a0{t(f'planner.unit.{unit}', lang)}"
    return text


def certainty_text(result: SweepResult, lang: str = "en") -> str:
    """The staffing answer's certainty in words, e.g. "14 coaches: Wait for IPS coaching,
    90th percentile, 95 % upper bound 27.0 days (20 replications). 13 coaches misses the
    target with 90% confidence (…)." — with a caution when an interval is degenerate (one
    replication, or every replication alike); "" when no value meets the target."""
    c = result.certainty()
    if c.best_value is None:
        return ""
    param = c.parameter
    staff = t(f"planner.staff.{param}", lang) if param in _STAFF_NOUNS else param
    kpi, unit = c.target.kpi, kpi_unit(c.target.kpi)
    best = amount(c.best_value, lang)
    parts = []
    if c.degenerate == "single":
        parts.append(t("planner.certainty.single", lang, value=best, staff=staff))
    elif c.degenerate == "no_spread":
        parts.append(t("planner.certainty.no_spread", lang, n=c.n, value=best, staff=staff,
                       mean=_valued(c.mean, unit, lang)))
    else:
        side = t("planner.certainty.upper" if c.target.op in ("<=", "<")
                 else "planner.certainty.lower", lang)
        parts.append(t("planner.certainty.best", lang, best=best, staff=staff,
                       kpi=kpi_label(kpi, lang), side=side, bound=_valued(c.bound, unit, lang),
                       n=c.n))
    if c.lower_value is not None:
        lower = amount(c.lower_value, lang)
        if c.lower_degenerate == "single":
            parts.append(t("planner.certainty.single", lang, value=lower, staff=staff))
        elif c.lower_degenerate == "no_spread":
            parts.append(t("planner.certainty.no_spread", lang, n=c.lower_n, value=lower,
                           staff=staff, mean=_valued(c.lower_mean, unit, lang)))
        else:
            key = "misses" if c.lower_misses >= 0.95 else "unsure"
            parts.append(t(f"planner.certainty.{key}", lang, lower=lower, staff=staff,
                           confidence=percent(c.lower_misses, lang),
                           mean=_valued(c.lower_mean, unit, lang), n=c.lower_n))
    elif c.below_floor:
        parts.append(t("planner.certainty.floor", lang, staff=staff))
    else:
        parts.append(t("planner.certainty.untried", lang))
    return " ".join(parts)


_STAFF_NOUNS = ("ips.coaches", "assessment.coordinators")


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def html_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]],
               css_class: str, row_key: str | None = "metric") -> str:
    """A plain HTML table; each ``<tr>`` carries ``data-key`` (the ``row_key`` value)."""
    head = "".join(f"<th>{_esc(title)}</th>" for _, title in columns)
    body = []
    for row in rows:
        key = f' data-key="{_esc(row[row_key])}"' if row_key else ""
        cells = "".join(f'<td data-col="{_esc(col)}">{_esc(row.get(col, ""))}</td>'
                        for col, _ in columns)
        body.append(f"<tr{key}>{cells}</tr>")
    return (f'<table class="{_esc(css_class)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _ci_text(low: float, high: float, unit: str, lang: str, notes: Footnotes | None = None,
             why: str = "") -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return notes.mark(why) if notes is not None else "–"
    return (f"{format_value(clip_bound(low, unit), unit, lang)} – "
            f"{format_value(clip_bound(high, unit), unit, lang)}")


def _with_unit(label: str, unit: str, lang: str) -> str:
    """A KPI's name with its unit in brackets (shares show % in every cell instead)."""
    return f"{label} ({t(f'planner.unit.{unit}', lang)})" if unit in ("days", "clients") else label


def _value(value: float, unit: str, lang: str, notes: Footnotes, why: str) -> str:
    """A table value, or "–" numbered with its reason (see :func:`_notes_html`)."""
    return format_value(value, unit, lang) if math.isfinite(value) else notes.mark(why)


def _notes_html(notes: Footnotes, lang: str) -> str:
    """Under a table: why each numbered "–" in it has no value."""
    if not notes.reasons:
        return ""
    items = "".join(f"<li>{_esc(line)}</li>" for line in notes.lines())
    return (f'<div class="tyo-note tyo-missing"><p>{_esc(t("missing.notes", lang))}</p>'
            f'<ul style="list-style: none; padding-left: 0.5em">{items}</ul></div>')


def kpi_table_html(rows: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """The KPI table (label, mean, 95 % CI) as HTML with a note on how to read it; each "–"
    is numbered and its reason given under the table."""
    notes = Footnotes()
    shown = [{"metric": r["metric"], "label": _with_unit(r["label"], r["unit"], lang),
              "mean": _value(r["mean"], r["unit"], lang, notes, r.get("missing", "")),
              "ci": _ci_text(r["ci95_low"], r["ci95_high"], r["unit"], lang, notes,
                             r.get("missing", ""))} for r in rows]
    cols = [("label", t("planner.col.metric", lang)), ("mean", t("planner.col.mean", lang)),
            ("ci", t("planner.col.ci", lang))]
    n = max((r["replications"] for r in rows), default=0)
    return (html_table(shown, cols, "tyo-kpi-table") + _notes_html(notes, lang)
            + f'<p class="tyo-note">{_esc(t("planner.table.note", lang, n=n))}</p>')


def comparison_table_html(rows: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """A and B side by side with the paired difference, as HTML; each "–" is numbered and its
    reason given under the table."""
    notes = Footnotes()
    shown = []
    for r in rows:
        u = r["unit"]

        def side(x: str, r: Mapping[str, Any] = r, u: str = u) -> str:
            why = r.get(f"{x}_missing", "")
            if not math.isfinite(r[f"{x}_mean"]):
                return notes.mark(why)
            return (f"{format_value(r[f'{x}_mean'], u, lang)} "
                    f"({_ci_text(r[f'{x}_ci95_low'], r[f'{x}_ci95_high'], u, lang, notes, why)})")
        diff_why = r.get("diff_missing", "")
        shown.append({
            "metric": r["metric"], "label": r["label"], "a": side("a"), "b": side("b"),
            "diff": (format_difference(r["difference"], u, lang)
                     if math.isfinite(r["difference"]) else notes.mark(diff_why)),
            "diff_ci": (f"{format_difference(r['diff_ci95_low'], u, lang)} – "
                        f"{format_difference(r['diff_ci95_high'], u, lang)}"
                        if math.isfinite(r["diff_ci95_low"]) else notes.mark(diff_why)),
            "clear": t("planner.yes" if r["clear_difference"] else "planner.no", lang)})
    cols = [("label", t("planner.col.metric", lang)), ("a", t("planner.col.a", lang)),
            ("b", t("planner.col.b", lang)), ("diff", t("planner.col.diff", lang)),
            ("diff_ci", t("planner.col.diff_ci", lang)), ("clear", t("planner.col.clear", lang))]
    n = max((r["replications"] for r in rows), default=0)
    return (html_table(shown, cols, "tyo-compare-table") + _notes_html(notes, lang)
            + f'<p class="tyo-note">{_esc(t("planner.compare.note", lang, n=n))}</p>')


def sweep_table_html(rows: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """Coaches, the target KPI with its CI, and whether the target is met, as HTML."""
    if not rows:
        return ""
    param = next(iter(rows[0]))
    notes = Footnotes()
    shown = [{"key": r[param], "value": amount(r[param], lang),
              "mean": _value(r["mean"], r["unit"], lang, notes, r.get("missing", "")),
              "ci": _ci_text(r["ci95_low"], r["ci95_high"], r["unit"], lang, notes,
                             r.get("missing", "")),
              "meets": t("planner.yes" if r.get("meets_target") else "planner.no", lang)}
             for r in rows]
    cols = [("value", setting_label(param, lang)),
            ("mean", _with_unit(rows[0]["label"], rows[0]["unit"], lang)),
            ("ci", t("planner.col.ci", lang)), ("meets", t("planner.col.meets", lang))]
    return html_table(shown, cols, "tyo-sweep-table", row_key="key") + _notes_html(notes, lang)


# --- downloads ---------------------------------------------------------------------------

def csv_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Rows as UTF-8 CSV (header from the first row's keys)."""
    if not rows:
        return b""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    """An xlsx workbook with one sheet per entry, as bytes."""
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)  # openpyxl saves to any binary file object
    return buffer.getvalue()


def run_record_json(reps: Replications, command: str = "planner app") -> bytes:
    """The run record (scenario, seed, replications, streams, versions) as JSON bytes."""
    record = run_record(reps, command=command)
    return json.dumps(record, indent=2, default=json_default, ensure_ascii=False).encode("utf-8")


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def download_link(filename: str, data: bytes, mime: str, label: str, link_id: str) -> str:
    """An ``<a download>`` link carrying the file as a ``data:`` URI (works in Voilà offline)."""
    return (f'<a class="tyo-download" id="{_esc(link_id)}" download="{_esc(filename)}" '
            f'href="{data_uri(data, mime)}">{_esc(label)} <code>{_esc(filename)}</code></a>')


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def run_downloads(reps: Replications | None = None,
                  comparison: Sequence[Mapping[str, Any]] | None = None,
                  sweep: Sequence[Mapping[str, Any]] | None = None
                  ) -> list[tuple[str, str, bytes, str]]:
    """(link id, file name, bytes, MIME type) of every file a planner can download now."""
    files = []
    if reps is not None:
        summary = summary_table(reps)
        per_rep = [{"replication": i, **r.kpis} for i, r in enumerate(reps.runs)]
        files += [
            ("tyo-dl-summary-csv", "summary.csv", csv_bytes(summary), "text/csv"),
            ("tyo-dl-summary-xlsx", "summary.xlsx",
             xlsx_bytes({"summary": summary, "replications": per_rep,
                         "parameters": parameter_table(reps.scenario)}), _XLSX),
            ("tyo-dl-run-json", "run.json", run_record_json(reps), "application/json"),
        ]
    if comparison:
        files.append(("tyo-dl-comparison-csv", "comparison.csv", csv_bytes(comparison),
                      "text/csv"))
    if sweep:
        files.append(("tyo-dl-sweep-csv", "sweep.csv", csv_bytes(sweep), "text/csv"))
    return files


def downloads_html(files: Sequence[tuple[str, str, bytes, str]], lang: str = "en") -> str:
    """The download links for :func:`run_downloads` files, or a note when there are none."""
    if not files:
        return f'<p class="tyo-note">{_esc(t("planner.downloads.none", lang))}</p>'
    links = []
    for link_id, filename, data, mime in files:
        key = "planner.download." + link_id.removeprefix("tyo-dl-").replace("-", "_")
        links.append(download_link(filename, data, mime, t(key, lang), link_id))
    return "<div>" + "".join(links) + "</div>"
