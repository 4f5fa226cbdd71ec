"""``run(scenario, seed)``: one replication of the pathway model.

The environment, resources, streams and log live inside :class:`Model`, built afresh for
each run, so two runs in one process (or in parallel processes) cannot interfere. The model
takes its stages (their parameters, draws, resources, series and pre-loaded clients) from the
stage registry in ``sim/journeys.py``, as it stands when the run starts, and runs on either
engine of ``sim/engine.py``: the lean one (the default) or plain simpy (``engine="simpy"``,
the reference, with identical results).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import fields
from operator import attrgetter
from typing import Any

import numpy as np

from . import journeys
from .engine import events_scheduled, make_engine
from .resources import MeetingQueue, Pool
from .results import Event, EventLog, RunResult, compute_kpis
from .scenario import EXITS, Initial, Scenario
from .streams import Streams, exponential_time

__all__ = ["run", "Model", "SERIES", "series_paths"]

SAMPLE_EVERY_DAYS = 7.0
CORE_SERIES = {"assessment_waiting": "coordinators.waiting",
               "assessment_in_service": "coordinators.busy", "team_waiting": "team.waiting"}
"""Weekly series of referral, assessment and team: name -> attribute path on the model."""
CORE_PRELOAD = {"team_waiting": "team", "assessment_waiting": "referral"}
"""Pre-loaded clients who wait for the team or for assessment: initial field -> journey start."""


def series_paths(stages: Iterable[journeys.Stage]) -> dict[str, str]:
    """Every weekly series of a run with *stages*: name -> attribute path on the model."""
    paths = dict(CORE_SERIES)
    for stage in stages:
        paths.update(stage.series)
    return paths


SERIES = tuple(series_paths(journeys.STAGES.values()))
"""Weekly time series recorded in every run (levels at each sample time); a registered stage
adds its own (see :func:`series_paths`)."""


class Model:
    """One replication's world: environment, pools, team, streams, samplers and the log.

    ``engine`` names the event engine (``sim.engine.ENGINES``): ``"lean"``, the default, or
    ``"simpy"``, plain simpy processes, the reference that gives identical results.
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int, keep_log: bool,
                 engine: str = "lean") -> None:
        s = self.s = scenario
        self.env = env = make_engine(engine)
        self.streams = Streams(seed, replication)
        self.events = EventLog()
        self._rows: list[tuple[int, float, int, int]] = []  # flushed into self.events
        self.log = self._rows.append  # log((client id, time, event, detail)): one row
        self.keep_log = keep_log
        self.n_clients = 0
        self.n_preloaded = s.initial.total
        self.exits = [0] * len(EXITS)

        # the stages as registered now: decision code -> stage, and each one's parameters
        self.stages = tuple(journeys.STAGES.values())
        self.stage_by_name = {stage.name: stage for stage in self.stages}
        self.blocks = {stage.name: stage.params(s) for stage in self.stages}
        self.entries = {field: (stage, entry) for stage in self.stages
                        for field, entry in stage.preload.items()}
        self.coordinators = Pool(env, s.assessment.slots)
        self.team = MeetingQueue(env, enabled=s.team.enabled,
                                 interval_days=s.team.meeting_interval_days,
                                 first_day=s.team.first_meeting_day,
                                 per_meeting=s.team.cases_per_meeting)
        self._parts: list[Any] = [self.coordinators, self.team]  # reset after the warm-up
        for stage in self.stages:
            if stage.resources is not None:
                for name, part in stage.resources(env, self.blocks[stage.name]).items():
                    if hasattr(self, name):
                        raise ValueError(f"stage {stage.name!r}: the model already has "
                                         f"{name!r}; give the resource another name.")
                    setattr(self, name, part)
                    self._parts.append(part)
        self.profile_names = [p.name for p in s.arrivals.profiles]
        self.routes = [journeys.Picker(s.route_for(name).probabilities())
                       for name in self.profile_names]
        self._draws = self._build_draws()
        self.client_type = journeys.client_type(tuple(self._draws))
        # pre-loaded clients are numbered first (they all enter at day 0), then referrals
        self.initial_clients = self._clients("initial.", 0)
        self.referred_clients = self._clients("", self.n_preloaded)
        self._later: dict[str, object] = {}

    def _build_draws(self) -> dict[str, tuple[str, Any]]:
        """Client field -> (stream name, vectorised transform of uniforms or None): the core's
        draws, then each stage's, made from its parameter block."""
        draws = {field: (name, make and make(self.s))
                 for field, (name, make) in journeys.CORE_DRAWS.items()}
        for stage in self.stages:
            block = self.blocks[stage.name]
            draws.update((field, (name, make and make(block)))
                         for field, (name, make) in stage.draws.items())
        return draws

    def _clients(self, prefix: str, first_id: int) -> Iterator[Any]:
        return journeys.clients(first_id, [
            self.streams.blocks(prefix + name, transform)
            for name, transform in self._draws.values()], self.client_type)

    def later(self, field: str) -> float:
        """A draw for a later episode (a second job search, a repeated period), in event order."""
        stream = self._later.get(field)
        if stream is None:
            name, transform = self._draws[field]
            stream = self._later[field] = self.streams.get(name + ".later", transform)
        return stream()

    # -- bookkeeping used by the pathway processes ---------------------------------------
    def exit(self, c: Any, kind: int) -> None:
        """Client *c* leaves the system with exit code *kind* (an index into ``EXITS``)."""
        self.log((c.id, self.env.now, Event.EXIT, kind))
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
            if not flat and u_keep() * peak >= season[int((env.now % 365.0) / month_len) % 12]:
                continue
            c = next_client()
            self.n_clients += 1
            self.log((c.id, env.now, Event.REFERRAL, index))
            env.start(journeys.journey(self, c))

    def _preload(self) -> None:
        """Today's clients at day 0: those in a service take their places first, then those
        waiting for a service, for the team and for assessment."""
        init = self.s.initial
        in_service_first = sorted(self.entries, key=lambda f: self.entries[f][1] != journeys.PLACED)
        starts = {**{f: f for f in in_service_first}, **CORE_PRELOAD}
        for f in fields(Initial):
            if f.name not in starts and getattr(init, f.name):
                raise ValueError(f"initial.{f.name}: no registered stage takes these clients.")
        for field, start in starts.items():
            for _ in range(getattr(init, field)):
                c = next(self.initial_clients)
                self.n_clients += 1
                self.log((c.id, self.env.now, Event.REFERRAL, -1))
                self.env.start(journeys.journey(self, c, start))

    def _sampler(self, samples: dict[str, list]):
        levels = {name: attrgetter(path) for name, path in series_paths(self.stages).items()}
        while True:
            samples["day"].append(self.env.now)
            for name, level in levels.items():
                samples[name].append(level(self))
            if len(self._rows) > 50_000:  # keep the log compact: rows -> typed arrays
                self.events.extend(self._rows)
                self._rows.clear()
            yield SAMPLE_EVERY_DAYS

    def _end_warmup(self):
        yield self.s.warmup_days
        for part in self._parts:
            if hasattr(part, "reset"):
                part.reset()

    def _teardown(self) -> None:
        """Unhook the clients still in the system at the horizon.

        The flows reference the model (their generators' frames hold it) and the model
        reaches them through the calendar and the queues; left alone, the whole final state
        (~10^6 objects at national scale) would wait for the cyclic garbage collector, which
        takes seconds to trace it. Emptying the calendar and the queues lets reference
        counting free it at once.
        """
        self.env.clear()
        for part in self._parts:
            if hasattr(part, "clear"):
                part.clear()

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
            samples: dict[str, list] = {name: [] for name in ("day", *series_paths(self.stages))}
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
                            warmup=s.warmup_days, horizon=s.horizon_days,
                            decisions=[stage.name for stage in self.stages],
                            services={stage.name: stage.started for stage in self.stages
                                      if stage.run is not None})
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
            "engine_events": events_scheduled(env),  # calendar entries made (event ids)
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
        keep_log: bool = False, engine: str = "lean") -> RunResult:
    """Simulate one replication; the same (scenario, seed, replication) gives the same result.

    ``engine="simpy"`` runs it on plain simpy processes (``sim.engine.SimpyEngine``), the
    reference for the default lean engine: the same KPIs, series, log and meta, apart from
    the wall time and the count of engine events, only slower.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run() needs a Scenario, got {type(scenario).__name__}; "
                        "use sim.load_scenario(path) or sim.preset(name).")
    return Model(scenario, seed, replication, keep_log, engine).run()
