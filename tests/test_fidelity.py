"""Behaviour tests for the IPS-25 fidelity scale data and scoring functions."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from sim.learning.text import LANGUAGES, Bilingual, UnknownLanguageError
from sim.practice import fidelity as fid
from sim.practice.fidelity import FidelityError

ALL_FIVES = {i: 5 for i in fid.ITEM_BY_ID}


def ratings_with(**changes: int) -> dict[str, int]:
    return {**ALL_FIVES, **changes}


# --------------------------------------------------------------------------- structure


def test_scale_has_25_items_with_unique_ids_in_scale_order():
    ids = [i.id for i in fid.ITEMS]
    assert len(ids) == 25 == len(set(ids))
    assert ids == ["S1", "S2", "S3", *(f"O{k}" for k in range(1, 9)), *(f"SV{k}" for k in range(1, 15))]
    assert list(fid.ITEM_BY_ID) == ids


def test_sections_hold_3_8_and_14_items_with_english_and_finnish_labels():
    counts = {s.key: sum(i.section == s.key for i in fid.ITEMS) for s in fid.SECTIONS}
    assert counts == {"staffing": 3, "organisation": 8, "services": 14}
    assert [s.size for s in fid.SECTIONS] == [3, 8, 14]
    assert [fid.section_label(s.key, "en") for s in fid.SECTIONS] == ["Staffing", "Organisation", "Services"]
    fi_labels = [fid.section_label(s.key, "fi") for s in fid.SECTIONS]
    assert fi_labels == ["Henkilöstö", "Organisaatio", "Palvelut"]


@pytest.mark.parametrize("item", fid.ITEMS, ids=lambda i: i.id)
def test_every_item_has_names_and_five_anchors_in_both_languages(item):
    assert isinstance(item.name, Bilingual) and all(isinstance(a, Bilingual) for a in item.anchors)
    for lang in LANGUAGES:
        assert item.name(lang).strip()
        anchors = [item.anchor(r, lang) for r in range(1, 6)]
        assert all(a.strip() for a in anchors)
        assert len(set(anchors)) == 5, "each rating needs its own description"


def test_item_kinds_match_the_scoring_method_of_each_item():
    kinds = {i.id: i.kind for i in fid.ITEMS}
    assert {k for k, v in kinds.items() if v == "threshold"} == {
        "S1", "S2", "O1", "SV4", "SV5", "SV6", "SV8", "SV9", "SV10", "SV13"}
    assert {k for k, v in kinds.items() if v == "count"} == {"O2", "O5", "O7", "O8", "SV2", "SV14"}
    assert {k for k, v in kinds.items() if v == "judgement"} == {
        "S3", "O3", "O4", "O6", "SV1", "SV3", "SV7", "SV11", "SV12"}


def test_count_items_list_their_elements_in_both_languages():
    sizes = {i.id: len(i.elements) for i in fid.ITEMS if i.kind == "count"}
    assert sizes == {"O2": 5, "O5": 5, "O7": 5, "O8": 5, "SV2": 4, "SV14": 6}
    for item in fid.ITEMS:
        assert bool(item.elements) == (item.kind == "count")
        for e in item.elements:
            assert e.key and e.text("en").strip() and e.text("fi").strip() and e.text("en") != e.text("fi")


def test_only_staffing_anchors_are_marked_confirmed_and_sources_use_domain_codes():
    assert {i.id for i in fid.ITEMS if not i.unconfirmed} == {"S1", "S2", "S3"}
    for item in fid.ITEMS:
        assert all(re.fullmatch(r"[CS]\d+", s) for s in item.sources), item.id


def test_finnish_names_are_flagged_as_working_translations():
    assert fid.WORKING_TRANSLATIONS == ("fi",)
    assert "working" in fid.NAMES_NOTE("en") and "työnimiä" in fid.NAMES_NOTE("fi")
    assert fid.names_note("fi") == fid.NAMES_NOTE("fi")
    assert fid.names_note("en") == ""  # the English names are the scale's own
    with pytest.raises(UnknownLanguageError):
        fid.names_note("sv")


def test_unconfirmed_band_cut_offs_are_flagged_with_sources():
    flags = {b.key: b.unconfirmed for b in fid.BANDS}
    assert flags == {"exemplary": True, "good": False, "fair": False, "not_supported_employment": True}
    # the three upper band names are C8's; "not supported employment" is [U] as a whole
    assert all("C8" in b.sources for b in fid.BANDS if b.key != "not_supported_employment")
    assert fid.BANDS[-1].key == "not_supported_employment" and fid.BANDS[-1].sources == ()
    assert "[U]" in fid.BANDS[-1].note


def test_label_functions_reject_unknown_languages():
    for call in (lambda: fid.item_name("S1", "sv"), lambda: fid.band_label("good", "se"),
                 lambda: fid.section_label("staffing", "EN"), lambda: fid.anchor("S1", 3, "de")):
        with pytest.raises(UnknownLanguageError, match="unknown language"):
            call()


# --------------------------------------------------------------------------- bands and cadence


@pytest.mark.parametrize("total, key", [
    (25, "not_supported_employment"), (73, "not_supported_employment"), (74, "fair"), (99, "fair"),
    (100, "good"), (114, "good"), (115, "exemplary"), (125, "exemplary"),
])
def test_band_boundaries(total, key):
    assert fid.band(total) == key


def test_band_labels_in_both_languages():
    assert fid.band_label("exemplary", "fi") == "Erinomainen"
    assert fid.band_label("good", "fi") == "Hyvä"
    assert fid.band_label("fair", "fi") == "Kohtalainen"
    assert fid.band_label("not_supported_employment", "fi") == "Ei tuettua työllistymistä"
    assert fid.band_label("not_supported_employment", "en") == "Not supported employment"


@pytest.mark.parametrize("total", [24, 126, 0, -5, 100.0, True, "100", None])
def test_band_rejects_totals_outside_25_to_125_or_not_whole_numbers(total):
    with pytest.raises(FidelityError, match="25–125"):
        fid.band(total)


@pytest.mark.parametrize("total, months", [(25, 6), (99, 6), (100, 12), (125, 12)])
def test_review_every_six_months_until_100_then_yearly(total, months):
    assert fid.review_cadence_months(total) == months


def test_review_cadence_rejects_impossible_totals():
    with pytest.raises(FidelityError):
        fid.review_cadence_months(130)


# --------------------------------------------------------------------------- threshold items

THRESHOLD_EDGES = [
    ("S1", [(0, 5), (20, 5), (20.5, 4), (21, 4), (25, 4), (26, 3), (30, 3), (31, 2), (40, 2), (41, 1),
            (300, 1)]),
    ("S2", [(100, 5), (96, 5), (95.5, 4), (95, 4), (90, 4), (89.9, 3), (75, 3), (74, 2), (60, 2),
            (59.9, 1), (0, 1)]),
    ("O1", [(100, 5), (90, 5), (89, 4), (75, 4), (74, 3), (50, 3), (49.9, 2), (0, 2)]),
    ("SV4", [(0, 5), (30, 5), (30.5, 4), (31, 4), (60, 4), (61, 3), (150, 3), (151, 2), (270, 2), (271, 1)]),
    ("SV5", [(90, 5), (89, 4), (75, 4), (74, 3), (50, 3), (49, 2), (25, 2), (24, 1)]),
    ("SV6", [(10, 5), (6, 5), (5.9, 4), (5, 4), (4, 3), (3, 2), (2, 2), (1.9, 1), (0, 1)]),
    ("SV8", [(85, 5), (84, 4), (70, 4), (69, 3), (60, 3), (59, 2), (50, 2), (49, 1)]),
    ("SV9", [(85, 5), (84, 4), (70, 4), (69, 3), (60, 3), (59, 2), (50, 2), (49, 1)]),
    ("SV10", [(95, 5), (94, 4), (85, 4), (84, 3), (75, 3), (74, 2), (64, 2), (63, 1)]),
    ("SV13", [(65, 5), (64, 4), (50, 4), (49, 3), (40, 3), (39, 2), (30, 2), (29, 1)]),
]


@pytest.mark.parametrize("item_id, value, expected",
                         [(i, v, e) for i, edges in THRESHOLD_EDGES for v, e in edges],
                         ids=lambda x: str(x))
def test_threshold_item_band_edges(item_id, value, expected):
    assert fid.rate_item(item_id, value) == expected


def test_every_threshold_item_has_band_edge_cases():
    assert {i for i, _ in THRESHOLD_EDGES} == {i.id for i in fid.ITEMS if i.kind == "threshold"}


@pytest.mark.parametrize("evidence, expected", [
    ({"value": 95, "teams": 0}, 1), ({"value": 95, "teams": 3}, 2), ({"value": 95, "teams": 2}, 5),
    ({"value": 60, "teams": 1}, 3),
])
def test_o1_separate_programme_rates_1_and_three_teams_caps_at_2(evidence, expected):
    assert fid.rate_item("O1", evidence) == expected


@pytest.mark.parametrize("evidence, expected", [
    ({"value": 10, "log_review": "none"}, 2), ({"value": 10, "log_review": "monthly"}, 3),
    ({"value": 6, "log_review": "weekly"}, 5), ({"value": 1, "log_review": "none"}, 1),
])
def test_sv6_contact_log_review_caps_the_rating(evidence, expected):
    assert fid.rate_item("SV6", evidence) == expected


@pytest.mark.parametrize("jobs, expected", [(9, 1), (10, 5)])
def test_sv10_fewer_than_ten_current_jobs_rates_1(jobs, expected):
    assert fid.rate_item("SV10", {"value": 100, "current_jobs": jobs}) == expected


@pytest.mark.parametrize("item_id, value", [
    ("S1", -1), ("S2", 120), ("S2", 100.1), ("SV13", -0.5), ("SV4", -1), ("SV4", math.nan),
    ("S1", math.inf), ("SV5", "80"), ("SV6", True), ("SV8", None), ("O1", [50]),
])
def test_threshold_items_reject_impossible_or_non_numeric_evidence(item_id, value):
    with pytest.raises(FidelityError, match=rf"\b{item_id}\b"):
        fid.rate_item(item_id, value)


def test_percentage_error_explains_the_0_to_100_unit():
    with pytest.raises(FidelityError, match="0–100"):
        fid.rate_item("S2", 120)


@pytest.mark.parametrize("item_id, evidence", [
    ("SV6", {"value": 5, "log_review": "daily"}), ("O1", {"value": 50, "teams": -1}),
    ("SV5", {"value": 50, "teams": 1}), ("SV10", {"current_jobs": 12}),
])
def test_threshold_mapping_evidence_rejects_unknown_keys_and_values(item_id, evidence):
    with pytest.raises(FidelityError, match=item_id):
        fid.rate_item(item_id, evidence)


# --------------------------------------------------------------------------- count and judgement items

COUNT_TABLE = {
    "O2": [1, 1, 2, 3, 4, 5], "O5": [1, 1, 2, 3, 4, 5], "O7": [1, 1, 2, 3, 4, 5], "O8": [1, 1, 2, 3, 4, 5],
    "SV2": [1, 2, 3, 4, 5], "SV14": [1, 1, 1, 2, 3, 4, 5],
}


@pytest.mark.parametrize("item_id, count, expected",
                         [(i, c, e) for i, row in COUNT_TABLE.items() for c, e in enumerate(row)])
def test_count_items_rate_by_number_of_elements_present(item_id, count, expected):
    keys = [e.key for e in fid.ITEM_BY_ID[item_id].elements]
    assert fid.rate_item(item_id, count) == expected
    assert fid.rate_item(item_id, keys[:count]) == expected
    assert fid.rate_item(item_id, set(keys[-count:]) if count else set()) == expected


def test_count_items_count_repeated_element_keys_once():
    assert fid.rate_item("O2", ["weekly_meetings", "weekly_meetings", "colocated"]) == 2


@pytest.mark.parametrize("item_id, evidence, fragment", [
    ("O2", ["weekly_meeting"], "Unknown elements"), ("O2", 6, "0–5"), ("SV2", -1, "0–4"),
    ("SV14", "no_discharge", "list of element keys"), ("O7", True, "O7"), ("O8", None, "O8"),
    ("O5", 2.5, "O5"),
])
def test_count_items_reject_bad_evidence_with_the_fix(item_id, evidence, fragment):
    with pytest.raises(FidelityError, match=fragment) as err:
        fid.rate_item(item_id, evidence)
    assert item_id in str(err.value)


@pytest.mark.parametrize("item_id", [i.id for i in fid.ITEMS if i.kind == "judgement"])
def test_judgement_items_take_the_reviewers_rating(item_id):
    assert [fid.rate_item(item_id, r) for r in range(1, 6)] == [1, 2, 3, 4, 5]
    assert fid.rate_item(item_id, 4.0) == 4
    with pytest.raises(FidelityError, match=item_id):
        fid.rate_item(item_id, 6)


def test_rate_item_rejects_unknown_ids_and_hints_at_case():
    with pytest.raises(FidelityError, match="did you mean 'SV4'"):
        fid.rate_item("sv4", 10)
    with pytest.raises(FidelityError, match="SV15"):
        fid.rate_item("SV15", 3)
    with pytest.raises(FidelityError, match="Unknown item id"):
        fid.rate_item(["S1"], 3)


# --------------------------------------------------------------------------- validating ratings


@pytest.mark.parametrize("bad", [0, 6, -1, "4", 3.5, True, False, None, math.nan, [4]])
def test_bad_rating_names_the_item_and_the_fix(bad):
    with pytest.raises(FidelityError) as err:
        fid.validate_ratings(ratings_with(SV4=bad))
    msg = str(err.value)
    assert "SV4 (Rapid job search)" in msg
    assert "whole numbers 1–5" in msg


def test_digit_strings_are_rejected_with_advice_to_enter_a_number():
    with pytest.raises(FidelityError, match="enter a number"):
        fid.validate_ratings(ratings_with(S1="4"))


def test_the_example_message_wording_for_an_out_of_range_rating():
    with pytest.raises(FidelityError) as err:
        fid.validate_ratings(ratings_with(SV4=6))
    expected = "Rating for item SV4 (Rapid job search) is 6; ratings must be whole numbers 1–5."
    assert str(err.value) == expected


def test_missing_items_are_all_listed_by_id_and_name():
    ratings = dict(ALL_FIVES)
    del ratings["O4"], ratings["SV12"]
    with pytest.raises(FidelityError) as err:
        fid.validate_ratings(ratings)
    msg = str(err.value)
    assert "O4 (Vocational unit)" in msg and "SV12 (Time-unlimited follow-along supports)" in msg
    assert "2 item(s)" in msg


def test_unknown_ids_are_rejected():
    with pytest.raises(FidelityError, match="SV15"):
        fid.validate_ratings({**ALL_FIVES, "SV15": 3})


def test_every_problem_is_reported_at_once():
    ratings = {**ALL_FIVES, "X1": 2, "S1": 0}
    del ratings["O3"]
    msg = str(pytest.raises(FidelityError, fid.validate_ratings, ratings).value)
    assert "X1" in msg and "O3" in msg and "S1 (Caseload size)" in msg


def test_whole_floats_and_integer_like_values_are_normalised_to_int():
    out = fid.validate_ratings(ratings_with(S1=4.0))
    assert out["S1"] == 4 and type(out["S1"]) is int
    assert list(out) == list(fid.ITEM_BY_ID)


def test_ratings_must_be_a_mapping():
    with pytest.raises(FidelityError, match="mapping"):
        fid.validate_ratings([5] * 25)


# --------------------------------------------------------------------------- score, priorities, figure


def test_score_totals_sections_and_band():
    s = fid.score(ratings_with(S1=1, O4=2, SV4=3))
    assert s.total == 125 - 4 - 3 - 2 == 116
    assert s.by_section == {"staffing": 11, "organisation": 37, "services": 68}
    assert s.band == "exemplary"
    assert (s.band_label("en"), s.band_label("fi")) == ("Exemplary fidelity", "Erinomainen")
    assert s.ratings["S1"] == 1


def test_all_ones_is_not_supported_employment_and_all_fives_is_exemplary():
    assert fid.score({i: 1 for i in fid.ITEM_BY_ID}).band == "not_supported_employment"
    assert fid.score(ALL_FIVES).total == 125


def test_improvement_priorities_lowest_first_with_ties_in_scale_order():
    ratings = ratings_with(SV4=2, O4=2, S1=3, SV12=1)
    got = fid.improvement_priorities(ratings, n=10)
    assert [p.id for p in got] == ["SV12", "O4", "SV4", "S1"]
    assert [p.rating for p in got] == [1, 2, 2, 3]
    assert [p.id for p in fid.improvement_priorities(ratings, n=2)] == ["SV12", "O4"]


def test_improvement_priorities_give_the_next_anchor_to_aim_for():
    (p,) = fid.improvement_priorities(ratings_with(SV4=2), n=5)
    item = fid.ITEM_BY_ID["SV4"]
    assert p.target_rating == 3
    assert p.next_anchor("en") == item.anchor(3, "en") and p.next_anchor("fi") == item.anchor(3, "fi")
    assert (p.name("en"), p.name("fi")) == ("Rapid job search", "Nopea työnhaku")


def test_no_priorities_when_every_item_is_at_full_fidelity():
    assert fid.improvement_priorities(ALL_FIVES) == []
    assert len(fid.improvement_priorities({i: 3 for i in fid.ITEM_BY_ID})) == 5


def test_improvement_priorities_reject_negative_n():
    with pytest.raises(FidelityError, match="n must be"):
        fid.improvement_priorities(ALL_FIVES, n=-1)


@pytest.mark.parametrize("lang, label", [("en", "Fair fidelity"), ("fi", "Kohtalainen")])
def test_review_figure_draws_25_bars_with_total_and_band_in_title(lang, label):
    ratings = {i: 3 for i in fid.ITEM_BY_ID}
    fig = fid.review_figure(ratings, lang=lang)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.patches) == 25
    assert [round(p.get_width()) for p in ax.patches] == [3] * 25
    title = fig.get_suptitle()
    assert "75/125" in title and label in title
    fig.savefig(__import__("io").BytesIO(), format="png")  # renders headless


def test_review_figure_rejects_unknown_language():
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        fid.review_figure(ALL_FIVES, lang="sv")


def test_review_figure_labels_follow_the_language():
    ratings = ratings_with(S1=2, SV4=1)
    for lang, axis, staffing in (("en", "Rating", "Staffing 12/15"), ("fi", "Pisteet", "Henkilöstö 12/15")):
        fig = fid.review_figure(ratings, lang=lang)
        assert fig.axes[0].get_xlabel() == axis
        assert staffing in [t.get_text() for t in fig.legends[0].get_texts()]
        assert fig.axes[0].get_yticklabels()[0].get_text() == f"S1 {fid.item_name('S1', lang)}"


def test_subtotal_labels_name_the_section_in_the_language():
    s = fid.score(ratings_with(O4=1))
    assert s.subtotal_label("organisation", "en") == "Organisation 36/40"
    assert s.subtotal_label("organisation", "fi") == "Organisaatio 36/40"


def test_ratings_from_evidence_rates_every_item():
    evidence = {
        "S1": 18, "S2": 92, "S3": 4, "O1": 95, "O2": ["weekly_meetings", "shared_record", "colocated"],
        "O3": 2, "O4": 2, "O5": 5, "O6": 4, "O7": 4, "O8": ["leaders_know"], "SV1": 3, "SV2": 4,
        "SV3": 4, "SV4": 28, "SV5": 80, "SV6": {"value": 4, "log_review": "monthly"}, "SV7": 3,
        "SV8": 72, "SV9": 90, "SV10": 100, "SV11": 4, "SV12": 3, "SV13": 55, "SV14": 6,
    }
    got = fid.ratings_from_evidence(evidence)
    assert got == {"S1": 5, "S2": 4, "S3": 4, "O1": 5, "O2": 3, "O3": 2, "O4": 2, "O5": 5, "O6": 4,
                   "O7": 4, "O8": 1, "SV1": 3, "SV2": 5, "SV3": 4, "SV4": 5, "SV5": 4, "SV6": 3,
                   "SV7": 3, "SV8": 4, "SV9": 5, "SV10": 5, "SV11": 4, "SV12": 3, "SV13": 4, "SV14": 5}
    assert fid.score(got).total == sum(got.values())


def test_ratings_from_evidence_lists_missing_items():
    with pytest.raises(FidelityError, match=r"S2 \(Employment services staff\)"):
        fid.ratings_from_evidence({"S1": 10})


# --------------------------------------------------------------------------- properties

valid_ratings = st.fixed_dictionaries({i: st.integers(1, 5) for i in fid.ITEM_BY_ID})


@given(valid_ratings)
def test_any_valid_ratings_give_a_consistent_score(ratings):
    s = fid.score(ratings)
    assert 25 <= s.total <= 125
    assert sum(s.by_section.values()) == s.total
    assert s.band == fid.band(s.total)
    assert s.band_label("fi") == fid.band_label(s.band, "fi")


@given(valid_ratings, st.integers(0, 25))
def test_priorities_are_never_better_rated_than_items_left_out(ratings, n):
    got = fid.improvement_priorities(ratings, n)
    assert len(got) <= n and all(p.rating < 5 for p in got)
    chosen = {p.id for p in got}
    if got:
        assert all(ratings[i] >= got[-1].rating for i in fid.ITEM_BY_ID if i not in chosen)
    assert [p.rating for p in got] == sorted(p.rating for p in got)
