"""The self-check quiz view: ``quiz("m01", lang="fi")`` in a notebook.

A thin view over :mod:`sim.learning.quiz` that teaches: on *Check*, a right answer is
explained option by option; a wrong one shows why the chosen option is not right and a hint,
and the learner tries again. The answer is shown after
:data:`~sim.learning.quiz.MAX_WRONG_TRIES` wrong tries or on *Show the answer*. Every checked
try is saved in the learner's own progress store (:mod:`sim.learning.progress`), never in the
notebook; nothing about the right answers is in the notebook either (they are hashes).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import ipywidgets as widgets

from sim.learning import progress as progresslib
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
                                        description=t("quiz.number_label", lang, number=number),
                                        style={"description_width": "initial"},
                                        layout=widgets.Layout(width="20em"))
        self.feedback = widgets.HTML()
        self.show_button = widgets.Button(description=t("quiz.show_answer", lang), icon="eye",
                                          layout=widgets.Layout(display="none", width="auto"))
        self.wrong_tries = 0
        self.revealed = False  # the answer is shown (after a right answer, N wrong tries or on request)
        self.last_try: quizlib.Try | None = None
        self.last_answer: Any = None
        self.children = [self.prompt, self.control, self.feedback, self.show_button]

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


def _render(result: quizlib.QuestionFeedback, question: quizlib.Question, lang: str,
            message: str = "") -> str:
    """Every option explained (the answer shown)."""
    colour = "#060" if result.correct else ("#a00" if result.answered else "#444")
    parts = [f'<p style="color:{colour}"><b>{esc(message or result.message)}</b></p>']
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
    if question.sources and (result.answered or message):
        parts.append(f"<p>{esc(t('quiz.sources', lang))}:{sources_html(question.sources)}</p>")
    return "".join(parts)


def _render_try(attempt: quizlib.Try, question: quizlib.Question, lang: str) -> str:
    """What one try shows: everything once the answer is shown, else the chosen options' reasons
    and a hint (never the right option)."""
    if attempt.revealed:
        message = attempt.message if attempt.message != attempt.feedback.message else ""
        return _render(attempt.feedback, question, lang, message)
    if not attempt.answered:
        return f'<p style="color:#444"><b>{esc(attempt.message)}</b></p>'
    parts = [f'<p style="color:#a00"><b>{esc(attempt.message)}</b></p>']
    if attempt.chosen:
        rows = "".join(f'<li style="color:{_COLOUR["wrong"]}">{_MARK["wrong"]} <b>{esc(o.text)}</b> — '
                       f'{esc(t("quiz.verdict.wrong", lang))}<br><span style="color:#222">'
                       f"{esc(o.explanation)}</span></li>" for o in attempt.chosen)
        parts.append(f'<ul style="list-style:none;padding-left:0.5em">{rows}</ul>')
    if attempt.note:
        parts.append(f"<p>{esc(attempt.note)}</p>")
    parts.append(f'<p style="color:#335"><b>{esc(t("quiz.hint_label", lang))}:</b> {esc(attempt.hint)}</p>')
    return "".join(parts)


class QuizView(View):
    """A module's self-check quiz: ``questions`` by id, ``check_button``, ``score``, ``status``.

    *store* is the learner's :class:`~sim.learning.progress.ProgressStore` (default: the current
    user's); ``store=False`` keeps nothing. A store that cannot be written is reported, not fatal.
    """

    def __init__(self, quiz_id: str, lang: str = "en",
                 store: progresslib.ProgressStore | None | bool = None) -> None:
        super().__init__(lang)
        self.quiz = quizlib.load_quiz(quiz_id)
        self.title = widgets.HTML(f"<h3>{esc(self.quiz.title[self.lang])}</h3>")
        self.questions = {q.id: QuestionView(q, n, self.lang) for n, q in enumerate(self.quiz.questions, 1)}
        self.check_button = widgets.Button(description=t("quiz.check", self.lang), button_style="primary",
                                           icon="check")
        self.score = widgets.HTML()
        self.status = widgets.HTML()
        self.results: dict[str, quizlib.QuestionFeedback] = {}
        self.check_button.on_click(lambda _: self.check())
        for qid, view in self.questions.items():
            view.show_button.on_click(lambda _, qid=qid: self.show_answer(qid))
        self.children = [self.title, *self.questions.values(), self.check_button, self.score, self.status]
        self.store = progresslib.default_store() if store is None else (store or None)
        self._save(lambda s: s.open_module(quiz_id))

    def _save(self, action) -> None:
        """Record in the progress store; a failure is shown, never raised."""
        if self.store is None:
            return
        try:
            action(self.store)
        except (OSError, ValueError) as exc:
            self.status.value = f'<p style="color:#8a4b00">{esc(self._t("quiz.not_saved", error=exc))}</p>'
            self.store = None
            return
        if self.store.warning:
            self.status.value = (f'<p style="color:#8a4b00">'
                                 f'{esc(self._t("progress.set_aside", path=self.store.warning))}</p>')
        else:
            self.status.value = f'<p style="color:#666"><small>{esc(self._t("quiz.saved"))}</small></p>'

    def answers(self) -> dict[str, Any]:
        return {qid: view.answer for qid, view in self.questions.items()}

    def check(self) -> quizlib.Score:
        """Check every question that has a new answer; show what the learner may see, and the score."""
        for qid, view in self.questions.items():
            answer = view.answer
            if view.last_try is not None and answer == view.last_answer:
                continue  # the same answer again is not a new try
            shown = view.revealed
            if shown:  # once the answer is shown, checking simply explains, and is not recorded
                attempt = quizlib.teach(self.quiz, qid, answer, self.lang, reveal=True)
                attempt = replace(attempt, message=attempt.feedback.message)
            else:
                attempt = quizlib.teach(self.quiz, qid, answer, self.lang, wrong_before=view.wrong_tries)
            self._show(view, attempt, answer)
            if attempt.answered and not shown:
                correct = attempt.correct
                self._save(lambda s, qid=qid, correct=correct: s.record_attempt(self.quiz.id, qid, correct))
        return self._score()

    def show_answer(self, question_id: str) -> quizlib.Try:
        """Show the answer to one question (the learner asked; it no longer counts as right)."""
        view = self.questions[question_id]
        attempt = quizlib.teach(self.quiz, question_id, view.answer, self.lang,
                                wrong_before=view.wrong_tries, reveal=True)
        if not view.revealed:
            self._save(lambda s: s.record_attempt(self.quiz.id, question_id, False, revealed=True))
        self._show(view, attempt, view.answer)
        self._score()
        return attempt

    def _show(self, view: QuestionView, attempt: quizlib.Try, answer: Any) -> None:
        view.wrong_tries = attempt.wrong_tries
        view.revealed = view.revealed or attempt.revealed
        view.last_try, view.last_answer = attempt, answer
        self.results[view.question.id] = attempt.feedback
        view.feedback.value = _render_try(attempt, view.question, self.lang)
        wrong_so_far = view.wrong_tries > 0 and not view.revealed
        view.show_button.layout.display = None if wrong_so_far else "none"

    def _score(self) -> quizlib.Score:
        total = quizlib.Score(sum(r.correct for r in self.results.values()), len(self.questions))
        if self.results:
            key = "quiz.score_all" if total.all_correct else "quiz.score"
            text = t(key, self.lang, correct=total.correct, total=total.total)
            self.score.value = f"<p><b>{esc(text)}</b></p>"
        return total

    def snapshot_body(self) -> str:
        lang = self.lang
        items = []
        for q in self.quiz.questions:
            mark = "○" if q.kind == "single" else "☐"
            options = "".join(f"<li>{mark} {esc(o.text[lang])}</li>" for o in q.options)
            numeric = f"<p>{esc(t('quiz.number_placeholder', lang))}: ____</p>" if q.kind == "numeric" else ""
            items.append(f'<li><p><b>{esc(q.prompt[lang])}</b></p><ul style="list-style:none">{options}</ul>'
                         f"{numeric}{_answer_details(self.quiz, q, lang)}</li>")
        return f"<h3>{esc(self.quiz.title[lang])}</h3><ol>{''.join(items)}</ol>"


def _answer_details(quiz: quizlib.Quiz, q: quizlib.Question, lang: str) -> str:
    """The right answer and its explanation in a closed ``<details>``, for the static course site."""
    if q.kind == "numeric":
        body = f"<p>{esc(q.explanation[lang])}</p>" if q.explanation else ""
    else:
        right = quizlib.correct_option_ids(quiz, q)
        body = "".join(f"<p>✔ <b>{esc(o.text[lang])}</b>: {esc(o.explanation[lang])}</p>"
                       for o in q.options if o.id in right)
    return (f'<details class="tyokyky-answer"><summary>{esc(t("quiz.show_answer", lang))}</summary>'
            f"{body}{sources_html(q.sources)}</details>")


def quiz(quiz_id: str, lang: str = "en", store: progresslib.ProgressStore | None | bool = None) -> QuizView:
    """Show module *quiz_id*'s self-check quiz, e.g. ``quiz("m01", lang="fi")``; answers are saved in
    the learner's own progress store (``store=False``: not saved)."""
    return QuizView(quiz_id, lang, store)
