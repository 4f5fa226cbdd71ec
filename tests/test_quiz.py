"""Self-check quizzes: content in both languages, hashed keys that match the intended
answers, explained feedback, and the quiz widget driven headless."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

from sim.learning import quiz as quizlib
from sim.learning.quiz import answer_hash, available_quizzes, check_answer, load_quiz, score
from sim.learning.text import LANGUAGES
from sim.widgets import QuizView, quiz

KEYS_FILE = Path(__file__).parent / "data" / "quiz_keys.yaml"
INTENDED: dict = yaml.safe_load(KEYS_FILE.read_text(encoding="utf-8"))
QUIZZES = available_quizzes()


def intended(quiz_id: str, question_id: str) -> list[str]:
    value = INTENDED[quiz_id][question_id]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def right_answer(quiz_id: str, question: quizlib.Question):
    """What a learner who knows the answer would enter."""
    answers = intended(quiz_id, question.id)
    if question.kind == "numeric":
        return int(answers[0]) / 10**question.decimals
    return answers[0] if question.kind == "single" else answers


def wrong_answer(quiz_id: str, question: quizlib.Question):
    answers = intended(quiz_id, question.id)
    if question.kind == "numeric":
        return (int(answers[0]) + question.tolerance + 5) / 10**question.decimals
    wrong = [o.id for o in question.options if o.id not in answers]
    return wrong[0] if question.kind == "single" else wrong[:1]


def raw(quiz_id: str) -> dict:
    return yaml.safe_load((quizlib.QUIZ_DIR / f"{quiz_id}.yaml").read_text(encoding="utf-8"))


# --- content -------------------------------------------------------------------


def test_every_course_module_has_a_quiz():
    assert {f"m0{i}" for i in range(10)} <= set(QUIZZES)


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_at_least_half_of_each_quiz_asks_the_learner_to_apply_a_rule(quiz_id):
    """Scenario questions (a client conversation, a team decision, a planning choice) are at least
    half of every quiz file found, so new modules' quizzes are held to it as well."""
    skills = [q.skill for q in load_quiz(quiz_id).questions]
    assert set(skills) <= set(quizlib.SKILLS)
    applying = skills.count("apply")
    assert 2 * applying >= len(skills), f"{quiz_id}: only {applying} of {len(skills)} questions apply a rule"


def test_every_quiz_file_has_intended_answers_for_exactly_its_questions():
    assert set(INTENDED) == set(QUIZZES)
    for quiz_id in QUIZZES:
        assert set(INTENDED[quiz_id]) == {q.id for q in load_quiz(quiz_id).questions}, quiz_id


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_stored_hashes_match_exactly_the_intended_answers(quiz_id):
    for q in load_quiz(quiz_id).questions:
        expected = {answer_hash(quiz_id, q.id, a) for a in intended(quiz_id, q.id)}
        assert set(q.key) == expected, f"{quiz_id}:{q.id}"
        if q.kind != "numeric":
            assert quizlib.correct_option_ids(load_quiz(quiz_id), q) == set(intended(quiz_id, q.id))


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_every_question_and_option_is_written_in_both_languages(quiz_id):
    data = raw(quiz_id)
    assert set(data["title"]) == set(LANGUAGES)
    for q in data["questions"]:
        assert all(str(q["prompt"][lang]).strip() for lang in LANGUAGES), q["id"]
        if q.get("kind") == "numeric":
            assert all(str(q["explanation"][lang]).strip() for lang in LANGUAGES), q["id"]
            continue
        for option in q["options"]:
            for field in ("text", "explanation"):
                assert all(str(option[field][lang]).strip() for lang in LANGUAGES), (q["id"], option["id"])


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_quiz_files_hold_no_plain_answer_fields(quiz_id):
    text = (quizlib.QUIZ_DIR / f"{quiz_id}.yaml").read_text(encoding="utf-8")
    for word in ("answer:", "correct:", "right:", "solution:"):
        assert word not in text
    for q in raw(quiz_id)["questions"]:
        assert set(q) <= {"id", "kind", "skill", "prompt", "options", "key", "sources", "unit", "decimals",
                          "tolerance", "explanation", "hint"}


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_explanations_do_not_open_with_a_verdict(quiz_id):
    openers = ("correct", "right", "wrong", "incorrect", "yes", "no,", "no.", "true", "false",
               "oikein", "väärin", "kyllä", "ei.", "ei,", "totta")
    for q in load_quiz(quiz_id).questions:
        for option in q.options:
            for lang in LANGUAGES:
                assert not option.explanation[lang].lower().startswith(openers), (q.id, option.id, lang)


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_the_right_option_is_not_always_in_the_same_position(quiz_id):
    positions = {
        [o.id for o in q.options].index(intended(quiz_id, q.id)[0])
        for q in load_quiz(quiz_id).questions if q.kind == "single"
    }
    singles = sum(q.kind == "single" for q in load_quiz(quiz_id).questions)
    if singles >= 3:
        assert len(positions) > 1


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_every_question_cites_known_sources(quiz_id):
    known = {f"S{n}" for n in range(5)} | {f"C{n}" for n in range(1, 80)}
    for q in load_quiz(quiz_id).questions:
        assert set(q.sources) <= known, q.id


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_every_question_cites_only_sources_in_its_modules_source_list(quiz_id):
    """A question relies on what its own module teaches: its codes are in that module's Sources."""
    course = Path(__file__).resolve().parents[1] / "course"
    for lang in LANGUAGES:
        notebooks = sorted((course / lang).glob(f"{quiz_id[1:]}_*.ipynb"))
        assert len(notebooks) == 1, f"{quiz_id}: no {lang} notebook {quiz_id[1:]}_*.ipynb"
        text = notebooks[0].read_text(encoding="utf-8")
        listed = set(re.findall(r"- \[([SC]\d+)\]", text))
        for q in load_quiz(quiz_id).questions:
            assert set(q.sources) <= listed, f"{quiz_id}:{q.id} ({lang}): {set(q.sources) - listed}"


# --- checking -------------------------------------------------------------------


@pytest.mark.parametrize("quiz_id", QUIZZES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_intended_answers_score_full_marks_and_wrong_ones_do_not(quiz_id, lang):
    qz = load_quiz(quiz_id)
    right = [check_answer(qz, q.id, right_answer(quiz_id, q), lang) for q in qz.questions]
    wrong = [check_answer(qz, q.id, wrong_answer(quiz_id, q), lang) for q in qz.questions]
    assert score(right).all_correct
    assert score(wrong).correct == 0
    assert all(f.answered for f in right + wrong)


def test_single_choice_feedback_explains_every_option():
    qz = load_quiz("m01")
    result = check_answer(qz, "employment_services", "kela", "fi")
    assert not result.correct and result.message.startswith("✘")
    verdicts = {o.option_id: o.verdict for o in result.options}
    assert verdicts == {"municipalities": "missed", "kela": "wrong", "counties": "neutral"}
    assert all(o.explanation for o in result.options)
    assert "Kela hoitaa etuuksia" in {o.option_id: o.explanation for o in result.options}["kela"]


def test_multiple_choice_needs_exactly_the_right_set():
    qz = load_quiz("m03")
    partial = check_answer(qz, "pohjois_savo_team", ["monthly_meeting"], "en")
    assert not partial.correct
    missed = {o.option_id for o in partial.options if o.verdict == "missed"}
    assert missed == {"shared_record", "near_offices"}
    too_many = check_answer(qz, "pohjois_savo_team",
                            ["monthly_meeting", "shared_record", "near_offices", "team_leader"], "en")
    assert not too_many.correct
    exact = check_answer(qz, "pohjois_savo_team", ["near_offices", "shared_record", "monthly_meeting"], "en")
    assert exact.correct and exact.message == "✔ Right."


@pytest.mark.parametrize("typed, ok", [
    ("61", True), ("59", True), ("63", True), ("61,0", True), ("62 %", True), (61, True),
    ("58", False), ("64", False), ("6.1", False),
])
def test_numeric_answers_are_accepted_within_the_tolerance(typed, ok):
    assert check_answer(load_quiz("m04"), "bond_share", typed, "en").correct is ok


def test_numeric_answer_that_is_not_a_number_is_explained_not_scored():
    result = check_answer(load_quiz("m04"), "bond_share", "sixty", "fi")
    assert not result.answered and not result.correct
    assert "ei ole luku" in result.message
    blank = check_answer(load_quiz("m04"), "bond_share", "", "en")
    assert not blank.answered and blank.message == "Not answered yet."


def test_unanswered_choice_question_is_not_correct():
    result = check_answer(load_quiz("m00"), "run_cell", None, "en")
    assert not result.answered and not result.correct and result.options == ()


def test_unknown_option_and_two_answers_to_a_single_question_are_errors():
    qz = load_quiz("m00")
    with pytest.raises(KeyError, match="nonsense"):
        check_answer(qz, "run_cell", "nonsense")
    with pytest.raises(ValueError, match="takes one option"):
        check_answer(qz, "run_cell", ["save", "double_click"])


def test_unknown_quiz_error_lists_the_available_ones():
    with pytest.raises(FileNotFoundError, match="m00"):
        load_quiz("m99")


# --- loader validation ------------------------------------------------------------


def _write_quiz(tmp_path, monkeypatch, body: dict) -> None:
    monkeypatch.setattr(quizlib, "QUIZ_DIR", tmp_path)
    load_quiz.cache_clear()
    text = yaml.safe_dump(body, allow_unicode=True)
    (tmp_path / f"{body['quiz_id']}.yaml").write_text(text, encoding="utf-8")


def _body(key: list[str], explanation_fi: str = "Selitys") -> dict:
    def both(text):
        return {"en": text, "fi": text + " (fi)"}
    return {
        "quiz_id": "t01",
        "title": both("Test"),
        "questions": [{
            "id": "q1", "kind": "single", "skill": "recall", "prompt": both("Pick"), "key": key,
            "options": [
                {"id": "a", "text": both("A"), "explanation": {"en": "Because", "fi": explanation_fi}},
                {"id": "b", "text": both("B"), "explanation": both("Because")},
            ],
        }],
    }


def test_loader_rejects_a_key_that_matches_no_option(tmp_path, monkeypatch):
    _write_quiz(tmp_path, monkeypatch, _body([answer_hash("t01", "q1", "c")]))
    try:
        with pytest.raises(ValueError, match=r"t01\.yaml: q1: .*match no option"):
            load_quiz("t01")
    finally:
        load_quiz.cache_clear()


@pytest.mark.parametrize("skill", [None, "remember"])
def test_loader_requires_a_skill_and_names_the_question_and_the_allowed_values(tmp_path, monkeypatch,
                                                                                skill):
    body = _body([answer_hash("t01", "q1", "a")])
    body["questions"][0]["skill"] = skill
    if skill is None:
        del body["questions"][0]["skill"]
    _write_quiz(tmp_path, monkeypatch, body)
    message = r"t01\.yaml: q1: skill is (missing|'remember'); .*apply.*recall"
    try:
        with pytest.raises(ValueError, match=message):
            load_quiz("t01")
    finally:
        load_quiz.cache_clear()


def test_loader_names_the_option_with_a_missing_translation(tmp_path, monkeypatch):
    _write_quiz(tmp_path, monkeypatch, _body([answer_hash("t01", "q1", "a")], explanation_fi=""))
    try:
        with pytest.raises(ValueError, match=r"q1\.options\.a\.explanation: .*fi"):
            load_quiz("t01")
    finally:
        load_quiz.cache_clear()


def test_cli_prints_hashes_and_validates(capsys):
    assert quizlib.main(["key", "m01", "premise", "everyone"]) == 0
    assert answer_hash("m01", "premise", "everyone") in capsys.readouterr().out
    assert quizlib.main(["validate"]) == 0
    assert quizlib.main(["show", "m02", "--lang", "fi"]) == 0
    shown = capsys.readouterr().out
    assert "Tarkista osaamisesi" in shown
    assert not re.search(r"[0-9a-f]{64}", shown)  # show never prints the keys


# --- the quiz widget, headless -------------------------------------------------------


def answer_all(view: QuizView, quiz_id: str, pick) -> None:
    for question_view in view.questions.values():
        question_view.set_answer(pick(quiz_id, question_view.question))


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_widget_shows_full_score_for_the_intended_answers(quiz_id):
    view = quiz(quiz_id, lang="fi")
    answer_all(view, quiz_id, right_answer)
    view.check_button.click()
    n = len(view.questions)
    assert f"{n} / {n} oikein" in view.score.value
    for question_view in view.questions.values():
        assert "✔ Oikein." in question_view.feedback.value


def test_widget_after_a_wrong_try_explains_the_chosen_option_gives_a_hint_and_hides_the_answer():
    view = quiz("m01", lang="en", store=False)
    view.questions["employment_services"].control.value = "kela"
    view.questions["willing"].control.value = "20"
    view.check_button.click()
    feedback = view.questions["employment_services"].feedback.value
    assert "✘ Not yet." in feedback
    assert "you chose this, but it is not right" in feedback
    assert "Kela handles benefits and vocational rehabilitation" in feedback  # the chosen option's why
    qz = load_quiz("m01")
    right_text = qz.question("employment_services").option("municipalities").explanation["en"]
    assert right_text not in feedback and "right, but you did not choose it" not in feedback
    assert "Hint:" in feedback
    assert view.questions["employment_services"].show_button.layout.display is None
    numeric = view.questions["willing"].feedback.value
    assert "65,000" not in numeric and "Hint:" in numeric  # the numeric explanation gives the answer
    assert f"0 / {len(view.questions)} right" in view.score.value
    assert view.results["employment_services"].correct is False


def test_widget_counts_a_right_answer_after_a_retry_and_reveals_after_two_wrong_tries():
    view = quiz("m01", lang="en", store=False)
    services_q, willing = view.questions["employment_services"], view.questions["willing"]
    services_q.set_answer("kela")
    willing.set_answer(20)
    view.check()
    view.check()  # the same answers again are not new tries
    assert services_q.wrong_tries == 1 and not services_q.revealed
    services_q.set_answer("municipalities")
    willing.set_answer(30)
    view.check()
    assert view.results["employment_services"].correct and services_q.revealed
    assert "✔ Right." in services_q.feedback.value
    assert services_q.show_button.layout.display == "none"
    assert willing.revealed and willing.wrong_tries == quizlib.MAX_WRONG_TRIES
    assert "after 2 tries" in willing.feedback.value and "about 65,000 people" in willing.feedback.value
    assert not view.results["willing"].correct


def test_show_the_answer_button_reveals_one_question():
    view = quiz("m00", lang="fi", store=False)
    run_cell = view.questions["run_cell"]
    run_cell.set_answer("save")
    view.check()
    run_cell.show_button.click()
    assert run_cell.revealed
    assert "Vastaus perusteluineen" in run_cell.feedback.value
    assert "oikein, mutta et valinnut tätä" in run_cell.feedback.value
    assert "myös tämä on oikein" not in run_cell.feedback.value


def test_teach_hides_the_right_option_until_revealed():
    qz = load_quiz("m03")
    first = quizlib.teach(qz, "pohjois_savo_team", ["monthly_meeting"], "en")
    assert not first.revealed and not first.chosen and "something is missing" in first.note
    assert first.hint  # m03's questions have written hints
    second = quizlib.teach(qz, "pohjois_savo_team", ["monthly_meeting", "team_leader"], "en",
                           wrong_before=1, max_wrong=3)
    assert [o.option_id for o in second.chosen] == ["team_leader"] and not second.revealed
    third = quizlib.teach(qz, "pohjois_savo_team", ["team_leader"], "en", wrong_before=2, max_wrong=3)
    assert third.revealed and third.wrong_tries == 3
    assert {o.option_id for o in third.feedback.options if o.verdict == "missed"} == set(
        intended("m03", "pohjois_savo_team"))


def test_a_question_without_a_hint_gets_the_generic_one(tmp_path, monkeypatch):
    _write_quiz(tmp_path, monkeypatch, _body([answer_hash("t01", "q1", "a")]))
    try:
        attempt = quizlib.teach(load_quiz("t01"), "q1", "b", "fi")
    finally:
        load_quiz.cache_clear()
    assert attempt.hint.startswith("Etsi kysymyksen aihe")


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_every_quiz_has_a_hint_for_every_question_in_both_languages(quiz_id):
    for q in raw(quiz_id)["questions"]:
        assert all(str(q["hint"][lang]).strip() for lang in LANGUAGES), q["id"]
    for q in load_quiz(quiz_id).questions:
        assert q.hint is not None
        for option in q.options:  # a hint points to the module, it does not give the answer away
            assert option.explanation["en"] not in q.hint["en"]


def test_widget_multiple_choice_uses_one_checkbox_per_option():
    view = quiz("m04", lang="en")
    principles = view.questions["principles"]
    assert set(principles.checkboxes) == {o.id for o in principles.question.options}
    for option_id in ("competitive", "zero_exclusion", "rapid_search", "benefits"):
        principles.checkboxes[option_id].value = True
    view.check_button.click()
    assert view.results["principles"].correct
    principles.checkboxes["readiness_test"].value = True
    view.check()
    assert not view.results["principles"].correct


def test_widget_counts_unanswered_questions_as_not_yet_answered():
    view = quiz("m00", lang="fi")
    view.check_button.click()
    assert f"0 / {len(view.questions)} oikein" in view.score.value
    assert "Et ole vielä vastannut." in view.questions["run_cell"].feedback.value


def test_widget_snapshot_shows_questions_and_hides_the_answers_in_closed_details():
    view = quiz("m02", lang="en")
    snapshot = html.unescape(view.snapshot_html())  # prompts such as "sote-centre's" are escaped
    qz = load_quiz("m02")
    assert all(q.prompt["en"] in snapshot for q in qz.questions)
    answers = re.findall(r"<details[^>]*>.*?</details>", snapshot, flags=re.S)
    assert len(answers) == len(qz.questions) and not any("<details open" in a for a in answers)
    outside = re.sub(r"<details[^>]*>.*?</details>", "", snapshot, flags=re.S)
    for q in qz.questions:
        assert not any(h in snapshot for h in q.key)
        right = quizlib.correct_option_ids(qz, q)
        for option in q.options:
            assert option.explanation["en"] not in outside
            assert (option.explanation["en"] in snapshot) == (option.id in right), (q.id, option.id)
