"""Replications and sweeps on a real Dask cluster (issue #15): a ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1, started here and stopped by their process groups.

Dask is an optional extra, but these tests fail (never skip) without it: ``make`` installs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import distributed  # the dask extra: a missing install fails here, on purpose
import numpy as np
import pytest
from browser_support import processes_with

import sim
from sim import experiment

MARK = "tyokyky-dask-test-marker"  # in the command line of every process the tests start
START_TIMEOUT = 30.0


def _scenario() -> sim.Scenario:
    return sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": 200})


def _dask(*args: str, log: Path) -> subprocess.Popen:
    with open(log, "ab") as fh:
        return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)


def _leftover_processes(mark: str = MARK) -> list[str]:
    return processes_with(mark)


def _in_session(sid: int) -> list[str]:
    """Processes still in the session ``sid`` (a command started with start_new_session)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(f"{pid}: {stat[:80]}")
    return found


class Cluster:
    """A scheduler and ``workers`` single-threaded workers (no nanny: killing one loses it)."""

    def __init__(self, root: Path, workers: int = 2) -> None:
        root = root / MARK
        root.mkdir(parents=True, exist_ok=True)
        self.file = root / "scheduler.json"
        self.log = root / "dask.log"
        self.scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(self.file), log=self.log)
        self.workers: list[subprocess.Popen] = []
        try:
            self._wait(lambda: self.file.exists() and self.file.stat().st_size > 0, "the scheduler")
            self.address = json.loads(self.file.read_text())["address"]
            for i in range(workers):
                self.workers.append(_dask(
                    "worker", "--scheduler-file", str(self.file), "--nworkers", "1",
                    "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                    "--name", f"w{i}", "--death-timeout", "60", log=self.log))
            self.client = distributed.Client(self.address, timeout="20s", set_as_default=False)
            self.client.wait_for_workers(workers, timeout=START_TIMEOUT)
        except BaseException:
            self.close()
            raise

    def _wait(self, ready, what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
                raise RuntimeError(f"{what} did not start:\n{log}")
            time.sleep(0.1)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        _stop([*self.workers, self.scheduler])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("dask"))
    yield c
    c.close()
    deadline = time.monotonic() + 10
    while _leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _leftover_processes(), _leftover_processes()


def _kpis(result) -> list[dict]:
    runs = result.runs if hasattr(result, "runs") else [r for reps in result.results for r in reps.runs]
    return [r.kpis for r in runs]


def test_replicate_on_the_cluster_equals_the_local_runs(cluster):
    s = _scenario()
    seen = []
    on_dask = experiment.replicate(s, 6, seed=3, client=cluster.client,
                                   progress=lambda i, n: seen.append((i, n)))
    local = experiment.replicate(s, 6, seed=3)
    np.testing.assert_equal(_kpis(on_dask), _kpis(local))
    assert seen == [(i, 6) for i in range(1, 7)]  # the callback as results arrive, in order
    assert len(cluster.client.nthreads()) == 2


def test_a_sweep_a_comparison_and_the_staffing_search_on_the_cluster_equal_the_local_ones(cluster):
    s = _scenario()
    vary = {"ips.coaches": [3, 5]}
    on_dask = experiment.sweep(s, vary, 3, seed=2, client=cluster.client)
    local = experiment.sweep(s, vary, 3, seed=2, jobs=2)
    np.testing.assert_equal(_kpis(on_dask), _kpis(local))
    assert [r.n for r in on_dask.results] == [3, 3]
    cmp = experiment.compare(s, {"plus2": s.with_changes({"ips.coaches": s.ips.coaches + 2})}, 2,
                             client=cluster.client)
    base = experiment.replicate(s, 2)
    np.testing.assert_equal(_kpis(cmp.base), _kpis(base))
    search = experiment.min_staffing(s, "ips.coaches", [3, 5], "ips_wait_days.p90<=60", 2,
                                     client=cluster.client)
    here = experiment.min_staffing(s, "ips.coaches", [3, 5], "ips_wait_days.p90<=60", 2)
    np.testing.assert_equal(_kpis(search), _kpis(here))
    assert (search.offered_load, search.best()) == (here.offered_load, here.best())


def test_replications_travel_to_the_cluster_a_few_to_a_task(cluster, tmp_path):
    """Dask's own cost per task is about a short replication's, so replications go a few to a
    Dask task (four tasks per worker thread): 16 on 2 threads as 8 tasks of 2. Results are the
    local ones, each stored; stored ones are not sent again."""
    from distributed import get_task_stream

    from sim.store import STORE_NAME, ResultStore, scenario_hash
    s = _scenario()
    local = experiment.replicate(s, 16, seed=8)
    with ResultStore(tmp_path / STORE_NAME, scenario_hash(s)) as store:
        for r in range(5):
            store.put((s, 8, r), local.runs[r])
        with get_task_stream(client=cluster.client) as stream:
            on_dask = experiment.replicate(s, 16, seed=8, client=cluster.client, store=store)
        assert store.count() == 16
    ours = [str(t["key"]) for t in stream.data if str(t["key"]).startswith("worksim-runs-")]
    sizes = [int(key.split("+")[1].split("-")[0]) for key in ours]
    assert sum(sizes) == 11 and max(sizes) == 2 and len(ours) == 6, ours  # 11 not stored
    np.testing.assert_equal(_kpis(on_dask), _kpis(local))


def test_a_worker_killed_mid_sweep_leaves_the_results_identical(tmp_path):
    s = _scenario().with_changes({"horizon_days": 730})  # runs long enough to be caught holding one
    vary = {"ips.coaches": [3, 4, 5, 6]}
    local = experiment.sweep(s, vary, 6, seed=4, jobs=2)
    c = Cluster(tmp_path)
    try:
        victim = c.workers[0]
        address = next(a for a, w in c.client.scheduler_info()["workers"].items() if w["name"] == "w0")
        arrived, lost = [], []
        done = threading.Event()

        def watch() -> None:
            """Kill the victim mid-way, while it holds a task; the sweep keeps submitting."""
            while not done.is_set() and len(arrived) < 4:
                time.sleep(0.005)
            while not done.is_set():
                held = c.client.processing([address]).get(address, [])
                if held:
                    lost.extend(held)
                    os.killpg(victim.pid, signal.SIGKILL)
                    return
                time.sleep(0.005)

        def progress(i: int, n: int) -> None:
            arrived.append(i)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            on_dask = experiment.sweep(s, vary, 6, seed=4, client=c.client, progress=progress)
        finally:
            done.set()
            watcher.join(timeout=10)
        assert lost, "the victim never held a task while the sweep ran"
        assert victim.wait(timeout=10) == -signal.SIGKILL
        assert arrived == list(range(1, 25))
        np.testing.assert_equal(_kpis(on_dask), _kpis(local))
        assert len(c.client.nthreads()) == 1  # the scheduler knows it lost one
    finally:
        c.close()
    assert not _leftover_processes(str(tmp_path)), _leftover_processes(str(tmp_path))


def _worksim(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    p = subprocess.Popen([sys.executable, "-m", "sim", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    deadline = time.monotonic() + 10
    while _in_session(p.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _in_session(p.pid), f"left behind: {_in_session(p.pid)}"
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def test_cli_workers_gives_the_same_summary_as_the_process_pool(tmp_path):
    common = ("run", "pohjois-savo-pilot", "-n", "4", "--horizon-days", "200", "--seed", "7", "-q")
    pool = _worksim(*common, "--out", str(tmp_path / "pool"))
    assert pool.returncode == 0, pool.stderr
    dask = _worksim(*common, "--workers", "2", "--out", str(tmp_path / "dask"))
    assert dask.returncode == 0, dask.stderr
    assert "Traceback" not in dask.stderr
    assert (tmp_path / "dask" / "summary.csv").read_text() == (tmp_path / "pool" / "summary.csv").read_text()


def test_cli_scheduler_at_a_bad_address_is_one_error_line_and_exit_2(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    p = _worksim("run", "pohjois-savo-pilot", "-n", "2", "--scheduler", f"tcp://127.0.0.1:{port}",
                 "--out", str(tmp_path / "out"), timeout=60)
    took = time.monotonic() - started
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler tcp://127.0.0.1:"), p.stderr
    assert took < 20, took
    assert not (tmp_path / "out").exists()  # nothing written before the cluster answered


@pytest.mark.parametrize("args, message", [
    (("--scheduler", "localhost"), "tcp://HOST:PORT"),
    (("--workers", "2", "--jobs", "2"), "--jobs 2 and --workers 2"),
    (("--workers", "0"), "--workers 0"),
])
def test_cli_dask_options_are_checked_before_anything_runs(args, message, capsys, no_simulation):
    from sim.cli import main
    assert main(["run", "pohjois-savo-pilot", "-n", "2", *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_a_scheduler_lost_mid_run_is_one_error_line_and_exit_2(tmp_path):
    c = Cluster(tmp_path / "cluster", workers=1)
    out = tmp_path / "out"
    try:
        p = subprocess.Popen([sys.executable, "-m", "sim", "run", "pohjois-savo-pilot", "-n", "40",
                              "--horizon-days", "400", "-q", "--scheduler", c.address, "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        deadline = time.monotonic() + 30
        while not out.exists() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the folder is made once the client is connected
        time.sleep(0.5)
        os.killpg(c.scheduler.pid, signal.SIGKILL)
        _, err = p.communicate(timeout=60)
    finally:
        c.close()
    assert p.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "lost the connection to the Dask cluster" in lines[0], err
    assert not _leftover_processes(str(tmp_path)), _leftover_processes(str(tmp_path))
