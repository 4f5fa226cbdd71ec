"""A lean event core on simpy, and plain simpy as its reference, behind one interface.

The pathway model has ~10^5 clients in the system at national scale, each holding one or two
long timers (a job search, a period of work activity). Two costs of plain simpy dominate
there, and :class:`Engine` removes both while keeping simpy's semantics and API:

* **The calendar.** simpy keeps every pending event in one binary heap, so each step pays
  ~17 levels of sifting for 10^5 pending events. :class:`Engine` keeps only the events of the
  current one-day window in the heap and parks later ones in per-day buckets, which are
  heapified when their day comes. Events still fire in exactly simpy's order: by time, then
  priority, then the order in which they were scheduled.
* **The process machinery.** A :class:`simpy.Process` costs an initialisation event, a
  ``Timeout`` object per hold, a ``_resume`` with exception plumbing per step and a final
  event when it ends. A :class:`Flow` is a generator driven directly by the engine: it is its
  own calendar entry, so holding for ``d`` days costs one heap entry and nothing else.

**The interface the model uses** (``sim/journeys.py``, ``sim/model.py``, ``sim/resources.py``),
which both engines offer:

* ``env.now`` — the current day;
* ``env.start(generator)`` — start a client's (or any) flow now;
* ``yield days`` inside a flow — hold for that many days (a number ≥ 0) and resume with None,
  as after a simpy timeout;
* ``ticket = env.park()`` inside a flow, then ``value = yield ticket`` — wait until a queue
  calls ``env.wake(ticket, value)``;
* ``yield True`` / ``yield False`` — continue at once with that value (a queue granting a
  place straight away returns ``True``);
* ``yield event`` — wait for a simpy event and resume with its value (a failed event's
  exception is raised inside the generator, as in a simpy process);
* ``env.call_later(delay, function, argument)``, ``env.run(until)``, ``env.step()``,
  ``env.pending_count()``, ``env.clear()`` and :func:`events_scheduled`.

:class:`SimpyEngine` is the reference: plain ``simpy.Environment`` (none of its stepping is
overridden) where each flow is one :class:`simpy.Process`, a hold is ``env.timeout``, a
ticket is a simpy event and a wake is ``event.succeed(value)``. Select it with
``sim.run(scenario, seed, engine="simpy")``; it gives results identical to :class:`Engine`,
only slower (``tests/test_simpy_mode.py`` checks every preset).

Ordinary simpy processes, events and timeouts work in an :class:`Engine` unchanged, with
one deliberate difference: an event scheduled at infinite time stays pending for ever
(simpy would process it, moving the clock to infinity, once nothing else is left).
``tests/test_engine.py`` checks the order against plain simpy, event by event.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Generator, Iterator
from heapq import heapify, heappop, heappush
from math import floor
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event

__all__ = ["Engine", "SimpyEngine", "Flow", "Call", "ENGINES", "make_engine", "events_scheduled"]

_INF = math.inf
# priorities below simpy's (URGENT = 0; -1 for a stopped run's until event), used to run the
# stepping loop for one event: the event first, then a mark that stops the loop
_FIRST, _THEN_STOP = -3, -2


class _StepDone(Exception):
    """Raised by a stop mark: the one event before it has been processed."""


def _stop(_argument: Any) -> None:
    raise _StepDone


def events_scheduled(env: simpy.Environment) -> int:
    """How many events *env* (an :class:`Engine`, or any simpy environment) has scheduled so
    far: simpy's event ids. Taking the count uses up one id, which changes no order."""
    return next(env._eid)


class Flow:
    """A generator driven by the engine; it is its own entry in the event calendar, and the
    ticket it yields to wait for :meth:`Engine.wake` (see :meth:`Engine.park`)."""

    __slots__ = ("engine", "_generator", "_value", "_error")

    def __init__(self, engine: Engine, generator: Generator) -> None:
        self.engine = engine
        self._generator = generator
        self._value: Any = None
        self._error: BaseException | None = None

    def _on_event(self, event: Event) -> None:
        """The simpy event this flow waits for was processed: resume it now (as a simpy
        process resumes inside the event's callbacks)."""
        if event._ok:
            self._value = event._value
        else:  # the failure is raised inside the generator, as in a simpy process
            event._defused = True
            self._error = event._value
        self.engine._resume_now(self)


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

    The clock is the plain attribute ``now`` (simpy's is a property over ``_now``, which is
    dropped here so that a stale use fails loudly).
    """

    now = 0.0  # a class default that lets the instance attribute replace simpy's property

    def __init__(self, initial_time: float = 0.0, window: float = 1.0) -> None:
        super().__init__(initial_time)
        del self._now
        self.now = initial_time
        if not (window > 0 and math.frexp(window)[0] == 0.5):
            raise ValueError(f"window: {window!r} must be a power of two (days), e.g. 1.0 or "
                             "0.25, so that window edges are exact.")
        self._per_window = 1.0 / window
        self._window = floor(initial_time * self._per_window)  # heap holds windows <= this
        self._window_end = (self._window + 1) * window  # ... that is, times before this
        self._buckets: dict[int, list[tuple]] = {}
        self._days: list[int] = []  # heap of the buckets' keys
        self._never: list[tuple] = []  # events at infinity: pending, never processed
        self._mark_ids = itertools.count(-1, -1)  # stop marks: an inner one sorts first

    # -- the calendar --------------------------------------------------------------------
    def _enter(self, at: float, priority: int, event: Any) -> None:
        if not at >= self.now:  # negative or NaN
            raise ValueError(f"cannot schedule {event!r} at {at!r}: before now ({self.now}); "
                             "a delay must be a number of days ≥ 0.")
        entry = (at, priority, next(self._eid), event)
        if at == _INF:
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
        self._enter(self.now + delay, priority, event)

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
        return _INF

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
        heappush(self._queue, (self.now, URGENT, next(self._eid), flow))  # now < window end
        return flow

    def park(self, caller: str = "Engine.park()") -> Flow:
        """The running flow's ticket for :meth:`wake`; the flow then yields it to wait.

        *caller* names the queue method in the error raised when no flow is running."""
        flow = self._active_proc
        if flow.__class__ is not Flow:
            raise RuntimeError(f"{caller} must be called from a flow (Engine.start) while it "
                               f"runs, not from {flow!r}.")
        return flow

    def wake(self, ticket: Flow, value: Any) -> None:
        """Resume a parked flow with *value* now (after the current step)."""
        ticket._value = value
        heappush(self._queue, (self.now, NORMAL, next(self._eid), ticket))  # now < window end

    def call_later(self, delay: float, function: Callable[[Any], None], argument: Any) -> Call:
        """Call ``function(argument)`` after *delay* days (ordered like a timeout made now)."""
        call = Call(function, argument)
        self._enter(self.now + delay, NORMAL, call)
        return call

    # -- running -------------------------------------------------------------------------
    def _steps(self) -> None:
        """Process events, resuming flows, until something stops the loop: the only stepping
        code. ``run`` stops it with simpy's ``StopSimulation`` or ``EmptySchedule``; ``step``
        and a flow woken by a simpy event go through it for one event (:meth:`_step_one`).

        It is the hottest code, so the calendar entry of a hold (:meth:`_enter`) and the
        flow's resumption are inlined here.
        """
        queue = self._queue
        while True:
            if not queue:
                self._next_window()
                queue = self._queue
            now, _, _, event = heappop(queue)
            self.now = now
            cls = event.__class__
            if cls is not Flow:
                if cls is Call:
                    event.function(event.argument)
                else:
                    self._fire(event)
                continue
            # resume the flow until it holds, parks, waits for a simpy event or ends
            self._active_proc = event
            value, event._value = event._value, None
            send = event._generator.send
            try:
                if event._error is None:
                    step = send(value)
                else:  # the simpy event it waited for failed: raised inside the generator
                    error, event._error = event._error, None
                    step = event._generator.throw(error)
            except StopIteration:
                self._active_proc = None
                continue
            while True:
                cls = step.__class__
                if cls is float or cls is int:  # hold for `step` days
                    at = now + step
                    if now <= at < self._window_end:
                        heappush(queue, (at, NORMAL, next(self._eid), event))
                    elif self._window_end <= at < _INF:  # a later window
                        key = floor(at * self._per_window)
                        bucket = self._buckets.get(key)
                        if bucket is None:
                            self._new_bucket(key, (at, NORMAL, next(self._eid), event))
                        else:
                            bucket.append((at, NORMAL, next(self._eid), event))
                    else:  # infinity (pending for ever), or an error: before now, or NaN
                        self._enter(at, NORMAL, event)
                    break
                if step is event:  # parked: it yielded its own ticket
                    break
                if cls is bool:  # granted at once: continue now with the answer
                    value = step
                elif isinstance(step, numbers.Real):  # a numpy number, a Fraction...
                    self._enter(now + float(step), NORMAL, event)
                    break
                else:
                    try:
                        callbacks = step.callbacks
                    except AttributeError:
                        raise RuntimeError(f"a flow yielded {step!r}; expected a number of "
                                           "days ≥ 0, a simpy event, its ticket (park) or "
                                           "True/False") from None
                    if callbacks is not None:  # a pending simpy event
                        callbacks.append(event._on_event)
                        break
                    if not step._ok:  # an event already processed, and failed
                        step._defused = True
                        try:
                            step = event._generator.throw(step._value)
                        except StopIteration:
                            break
                        continue
                    value = step._value  # ... or processed: continue with its value
                try:
                    step = send(value)
                except StopIteration:
                    break
            self._active_proc = None

    def _step_one(self, at: float, first: tuple) -> None:
        """Run :meth:`_steps` for the calendar entry *first* only: it is put first in the
        calendar (at *at*, the current time, below every priority), with a stop mark right
        behind it that nothing scheduled meanwhile can pass."""
        queue = self._queue
        mark = (at, _THEN_STOP, next(self._mark_ids), Call(_stop, None))
        heappush(queue, first)
        heappush(queue, mark)
        try:
            self._steps()
        except _StepDone:
            return
        except BaseException:  # the step raised before it reached its mark
            queue.remove(mark)
            heapify(queue)
            raise

    def _resume_now(self, flow: Flow) -> None:
        """Resume *flow* at once (it waited for a simpy event now being processed)."""
        self._step_one(self.now, (self.now, _FIRST, next(self._mark_ids), flow))

    def step(self) -> None:
        """Process the next event (or resume the next flow): one turn of :meth:`run`'s loop."""
        if not self._queue:
            self._next_window()
        at, _, eid, event = heappop(self._queue)
        self._step_one(at, (at, _FIRST, eid, event))

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
                self._enter(self.now, -1, event)
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
                if at <= self.now:
                    raise ValueError(f"until ({at}) must be greater than the current time")
                if at == _INF:  # everything finite, then the clock stands at infinity
                    self.run()
                    self.now = at
                    return None
                until = Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        try:
            self._steps()
        except StopSimulation as stop:
            return stop.args[0]
        except EmptySchedule:
            if until is not None:
                raise RuntimeError(f'No scheduled events left but "until" event was not '
                                   f"triggered: {until}") from None
        return None


class SimpyEngine(simpy.Environment):
    """The reference: plain simpy with the model's interface (see the module docstring).

    Each flow is one :class:`simpy.Process` (its generator is driven by :func:`_as_process`),
    a hold is ``env.timeout(days)``, a ticket is a simpy event and a wake is
    ``ticket.succeed(value)``; the calendar and the stepping are simpy's own, none of them
    overridden. Events are scheduled at the same times, priorities and moments as by
    :class:`Engine`, so the two give identical runs; this one also schedules each process's
    start and end events, which change no order.
    """

    def start(self, generator: Generator) -> simpy.Process:
        """Start *generator* as a simpy process now."""
        return self.process(_as_process(self, generator))

    def park(self, caller: str = "SimpyEngine.park()") -> Event:
        """A fresh simpy event for the running process to yield; :meth:`wake` triggers it."""
        if self.active_process is None:
            raise RuntimeError(f"{caller} must be called from a process while it runs.")
        return self.event()

    def wake(self, ticket: Event, value: Any) -> None:
        """Resume the process waiting on *ticket* with *value* now (after the current step)."""
        ticket.succeed(value)

    def call_later(self, delay: float, function: Callable[[Any], None], argument: Any
                   ) -> simpy.Timeout:
        """Call ``function(argument)`` after *delay* days: a timeout with a callback."""
        timeout = self.timeout(delay)
        timeout.callbacks.append(lambda _event: function(argument))
        return timeout

    def pending(self) -> Iterator[Any]:
        """Every scheduled, not yet processed event, leaving out the spent ``until`` event
        that simpy 4.1 re-queues (at priority -1, with no callbacks left) when a run stops."""
        for _, priority, _, event in self._queue:
            if not (priority == -1 and event.callbacks == []):
                yield event

    def pending_count(self) -> int:
        """How many events are scheduled and not yet processed (as :meth:`pending`)."""
        return sum(1 for _ in self.pending())

    def clear(self) -> None:
        """Drop every pending event (end of a run; lets reference counting free them)."""
        for entry in self._queue:
            entry[3].callbacks = None
        self._queue.clear()


def _as_process(env: SimpyEngine, flow: Generator) -> Generator:
    """A flow's body as a simpy process body: a number becomes ``env.timeout``, a ticket or
    any other simpy event is waited for, True/False continue at once; what the process is
    sent or thrown goes on into the flow."""
    value: Any = None
    error: Exception | None = None
    while True:
        try:
            step = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value
        value, error = None, None
        if step.__class__ is bool:
            value = step
            continue
        try:
            if isinstance(step, numbers.Real):
                yield env.timeout(step)
            else:
                value = yield step
        except Exception as exc:  # a failed event: raised inside the flow
            error = exc


ENGINES: dict[str, type] = {"lean": Engine, "simpy": SimpyEngine}
"""The engines by name: ``"lean"`` (:class:`Engine`, the default) and ``"simpy"``
(:class:`SimpyEngine`, the plain-simpy reference)."""


def make_engine(name: str) -> Engine | SimpyEngine:
    """A new engine of the kind *name* (a key of :data:`ENGINES`)."""
    try:
        return ENGINES[name]()
    except KeyError:
        raise ValueError(f"engine: {name!r} is not an engine; choose one of "
                         f"{', '.join(ENGINES)}.") from None
