"""Named random-number streams: one PCG64 stream per (replication, activity name).

A stream's seed depends only on the master seed, the replication number and a stable hash
of the activity's *name*, so adding a stream, reordering code or changing routing never
disturbs the others (common random numbers by construction). Values are drawn in blocks,
which yields exactly the sequence that scalar draws would (numpy guarantees it for
``Generator.random``) at a fraction of the per-call cost.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterator

import numpy as np

from .scenario import Dist

__all__ = ["stream_id", "Streams", "sampler", "exponential_time", "weibull_cv", "weibull_shape"]

_FIRST_BLOCK, _BLOCK = 64, 2048  # blocks grow from 64 values (a short run draws few) to 2048


def stream_id(name: str) -> int:
    """A stable 32-bit id for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest(), "little")


Transform = Callable[[np.ndarray], np.ndarray]


def _blocks(gen: np.random.Generator, transform: Transform | None) -> Iterator[list[float]]:
    size = _FIRST_BLOCK
    while True:
        block = gen.random(size)
        yield (block if transform is None else transform(block)).tolist()
        size = min(2 * size, _BLOCK)


class Streams:
    """All streams of one replication, created on first use and recorded in a stream map.

    ``streams.get(name, transform)`` returns a zero-argument callable giving the stream's
    next value; ``transform`` (vectorised, applied per block) turns Uniform(0, 1) draws into
    durations, so one name always means one quantity.
    """

    def __init__(self, seed: int, replication: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed: {seed!r} must be a whole number ≥ 0.")
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, Callable[[], float]] = {}

    def get(self, name: str, transform: Transform | None = None) -> Callable[[], float]:
        stream = self._streams.get(name)
        if stream is None:
            # chain's __next__ runs in C; Python code runs only once per block
            stream = self._streams[name] = itertools.chain.from_iterable(
                _blocks(self._generator(name), transform)).__next__
        return stream

    def _generator(self, name: str) -> np.random.Generator:
        seq = np.random.SeedSequence(entropy=self.seed,
                                     spawn_key=(self.replication, stream_id(name)))
        return np.random.Generator(np.random.PCG64(seq))

    def blocks(self, name: str, transform: Transform | None = None) -> Iterator[list[float]]:
        """The stream as successive blocks (lists) of values: the same values as ``get``."""
        if name in self._streams:
            raise ValueError(f"stream {name!r} is already in use")
        self._streams[name] = None  # type: ignore[assignment]
        return _blocks(self._generator(name), transform)

    def __getitem__(self, name: str) -> Callable[[], float]:
        return self.get(name)

    def stream_map(self) -> dict[str, list[int]]:
        """Name -> SeedSequence spawn key, for the run record (STRESS-DES 5.2)."""
        return {name: [self.replication, stream_id(name)] for name in sorted(self._streams)}


def sampler(dist: Dist, scale: float = 1.0) -> Transform:
    """Vectorised inverse CDF: uniforms -> durations (days); monotone, which keeps CRN coupled.

    ``scale`` divides the durations (a rate multiplier), e.g. faster job finding at high
    fidelity.
    """
    kind = dist.dist
    if kind == "deterministic":
        value = dist.mean / scale  # type: ignore[operator]
        return lambda u: np.full_like(u, value)
    if kind == "exponential":
        mean = dist.mean / scale  # type: ignore[operator]
        return lambda u: -mean * np.log1p(-u)
    if kind == "uniform":
        low, width = dist.low / scale, (dist.high - dist.low) / scale  # type: ignore[operator]
        return lambda u: low + width * u
    if kind == "lognormal":
        from scipy.special import ndtri  # imported here: scipy is slow to import (worksim validate)
        sigma = math.sqrt(math.log1p(dist.cv ** 2))
        mu = math.log(dist.mean / scale) - sigma ** 2 / 2  # type: ignore[operator]
        return lambda u: np.exp(mu + sigma * ndtri(np.maximum(u, 1e-300)))
    if kind == "gamma":
        from scipy.special import gammaincinv
        shape = 1 / dist.cv ** 2
        theta = dist.mean / scale / shape  # type: ignore[operator]
        return lambda u: theta * gammaincinv(shape, u)
    if kind == "weibull":
        shape = weibull_shape(dist.cv)
        lam = dist.mean / scale / math.gamma(1 + 1 / shape)  # type: ignore[operator]
        return lambda u: lam * (-np.log1p(-u)) ** (1 / shape)
    raise ValueError(f"unknown distribution {kind!r}")


def weibull_cv(shape: float) -> float:
    """The coefficient of variation of a Weibull distribution with this shape."""
    log_ratio = math.lgamma(1 + 2 / shape) - 2 * math.lgamma(1 + 1 / shape)
    return math.sqrt(math.expm1(log_ratio))


def weibull_shape(cv: float) -> float:
    """The Weibull shape whose coefficient of variation is ``cv`` (0 < cv ≤ 10): the cv falls
    as the shape grows, so a bisection on log(shape) finds it."""
    lo, hi = math.log(0.05), math.log(1e7)
    for _ in range(200):
        mid = (lo + hi) / 2
        if weibull_cv(math.exp(mid)) > cv:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return math.exp((lo + hi) / 2)


def exponential_time(rate_per_year: float) -> Transform:
    """Uniforms -> times to an event with a constant hazard (per year), in days; inf at rate 0."""
    if rate_per_year <= 0:
        return lambda u: np.full_like(u, math.inf)
    mean = 365.0 / rate_per_year
    return lambda u: -mean * np.log1p(-u)
