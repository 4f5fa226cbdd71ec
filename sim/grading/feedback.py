"""The steps of ``nbgrader generate_feedback``: hidden tests are cleared from test cells only.

nbgrader's ``ClearHiddenTests`` looks for its delimiters in every cell. A learner's answer that
contains the text ``BEGIN HIDDEN TESTS`` (a test copied from the course notes, a comment) then
stops the feedback of that learner: without an ``END HIDDEN TESTS`` line nbgrader raises "No end
hidden tests statement found", with one it refuses "a hidden test region in a non-grade cell";
``tools.py feedback`` and ``make feedback`` fail. The source of an autograded test cell is the
instructor's (autograde's ``OverwriteCells`` put it back), so only test cells are cleared; an
answer is shown as the learner wrote it.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

__all__ = ["ClearHiddenTestsInTestCells", "feedback_steps"]


class ClearHiddenTestsInTestCells(ClearHiddenTests):
    """``ClearHiddenTests`` for the autograded test cells (graded, not an answer); other cells
    pass through unchanged."""

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> tuple[Any, Any]:
        if utils.is_grade(cell) and not utils.is_solution(cell):
            return super().preprocess_cell(cell, resources, cell_index)
        return cell, resources


def feedback_steps() -> list[type]:
    """The feedback steps: hidden tests cleared from test cells (nbgrader shows them by default),
    then nbgrader's own scores and page style."""
    return [ClearHiddenTestsInTestCells, GetGrades, CSSHTMLHeaderPreprocessor]
