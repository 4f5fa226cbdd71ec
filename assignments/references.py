"""What each assignment's hidden tests compare learners' answers with (see sim/grading/references.py).

A recipe gets the namespace of the assignment's source notebook after its setup and solution
cells have run (the model answer) and returns ``{"_REF_NAME": value}`` for every reference line of
the notebook's hidden tests. ``python tools.py references ASSIGNMENT --write`` writes them in;
``tools.py release`` refuses an assignment whose lines no longer match its recipe.
"""

from __future__ import annotations

from typing import Any


def _ci(ci: Any) -> dict[str, float]:
    """A confidence interval's ends, rounded to 4 decimals (the tests allow 0.01)."""
    return {end: round(float(getattr(ci, end)), 4) for end in ("mean", "low", "high")}


def fidelity_review(ns: dict[str, Any]) -> dict[str, Any]:
    ratings = ns["ratings"]  # the model answer is the reviewers' consensus
    return {
        "_REF_JUDGEMENT": {i: int(r) for i, r in ns["JUDGEMENT_RATINGS"].items()},
        "_REF_EVIDENCE_RATINGS": {i: int(ratings[i]) for i in ns["EVIDENCE_ITEMS"]},
        "_REF_TOTAL": int(ns["total"]),
        "_REF_BAND": str(ns["band_key"]),
        "_REF_NEXT_REVIEW_MONTHS": int(ns["next_review_months"]),
        "_REF_TOP3": [str(p) for p in ns["priorities"]],
    }


def case_plan(ns: dict[str, Any]) -> dict[str, Any]:
    return {
        "_REF_FIRST_CONTACT_MAX_WEEK": int(ns["casereview"].RAPID_SEARCH_MAX_WEEK),
        "_REF_EARNINGS_LIMIT": round(float(ns["earnings_limit_eur"]), 2),
    }


def capacity_plan(ns: dict[str, Any]) -> dict[str, Any]:
    target = ns["sim"].parse_target(ns["TARGET"])
    on_mean = [r["ips.coaches"] for r in ns["staffing"].table([target.kpi])
               if r[f"{target.kpi}.mean"] <= target.value]
    return {
        "_REF_DRAFT_P90": _ci(ns["draft_p90"]),
        "_REF_DRAFT_MEETS_TARGET": bool(ns["draft_meets_target"]),
        "_REF_FEWEST_COACHES": int(ns["fewest_coaches"]),
        "_REF_FEWEST_ON_MEAN": int(min(on_mean)),
        "_REF_P90_DIFFERENCE": _ci(ns["p90_difference"]),
        "_REF_SHORTENS_P90": bool(ns["seventh_coach_shortens_p90"]),
        "_REF_RAISES_30D_SHARE": bool(ns["seventh_coach_raises_30d_share"]),
    }


RECIPES = {"fidelity_review": fidelity_review, "case_plan": case_plan, "capacity_plan": capacity_plan}
