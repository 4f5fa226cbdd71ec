"""The decision brief (sim/brief.py, `worksim brief`): built from small real run, compare and
sweep folders, in words that match the numbers the folders hold, in English and Finnish, with
no code names, no external links, the pathway's flows adding up, and a PDF of the same."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pypdf  # the test extra: the PDF is read back as text
import pytest

import sim
from sim import brief
from sim.cli import main
from sim.learning.text import number, percent

pytestmark = pytest.mark.slow

CODE_NAME = re.compile(r"\b\w+\.\w+_\w+\b|\b(?:ips|exit|routed|assessment|team)_\w+"
                       r"|\b\w+_(?:days|share|mean)\b")


def _summary(folder) -> dict[str, dict[str, float]]:
    with (folder / "summary.csv").open(encoding="utf-8") as fh:
        return {r["metric"]: {k: float(v) for k, v in r.items() if k not in ("metric", "unit")}
                for r in csv.DictReader(fh)}


def _text(page: str) -> str:
    """The words of an HTML page: tags and the pictures' data dropped, alt texts kept."""
    alts = " ".join(html.unescape(a) for a in re.findall(r'alt="([^"]*)"', page))
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page)) + " " + alts


def _days(value: float, lang: str = "en") -> str:
    return number(value, lang, 0 if abs(value) >= 10 else 1)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["run", "pohjois-savo-pilot", "-n", "3", "--out", str(out), "-q",
                 "--set", "ips.coaches=1.5"]) == 0
    return out


@pytest.fixture(scope="module")
def run_briefs(run_dir):
    loaded = brief.load_results(run_dir)
    return {lang: brief.build_brief(loaded, lang) for lang in ("en", "fi")}


def test_a_run_brief_says_the_key_results_in_words_with_the_numbers_of_summary_csv(run_dir, run_briefs):
    page = run_briefs["en"].to_html()
    text = _text(page)
    rows = _summary(run_dir)
    wait = rows["ips_wait_days.mean"]
    assert (f"People wait on average {_days(wait['mean'])} days "
            f"({_days(max(wait['ci95_low'], 0))}–{_days(wait['ci95_high'])}) for a coaching place."
            in text)
    share = rows["employed_within_365d_share"]
    assert f"{percent(share['mean'], 'en')} ({percent(max(share['ci95_low'], 0), 'en')}–" in text
    years = 365 / 730
    assert f"About {_days(rows['referrals']['mean'] * years)} people are referred a year" in text
    assert "95 % confidence intervals" in text
    # the question and the sources of the input numbers
    assert "The question" in text and "How long would people wait for coaching" in text
    assert "C3, C6 (fidelity item S1, at most 20 per full-time coach)" in text
    assert "S3 (one developer-coach and one coach, no team leader)" in text
    assert "1.5 FTE" in text  # the --set value, from the folder's scenario
    assert "Assumptions and limits" in text and "STRESS-DES" in text


def test_the_pathway_flows_add_up_and_are_drawn_with_alt_text(run_dir, run_briefs):
    loaded = brief.load_results(run_dir)
    flows = sim.plots.pathway_flows(loaded.result)
    rows = _summary(run_dir)
    per_year = rows["referrals"]["mean"] * 365 / 730
    assert flows["referrals"] == pytest.approx(per_year)
    assert sum(flows["decisions"].values()) == pytest.approx(per_year)
    assert sum(flows["outcomes"].values()) == pytest.approx(per_year)
    exits = sum(rows[f"exit_{x}"]["mean"] for x in ("employed", "education", "pension", "dropout",
                                                     "other", "in_service"))
    assert exits * 365 / 730 == pytest.approx(per_year)
    assert flows["outcomes"]["employed"] == pytest.approx(rows["exit_employed"]["mean"] * 365 / 730)
    for node, value in flows["decisions"].items():  # what flows into a decision flows out of it
        assert sum(v for src, _, v in flows["links"] if src == node) == pytest.approx(value)
    page = run_briefs["en"].to_html()
    alts = [html.unescape(a) for a in re.findall(r'<img [^>]*alt="([^"]*)"', page)]
    assert len(alts) == len(re.findall(r"<img ", page)) >= 3 and all(alts)
    flow_alt = next(a for a in alts if a.startswith("Flow diagram"))
    assert f"of about {number(per_year, 'en')} people referred" in flow_alt
    assert "IPS coaching" in flow_alt and "still in service" in flow_alt


def test_the_finnish_brief_is_finnish(run_briefs):
    page = run_briefs["fi"].to_html()
    text = _text(page)
    assert '<html lang="fi">' in page
    for word in ("Kysymys", "keskimäärin", "päivää", "Lähde", "Oletukset ja rajoitukset",
                 "Kuka menee minne vuodessa", "skenaarion oletus", "htv"):
        assert word in text, word
    for english in ("The question", "People wait", "Assumptions and limits"):
        assert english not in text, english
    assert '<html lang="en">' in run_briefs["en"].to_html()


def _warning_items(built) -> list[str]:
    """The items of a brief's warnings section."""
    heading = sim.learning.text.t("brief.h.warnings", built.lang)
    at = next(i for i, b in enumerate(built.blocks) if b.kind == "h2" and b.text == heading)
    return list(built.blocks[at + 1].items)


def test_the_models_warnings_are_in_the_briefs_language(run_briefs):
    en, fi = _warning_items(run_briefs["en"]), _warning_items(run_briefs["fi"])
    assert any(i.startswith("IPS coaching: about") and "Keeping up takes more than about" in i
               for i in en)
    assert any(i.startswith("IPS-valmennus: noin") and "Tahdissa pysyminen vaatii yli noin" in i
               for i in fi)
    assert len(en) == len(fi) and not set(en) & set(fi)
    assert not any("coaching" in i or "englanniksi" in i for i in fi)


def test_a_comparison_brief_names_each_alternatives_warnings():
    base = sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": 200})
    cmp = sim.compare(base, {"one": base.with_changes({"ips.coaches": 1})}, 2)
    assert not cmp.base.checks() and cmp.alternatives["one"].checks()
    assert any(i.startswith("one: IPS-valmennus: noin")
               for i in _warning_items(brief.build_brief(cmp, "fi")))


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_no_code_names_and_nothing_external(run_briefs, lang):
    page = run_briefs[lang].to_html()
    text = _text(page)
    assert not CODE_NAME.findall(text), sorted(set(CODE_NAME.findall(text)))[:10]
    assert not re.search(r"https?://|<script|<link|@import|url\(", page)
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'src="([^"]*)"', page))


def test_the_pdf_has_the_same_content(run_briefs):
    pdf = run_briefs["fi"].to_pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 4
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Työhönvalmennuspaikkaa odotetaan keskimäärin" in text
    assert "Tiivistelmä päätöksenteon tueksi" in text


def test_the_command_writes_both_files_and_never_overwrites_without_asking(run_dir, tmp_path, capsys):
    out = tmp_path / "brief"
    assert main(["brief", str(run_dir), "--out", str(out), "--question",
                 "Is a third coach worth it?"]) == 0
    page = (out / "brief-en.html").read_text(encoding="utf-8")
    assert "Is a third coach worth it?" in page
    assert (out / "brief-en.pdf").read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    assert main(["brief", str(run_dir), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "--overwrite" in err
    assert (out / "brief-en.html").read_text(encoding="utf-8") == page


def test_the_command_refuses_a_folder_that_is_not_results(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["brief", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "not a run, sweep or compare" in err
    assert main(["brief", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_compare_folder_gives_the_paired_differences_in_words(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "pohjois-savo-pilot", "--alt", "three:ips.coaches=3", "-n", "3",
                 "--horizon-days", "500", "-q", "--out", str(out)]) == 0
    record = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert record["kind"] == "compare" and set(record["per_replication"]) == {"base", "three"}
    with (out / "comparison.csv").open(encoding="utf-8") as fh:
        rows = {r["metric"]: r for r in csv.DictReader(fh)}
    text = _text(brief.build_brief(brief.load_results(out), "en").to_html())
    assert "The alternatives compared" in text
    assert "Job coaches (FTE) 2 → 3" in text
    diff = float(rows["ips_wait_days.mean"]["difference"])
    shown = _days(abs(diff))
    if shown.strip("0."):  # a zero shows no sign
        shown = ("+" if diff > 0 else "\u2212") + shown
    assert f"the difference is {shown} days (" in text
    assert "clear difference" in text
    assert not CODE_NAME.findall(text), sorted(set(CODE_NAME.findall(text)))[:10]


def test_a_sweep_with_a_target_gives_the_staffing_answer(tmp_path):
    out = tmp_path / "sweep"
    assert main(["sweep", "pohjois-savo-pilot", "--vary", "ips.coaches=1:3", "--target",
                 "ips_wait_days.p90<=30", "-n", "3", "--horizon-days", "500", "-q",
                 "--out", str(out)]) == 0
    with (out / "sweep.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    meets = [r for r in rows if r["meets_target"] == "True"]
    page = brief.build_brief(brief.load_results(out), "fi").to_html()
    text = _text(page)
    if meets:
        best = float(meets[0]["ips.coaches"])
        assert "Pienin määrä, joka täyttää tavoitteen" in text
        assert f"Työhönvalmentajat (htv) {sim.plots.amount(best, 'fi')}." in text
    else:
        assert "Mikään kokeilluista arvoista" in text
    assert "”Odotus työhönvalmennukseen, 90. persentiili” on enintään 30 päivää" in text
    assert "Henkilöstömitoitus" in text and "Täyttääkö tavoitteen?" in text
    assert not CODE_NAME.findall(text), sorted(set(CODE_NAME.findall(text)))[:10]


def test_a_brief_from_results_in_memory(tmp_path):
    reps = sim.replicate(sim.preset("pohjois-savo-pilot").with_changes({"horizon_days": 400}), 2)
    text = _text(brief.build_brief(reps, "en").to_html())
    assert "Simulation report: pohjois-savo-pilot" in text  # the STRESS-DES record, from memory
    assert "People wait on average" in text
    with pytest.raises(ValueError, match="out="):
        brief.write_brief(reps, "en")
    (tmp_path / "brief-en.html").write_text("mine")
    with pytest.raises(FileExistsError, match="--overwrite"):
        brief.write_brief(reps, "en", tmp_path)  # refused before anything is built
    assert (tmp_path / "brief-en.html").read_text() == "mine"
