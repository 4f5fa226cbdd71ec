"""Shared scenario builders for the simulation tests (small, fast, explicit)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sim import Scenario


def mmc_dict(servers: int, rho: float, *, mean_service: float = 1.0, horizon: float = 20_000,
             warmup: float = 500) -> dict[str, Any]:
    """A single-stage M/M/c queue: Poisson referrals, exponential assessment, everyone exits."""
    per_day = rho * servers / mean_service
    return {
        "name": f"mmc-c{servers}-rho{rho}",
        "horizon_days": horizon,
        "warmup_days": warmup,
        "arrivals": {"sources": {"all": per_day * 365}, "profiles": {"all": 1.0}},
        "assessment": {"coordinators": servers, "active_cases_per_coordinator": 1,
                       "duration": {"dist": "exponential", "mean": mean_service},
                       "dropout_per_year_waiting": 0},
        "team": {"enabled": False},
        "routing": {"all": {"other": 1.0}},
        "ips": {"coaches": 1},
    }


def mmc(servers: int, rho: float, **kw: Any) -> Scenario:
    return Scenario.from_dict(mmc_dict(servers, rho, **kw))


def deterministic_dict(pathway: str) -> dict[str, Any]:
    """Fixed durations, unlimited capacity, no drop-out; everyone takes ``pathway``."""
    return {
        "name": f"deterministic-{pathway}",
        "horizon_days": 2000,
        "arrivals": {"sources": {"all": 50}, "profiles": {"all": 1.0}},
        "assessment": {"coordinators": 10_000, "duration": {"dist": "deterministic", "mean": 10},
                       "dropout_per_year_waiting": 0},
        "team": {"enabled": False},
        "routing": {"all": {pathway: 1.0}},
        "ips": {"coaches": 10_000, "fidelity_score": 100, "job_finding_share": 1.0,
                "days_to_job": {"dist": "deterministic", "mean": 30},
                "job_tenure": {"dist": "deterministic", "mean": 400},
                "step_down_after_employed_days": 180, "dropout_per_year_waiting": 0,
                "dropout_per_year_in_service": 0, "discharge_after_unemployed_days": None},
        "stepwise": {"places": None, "duration": {"dist": "uniform", "low": 100, "high": 100},
                     "dropout_per_year_waiting": 0, "dropout_per_year_in_service": 0,
                     "onward": {"open_market": 1.0, "refer_ips": 0, "repeat": 0, "education": 0,
                                "pension": 0, "other": 0}},
        "vocational": {"wait": {"dist": "deterministic", "mean": 5},
                       "duration": {"dist": "deterministic", "mean": 20},
                       "employment_share": 1.0, "dropout_per_year_in_service": 0},
    }


@pytest.fixture
def small_dict() -> dict[str, Any]:
    """A congested little county: every stage and pathway in use, runs in milliseconds."""
    return copy.deepcopy({
        "name": "small",
        "horizon_days": 730,
        "arrivals": {"sources": {"sote": 200, "social": 100}, "profiles": {"mh": 0.6, "ltu": 0.4}},
        "assessment": {"coordinators": 4, "active_cases_per_coordinator": 4,
                       "duration": {"dist": "exponential", "mean": 14},
                       "dropout_per_year_waiting": 0.5},
        "team": {"meeting_interval_days": 7, "cases_per_meeting": 10},
        "routing": {"mh": {"ips": 0.5, "stepwise": 0.2, "vocational": 0.1, "other": 0.2},
                    "ltu": {"ips": 0.3, "stepwise": 0.4, "vocational": 0.1, "pension": 0.1,
                            "education": 0.1}},
        "ips": {"coaches": 3, "caseload_per_coach": 10},
        "stepwise": {"places": 30},
        "initial": {"ips_in_service": 20, "ips_waiting": 5, "stepwise_in_service": 10,
                    "assessment_waiting": 3, "team_waiting": 2, "vocational_in_service": 2},
    })


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if anything is simulated (every check of the input must come first)."""
    import sim.experiment

    def refuse(*args, **kwargs):
        raise AssertionError("simulated before all arguments were checked")
    monkeypatch.setattr(sim.experiment, "_execute", refuse)
    monkeypatch.setattr(sim.experiment, "run", refuse)


@pytest.fixture(autouse=True, scope="session")
def _progress_store_outside_home(tmp_path_factory):
    """Quiz views save learners' progress (sim.learning.progress): never in the tester's home."""
    import os

    old = os.environ.get("TYOKYKY_PROGRESS_DIR")
    os.environ["TYOKYKY_PROGRESS_DIR"] = str(tmp_path_factory.mktemp("progress"))
    yield
    if old is None:
        os.environ.pop("TYOKYKY_PROGRESS_DIR", None)
    else:
        os.environ["TYOKYKY_PROGRESS_DIR"] = old


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, one for the whole session: Playwright's sync API
    cannot start a second instance while one is open (tests/browser_support.py)."""
    from browser_support import launch_chromium, require_chromium
    executable = require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = launch_chromium(p, executable)
        yield chromium
        chromium.close()
