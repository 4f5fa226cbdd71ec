"""Bilingual widget strings: every key in both languages, clear errors, no orphans."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim.learning import quiz as quizlib
from sim.learning import text
from sim.learning.text import (
    LANGUAGES,
    STRINGS_FILE,
    UnknownKeyError,
    UnknownLanguageError,
    bilingual,
    check_language,
    keys,
    placeholders,
    strings,
    t,
)
from sim.practice import services

SIM_DIR = Path(__file__).resolve().parents[1] / "sim"


def raw_strings() -> dict:
    with STRINGS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_every_key_has_exactly_english_and_finnish_and_neither_is_empty():
    for key, entry in raw_strings().items():
        assert set(entry) == {"en", "fi"}, key
        assert str(entry["en"]).strip() and str(entry["fi"]).strip(), key


def test_english_and_finnish_use_the_same_format_fields():
    for key, entry in strings().items():
        assert placeholders(entry["en"]) == placeholders(entry["fi"]), key


def test_finnish_text_differs_from_english_except_for_names_and_symbols():
    same = {k for k, e in strings().items() if e["en"] == e["fi"]}
    assert same <= {"path.ips_short"}, same


def test_t_returns_the_requested_language():
    assert t("quiz.check", "en") == "Check"
    assert t("quiz.check", "fi") == "Tarkista"


def test_t_fills_in_fields():
    assert t("quiz.score_all", "fi", correct=5, total=5).startswith("5 / 5 oikein")


def test_unknown_key_error_names_the_key_and_is_a_key_error():
    with pytest.raises(UnknownKeyError, match=r"'quiz\.chekc'") as info:
        t("quiz.chekc", "en")
    assert isinstance(info.value, KeyError)
    assert "quiz.check" in str(info.value)  # near keys are suggested


def test_unknown_language_error_names_the_language_and_the_choices():
    with pytest.raises(UnknownLanguageError, match=r"'sv'.*en, fi") as info:
        t("quiz.check", "sv")
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownLanguageError, match="'EN'"):
        check_language("EN")


def test_bilingual_names_the_place_and_the_missing_language():
    with pytest.raises(ValueError, match=r"m09\.yaml: q1\.prompt: .*fi"):
        bilingual({"en": "Hello", "fi": "  "}, "m09.yaml: q1.prompt")
    with pytest.raises(ValueError, match="unexpected language"):
        bilingual({"en": "a", "fi": "b", "sv": "c"}, "x")
    assert bilingual({"en": " a ", "fi": "b"}, "x") == {"en": "a", "fi": "b"}


# t("quiz.check", ...); not a prefix such as t("planner.head." + key), whose keys are dynamic
CALL = re.compile(r"""\b_?t\(\s*["']([a-z0-9_]+\.[a-z0-9_.]*[a-z0-9_])["']""")
LITERAL = re.compile(r"""["']([a-z0-9_]+\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']""")  # any "family.key" literal


def _code() -> str:
    """Source of every sim module that looks labels up: through sim.learning.text, or as a view
    (``self._t(...)`` of :class:`sim.widgets.base.View`)."""
    uses_text = re.compile(r"^\s*(from sim\.learning(\.text)? import|import sim\.learning\.text"
                           r"|from \.learning|from sim\.widgets\.base import)", re.M)
    files = [p for p in SIM_DIR.rglob("*.py") if p.name != "text.py"
             and uses_text.search(p.read_text(encoding="utf-8"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def _literal_keys_in_code() -> set[str]:
    return set(CALL.findall(_code()))


def _dynamic_keys() -> set[str]:
    comparison = services.compare_pathways()
    return (
        {f"module.{m}" for m in services.MODULE_IDS}
        | {f"role.{r}" for r in services.LEARNER_ROLES}
        | {f"nav.age.{v}" for v in services.AGE_GROUPS}
        | {f"nav.benefit.{v}" for v in services.BENEFITS}
        | {f"nav.barrier.{v}" for v in services.BARRIERS}
        | {f"nav.history.{v}" for v in services.WORK_HISTORIES}
        | {f"quiz.hint.{k}" for k in quizlib.KINDS}
        | {f"quiz.verdict.{v}" for v in ("right", "wrong", "missed", "neutral")}
        | {phase.key for phase in comparison.stepwise + comparison.ips}
    )


def test_every_key_the_code_uses_exists():
    missing = (_literal_keys_in_code() | _dynamic_keys()) - set(keys())
    assert not missing


def test_strings_file_has_no_orphan_keys():
    orphans = set(raw_strings()) - set(LITERAL.findall(_code())) - _dynamic_keys()
    assert not orphans


def test_languages_are_english_then_finnish():
    assert LANGUAGES == ("en", "fi")


@pytest.fixture
def extra_strings_dir(tmp_path, monkeypatch):
    folder = tmp_path / "strings"
    folder.mkdir()
    monkeypatch.setattr(text, "EXTRA_STRINGS_DIR", folder)
    strings.cache_clear()
    yield folder
    strings.cache_clear()


def test_extra_string_files_are_merged_into_the_same_lookup(extra_strings_dir):
    (extra_strings_dir / "planner.yaml").write_text(
        'planner.title: {en: "Capacity planner", fi: "Kapasiteettisuunnittelija"}\n', encoding="utf-8")
    assert t("planner.title", "fi") == "Kapasiteettisuunnittelija"
    assert t("quiz.check", "fi") == "Tarkista"


def test_a_key_defined_in_two_files_is_an_error_naming_both(extra_strings_dir):
    (extra_strings_dir / "planner.yaml").write_text('quiz.check: {en: "Go", fi: "Mene"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"strings/planner\.yaml: key 'quiz\.check' .*strings\.yaml"):
        t("quiz.check", "en")


def test_extra_file_with_a_missing_translation_is_named(extra_strings_dir):
    (extra_strings_dir / "planner.yaml").write_text('planner.run: {en: "Run"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"strings/planner\.yaml: planner\.run: .*fi"):
        t("quiz.check", "en")
