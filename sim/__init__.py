"""tyokyky-course's library: the work-ability pathway simulation and the course's domain tools.

The simulation is the top level (``import sim`` gives its main names):

- :mod:`sim.scenario` — the frozen, validated scenario, its one file loader and the presets;
- :mod:`sim.engine`, :mod:`sim.journeys`, :mod:`sim.resources`, :mod:`sim.streams`,
  :mod:`sim.model` — one replication: the event core, the clients' journeys through the
  pathway stages, capacity pools, named random streams, and ``run(scenario, seed)``;
- :mod:`sim.results`, :mod:`sim.stats`, :mod:`sim.experiment` — the event log and KPIs,
  output analysis, replications, comparisons, sweeps and the fewest-staff search;
- :mod:`sim.plots`, :mod:`sim.report`, :mod:`sim.planner`, :mod:`sim.cli` — figures, run
  records (CSV, xlsx, STRESS-DES), the planners' tables and downloads, and ``worksim``.

Rooms for the rest: :mod:`sim.practice` (the fidelity scale, case plans and their review,
benefit rules, the service system, employers, impact), :mod:`sim.learning` (bilingual text and
quizzes), :mod:`sim.grading` (the sandbox for learners' notebooks) and :mod:`sim.widgets` (the
views; the only part that imports ipywidgets). ``sim/README.md`` says how to add a stage.
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
