"""Impact logic (sim.practice.impact): intervals validated against scipy, benchmark verdicts, and the
"too small to judge" rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from sim.learning.text import UnknownLanguageError, percent
from sim.practice import impact
from sim.practice.impact import (
    BENCHMARKS,
    ImpactError,
    exact_interval,
    judge_period,
    judge_periods,
    proportion,
    served_needed,
    too_small_to_judge,
    wilson_interval,
)

counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
levels = st.sampled_from([0.8, 0.9, 0.95, 0.99])


# --- intervals against an independent implementation ------------------------------------


@given(counts, levels)
def test_wilson_interval_matches_scipy(kn, level):
    k, n = kn
    ref = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    low, high = wilson_interval(k, n, level)
    assert low == pytest.approx(ref.low, abs=1e-9) and high == pytest.approx(ref.high, abs=1e-9)


@given(counts, levels)
def test_exact_interval_matches_scipy(kn, level):
    k, n = kn
    ref = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    low, high = exact_interval(k, n, level)
    assert low == pytest.approx(ref.low, abs=1e-9) and high == pytest.approx(ref.high, abs=1e-9)


@given(counts, st.sampled_from(impact.METHODS))
def test_interval_contains_the_estimate_and_stays_within_zero_and_one(kn, method):
    p = proportion(*kn, method=method)
    assert 0 <= p.low <= p.rate <= p.high <= 1


def test_exact_interval_is_wider_than_wilson_for_small_counts():
    for k, n in [(0, 5), (2, 10), (6, 15), (15, 15)]:
        assert proportion(k, n, method="exact").width > proportion(k, n, method="wilson").width


def test_more_people_give_a_narrower_interval_at_the_same_rate():
    widths = [proportion(4 * m, 10 * m).width for m in (1, 2, 4, 8, 16)]
    assert widths == sorted(widths, reverse=True)


def test_higher_confidence_gives_a_wider_interval():
    assert proportion(12, 30, 0.8).width < proportion(12, 30, 0.9).width < proportion(12, 30, 0.95).width


# --- benchmarks and verdicts ----------------------------------------------------------------


def test_benchmarks_are_31_41_and_50_percent_from_c38():
    assert [(b.key, b.rate) for b in BENCHMARKS] == [("minimum", 0.31), ("average", 0.41),
                                                     ("excellent", 0.50)]
    assert impact.BENCHMARK_SOURCES == ("C38",)


@pytest.mark.parametrize("rate, band", [(0.0, "below_minimum"), (0.309, "below_minimum"), (0.31, "minimum"),
                                        (0.409, "minimum"), (0.41, "average"), (0.5, "excellent"),
                                        (1.0, "excellent")])
def test_point_estimate_bands(rate, band):
    assert impact.band(rate) == band


def test_band_labels_come_in_both_languages():
    assert impact.band_label("average", "en") == "at or above the average benchmark"
    assert impact.band_label("below_minimum", "fi") == "alle vähimmäistason"
    with pytest.raises(ImpactError, match="unknown band"):
        impact.band_label("superb")


def test_verdicts_need_the_whole_interval_on_one_side():
    high = judge_period(60, 100)  # interval about 50-69 %
    assert dict(high.verdicts) == {"minimum": "above", "average": "above", "excellent": "above"}
    low = judge_period(10, 100)
    assert dict(low.verdicts) == {"minimum": "below", "average": "below", "excellent": "below"}
    middle = judge_period(45, 100)
    assert dict(middle.verdicts) == {"minimum": "above", "average": "unclear", "excellent": "unclear"}


def test_a_small_team_is_too_small_to_judge_even_at_an_average_rate():
    r = judge_period(6, 15)
    assert r.too_small and r.band == "minimum"
    assert "Too few people to judge" in r.message("en")
    assert "Liian vähän ihmisiä" in r.message("fi")


def test_too_small_means_the_interval_holds_both_minimum_and_excellent():
    for k, n in [(6, 15), (13, 35), (45, 100), (0, 3), (0, 8)]:
        p = proportion(k, n)
        assert too_small_to_judge(p) == (p.low <= 0.31 and p.high >= 0.50)


def pct(lang: str, *shares: float) -> tuple[str, ...]:
    return tuple(percent(share, lang) for share in shares)


def test_messages_name_the_clear_and_unclear_benchmarks_in_both_languages():
    r = judge_period(5, 24, "Q1")
    en, fi = r.message("en"), r.message("fi")
    rate, level, low, high = pct("en", 0.21, 0.95, 0.09, 0.40)
    assert en.startswith(f"5 of 24 in competitive work ({rate}); {level} interval {low}–{high}.")
    assert rate == "21%"  # English writes a percentage without a space
    assert f"Clearly below the average benchmark ({percent(0.41, 'en')})" in en
    assert f"cannot be told apart from the minimum ({percent(0.31, 'en')}) benchmark" in en
    minimum, average = pct("fi", 0.31, 0.41)
    assert fi.startswith(f"5/24 työssä avoimilla työmarkkinoilla ({percent(0.21, 'fi')}); ")
    assert f"Selvästi alle keskitason ({average})" in fi
    assert f"suhde vähimmäistasoon ({minimum}) jää epäselväksi" in fi
    assert judge_period(60, 100).message("en").endswith(
        f"Clearly above the excellent benchmark ({percent(0.5, 'en')}).")


def test_two_unclear_benchmarks_are_joined_and_plural():
    r = judge_period(45, 100)
    assert [k for k, v in r.verdicts.items() if v == "unclear"] == ["average", "excellent"]
    en, fi = r.message("en"), r.message("fi")
    average, excellent = pct("en", 0.41, 0.5)
    assert f"cannot be told apart from the average ({average}) and excellent ({excellent}) benchmarks." in en
    average, excellent = pct("fi", 0.41, 0.5)
    assert f"suhde keskitasoon ({average}) ja erinomaiseen tasoon ({excellent}) jää epäselväksi." in fi


def test_served_needed_separates_the_benchmarks_and_one_fewer_does_not():
    n = served_needed(0.41)
    assert not too_small_to_judge(proportion(round(0.41 * n), n))
    assert too_small_to_judge(proportion(round(0.41 * (n - 1)), n - 1))
    assert 50 < n < 150
    assert served_needed(0.41, level=0.8) < n  # a lower confidence level needs fewer people


def test_judge_periods_skips_quarters_with_nobody_served_and_keeps_labels():
    results = judge_periods({"Q1": (0, 0), "Q2": (4, 10), "Q3": (7, 12)})
    assert [r.label for r in results] == ["Q2", "Q3"]
    assert [(r.working, r.served) for r in results] == [(4, 10), (7, 12)]
    same = judge_periods([("Q2", 4, 10), ("Q3", 7, 12)])
    assert [r.proportion for r in same] == [r.proportion for r in results]


@pytest.mark.parametrize("k, n, message", [
    (5, 0, "served is 0"), (11, 10, r"working \(11\) is more than served \(10\)"),
    (-1, 10, "working must be a whole number"), (2.5, 10, "working must be a whole number"),
    (True, 10, "working must be a whole number"),
])
def test_bad_counts_are_explained(k, n, message):
    with pytest.raises(ImpactError, match=message):
        proportion(k, n)


def test_bad_settings_are_explained():
    with pytest.raises(ImpactError, match="method must be one of"):
        proportion(3, 10, method="normal")
    with pytest.raises(ImpactError, match="level must be a confidence level"):
        proportion(3, 10, level=95)
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        judge_period(3, 10).message("sv")
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        impact.band_label("average", "sv")


def test_references_are_context_with_sources_and_plausible_shares():
    for ref in impact.REFERENCES:
        assert ref.sources and ref.measure["en"] and ref.measure["fi"] and ref.label("fi")
        assert 0 < ref.ips < 1 and (ref.comparison is None or ref.comparison < ref.ips)
    assert {r.key: r.ips for r in impact.REFERENCES}["bond2008"] == 0.61


def test_figure_has_one_point_per_period_and_three_benchmark_lines():
    results = judge_periods([("Q1", 5, 24), ("Q2", 9, 31), ("Q3", 13, 35)])
    fig = impact.impact_figure(results, "fi")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Q1", "Q2", "Q3"]
    lines = [ln for ln in ax.get_lines() if list(ln.get_ydata()) in ([31, 31], [41, 41], [50, 50])]
    assert len(lines) == 3
    assert "luottamusvälit" in ax.get_title() and "[C38]" in ax.get_title()
    labels = {t.get_text(): t.get_position()[1] for t in ax.texts if "%" in t.get_text()}
    minimum, average, excellent = pct("fi", 0.31, 0.41, 0.5)
    assert labels == {f"vähimmäistaso {minimum}": 31, f"keskitaso {average}": 41,
                      f"erinomainen taso {excellent}": 50}
    assert f"{percent(0.95, 'fi')}:n luottamusvälit" in ax.get_title()
    assert any("liian pieni" in t.get_text() for t in fig.texts)  # Q3 is too small to judge
    assert not math.isnan(results[0].proportion.low)
