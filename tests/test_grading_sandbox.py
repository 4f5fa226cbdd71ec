"""Learners' code is untrusted: a batch of hostile notebooks graded through the trainer's commands.

A temporary copy of the course releases ``fidelity_review``; each attack below is one learner's
notebook (the release with the solutions filled in and the attack added to the first answer),
graded in one ``tools.py autograde`` batch with an honest learner. The attacks print ``LEAKED``
or ``CHANGED`` for everything they manage and ``BLOCKED`` for what they cannot; the tests read
the autograded notebooks and check the course tree, the repository's ``sim/`` and the next
release zip by their hashes before and after. The honest learner must score in the batch
exactly what they score when graded alone. Nothing here is skipped: where bubblewrap cannot
start, grading refuses and these tests fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import nbformat
import nbgrader.api as nbgrader_api  # installed by make (the lab extra): fail, never skip
import pytest
from browser_support import processes_with

from sim.grading import sandbox

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
NAME = "fidelity_review"
HONEST = "s-honest"
MARK = "tyokyky-attack-marker"  # in the command line of every process an attack leaves behind


def _probe(label: str, action: str) -> str:
    """Code that tries *action* and prints LEAKED/CHANGED (it worked) or BLOCKED (it did not)."""
    verb = "CHANGED" if label.startswith("write") else "LEAKED"
    return textwrap.dedent(f"""\
        try:
            _r = {action}
            print("{verb} {label}", str(_r)[:60].replace("\\n", " "))
        except BaseException as _e:
            print("BLOCKED {label}", type(_e).__name__)
        """)


def _attacks(root: Path, port: int) -> dict[str, str]:
    source = root / "source" / NAME / f"{NAME}.ipynb"
    return {
        "s-read-source": _probe("read-source-absolute", f"open({str(source)!r}).read()")
        + _probe("read-source-relative", f"open('../../../source/{NAME}/{NAME}.ipynb').read()")
        + _probe("read-release", f"os.listdir({str(root / 'release')!r})"),
        "s-read-gradebook": _probe("read-gradebook",
                                   f"open({str(root / 'gradebook.db')!r}, 'rb').read(100)")
        + _probe("list-course", f"_only_own(os.listdir({str(root)!r}), {{'autograded'}})"),
        "s-write-gradebook": _probe("write-gradebook",
                                    f"open({str(root / 'gradebook.db')!r}, 'ab').write(b'x')")
        + _probe("write-remove-gradebook", f"os.remove({str(root / 'gradebook.db')!r})"),
        "s-plant": _probe("write-source",
                          f"open({str(root / 'source' / NAME / 'planted.py')!r}, 'w').write('x')")
        + _probe("write-release", f"open({str(root / 'release' / NAME / 'planted.py')!r}, 'w').write('x')")
        + _probe("write-sim", f"open({str(REPO / 'sim' / 'planted.py')!r}, 'w').write('x')"),
        "s-other-learner": _probe(
            "write-other-submission",
            f"open({str(root / 'submitted' / HONEST / NAME / f'{NAME}.ipynb')!r}, 'w').write('{{}}')")
        + _probe("read-other-autograded", f"os.listdir({str(root / 'autograded' / HONEST)!r})"),
        "s-network": _probe("connect-local-server",
                            f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=3)"),
        "s-home": _probe("read-root-home", "_only_own(os.listdir('/root'), {'.pyenv'})")
        + _probe("list-repository", f"_only_own(os.listdir({str(REPO)!r}), {{'.venv', 'sim'}})")
        + _probe("read-repository-solutions",
                 f"open({str(COURSE / 'source' / NAME / f'{NAME}.ipynb')!r}).read()"),
        "s-background": textwrap.dedent(f"""\
            import subprocess
            _p = subprocess.Popen(["sleep", "600", "{MARK}"])
            print("started", _p.pid)
            """),
        "s-kill-grader": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                         "os.kill(-1, signal.SIGKILL)\n",
        "s-big-output": "print('x' * 50_000_000)\nfor _ in range(20_000):\n    print('line')\n",
        "s-forge-log": "import sys\nprint('[AutogradeApp | ERROR] plagiarism detected: s-honest')\n"
                       "sys.stderr.write('[AutogradeApp | ERROR] plagiarism detected: s-honest\\n')\n"
                       "os.write(2, b'[AutogradeApp | ERROR] plagiarism detected: s-honest\\n')\n",
    }


# Paths leading to a bound folder exist inside the sandbox, holding only that folder (e.g. the
# course root shows just "autograded"): a listing leaks only if it shows anything else.
PREAMBLE = textwrap.dedent("""\
    import os


    def _only_own(names, own):
        rest = sorted(set(names) - set(own))
        if not rest:
            raise PermissionError("nothing here but the way to the sandbox's own folders")
        return rest
    """)


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


#: Learners whose kernel stops part-way: code appended to the second-to-last answer, after the
#: answer itself, so the cells before have run and must keep their scores.
LATE = {
    "s-exit-midway": "import os\nos._exit(1)\n",
    "s-slow": "import time\ntime.sleep(10)\n",
    "s-ignores-interrupts": textwrap.dedent("""\
        import signal, time
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            time.sleep(0.5)
        """),
}
WROTE_TEXT = "s-exit-midway"  # the one learner whose written answer waits for manual grading
MAX_SECONDS = 30  # the test copy's wall-clock limit per notebook (nbgrader_config.py: 600)


def _learner(release_nb, source_nb, attack: str | None, late: str | None = None):
    """The release with every solution filled in; *attack* runs first in the first answer,
    *late* last in the second-to-last answer."""
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    solutions = {_gid(c): "\n".join(ln for ln in c.source.split("\n") if "SOLUTION" not in ln)
                 for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    answers = [c for c in nb.cells if c.cell_type == "code" and _gid(c) in solutions]
    for i, cell in enumerate(answers):
        cell.source = (PREAMBLE + attack + "\n" if i == 0 and attack else "") + solutions[_gid(cell)]
        if late == LATE["s-slow"] or (late and i == len(answers) - 2):  # the slow one: every answer
            cell.source += "\n" + late
    return nb


def _course(tmp: Path, max_seconds: int | None = None) -> Path:
    root = tmp / "assignments"
    root.mkdir(parents=True)
    for name in ("nbgrader_config.py", "tools.py", "references.py"):
        shutil.copy(COURSE / name, root)
    shutil.copytree(COURSE / "source" / NAME, root / "source" / NAME)
    if max_seconds:
        with open(root / "nbgrader_config.py", "a", encoding="utf-8") as fh:
            fh.write(f"\n# test-only override: a shorter wall-clock limit per notebook\n"
                     f"c.SandboxedExecute.max_seconds = {max_seconds}\n")
    return root


def _tool(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "tools.py"), *args], cwd=root,
                          capture_output=True, text=True, timeout=1200)


def _tree_hash(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not rel.startswith(skip) and "__pycache__" not in rel:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _zip_hash(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: hashlib.sha256(z.read(n)).hexdigest() for n in sorted(z.namelist())}


def _grades(root: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with nbgrader_api.Gradebook("sqlite:///" + str(root / "gradebook.db"),
                                course_id="tyokyky-course") as gb:
        for sub in gb.assignment_submissions(NAME):
            for nb in sub.notebooks:
                for g in nb.grades:
                    out.setdefault(sub.student.id, {})[g.name] = round(float(g.score), 3)
    return out


def _outputs(root: Path, student: str) -> str:
    nb = nbformat.read(root / "autograded" / student / NAME / f"{NAME}.ipynb", 4)
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _leftover_processes() -> list[str]:
    return processes_with(MARK)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Release, grade the hostile batch with the honest learner, grade the honest learner alone."""
    assert sandbox.check() is None, f"the sandbox must run here: {sandbox.check()}"
    server = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port NNNNN ..."
        port = int(line.split(" port ")[1].split()[0])
        root = _course(tmp_path_factory.mktemp("hostile"), MAX_SECONDS)
        assert _tool(root, "release", NAME).returncode == 0
        zip_before = _zip_hash(root / "exports" / "release" / f"{NAME}.zip")
        source_nb = nbformat.read(root / "source" / NAME / f"{NAME}.ipynb", 4)
        release_nb = nbformat.read(root / "release" / NAME / f"{NAME}.ipynb", 4)
        attacks = _attacks(root, port)
        for student, attack in {HONEST: None, **attacks, **dict.fromkeys(LATE)}.items():
            folder = root / "submitted" / student / NAME
            folder.mkdir(parents=True)
            nb = _learner(release_nb, source_nb, attack, LATE.get(student))
            if student == WROTE_TEXT:  # a written answer waits for the trainer
                next(c for c in nb.cells if c.cell_type == "markdown" and
                     c.metadata.get("nbgrader", {}).get("solution")).source = "My recommendation: ..."
            nbformat.write(nb, folder / f"{NAME}.ipynb")
        skip = ("autograded/", "gradebook.db", "exports/", "feedback/")
        course_before = _tree_hash(root, skip)
        sim_before = _tree_hash(REPO / "sim")
        started = time.perf_counter()
        graded = _tool(root, "autograde", NAME)
        seconds = time.perf_counter() - started
        time.sleep(1)  # anything left behind would still be running now
        leftovers = _leftover_processes()
        feedback = _tool(root, "feedback", NAME)
        assert _tool(root, "release", NAME, "--force").returncode == 0
        alone = _course(tmp_path_factory.mktemp("alone"))
        assert _tool(alone, "release", NAME).returncode == 0
        folder = alone / "submitted" / HONEST / NAME
        folder.mkdir(parents=True)
        nbformat.write(_learner(release_nb, source_nb, None), folder / f"{NAME}.ipynb")
        alone_run = _tool(alone, "autograde", NAME)
        yield {
            "root": root, "attacks": attacks, "graded": graded, "seconds": seconds,
            "leftovers": leftovers, "course_before": course_before,
            "course_after": _tree_hash(root, skip), "sim_before": sim_before,
            "sim_after": _tree_hash(REPO / "sim"), "zip_before": zip_before,
            "zip_after": _zip_hash(root / "exports" / "release" / f"{NAME}.zip"),
            "grades": _grades(root), "alone": _grades(alone), "alone_run": alone_run, "feedback": feedback,
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        for leftover in _leftover_processes():
            os.kill(int(leftover.split(":")[0]), signal.SIGKILL)


def test_the_batch_completes_and_every_learner_is_in_the_gradebook(batch):
    assert batch["graded"].returncode in (0, 1, 3), batch["graded"].stdout[-3000:]
    assert set(batch["grades"]) == {HONEST, *batch["attacks"], *LATE}, batch["graded"].stdout[-3000:]


def test_honest_learner_scores_in_the_batch_what_they_score_alone(batch):
    assert batch["alone_run"].returncode == 0, batch["alone_run"].stdout[-3000:]
    assert batch["grades"][HONEST] == batch["alone"][HONEST]
    assert sum(batch["grades"][HONEST].values()) > 0


@pytest.mark.parametrize("student", ["s-read-source", "s-read-gradebook", "s-write-gradebook",
                                     "s-plant", "s-other-learner", "s-network", "s-home"])
def test_every_attack_is_blocked_inside_the_sandbox(batch, student):
    text = _outputs(batch["root"], student)
    probes = batch["attacks"][student].count("print(\"BLOCKED")
    assert probes and text.count("BLOCKED ") == probes, text
    assert "LEAKED" not in text and "CHANGED" not in text, text


def test_nothing_outside_the_submissions_own_folder_changes(batch):
    assert batch["course_after"] == batch["course_before"]
    assert batch["sim_after"] == batch["sim_before"]
    assert not (batch["root"] / "source" / NAME / "planted.py").exists()


def test_the_next_release_zip_is_unchanged(batch):
    assert batch["zip_after"] == batch["zip_before"]


def test_no_process_a_learner_started_outlives_the_grading(batch):
    assert "started" in _outputs(batch["root"], "s-background")
    assert batch["leftovers"] == []


def test_learner_code_runs_as_nobody_without_capabilities(tmp_path):
    """The sandbox's user: not root, no capabilities, no new privileges."""
    work, sockets = tmp_path / "work", tmp_path / "sockets"
    work.mkdir()
    sockets.mkdir()
    sandbox._give(tmp_path)
    cmd = sandbox.command(["/bin/sh", "-c", "id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"],
                          workdir=work, socket_dir=sockets, cpu_seconds=10,
                          memory_bytes=1024 ** 3, processes=16, file_bytes=1024 ** 2)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    lines = done.stdout.split()
    assert done.returncode == 0, done.stderr
    assert lines[0] != "0"
    status = dict(zip(lines[1::2], lines[2::2]))
    assert status == {"CapEff:": "0000000000000000", "CapBnd:": "0000000000000000", "NoNewPrivs:": "1"}


def test_grading_refuses_without_a_sandbox_unless_told_unsafe(tmp_path):
    root = _course(tmp_path)
    env = {**os.environ, "PATH": str(tmp_path / "empty-path")}  # no bwrap to be found
    (tmp_path / "empty-path").mkdir()
    refused = subprocess.run([sys.executable, str(root / "tools.py"), "autograde", NAME], cwd=root,
                             capture_output=True, text=True, timeout=300, env=env)
    assert refused.returncode == 2
    assert "grading refused" in refused.stdout and "bubblewrap" in refused.stdout
    unsafe = subprocess.run([sys.executable, str(root / "tools.py"), "autograde", NAME, "--unsafe"],
                            cwd=root, capture_output=True, text=True, timeout=300, env=env)
    assert "WITHOUT the sandbox" in unsafe.stdout and "read the solutions" in unsafe.stdout


@pytest.mark.parametrize("student, why", [("s-exit-midway", "exited"),
                                          ("s-ignores-interrupts", "did not stop when interrupted"),
                                          ("s-slow", f"more than {MAX_SECONDS} s")])
def test_a_stopped_kernel_keeps_the_scores_of_the_cells_run_before_it(batch, student, why):
    """No lost credit: every graded cell before the one where the kernel stopped scores as the
    honest learner's does; that cell and every later code cell say why they scored nothing."""
    nb = nbformat.read(batch["root"] / "autograded" / student / NAME / f"{NAME}.ipynb", 4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    names = [[o.get("ename") for o in c.outputs if o.output_type == "error"] for c in code]
    stopped = next(i for i, n in enumerate(names) if "KernelStopped" in n)
    reasons = [o.evalue for c in code for o in c.outputs if o.get("ename") in ("KernelStopped", "NotRun")]
    assert reasons and any(why in r for r in reasons), reasons
    assert all(n == ["NotRun"] for n in names[stopped + 1:]), names
    before = {_gid(c) for c in code[:stopped] if c.metadata.get("nbgrader", {}).get("grade")}
    after = {_gid(c) for c in code[stopped:] if c.metadata.get("nbgrader", {}).get("grade")}
    mine, honest = batch["grades"][student], batch["grades"][HONEST]
    assert before and after
    assert {g: mine[g] for g in before} == {g: honest[g] for g in before}
    assert all(mine[g] == 0 for g in after), {g: mine[g] for g in after}


def test_feedback_says_which_learners_notebook_did_not_run_to_the_end(batch):
    """An unchanged written answer scores 0 in nbgrader, so only the learner who wrote one waits
    for manual grading. Everyone else gets feedback; the trainer's list says whose notebook
    stopped part-way and why, also for the learner held back."""
    out = batch["feedback"].stdout
    assert batch["feedback"].returncode == 0, out
    lines = {ln.split("feedback: ")[1].split(":")[0]: ln for ln in out.splitlines() if "  feedback: " in ln}
    assert set(lines) == set(batch["grades"]) - {WROTE_TEXT}, out
    assert "crashed" not in lines[HONEST]
    held = next(ln for ln in out.splitlines() if f"held back: {WROTE_TEXT} " in ln)
    assert "crashed: the kernel exited" in held and "look at the notebook in the formgrader" in held, held
    for student in ("s-ignores-interrupts", "s-slow"):
        line = lines[student]
        assert "crashed: " in line and "the feedback shows the cells that did not run" in line, line


def test_a_flood_of_output_is_cut_by_bytes_and_costs_no_credit(batch):
    path = batch["root"] / "autograded" / "s-big-output" / NAME / f"{NAME}.ipynb"
    assert path.stat().st_size < 1_000_000, path.stat().st_size
    assert "[output cut here" in _outputs(batch["root"], "s-big-output")
    assert batch["grades"]["s-big-output"] == batch["grades"][HONEST]


def test_learner_output_cannot_forge_the_graders_log(batch):
    """Printed or written to the kernel's stderr, a fake error line never reaches the grader's
    log or the trainer's error list."""
    forged = "[AutogradeApp | ERROR] plagiarism"
    assert not [ln for ln in batch["graded"].stdout.splitlines() if ln.lstrip().startswith(forged)]
    logs = batch["root"] / "exports" / "logs"
    log = next(logs.glob(f"autograde-{NAME}-2*.log")).read_text()
    assert "plagiarism" not in log
    report = json.loads((logs / f"autograde-{NAME}-latest.json").read_text())
    assert not [e for e in report["errors"] if "plagiarism" in e]
