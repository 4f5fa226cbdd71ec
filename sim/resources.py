"""Capacity pools, the team's meeting queue and time-weighted levels (Law's area method).

simpy has no built-in monitoring; these small classes add exactly what the KPIs need:
FIFO slots with reneging (a slot is a coordinator's case place or a coach's caseload place)
for the clients' flows, the number waiting and busy as time-weighted averages since the end
of the warm-up, and the largest number ever busy (so tests can prove a cap is never
exceeded). They use only the engine's public interface (``now``, ``park``, ``wake``,
``call_later`` and ``start``; see :mod:`sim.engine`), so they work alike on the lean engine
and on plain simpy.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from .engine import Engine, SimpyEngine

__all__ = ["Level", "Pool", "MeetingQueue"]


class Level:
    """A piecewise-constant quantity with its time-weighted integral since ``reset``."""

    __slots__ = ("env", "value", "_area", "_last", "_start", "peak")

    def __init__(self, env: Engine | SimpyEngine) -> None:
        self.env = env
        self.value = 0
        self._area = 0.0
        self._last = env.now
        self._start = env.now
        self.peak = 0

    def add(self, delta: int) -> None:
        now = self.env.now
        self._area += self.value * (now - self._last)
        self._last = now
        self.value += delta
        if self.value > self.peak:
            self.peak = self.value

    def reset(self) -> None:
        """Start integrating afresh from now (the end of the warm-up)."""
        self._area = 0.0
        self._last = self._start = self.env.now

    def mean(self) -> float:
        """Time-weighted mean from the last reset to now."""
        now = self.env.now
        span = now - self._start
        if span <= 0:
            return math.nan
        return (self._area + self.value * (now - self._last)) / span


class Pool:
    """``capacity`` identical slots served first-come first-served; waiters may renege.

    A flow yields ``acquire(patience)`` and resumes with True when a slot is granted (at once
    if one is free) and False when its patience ran out first. ``capacity=None`` means
    unlimited.
    The numbers busy and waiting are integrated over time at every change, so
    ``mean_busy()`` and ``mean_waiting()`` are exact time averages.
    """

    def __init__(self, env: Engine | SimpyEngine, capacity: int | None) -> None:
        self.env = env
        self.capacity = math.inf if capacity is None else capacity
        self._queue: deque[list] = deque()
        self.busy = 0
        self.waiting = 0
        self.peak_busy = 0
        self._busy_area = 0.0
        self._wait_area = 0.0
        self._last = self._start = env.now

    def _tick(self) -> None:
        now = self.env.now
        dt = now - self._last
        if dt:
            self._busy_area += self.busy * dt
            self._wait_area += self.waiting * dt
            self._last = now

    def acquire(self, patience: float = math.inf) -> Any:
        """Ask for a slot for the running flow: ``True`` at once, else its parking ticket.

        A parked flow is woken with ``True`` when a slot frees, or with ``False`` when its
        ``patience`` (days) runs out first. Yield the result: ``granted = yield
        pool.acquire(patience)``.
        """
        self._tick()
        if self.busy < self.capacity and not self.waiting:
            self.busy += 1
            if self.busy > self.peak_busy:
                self.peak_busy = self.busy
            return True
        ticket = self.env.park("Pool.acquire()")
        entry = [ticket]
        self._queue.append(entry)
        self.waiting += 1
        if patience != math.inf:
            self.env.call_later(patience, self._renege, entry)
        return ticket

    def _renege(self, entry: list) -> None:
        ticket = entry[0]
        if ticket is not None:
            entry[0] = None
            self._tick()
            self.waiting -= 1
            self.env.wake(ticket, False)

    def release(self) -> None:
        self._tick()
        self.busy -= 1
        queue = self._queue
        while queue and self.busy < self.capacity:
            entry = queue.popleft()
            ticket, entry[0] = entry[0], None
            if ticket is None:  # reneged earlier; dropped lazily
                continue
            self.waiting -= 1
            self.busy += 1
            self.env.wake(ticket, True)
        if self.busy > self.peak_busy:
            self.peak_busy = self.busy

    def clear(self) -> None:
        """Forget the waiting flows (the end of a run: lets reference counting free them)."""
        self._queue.clear()

    def reset(self) -> None:
        """Start the time averages afresh from now (the end of the warm-up)."""
        self._busy_area = self._wait_area = 0.0
        self._last = self._start = self.env.now

    def _mean(self, area: float, level: int) -> float:
        now = self.env.now
        span = now - self._start
        if span <= 0:
            return math.nan
        return (area + level * (now - self._last)) / span

    def mean_busy(self) -> float:
        return self._mean(self._busy_area, self.busy)

    def mean_waiting(self) -> float:
        return self._mean(self._wait_area, self.waiting)


class MeetingQueue:
    """Clients waiting for the multidisciplinary team, decided in batches at each meeting."""

    def __init__(self, env: Engine | SimpyEngine, *, enabled: bool, interval_days: float,
                 first_day: float, per_meeting: int | None) -> None:
        self.env = env
        self.enabled = enabled
        self.per_meeting = math.inf if per_meeting is None else per_meeting
        self._queue: deque[Any] = deque()  # the waiting flows' tickets
        self.level = Level(env)
        if enabled:
            env.start(self._meetings(interval_days, first_day))

    def wait_for_decision(self) -> Any:
        """Queue the running flow for the next meeting (yield the result: True at once when
        there is no team, else the flow's parking ticket)."""
        if not self.enabled:
            return True
        ticket = self.env.park("MeetingQueue.wait_for_decision()")
        self._queue.append(ticket)
        self.level.add(1)
        return ticket

    def _meetings(self, interval: float, first_day: float):
        yield first_day
        wake = self.env.wake
        while True:
            decided = 0
            while self._queue and decided < self.per_meeting:
                wake(self._queue.popleft(), True)
                decided += 1
            if decided:
                self.level.add(-decided)
            yield interval

    @property
    def waiting(self) -> int:
        return self.level.value

    def reset(self) -> None:
        self.level.reset()

    def clear(self) -> None:
        """Forget the waiting flows (the end of a run)."""
        self._queue.clear()
