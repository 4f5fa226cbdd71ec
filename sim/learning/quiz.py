"""Self-check quizzes: load a quiz, check an answer, explain every option.

Quizzes live in ``sim/data/quizzes/<quiz_id>.yaml`` with English and Finnish
side by side; every text is checked by :func:`sim.learning.text.bilingual` (both
languages, the same ``{placeholders}``) and kept as a :class:`~sim.learning.text.Bilingual`.
The right answers are stored only as salted SHA-256 hashes of
``"<quiz_id>:<question_id>:<option_id>"``, so neither the notebook nor the YAML
shows them as plain text; the checker hashes a learner's choice and compares.

Every question says what it asks of the learner in ``skill`` (required; one of :data:`SKILLS`):

* ``apply``  – use a rule the module teaches in a situation: a short conversation with a
  (fictional) client, a team decision, a planning choice;
* ``recall`` – remember a fact, a figure or a definition.

At least half of each module's questions are ``apply`` (``tests/test_quiz.py`` checks every quiz
file it finds, so new modules' quizzes need the field too).

Three kinds of question:

* ``single``   – one right option (radio buttons);
* ``multiple`` – one or more right options, all must be chosen and no others;
* ``numeric``  – a number; the key is the hash of the answer in units of
  ``10**-decimals`` and answers within ``tolerance`` such units are accepted.

Quizzes teach: :func:`teach` checks one try and, after a wrong one, explains only the
option(s) the learner chose and gives the question's ``hint`` (optional in the YAML, en and fi;
a generic "read the explanation and try again" where there is none). The right answer is shown
only after :data:`MAX_WRONG_TRIES` wrong tries or when the learner asks for it.

Authors get keys with ``python -m sim.learning.quiz key m01 q2 b`` (see :func:`main`).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import yaml

from sim.learning.text import DATA_DIR, Bilingual, bilingual, check_language, t

__all__ = [
    "QUIZ_DIR",
    "KINDS",
    "SKILLS",
    "MAX_WRONG_TRIES",
    "Option",
    "Question",
    "Quiz",
    "OptionFeedback",
    "QuestionFeedback",
    "Score",
    "Try",
    "answer_hash",
    "available_quizzes",
    "check_answer",
    "correct_option_ids",
    "load_quiz",
    "parse_number",
    "score",
    "teach",
    "main",
]

QUIZ_DIR = DATA_DIR / "quizzes"
KINDS = ("single", "multiple", "numeric")
SKILLS = ("apply", "recall")  # what a question asks: use a rule in a situation, or remember a fact
MAX_WRONG_TRIES = 2  # the right answer is shown after this many wrong tries
_ID = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Option:
    """One answer option with its text and why it is (or is not) right."""

    id: str
    text: Bilingual
    explanation: Bilingual


@dataclass(frozen=True)
class Question:
    """One question. ``key`` holds hashes only; see :func:`answer_hash`."""

    id: str
    kind: str
    prompt: Bilingual
    key: tuple[str, ...]
    skill: str = "recall"  # one of SKILLS; the loader requires it in the YAML
    options: tuple[Option, ...] = ()
    explanation: Bilingual | None = None  # numeric questions
    unit: Bilingual | None = None  # numeric questions
    decimals: int = 0
    tolerance: int = 0  # in units of 10**-decimals
    sources: tuple[str, ...] = ()
    hint: Bilingual | None = None  # shown after a wrong try; points to where the module explains it

    def option(self, option_id: str) -> Option:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(f"question {self.id!r} has no option {option_id!r}")


@dataclass(frozen=True)
class Quiz:
    """A module's self-check quiz."""

    id: str
    title: Bilingual
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"quiz {self.id!r} has no question {question_id!r}")


@dataclass(frozen=True)
class OptionFeedback:
    """What the learner sees for one option after checking.

    ``verdict`` is ``"right"`` (a right option, chosen), ``"wrong"`` (chosen but
    not right), ``"missed"`` (right but not chosen) or ``"neutral"``.
    """

    option_id: str
    selected: bool
    is_key: bool
    verdict: str
    text: str
    explanation: str


@dataclass(frozen=True)
class QuestionFeedback:
    """The result of checking one question in one language."""

    question_id: str
    answered: bool
    correct: bool
    message: str
    options: tuple[OptionFeedback, ...] = ()
    explanation: str = ""  # numeric questions


@dataclass(frozen=True)
class Score:
    correct: int
    total: int

    @property
    def all_correct(self) -> bool:
        return self.total > 0 and self.correct == self.total


def answer_hash(quiz_id: str, question_id: str, option_id: str) -> str:
    """The stored key for one right option (or one numeric answer in units)."""
    return hashlib.sha256(f"{quiz_id}:{question_id}:{option_id}".encode()).hexdigest()


def available_quizzes() -> tuple[str, ...]:
    """Quiz ids that have a YAML file, sorted (``("m00", "m01", ...)``)."""
    return tuple(sorted(path.stem for path in QUIZ_DIR.glob("*.yaml")))


def _sources(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    codes = tuple(str(code).strip() for code in value)
    for code in codes:
        if not re.fullmatch(r"[SC]\d+", code):
            raise ValueError(f"{where}: source {code!r} is not a code such as S3 or C25")
    return codes


def _parse_question(quiz_id: str, raw: Mapping[str, Any], where: str) -> Question:
    qid = str(raw.get("id", ""))
    if not _ID.match(qid):
        raise ValueError(f"{where}: question id {qid!r} must be lower-case letters, digits or _")
    where = f"{where} {qid}"
    kind = raw.get("kind", "single")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    skill = raw.get("skill")
    if skill not in SKILLS:
        found = "missing" if skill is None else repr(skill)
        raise ValueError(f"{where}: skill is {found}; write skill: apply (use a rule in a situation) "
                         f"or skill: recall (remember a fact), one of {', '.join(SKILLS)}")
    key = tuple(str(h) for h in (raw.get("key") or ()))
    if not key or not all(re.fullmatch(r"[0-9a-f]{64}", h) for h in key):
        raise ValueError(f"{where}: key must be a list of sha256 hex digests "
                         "(python -m sim.learning.quiz key)")
    common = dict(
        id=qid,
        kind=kind,
        prompt=bilingual(raw.get("prompt"), f"{where}.prompt"),
        key=key,
        skill=skill,
        sources=_sources(raw.get("sources"), f"{where}.sources"),
        hint=bilingual(raw["hint"], f"{where}.hint") if raw.get("hint") is not None else None,
    )
    if kind == "numeric":
        decimals, tolerance = int(raw.get("decimals", 0)), int(raw.get("tolerance", 0))
        if not 0 <= decimals <= 3 or not 0 <= tolerance <= 1000:
            raise ValueError(f"{where}: decimals must be 0..3 and tolerance 0..1000 units")
        if len(key) != 1:
            raise ValueError(f"{where}: a numeric question has exactly one key")
        unit = raw.get("unit")
        return Question(
            **common,
            explanation=bilingual(raw.get("explanation"), f"{where}.explanation"),
            unit=bilingual(unit, f"{where}.unit") if unit is not None else None,
            decimals=decimals,
            tolerance=tolerance,
        )
    options = []
    for index, opt in enumerate(raw.get("options") or ()):
        oid = str(opt.get("id", ""))
        if not _ID.match(oid):
            raise ValueError(f"{where}.options[{index}]: option id {oid!r} is not valid")
        options.append(
            Option(
                id=oid,
                text=bilingual(opt.get("text"), f"{where}.options.{oid}.text"),
                explanation=bilingual(
                    opt.get("explanation"), f"{where}.options.{oid}.explanation"
                ),
            )
        )
    ids = [o.id for o in options]
    if len(options) < 2 or len(set(ids)) != len(ids):
        raise ValueError(f"{where}: needs at least two options with unique ids, got {ids}")
    hashes = {answer_hash(quiz_id, qid, oid): oid for oid in ids}
    unknown = [h for h in key if h not in hashes]
    if unknown:
        raise ValueError(f"{where}: {len(unknown)} key hash(es) match no option (stale key?)")
    if kind == "single" and len(key) != 1:
        raise ValueError(f"{where}: a single-choice question has exactly one key, got {len(key)}")
    return Question(**common, options=tuple(options))


@cache
def load_quiz(quiz_id: str) -> Quiz:
    """Load and validate ``sim/data/quizzes/<quiz_id>.yaml``."""
    path = QUIZ_DIR / f"{quiz_id}.yaml"
    if not _ID.match(quiz_id) or not path.is_file():
        raise FileNotFoundError(
            f"no quiz {quiz_id!r}; available: {', '.join(available_quizzes()) or 'none'}"
        )
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    where = path.name
    if raw.get("quiz_id") != quiz_id:
        raise ValueError(f"{where}: quiz_id is {raw.get('quiz_id')!r}, expected {quiz_id!r}")
    questions = tuple(
        _parse_question(quiz_id, q, f"{where}:") for q in (raw.get("questions") or ())
    )
    if not questions:
        raise ValueError(f"{where}: no questions")
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{where}: duplicate question ids in {ids}")
    return Quiz(
        id=quiz_id,
        title=bilingual(raw.get("title"), f"{where}: title"),
        questions=questions,
    )


def correct_option_ids(quiz: Quiz, question: Question) -> frozenset[str]:
    """The right option ids of a choice question (recovered by hashing each option)."""
    return frozenset(
        o.id for o in question.options if answer_hash(quiz.id, question.id, o.id) in question.key
    )


def parse_number(value: Any) -> float | None:
    """A number from learner input; accepts ``"12,5"`` (Finnish comma) and ``"61 %"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value or "").strip().replace("\u2212", "-").replace(" ", "").rstrip("%")
    text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _check_numeric(quiz: Quiz, q: Question, answer: Any, lang: str) -> QuestionFeedback:
    number = parse_number(answer)
    if number is None:
        blank = str(answer or "").strip() == ""
        message = t("quiz.unanswered" if blank else "quiz.number_invalid", lang)
        return QuestionFeedback(q.id, answered=False, correct=False, message=message)
    units = round(number * 10**q.decimals)
    correct = any(
        answer_hash(quiz.id, q.id, str(units + delta)) in q.key
        for delta in range(-q.tolerance, q.tolerance + 1)
    )
    return QuestionFeedback(
        q.id,
        answered=True,
        correct=correct,
        message=t("quiz.correct" if correct else "quiz.incorrect", lang),
        explanation=q.explanation[lang] if q.explanation else "",
    )


def check_answer(quiz: Quiz, question_id: str, answer: Any, lang: str = "en") -> QuestionFeedback:
    """Check one answer and explain every option in *lang*.

    *answer* is an option id (single), an iterable of option ids (multiple) or
    a number / numeric string (numeric). ``None`` or an empty selection counts
    as unanswered.
    """
    check_language(lang)
    q = quiz.question(question_id)
    if q.kind == "numeric":
        return _check_numeric(quiz, q, answer, lang)
    if answer is None or answer == "":
        selected: frozenset[str] = frozenset()
    elif isinstance(answer, str):
        selected = frozenset([answer])
    else:
        selected = frozenset(answer)
    unknown = selected - {o.id for o in q.options}
    if unknown:
        raise KeyError(f"question {q.id!r} has no option(s) {sorted(unknown)}")
    if q.kind == "single" and len(selected) > 1:
        raise ValueError(f"question {q.id!r} takes one option, got {sorted(selected)}")
    right = correct_option_ids(quiz, q)
    options = []
    for o in q.options:
        chosen, is_key = o.id in selected, o.id in right
        verdict = (
            "right" if chosen and is_key else
            "wrong" if chosen else
            "missed" if is_key and selected else
            "neutral"
        )
        options.append(OptionFeedback(o.id, chosen, is_key, verdict, o.text[lang], o.explanation[lang]))
    if not selected:
        return QuestionFeedback(q.id, False, False, t("quiz.unanswered", lang))
    correct = selected == right
    return QuestionFeedback(
        q.id,
        answered=True,
        correct=correct,
        message=t("quiz.correct" if correct else "quiz.incorrect", lang),
        options=tuple(options),
    )


@dataclass(frozen=True)
class Try:
    """One checked try of one question, as a teaching quiz shows it.

    ``revealed`` is true when the right answer is shown (after a right answer, after
    ``max_wrong`` wrong tries, or on request); only then does ``feedback`` explain every option.
    Otherwise, after a wrong try, ``chosen`` explains the options the learner chose that are not
    right, ``note`` says what else is known without giving the answer away, and ``hint`` points
    to where the module explains it.
    """

    question_id: str
    answered: bool
    correct: bool
    wrong_tries: int  # wrong tries so far, this one included
    revealed: bool
    message: str
    feedback: QuestionFeedback
    chosen: tuple[OptionFeedback, ...] = ()
    note: str = ""
    hint: str = ""


def teach(quiz: Quiz, question_id: str, answer: Any, lang: str = "en", *, wrong_before: int = 0,
          reveal: bool = False, max_wrong: int = MAX_WRONG_TRIES) -> Try:
    """Check one try of a question and decide what the learner may see.

    *wrong_before* is the number of earlier wrong tries; *reveal* asks for the answer.
    """
    q = quiz.question(question_id)
    result = check_answer(quiz, question_id, answer, lang)
    if reveal:
        return Try(q.id, result.answered, result.correct, wrong_before, True,
                   t("quiz.revealed", lang), _revealed(quiz, q, result, lang))
    if not result.answered:
        return Try(q.id, False, False, wrong_before, False, result.message, result)
    if result.correct:
        return Try(q.id, True, True, wrong_before, True, result.message, result)
    wrong = wrong_before + 1
    if wrong >= max_wrong:
        return Try(q.id, True, False, wrong, True, t("quiz.revealed_after", lang, tries=wrong), result)
    chosen = tuple(o for o in result.options if o.verdict == "wrong")
    note = ""
    if q.kind == "multiple" and not chosen:
        note = t("quiz.some_missing", lang)
    elif q.kind == "multiple":
        note = t("quiz.some_wrong", lang)
    hint = q.hint[lang] if q.hint else t("quiz.hint_generic", lang)
    return Try(q.id, True, False, wrong, False, t("quiz.try_again", lang), result, chosen, note, hint)


def _revealed(quiz: Quiz, q: Question, result: QuestionFeedback, lang: str) -> QuestionFeedback:
    """Feedback that shows the right answer even when nothing (or a wrong number) was entered."""
    if q.kind == "numeric":
        return replace(result, explanation=q.explanation[lang] if q.explanation else "")
    if result.options:
        return result
    right = correct_option_ids(quiz, q)
    options = tuple(OptionFeedback(o.id, False, o.id in right, "missed" if o.id in right else "neutral",
                                   o.text[lang], o.explanation[lang]) for o in q.options)
    return QuestionFeedback(q.id, False, False, result.message, options)


def score(feedback: Iterable[QuestionFeedback]) -> Score:
    """How many questions are fully right."""
    items = list(feedback)
    return Score(correct=sum(f.correct for f in items), total=len(items))


# --- authoring tool -------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.learning.quiz``: author helpers (``key``, ``validate``, ``show``)."""
    parser = argparse.ArgumentParser(prog="python -m sim.learning.quiz", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_key = sub.add_parser("key", help="print the key hashes to paste into a question")
    p_key.add_argument("quiz_id")
    p_key.add_argument("question_id")
    p_key.add_argument(
        "answers", nargs="+",
        help="right option ids; for a numeric question the answer in units of 10**-decimals",
    )
    p_val = sub.add_parser("validate", help="load and check quiz files")
    p_val.add_argument("quiz_ids", nargs="*")
    p_show = sub.add_parser("show", help="print a quiz without its answers")
    p_show.add_argument("quiz_id")
    p_show.add_argument("--lang", default="en")
    args = parser.parse_args(argv)

    if args.command == "key":
        hashes = [answer_hash(args.quiz_id, args.question_id, a) for a in args.answers]
        print(yaml.safe_dump({"key": hashes}, default_flow_style=False).rstrip())
        return 0
    if args.command == "validate":
        failed = 0
        for quiz_id in args.quiz_ids or available_quizzes():
            try:
                quiz = load_quiz(quiz_id)
            except (OSError, ValueError) as exc:
                failed += 1
                print(f"FAIL {quiz_id}: {exc}", file=sys.stderr)
            else:
                print(f"ok   {quiz_id}: {len(quiz.questions)} questions")
        return 1 if failed else 0
    quiz = load_quiz(args.quiz_id)
    lang = check_language(args.lang)
    print(quiz.title[lang])
    for number, q in enumerate(quiz.questions, 1):
        print(f"\n{number}. [{q.id}, {q.kind}, {q.skill}] {q.prompt[lang]}")
        for o in q.options:
            print(f"   {o.id}) {o.text[lang]}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
