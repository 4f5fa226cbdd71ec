"""The self-check quiz view: ``quiz("m01", lang="fi")`` in a notebook.

A thin view over :mod:`sim.learning.quiz`: it shows the questions, and on *Check* it
shows, for every option, whether it was right and why, plus a score. Nothing
about the right answers is in the notebook; they are checked against hashes.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from sim.learning import quiz as quizlib
from sim.learning.text import t
from sim.widgets.base import View, esc, sources_html

__all__ = ["QuestionView", "QuizView", "quiz"]

_MARK = {"right": "✔", "wrong": "✘", "missed": "➜", "neutral": "•"}
_COLOUR = {"right": "#060", "wrong": "#a00", "missed": "#a60", "neutral": "#444"}


class QuestionView(widgets.VBox):
    """One question: ``control`` is a RadioButtons (single), a VBox of ``checkboxes``
    (multiple) or a Text box (numeric); ``feedback`` shows the explained result."""

    def __init__(self, question: quizlib.Question, number: int, lang: str) -> None:
        super().__init__()
        self.question = question
        self.checkboxes: dict[str, widgets.Checkbox] = {}
        hint = t(f"quiz.hint.{question.kind}", lang)
        self.prompt = widgets.HTML(f"<p><b>{number}. {esc(question.prompt[lang])}</b> "
                                   f"<em>({esc(hint)})</em></p>")
        if question.kind == "single":
            self.control = widgets.RadioButtons(options=[(o.text[lang], o.id) for o in question.options],
                                                index=None, layout=widgets.Layout(width="auto"))
        elif question.kind == "multiple":
            self.checkboxes = {o.id: widgets.Checkbox(value=False, description=o.text[lang], indent=False,
                                                      layout=widgets.Layout(width="auto"))
                               for o in question.options}
            self.control = widgets.VBox(list(self.checkboxes.values()))
        else:
            unit = f" {question.unit[lang]}" if question.unit else ""
            self.control = widgets.Text(value="", placeholder=t("quiz.number_placeholder", lang) + unit,
                                        layout=widgets.Layout(width="14em"))
        self.feedback = widgets.HTML()
        self.children = [self.prompt, self.control, self.feedback]

    @property
    def answer(self) -> Any:
        """The current answer in the form :func:`sim.learning.quiz.check_answer` takes."""
        if self.question.kind == "multiple":
            return [oid for oid, box in self.checkboxes.items() if box.value]
        return self.control.value

    def set_answer(self, value: Any) -> None:
        """Set the answer as a learner would (an option id, a list of ids, or a number)."""
        if self.question.kind == "multiple":
            chosen = {value} if isinstance(value, str) else set(value)
            for oid, box in self.checkboxes.items():
                box.value = oid in chosen
        elif self.question.kind == "numeric":
            self.control.value = str(value)
        else:
            self.control.value = value


def _render(result: quizlib.QuestionFeedback, question: quizlib.Question, lang: str) -> str:
    colour = "#060" if result.correct else ("#a00" if result.answered else "#444")
    parts = [f'<p style="color:{colour}"><b>{esc(result.message)}</b></p>']
    if result.options:
        rows = []
        for o in result.options:
            note = t(f"quiz.verdict.{o.verdict}", lang)
            rows.append(f'<li style="color:{_COLOUR[o.verdict]}">{_MARK[o.verdict]} <b>{esc(o.text)}</b>'
                        f'{" — " + esc(note) if note else ""}<br><span style="color:#222">'
                        f"{esc(o.explanation)}</span></li>")
        parts.append(f'<ul style="list-style:none;padding-left:0.5em">{"".join(rows)}</ul>')
    if result.explanation:
        parts.append(f"<p>{esc(result.explanation)}</p>")
    if result.answered and question.sources:
        parts.append(f"<p>{esc(t('quiz.sources', lang))}:{sources_html(question.sources)}</p>")
    return "".join(parts)


class QuizView(View):
    """A module's self-check quiz: ``questions`` by id, ``check_button``, ``score``."""

    def __init__(self, quiz_id: str, lang: str = "en") -> None:
        super().__init__(lang)
        self.quiz = quizlib.load_quiz(quiz_id)
        self.title = widgets.HTML(f"<h3>{esc(self.quiz.title[self.lang])}</h3>")
        self.questions = {q.id: QuestionView(q, n, self.lang) for n, q in enumerate(self.quiz.questions, 1)}
        self.check_button = widgets.Button(description=t("quiz.check", self.lang), button_style="primary",
                                           icon="check")
        self.score = widgets.HTML()
        self.results: dict[str, quizlib.QuestionFeedback] = {}
        self.check_button.on_click(lambda _: self.check())
        self.children = [self.title, *self.questions.values(), self.check_button, self.score]

    def answers(self) -> dict[str, Any]:
        return {qid: view.answer for qid, view in self.questions.items()}

    def check(self) -> quizlib.Score:
        """Check every question, show explained feedback under each, and the score."""
        for qid, view in self.questions.items():
            result = quizlib.check_answer(self.quiz, qid, view.answer, self.lang)
            self.results[qid] = result
            view.feedback.value = _render(result, view.question, self.lang)
        total = quizlib.score(self.results.values())
        key = "quiz.score_all" if total.all_correct else "quiz.score"
        self.score.value = f"<p><b>{esc(t(key, self.lang, correct=total.correct, total=total.total))}</b></p>"
        return total

    def snapshot_body(self) -> str:
        lang = self.lang
        items = []
        for q in self.quiz.questions:
            mark = "○" if q.kind == "single" else "☐"
            options = "".join(f"<li>{mark} {esc(o.text[lang])}</li>" for o in q.options)
            numeric = f"<p>{esc(t('quiz.number_placeholder', lang))}: ____</p>" if q.kind == "numeric" else ""
            items.append(f'<li><p><b>{esc(q.prompt[lang])}</b></p><ul style="list-style:none">{options}</ul>'
                         f"{numeric}</li>")
        return f"<h3>{esc(self.quiz.title[lang])}</h3><ol>{''.join(items)}</ol>"


def quiz(quiz_id: str, lang: str = "en") -> QuizView:
    """Show module *quiz_id*'s self-check quiz, e.g. ``quiz("m01", lang="fi")``."""
    return QuizView(quiz_id, lang)
