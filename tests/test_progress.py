"""A learner's progress store, the My progress view and the completion record.

The store is a file per OS user outside the notebook: it survives a restart, keeps users apart
(modes 0600/0700), and notices an edited record without losing it. Quizzes record each try.
The certificate says what was done, with dates, scores and hours, that it is self-study, and
fails verification when one number on it is changed.
"""

from __future__ import annotations

import html
import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from sim.learning import certificate as certlib
from sim.learning import progress as progresslib
from sim.learning.progress import ProgressStore
from sim.learning.quiz import load_quiz
from sim.widgets import my_progress, quiz

ROOT = Path(__file__).resolve().parents[1]
INTENDED = yaml.safe_load((Path(__file__).parent / "data" / "quiz_keys.yaml").read_text(encoding="utf-8"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    folder = tmp_path / "learner-a" / "tyokyky-course"
    monkeypatch.setenv(progresslib.ENV_DIR, str(folder))
    return folder


def complete(store: ProgressStore, module: str, start: datetime, wrong_first: tuple[str, ...] = ()) -> None:
    """Answer every question of *module* right, some after a wrong try, 5 minutes apart."""
    store.open_module(module, now=start)
    moment = start
    for q in load_quiz(module).questions:
        if q.id in wrong_first:
            moment += timedelta(minutes=5)
            store.record_attempt(module, q.id, False, now=moment)
        moment += timedelta(minutes=5)
        store.record_attempt(module, q.id, True, now=moment)


# questions per quiz: the expected scores follow the quiz files, not fixed numbers
N = {module: len(load_quiz(module).questions) for module in ("m00", "m01")}


def right(question, quiz_id):
    value = INTENDED[quiz_id][question.id]
    if question.kind == "numeric":
        return int(value) / 10**question.decimals
    return value[0] if question.kind == "single" else value


# --- the store ------------------------------------------------------------------------


def test_the_store_lives_in_the_jupyter_data_dir_unless_overridden(monkeypatch, tmp_path):
    from jupyter_core.paths import jupyter_data_dir

    monkeypatch.delenv(progresslib.ENV_DIR, raising=False)
    assert progresslib.progress_dir() == Path(jupyter_data_dir()) / "tyokyky-course"
    monkeypatch.setenv(progresslib.ENV_DIR, str(tmp_path))
    assert progresslib.progress_dir() == tmp_path


def test_the_record_survives_a_restart_in_a_new_process(store_dir):
    store = progresslib.default_store()
    store.record_attempt("m04", "principles", False, now=T0)
    store.record_attempt("m04", "principles", True, now=T0 + timedelta(minutes=3))
    code = ("from sim.learning.progress import default_store; import json; "
            "print(json.dumps(default_store().record()['questions']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=os.environ.copy()).stdout
    assert json.loads(out)["m04:principles"] == {
        "attempts": 2, "right_at": (T0 + timedelta(minutes=3)).isoformat(), "first_try": False,
        "revealed": False}
    assert store.path.name == f"progress-{store.user}.json" and store.path.parent == store_dir


def test_two_users_are_kept_apart_with_private_file_modes(tmp_path, monkeypatch):
    stores = {}
    for user in ("aino", "jari"):
        monkeypatch.setenv(progresslib.ENV_DIR, str(tmp_path / user / "tyokyky-course"))
        stores[user] = ProgressStore(user=user)
        stores[user].open_module("m00", now=T0)
    stores["aino"].record_attempt("m00", "run_cell", True, now=T0)
    assert "m00:run_cell" in stores["aino"].record()["questions"]
    assert stores["jari"].record()["questions"] == {}
    for store in stores.values():
        assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(store.key_path.stat().st_mode) == 0o600
    assert stores["aino"].path != stores["jari"].path


def test_two_notebooks_of_one_learner_do_not_overwrite_each_other(store_dir):
    first, second = ProgressStore(), ProgressStore()  # two kernels, one file
    first.record_attempt("m01", "typ", True, now=T0)
    second.record_attempt("m01", "premise", True, now=T0)
    assert set(first.record()["questions"]) == {"m01:typ", "m01:premise"}
    assert not list(store_dir.glob("*.tmp"))  # atomic writes leave no temporary files


def test_an_edited_record_is_detected_set_aside_and_the_learner_told(store_dir):
    store = ProgressStore()
    complete(store, "m00", T0)
    text = store.path.read_text(encoding="utf-8")
    edited = text.replace('"attempts": 1', '"attempts": 0', 1)
    assert edited != text
    store.path.write_text(edited, encoding="utf-8")

    fresh = ProgressStore()
    assert fresh.status("m00").done is False  # the edited record is not trusted ...
    assert fresh.warning and fresh.set_aside is not None
    assert fresh.set_aside.read_text(encoding="utf-8") == edited  # ... but kept, not deleted
    view = my_progress(lang="fi", store=fresh)
    assert "ei läpäissyt tarkistusta" in view.status.value and str(fresh.set_aside) in view.status.value
    store.record_attempt("m00", "run_cell", True, now=T0)  # a new record goes on working
    assert ProgressStore().record()["questions"]["m00:run_cell"]["attempts"] == 1


def test_a_damaged_file_does_not_crash_the_quiz(store_dir):
    store = ProgressStore()
    store.open_module("m00", now=T0)
    store.path.write_text("{not json", encoding="utf-8")
    view = quiz("m00", lang="en", store=ProgressStore())
    assert "did not pass its check" in view.status.value
    assert len(list(store_dir.glob("progress-*.tampered-*.json"))) == 1


def test_an_unwritable_store_is_reported_and_the_quiz_still_works(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    view = quiz("m00", lang="en", store=ProgressStore(blocker / "sub"))
    assert "could not be saved" in view.status.value and view.store is None
    view.questions["run_cell"].set_answer("shift_enter")
    assert view.check().correct == 1


def test_completion_active_time_and_first_try_scores(store_dir):
    store = ProgressStore()
    complete(store, "m00", T0, wrong_first=("restart",))
    status = store.status("m00")
    n = len(load_quiz("m00").questions)  # one wrong try first, then every answer right, 5 min apart
    assert status.done and status.right == status.questions == n and status.first_try == n - 1
    assert status.attempts == n + 1
    assert status.completed == T0 + timedelta(minutes=5 * (n + 1))
    assert status.active_seconds == 5 * (n + 1) * 60
    store.open_module("m00", now=T0 + timedelta(days=2))  # a long break is not counted
    assert store.status("m00").active_seconds == 5 * (n + 1) * 60
    assert store.next_modules("manager") == ("m01", "m02", "m03")


# --- quizzes record tries ------------------------------------------------------------------


def test_the_quiz_records_a_wrong_try_then_a_right_one(store_dir):
    store = ProgressStore()
    view = quiz("m04", lang="en", store=store)
    principles = view.questions["principles"]
    principles.set_answer(["competitive", "readiness_test"])
    view.check()
    assert principles.wrong_tries == 1 and not principles.revealed
    principles.set_answer(INTENDED["m04"]["principles"])
    view.check()
    entry = store.record()["questions"]["m04:principles"]
    assert entry["attempts"] == 2 and entry["right_at"] and entry["first_try"] is False
    assert "Your answers are saved for you only" in view.status.value


def test_a_shown_answer_completes_the_question_but_does_not_score(store_dir):
    store = ProgressStore()
    view = quiz("m00", lang="en", store=store)
    for qid, question_view in view.questions.items():
        if qid == "restart":
            question_view.show_button.click()
        else:
            question_view.set_answer(right(question_view.question, "m00"))
    view.check()
    status = store.status("m00")
    assert status.done and status.right == len(view.questions) - 1 and status.revealed == 1


# --- My progress and the completion record ---------------------------------------------------


def test_my_progress_shows_modules_dates_scores_time_and_next_steps(store_dir):
    store = ProgressStore()
    complete(store, "m00", T0)
    complete(store, "m01", T0 + timedelta(days=1), wrong_first=("typ",))
    store.open_module("m02", now=T0 + timedelta(days=2))
    view = my_progress(lang="en", role="job_coach", store=store)
    table = view.table.value
    assert "done 2026-03-02" in table and "done 2026-03-03" in table and "started" in table
    n1 = N["m01"]  # m01 answered with one wrong try first, 5 minutes a step
    assert f"{n1} / {n1} right ({n1 - 1} at the first try)" in table and f">{5 * (n1 + 1)}</td>" in table
    assert f"2 of {len(progresslib.module_ids())} modules done" in table
    steps = view.next_steps.value
    assert steps.index("2 Identifying") < steps.index("3 The coordinator") < steps.index("4 Supported")
    view.role.value = "manager"
    fi = my_progress(lang="fi", role="manager", store=store)
    assert "suoritettu 2026-03-02" in fi.table.value and "Seuraavaksi roolillesi" in fi.next_steps.value
    snapshot = fi.snapshot_html()  # saved with the notebook and shown on the course site
    assert "Oma eteneminen" in snapshot and "2026" not in snapshot and str(store.folder) not in snapshot


def test_my_progress_is_in_module_0_and_at_the_end_of_every_module_in_both_languages():
    for lang in ("en", "fi"):
        notebooks = sorted((ROOT / "course" / lang).glob("[0-9][0-9]_*.ipynb"))
        assert len(notebooks) == len(progresslib.module_ids())
        for path in notebooks:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            calls = [i for i, c in enumerate(cells) if f'my_progress(lang="{lang}")' in "".join(c["source"])]
            assert calls, f"{path.name}: no My progress view"
            if not path.name.startswith("00_"):  # after the quiz, near the end of the module
                quiz_at = max(i for i, c in enumerate(cells) if "quiz(" in "".join(c["source"]))
                assert calls[-1] > quiz_at and len(cells) - calls[-1] <= 3, path.name


@pytest.mark.parametrize("lang, words", [
    ("en", ["Completion record", "0 Start here", "1 Work ability and the service system", "2026-03-02",
            "2026-03-03", f"{N['m00']} / {N['m00']} right ({N['m00']} at the first try)",
            f"{N['m01']} / {N['m01']} right ({N['m01'] - 1} at the first try)",
            "Estimated study hours in total: 2.0", "not an accredited qualification", "self-study"]),
    ("fi", ["Suoritusote", "0 Aloita tästä", "1 Työkyky ja palvelujärjestelmä", "2026-03-02",
            f"{N['m00']} / {N['m00']} oikein ({N['m00']} ensimmäisellä yrityksellä)",
            "Arvioidut opiskelutunnit yhteensä: 2,0",
            "ei ole virallinen tutkinto", "omatoimisen opiskelun"]),
])
def test_the_certificate_lists_modules_dates_scores_hours_and_says_it_is_self_study(store_dir, lang, words):
    store = ProgressStore()
    complete(store, "m00", T0)
    complete(store, "m01", T0 + timedelta(days=1), wrong_first=("typ",))
    store.open_module("m02", now=T0)  # started, not done: not on the certificate
    cert = certlib.make_certificate(store, lang, now=T0 + timedelta(days=5))
    page = html.unescape(cert.html)
    for word in words:
        assert word in page, word
    assert "2 Identifying" not in page and "2 Tuen tarpeen" not in page
    assert cert.hash in page and len(cert.hash) == 64
    assert [m["module"] for m in cert.record["modules"]] == ["m00", "m01"]
    assert certlib.verify_certificate(cert.html)
    assert certlib.verify_certificate(cert)
    assert certlib.verify_certificate({"record": cert.record, "hash": cert.hash})


def test_verification_fails_after_editing_one_number(store_dir):
    store = ProgressStore()
    complete(store, "m00", T0)
    cert = certlib.make_certificate(store, "en", now=T0)
    assert certlib.verify_certificate(cert.html)
    n = N["m00"]
    on_page = cert.html.replace(f"{n} / {n} right", f"{n - 1} / {n} right", 1)
    assert on_page != cert.html and not certlib.verify_certificate(on_page)
    in_data = cert.html.replace('"hours":1.0', '"hours":9.0', 1)
    assert in_data != cert.html and not certlib.verify_certificate(in_data)
    record = json.loads(json.dumps(cert.record))
    record["total_hours"] = 2.0
    assert not certlib.verify_certificate({"record": record, "hash": cert.hash})
    assert not certlib.verify_certificate("<html>no record</html>")


def test_the_certificate_button_offers_html_and_pdf_downloads(store_dir):
    store = ProgressStore()
    complete(store, "m00", T0)
    view = my_progress(lang="fi", store=store)
    view.certificate_button.click()
    links = view.certificate.value
    assert "Suoritusotteesi on valmis" in links and 'href="data:text/html;base64,' in links
    assert 'href="data:application/pdf;base64,' in links
    assert view.last_certificate is not None and view.last_certificate.hash in links
    pdf = certlib.certificate_pdf(view.last_certificate)
    assert pdf.startswith(b"%PDF")


def test_without_fpdf2_the_pdf_is_optional_with_a_clear_message(store_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "fpdf", None)  # import fpdf now fails
    store = ProgressStore()
    view = my_progress(lang="en", store=store)
    view.certificate_button.click()
    assert "data:text/html" in view.certificate.value and "application/pdf" not in view.certificate.value
    assert "needs the fpdf2 package" in view.certificate.value
    with pytest.raises(certlib.PdfUnavailable):
        certlib.certificate_pdf(view.last_certificate)


def test_every_module_has_estimated_hours():
    assert progresslib.module_ids() == tuple(f"m{n:02d}" for n in range(13))
    assert all(0 < progresslib.module_hours(m) <= 3 for m in progresslib.module_ids())
    for role in progresslib.roles():
        assert sorted(progresslib.role_path(role)) == list(progresslib.module_ids())
