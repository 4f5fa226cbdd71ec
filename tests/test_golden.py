"""Back test: a small stored summary that moves only when the model is changed on purpose.

Regenerate with ``make golden`` (see tests/make_golden.py) and review the CSV diff.
"""

from __future__ import annotations

import csv
import math

import pytest
from make_golden import GOLDEN, golden_summary


def test_summary_matches_the_golden_file():
    with GOLDEN.open(newline="") as fh:
        stored = {row["metric"]: row for row in csv.DictReader(fh)}
    fresh = {row["metric"]: row for row in golden_summary()}
    assert set(fresh) == set(stored), "KPI set changed: run `make golden` if intended"
    for metric, row in fresh.items():
        for col in ("mean", "ci95_low", "ci95_high"):
            a, b = float(row[col]), float(stored[metric][col])
            if math.isnan(b):
                assert math.isnan(a), (metric, col)
            else:
                assert a == pytest.approx(b, rel=1e-9, abs=1e-12), (
                    f"{metric}.{col}: {a} != golden {b}; run `make golden` if the change is meant")
