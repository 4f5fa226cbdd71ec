"""Interactive views for the course notebooks; the only part of ``sim`` that imports ipywidgets.

Every widget is a thin view over pure functions elsewhere in ``sim`` (the
service-system rules in :mod:`sim.practice.services`, quiz checking in :mod:`sim.learning.quiz`).
Each returns an ``ipywidgets.VBox`` subclass whose controls and outputs are
attributes, so tests can drive it headless by setting ``.value``. Labels come
in English and Finnish from ``sim/data/strings.yaml``; pass ``lang="fi"``.

Modules:

* :mod:`sim.widgets.quiz` – ``quiz("m01", lang="fi")``, the self-check quiz;
* :mod:`sim.widgets.explorers` – explorers for course modules 0–4, and :class:`View`,
  the base class that adds a static HTML snapshot to a widget's display bundle so
  the offline course site (``course/build_site.py``) can show it without a kernel.
"""

from sim.widgets.explorers import (
    AssessmentExplorer,
    LearningPath,
    PathwayComparisonView,
    RoleMatcher,
    ServiceNavigator,
    View,
    assessment_explorer,
    learning_path,
    pathway_comparison,
    pathway_figure,
    role_matcher,
    service_navigator,
)
from sim.widgets.quiz import QuestionView, QuizView, quiz

__all__ = [
    # quiz
    "quiz", "QuizView", "QuestionView",
    # explorers for modules 0–4
    "learning_path", "LearningPath",
    "service_navigator", "ServiceNavigator",
    "assessment_explorer", "AssessmentExplorer",
    "role_matcher", "RoleMatcher",
    "pathway_comparison", "PathwayComparisonView", "pathway_figure",
    "View",
]

# --- modules 5–9: fidelity form, case-plan builder, benefits, employers, impact ---
from sim.widgets.forms import (  # noqa: E402
    BenefitsCalculator,
    CasePlanBuilder,
    FidelityForm,
    benefits_calculator,
    caseplan_builder,
    fidelity_form,
)
from sim.widgets.modules import (  # noqa: E402
    EmployerPlanner,
    ImpactCalculator,
    employer_planner,
    impact_calculator,
)

__all__ += ["fidelity_form", "FidelityForm", "caseplan_builder", "CasePlanBuilder",
            "benefits_calculator", "BenefitsCalculator", "employer_planner", "EmployerPlanner",
            "impact_calculator", "ImpactCalculator"]

# --- the planners' views (sim/widgets/pathways.py, sim/widgets/app.py) ---------
from sim.widgets.app import PlannerApp, planner_app  # noqa: E402
from sim.widgets.capacity import (  # noqa: E402
    CapacityDashboard,
    PathwayExplorer,
    capacity_dashboard,
    pathway_explorer,
)

__all__ += ["pathway_explorer", "PathwayExplorer", "capacity_dashboard", "CapacityDashboard",
            "planner_app", "PlannerApp"]
