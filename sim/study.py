"""Studies: many scenarios × an optional staffing grid in one run, one store and one table
(``worksim study study.yaml``, issue #15).

A study file lists scenarios — preset names, scenario files, one base with variants (``set:``)
or counties built from key numbers (``county:``, :mod:`sim.county`) — and an optional grid of
one or two fields. Every scenario × grid point gets the same replications and seed (common
random numbers), all in one pool of workers (local processes or a Dask cluster) and one result
store (:mod:`sim.store`), so an interrupted study resumes where it stopped. The output is one
combined table (``study.csv`` with the KPI codes as column names, ``study.xlsx`` with them in
words, in English or Finnish) and, for a one-field grid, each scenario's staffing curve
(``staffing.png``, alt text in its Description).

The file is read the way the one scenario loader reads a scenario (:mod:`sim.scenario`: at
most ``MAX_FILE_BYTES``, UTF-8, the bounded YAML reader), and each scenario goes through that
loader and validator; an error names the file, the field (``scenarios[2].set.ips.coaches``)
and the fix. An example over the shipped presets: ``sim/data/examples/study-presets.yaml``::

    name: presets-coaches
    replications: 10
    seed: 1
    horizon_days: 730                 # optional: for every scenario
    scenarios:
      - varsinais-suomi               # a preset or a file (relative to this file)
      - {preset: varsinais-suomi, name: vs-two-more, set: {ips.coaches: 9}}
      - county: {name: example-county, population: 150000, referral_rate: 1.5, coaches: 4}
    grid:
      ips.coaches: {times: [0.75, 1, 1.25, 1.5]}   # or [4, 6, 8], or "4:12:2"
    target: "ips_wait_days.p90<=30"   # optional: a meets-the-target column
    kpis: [ips_wait_days.p90, employed_within_365d_share]   # optional
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import experiment
from .county import county_from_mapping
from .scenario import (
    Scenario,
    ScenarioError,
    list_presets,
    load_scenario,
    preset,
    read_value,
    yaml_file_text,
)

__all__ = ["Study", "StudyResult", "load_study", "study_from_text", "run_study", "write_study",
           "STUDY_FILES", "MAX_SCENARIOS", "MAX_GRID_VALUES", "DEFAULT_KPIS", "FIELDS"]

STUDY_FILES = ("study.csv", "study.xlsx", "staffing.png", "study.json")
"""The files :func:`write_study` writes (staffing.png for a one-field grid)."""
MAX_SCENARIOS = 100
"""Most scenarios in one study (Finland has 21 wellbeing services counties)."""
MAX_GRID_VALUES = 200
"""Most values of one grid field (as ``worksim sweep``)."""
DEFAULT_KPIS = ("ips_wait_days.p90", "ips_wait_days.mean", "coach_caseload_utilisation",
                "assessment_wait_days.p90", "employed_within_365d_share")
FIELDS = ("name", "description", "replications", "seed", "horizon_days", "scenarios", "grid",
          "target", "kpis")
"""The top-level fields of a study file."""
_ENTRY = ("preset", "file", "county", "name", "set")


@dataclass(frozen=True)
class Study:
    """A validated study: named scenarios, the grid, replications, seed, KPIs and target."""

    name: str
    scenarios: tuple[tuple[str, Scenario], ...]
    grid: tuple[tuple[str, Any], ...] = ()
    """(field, values) or (field, {"times": factors})."""
    replications: int = 10
    seed: int = 1
    kpis: tuple[str, ...] = DEFAULT_KPIS
    target: experiment.Target | None = None
    description: str = ""

    def points(self) -> list[tuple[str, dict[str, float], Scenario]]:
        """(scenario name, grid point, scenario at that point) for every run of the study."""
        out = []
        for label, s in self.scenarios:
            axes = []
            for path, spec in self.grid:
                if isinstance(spec, dict):
                    own = s.get(path)
                    axes.append([_times(own, f) for f in spec["times"]])
                else:
                    axes.append(list(spec))
            for combo in itertools.product(*axes):
                point = dict(zip((p for p, _ in self.grid), combo))
                try:
                    out.append((label, point, s.with_changes(point) if point else s))
                except ScenarioError as exc:
                    shown = ", ".join(f"{k}={v:g}" for k, v in point.items())
                    raise ScenarioError(f"grid: the point {shown} of scenario {label} is not "
                                        f"valid: {exc}") from None
        return out

    def subject(self) -> tuple[str, str, dict[str, Any]]:
        """(hash, words, plain data) of what the study's store is for: its scenarios."""
        from .store import scenario_hash
        about = {label: s.to_dict() for label, s in self.scenarios}
        text = json.dumps([[label, scenario_hash(s)] for label, s in self.scenarios])
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return digest, f"study {self.name} of {len(self.scenarios)} scenarios, hash {digest[:12]}", \
            about


def _times(value: Any, factor: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ScenarioError(f"grid: {{times: …}} multiplies a number, and this field is "
                            f"{value!r}; give the values themselves.")
    return round(value * factor, 2)


def _fail(origin: str, field: str, message: str) -> ScenarioError:
    return ScenarioError(f"{origin}: {field}: {message}")


def _whole(origin: str, field: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(origin, field, f"{value!r}; give a whole number from {lo:,} to {hi:,}.")
    return value


def _entry(origin: str, i: int, entry: Any, folder: Path) -> tuple[str, Scenario]:
    where = f"scenarios[{i}]"
    if isinstance(entry, str):
        entry = {"file" if entry.endswith((".yaml", ".yml")) else "preset": entry}
    if not isinstance(entry, Mapping):
        raise _fail(origin, where, f"{entry!r}; give a preset name, a file, or a mapping with "
                    "preset:, file: or county: (and optionally name: and set:).")
    unknown = [str(k) for k in entry if k not in _ENTRY]
    if unknown:
        raise _fail(origin, f"{where}.{unknown[0]}", f"unknown field; an entry takes "
                    f"{', '.join(_ENTRY)}.")
    kinds = [k for k in ("preset", "file", "county") if k in entry]
    if len(kinds) != 1:
        raise _fail(origin, where, "give exactly one of preset:, file: or county: "
                    f"(found {', '.join(kinds) or 'none'}).")
    kind = kinds[0]
    value = entry[kind]
    try:
        if kind == "preset":
            if not isinstance(value, str) or value not in list_presets():
                raise ScenarioError(f"{value!r}: unknown preset; choose one of "
                                    f"{', '.join(list_presets())}.")
            s = preset(value)
        elif kind == "file":
            if not isinstance(value, str) or not value.strip():
                raise ScenarioError(f"{value!r}; give the scenario file's path as text.")
            path = Path(value)
            s = load_scenario(path if path.is_absolute() else folder / path)
        else:
            s = county_from_mapping(value, f"{where}.county.")
    except ScenarioError as exc:
        text = str(exc)
        raise ScenarioError(f"{origin}: {text}" if text.startswith(where)
                            else f"{origin}: {where}.{kind}: {text}") from None
    changes = entry.get("set") or {}
    if not isinstance(changes, Mapping):
        raise _fail(origin, f"{where}.set", "give the changes as a mapping of FIELD: VALUE, e.g. "
                    "{ips.coaches: 9}.")
    name = entry.get("name", s.name)
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or "\n" in name:
        raise _fail(origin, f"{where}.name", f"{name!r}; give a short name on one line.")
    if changes:
        for key in changes:
            if not isinstance(key, str):
                raise _fail(origin, f"{where}.set", f"{key!r}: give dotted field names such as "
                            "ips.coaches.")
        try:
            s = s.with_changes(dict(changes))
        except ScenarioError as exc:
            raise _fail(origin, f"{where}.set", str(exc)) from None
    return name, s


def _grid(origin: str, grid: Any) -> tuple[tuple[str, Any], ...]:
    if grid is None:
        return ()
    if not isinstance(grid, Mapping) or not 1 <= len(grid) <= 2:
        raise _fail(origin, "grid", "give one or two fields, e.g. {ips.coaches: [4, 6, 8]} or "
                    "{ips.coaches: {times: [0.75, 1, 1.25]}}.")
    out = []
    for path, spec in grid.items():
        where = f"grid.{path}"
        if isinstance(spec, Mapping):
            if set(spec) != {"times"} or not isinstance(spec["times"], list):
                raise _fail(origin, where, "a mapping takes only times: [factors], e.g. "
                            "{times: [0.75, 1, 1.25]}.")
            values = spec["times"]
        elif isinstance(spec, str):
            try:
                values = experiment.parse_range(spec, MAX_GRID_VALUES)
            except ValueError as exc:
                raise _fail(origin, where, str(exc)) from None
        elif isinstance(spec, list):
            values = spec
        else:
            raise _fail(origin, where, f"{spec!r}; give a list [4, 6, 8], a range \"4:12:2\" or "
                        "{times: [0.75, 1, 1.25]}.")
        if not values or len(values) > MAX_GRID_VALUES:
            raise _fail(origin, where, f"give 1 to {MAX_GRID_VALUES} values.")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or (isinstance(spec, Mapping) and v <= 0):
                what = "factor above 0" if isinstance(spec, Mapping) else "number"
                raise _fail(origin, where, f"{v!r} is not a {what}.")
        out.append((str(path), {"times": list(values)} if isinstance(spec, Mapping) else list(values)))
    return tuple(out)


def study_from_text(text: str, origin: str = "<study>", folder: str | Path = ".") -> Study:
    """A validated :class:`Study` from YAML text; ``folder`` is where relative scenario files
    are found. Errors name ``origin`` and the field."""
    try:
        data = read_value(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ScenarioError(f"{origin}{line}: cannot read the study file: {problem}; check its "
                            "YAML layout against sim/data/examples/study-presets.yaml.") from None
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{origin}: a study file is a mapping with name:, scenarios: and "
                            "optionally grid:, replications:, seed:, target:, kpis:.")
    unknown = [str(k) for k in data if k not in FIELDS]
    if unknown:
        raise _fail(origin, unknown[0], f"unknown field; a study file takes {', '.join(FIELDS)}.")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or "\n" in name:
        raise _fail(origin, "name", f"{name!r}; give the study a short name on one line.")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise _fail(origin, "description", "give text.")
    reps = _whole(origin, "replications", data.get("replications", 10), 1,
                  experiment.MAX_REPLICATIONS)
    seed = _whole(origin, "seed", data.get("seed", 1), 0, 2 ** 63 - 1)
    entries = data.get("scenarios")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_SCENARIOS:
        raise _fail(origin, "scenarios", f"give a list of 1 to {MAX_SCENARIOS} scenarios (preset "
                    "names, files, {preset: …, set: {…}} or {county: {…}}).")
    scenarios = [_entry(origin, i, e, Path(folder)) for i, e in enumerate(entries)]
    horizon = data.get("horizon_days")
    if horizon is not None:
        try:
            scenarios = [(n, s.with_changes({"horizon_days": horizon})) for n, s in scenarios]
        except ScenarioError as exc:
            raise _fail(origin, "horizon_days", str(exc)) from None
    seen: dict[str, int] = {}
    for i, (label, _) in enumerate(scenarios):
        if label in seen:
            raise _fail(origin, f"scenarios[{i}].name", f"{label!r} is also scenarios[{seen[label]}]"
                        "; give each scenario its own name: (e.g. name: vs-plus2).")
        seen[label] = i
    target = None
    if data.get("target") is not None:
        if not isinstance(data["target"], str):
            raise _fail(origin, "target", "give it as text, e.g. \"ips_wait_days.p90<=30\".")
        try:
            target = experiment.parse_target(data["target"])
        except ValueError as exc:
            raise _fail(origin, "target", str(exc)) from None
    kpis = data.get("kpis")
    if kpis is None:
        kpis = list(DEFAULT_KPIS)
    if not isinstance(kpis, list) or not kpis or not all(isinstance(k, str) for k in kpis):
        raise _fail(origin, "kpis", "give a list of KPI names, e.g. [ips_wait_days.p90].")
    for k in kpis:
        try:
            experiment.check_kpi(k)
        except ValueError as exc:
            raise _fail(origin, "kpis", str(exc)) from None
    if target is not None:
        kpis = [target.kpi, *(k for k in kpis if k != target.kpi)]
    study = Study(name.strip(), tuple(scenarios), _grid(origin, data.get("grid")), reps, seed,
                  tuple(dict.fromkeys(kpis)), target, description)
    try:
        points = len(study.points())  # validates every grid point of every scenario
    except ScenarioError as exc:
        raise ScenarioError(f"{origin}: {exc}") from None
    if points * reps > experiment.MAX_RUNS:
        raise _fail(origin, "replications", f"{points:,} scenario × grid points × {reps:,} "
                    f"replications = {points * reps:,} runs; at most {experiment.MAX_RUNS:,}; give "
                    "fewer replications, scenarios or grid values.")
    return study


def load_study(path: str | Path) -> Study:
    """A study file, read with the scenario loader's limits (:func:`sim.scenario.yaml_file_text`)."""
    path = Path(path)
    text = yaml_file_text(path, missing="give the study file (e.g. sim/data/examples/study-presets.yaml)",
                          folder="give the study's YAML file")
    return study_from_text(text, str(path), path.parent)


@dataclass(frozen=True)
class StudyResult:
    """Every scenario × grid point of a study with its replications."""

    study: Study
    points: tuple[tuple[str, dict[str, float], Scenario], ...]
    results: tuple[experiment.Replications, ...]

    def table(self) -> list[dict[str, Any]]:
        """One row per scenario × grid point: the grid values, referrals a year, each KPI's mean
        and 95 % CI, the replications and (with a target) whether it is met."""
        rows = []
        for (label, point, s), reps in zip(self.points, self.results):
            row: dict[str, Any] = {"scenario": label, **point,
                                   "referrals_per_year": s.arrivals.per_year}
            for k in self.study.kpis:
                ci = reps.ci(k)
                row.update({f"{k}.mean": ci.mean, f"{k}.ci95_low": ci.low,
                            f"{k}.ci95_high": ci.high})
            row["replications"] = reps.n
            if self.study.target is not None:
                row["meets_target"] = self.study.target.met_by(reps.ci(self.study.target.kpi))
            rows.append(row)
        return rows


def run_study(study: Study, *, jobs: int = 1, client: Any = None, store: Any = None,
              progress: bool | Callable[[int, int], None] = False) -> StudyResult:
    """Run every scenario × grid point in one pool (``client``, ``store`` as in
    :func:`sim.experiment.replicate`)."""
    points = study.points()
    results = experiment.replicate_many([s for _, _, s in points], study.replications, study.seed,
                                        jobs=jobs, client=client, store=store, progress=progress)
    return StudyResult(study, tuple(points), tuple(results))


def _in_words(rows: Sequence[Mapping[str, Any]], study: Study, lang: str) -> list[dict[str, Any]]:
    from .learning.text import t
    from .plots import amount, kpi_label, setting_label
    names: dict[str, str] = {"scenario": t("study.col.scenario", lang),
                             "referrals_per_year": t("study.col.referrals", lang),
                             "replications": t("study.col.replications", lang)}
    for path, _ in study.grid:
        names[path] = setting_label(path, lang)
    for k in study.kpis:
        label = kpi_label(k, lang)
        names[f"{k}.mean"] = t("study.col.mean", lang, kpi=label)
        names[f"{k}.ci95_low"] = t("study.col.low", lang, kpi=label)
        names[f"{k}.ci95_high"] = t("study.col.high", lang, kpi=label)
    if study.target is not None:
        target = study.target
        sign = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}[target.op]
        names["meets_target"] = t("study.col.meets", lang, target=f"{kpi_label(target.kpi, lang)} "
                                  f"{sign} {amount(target.value, lang)}")
    out = []
    for row in rows:
        out.append({names.get(k, k): (t("study.yes" if v else "study.no", lang)
                                      if isinstance(v, bool) else v) for k, v in row.items()})
    return out


def write_study(result: StudyResult, out: str | Path, lang: str = "en", *, command: str = ""
                ) -> dict[str, Path]:
    """study.csv (KPI codes as column names), study.xlsx (in words, in ``lang``), study.json
    (the study and every replication's KPIs) and, for a one-field grid, staffing.png."""
    from . import plots, report
    from .learning.text import t
    from .store import model_version
    out = Path(out)
    study = result.study
    rows = result.table()
    paths = {"study.csv": out / "study.csv", "study.xlsx": out / "study.xlsx"}
    report.write_csv(paths["study.csv"], rows)
    report.write_xlsx(paths["study.xlsx"], {t("study.sheet.table", lang): _in_words(rows, study, lang)})
    if len(study.grid) == 1:
        param = study.grid[0][0]
        kpi = study.kpis[0]
        curves = []
        for label, _ in study.scenarios:
            mine = [(p[param], r.ci(kpi)) for (name, p, _), r in zip(result.points, result.results)
                    if name == label]
            curves.append((label, [x for x, _ in mine], [c for _, c in mine]))
        fig = plots.staffing_curves_figure(curves, param, kpi, study.target, lang)
        paths["staffing.png"] = out / "staffing.png"
        fig.savefig(paths["staffing.png"], dpi=100, metadata={"Description": fig.get_label()})
    record = {"kind": "study", "command": command, "name": study.name,
              "model_version": model_version(),
              "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "seed": study.seed, "replications": study.replications,
              "grid": [[p, spec] for p, spec in study.grid],
              "target": None if study.target is None else str(study.target),
              "scenarios": {label: s.to_dict() for label, s in study.scenarios},
              "per_point": [{"scenario": label, "point": point,
                             "kpis": [r.kpis for r in reps.runs]}
                            for (label, point, _), reps in zip(result.points, result.results)],
              "environment": report.environment()}
    paths["study.json"] = out / "study.json"
    paths["study.json"].write_text(json.dumps(record, indent=1, default=report.json_default),
                                   encoding="utf-8")
    return paths
