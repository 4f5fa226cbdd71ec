"""Interactive views for the course notebooks and the planners' app; the only part of ``sim``
that imports ipywidgets.

Every view is a thin :class:`~sim.widgets.base.View` over pure functions elsewhere in ``sim``:
its controls and outputs are attributes, so a test drives it headless by setting ``.value``
or clicking a button. Labels come in English and Finnish from ``sim/data/strings*.yaml``;
pass ``lang="fi"``. One module per concept:

* :mod:`sim.widgets.base` – :class:`View` (language and a static HTML snapshot that the offline
  course site shows without a kernel), :class:`RunView` (status line, progress bar, a guarded
  run), escaping and pictures with alt text;
* :mod:`sim.widgets.quiz` – ``quiz("m01", lang="fi")``, the self-check quiz that lets a learner try
  again and saves their progress;
* :mod:`sim.widgets.progress` – module 0: ``my_progress(lang="fi")``, the learner's own progress,
  what to study next and their completion record;
* :mod:`sim.widgets.services` – modules 0–3: learning path, service navigator, assessment
  explorer and role matcher (the service system);
* :mod:`sim.widgets.pathway_comparison` – module 4: the stepwise and IPS pathways on one timeline;
* :mod:`sim.widgets.fidelity` – module 5: the IPS-25 fidelity self-scoring form;
* :mod:`sim.widgets.caseplan` – module 6: the case-plan builder with the rule review;
* :mod:`sim.widgets.benefits` – modules 6 and 10: the work-income and benefits calculator and the
  month-by-month income calculator;
* :mod:`sim.widgets.employers` – module 7: the job-development planner;
* :mod:`sim.widgets.capacity` – module 8: the pathway explorer and the capacity dashboard;
* :mod:`sim.widgets.impact` – module 9: the impact calculator;
* :mod:`sim.widgets.disclosure` – module 11: the disclosure and consent planner;
* :mod:`sim.widgets.followalong` – module 12: the follow-along and job-ending planner;
* :mod:`sim.widgets.app` – the planners' app (Voilà, ``course/app/planner.ipynb``).
"""

from sim.widgets.app import PlannerApp, planner_app
from sim.widgets.base import RunView, View
from sim.widgets.benefits import BenefitsCalculator, benefits_calculator
from sim.widgets.capacity import CapacityDashboard, PathwayExplorer, capacity_dashboard, pathway_explorer
from sim.widgets.caseplan import CasePlanBuilder, caseplan_builder
from sim.widgets.disclosure import DisclosurePlanner, disclosure_planner
from sim.widgets.employers import EmployerPlanner, employer_planner
from sim.widgets.fidelity import FidelityForm, fidelity_form
from sim.widgets.followalong import FollowAlongPlanner, followalong_planner
from sim.widgets.impact import ImpactCalculator, impact_calculator
from sim.widgets.pathway_comparison import PathwayComparisonView, pathway_comparison, pathway_figure
from sim.widgets.progress import ProgressView, my_progress
from sim.widgets.quiz import QuestionView, QuizView, quiz
from sim.widgets.services import (
    AssessmentExplorer,
    LearningPath,
    RoleMatcher,
    ServiceNavigator,
    assessment_explorer,
    learning_path,
    role_matcher,
    service_navigator,
)

__all__ = [
    "View", "RunView",
    "quiz", "QuizView", "QuestionView",
    "my_progress", "ProgressView",
    "learning_path", "LearningPath",
    "service_navigator", "ServiceNavigator",
    "assessment_explorer", "AssessmentExplorer",
    "role_matcher", "RoleMatcher",
    "pathway_comparison", "PathwayComparisonView", "pathway_figure",
    "fidelity_form", "FidelityForm",
    "caseplan_builder", "CasePlanBuilder",
    "benefits_calculator", "BenefitsCalculator",
    "employer_planner", "EmployerPlanner",
    "pathway_explorer", "PathwayExplorer", "capacity_dashboard", "CapacityDashboard",
    "impact_calculator", "ImpactCalculator",
    "disclosure_planner", "DisclosurePlanner",
    "followalong_planner", "FollowAlongPlanner",
    "planner_app", "PlannerApp",
]
