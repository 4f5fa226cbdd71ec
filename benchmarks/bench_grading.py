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
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
# the grading tests' own helpers: a course copy, tools.py, a learner with the solutions filled in
from test_grading_sandbox import NAME, _course, _learner, _tool  # noqa: E402


def _submit(root: Path, count: int) -> None:
    """*count* learners handing in the release with the solutions filled in."""
    source = nbformat.read(root / "source" / NAME / f"{NAME}.ipynb", 4)
    release = nbformat.read(root / "release" / NAME / f"{NAME}.ipynb", 4)
    honest = _learner(release, source, None)
    for i in range(count):
        folder = root / "submitted" / f"learner-{i:02d}" / NAME
        folder.mkdir(parents=True)
        nbformat.write(honest, folder / f"{NAME}.ipynb")


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
