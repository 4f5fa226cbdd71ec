"""The commented scenario template: a scenario file in which every field says what it is.

:func:`scenario_template` writes a scenario (by default the ``varsinais-suomi`` preset) as YAML
with a comment above every field: its meaning, unit, allowed range (from the field metadata in
:mod:`sim.scenario`, the same limits the loader checks) and where the default number comes
from (the scenario's ``sources`` map, :meth:`sim.scenario.Scenario.source_of`). The text is
in English or Finnish (``sim/data/template_fields.yaml``). The template loads unchanged with
the one scenario loader: ``load_scenario(path) == preset(name)``. Used by ``worksim template``
and by the planners' app's downloads.

A county's own numbers as the app edits them: referrals by source and the mean durations of
the main stages (:func:`county_changes`), and the edited fields cited as the county's own
(:func:`cite_changes`) in the file a planner saves.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .learning.text import check_language, load_data, number
from .scenario import (
    PATHWAYS,
    Assessment,
    Dist,
    Ips,
    Onward,
    ProfileShare,
    ReferralSource,
    Scenario,
    Stepwise,
    Team,
    Vocational,
    preset,
)
from .scenario import Initial as InitialCounts

__all__ = ["DEFAULT_PRESET", "DURATIONS", "EDITABLE", "cite_changes", "county_changes", "duration_means",
           "scenario_template", "scenario_yaml", "write_template"]

DEFAULT_PRESET = "varsinais-suomi"
"""The preset the template's numbers come from unless another is named."""

_CLASSES: dict[str, type] = {"": Scenario, "assessment": Assessment, "team": Team, "ips": Ips,
                             "stepwise": Stepwise, "stepwise.onward": Onward,
                             "vocational": Vocational, "initial": InitialCounts,
                             "arrivals.sources.*": ReferralSource,
                             "arrivals.profiles.*": ProfileShare}
_TEXT_FIELDS = ("name", "description", "rationale")
# text the scenario loader reads as a number (YAML 1.2 floats such as 1e4) must be quoted
_NUMBER_LIKE = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


def _texts() -> Mapping[str, Any]:
    return load_data("template_fields.yaml")


def _flow(value: Any) -> str:
    """One YAML value on one line (mappings and lists in flow style)."""
    if isinstance(value, str) and _NUMBER_LIKE.match(value):
        return "'" + value + "'"
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                          width=1_000_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _metadata(path: str) -> Mapping[str, Any] | None:
    """The unit/range metadata of a numeric field, or None."""
    parent, _, name = path.rpartition(".")
    cls = _CLASSES.get(parent)
    if cls is None:
        cls = _CLASSES.get(parent + ".*")
        name = {ReferralSource: "per_year", ProfileShare: "share"}.get(cls, name)
    if cls is None:
        return None
    for f in dataclasses.fields(cls):
        if f.name == name and "unit" in f.metadata:
            return f.metadata
    return None


def _range(meta: Mapping[str, Any], words: Mapping[str, Any], lang: str) -> str:
    """The allowed range in words, as :mod:`sim.scenario`'s messages state it."""
    parts = []
    if meta["lo"] is not None:
        parts.append(f"{'>' if meta['lo_open'] else '≥'} {number(meta['lo'], lang)}")
    if meta["hi"] is not None:
        parts.append(f"≤ {number(meta['hi'], lang)}")
    kind = words["whole" if meta["integer"] else "number"][lang]
    text = f" {words['and'][lang]} ".join(parts)
    text = f"{kind} {text}".strip()
    if meta["optional"]:
        text += f", {words['nullable'][lang]}"
    return text


def _comment(path: str, value: Any, scenario: Scenario, lang: str, texts: Mapping[str, Any],
             field_type: str = "") -> str:
    fields, words, units = texts["fields"], texts["words"], texts["units"]
    parent = path.rpartition(".")[0]
    meaning = fields.get(path) or fields.get(f"{parent}.*")
    parts = [meaning[lang] if meaning else path]
    meta = _metadata(path)
    if meta is not None:
        unit = units[meta["unit"]][lang] if meta["unit"] in units else meta["unit"]
        parts += [f"{words['unit'][lang]}: {unit}",
                  f"{words['allowed'][lang]}: {_range(meta, words, lang)}"]
    elif path in _TEXT_FIELDS:
        parts.append(f"{words['allowed'][lang]}: {words['text'][lang]}")
    elif path == "arrivals.seasonality":
        parts.append(f"{words['allowed'][lang]}: {words['seasonality'][lang]}")
    elif parent == "routing":
        parts.append(f"{words['allowed'][lang]}: "
                     + words["row"][lang].replace("{pathways}", ", ".join(PATHWAYS)))
    elif isinstance(value, Mapping) and "dist" in value:
        parts += [f"{words['unit'][lang]}: {units['days'][lang]}",
                  f"{words['allowed'][lang]}: "
                  + words["dist"][lang].replace("{kinds}", ", ".join(Dist.KINDS))]
    elif field_type == "bool":
        parts.append(f"{words['allowed'][lang]}: {words['bool'][lang]}")
    elif path == "sources":
        parts.append(f"{words['allowed'][lang]}: {words['citations'][lang]}")
    if path not in _TEXT_FIELDS and path != "sources" and not (
            isinstance(value, Mapping) and path in fields and "dist" not in value):
        parts.append(f"{words['source'][lang]}: {scenario.source_of(path)}")
    return "# " + " | ".join(parts)


def _emit(data: Mapping[str, Any], path: str, depth: int, scenario: Scenario, lang: str,
          texts: Mapping[str, Any], out: list[str]) -> None:
    pad = "  " * depth
    types = {}
    cls = _CLASSES.get(path)
    if cls is not None:
        types = {f.name: str(f.type) for f in dataclasses.fields(cls)}
    for key, value in data.items():
        here = f"{path}.{key}" if path else str(key)
        if depth == 0:
            out.append("")
        out.append(pad + _comment(here, value, scenario, lang, texts, types.get(key, "")))
        nested = (isinstance(value, Mapping) and value and "dist" not in value
                  and path != "routing" and here != "sources")
        if nested:
            out.append(f"{pad}{_flow(key)}:")
            _emit(value, here, depth + 1, scenario, lang, texts, out)
        elif here == "sources" and value:
            out.append(f"{pad}sources:")
            out += [f"{pad}  {_flow(k)}: {_flow(v)}" for k, v in value.items()]
        else:
            out.append(f"{pad}{_flow(key)}: {_flow(value)}")


def scenario_yaml(scenario: Scenario, lang: str = "en", based_on: str | None = None) -> str:
    """``scenario`` as a commented YAML file that loads back equal to it."""
    check_language(lang)
    texts = _texts()
    words = texts["words"]
    head = [words["title"][lang],
            words["based"][lang].replace("{preset}", based_on or scenario.name),
            words["check"][lang], words["legend"][lang]]
    out = ["# " + line for line in head]
    _emit(scenario.to_dict(), "", 0, scenario, lang, texts, out)
    return "\n".join(out) + "\n"


def scenario_template(name: str = DEFAULT_PRESET, lang: str = "en") -> str:
    """The commented template: the preset ``name`` with every field explained."""
    return scenario_yaml(preset(name), lang, based_on=name)


def write_template(path: str | Path, name: str = DEFAULT_PRESET, lang: str = "en", *,
                   overwrite: bool = False) -> Path:
    """Write :func:`scenario_template` to ``path``; never replaces a file unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name or pass --overwrite.")
    path.write_text(scenario_template(name, lang), encoding="utf-8")
    return path


# --- a county's own numbers -----------------------------------------------------------------

DURATIONS = ("assessment.duration", "ips.days_to_job", "ips.job_tenure", "stepwise.duration",
             "vocational.wait", "vocational.duration")
"""The main stages' durations a planner edits (by their mean, in days)."""


def duration_means(scenario: Scenario) -> dict[str, float]:
    """The mean in days of each of :data:`DURATIONS`."""
    out = {}
    for path in DURATIONS:
        d = scenario.get(path)
        out[path] = (d["low"] + d["high"]) / 2 if d["dist"] == "uniform" else float(d["mean"])
    return out


def _with_mean(dist: Mapping[str, Any], mean: float) -> dict[str, Any]:
    """A distribution with a new mean: a uniform one keeps its spread relative to the mean."""
    out = dict(dist)
    mean = int(mean) if float(mean).is_integer() else mean
    if out["dist"] == "uniform":
        old = (out["low"] + out["high"]) / 2
        if old > 0:
            out["low"], out["high"] = out["low"] * mean / old, out["high"] * mean / old
        else:
            out["low"] = out["high"] = mean
    else:
        out["mean"] = mean
    return out


def _whole(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def county_changes(base: Scenario, sources: Mapping[str, float] | None = None,
                   durations: Mapping[str, float] | None = None) -> dict[str, Any]:
    """``with_changes`` entries for referrals by source and mean durations that differ from
    ``base`` (an unchanged value gives no entry, so ``base`` stays exactly as it is)."""
    changes: dict[str, Any] = {}
    now = {s.name: s.per_year for s in base.arrivals.sources}
    if sources is not None and (set(sources) != set(now) or any(
            abs(v - now.get(k, math.nan)) > 1e-9 or math.isnan(now.get(k, math.nan))
            for k, v in sources.items())):
        changes["arrivals.sources"] = {k: _whole(v) for k, v in sources.items()}
    means = duration_means(base)
    for path, mean in (durations or {}).items():
        if path not in means:
            raise KeyError(f"unknown duration {path!r}; known: {', '.join(DURATIONS)}")
        if abs(mean - means[path]) > 1e-9:
            changes[path] = _with_mean(base.get(path), mean)
    return changes


EDITABLE = ("arrivals.sources", "assessment.coordinators", "ips.coaches",
            "ips.caseload_per_coach", "ips.fidelity_score", "routing", *DURATIONS)
"""The fields a planner edits in the app; :func:`cite_changes` cites those changed."""


def cite_changes(base: Scenario, edited: Scenario, citation: str) -> Scenario:
    """``edited`` with ``citation`` as the source of every :data:`EDITABLE` field that differs
    from ``base`` (so the saved file says which numbers are the county's own)."""
    changed = [p for p in EDITABLE if edited.get(p) != base.get(p)]
    if not changed:
        return edited
    cited = dict(edited.sources)
    for path in changed:
        cited[path] = citation
    return edited.with_changes({"sources": cited})
