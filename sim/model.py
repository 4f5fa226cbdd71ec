"""``run(scenario, seed)``: one replication of the pathway model.

The environment, resources, streams and log live inside :class:`Model`, built afresh for
each run, so two runs in one process (or in parallel processes) cannot interfere.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterator

import numpy as np

from . import journeys
from .engine import Engine
from .resources import Level, MeetingQueue, Pool
from .results import Event, EventLog, RunResult, compute_kpis
from .scenario import EXITS, Scenario
from .streams import Streams, exponential_time, sampler

__all__ = ["run", "Model", "SERIES"]

SAMPLE_EVERY_DAYS = 7.0
SERIES = ("assessment_waiting", "assessment_in_service", "team_waiting", "ips_waiting",
          "ips_caseload", "ips_in_work", "stepwise_waiting", "stepwise_in_service",
          "vocational_in_service")
"""Weekly time series recorded in every run (levels at each sample time)."""


class Model:
    """One replication's world: environment, pools, team, streams, samplers and the log."""

    def __init__(self, scenario: Scenario, seed: int, replication: int, keep_log: bool) -> None:
        s = self.s = scenario
        self.env = env = Engine()
        self.streams = Streams(seed, replication)
        self.events = EventLog()
        self._rows: list[tuple[int, float, int, int]] = []  # flushed into self.events
        self.log = self._rows.append  # log((client id, time, event, detail)): one row
        self.keep_log = keep_log
        self.n_clients = 0
        self.n_preloaded = s.initial.total
        self.exits = [0] * len(EXITS)

        self.coordinators = Pool(env, s.assessment.slots)
        self.team = MeetingQueue(env, enabled=s.team.enabled,
                                 interval_days=s.team.meeting_interval_days,
                                 first_day=s.team.first_meeting_day,
                                 per_meeting=s.team.cases_per_meeting)
        self.caseload = Pool(env, s.ips.slots)
        self.places = Pool(env, s.stepwise.places)
        self.in_work = Level(env)
        self.in_vocational = Level(env)
        profiles = s.arrivals.profiles
        self.profile_names = [p.name for p in profiles]
        self.routes = [journeys.Picker(s.route_for(p.name).probabilities()) for p in profiles]
        self.onward = journeys.Picker(s.stepwise.onward.probabilities())
        self._transforms = self._build_transforms()
        # pre-loaded clients are numbered first (they all enter at day 0), then referrals
        self.initial_clients = self._clients("initial.", 0)
        self.referred_clients = self._clients("", self.n_preloaded)
        self._later: dict[str, object] = {}

    def _build_transforms(self) -> dict[str, object]:
        """FirstDraws field -> vectorised transform of uniforms (inverse CDFs)."""
        s = self.s
        cum = np.cumsum([p.share for p in s.arrivals.profiles])
        last = len(cum) - 1
        share = s.ips.job_finding_share
        return {
            "profile": lambda u: np.minimum(np.searchsorted(cum, u, side="right"), last),
            "finds_job": lambda u: u < share,
            "assess_days": sampler(s.assessment.duration),
            "assess_patience": exponential_time(s.assessment.dropout_per_year_waiting),
            "ips_patience": exponential_time(s.ips.dropout_per_year_waiting),
            "search_days": sampler(s.ips.days_to_job, scale=s.ips.job_rate_multiplier),
            "tenure_days": sampler(s.ips.job_tenure),
            "ips_dropout": exponential_time(s.ips.dropout_per_year_in_service),
            "step_patience": exponential_time(s.stepwise.dropout_per_year_waiting),
            "step_days": sampler(s.stepwise.duration),
            "step_dropout": exponential_time(s.stepwise.dropout_per_year_in_service),
            "voc_wait": sampler(s.vocational.wait),
            "voc_days": sampler(s.vocational.duration),
            "voc_dropout": exponential_time(s.vocational.dropout_per_year_in_service),
        }

    def _clients(self, prefix: str, first_id: int) -> Iterator[journeys.Client]:
        return journeys.clients(first_id, [
            self.streams.blocks(prefix + name, self._transforms.get(field))
            for field, name in journeys.STREAM_NAMES.items()])

    def later(self, field: str) -> float:
        """A draw for a later episode (a second job search, a repeated period), in event order."""
        stream = self._later.get(field)
        if stream is None:
            stream = self._later[field] = self.streams.get(
                journeys.STREAM_NAMES[field] + ".later", self._transforms.get(field))
        return stream()

    # -- bookkeeping used by the pathway processes ---------------------------------------
    def exit(self, c: journeys.Client, kind: int) -> None:
        self.log((c.id, self.env._now, Event.EXIT, kind))
        self.exits[kind] += 1

    # -- processes ------------------------------------------------------------------------
    def _arrivals(self, index: int, per_year: float):
        """Poisson referrals from one source; monthly seasonality by thinning."""
        env = self.env
        season = self.s.arrivals.seasonality
        peak = max(season)
        if per_year <= 0 or peak <= 0:
            return
        name = self.s.arrivals.sources[index].name
        next_gap = self.streams.get(f"arrivals.{name}", exponential_time(per_year * peak))
        u_keep = self.streams[f"arrivals.{name}.thinning"]
        flat = min(season) == peak
        month_len = 365.0 / 12
        next_client = self.referred_clients.__next__
        while True:
            yield next_gap()
            if not flat and u_keep() * peak >= season[int((env._now % 365.0) / month_len) % 12]:
                continue
            c = next_client()
            self.n_clients += 1
            self.log((c.id, env._now, Event.REFERRAL, index))
            env.start(journeys.journey(self, c))

    def _preload(self) -> None:
        init = self.s.initial
        for entry, count in (("ips_in_service", init.ips_in_service),
                             ("stepwise_in_service", init.stepwise_in_service),
                             ("vocational_in_service", init.vocational_in_service),
                             ("ips_waiting", init.ips_waiting),
                             ("team", init.team_waiting),
                             ("referral", init.assessment_waiting)):
            for _ in range(count):
                c = next(self.initial_clients)
                self.n_clients += 1
                self.log((c.id, self.env._now, Event.REFERRAL, -1))
                self.env.start(journeys.journey(self, c, entry))

    def _levels(self) -> dict[str, Callable[[], int]]:
        """Series name -> current level, for the weekly samples."""
        co, ca, pl = self.coordinators, self.caseload, self.places
        return {"assessment_waiting": lambda: co.waiting,
                "assessment_in_service": lambda: co.busy,
                "team_waiting": lambda: self.team.waiting,
                "ips_waiting": lambda: ca.waiting,
                "ips_caseload": lambda: ca.busy,
                "ips_in_work": lambda: self.in_work.value,
                "stepwise_waiting": lambda: pl.waiting,
                "stepwise_in_service": lambda: pl.busy,
                "vocational_in_service": lambda: self.in_vocational.value}

    def _sampler(self, samples: dict[str, list]):
        levels = self._levels()
        while True:
            samples["day"].append(self.env._now)
            for name, level in levels.items():
                samples[name].append(level())
            if len(self._rows) > 50_000:  # keep the log compact: rows -> typed arrays
                self.events.extend(self._rows)
                self._rows.clear()
            yield SAMPLE_EVERY_DAYS

    def _end_warmup(self):
        yield self.s.warmup_days
        for pool in (self.coordinators, self.caseload, self.places, self.team, self.in_work,
                     self.in_vocational):
            pool.reset()

    def _teardown(self) -> None:
        """Unhook the clients still in the system at the horizon.

        The flows reference the model (their generators' frames hold it) and the model
        reaches them through the calendar and the queues; left alone, the whole final state
        (~10^6 objects at national scale) would wait for the cyclic garbage collector, which
        takes seconds to trace it. Emptying the calendar and the queues lets reference
        counting free it at once.
        """
        env = self.env
        env.clear()
        for pool in (self.coordinators, self.caseload, self.places):
            pool._queue.clear()
        self.team._queue.clear()

    def run(self) -> RunResult:
        s, env = self.s, self.env
        started = time.perf_counter()
        # Every client in the system is a live generator; the cyclic garbage collector would
        # rescan them all many times over (2–3× the run time at national scale), so it is
        # paused until the final state has been freed by reference counting (_teardown).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._preload()
            for i, source in enumerate(s.arrivals.sources):
                env.start(self._arrivals(i, source.per_year))
            samples: dict[str, list] = {name: [] for name in ("day",) + SERIES}
            env.start(self._sampler(samples))
            if s.warmup_days > 0:
                env.start(self._end_warmup())
            env.run(until=s.horizon_days)
            self.events.extend(self._rows)
            self._rows.clear()
            pending = env.pending_count()
            self._teardown()
        finally:
            if gc_was_enabled:
                gc.enable()

        preloaded = np.arange(self.n_clients) < self.n_preloaded
        kpis = compute_kpis(self.events, self.n_clients, preloaded,
                            warmup=s.warmup_days, horizon=s.horizon_days)
        cap_ips, cap_coord = s.ips.slots, s.assessment.slots
        kpis.update({
            "coach_caseload_utilisation":
                self.caseload.mean_busy() / cap_ips if cap_ips else math.nan,
            "coordinator_utilisation":
                self.coordinators.mean_busy() / cap_coord if cap_coord else math.nan,
            "ips_waiting_mean": self.caseload.mean_waiting(),
            "ips_caseload_mean": self.caseload.mean_busy(),
            "assessment_queue_mean": self.coordinators.mean_waiting(),
            "assessment_in_service_mean": self.coordinators.mean_busy(),
            "waiting_at_end": float(self.coordinators.waiting + self.team.waiting
                                    + self.caseload.waiting),
        })
        meta = {
            "clients": self.n_clients,
            "preloaded": int(preloaded.sum()),
            "events_logged": len(self.events),
            "engine_events": next(env._eid),  # calendar entries made (simpy's event ids)
            "pending_events_at_end": pending,
            "exits_all": dict(zip(EXITS, self.exits)),
            "peak": {"ips_caseload": self.caseload.peak_busy,
                     "assessment_in_service": self.coordinators.peak_busy,
                     "stepwise_in_service": self.places.peak_busy},
            "in_system_at_end": self.n_clients - sum(self.exits),
            "stream_map": self.streams.stream_map(),
            "wall_seconds": time.perf_counter() - started,
        }
        series = {k: np.asarray(v, dtype=float) for k, v in samples.items()}
        return RunResult(kpis=kpis, series=series, meta=meta,
                         log=self.events if self.keep_log else None)


def run(scenario: Scenario, seed: int = 1, replication: int = 0, *,
        keep_log: bool = False) -> RunResult:
    """Simulate one replication; the same (scenario, seed, replication) gives the same result."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run() needs a Scenario, got {type(scenario).__name__}; "
                        "use sim.load_scenario(path) or sim.preset(name).")
    return Model(scenario, seed, replication, keep_log).run()
