"""Writing a run to disk: tables (CSV, xlsx), figures (PNG), the run record (run.json) and a
STRESS-DES style report, so any run can be read, checked and repeated."""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import json
import math
import os
import platform
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from . import plots
from .experiment import Check, Comparison, Replications, SummaryRow, SweepResult
from .journeys import STAGES
from .learning.text import number, percent, t
from .results import KPIS
from .scenario import Scenario, save_scenario

__all__ = ["prepare_out_dir", "check_out_dir", "safe_name", "RUN_FILES", "SWEEP_FILES",
           "write_run", "write_sweep", "write_compare", "COMPARE_FILES", "write_csv",
           "write_xlsx", "json_default", "environment",
           "parameter_table", "run_record", "summary_table", "format_table", "stress_report",
           "missing_reason", "Footnotes", "warning_text", "warning_texts"]

_PACKAGES = ("tyokyky-course", "simpy", "numpy", "scipy", "matplotlib", "pyyaml", "openpyxl")


def environment() -> dict[str, Any]:
    """Software and hardware facts for the run record (STRESS-DES 5.1 and 5.4)."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpu": cpu,
            "cores": os.cpu_count(), "packages": versions}


RUN_FILES = ("summary.csv", "replications.csv", "parameters.csv", "summary.xlsx", "scenario.yaml",
             "waits.png", "caseload.png", "outcomes.png", "run.json", "report.md")
"""The files ``write_run`` writes into its folder."""
SWEEP_FILES = ("sweep.csv", "sweep.xlsx", "capacity.png", "sweep.json")
"""The files ``write_sweep`` writes into its folder (capacity.png for one parameter)."""
COMPARE_FILES = ("comparison.csv", "compare.json")
"""The files ``write_compare`` writes into its folder (``worksim compare --out``)."""


def safe_name(name: str) -> str:
    """A scenario name as one safe folder name: letters (ä, ö, å too), digits, '-' and '_'
    are kept, anything else (spaces, '/', '.', …) becomes '-'."""
    cleaned = re.sub(r"[^\w-]+", "-", name).strip("-")[:80].strip("-")
    return cleaned or "scenario"


def check_out_dir(out: str | Path | None, name: str, *, overwrite: bool = False,
                  writes: Iterable[str] = (), inputs: Iterable[str | Path] = ()) -> Path:
    """The output folder a command will write to, checked but not created.

    ``writes`` are the file names the command will write into it and ``inputs`` the files
    it reads: even with ``overwrite`` an input file is never replaced.
    """
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("results") / f"{safe_name(name)}-{stamp}"
    elif not str(out).strip():
        raise ValueError("--out '': give a folder name, e.g. --out results/my-run.")
    out = Path(out)
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                where = "" if folder == out else f" ({folder} is a file)"
                raise ValueError(f"--out {out}: not a folder{where}; choose another --out folder.")
            break
    if out.is_dir():
        try:
            used = any(out.iterdir())
        except OSError as exc:
            raise ValueError(f"--out {out}: cannot read this folder ({exc.strerror}); choose "
                             "another --out folder.") from None
        if not os.access(out, os.W_OK | os.X_OK):
            raise ValueError(f"--out {out}: no permission to write in this folder; choose another "
                             "--out folder.")
        if used and not overwrite:
            raise FileExistsError(f"{out} already has files; choose another --out folder or add "
                                  "--overwrite to replace them.")
        sources = [Path(p) for p in inputs]
        for file in writes:
            target = out / file
            for source in sources:
                if target.is_file() and source.is_file() and os.path.samefile(target, source):
                    other = out.parent / f"{out.resolve().name}-results"
                    raise ValueError(f"--out {out}: writing {file} there would replace {source}, "
                                     "an input of this command, so it is refused even with "
                                     f"--overwrite; choose another --out folder, e.g. --out {other}.")
    return out


def prepare_out_dir(out: str | Path | None, name: str, *, overwrite: bool = False,
                    writes: Iterable[str] = (), inputs: Iterable[str | Path] = ()) -> Path:
    """The output folder; a new time-stamped one by default, never silently overwritten.

    Checked first (see :func:`check_out_dir`), then created.
    """
    out = check_out_dir(out, name, overwrite=overwrite, writes=writes, inputs=inputs)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {out}: cannot create this folder ({exc.strerror}); choose "
                         "another --out folder.") from None
    return out


def parameter_table(scenario: Scenario) -> list[dict[str, Any]]:
    """Every leaf parameter with its value, unit and cited source (STRESS-DES 3.3)."""
    rows: list[dict[str, Any]] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict) and not {"dist"} & set(node):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            if prefix.split(".")[0] in ("name", "description", "rationale", "sources"):
                return
            value = json.dumps(node) if isinstance(node, (dict, list, tuple)) else node
            rows.append({"parameter": prefix, "value": value, "unit": _unit_of(scenario, prefix),
                         "source": scenario.source_of(prefix)})

    walk("", scenario.to_dict())
    return rows


def _unit_of(scenario: Scenario, path: str) -> str:
    node: Any = scenario
    parts = path.split(".")
    for part in parts[:-1]:
        node = getattr(node, part, None)
        if node is None or not dataclasses.is_dataclass(node):
            break
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            if f.name == parts[-1]:
                return f.metadata.get("unit", "days" if "Dist" in str(f.type) else "")
    if parts[0] == "arrivals":
        return {"sources": "referrals/year", "profiles": "share",
                "seasonality": "multiplier"}.get(parts[1] if len(parts) > 1 else "", "")
    if parts[0] == "routing":
        return "probability"
    return ""


def summary_table(reps: Replications) -> list[dict[str, Any]]:
    return [dict(r.__dict__) for r in reps.summary()]


# --- warnings in the planner's language -----------------------------------------------------

_WARNING_KEYS = {"assessment": "warning.assessment", "team": "warning.team", "ips": "warning.ips",
                 "stepwise": "warning.stepwise", "initial_ips": "warning.initial_ips",
                 "initial_stepwise": "warning.initial_stepwise", "grew": "warning.grew",
                 "full": "warning.full"}
"""Each kind of :class:`sim.experiment.Check` -> its text in ``sim/data/strings.yaml``."""
_NAMED = {"assessment_waiting": "warning.queue.assessment_waiting",
          "team_waiting": "warning.queue.team_waiting",
          "ips_waiting": "warning.queue.ips_waiting",
          "stepwise_waiting": "warning.queue.stepwise_waiting",
          "coach_caseload_utilisation": "warning.full.coach_caseload_utilisation",
          "coordinator_utilisation": "warning.full.coordinator_utilisation",
          "stepwise_places": "warning.full.stepwise"}
"""The queues and capacities a check names -> their names in words."""


def warning_text(check: Check, lang: str = "en") -> str:
    """One check of the model (:func:`sim.experiment.stability_checks`, ``result_checks``) in
    words in *lang*, numbers in the language's style; the fields to change keep their names in
    the scenario file (ips.coaches)."""
    fields: dict[str, str] = {}
    for name, value in check.values.items():
        if isinstance(value, str):
            fields[name] = t(_NAMED[value], lang)
        elif name == "share":
            fields[name] = percent(value, lang)
        elif name == "need":
            fields[name] = number(value, lang, 1)
        elif name == "coaches":  # a head count as written: 0.5 coaches, 1.25 coaches, 7 coaches
            fields[name] = number(value, lang, next(d for d in (0, 1, 2, 3)
                                                    if round(value, d) == value or d == 3))
        else:
            fields[name] = number(value, lang)
    return t(_WARNING_KEYS[check.kind], lang, **fields)


def warning_texts(checks: Iterable[Check], lang: str = "en") -> list[str]:
    """Checks in words in *lang*: ``warning_texts(reps.checks(), "fi")``."""
    return [warning_text(c, lang) for c in checks]


# --- a missing value says why -------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def missing_reason(reps: Replications, kpi: str, lang: str = "en") -> str:
    """Why a KPI, or its 95 % CI, has no value in these results, in words in *lang*
    (``missing.*`` in ``sim/data/strings.yaml``); "" when it has both.

    A KPI is undefined in a replication when no client reached what it measures (no one
    started coaching, no one was referred a year before the end...); its CI is undefined
    when fewer than two replications have a value (:func:`sim.stats.t_interval`).
    """
    ci = reps.ci(kpi)
    if ci.n >= 2 and math.isfinite(ci.low):
        return ""
    if ci.n == 1:
        return t("missing.one", lang)
    base = kpi.partition(".")[0]

    def nobody(count: str) -> bool:  # no client counted in any replication
        return all(not r.kpis.get(count) for r in reps.runs)

    if base == "assessment_wait_days":
        return t("missing.assessment", lang)
    if base == "team_wait_days" or base.startswith("routed_"):
        return t("missing.team", lang)
    if base == "ips_wait_days" or (base == "time_to_first_job_days"
                                   and nobody("ips_wait_days.n")):
        return t("missing.ips", lang)
    if base == "ips_started_within_30d_share":
        return t("missing.ips_30d", lang)
    if base == "time_to_first_job_days":
        return t("missing.job", lang)
    if base == "employed_within_365d_share":
        return t("missing.year", lang)
    if base.endswith("_employed_within_365d_share"):
        pathway = base.removesuffix("_employed_within_365d_share")
        try:
            words = t(f"plot.pathway.{pathway}", lang)
        except LookupError:  # a stage registered in code: its name
            words = pathway.replace("_", " ")
        return t("missing.pathway_year", lang, pathway=words)
    if base == "time_in_system_days":
        return t("missing.exit", lang)
    return t("missing.other", lang)


class Footnotes:
    """The "–" cells of one table, each with its reason in words: :meth:`mark` gives "–¹"
    (one number per distinct reason) and :meth:`lines` the notes to show under the table."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def mark(self, reason: str) -> str:
        """"–" with the number of ``reason`` (a new reason gets the next number)."""
        if not reason:
            return "–"
        if reason not in self.reasons:
            self.reasons.append(reason)
        return "–" + str(self.reasons.index(reason) + 1).translate(_SUPERSCRIPTS)

    def lines(self) -> list[str]:
        """"¹ no one started coaching", one line per reason, in the order first marked."""
        return [f"{str(i).translate(_SUPERSCRIPTS)} {reason}"
                for i, reason in enumerate(self.reasons, 1)]


def format_table(rows: Sequence[SummaryRow], metrics: Iterable[str] | None = None,
                 reasons: Mapping[str, str] | None = None) -> str:
    """A fixed-width KPI table for the terminal; a missing mean or CI is "–" with a numbered
    note under the table giving its reason (``reasons``: metric -> :func:`missing_reason`)."""
    wanted = set(metrics) if metrics is not None else None
    notes = Footnotes()
    lines = [f"{'metric':42s} {'unit':8s} {'mean':>10s} {'95% CI':>23s}"]
    for r in rows:
        if wanted is not None and r.metric not in wanted:
            continue
        why = (reasons or {}).get(r.metric, "")
        mean = f"{r.mean:10.3f}" if math.isfinite(r.mean) else f"{notes.mark(why):>10s}"
        ci = (f"[{r.ci95_low:10.3f}, {r.ci95_high:10.3f}]" if math.isfinite(r.ci95_low)
              else notes.mark(why))
        lines.append(f"{r.metric:42s} {r.unit:8s} {mean} {ci:>23s}")
    return "\n".join(lines + notes.lines())


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows of dicts (same keys) as a CSV file with a header."""
    if not rows:
        path.write_text("")
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_xlsx(path, sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """One worksheet per named table; ``path`` may be a file name or a binary file object."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title[:31])
        if not rows:
            continue
        ws.append(list(rows[0]))
        for row in rows:
            ws.append([None if isinstance(v, float) and math.isnan(v) else v
                       for v in row.values()])
    wb.save(path)


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=110)


def write_run(reps: Replications, out: Path, *, command: str = "", wall_seconds: float = 0.0,
              lang: str = "en") -> dict[str, Path]:
    """Write every output of a replicated run into ``out``; returns the paths written."""
    out = Path(out)
    paths: dict[str, Path] = {}
    summary = summary_table(reps)
    per_rep = [{"replication": i, **r.kpis} for i, r in enumerate(reps.runs)]
    params = parameter_table(reps.scenario)
    paths["summary.csv"] = out / "summary.csv"
    write_csv(paths["summary.csv"], summary)
    paths["replications.csv"] = out / "replications.csv"
    write_csv(paths["replications.csv"], per_rep)
    paths["parameters.csv"] = out / "parameters.csv"
    write_csv(paths["parameters.csv"], params)
    paths["summary.xlsx"] = out / "summary.xlsx"
    write_xlsx(paths["summary.xlsx"], {"summary": summary, "replications": per_rep,
                                        "parameters": params})
    # the scenario's own dumper: text such as '1e4' stays text when the file is read back
    paths["scenario.yaml"] = save_scenario(reps.scenario, out / "scenario.yaml", overwrite=True)
    for name, fig in (("waits.png", plots.waits_figure(reps, lang)),
                      ("caseload.png", plots.series_figure(reps, lang=lang)),
                      ("outcomes.png", plots.outcomes_figure(reps, lang))):
        paths[name] = out / name
        _save(fig, paths[name])
    record = run_record(reps, command=command, wall_seconds=wall_seconds)
    paths["run.json"] = out / "run.json"
    paths["run.json"].write_text(json.dumps(record, indent=2, default=json_default),
                                 encoding="utf-8")
    paths["report.md"] = out / "report.md"
    paths["report.md"].write_text(stress_report(reps, record), encoding="utf-8")
    return paths


def json_default(obj: Any) -> Any:
    """``json.dumps(default=...)`` for numpy values in run records."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def run_record(reps: Replications, *, command: str = "", wall_seconds: float = 0.0
               ) -> dict[str, Any]:
    """Everything needed to repeat the run: scenario, seed, replications, versions, streams."""
    return {
        "command": command,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "scenario": reps.scenario.to_dict(),
        "seed": reps.seed,
        "replications": reps.n,
        "random_numbers": "numpy PCG64; stream = SeedSequence(entropy=seed, "
                          "spawn_key=(replication, blake2b32(stream name)))",
        "stream_map": reps.runs[0].meta["stream_map"],
        "wall_seconds": wall_seconds,
        "per_replication": [{k: v for k, v in r.meta.items() if k != "stream_map"}
                            for r in reps.runs],
        "precision": reps.stopping.as_dict() if reps.stopping is not None else None,
        "warnings": reps.warnings(),
        "environment": environment(),
    }


def stress_report(reps: Replications, record: Mapping[str, Any]) -> str:
    """A STRESS-DES style report of the run (Monks et al. 2019), filled from the run."""
    s = reps.scenario
    env = record["environment"]
    start = f"pre-loaded with {s.initial.total} clients at day 0" if s.initial.total else "empty"
    lines = [f"# Simulation report: {s.name}", "",
             "Written automatically by `worksim run` in the STRESS-DES layout.", "",
             "## 1 Objectives", "", f"**Purpose.** {s.description or '—'}", "",
             f"**Rationale.** {s.rationale or '—'}", "",
             "**Outputs (1.2).** Each KPI is computed per replication from the client event log "
             "or from time-weighted levels after the warm-up; the table gives the mean of the "
             "replication values with a t-based 95 % confidence interval.", "",
             "| KPI | unit | definition |", "|---|---|---|"]
    lines += [f"| `{k}` | {u} | {d} |" for k, (u, d) in KPIS.items()]
    services = "; ".join(st.about or st.title or st.name for st in STAGES.values() if st.run)
    exits = ", ".join(st.name for st in STAGES.values() if st.run is None)
    lines += ["", "## 2 Logic", "",
              "Referral (Poisson per source, monthly seasonality by thinning) → coordinator "
              "assessment (FIFO pool of coordinators × active cases; drop-out while waiting) → "
              "multidisciplinary team (meets every "
              f"{s.team.meeting_interval_days:g} days, at most "
              f"{s.team.cases_per_meeting or 'unlimited'} cases a meeting) → pathway by profile "
              f"({services}) or a direct exit ({exits}).", "",
              "## 3 Data", "", "| parameter | value | unit | source |", "|---|---|---|---|"]
    lines += [f"| `{r['parameter']}` | {r['value']} | {r['unit']} | {r['source']} |"
              for r in parameter_table(s)]
    lines += ["", "## 4 Experimentation", "",
              f"- Initialisation: {start}; warm-up {s.warmup_days:g} days (KPIs exclude clients "
              "referred before it and "
              "pre-loaded clients).",
              f"- Run length: {s.horizon_days:g} days (time unit: days).",
              f"- Replications: {reps.n}, master seed {reps.seed}; 95 % t-based intervals.", "",
              "## 5 Implementation", "",
              f"- Software: Python {env['python']}; "
              + ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v),
              f"- Random sampling: {record['random_numbers']}; first-episode durations are drawn "
              "for every client at referral so each client meets the same luck in every "
              f"scenario (common random numbers). Streams: {len(record['stream_map'])}.",
              "- Execution: process interaction on simpy's event core (sim.engine: each client "
              "is a generator flow; events fire in simpy's order of time, priority and "
              "scheduling); FIFO queues; replications in separate processes give results "
              "identical to serial runs.",
              f"- System: {env['cpu']} ({env['cores']} cores), {env['platform']}; wall time "
              f"{record['wall_seconds']:.1f} s.", "",
              "## 6 Code access", "",
              "Repository `tyokyky-course`; repeat this run with the command in `run.json`.", ""]
    return "\n".join(lines)


def write_sweep(result: SweepResult, out: Path, kpis: Sequence[str], lang: str = "en", *,
                command: str = "") -> dict[str, Path]:
    """Sweep table (CSV + xlsx) and, for one varied parameter, the capacity curve."""
    out = Path(out)
    rows = result.table(kpis)
    paths = {"sweep.csv": out / "sweep.csv", "sweep.xlsx": out / "sweep.xlsx"}
    write_csv(paths["sweep.csv"], rows)
    write_xlsx(paths["sweep.xlsx"], {"sweep": rows})
    if len(result.parameters) == 1:
        paths["capacity.png"] = out / "capacity.png"
        _save(plots.capacity_figure(result, lang=lang), paths["capacity.png"])
    # the sweep's record: every grid point's replications, so a decision brief (sim/brief.py)
    # can be written from the folder later
    target = result.target
    best = result.best() if target is not None else None
    shown = result.results[result.points.index(best)] if best is not None else result.results[0]
    record = {"kind": "sweep", "command": command, "parameters": list(result.parameters),
              "points": list(result.points),
              "target": None if target is None else {"kpi": target.kpi, "op": target.op,
                                                     "value": target.value},
              "offered_load": result.offered_load, "scenario": result.results[0].scenario.to_dict(),
              "seed": result.results[0].seed,
              "per_point": [[r.kpis for r in reps.runs] for reps in result.results],
              "record": run_record(shown, command=command)}
    paths["sweep.json"] = out / "sweep.json"
    paths["sweep.json"].write_text(json.dumps(record, indent=1, default=json_default),
                                   encoding="utf-8")
    return paths


def write_compare(cmp: Comparison, out: Path, *, command: str = "", wall_seconds: float = 0.0
                  ) -> dict[str, Path]:
    """A comparison's paired differences for every KPI (CSV) and its record (compare.json: the
    scenarios and every replication's KPIs, so a decision brief can be written from it)."""
    out = Path(out)
    paths = {"comparison.csv": out / "comparison.csv", "compare.json": out / "compare.json"}
    write_csv(paths["comparison.csv"], cmp.rows())
    record = {"kind": "compare", "command": command, "seed": cmp.base.seed,
              "base": cmp.base.scenario.to_dict(),
              "alternatives": {name: reps.scenario.to_dict()
                               for name, reps in cmp.alternatives.items()},
              "per_replication": {"base": [r.kpis for r in cmp.base.runs],
                                  **{name: [r.kpis for r in reps.runs]
                                     for name, reps in cmp.alternatives.items()}},
              "record": run_record(cmp.base, command=command, wall_seconds=wall_seconds)}
    paths["compare.json"].write_text(json.dumps(record, indent=1, default=json_default),
                                     encoding="utf-8")
    return paths

