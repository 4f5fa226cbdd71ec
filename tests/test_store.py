"""The result store and resume (issue #15, sim/store.py): a ``worksim sweep`` killed with
SIGKILL at a random moment resumes to the byte-identical table, computing each missing
replication once and none twice; foreign, other-version and damaged stores are refused."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_cli import error_line

import sim
from sim import experiment
from sim.cli import main
from sim.store import STORE_NAME, ResultStore, StoredSeries, StoreError, scenario_hash, stored_keys

HORIZON = "3650"  # ten years: ~40 ms a replication, the sweep ~0.6 s on two workers
REPS = 10
SWEEP = ["sweep", "pohjois-savo-pilot", "--horizon-days", HORIZON, "--vary", "ips.coaches=1,2,3",
         "-n", str(REPS), "--seed", "3", "-j", "2", "-q"]
TOTAL = 3 * REPS
JOBS = 2

# Runs `worksim` with sim.experiment's task function wrapped so that every replication a worker
# finishes computing appends "hash seed replication" to the counter file (argv[1]): the count of
# computations is taken where they happen, not from the store. The wrapper lives in __main__,
# which the forked worker processes share.
DRIVER = """
import os, sys
from sim import cli, experiment
from sim.store import scenario_hash
original = experiment._task
def counted(task):
    result = original(task)
    scenario, seed, rep = task
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, f"{scenario_hash(scenario)} {seed} {rep}\\n".encode())
    os.close(fd)
    return result
experiment._task = counted
sys.exit(cli.main(sys.argv[2:]))
"""


def _start(counter: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(counter), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def _computed(counter: Path) -> list[tuple[str, int, int]]:
    if not counter.exists():
        return []
    return [(h, int(s), int(r)) for h, s, r in
            (line.split() for line in counter.read_text().splitlines())]


def _stored(folder: Path) -> set[tuple[str, int, int]]:
    return {k[:3] for k in stored_keys(folder / STORE_NAME)}


def _count_now(folder: Path) -> int:
    try:
        return len(stored_keys(folder / STORE_NAME))
    except sqlite3.Error:  # not created yet
        return 0


def _kill_mid_sweep(folder: Path, counter: Path, rng: random.Random) -> bool:
    """Start the sweep, wait until a random number of replications (1 to half of them) is
    stored, then SIGKILL its whole process group at once (a random moment counted in stored
    replications, not in seconds, so a fast machine cannot finish first); True when the kill
    came before the sweep finished."""
    proc = _start(counter, *SWEEP, "--out", str(folder))
    target = rng.randint(1, TOTAL // 2)
    try:
        deadline = time.monotonic() + 60
        while _count_now(folder) < target:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"{target} replications not stored within 60 s"
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    return proc.returncode == -signal.SIGKILL and _count_now(folder) < TOTAL


def test_kill_9_mid_sweep_then_resume_gives_the_identical_table(tmp_path):
    reference = tmp_path / "uninterrupted"
    assert main([*SWEEP, "--out", str(reference)]) == 0
    base = sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": float(HORIZON)})
    every = {(scenario_hash(base.with_changes({"ips.coaches": c})), 3, r)
             for c in (1, 2, 3) for r in range(REPS)}
    assert _stored(reference) == every and len(every) == TOTAL

    rng = random.Random()
    for attempt in range(4):  # a kill that came after the last replication proves nothing
        folder = tmp_path / f"killed-{attempt}"
        first = tmp_path / f"first-{attempt}.count"
        if _kill_mid_sweep(folder, first, rng):
            break
    else:
        pytest.fail("the sweep finished before every kill; make it longer")
    before = _stored(folder)
    assert 1 <= len(before) < TOTAL
    assert not (folder / "sweep.csv").exists()
    # lost to the kill: finished by a worker but not stored, at most one per worker
    lost = set(_computed(first)) - before
    assert len(lost) <= JOBS, lost
    assert before <= set(_computed(first))

    # the same command into the same folder resumes (the folder holds only the store)
    second = tmp_path / "second.count"
    proc = _start(second, *SWEEP, "--out", str(folder))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert f"Resuming: {len(before)} replications already stored" in err.decode()
    again = _computed(second)
    assert len(again) == TOTAL - len(before)  # each missing replication computed once
    assert not set(again) & before  # and nothing stored computed twice
    assert set(again) | before == every  # nothing lost
    assert _stored(folder) == every

    assert (folder / "sweep.csv").read_bytes() == (reference / "sweep.csv").read_bytes()
    resumed = json.loads((folder / "sweep.json").read_text())
    whole = json.loads((reference / "sweep.json").read_text())
    assert resumed["per_point"] == whole["per_point"]


def test_resume_of_a_finished_run_computes_nothing(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "run"
    args = ["run", "pohjois-savo-pilot", "--horizon-days", "120", "-n", "2", "-j", "1", "-q",
            "--out", str(folder)]
    computed = []
    original = experiment._task  # -j 1 runs the tasks in this process

    def counted(task):
        computed.append(task[1:])
        return original(task)
    monkeypatch.setattr(experiment, "_task", counted)
    assert main(args) == 0
    assert computed == [(1, 0), (1, 1)]
    table = (folder / "summary.csv").read_bytes()
    per_rep = (folder / "replications.csv").read_bytes()
    capsys.readouterr()
    assert "--resume" in error_line(capsys, *args)  # a finished run is not silently replaced
    assert main([*args, "--resume"]) == 0
    assert computed == [(1, 0), (1, 1)]  # nothing computed again
    assert (folder / "summary.csv").read_bytes() == table
    assert (folder / "replications.csv").read_bytes() == per_rep


@pytest.fixture(scope="module")
def small() -> tuple[sim.Scenario, experiment.Replications]:
    s = sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": 120})
    return s, experiment.replicate(s, 3, seed=5)


def test_a_stored_replication_reads_back_bit_for_bit(tmp_path, small):
    s, reps = small
    with ResultStore(tmp_path / STORE_NAME, scenario_hash(s)) as store:
        for i, r in enumerate(reps.runs):
            store.put((s, 5, i), r)
    with ResultStore(tmp_path / STORE_NAME, scenario_hash(s)) as store:
        assert store.count() == 3
        assert store.get((s, 5, 3)) is None and store.get((s, 6, 0)) is None
        for i, r in enumerate(reps.runs):
            back = store.get((s, 5, i))
            assert list(back.kpis) == list(r.kpis)
            assert np.array_equal(np.array(list(back.kpis.values())),
                                  np.array(list(r.kpis.values())), equal_nan=True)
            assert list(back.series) == list(r.series)
            for name, values in r.series.items():
                assert back.series[name].dtype == values.dtype
                assert back.series[name].tobytes() == values.tobytes()
        # replicate() through the store reads the three back and computes the fourth only
        more = experiment.replicate(s, 4, seed=5, store=store)
        assert store.count() == 4
    whole = experiment.Replications(s, 5, (*reps.runs, sim.run(s, seed=5, replication=3)))
    assert more.summary() == whole.summary()


def test_results_through_a_store_keep_their_series_in_the_file(tmp_path, small):
    """What a run through a store holds in memory is each replication's KPIs and run facts; the
    weekly series stay in the file and read back identical, also after the store is closed."""
    import pickle
    s, reps = small
    with ResultStore(tmp_path / STORE_NAME, scenario_hash(s)) as store:
        for jobs in (1, 2):  # computed and stored (jobs=1), then read back (jobs=2)
            held = experiment.replicate(s, reps.n, seed=5, jobs=jobs, store=store)
            assert all(isinstance(r.series, StoredSeries) for r in held.runs)
    names = list(reps.runs[0].series)
    assert list(held.runs[0].series) == names and "ips_waiting" in held.runs[0].series
    for name in names:
        assert held.series(name)[1].tobytes() == reps.series(name)[1].tobytes(), name
    assert held.summary() == reps.summary()
    # the series in memory: a file name, a key and the names, never the values
    assert len(pickle.dumps(held.runs[0].series)) < len(pickle.dumps(reps.runs[0].series)) / 2
    assert not any(isinstance(getattr(held.runs[0].series, slot), np.ndarray)
                   for slot in StoredSeries.__slots__)
    with pytest.raises(KeyError):
        held.runs[0].series["no_such_series"]


def test_dask_backend_resumes_from_the_store_with_identical_results(tmp_path, small):
    import distributed  # the dask extra (make installs it): missing, this fails, never skips
    s, reps = small
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client, \
            ResultStore(tmp_path / STORE_NAME, scenario_hash(s)) as store:
        store.put((s, 5, 0), reps.runs[0])
        on_dask = experiment.replicate(s, 3, seed=5, client=client, store=store)
        assert store.count() == 3
    assert on_dask.summary() == reps.summary()


def test_a_store_of_another_scenario_is_refused_naming_the_field(tmp_path, capsys):
    folder = tmp_path / "cmp"
    assert main(["compare", "pohjois-savo-pilot", "--horizon-days", "60", "-n", "1", "-j", "1",
                 "-q", "--alt", "more:ips.coaches=4", "--out", str(folder)]) == 0
    capsys.readouterr()
    line = error_line(capsys, "compare", "pohjois-savo-pilot", "--horizon-days", "60", "-n", "1",
                      "-q", "--alt", "more:ips.coaches=4", "--set", "ips.coaches=3",
                      "--out", str(folder), "--resume")
    assert "another question" in line and "ips.coaches: 2" in line and "3 now" in line
    assert "another --out folder" in line and "delete" in line and STORE_NAME in line
    assert "--overwrite to replace it" in line
    # --overwrite (without --resume) replaces the foreign store with this run's, and says so
    assert main(["compare", "pohjois-savo-pilot", "--horizon-days", "60", "-n", "1", "-j", "1",
                 "-q", "--alt", "more:ips.coaches=4", "--set", "ips.coaches=3", "--out",
                 str(folder), "--overwrite"]) == 0
    assert "note: replaced" in capsys.readouterr().err
    with ResultStore(folder / STORE_NAME, scenario_hash(sim.preset("pohjois-savo-pilot")
                     .with_changes({"horizon_days": 60, "ips.coaches": 3}))) as store:
        assert store.count() == 2


def test_a_store_of_another_model_version_is_refused(tmp_path, capsys, small):
    s, reps = small
    path = tmp_path / STORE_NAME
    with ResultStore(path, scenario_hash(s)) as store:
        store.put((s, 5, 0), reps.runs[0])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE store_info SET value='0.0.1-older' WHERE key='model_version'")
    db.close()
    with pytest.raises(StoreError, match=r"model version 0\.0\.1-older, this is version "
                       + sim.__version__.replace(".", r"\.") + r".*delete"):
        ResultStore(path, scenario_hash(s))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other_database"])
def test_a_damaged_store_is_refused_before_anything_runs(tmp_path, capsys, damage, no_simulation):
    folder = tmp_path / "run"
    folder.mkdir()
    path = folder / STORE_NAME
    if damage == "garbage":
        path.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)))
    elif damage == "truncated":
        s = sim.preset("pohjois-savo-pilot")
        with ResultStore(path, scenario_hash(s)) as store:
            fake = sim.RunResult(kpis={"x": 1.0}, series={"day": np.arange(5000.0)}, meta={})
            for i in range(20):
                store.put((s, 1, i), fake)
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    else:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (text TEXT)")
        db.close()
    line = error_line(capsys, "run", "pohjois-savo-pilot", "-n", "1", "-q", "--out", str(folder),
                      "--resume")
    assert f"{path}: not a readable worksim result store" in line
    assert "another --out folder" in line and "delete" in line
