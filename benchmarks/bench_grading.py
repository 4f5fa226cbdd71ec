"""What the grading sandbox costs: autograding ordinary submissions with and without it.

    python benchmarks/bench_grading.py [--submissions 30]     (make bench runs it)

Two temporary copies of the course release ``fidelity_review`` and receive the same N
ordinary submissions (the release with every solution filled in). One is graded through
``tools.py autograde`` as a trainer would, every kernel in its own bubblewrap sandbox; the
other through ``tools.py autograde --unsafe`` (the same honest notebooks, so no risk). It
prints both wall-clock times, the sandbox's overhead per submission and checks that every
learner got the same scores both ways. Aims: under 3 minutes for 30 on 2 cores, overhead
under 1 s a submission.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
NAME = "fidelity_review"


def _course(tmp: Path) -> Path:
    root = tmp / "assignments"
    root.mkdir(parents=True)
    for name in ("nbgrader_config.py", "tools.py"):
        shutil.copy(COURSE / name, root)
    shutil.copytree(COURSE / "source" / NAME, root / "source" / NAME)
    return root


def _tool(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "tools.py"), *args], cwd=root,
                          capture_output=True, text=True)


def _submit(root: Path, count: int) -> None:
    """*count* learners handing in the release with the solutions filled in."""
    source = nbformat.read(root / "source" / NAME / f"{NAME}.ipynb", 4)
    release = nbformat.read(root / "release" / NAME / f"{NAME}.ipynb", 4)
    solutions = {c.metadata["nbgrader"]["grade_id"]:
                 "\n".join(ln for ln in c.source.split("\n") if "SOLUTION" not in ln)
                 for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and gid in solutions:
            cell.source = solutions[gid]
    for i in range(count):
        folder = root / "submitted" / f"learner-{i:02d}" / NAME
        folder.mkdir(parents=True)
        nbformat.write(release, folder / f"{NAME}.ipynb")


def _scores(root: Path) -> dict[str, float]:
    report = json.loads((root / "exports" / "logs" / f"autograde-{NAME}-latest.json").read_text())
    return {row["student"]: row["score"] for row in report["submissions"]}


def grade(count: int, unsafe: bool) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        root = _course(Path(tmp))
        if _tool(root, "release", NAME).returncode:
            raise SystemExit("release failed")
        _submit(root, count)
        started = time.perf_counter()
        done = _tool(root, "autograde", NAME, *(["--unsafe"] if unsafe else []))
        seconds = time.perf_counter() - started
        if done.returncode not in (0, 3):
            raise SystemExit(f"autograde failed ({done.returncode}):\n{done.stdout[-2000:]}")
        return seconds, _scores(root)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=30)
    a = ap.parse_args(argv)
    n = a.submissions
    print(f"[grading] autograde {n} ordinary submissions of {NAME}")
    sandboxed, scores_in = grade(n, unsafe=False)
    plain, scores_out = grade(n, unsafe=True)
    print(f"  in the sandbox:        {sandboxed:7.1f} s  ({sandboxed / n:.2f} s a submission; aim: "
          f"30 in under 180 s)")
    print(f"  without (--unsafe):    {plain:7.1f} s  ({plain / n:.2f} s a submission)")
    print(f"  sandbox overhead:      {(sandboxed - plain) / n:+7.2f} s a submission (aim: < 1 s)")
    print(f"  same scores both ways: {scores_in == scores_out} ({len(scores_in)} learners)")
    return 0 if scores_in == scores_out and len(scores_in) == n else 1


if __name__ == "__main__":
    sys.exit(main())
