"""Dask clusters for the planners' command line: ``--scheduler tcp://HOST:PORT`` (a running
cluster) or ``--workers N`` (a local one for this command).

Dask is optional (``pip install 'tyokyky-course[dask]'``) and is imported only here, only when
one of those options is given. The simulation itself needs nothing of it: the API functions in
:mod:`sim.experiment` take any ``distributed.Client`` as ``client=`` and submit one task per
replication; the results are identical to the local runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any

__all__ = ["dask_client", "check_address", "CONNECT_TIMEOUT", "INSTALL_HINT"]

CONNECT_TIMEOUT = 3.0
"""Seconds to wait for a ``--scheduler`` to answer before giving up."""
INSTALL_HINT = "pip install 'tyokyky-course[dask]' (or make venv)"

_ADDRESS = re.compile(r"(tcp|tls|ws|wss)://(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9._-]+):(\d{1,5})/?")


def check_address(address: str) -> str:
    """``tcp://HOST:PORT`` (or tls://, ws://, wss://) with a port from 1 to 65535."""
    m = _ADDRESS.fullmatch(address.strip())
    if not m or not 1 <= int(m.group(3)) <= 65535:
        raise ValueError(f"--scheduler {address!r}: give the scheduler's address as "
                         "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (printed by `dask scheduler`).")
    return address.strip()


def _distributed(option: str) -> Any:
    try:
        import distributed
    except ImportError:
        raise ValueError(f"{option} runs the replications on Dask, which is not installed; "
                         f"install it with {INSTALL_HINT}.") from None
    return distributed


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Distributed's own log lines off (its reconnection attempts are tracebacks): when the
    cluster fails, the command's one ``error:`` line says what went wrong."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextmanager
def _lost(distributed: Any, option: str) -> Iterator[None]:
    """A cluster that fails mid-run (the same task's workers died again and again, or the
    scheduler went away) is one plain error, not a traceback."""
    try:
        yield
    except distributed.KilledWorker as exc:
        raise ValueError(f"{option}: the Dask workers running a replication died repeatedly "
                         f"({' '.join(str(exc).split())[:200]}); check the workers' memory and "
                         "logs.") from None
    except (distributed.comm.CommClosedError, CancelledError,
            distributed.client.ClosedClientError) as exc:
        raise ValueError(f"{option}: lost the connection to the Dask cluster "
                         f"({' '.join(str(exc).split())[:200] or type(exc).__name__}).") from None


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None,
                timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """A ``distributed.Client`` on the cluster at ``scheduler``, or on a local cluster of
    ``workers`` processes (one thread each) started for the block and closed after it;
    None when neither is given (the local process pool then runs the work)."""
    if scheduler is not None and workers is not None:
        raise ValueError("--scheduler and --workers: give one of them (--workers starts a local "
                         "cluster; --scheduler uses a running one).")
    if scheduler is None and workers is None:
        yield None
        return
    if scheduler is not None:
        address = check_address(scheduler)
        distributed = _distributed("--scheduler")
        try:
            with _quiet("distributed"):
                client = distributed.Client(address, timeout=f"{timeout}s",
                                            set_as_default=False)
        except (OSError, TimeoutError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ValueError(f"--scheduler {address}: cannot reach a Dask scheduler there within "
                             f"{timeout:g} s ({reason}); check the address and that `dask "
                             "scheduler` is running.") from None
        with _quiet("distributed", "distributed.client"):  # also while closing
            try:
                with _lost(distributed, f"--scheduler {address}"):
                    yield client
            finally:
                client.close()
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"--workers {workers!r}: give a whole number ≥ 1.")
    distributed = _distributed("--workers")
    with _quiet("distributed", "distributed.nanny", "distributed.scheduler"):
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=True, dashboard_address=None,
                                           silence_logs=logging.ERROR)
    try:
        with distributed.Client(cluster, set_as_default=False) as client, _quiet("distributed"), \
                _lost(distributed, f"--workers {workers}"):
            yield client
    finally:
        cluster.close()
