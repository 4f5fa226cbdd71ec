"""A lean event core on simpy: a two-tier event calendar and light client processes.

The pathway model has ~10^5 clients in the system at national scale, each holding one or two
long timers (a job search, a period of work activity). Two costs of plain simpy dominate
there, and this module removes both while keeping simpy's semantics and API:

* **The calendar.** simpy keeps every pending event in one binary heap, so each step pays
  ~17 levels of sifting for 10^5 pending events. :class:`Engine` keeps only the events of the
  current one-day window in the heap and parks later ones in per-day buckets, which are
  heapified when their day comes. Events still fire in exactly simpy's order: by time, then
  priority, then the order in which they were scheduled.
* **The process machinery.** A :class:`simpy.Process` costs an initialisation event, a
  ``Timeout`` object per hold, a ``_resume`` with exception plumbing per step and a final
  event when it ends. A :class:`Flow` is a generator driven directly by the engine: it is its
  own calendar entry, so holding for ``d`` days costs one heap entry and nothing else.

A flow's generator yields one of

* a number ≥ 0 — hold for that many days (``yield c.assess_days``) and resume with None,
  as after a simpy timeout;
* a simpy event — wait for it and resume with its value (a failed event's exception is
  raised inside the generator, as in a simpy process);
* :data:`PARKED` — a queue (:class:`~sim.resources.Pool`, the team) has taken the flow and
  will :meth:`Engine.wake` it with a value;
* ``True`` or ``False`` — continue at once with that value (a queue granting a place straight
  away returns ``True``).

Ordinary simpy processes, events and timeouts work in the same environment unchanged, with
one deliberate difference: an event scheduled at infinite time stays pending for ever
(simpy would process it, moving the clock to infinity, once nothing else is left).
``tests/test_engine.py`` checks the order against plain simpy, event by event.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Generator, Iterator
from heapq import heapify, heappop, heappush
from math import floor
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event

__all__ = ["Engine", "Flow", "Call", "PARKED"]

_INF = math.inf

PARKED = None
"""What a flow yields after a queue has parked it (the queue will wake it)."""


class Flow:
    """A generator driven by the engine; it is its own entry in the event calendar."""

    __slots__ = ("engine", "_generator", "_value", "_error")

    def __init__(self, engine: Engine, generator: Generator) -> None:
        self.engine = engine
        self._generator = generator
        self._value: Any = None
        self._error: BaseException | None = None

    def resume(self) -> None:
        """Run the generator until it holds, parks, waits or ends (called by the engine)."""
        engine = self.engine
        engine._active_proc = self
        error = self._error
        value, self._value = self._value, None
        try:
            if error is None:
                step = self._generator.send(value)
            else:
                self._error = None
                step = self._generator.throw(error)
        except StopIteration:
            engine._active_proc = None
            return
        self._follow(step)

    def _follow(self, step: Any) -> None:
        """Act on what the generator yielded; continue it while the answer is immediate."""
        engine = self.engine
        while True:
            cls = step.__class__
            if cls is float or cls is int:  # hold for `step` days
                engine._enter(engine._now + step, NORMAL, self)
                break
            if step is PARKED:
                break
            if cls is bool:  # granted at once: continue now
                value = step
            elif isinstance(step, numbers.Real):  # a numpy number, a Fraction...
                engine._enter(engine._now + float(step), NORMAL, self)
                break
            else:
                try:
                    callbacks = step.callbacks
                except AttributeError:
                    raise RuntimeError(f"a flow yielded {step!r}; expected a number of days "
                                       "≥ 0, a simpy event, PARKED or True/False") from None
                if callbacks is not None:  # a pending simpy event
                    callbacks.append(self._on_event)
                    break
                if not step._ok:  # an event already processed, and failed
                    step._defused = True
                    try:
                        step = self._generator.throw(step._value)
                    except StopIteration:
                        break
                    continue
                value = step._value
            try:
                step = self._generator.send(value)
            except StopIteration:
                break
        engine._active_proc = None

    def _on_event(self, event: Event) -> None:
        if event._ok:
            self._value = event._value
        else:  # the failure is raised inside the generator, as in a simpy process
            event._defused = True
            self._error = event._value
        self.resume()


class Call:
    """A function call booked in the calendar (:meth:`Engine.call_later`): lighter than a
    simpy timeout with a callback, which it replaces for the queues' patience timers."""

    __slots__ = ("function", "argument")

    def __init__(self, function: Callable[[Any], None], argument: Any) -> None:
        self.function = function
        self.argument = argument


class Engine(simpy.Environment):
    """``simpy.Environment`` with a two-tier calendar and :class:`Flow` processes.

    ``window`` is the width (days) of the heap's time window; later events wait in buckets
    of that width. Any power of two gives the same event order (the tests check three);
    one day suits the model, whose holds last days to months.
    """

    def __init__(self, initial_time: float = 0.0, window: float = 1.0) -> None:
        super().__init__(initial_time)
        if not (window > 0 and math.frexp(window)[0] == 0.5):
            raise ValueError(f"window: {window!r} must be a power of two (days), e.g. 1.0 or "
                             "0.25, so that window edges are exact.")
        self._per_window = 1.0 / window
        self._window = floor(initial_time * self._per_window)  # heap holds windows <= this
        self._window_end = (self._window + 1) * window  # ... that is, times before this
        self._buckets: dict[int, list[tuple]] = {}
        self._days: list[int] = []  # heap of the buckets' keys
        self._never: list[tuple] = []  # events at infinity: pending, never processed

    # -- the calendar --------------------------------------------------------------------
    def _enter(self, at: float, priority: int, event: Any) -> None:
        if not at >= self._now:  # negative or NaN
            raise ValueError(f"cannot schedule {event!r} at {at!r}: before now ({self._now}); "
                             "a delay must be a number of days ≥ 0.")
        entry = (at, priority, next(self._eid), event)
        if at == math.inf:
            self._never.append(entry)
            return
        if at < self._window_end:
            heappush(self._queue, entry)
        else:
            key = floor(at * self._per_window)
            bucket = self._buckets.get(key)
            if bucket is None:
                self._new_bucket(key, entry)
            else:
                bucket.append(entry)

    def _new_bucket(self, key: int, entry: tuple) -> None:
        self._buckets[key] = [entry]
        heappush(self._days, key)

    def schedule(self, event: Event, priority: int = NORMAL, delay: float = 0) -> None:
        """Schedule a simpy *event* (simpy's own API; used by events and timeouts)."""
        self._enter(self._now + delay, priority, event)

    def _next_window(self) -> None:
        if not self._days:
            raise EmptySchedule
        key = heappop(self._days)
        queue = self._buckets.pop(key)
        heapify(queue)
        self._queue = queue
        self._window = key
        self._window_end = (key + 1) / self._per_window

    def peek(self) -> float:
        if self._queue:
            return self._queue[0][0]
        if self._days:
            return min(self._buckets[self._days[0]])[0]
        return math.inf

    def pending(self) -> Iterator[Any]:
        """Every scheduled, not yet processed event or flow (in no particular order)."""
        for entries in (self._queue, *self._buckets.values(), self._never):
            for entry in entries:
                yield entry[3]

    def pending_count(self) -> int:
        """How many events and flows are scheduled and not yet processed."""
        return len(self._queue) + sum(map(len, self._buckets.values())) + len(self._never)

    def clear(self) -> None:
        """Drop every pending event (end of a run; lets reference counting free them)."""
        for entries in (self._queue, *self._buckets.values(), self._never):
            for entry in entries:
                event = entry[3]
                if isinstance(event, Event):
                    event.callbacks = None  # an event and its waiters may form a cycle
        self._queue.clear()
        self._buckets.clear()
        self._days.clear()
        self._never.clear()

    # -- flows -----------------------------------------------------------------------------
    def start(self, generator: Generator) -> Flow:
        """Start *generator* as a :class:`Flow` now (after the current step, like simpy)."""
        flow = Flow(self, generator)
        heappush(self._queue, (self._now, URGENT, next(self._eid), flow))  # now < window end
        return flow

    def wake(self, flow: Flow, value: Any) -> None:
        """Resume a parked flow with *value* now (after the current step)."""
        flow._value = value
        heappush(self._queue, (self._now, NORMAL, next(self._eid), flow))  # now < window end

    def call_later(self, delay: float, function: Callable[[Any], None], argument: Any) -> Call:
        """Call ``function(argument)`` after *delay* days (ordered like a timeout made now)."""
        call = Call(function, argument)
        self._enter(self._now + delay, NORMAL, call)
        return call

    # -- running -------------------------------------------------------------------------
    def step(self) -> None:
        """Process the next event (or resume the next flow)."""
        if not self._queue:
            self._next_window()
        self._now, _, _, event = heappop(self._queue)
        if event.__class__ is Flow:
            event.resume()
        elif event.__class__ is Call:
            event.function(event.argument)
        else:
            self._fire(event)

    def _fire(self, event: Event) -> None:
        """Call a simpy event's callbacks; raise its failure if nobody handled it (simpy's
        ``step``)."""
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            # the rest of the callbacks run when the simulation resumes (as in simpy, which
            # also re-queues the event when none are left)
            rest = callbacks[callbacks.index(callback) + 1:]
            if rest:
                event.callbacks = rest
                self._enter(self._now, -1, event)
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

    def run(self, until: float | Event | None = None) -> Any:
        """Process events until *until* (a time or an event) or until none are left."""
        if until is not None:
            if not isinstance(until, Event):
                at = float(until)
                if at <= self._now:
                    raise ValueError(f"until ({at}) must be greater than the current time")
                if at == _INF:  # everything finite, then the clock stands at infinity
                    self.run()
                    self._now = at
                    return None
                until = Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self._now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        queue = self._queue
        try:
            while True:  # step(), inlined: this loop is the hottest code
                if not queue:
                    self._next_window()
                    queue = self._queue
                now, _, _, event = heappop(queue)
                self._now = now
                cls = event.__class__
                if cls is not Flow:
                    if cls is Call:
                        event.function(event.argument)
                    else:
                        self._fire(event)
                    continue
                # Flow.resume, inlined for the common cases: the flow holds for a while,
                # is parked by a queue, or is granted a place at once and goes on
                if event._error is not None:
                    event.resume()
                    continue
                self._active_proc = event
                value, event._value = event._value, None
                send = event._generator.send
                while True:
                    try:
                        step = send(value)
                    except StopIteration:
                        break
                    cls = step.__class__
                    if cls is float or cls is int:
                        at = now + step
                        if now <= at < self._window_end:
                            heappush(queue, (at, NORMAL, next(self._eid), event))
                        elif self._window_end <= at < _INF:  # a later window (_enter, inlined)
                            key = floor(at * self._per_window)
                            bucket = self._buckets.get(key)
                            if bucket is None:
                                self._new_bucket(key, (at, NORMAL, next(self._eid), event))
                            else:
                                bucket.append((at, NORMAL, next(self._eid), event))
                        else:  # infinity (pending for ever), or an error: before now, or NaN
                            self._enter(at, NORMAL, event)
                        break
                    if step is PARKED:
                        break
                    if cls is bool:
                        value = step
                        continue
                    event._follow(step)  # a simpy event or another kind of number
                    break
                self._active_proc = None
        except StopSimulation as stop:
            return stop.args[0]
        except EmptySchedule:
            if until is not None:
                raise RuntimeError(f'No scheduled events left but "until" event was not '
                                   f"triggered: {until}") from None
            return None
