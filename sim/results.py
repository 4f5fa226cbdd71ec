"""The compact event log of one run and the pure KPI functions derived from it.

The log is columnar (four ``array`` columns: client, time, event, detail) so a national
year of ~10^6 events costs ~13 MB; every client-level KPI is computed from it in one
vectorised pass. :data:`KPIS` is the registry: name -> unit and definition (STRESS-DES 1.2);
its per-pathway entries follow the stage registry in ``sim/journeys.py``
(:func:`describe_pathways`).
"""

from __future__ import annotations

import difflib
import math
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from .scenario import EXITS, PATHWAYS

__all__ = ["Event", "EventLog", "RunResult", "KPIS", "compute_kpis", "kpi_unit", "known_kpis",
           "check_kpi", "describe_pathways"]


class Event:
    """Event codes in the log (the detail column qualifies some of them)."""

    REFERRAL = 0          # detail: referral-source index; -1 = pre-loaded at day 0
    ASSESS_START = 1
    ASSESS_END = 2
    DECISION = 3          # detail: index into PATHWAYS
    IPS_QUEUE = 4
    IPS_START = 5
    JOB_START = 6         # open-market job starts (any pathway)
    JOB_END = 7
    STEP_QUEUE = 8
    STEP_START = 9
    STEP_END = 10
    VOC_START = 11
    VOC_END = 12
    EXIT = 13             # detail: index into EXITS
    RENEGE = 14           # detail: 0 assessment, 1 IPS, 2 stepwise (left while waiting)

    NAMES = ("referral", "assess_start", "assess_end", "decision", "ips_queue", "ips_start",
             "job_start", "job_end", "step_queue", "step_start", "step_end", "voc_start",
             "voc_end", "exit", "renege")


class EventLog:
    """Append-only columnar log: one row per client event."""

    __slots__ = ("client", "time", "event", "detail")

    def __init__(self) -> None:
        self.client = array("l")
        self.time = array("d")
        self.event = array("b")
        self.detail = array("b")

    def extend(self, rows: list[tuple[int, float, int, int]]) -> None:
        """Append buffered (client, time, event, detail) rows."""
        # one C-level pass per column (zip(*rows) is ~50x slower with a million live objects);
        # numpy converts a column twice as fast as array.extend does
        n = len(rows)
        for i, column in enumerate((self.client, self.time, self.event, self.detail)):
            column.frombytes(np.fromiter(map(itemgetter(i), rows), dtype=column.typecode,
                                         count=n).tobytes())

    def __len__(self) -> int:
        return len(self.client)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.frombuffer(getattr(self, name), dtype=getattr(self, name).typecode)
                for name in self.__slots__}



@dataclass(frozen=True)
class RunResult:
    """What one replication returns: KPIs, weekly time series and (optionally) the log."""

    kpis: dict[str, float]
    series: dict[str, np.ndarray]
    meta: dict[str, Any]
    log: EventLog | None = field(default=None, compare=False)


_HEAD: dict[str, tuple[str, str]] = {
    "referrals": ("clients", "Clients referred after the warm-up (pre-loaded clients excluded)."),
    "assessment_wait_days": ("days", "Referral to the start of the coordinator's assessment, "
                             "for clients whose assessment started."),
    "team_wait_days": ("days", "End of assessment to the team's decision."),
    "ips_wait_days": ("days", "Joining the IPS waiting list to the start of coaching "
                      "(a caseload place), for clients who started."),
    "ips_started_within_30d_share": ("share", "Of clients who joined the IPS waiting list at "
                                     "least 30 days before the horizon, the share who started "
                                     "coaching within 30 days."),
    "time_to_first_job_days": ("days", "Start of IPS coaching to the first open-market job, "
                               "for clients who found one."),
    "employed_within_365d_share": ("share", "Of clients referred at least 365 days before the "
                                   "horizon, the share who started an open-market job within "
                                   "365 days of referral (any pathway)."),
}
_MIDDLE: dict[str, tuple[str, str]] = {
    "coach_caseload_utilisation": ("share", "Time-weighted mean caseload (job seekers and people "
                                   "in work) divided by coaches × caseload cap."),
    "coordinator_utilisation": ("share", "Time-weighted mean of assessment places in use divided "
                                "by coordinators × active cases per coordinator."),
    "ips_waiting_mean": ("clients", "Time-weighted mean length of the IPS waiting list."),
    "ips_caseload_mean": ("clients", "Time-weighted mean number of clients on coaches' caseloads."),
    "assessment_queue_mean": ("clients", "Time-weighted mean number waiting for assessment."),
    "assessment_in_service_mean": ("clients", "Time-weighted mean number being assessed."),
    "waiting_at_end": ("clients", "Clients still waiting (assessment, team or IPS list) at the "
                       "horizon — the 'unseen' demand."),
    "time_in_system_days": ("days", "Referral to exit, for clients who exited."),
}
_OUTCOMES = {  # what each outcome means, as sim/journeys.py's stages take the exits
    "employed": "left for an open-market job (IPS support stepped down in stable work, or work "
                "after stepwise work activity or vocational rehabilitation)",
    "education": "left for education (the team's decision or an onward move from stepwise "
                 "work activity)",
    "pension": "left for a pension (the team's decision or an onward move from stepwise work "
               "activity)",
    "dropout": "dropped out, while waiting (for assessment, IPS or a work-activity place) or "
               "during a service",
    "other": "left for another reason (the team's decision; discharge from IPS after long "
             "unemployment or no new search after a job loss; no job after vocational "
             "rehabilitation; another onward move from stepwise work activity)",
    "in_service": "were still in the system",
}
_SERVICES: dict[str, int | None] = {}  # service pathway -> event code of its start (or None)

KPIS: dict[str, tuple[str, str]] = {}
"""KPI name -> (unit, definition); filled by :func:`describe_pathways`."""


def describe_pathways(decisions: Sequence[str],
                      services: Mapping[str, tuple[str, int | None]]) -> None:
    """Rebuild :data:`KPIS` in place for the team's *decisions* and the service pathways
    among them, ``{name: (title, event code of its start or None)}``.

    The stage registry (``sim/journeys.py``) calls this whenever it changes.
    """
    _SERVICES.clear()
    _SERVICES.update((name, started) for name, (_, started) in services.items())
    table = dict(_HEAD)
    for name, (title, started) in services.items():
        if started is not None:
            table[f"{name}_employed_within_365d_share"] = (
                "share", f"Of clients who started {title} at least 365 days before the horizon, "
                "the share who started an open-market job within 365 days of starting.")
    table.update(_MIDDLE)
    for p in decisions:
        table[f"routed_{p}_share"] = ("share", f"Share of team decisions that chose '{p}'.")
    by_pathway = ", ".join(services)
    for x in EXITS + ("in_service",):
        table[f"exit_{x}"] = (
            "clients", f"Clients referred after the warm-up whose outcome at the horizon is "
            f"'{x}': they {_OUTCOMES[x]}. Column exit_{x}.PATHWAY counts those whose first "
            f"team decision was PATHWAY (one of {by_pathway}).")
    KPIS.clear()
    KPIS.update(table)


_WAITS = ("assessment_wait_days", "team_wait_days", "ips_wait_days", "time_to_first_job_days",
          "time_in_system_days")


def kpi_unit(name: str) -> str:
    """The unit of a KPI column such as ``ips_wait_days.p90``."""
    return KPIS.get(name.split(".")[0], ("", ""))[0]


def known_kpis() -> list[str]:
    """Every KPI column a run reports (waits as ``.mean``/``.p90``, exits also by pathway)."""
    names = []
    for base in KPIS:
        if base in _WAITS:
            names += [f"{base}.mean", f"{base}.p90"]
        else:
            names.append(base)
            if base.startswith("exit_"):
                names += [f"{base}.{p}" for p in _SERVICES]
    return names


def check_kpi(name: str) -> None:
    """Raise ValueError saying what is wrong with a KPI name and how to write it."""
    base, dot, stat = name.partition(".")
    if base not in KPIS:
        close = difflib.get_close_matches(name, known_kpis(), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown metric {name!r}; {hint}known: {', '.join(sorted(KPIS))} "
                         "(waits take .mean or .p90).")
    if base in _WAITS:
        if not dot:
            raise ValueError(f"{base} needs a statistic: write {base}.mean or {base}.p90.")
        if stat not in ("mean", "p90", "n"):
            raise ValueError(f"{base} has no statistic {stat!r}; write {base}.mean or {base}.p90.")
    elif base.startswith("exit_") and base[5:] in EXITS + ("in_service",):
        if dot and stat not in _SERVICES:
            raise ValueError(f"{base} has no part {stat!r}; write {base} or {base}.PATHWAY with "
                             f"PATHWAY one of {', '.join(_SERVICES)}.")
    elif dot:
        raise ValueError(f"{base} is one number per replication and takes no statistic; "
                         f"write {base} without '.{stat}'.")


def _first(times: np.ndarray, clients: np.ndarray, events: np.ndarray, code: int,
           n: int) -> np.ndarray:
    """Per client, the time of its first event ``code`` (NaN if none)."""
    out = np.full(n, np.nan)
    mask = events == code
    cl, tm = clients[mask], times[mask]
    out[cl[::-1]] = tm[::-1]  # with repeated indices the last write wins: reversed = first
    return out


def _wait_stats(prefix: str, waits: np.ndarray, out: dict[str, float]) -> None:
    waits = waits[~np.isnan(waits)]
    if waits.size:
        out[f"{prefix}.mean"] = float(waits.mean())
        out[f"{prefix}.p90"] = float(np.percentile(waits, 90))
    else:
        out[f"{prefix}.mean"] = out[f"{prefix}.p90"] = math.nan
    out[f"{prefix}.n"] = float(waits.size)


def _share_within(start: np.ndarray, job: np.ndarray, eligible: np.ndarray,
                  days: float) -> float:
    if not eligible.any():
        return math.nan
    hit = (job[eligible] - start[eligible]) <= days
    return float(np.mean(hit))  # NaN job times compare False


def compute_kpis(log: EventLog, n_clients: int, preloaded: np.ndarray, *, warmup: float,
                 horizon: float, decisions: Sequence[str] | None = None,
                 services: Mapping[str, int | None] | None = None) -> dict[str, float]:
    """All client-level KPIs of one run from its event log (pure, vectorised).

    *decisions* are the team's decisions in the order of their codes and *services* the
    service pathways with the event code of their start (or None); by default those of the
    stage registry (``sim/journeys.py``).
    """
    decisions = tuple(PATHWAYS) if decisions is None else tuple(decisions)
    services = dict(_SERVICES) if services is None else services
    a = log.arrays()
    cl, tm, ev, de = a["client"], a["time"], a["event"], a["detail"]
    n = n_clients
    first = {code: _first(tm, cl, ev, code, n) for code in
             (Event.REFERRAL, Event.ASSESS_START, Event.ASSESS_END, Event.DECISION,
              Event.IPS_QUEUE, Event.IPS_START, Event.JOB_START, Event.STEP_START,
              Event.VOC_START, Event.EXIT)}
    ref = first[Event.REFERRAL]
    cohort = (ref >= warmup) & ~preloaded  # referred during the observation window
    out: dict[str, float] = {"referrals": float(cohort.sum())}

    _wait_stats("assessment_wait_days",
                np.where(cohort, first[Event.ASSESS_START] - ref, np.nan), out)
    _wait_stats("team_wait_days",
                np.where(cohort, first[Event.DECISION] - first[Event.ASSESS_END], np.nan), out)
    ips_q = first[Event.IPS_QUEUE]
    ips_s = first[Event.IPS_START]
    in_ips_window = (ips_q >= warmup) & ~preloaded
    _wait_stats("ips_wait_days", np.where(in_ips_window, ips_s - ips_q, np.nan), out)
    out["ips_started_within_30d_share"] = _share_within(
        ips_q, ips_s, in_ips_window & (ips_q <= horizon - 30), 30)
    job = first[Event.JOB_START]
    started = (ips_s >= warmup) & ~preloaded
    _wait_stats("time_to_first_job_days", np.where(started, job - ips_s, np.nan), out)
    last = horizon - 365
    out["employed_within_365d_share"] = _share_within(ref, job, cohort & (ref <= last), 365)
    for name, code in services.items():
        if code is None:
            continue
        s = first[code] if code in first else _first(tm, cl, ev, code, n)
        out[f"{name}_employed_within_365d_share"] = _share_within(
            s, job, (s >= warmup) & (s <= last) & ~preloaded, 365)
    exit_t = first[Event.EXIT]
    _wait_stats("time_in_system_days", np.where(cohort, exit_t - ref, np.nan), out)

    # decisions and exits of the cohort
    dec_mask = (ev == Event.DECISION) & cohort[cl]
    decided = np.bincount(de[dec_mask], minlength=len(decisions))
    total_dec = decided.sum()
    for i, p in enumerate(decisions):
        out[f"routed_{p}_share"] = float(decided[i] / total_dec) if total_dec else math.nan
    exit_mask = (ev == Event.EXIT) & cohort[cl]
    exits = np.bincount(de[exit_mask], minlength=len(EXITS))
    for i, x in enumerate(EXITS):
        out[f"exit_{x}"] = float(exits[i])
    out["exit_in_service"] = float(cohort.sum() - exits.sum())

    # outcomes by the pathway the team chose first (a stepwise client referred on to IPS
    # counts under stepwise): the IPS-versus-stepwise comparison planners ask for
    pathway = np.full(n, -1)
    first_dec = np.flatnonzero(dec_mask)[::-1]  # reversed: the first decision wins
    pathway[cl[first_dec]] = de[first_dec]
    outcome = np.full(n, len(EXITS))  # len(EXITS) = still in service
    exit_rows = np.flatnonzero(exit_mask)
    outcome[cl[exit_rows]] = de[exit_rows]
    for name in services:
        chosen = cohort & (pathway == decisions.index(name))
        counts = np.bincount(outcome[chosen], minlength=len(EXITS) + 1)
        for i, x in enumerate(EXITS + ("in_service",)):
            out[f"exit_{x}.{name}"] = float(counts[i])
    return out


#: The KPIs planners look at first: the command line's ``run`` table and the planners' app.
KEY_KPIS = ("referrals", "assessment_wait_days.mean", "assessment_wait_days.p90",
            "team_wait_days.mean", "ips_wait_days.mean", "ips_wait_days.p90",
            "ips_started_within_30d_share", "time_to_first_job_days.mean",
            "employed_within_365d_share", "ips_employed_within_365d_share",
            "stepwise_employed_within_365d_share", "coach_caseload_utilisation",
            "coordinator_utilisation", "ips_waiting_mean", "waiting_at_end", "exit_employed",
            "exit_dropout", "exit_in_service")
__all__ += ["KEY_KPIS"]
