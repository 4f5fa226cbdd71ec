"""tyokyky-course's library: the work-ability pathway simulation and the domain tools.

- :mod:`sim.scenario` — the frozen, validated scenario and its YAML presets;
- :mod:`sim.model` — ``run(scenario, seed)``, one simpy replication of the client pathways;
- :mod:`sim.experiment` — replications with confidence intervals, paired comparisons,
  sweeps and the fewest-staff search;
- :mod:`sim.plots`, :mod:`sim.report` — figures and run records (CSV, xlsx, STRESS-DES);
- :mod:`sim.practice.fidelity`, :mod:`sim.practice.caseplan` — the 25-item fidelity scale and case-plan rules;
- :mod:`sim.practice.services`, :mod:`sim.practice.employers`, :mod:`sim.practice.impact`, :mod:`sim.planner` — the pure
  logic behind the course's and the planners' widgets; :mod:`sim.learning.text`, :mod:`sim.learning.quiz` —
  bilingual labels and self-check quizzes;
- :mod:`sim.widgets` — notebook and app views (the only place that imports ipywidgets).
"""

from .experiment import (
                         Comparison,
                         Replications,
                         SweepResult,
                         Target,
                         compare,
                         min_staffing,
                         offered_load,
                         parse_target,
                         replicate,
                         sweep,
                         warmup_analysis,
)
from .model import run
from .results import KPIS, RunResult
from .scenario import (
                         Scenario,
                         ScenarioError,
                         list_presets,
                         load_scenario,
                         preset,
                         resolve,
                         save_scenario,
                         scenario_from_text,
)

__version__ = "0.1.0"

__all__ = [
    "Scenario", "ScenarioError", "load_scenario", "save_scenario", "scenario_from_text",
    "preset", "list_presets", "resolve", "run", "RunResult", "KPIS", "replicate",
    "Replications", "compare", "Comparison", "sweep", "SweepResult", "min_staffing",
    "offered_load", "Target", "parse_target", "warmup_analysis", "__version__",
]
