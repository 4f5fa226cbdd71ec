"""Fit from data (sim/fit.py, `worksim fit`): known parameters recovered from generated data,
censoring honoured, the shipped examples end to end, one clear line for every bad file, and the
gamma and Weibull duration kinds the fits write."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim import fit
from sim.cli import main
from sim.scenario import Dist, ScenarioError, scenario_from_text
from sim.streams import sampler

EXAMPLES = Path(fit.__file__).parent / "data" / "examples"
SEASON = np.array([1.1, 1.1, 1.05, 1.0, 0.95, 0.8, 0.6, 0.9, 1.15, 1.15, 1.1, 1.1])


def _referrals(path: Path, rates: dict[str, float], season=None, years: int = 3, seed: int = 1,
               sep: str = ",", day_first: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    season = np.ones(12) if season is None else np.asarray(season) / np.mean(season)
    lines = [sep.join(["date", "source"])]
    day, end = dt.date(2022, 1, 1), dt.date(2022 + years, 1, 1)
    while day < end:
        for name, rate in rates.items():
            for _ in range(rng.poisson(rate / 365 * season[day.month - 1])):
                shown = f"{day:%d.%m.%Y}" if day_first else day.isoformat()
                lines.append(f"{shown}{sep}{name}")
        day += dt.timedelta(days=1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- referrals --------------------------------------------------------------------------------

def test_garwood_interval_matches_the_exact_poisson_limits():
    lo, hi = fit.poisson_ci(10, 1.0)
    assert lo == pytest.approx(4.7954, abs=1e-3) and hi == pytest.approx(18.3904, abs=1e-3)
    assert fit.poisson_ci(0, 2.0) == (0.0, pytest.approx(3.6889 / 2, abs=1e-3))


def test_poisson_rates_are_recovered_with_intervals_that_cover_them(tmp_path):
    rates = {"sote_centre": 300.0, "kela": 100.0, "ohjaamo": 20.0}
    result = fit.fit_file(_referrals(tmp_path / "r.csv", rates, years=3))
    assert isinstance(result, fit.ReferralFit)
    assert result.days == 1096
    for name, rate in rates.items():
        lo, hi = result.ci[name]
        assert lo < rate < hi, (name, lo, hi)
        assert result.per_year[name] == pytest.approx(rate, rel=0.15)
        assert result.per_year[name] == pytest.approx(result.counts[name] / (1096 / 365))


def test_seasonality_is_detected_when_present_and_recovered(tmp_path):
    result = fit.fit_file(_referrals(tmp_path / "r.csv", {"a": 400, "b": 200}, SEASON, years=4))
    assert result.seasonal and result.p_value < 1e-6 and result.df == 11
    written = np.array(result.seasonality)
    assert written.mean() == pytest.approx(1, abs=1e-3)
    assert np.abs(written - SEASON / SEASON.mean()).max() < 0.12
    assert written[6] < 0.75  # the July dip


def test_flat_seasonality_is_written_when_the_data_do_not_support_month_effects(tmp_path):
    result = fit.fit_file(_referrals(tmp_path / "r.csv", {"a": 300}, None, years=3, seed=7))
    assert not result.seasonal and result.p_value > 0.05
    assert result.seasonality == [1.0] * 12
    assert any("not supported" in line for line in result.report())
    assert "flat" in result.fragment(dt.date(2026, 1, 1))["sources"]["arrivals.seasonality"]


def test_monthly_counts_give_the_same_rates_as_the_dated_referrals(tmp_path):
    dated = fit.fit_file(_referrals(tmp_path / "r.csv", {"a": 200, "b": 50}, SEASON, years=2))
    rows = ["month;source;count"]
    for (month, _n) in dated.monthly:
        for name in ("a", "b"):
            day_rows = [line for line in (tmp_path / "r.csv").read_text().splitlines()[1:]
                        if line.startswith(f"{month:%Y-%m}") and line.endswith("," + name)]
            rows.append(f"{month.month}.{month.year};{name};{len(day_rows)}")
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monthly = fit.fit_file(tmp_path / "m.csv")
    assert monthly.counts == dated.counts and monthly.days == dated.days
    assert monthly.per_year == pytest.approx(dated.per_year)
    assert monthly.p_value == pytest.approx(dated.p_value)


# --- durations --------------------------------------------------------------------------------

TRUE = {
    "exponential": stats.expon(scale=100),
    "lognormal": stats.lognorm(s=0.8, scale=80),
    "gamma": stats.gamma(a=4, scale=30),
    "weibull": stats.weibull_min(c=0.6, scale=100),
}


@pytest.mark.parametrize("kind", sorted(TRUE))
def test_each_distribution_is_recovered_and_chosen_by_aic(kind):
    rng = np.random.default_rng(11)
    true = TRUE[kind]
    x = true.rvs(4000, random_state=rng)
    censor = rng.exponential(4 * true.mean(), len(x))  # about a fifth censored
    result = fit.fit_durations(times=np.minimum(x, censor), observed=x <= censor)
    assert result.best.dist == kind, [(c.dist, c.aic) for c in result.candidates]
    assert result.best.mean == pytest.approx(true.mean(), rel=0.1)  # Weibull's cv is 1.8
    assert result.best.cv == pytest.approx(true.std() / true.mean(), rel=0.08)
    assert result.best.ks < 0.03
    Dist(**result.best.as_dist().to_dict()).validate("fitted")  # writable as a scenario field


def test_censoring_is_honoured_where_the_naive_fit_is_biased():
    rng = np.random.default_rng(5)
    x = rng.gamma(2.8, 240 / 2.8, 3000)
    window = rng.uniform(0, 700, len(x))  # spells started at random before the extraction date
    t, ended = np.minimum(x, window), x <= window
    assert 0.25 < 1 - ended.mean() < 0.45
    naive = fit.fit_durations(times=t[ended])
    honest = fit.fit_durations(times=t, observed=ended)
    assert naive.best.mean < 0.85 * 240  # ignoring the ongoing spells shortens them
    assert honest.best.mean == pytest.approx(240, rel=0.06)
    assert honest.best.dist == "gamma"


def test_kaplan_meier_without_censoring_is_the_empirical_cdf():
    t = np.array([3.0, 1.0, 2.0, 2.0])
    times, cdf = fit.kaplan_meier(t, np.ones(4, bool))
    assert list(times) == [1, 2, 3] and list(cdf) == pytest.approx([0.25, 0.75, 1.0])


# --- the command on the shipped examples ------------------------------------------------------

def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_referral_example_writes_a_fragment_that_loads_into_a_scenario(tmp_path, capsys):
    out = tmp_path / "arrivals.yaml"
    code, printed, err = _run(capsys, "fit", str(EXAMPLES / "referrals-fictional.csv"),
                              "--out", str(out), "--plot", str(tmp_path / "plots"))
    assert code == 0, err
    assert "95 % CI" in printed and "seasonality: likelihood-ratio" in printed
    s = scenario_from_text("base: varsinais-suomi\n" + out.read_text(encoding="utf-8"))
    assert {src.name for src in s.arrivals.sources} == {"sote_centre", "social_services", "kela"}
    assert s.arrivals.seasonality[6] < 0.8  # the examples' summer dip is found
    assert s.source_of("arrivals.sources").startswith("fitted from referrals-fictional.csv, 913 records")
    assert (tmp_path / "plots" / "fit-referrals.png").stat().st_size > 10_000
    # the fragment is never overwritten without --overwrite
    code, _, err = _run(capsys, "fit", str(EXAMPLES / "referrals-fictional.csv"), "--out", str(out))
    assert code == 2 and err.startswith("error: --out") and "--overwrite" in err


def test_duration_example_writes_the_field_asked_for(tmp_path, capsys):
    code, printed, err = _run(capsys, "fit", str(EXAMPLES / "durations-fictional.csv"),
                              "--as-of", "31.12.2025", "--field", "ips.job_tenure")
    assert code == 0, err
    assert "censored at 2025-12-31" in printed and "chosen by AIC: gamma" in printed
    s = scenario_from_text("base: varsinais-suomi\n" + printed)
    assert s.ips.job_tenure.dist == "gamma"
    assert s.ips.job_tenure.mean == pytest.approx(240, rel=0.1)
    assert "320 records (62 ongoing)" in s.source_of("ips.job_tenure")


def test_the_finnish_locale_file_reads_as_its_english_twin():
    english = fit.fit_file(EXAMPLES / "durations-fictional.csv")
    finnish = fit.fit_file(EXAMPLES / "kestot-fiktiivinen-fi.csv")
    table = fit.read_table(EXAMPLES / "kestot-fiktiivinen-fi.csv")
    assert (table.delimiter, table.encoding) == (";", "cp1252")
    assert list(finnish.times) == list(english.times)
    assert list(finnish.observed) == list(english.observed)
    assert finnish.best.as_dist() == english.best.as_dist()


def test_decimal_commas_a_bom_and_finnish_dates_read_as_their_english_twin(tmp_path):
    english = tmp_path / "en.csv"
    english.write_text("days,ongoing\n12.5,no\n30,no\n7.25,yes\n41,no\n18.0,no\n",
                       encoding="utf-8")
    finnish = tmp_path / "fi.csv"
    finnish.write_bytes("\ufeffkesto;jatkuu\n12,5;ei\n30;ei\n7,25;kyllä\n41;ei\n18,0;ei\n"
                        .encode("utf-8"))
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(finnish.read_text(encoding="utf-8-sig").replace(";", "\t").encode("utf-16"))
    a, b = fit.fit_file(english), fit.fit_file(finnish)
    assert list(fit.fit_file(utf16).times) == list(a.times)
    assert list(a.times) == list(b.times) == [12.5, 30, 7.25, 41, 18]
    assert list(b.observed) == [True, True, False, True, True]
    en_ref = _referrals(tmp_path / "r-en.csv", {"x": 100, "y": 50}, SEASON, years=1)
    fi_ref = _referrals(tmp_path / "r-fi.csv", {"x": 100, "y": 50}, SEASON, years=1, sep=";",
                        day_first=True)
    assert fit.fit_file(en_ref).per_year == fit.fit_file(fi_ref).per_year


# --- bad files: one line naming the row, the column and the fix -------------------------------

BAD = {
    "wrong columns": (b"when,who\n2024-01-01,kela\n2024-01-02,kela\n",
                      ["row 1", "'when', 'who'", "date,source"]),
    "unparseable date": (b"date,source\n2024-01-01,kela\n2024-13-45,kela\n",
                         ["row 3", "column 'date'", "2024-03-31 or 31.3.2024"]),
    "empty source": (b"date,source\n2024-01-01,kela\n2024-01-02,\n", ["row 3", "column 'source'"]),
    "negative duration": (b"days\n4\n-3\n", ["row 3", "column 'days'", "negative"]),
    "end before start": (b"start,end\n2024-01-01,2024-02-01\n2024-03-01,2024-02-01\n",
                         ["row 3", "column 'end'", "before the start"]),
    "not a number": (b"days\n4\nabc\n", ["row 3", "column 'days'"]),
    "bad count": (b"month,source,count\n2024-01,kela,3\n2024-02,kela,2.5\n",
                  ["row 3", "column 'count'", "whole number"]),
    "duplicate month": (b"month,source,count\n2024-01,kela,3\n1.2024,kela,2\n",
                        ["row 3", "already on row 2"]),
    "start without end": (b"start\n2024-01-01\n2024-01-02\n", ["row 1", "'end' column"]),
    "empty file": (b"", ["empty"]),
    "blank lines only": (b"\n  \n", ["empty"]),
    "header only": (b"date,source\n", ["only a header row"]),
    "a single row": (b"date,source\n2024-01-01,kela\n", ["single record (row 2)"]),
    "mixed encodings": ("date,source\n2024-01-01,sote_keskus_ä\n".encode()
                        + "2024-01-02,päivä\n".encode("cp1252"),
                        ["row 3", "mixed encodings", "UTF-8"]),
    "undecodable": (b"date,source\n2024-01-01,kela\n2024-01-02,\x81\x8d\n",
                    ["row 3", "neither UTF-8 nor Windows-1252"]),
    "an excel workbook": (b"PK\x03\x04rest-of-a-zip", ["row 1", "Excel workbook", "save it as CSV"]),
    "a binary file": (b"date,source\n2024-01-01,kela\x00\n", ["row 2", "NUL byte"]),
    "bad ongoing flag": (b"days,ongoing\n4,no\n5,maybe\n", ["row 3", "column 'ongoing'"]),
    "one ended": (b"start,end\n2024-01-01,2024-02-01\n2024-03-01,\n", ["1 of 2 durations"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_gets_one_error_line_naming_row_and_column(case, tmp_path, capsys):
    content, expected = BAD[case]
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    code, out, err = _run(capsys, "fit", str(path))
    assert code == 2 and out == ""
    assert err.startswith("error: data.csv") and err.count("\n") == 1, err
    for part in expected:
        assert part in err, (part, err)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_data_in_memory_gets_the_same_message_as_the_file(case, tmp_path):
    """An upload's bytes (sim.fit.read_data, used by the planners' app) are read exactly as a
    file is: the same one-line message, naming the upload's file name."""
    content, _ = BAD[case]
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(fit.DataError) as from_file:
        fit.fit_file(path)
    with pytest.raises(fit.DataError) as from_bytes:
        fit.fit_data(content, "upload.csv")
    assert str(from_bytes.value) == str(from_file.value)


def test_bytes_and_text_fit_as_the_file_does():
    name = "referrals-fictional.csv"
    path = EXAMPLES / name
    data = path.read_bytes()
    from_file, from_bytes = fit.fit_file(path), fit.fit_data(data, name)
    from_text = fit.fit_data(data.decode("utf-8"), name)
    today = dt.date(2026, 1, 1)
    assert from_bytes.fragment(today) == from_file.fragment(today) == from_text.fragment(today)
    assert f"fitted from {name}," in str(from_bytes.fragment(today)["sources"])
    finnish = EXAMPLES / "kestot-fiktiivinen-fi.csv"  # ';', decimal commas, cp1252 or a BOM
    table, read = fit.read_table(finnish), fit.read_data(finnish.read_bytes(), finnish.name)
    assert (read.rows, read.columns, read.layout, read.encoding, read.path) == \
        (table.rows, table.columns, table.layout, table.encoding, table.path)


def test_a_file_over_the_size_limit_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(fit, "MAX_DATA_BYTES", 1000)
    path = _referrals(tmp_path / "big.csv", {"a": 300}, years=1)
    code, _, err = _run(capsys, "fit", str(path))
    assert code == 2 and "larger than" in err and err.count("\n") == 1


def test_bad_options_are_refused_before_reading(tmp_path, capsys):
    path = EXAMPLES / "durations-fictional.csv"
    code, _, err = _run(capsys, "fit", str(path), "--field", "ips.coaches")
    assert code == 2 and "--field 'ips.coaches': not a duration field" in err
    code, _, err = _run(capsys, "fit", str(path), "--as-of", "yesterday")
    assert code == 2 and "--as-of 'yesterday': not a date" in err
    code, _, err = _run(capsys, "fit", str(path), "--out", str(path), "--overwrite")
    assert code == 2 and "is the data file itself" in err


# --- the gamma and Weibull kinds ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["gamma", "weibull"])
@pytest.mark.parametrize("cv", [0.3, 1.0, 2.0])
def test_gamma_and_weibull_samples_have_the_mean_and_cv_asked_for(kind, cv):
    d = scenario_from_text(f"base: varsinais-suomi\nips: {{job_tenure: {{dist: {kind}, mean: 200, "
                           f"cv: {cv}}}}}").ips.job_tenure
    assert d.to_dict() == {"dist": kind, "mean": 200, "cv": cv}
    u = np.random.default_rng(2).random(200_000)
    x = sampler(d)(u)
    assert x.mean() == pytest.approx(200, rel=0.03)
    assert x.std() / x.mean() == pytest.approx(cv, rel=0.05)
    assert np.all(np.diff(sampler(d)(np.sort(u[:1000]))) >= 0)  # monotone: keeps CRN coupled
    assert sampler(d, scale=2)(u[:1000]) == pytest.approx(x[:1000] / 2)


@pytest.mark.parametrize("kind", ["gamma", "weibull"])
@pytest.mark.parametrize("fields, message", [
    ("{cv: 0.5}", r"\.mean: missing"),
    ("{mean: 0, cv: 0.5}", r"\.mean: 0 is out of range"),
    ("{mean: 30, cv: 0}", r"\.cv: 0 is out of range"),
    ("{mean: 30, cv: 11}", r"\.cv: 11 is out of range"),
    ("{mean: 30, low: 3}", r"\.low: 3 is not used by a \w+ distribution"),
    ("{mean: 400000, cv: 1}", r"\.mean: 400000 is out of range"),
])
def test_gamma_and_weibull_are_validated_like_lognormal(kind, fields, message):
    body = fields.replace("{", f"{{dist: {kind}, ", 1)
    with pytest.raises(ScenarioError, match=message):
        scenario_from_text(f"base: varsinais-suomi\nips: {{job_tenure: {body}}}")


def test_the_weibull_shape_solves_for_the_cv():
    from sim.streams import weibull_cv, weibull_shape
    for cv in (0.05, 0.5, 1.0, 3.0, 10.0):
        assert weibull_cv(weibull_shape(cv)) == pytest.approx(cv, rel=1e-9)
    assert weibull_shape(1.0) == pytest.approx(1.0)
    assert math.isfinite(weibull_shape(1e-9))


def test_the_report_speaks_finnish_with_lang_fi(tmp_path, capsys):
    code, printed, err = _run(capsys, "fit", str(EXAMPLES / "referrals-fictional.csv"), "--lang", "fi",
                              "--plot", str(tmp_path))
    assert code == 0, err
    assert "ohjausta 3 lähteestä" in printed and "kausivaihtelu: uskottavuusosamäärätesti" in printed
    assert "250,7" in printed  # decimal commas
    scenario_from_text("base: varsinais-suomi\n" + printed)  # the fragment still loads
    from PIL import Image
    description = Image.open(tmp_path / "fit-referrals.png").info.get("Description", "")
    assert description.startswith("Viivakaavio kaikkien lähteiden ohjauksista")


def test_a_days_file_with_an_ongoing_column_is_censored_where_it_says(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("days,ongoing\n10,no\n20,yes\n30,no\n40,yes\n", encoding="utf-8")
    result = fit.fit_file(path)
    assert (result.records, result.events, result.censored, result.as_of) == (4, 2, 2, None)
    assert result.candidates[[c.dist for c in result.candidates].index("exponential")].mean \
        == pytest.approx(100 / 2)  # total time over ended spells
