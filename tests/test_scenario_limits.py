"""Bounded, clear input (issue #13): every malformed scenario file, oversized argument or fuzzed
text ends quickly, in little memory, with one plain ``error: …`` line naming the file and field.

The corpus (tests/malformed_scenarios.py) is written into a temporary folder at test time and
each file goes through the real command line in a child process, as a user would run it, with
a time limit and an address-space cap; the child's peak memory is read from ``os.wait4``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from malformed_scenarios import write_corpus
from test_cli import error_line

import sim
from sim import cli, experiment
from sim.scenario import MAX_FILE_BYTES, Scenario, ScenarioError, scenario_from_bytes, scenario_from_text

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 5.0
"""Seconds one command may take on a malformed file."""
MAX_RSS_MB = 300
"""Peak memory (resident) one command may use on a malformed file."""
ADDRESS_SPACE = 1_500_000_000
"""RLIMIT_AS of the child: a safety net that still lets numpy and its threads start."""
# The child sets its own limit before it imports anything, then runs `python -m sim ARGS`; at
# exit it writes its peak resident memory (VmHWM) to $WORKSIM_PEAK. The ru_maxrss that os.wait4
# reports is kept as a bound too, but on Linux it starts from the parent's (pytest's) size at
# fork, so it overstates a small child.
CHILD = ("import atexit, os, resource, runpy; "
         f"resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE})); "
         "atexit.register(lambda: open(os.environ['WORKSIM_PEAK'], 'w').write(next("
         "line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))); "
         "runpy.run_module('sim', run_name='__main__', alter_sys=True)")
BASE = "base: varsinais-suomi\nname: t\nhorizon_days: 200\n"


@dataclass
class Outcome:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float
    rss_mb: float
    """The child's own peak resident memory (VmHWM), or os.wait4's bound if it left none."""
    wait4_mb: float


def worksim(*args: str, cwd: Path) -> Outcome:
    """Run ``worksim ARGS`` in a child process; kill it after TIMEOUT seconds."""
    out, err = cwd / f"out-{threading.get_ident()}", cwd / f"err-{threading.get_ident()}"
    peak = cwd / f"peak-{threading.get_ident()}"
    peak.unlink(missing_ok=True)
    with out.open("w+b") as stdout, err.open("w+b") as stderr:
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdin=subprocess.DEVNULL,
                                 stdout=stdout, stderr=stderr, cwd=cwd,
                                 env={**os.environ, "PYTHONPATH": str(REPO),
                                      "WORKSIM_PEAK": str(peak)})
        timer = threading.Timer(TIMEOUT, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        stdout.seek(0)
        stderr.seek(0)
        bound = usage.ru_maxrss / 1024  # kB on Linux
        rss = int(peak.read_text()) / 1024 if peak.exists() else bound
        return Outcome(args, child.returncode, stdout.read().decode(errors="replace"),
                       stderr.read().decode(errors="replace"), seconds, rss, bound)


def problems(o: Outcome, words: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with a refusal: anything but exit 2 and one `error: …` line with ``words``."""
    found = []
    if o.seconds > TIMEOUT:
        found.append(f"took {o.seconds:.1f} s (killed)")
    if o.rss_mb > MAX_RSS_MB:
        found.append(f"used {o.rss_mb:.0f} MB")
    if o.code != 2:
        found.append(f"exit {o.code}")
    lines = o.stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("error: "):
        found.append(f"stderr is not one error line: {o.stderr[-400:]!r}")
    elif "Traceback" in o.stderr:
        found.append("traceback")
    else:
        missing = [w for w in words if w not in lines[0]]
        if missing:
            found.append(f"the message lacks {missing}: {lines[0][:300]!r}")
    return found


MEASURED: dict[str, list[Outcome]] = {}


def run_corpus(command: str, tmp: Path) -> list[str]:
    """Every corpus file through ``worksim COMMAND``, two at a time (the machine has 2 cores)."""
    cases = write_corpus(tmp / "corpus")
    assert len(cases) >= 60

    def one(path: Path) -> Outcome:
        if command == "validate":
            return worksim("validate", str(path), cwd=tmp)
        return worksim("run", str(path), "--replications", "2", "--out", str(tmp / "out"), cwd=tmp)

    with ThreadPoolExecutor(2) as pool:
        futures: list[tuple[Path, tuple[str, ...], Future[Outcome]]] = [
            (path, words, pool.submit(one, path)) for path, words in cases]
        outcomes = [(path, words, f.result()) for path, words, f in futures]
    MEASURED[command] = [o for _, _, o in outcomes]
    bad = []
    for path, words, o in outcomes:
        # every message names the file, and the field or the kind of problem
        for problem in problems(o, (str(path), *words)):
            bad.append(f"{path.name}: {problem}")
    assert not (tmp / "out").exists(), "a refused run created its output folder"
    slowest = max(MEASURED[command], key=lambda o: o.seconds)
    largest = max(MEASURED[command], key=lambda o: o.rss_mb)
    bound = max(o.wait4_mb for o in MEASURED[command])
    print(f"\n{command}: {len(outcomes)} files; slowest {slowest.seconds:.2f} s "
          f"({Path(slowest.args[1]).name}); largest {largest.rss_mb:.0f} MB "
          f"({Path(largest.args[1]).name}); os.wait4 bound ≤ {bound:.0f} MB")
    return bad


def test_every_malformed_file_is_refused_quickly_by_validate(tmp_path):
    bad = run_corpus("validate", tmp_path)
    assert not bad, "\n".join(bad)


def test_every_malformed_file_is_refused_quickly_by_run(tmp_path):
    bad = run_corpus("run", tmp_path)
    assert not bad, "\n".join(bad)


def test_validate_starts_without_the_plotting_and_spreadsheet_libraries(tmp_path):
    """The command line imports matplotlib, pandas and openpyxl only when a command needs them."""
    code = ("import sys, sim.cli; heavy = [m for m in ('matplotlib', 'pandas', 'openpyxl', "
            "'ipywidgets', 'scipy.stats') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# --- replications and runs: bounded before anything is simulated ---------------------------

def test_a_huge_replication_count_is_refused_at_once_in_little_memory(tmp_path):
    o = worksim("run", "varsinais-suomi", "-n", "10000000", "--out", str(tmp_path / "o"),
                cwd=tmp_path)
    assert not problems(o, ("--replications 10000000: at most 10,000",)), (o, problems(o))
    assert not (tmp_path / "o").exists()


def test_sweep_points_times_replications_are_bounded(capsys, tmp_path, no_simulation):
    line = error_line(capsys, "sweep", "varsinais-suomi", "--vary", "ips.coaches=1:200", "-n", "100",
                      "--out", str(tmp_path / "o"))
    assert "200 grid points × 100 replications = 20,000 runs; at most 10,000" in line
    assert not (tmp_path / "o").exists()


def test_compare_scenarios_times_replications_are_bounded(capsys, no_simulation):
    line = error_line(capsys, "compare", "varsinais-suomi", "--alt", "a:ips.coaches=8",
                      "--alt", "b:ips.coaches=9", "-n", "5000")
    assert "3 scenarios (the base and each alternative) × 5,000 replications = 15,000 runs" in line


@pytest.mark.parametrize("setting, words", [
    (f"ips.coaches={'9' * 400}", ("ips.coaches", "400-digit number is out of range")),
    (f"ips.coaches=-{'9' * 400}", ("ips.coaches", "out of range")),
    (f"initial.ips_waiting={'9' * 400}", ("initial.ips_waiting", "out of range")),
    (f"ips.coaches+={'9' * 400}", ("ips.coaches", "far outside the range")),
    (f"ips.coaches={'9' * 5000}", ("--set", "5,000 digits")),
    ("ips.coaches=1e400", ("ips.coaches", "not finite")),
    ("name=" + "[" * 5000 + "]" * 5000, ("--set", "nested more than")),
    ('name="a\\x00b"', ("name", "control character")),
])
def test_set_values_are_read_with_the_same_limits(capsys, no_simulation, setting, words):
    line = error_line(capsys, "run", "varsinais-suomi", "-n", "2", "--set", setting)
    assert all(w in line for w in words), line
    assert len(line) < 600


def test_the_api_names_the_replications_argument():
    s = sim.preset("pohjois-savo-pilot")
    for bad in (experiment.MAX_REPLICATIONS + 1, 10 ** 400):
        with pytest.raises(ValueError, match=r"^replications: .*at most 10,000"):
            sim.replicate(s, bad)
    with pytest.raises(ValueError, match=r"replications: 200 grid points × 100 replications = "
                                         r"20,000 runs; at most 10,000"):
        sim.sweep(s, {"ips.coaches": list(range(1, 201))}, 100)
    with pytest.raises(ValueError, match=r"3 scenarios .* 15,000 runs"):
        sim.compare(s, {"a": s, "b": s}, 5000)


def test_worker_processes_are_bounded_in_the_api_and_the_cli(capsys):
    s = sim.preset("pohjois-savo-pilot")
    for bad in (experiment.MAX_JOBS + 1, 10 ** 400):
        with pytest.raises(ValueError, match=r"^jobs: .*at most 256 worker processes"):
            sim.replicate(s, 2, jobs=bad)
    assert cli.main(["run", "pohjois-savo-pilot", "-n", "2", "-j", "100000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "100,000" in err[0], err


def test_min_staffing_checks_the_run_count_before_its_floor_runs(monkeypatch):
    s = sim.preset("pohjois-savo-pilot")
    monkeypatch.setattr(experiment, "run", lambda *a, **k: pytest.fail("simulated"))
    with pytest.raises(ValueError, match=r"200 values × 100 replications"):
        sim.min_staffing(s, "ips.coaches", list(range(1, 201)), "ips_wait_days.p90<=30", 100)


def test_tasks_reach_the_workers_lazily(monkeypatch):
    """_execute gets a generator and the pool is fed a few tasks ahead, never the whole list."""
    seen = []
    monkeypatch.setattr(experiment, "_execute", lambda tasks, count, jobs, progress, store=None:
                        seen.append((tasks, count)) or [None] * count)
    experiment.replicate(sim.preset("pohjois-savo-pilot"), 7, jobs=2)
    tasks, count = seen[0]
    assert count == 7 and not isinstance(tasks, (list, tuple)) and iter(tasks) is tasks

    drawn = 0

    def endless():
        nonlocal drawn
        while True:
            drawn += 1
            yield drawn

    class Done:  # a pool whose work is done at once
        def submit(self, fn, task):
            future: Future = Future()
            future.set_result(task)
            return future

    results = experiment._in_order(Done(), endless(), ahead=4)
    assert [next(results) for _ in range(10)] == list(range(1, 11))
    assert drawn <= 10 + 4


def test_parallel_results_still_equal_serial_ones_with_lazy_tasks():
    s = sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": 200})
    serial = sim.replicate(s, 5, seed=3, jobs=1)
    parallel = sim.replicate(s, 5, seed=3, jobs=2)
    assert [repr(r.kpis) for r in serial.runs] == [repr(r.kpis) for r in parallel.runs]  # NaN too


# --- the one loader: bytes, text and uploads -------------------------------------------------

def test_oversized_bytes_are_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(yaml, "load", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(ScenarioError, match=rf"^big\.yaml: {MAX_FILE_BYTES + 1:,} bytes is too large"):
        scenario_from_bytes(b"#" * (MAX_FILE_BYTES + 1), "big.yaml")
    with pytest.raises(ScenarioError, match="too large"):
        scenario_from_text("#" * (MAX_FILE_BYTES + 1), "big.yaml")


def test_load_scenario_reads_at_most_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:  # a sparse 2 GB file: reading it whole would take 2 GB
        fh.truncate(2_000_000_000)
    with pytest.raises(ScenarioError, match=r"huge\.yaml: 2,000,000,000 bytes is too large"):
        sim.load_scenario(path)


def test_presets_and_a_reasonable_alias_still_load():
    for name in sim.list_presets():
        assert sim.preset(name).name == name
    s = scenario_from_text(BASE + "vocational:\n  wait: &d {dist: exponential, mean: 30}\n"
                           "  duration: *d\n")
    assert s.vocational.wait == s.vocational.duration


def test_text_fields_take_tabs_and_line_breaks_but_names_do_not():
    s = scenario_from_text(BASE + 'description: "two\\nlines\\tand a tab"\n'
                           "sources: {ips.coaches: S4, arrivals.sources: 2023}\n")
    assert s.description == "two\nlines\tand a tab"
    assert dict(s.sources) == {"ips.coaches": "S4", "arrivals.sources": "2023"}
    with pytest.raises(ScenarioError, match="name: 'a\\\\tb' contains a line break or tab"):
        scenario_from_text(BASE.replace("name: t", 'name: "a\\tb"'))


# --- fuzzing: the loader returns a Scenario or raises ScenarioError, nothing else --------------

def loads_or_refuses(text: str) -> None:
    """A Scenario or one short line of ScenarioError naming the origin; nothing else (the
    settings' deadline bounds the time)."""
    try:
        assert isinstance(scenario_from_text(text, origin="fuzz.yaml"), Scenario)
    except ScenarioError as exc:
        message = str(exc)
        assert message.startswith("fuzz.yaml: ") and "\n" not in message and len(message) < 2000


FUZZ = settings(max_examples=200, deadline=3000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
YAMLISH = st.text(alphabet=list("abcxyz019.-+:,[]{}&*!|>#'\"?<%@`~_ \t\n") + ["\x00", "é", "\u202e"],
                  max_size=200)


@FUZZ
@given(st.one_of(YAMLISH, st.text(max_size=200)))
def test_fuzzed_yaml_text(text):
    loads_or_refuses(text)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-10 ** 500, max_value=10 ** 500)
    | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(max_size=12) | st.integers(), inner, max_size=5),
    max_leaves=25)
FIELDS = ["name", "description", "sources", "sources.ips.coaches", "horizon_days", "arrivals",
          "arrivals.sources", "arrivals.sources.kela", "arrivals.profiles", "arrivals.seasonality",
          "routing", "routing.default", "routing.default.ips", "ips", "ips.coaches",
          "ips.days_to_job", "ips.days_to_job.mean", "initial.ips_waiting", "team.enabled",
          "stepwise.onward", "vocational.wait.dist", "base"]


def _put(data: dict, path: str, value: object) -> dict:
    node = data
    *parents, last = path.split(".") if not path.startswith("sources.") else ["sources",
                                                                             path[8:]]
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return data


@FUZZ
@given(st.sampled_from(FIELDS), VALUES)
def test_fuzzed_values_in_every_kind_of_field(field, value):
    data = _put({"base": "varsinais-suomi", "name": "t", "horizon_days": 200}, field, value)
    loads_or_refuses(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(VALUES)
def test_fuzzed_documents(value):
    loads_or_refuses(yaml.safe_dump(value, allow_unicode=True))


PRESET = (REPO / "sim" / "presets" / "pohjois-savo-pilot.yaml").read_text(encoding="utf-8")


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(PRESET)), st.integers(0, 8), YAMLISH), max_size=4))
def test_fuzzed_edits_of_a_preset(edits):
    text = PRESET
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    loads_or_refuses(text)


def test_the_fuzz_helper_handles_huge_numbers_without_overflow():
    loads_or_refuses(BASE + f"ips: {{coaches: {10 ** 400}}}\n")
