"""The 25-item IPS supported-employment fidelity scale (IPS-25) as data plus pure scoring functions.

Every item name, anchor and element text here is the course team's own paraphrase of the published
scale (domain.md §1.3), not a quotation. Finnish item names are the team's *working translations*:
THL's official Finnish wording is unconfirmed (domain.md §1.5), so a UI should show
``FI_NAMES_NOTE_EN`` / ``FI_NAMES_NOTE_FI`` next to them. Items whose anchors are tagged [U] in
domain.md carry ``unconfirmed=True``.

Units: shares are percentages 0–100 (``85`` means 85 %), caseload is active clients per full-time
specialist, SV4 is calendar days and SV6 is employer contacts per specialist per week. A figure that
falls between two printed bands (e.g. 95.5 % on S2, 20.5 clients on S1) gets the *lower* score: it must
reach a band's printed bound to earn that band.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = [
    "BANDS",
    "Band",
    "Element",
    "FI_NAMES_ARE_WORKING_TRANSLATIONS",
    "FI_NAMES_NOTE_EN",
    "FI_NAMES_NOTE_FI",
    "FidelityError",
    "FidelityScore",
    "ITEMS",
    "ITEM_BY_ID",
    "ITEM_IDS",
    "Item",
    "LANGS",
    "Priority",
    "SECTIONS",
    "Section",
    "anchor",
    "band",
    "band_label",
    "improvement_priorities",
    "item_name",
    "rate_item",
    "ratings_from_evidence",
    "review_cadence_months",
    "review_figure",
    "score",
    "section_label",
    "validate_ratings",
]

LANGS = ("en", "fi")
MIN_TOTAL, MAX_TOTAL = 25, 125

FI_NAMES_ARE_WORKING_TRANSLATIONS = True
FI_NAMES_NOTE_EN = (
    "Finnish item names are the course team's working translations; "
    "THL's official Finnish names are unconfirmed (domain.md §1.5)."
)
FI_NAMES_NOTE_FI = (
    "Suomenkieliset kohtien nimet ovat kurssitiimin työnimiä; "
    "THL:n virallisia nimiä ei ole varmistettu."
)


class FidelityError(ValueError):
    """Bad ratings or evidence; the message names the item and says how to fix it."""


def _check_lang(lang: object) -> str:
    if lang not in LANGS:
        raise FidelityError(f"lang must be 'en' or 'fi', got {lang!r}.")
    return lang  # type: ignore[return-value]


# --------------------------------------------------------------------------- sections and bands


@dataclass(frozen=True)
class Section:
    """One of the scale's three sections, with its item count."""

    key: str
    label_en: str
    label_fi: str
    size: int

    def label(self, lang: str = "en") -> str:
        return self.label_en if _check_lang(lang) == "en" else self.label_fi


SECTIONS = (
    Section("staffing", "Staffing", "Henkilöstö", 3),
    Section("organisation", "Organisation", "Organisaatio", 8),
    Section("services", "Services", "Palvelut", 14),
)
_SECTION_BY_KEY = {s.key: s for s in SECTIONS}


def section_label(section: str, lang: str = "en") -> str:
    """Display label of a section key ("staffing", "organisation", "services")."""
    if section not in _SECTION_BY_KEY:
        raise FidelityError(f"Unknown section {section!r}; use one of {sorted(_SECTION_BY_KEY)}.")
    return _SECTION_BY_KEY[section].label(lang)


@dataclass(frozen=True)
class Band:
    """A total-score band; ``unconfirmed`` marks cut-offs not confirmed in retrieved sources."""

    key: str
    min_total: int
    max_total: int
    label_en: str
    label_fi: str
    unconfirmed: bool
    sources: tuple[str, ...]
    note: str = ""


BANDS = (
    Band("exemplary", 115, 125, "Exemplary fidelity", "Erinomainen", True, ("C8",),
         "Band name confirmed (C8); the 115 cut-off is [U]."),
    Band("good", 100, 114, "Good fidelity", "Hyvä", False, ("C8", "C9"),
         "THL also treats 100 or more as good fidelity (C9)."),
    Band("fair", 74, 99, "Fair fidelity", "Kohtalainen", False, ("C8",)),
    Band("not_supported_employment", 25, 73, "Not supported employment",
         "Ei tuettua työllistymistä", True, (),
         "The band's name and its 73-or-below cut-off are both [U]."),
)
_BAND_BY_KEY = {b.key: b for b in BANDS}


def _check_total(total: object) -> int:
    if isinstance(total, bool) or not isinstance(total, numbers.Integral):
        raise FidelityError(f"Total must be a whole number {MIN_TOTAL}–{MAX_TOTAL}, got {total!r}.")
    if not MIN_TOTAL <= total <= MAX_TOTAL:
        raise FidelityError(
            f"Total {total} is outside {MIN_TOTAL}–{MAX_TOTAL} (25 items each rated 1–5); "
            "check that every item has one rating."
        )
    return int(total)


def band(total: int) -> str:
    """Band key for a total score 25–125 (cut-offs from domain.md §1.2)."""
    t = _check_total(total)
    return next(b.key for b in BANDS if b.min_total <= t <= b.max_total)


def band_label(band_key: str, lang: str = "en") -> str:
    """Display label for a band key in English or Finnish."""
    if band_key not in _BAND_BY_KEY:
        raise FidelityError(f"Unknown band {band_key!r}; use one of {list(_BAND_BY_KEY)}.")
    b = _BAND_BY_KEY[band_key]
    return b.label_en if _check_lang(lang) == "en" else b.label_fi


def review_cadence_months(total: int) -> int:
    """Months to the next review: every 6 months until the total reaches 100, then yearly (C9, C10)."""
    return 6 if _check_total(total) < 100 else 12


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class Element:
    """One countable element of a "count" item (e.g. one of O2's five contact practices)."""

    key: str
    en: str
    fi: str


@dataclass(frozen=True)
class Item:
    """One scale item with paraphrased anchors for ratings 1..5 (index 0 is rating 1).

    ``thresholds`` holds ``(bound, rating)`` pairs from best to worst; a figure earns the first
    rating whose bound it reaches (``>=`` bound, or ``<=`` bound when ``higher_is_better`` is False)
    and 1 otherwise. Count items use the same pairs on the number of elements present.
    """

    id: str
    section: str
    name_en: str
    name_fi: str
    anchors_en: tuple[str, str, str, str, str]
    anchors_fi: tuple[str, str, str, str, str]
    kind: str  # "threshold", "count" or "judgement"
    thresholds: tuple[tuple[float, int], ...] = ()
    unconfirmed: bool = True
    sources: tuple[str, ...] = ()
    elements: tuple[Element, ...] = ()
    unit: str = ""
    higher_is_better: bool = True
    max_value: float | None = None
    note: str = ""

    def name(self, lang: str = "en") -> str:
        return self.name_en if _check_lang(lang) == "en" else self.name_fi

    def anchor(self, rating: int, lang: str = "en") -> str:
        r = _check_rating(self.id, rating)
        return (self.anchors_en if _check_lang(lang) == "en" else self.anchors_fi)[r - 1]


_NUM_EN = ("none", "one", "two", "three", "four", "five", "six")
_NUM_FI = ("ei yksikään", "yksi", "kaksi", "kolme", "neljä", "viisi", "kuusi")
_ELATIVE_FI = {4: "Neljästä", 5: "Viidestä", 6: "Kuudesta"}
# noun: (English, Finnish elative, Finnish partitive, verb singular, verb plural)
_NOUN = {"elements": ("elements", "osatekijästä", "osatekijää", "toteutuu", "toteutuvat"),
         "strategies": ("strategies", "keinosta", "keinoa", "on käytössä", "ovat käytössä")}


def _count_anchors(n: int, noun: str = "elements") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Anchors for a count item with ``n`` elements: rating 1 up to ``n - 4`` present, then +1 each."""
    en_noun, fi_elat, fi_part, fi_verb, fi_verb_pl = _NOUN[noun]
    lowest = n - 4  # highest count that still rates 1
    of_n = f"of the {_NUM_EN[n]} {en_noun}"
    stem = f"{_ELATIVE_FI[n]} {fi_elat}"
    if lowest == 0:
        en = [f"None {of_n} is in place."]
        fi = [f"{stem} ei toteudu yksikään." if noun == "elements"
              else f"{stem} ei ole käytössä yhtään."]
    else:
        few = "None or one" if lowest == 1 else f"{_NUM_EN[lowest].capitalize()} or fewer"
        en = [f"{few} {of_n} {'is' if lowest == 1 else 'are'} in place."]
        fi = [f"{stem} {fi_verb} enintään {_NUM_FI[lowest]}."]
    for c in range(lowest + 1, n):
        en.append(f"{_NUM_EN[c].capitalize()} {of_n} {'is' if c == 1 else 'are'} in place.")
        fi.append(f"{stem} {fi_verb} {_NUM_FI[c]}.")
    en.append(f"All {_NUM_EN[n]} {en_noun} are in place.")
    fi.append(f"Kaikki {_NUM_FI[n]} {fi_part} {fi_verb_pl}.")
    return tuple(en), tuple(fi)


def _pct(lo_en: str, lo_fi: str, bands: tuple[str, ...], hi_en: str, hi_fi: str, fi_tail: str,
         en_tail: str):
    """Anchors for a percentage item: worst text, middle ranges, best text."""
    en = (lo_en, *(f"{b} % {en_tail}." for b in bands), hi_en)
    fi = (lo_fi, *(f"{b} % {fi_tail}." for b in bands), hi_fi)
    return en, fi


def _el(*triples: tuple[str, str, str]) -> tuple[Element, ...]:
    return tuple(Element(*t) for t in triples)


_C5_EN, _C5_FI = _count_anchors(5)
_C4_EN, _C4_FI = _count_anchors(4)
_C6_EN, _C6_FI = _count_anchors(6, "strategies")
_PCT = dict(kind="threshold", unit="%", max_value=100.0)

_S2 = _pct("Under 60 % of specialists' time goes to employment work.",
           "Alle 60 % valmentajien työajasta kuluu työllistymistä tukevaan työhön.",
           ("60–74", "75–89", "90–95"),
           "96 % or more; specialists have almost no other duties.",
           "Vähintään 96 %; muita tehtäviä ei juuri ole.", "työajasta kuluu työllistymispalveluihin",
           "of specialists' time goes to employment work")
_O1 = _pct("Employment work runs as a separate programme; specialists belong to no treatment team.",
           "Työhönvalmennus on erillinen ohjelma; valmentajat eivät kuulu mihinkään hoitotiimiin.",
           ("50–74", "75–89"),
           "90 % or more of clients come from the specialist's own one or two teams.",
           "Vähintään 90 % asiakkaista tulee valmentajan omista 1–2 tiimistä.",
           "asiakkaista tulee valmentajan omista 1–2 hoitotiimistä",
           "of a specialist's clients come from the one or two teams they belong to")
_O1 = ((_O1[0][0], "Specialists serve three or more teams, or under half of their clients come from "
        "their own teams.", *_O1[0][1:]),
       (_O1[1][0], "Valmentaja jakautuu vähintään kolmeen tiimiin tai alle puolet asiakkaista tulee "
        "omista tiimeistä.", *_O1[1][1:]))
_SV5 = _pct("Under 25 % of employer contacts follow the person's preferences and strengths rather "
            "than whatever vacancies are open.",
            "Alle 25 % työnantajakontakteista perustuu asiakkaan toiveisiin ja vahvuuksiin "
            "avoimien paikkojen sijaan.",
            ("25–49", "50–74", "75–89"),
            "90 % or more follow the person's preferences and fit the plan.",
            "Vähintään 90 % perustuu asiakkaan toiveisiin ja on linjassa suunnitelman kanssa.",
            "kontakteista perustuu asiakkaan toiveisiin",
            "of employer contacts follow the person's preferences and strengths")
_SV8 = _pct("Fewer than 50 % of the jobs clients hold are of differing types.",
            "Alle 50 % asiakkaiden työpaikoista on keskenään erityyppisiä.",
            ("50–59", "60–69", "70–84"),
            "85 % or more of the jobs are of differing types.",
            "Vähintään 85 % työpaikoista on erityyppisiä.", "työpaikoista on erityyppisiä",
            "of jobs are of differing types")
_SV9 = _pct("Fewer than 50 % of the jobs clients hold are with different employers.",
            "Alle 50 % asiakkaiden työpaikoista on eri työnantajilla.",
            ("50–59", "60–69", "70–84"),
            "85 % or more of the jobs are with different employers.",
            "Vähintään 85 % työpaikoista on eri työnantajilla.", "työpaikoista on eri työnantajilla",
            "of jobs are with different employers")
_SV10 = _pct("Under 64 % of job options are permanent, open-market, normal-wage jobs open to anyone, "
             "or fewer than ten people are in work.",
             "Alle 64 % työvaihtoehdoista on pysyviä, tavallisella palkalla maksettavia avoimien "
             "työmarkkinoiden töitä, tai työssä on alle kymmenen henkilöä.",
             ("64–74", "75–84", "85–94"),
             "95 % or more are competitive jobs and none is set aside for disabled people.",
             "Vähintään 95 % on avoimien työmarkkinoiden töitä, eikä yhtään ole varattu vain "
             "vammaisille.", "vaihtoehdoista on avoimien työmarkkinoiden töitä",
             "of job options are competitive, open-market jobs")
_SV13 = _pct("Under 30 % of specialists' scheduled hours are spent out in the community.",
             "Alle 30 % valmentajien suunnitellusta työajasta kuluu toimiston ulkopuolella.",
             ("30–39", "40–49", "50–64"),
             "65 % or more (about two-thirds) of scheduled hours are spent in the community.",
             "Vähintään 65 % (noin kaksi kolmasosaa) työajasta kuluu toimiston ulkopuolella.",
             "työajasta kuluu toimiston ulkopuolella",
             "of scheduled hours are spent in the community")
_SV89_BANDS = ((85, 5), (70, 4), (60, 3), (50, 2))

ITEMS: tuple[Item, ...] = (
    # ---- Staffing (confirmed: C3, C6, C11, C12)
    Item("S1", "staffing", "Caseload size", "Asiakasmäärä",
         ("41 or more active clients per full-time employment specialist.",
          "31–40 clients per full-time specialist.", "26–30 clients per full-time specialist.",
          "21–25 clients per full-time specialist.",
          "20 or fewer; people still searching and people already in work both count."),
         ("Vähintään 41 aktiivista asiakasta kokoaikaista työhönvalmentajaa kohden.",
          "31–40 asiakasta kokoaikaista valmentajaa kohden.",
          "26–30 asiakasta kokoaikaista valmentajaa kohden.",
          "21–25 asiakasta kokoaikaista valmentajaa kohden.",
          "Enintään 20; mukaan lasketaan sekä työnhakijat että jo työssä olevat."),
         "threshold", ((20, 5), (25, 4), (30, 3), (40, 2)), False, ("C3", "C6", "C11"),
         unit="clients per FTE", higher_is_better=False),
    Item("S2", "staffing", "Employment services staff", "Keskittyminen työllistymispalveluihin",
         *_S2, thresholds=((96, 5), (90, 4), (75, 3), (60, 2)), unconfirmed=False,
         sources=("C6", "C11"), **_PCT),
    Item("S3", "staffing", "Vocational generalists", "Työhönvalmentaja kaikkien vaiheiden osaajana",
         ("The specialist only passes clients on to other services.",
          "The specialist keeps a caseload but sends clients elsewhere for most of the service.",
          "The specialist personally covers one to four of the six phases (intake, engagement, "
          "assessment, placement, job coaching, follow-along).",
          "The specialist personally covers five of the six phases.",
          "The specialist carries each client through all six phases; only a trained benefits "
          "adviser may be brought in."),
         ("Valmentaja vain ohjaa asiakkaita muihin palveluihin.",
          "Valmentajalla on omat asiakkaat, mutta palvelut hankitaan enimmäkseen muualta.",
          "Valmentaja hoitaa itse 1–4 vaihetta kuudesta (aloitus, sitoutuminen, arviointi, "
          "työhön sijoittuminen, valmennus työssä, jatkotuki).",
          "Valmentaja hoitaa itse viisi vaihetta kuudesta.",
          "Valmentaja kulkee asiakkaan rinnalla kaikissa kuudessa vaiheessa; vain koulutettu "
          "etuusneuvoja voidaan ottaa avuksi."),
         "judgement", unconfirmed=False, sources=("C6", "C12")),
    # ---- Organisation (all anchors [U]; standard layout of the published scale)
    Item("O1", "organisation", "Integration with treatment via team assignment",
         "Integroituminen hoitotiimiin: tiimijäsenyys", *_O1,
         thresholds=((90, 5), (75, 4), (50, 3), (0, 2)), sources=(),
         note="Evidence: share of caseload from the specialist's 1–2 teams; pass "
              "{'value': pct, 'teams': n} to rate 1 (teams=0, separate programme) or cap at 2 "
              "(teams>=3).", **_PCT),
    Item("O2", "organisation", "Integration with treatment via frequent team contact",
         "Integroituminen hoitotiimiin: tiivis yhteydenpito", _C5_EN, _C5_FI, "count",
         ((5, 5), (4, 4), (3, 3), (2, 2)), sources=("S3",), elements=_el(
             ("weekly_meetings", "The specialist attends the treatment team's meeting every week.",
              "Valmentaja osallistuu hoitotiimin kokoukseen viikoittain."),
             ("shared_decisions", "The specialist takes an active part in shared decisions on care.",
              "Valmentaja osallistuu aktiivisesti yhteiseen päätöksentekoon hoidosta."),
             ("shared_record", "The specialist's notes go into the client record the team uses.",
              "Valmentajan merkinnät kirjataan samaan asiakasrekisteriin kuin tiimin."),
             ("colocated", "The specialist's office is next to, or shared with, the team.",
              "Valmentajan työpiste on tiimin lähellä tai samoissa tiloissa."),
             ("prompts_team", "The specialist nudges the team to raise work with clients not yet "
              "referred.", "Valmentaja muistuttaa tiimiä ottamaan työn puheeksi myös vielä "
              "ohjaamattomien asiakkaiden kanssa."))),
    Item("O3", "organisation", "Collaboration with vocational rehabilitation",
         "Yhteistyö ammatillisen kuntoutuksen ja työllisyyspalvelujen kanssa",
         ("Contact about shared clients happens less than quarterly, or not at all.",
          "Occasional contact, roughly quarterly, mostly about single referrals.",
          "Contact about monthly, but meetings are unscheduled and rarely face to face.",
          "Scheduled meetings at least monthly, or frequent client-level contact, but not both.",
          "Scheduled face-to-face meetings every month plus client-level contact every week."),
         ("Yhteydenpito yhteisistä asiakkaista on harvempaa kuin neljännesvuosittain tai puuttuu.",
          "Satunnaista yhteydenpitoa noin neljännesvuosittain, lähinnä yksittäisistä lähetteistä.",
          "Yhteyttä pidetään noin kuukausittain, mutta tapaamisia ei sovita eikä pidetä kasvokkain.",
          "Sovitut tapaamiset vähintään kuukausittain tai tiivis asiakaskohtainen yhteydenpito, "
          "mutta ei molempia.",
          "Sovitut kasvokkaiset tapaamiset joka kuukausi sekä viikoittainen asiakaskohtainen "
          "yhteydenpito."),
         "judgement", note="In Finland: employment services (TE / työllisyysalue) and Kela."),
    Item("O4", "organisation", "Vocational unit", "Työhönvalmennusyksikkö",
         ("Specialists work alone, outside any employment unit.",
          "Specialists belong to a unit on paper but do not meet as a group.",
          "A unit of two or more specialists meets, but less than weekly or without a leader.",
          "A unit of two or more specialists and a leader meets weekly, but job leads or "
          "caseload cover are not shared.",
          "At least two full-time specialists and a team leader meet weekly for client-based "
          "supervision, pool job leads and cover each other's caseloads."),
         ("Valmentajat työskentelevät yksin, eivät minkään yksikön osana.",
          "Valmentajat kuuluvat nimellisesti yksikköön, mutta eivät kokoonnu ryhmänä.",
          "Vähintään kahden valmentajan yksikkö kokoontuu, mutta harvemmin kuin viikoittain tai "
          "ilman vetäjää.",
          "Vähintään kahden valmentajan yksikkö ja vetäjä kokoontuvat viikoittain, mutta "
          "työpaikkavinkkejä ei jaeta tai sijaisuuksia ei hoideta yhdessä.",
          "Vähintään kaksi kokoaikaista valmentajaa ja vetäjä kokoontuvat viikoittain "
          "asiakaslähtöiseen työnohjaukseen, jakavat työpaikkavinkit ja tuuraavat toisiaan."),
         "judgement", sources=("S3",)),
    Item("O5", "organisation", "Role of the employment supervisor", "Työhönvalmennuksen esihenkilön rooli",
         _C5_EN, _C5_FI, "count", ((5, 5), (4, 4), (3, 3), (2, 2)), elements=_el(
             ("span", "One full-time supervisor for at most ten specialists (pro-rated when part time).",
              "Yksi kokoaikainen esihenkilö enintään kymmentä valmentajaa kohden (osa-aikaisuus "
              "suhteutettuna)."),
             ("weekly_supervision", "Client-focused group supervision every week.",
              "Viikoittainen asiakaslähtöinen ryhmätyönohjaus."),
             ("treatment_liaison", "The supervisor links with treatment-team leaders and joins each "
              "team's meeting at least quarterly.", "Esihenkilö pitää yhteyttä hoitotiimien "
              "vetäjiin ja käy kunkin tiimin kokouksessa vähintään neljännesvuosittain."),
             ("field_mentoring", "At least monthly the supervisor goes into the field with new or "
              "struggling specialists.", "Esihenkilö on vähintään kuukausittain kentällä uusien tai "
              "tukea tarvitsevien valmentajien mukana."),
             ("outcome_review", "Job outcomes are reviewed with the team at least quarterly and "
              "goals are set.", "Työllistymistuloksia käydään läpi tiimin kanssa vähintään "
              "neljännesvuosittain ja niille asetetaan tavoitteet."))),
    Item("O6", "organisation", "Zero exclusion criteria", "Ei poissulkukriteerejä",
         ("A written policy screens people out (e.g. for readiness, diagnosis or substance use).",
          "Informal screening or readiness rules keep most people who want work out.",
          "Some groups are still blocked or steered elsewhere before they can start.",
          "Nobody is excluded, but referrals come from only a few sources.",
          "Anyone who wants work can join; staff actively encourage work and referrals come from "
          "many sources."),
         ("Kirjallinen käytäntö rajaa ihmisiä pois (esim. valmiuden, diagnoosin tai päihteiden "
          "käytön perusteella).",
          "Epävirallinen seulonta tai valmiusvaatimukset pitävät useimmat työtä haluavat ulkona.",
          "Joitakin ryhmiä estetään tai ohjataan muualle ennen kuin he pääsevät aloittamaan.",
          "Ketään ei rajata pois, mutta ohjauksia tulee vain muutamasta lähteestä.",
          "Jokainen työtä haluava pääsee mukaan; henkilöstö rohkaisee työhön ja ohjauksia tulee "
          "monesta lähteestä."),
         "judgement", sources=("C13",), note="The principle is confirmed (C13); anchors are [U]."),
    Item("O7", "organisation", "Agency focus on competitive employment",
         "Organisaation painotus avoimiin työmarkkinoihin", _C5_EN, _C5_FI, "count",
         ((5, 5), (4, 4), (3, 3), (2, 2)), elements=_el(
             ("intake_asks", "Intake asks every client about interest in work.",
              "Palvelun alussa jokaiselta kysytään kiinnostuksesta työhön."),
             ("plan_reviews", "Care-plan reviews ask about work.",
              "Hoito- ja asiakassuunnitelmien tarkistuksissa kysytään työstä."),
             ("materials", "Written material about work and the service is on display.",
              "Työstä ja palvelusta kertovaa aineistoa on esillä."),
             ("success_stories", "Work success stories are shared with staff and clients at least "
              "twice a year.", "Onnistumistarinoita jaetaan henkilöstölle ja asiakkaille "
              "vähintään kahdesti vuodessa."),
             ("employment_rate", "The employment rate is measured at least quarterly and shared "
              "with staff.", "Työllistymisastetta seurataan vähintään neljännesvuosittain ja "
              "tulokset jaetaan henkilöstölle."))),
    Item("O8", "organisation", "Executive team support", "Johdon tuki", _C5_EN, _C5_FI, "count",
         ((5, 5), (4, 4), (3, 3), (2, 2)), sources=("S3",), elements=_el(
             ("leaders_know", "Directors and managers know the core IPS principles.",
              "Johtajat ja esihenkilöt tuntevat IPS:n keskeiset periaatteet."),
             ("qa_uses_scale", "Quality assurance draws on fidelity-review results.",
              "Laadunvarmistus hyödyntää laatukriteeriarvioinnin tuloksia."),
             ("steering_group", "A senior manager sits on a steering group that writes action "
              "plans.", "Johdon edustaja istuu ohjausryhmässä, joka laatii toimintasuunnitelmia."),
             ("mission_goals", "The chief executive ties supported employment to the mission and "
              "sets goals for it.", "Ylin johto liittää tuetun työllistymisen organisaation "
              "perustehtävään ja asettaa sille tavoitteet."),
             ("barriers_reported", "The programme lead reports barriers to executives at least "
              "twice a year and they help remove them.", "Toiminnan vetäjä raportoi esteistä "
              "johdolle vähintään kahdesti vuodessa, ja johto auttaa poistamaan ne."))),
    # ---- Services (anchors [U] except where noted)
    Item("SV1", "services", "Work incentives planning", "Etuusneuvonta",
         ("Benefits advice is not readily available.",
          "Clients get general benefits information but no personal plan.",
          "Clients are referred to a benefits adviser, but nobody checks the advice was received.",
          "Most clients get a personal plan, but not always before a job starts or when hours or "
          "pay change.",
          "Every client is offered a personal plan from a trained adviser before starting work and "
          "whenever hours or pay change, including how to report earnings."),
         ("Etuusneuvontaa ei ole helposti saatavilla.",
          "Asiakkaat saavat yleistä tietoa etuuksista, mutta eivät henkilökohtaista suunnitelmaa.",
          "Asiakkaat ohjataan etuusneuvojalle, mutta kukaan ei varmista neuvonnan toteutumista.",
          "Useimmat saavat henkilökohtaisen suunnitelman, mutta ei aina ennen työn alkua tai kun "
          "tunnit tai palkka muuttuvat.",
          "Jokaiselle tarjotaan koulutetun neuvojan henkilökohtainen suunnitelma ennen työn alkua "
          "ja aina kun tunnit tai palkka muuttuvat, myös tulojen ilmoittamisesta."),
         "judgement", sources=("C13",), note="The principle is confirmed (C13); anchors are [U]."),
    Item("SV2", "services", "Disclosure", "Kertominen työnantajalle", _C4_EN, _C4_FI, "count",
         ((4, 5), (3, 4), (2, 3), (1, 2)), elements=_el(
             ("not_required", "Nobody has to disclose a condition to receive the service.",
              "Kenenkään ei tarvitse kertoa sairaudestaan tai vammastaan saadakseen palvelua."),
             ("pros_cons", "Before employer contact the pros and cons are talked through, including "
              "adjustments and what the specialist will tell the employer.",
              "Ennen yhteydenottoa työnantajaan käydään läpi kertomisen hyödyt ja haitat, myös "
              "työjärjestelyt ja se, mitä valmentaja kertoo työnantajalle."),
             ("wording_prepared", "Client and specialist agree concrete wording for what will be "
              "shared.", "Asiakas ja valmentaja sopivat konkreettisesti, mitä ja miten kerrotaan."),
             ("revisited", "The choice is reviewed later, e.g. after about two months without a job.",
              "Päätös otetaan uudelleen puheeksi, esimerkiksi jos työtä ei ole löytynyt noin "
              "kahdessa kuukaudessa."))),
    Item("SV3", "services", "Ongoing, work-based assessment", "Jatkuva, työhön perustuva arviointi",
         ("Work ability is judged by office-based tests before any job search.",
          "Clients must first pass through prevocational, volunteer or sheltered work.",
          "Job search starts without reviewing interests or past work.",
          "A profile is built over 2–3 sessions but is not kept up to date.",
          "Preferences, experience, skills, strengths and contacts are gathered in 2–3 sessions "
          "from several sources, and the profile is refreshed after every job."),
         ("Työkykyä arvioidaan toimistotesteillä ennen kuin työnhaku alkaa.",
          "Asiakkaan on ensin kuljettava esivalmentavan, vapaaehtois- tai suojatyön kautta.",
          "Työnhaku alkaa ilman, että kiinnostuksen kohteita tai työhistoriaa käydään läpi.",
          "Profiili laaditaan 2–3 tapaamisessa, mutta sitä ei päivitetä johdonmukaisesti.",
          "Toiveet, kokemus, taidot, vahvuudet ja kontaktit kootaan 2–3 tapaamisessa useista "
          "lähteistä, ja profiili päivitetään jokaisen työsuhteen jälkeen."),
         "judgement", sources=("C7",), note="Older anchors confirmed (C7); revised wording [U]."),
    Item("SV4", "services", "Rapid job search", "Nopea työnhaku",
         ("271 days or more from entry to the first face-to-face employer contact.",
          "151–270 days to the first employer contact.", "61–150 days to the first employer contact.",
          "31–60 days to the first employer contact.",
          "30 days or fewer from entry to the first face-to-face employer contact."),
         ("Vähintään 271 päivää palveluun tulosta ensimmäiseen kasvokkaiseen työnantajakontaktiin.",
          "151–270 päivää ensimmäiseen työnantajakontaktiin.",
          "61–150 päivää ensimmäiseen työnantajakontaktiin.",
          "31–60 päivää ensimmäiseen työnantajakontaktiin.",
          "Enintään 30 päivää palveluun tulosta ensimmäiseen kasvokkaiseen työnantajakontaktiin."),
         "threshold", ((30, 5), (60, 4), (150, 3), (270, 2)), sources=("C13", "C7"),
         unit="days", higher_is_better=False,
         note="30 days confirmed (C13); lower bands [U]; C7's 15-item scale bands differently "
              "(1 month or less … over a year)."),
    Item("SV5", "services", "Individualised job search", "Yksilöllinen työnhaku", *_SV5,
         thresholds=((90, 5), (75, 4), (50, 3), (25, 2)), **_PCT),
    Item("SV6", "services", "Job development: frequency of employer contact",
         "Työnantajayhteistyö: kontaktien tiheys",
         ("Fewer than two face-to-face, client-specific employer contacts per specialist a week.",
          "Two to three a week, or no contact log is kept.",
          "Four a week, with a log reviewed monthly.", "Five a week, with the log reviewed weekly.",
          "Six or more a week, with the log reviewed weekly by the supervisor."),
         ("Alle kaksi kasvokkaista asiakaskohtaista työnantajakontaktia valmentajaa kohden viikossa.",
          "2–3 kontaktia viikossa, tai kontakteista ei pidetä lokia.",
          "Neljä kontaktia viikossa, ja loki käydään läpi kuukausittain.",
          "Viisi kontaktia viikossa, ja loki käydään läpi viikoittain.",
          "Vähintään kuusi kontaktia viikossa, ja esihenkilö käy lokin läpi viikoittain."),
         "threshold", ((6, 5), (5, 4), (4, 3), (2, 2)), sources=("C14",),
         unit="contacts per week",
         note="Anchors [U]; C14 confirms only 4–6 hours a week of job development. A bare "
              "number assumes a weekly-reviewed log; pass {'value': n, 'log_review': "
              "'weekly'|'monthly'|'none'} to cap the rating (none: 2, monthly: 3)."),
    Item("SV7", "services", "Job development: quality of employer contact",
         "Työnantajayhteistyö: kontaktien laatu",
         ("Employers are contacted only when applications are handed in.",
          "The specialist asks about openings and passes leads on to clients.",
          "The specialist follows advertised jobs and asks employers for interviews.",
          "The specialist visits employers whether or not they are hiring and speaks up for clients.",
          "The specialist visits employers repeatedly to learn their needs and matches them to "
          "clients' strengths."),
         ("Työnantajiin ollaan yhteydessä vain hakemuksia jätettäessä.",
          "Valmentaja kysyy avoimista paikoista ja välittää vinkit asiakkaille.",
          "Valmentaja seuraa työpaikkailmoituksia ja pyytää asiakkaille haastatteluja.",
          "Valmentaja käy työnantajien luona, vaikka nämä eivät rekrytoisi, ja puhuu asiakkaiden "
          "puolesta.",
          "Valmentaja käy toistuvasti tutustumassa kunkin työnantajan tarpeisiin ja yhdistää ne "
          "asiakkaiden vahvuuksiin."),
         "judgement"),
    Item("SV8", "services", "Diversity of job types", "Työtehtävien monipuolisuus", *_SV8,
         thresholds=_SV89_BANDS, **_PCT),
    Item("SV9", "services", "Diversity of employers", "Työnantajien monipuolisuus", *_SV9,
         thresholds=_SV89_BANDS, **_PCT),
    Item("SV10", "services", "Competitive jobs", "Avoimien työmarkkinoiden työpaikat", *_SV10,
         thresholds=((95, 5), (85, 4), (75, 3), (64, 2)), sources=("C15",),
         note="Definition of a competitive job from C15. Pass {'value': pct, 'current_jobs': n}; "
              "fewer than 10 current jobs rates 1.", **_PCT),
    Item("SV11", "services", "Individualised follow-along supports", "Yksilöllinen tuki työssä",
         ("Most people get no support once they start work.",
          "Support is offered but narrow, mostly brief check-ins by the specialist.",
          "Support is individual but given by the specialist alone.",
          "Support is varied and draws on the team, family, co-workers and the specialist; "
          "employer support when the client wants it.",
          "As in 4, and the plan also covers career development such as training or a better job."),
         ("Useimmat eivät saa tukea työn alettua.",
          "Tukea tarjotaan, mutta se on suppeaa, lähinnä valmentajan lyhyitä yhteydenottoja.",
          "Tuki on yksilöllistä, mutta sitä antaa vain valmentaja.",
          "Tuki on monipuolista: mukana tiimi, perhe, työtoverit ja valmentaja; työnantajan tuki "
          "asiakkaan niin halutessa.",
          "Kuten edellä, ja suunnitelma kattaa myös uralla etenemisen, kuten koulutuksen tai "
          "paremman työn."),
         "judgement"),
    Item("SV12", "services", "Time-unlimited follow-along supports", "Aikarajaton tuki",
         ("No face-to-face contact after the first month in work.",
          "Contact ends after a fixed period of a few months.",
          "Contact lasts several months but drops below monthly or ends on a set date.",
          "Most workers are seen monthly for a year, but contact around a start or a job loss is slow.",
          "Seen face to face within a week before and three days after starting, weekly in month "
          "one, then at least monthly for a year or more as wanted; handed over to treatment "
          "staff once steady; contacted within three days of a job loss."),
         ("Kasvokkaista yhteyttä ei ole ensimmäisen työkuukauden jälkeen.",
          "Yhteydenpito päättyy kiinteän, muutaman kuukauden jakson jälkeen.",
          "Yhteyttä pidetään useita kuukausia, mutta harvemmin kuin kuukausittain tai vain "
          "sovittuun päivään asti.",
          "Useimpia työssä olevia tavataan kuukausittain vuoden ajan, mutta yhteydenotto työn "
          "alkaessa tai päättyessä viipyy.",
          "Tapaaminen viikon sisällä ennen työn alkua ja kolmen päivän sisällä sen jälkeen, "
          "ensimmäisen kuukauden ajan viikoittain, sitten vähintään kuukausittain vähintään vuoden "
          "ajan asiakkaan toiveen mukaan; vastuu siirtyy hoitohenkilöstölle, kun työ on "
          "vakiintunut; yhteydenotto kolmen päivän sisällä työn päättymisestä."),
         "judgement", note="Finnish projects often end support with funding (S3)."),
    Item("SV13", "services", "Community-based services", "Työskentely toimiston ulkopuolella",
         *_SV13, thresholds=((65, 5), (50, 4), (40, 3), (30, 2)), sources=("C14",),
         note="65 % confirmed as 'about two-thirds' (C14); lower bands [U].", **_PCT),
    Item("SV14", "services", "Assertive engagement and outreach",
         "Aktiivinen yhteydenpito ja tavoittava työ", _C6_EN, _C6_FI, "count",
         ((6, 5), (5, 4), (4, 3), (3, 2)), elements=_el(
             ("no_discharge", "Nobody is closed for missed appointments or because a time limit ran "
              "out.", "Asiakkuutta ei päätetä poisjääntien tai määräajan umpeutumisen vuoksi."),
             ("documented_outreach", "Outreach attempts are planned and written down.",
              "Tavoittavan työn yritykset suunnitellaan ja kirjataan."),
             ("team_outreach", "More than one team member reaches out.",
              "Useampi tiimin jäsen osallistuu tavoittamiseen."),
             ("community_visits", "Repeated visits at home or elsewhere in the community.",
              "Toistuvia käyntejä kotona tai muualla arjen ympäristöissä."),
             ("joint_visits", "The specialist and a clinician visit together.",
              "Valmentaja ja hoitotyöntekijä tekevät yhteiskäyntejä."),
             ("family_contact", "Family members are contacted when the client agrees.",
              "Läheisiin ollaan yhteydessä asiakkaan suostumuksella."))),
)
ITEM_BY_ID: Mapping[str, Item] = MappingProxyType({it.id: it for it in ITEMS})
ITEM_IDS = tuple(ITEM_BY_ID)


def _item(item_id: object) -> Item:
    if not isinstance(item_id, str) or item_id not in ITEM_BY_ID:
        hint = ""
        if isinstance(item_id, str) and item_id.strip().upper() in ITEM_BY_ID:
            hint = f" (did you mean {item_id.strip().upper()!r}? ids are upper case)"
        raise FidelityError(f"Unknown item id {item_id!r}{hint}; use one of {', '.join(ITEM_IDS)}.")
    return ITEM_BY_ID[item_id]  # type: ignore[index]


def item_name(item_id: str, lang: str = "en") -> str:
    """Display name of an item; Finnish names are working translations."""
    return _item(item_id).name(lang)


def anchor(item_id: str, rating: int, lang: str = "en") -> str:
    """Paraphrased anchor text describing what ``rating`` means for an item."""
    return _item(item_id).anchor(rating, lang)


# --------------------------------------------------------------------------- rating


def _label(item: Item) -> str:
    return f"item {item.id} ({item.name_en})"


def _check_rating(item_id: str, value: object) -> int:
    """Return ``value`` as an int 1..5 or raise naming the item.

    Digit strings such as "4" are rejected on purpose: a string usually means a value was read
    from a form or spreadsheet without conversion, and silently accepting it hides that bug.
    """
    item = _item(item_id)
    fix = "ratings must be whole numbers 1–5."
    if isinstance(value, bool):
        raise FidelityError(f"Rating for {_label(item)} is {value!r} (a yes/no value); {fix}")
    if isinstance(value, str):
        raise FidelityError(
            f"Rating for {_label(item)} is the text {value!r}; enter a number, e.g. 4 not '4'; {fix}"
        )
    whole_float = isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()
    if isinstance(value, numbers.Integral) or whole_float:
        r = int(value)
    else:
        raise FidelityError(f"Rating for {_label(item)} is {value!r}; {fix}")
    if not 1 <= r <= 5:
        raise FidelityError(f"Rating for {_label(item)} is {value!r}; {fix}")
    return r


def validate_ratings(ratings: Mapping[str, object]) -> dict[str, int]:
    """Check a full set of 25 ratings and return them as ints in scale order.

    All problems are reported together (unknown ids, every missing item, every bad value) so a
    learner can fix a form in one pass.
    """
    if not isinstance(ratings, Mapping):
        raise FidelityError(
            f"Ratings must be a mapping of item id to rating, e.g. {{'S1': 4, ...}}; "
            f"got {type(ratings).__name__}."
        )
    problems: list[str] = []
    unknown = [k for k in ratings if k not in ITEM_BY_ID]
    if unknown:
        problems.append(f"Unknown item ids {unknown!r}; valid ids are {', '.join(ITEM_IDS)}.")
    missing = [i for i in ITEM_IDS if i not in ratings]
    if missing:
        named = ", ".join(f"{i} ({ITEM_BY_ID[i].name_en})" for i in missing)
        problems.append(f"Missing ratings for {len(missing)} item(s): {named}; rate every item 1–5.")
    out: dict[str, int] = {}
    for item_id in ITEM_IDS:
        if item_id in ratings:
            try:
                out[item_id] = _check_rating(item_id, ratings[item_id])
            except FidelityError as exc:
                problems.append(str(exc))
    if problems:
        raise FidelityError("\n".join(problems))
    return out


def _number(item: Item, value: object) -> float:
    unit = f" {item.unit}" if item.unit else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FidelityError(
            f"Evidence for {_label(item)} must be a number ({item.unit or 'a figure'}); got {value!r}."
        )
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise FidelityError(f"Evidence for {_label(item)} is {value!r}{unit}; enter a figure of 0 or more.")
    if item.max_value is not None and v > item.max_value:
        raise FidelityError(
            f"Evidence for {_label(item)} is {value!r}{unit}; shares are percentages 0–100 "
            "(enter 85 for 85 %)."
        )
    return v


def _by_bounds(item: Item, v: float) -> int:
    for bound, rating in item.thresholds:
        if (v >= bound) if item.higher_is_better else (v <= bound):
            return rating
    return 1


# Extra evidence keys some threshold items accept in a mapping, with the rating cap they imply.
_EXTRAS = {"O1": ("teams",), "SV6": ("log_review",), "SV10": ("current_jobs",)}
_LOG_CAP = {"weekly": 5, "monthly": 3, "none": 2}


def _rate_threshold(item: Item, evidence: object) -> int:
    extras: dict[str, object] = {}
    if isinstance(evidence, Mapping):
        allowed = ("value", *_EXTRAS.get(item.id, ()))
        bad = [k for k in evidence if k not in allowed]
        if bad or "value" not in evidence:
            raise FidelityError(
                f"Evidence for {_label(item)} as a mapping needs 'value' and may have "
                f"{list(allowed[1:]) or 'no other keys'}; got keys {list(evidence)}."
            )
        extras = {k: evidence[k] for k in evidence if k != "value"}
        evidence = evidence["value"]
    rating = _by_bounds(item, _number(item, evidence))
    if "teams" in extras:
        teams = extras["teams"]
        if isinstance(teams, bool) or not isinstance(teams, numbers.Integral) or teams < 0:
            raise FidelityError(f"'teams' for {_label(item)} must be a whole number ≥ 0; got {teams!r}.")
        rating = 1 if teams == 0 else (min(rating, 2) if teams >= 3 else rating)
    if "log_review" in extras:
        log = extras["log_review"]
        if log not in _LOG_CAP:
            raise FidelityError(
                f"'log_review' for {_label(item)} must be one of {list(_LOG_CAP)}; got {log!r}.")
        rating = min(rating, _LOG_CAP[log])  # type: ignore[index]
    if "current_jobs" in extras:
        jobs = extras["current_jobs"]
        if isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 0:
            raise FidelityError(
                f"'current_jobs' for {_label(item)} must be a whole number ≥ 0; got {jobs!r}.")
        rating = 1 if jobs < 10 else rating
    return rating


def _rate_count(item: Item, evidence: object) -> int:
    n = len(item.elements)
    keys = [e.key for e in item.elements]
    if isinstance(evidence, (bool, str, bytes)) or evidence is None:
        raise FidelityError(
            f"Evidence for {_label(item)} must be a list of element keys present (from {keys}) "
            f"or a count 0–{n}; got {evidence!r}."
        )
    if isinstance(evidence, numbers.Integral):
        count = int(evidence)
        if not 0 <= count <= n:
            raise FidelityError(
                f"Evidence for {_label(item)} counts {count} elements; it has {n}, so use 0–{n}.")
    elif isinstance(evidence, Iterable):
        present = list(evidence)
        unknown = [k for k in present if k not in keys]
        if unknown:
            raise FidelityError(f"Unknown elements {unknown!r} for {_label(item)}; use keys from {keys}.")
        count = len(set(present))
    else:
        raise FidelityError(
            f"Evidence for {_label(item)} must be element keys (from {keys}) or a count 0–{n}; "
            f"got {evidence!r}."
        )
    return _by_bounds(item, count)


def rate_item(item_id: str, evidence: object) -> int:
    """Rate one item 1–5 from its evidence.

    Threshold items take a figure (see module docstring for units; O1, SV6 and SV10 also take a
    mapping with modifiers), count items take the keys of elements present or a count, and
    judgement items take the reviewer's rating 1–5.
    """
    item = _item(item_id)
    if item.kind == "threshold":
        return _rate_threshold(item, evidence)
    if item.kind == "count":
        return _rate_count(item, evidence)
    return _check_rating(item.id, evidence)


def ratings_from_evidence(evidence: Mapping[str, object]) -> dict[str, int]:
    """Rate all 25 items from a mapping of item id to evidence, in scale order."""
    if not isinstance(evidence, Mapping):
        raise FidelityError("Evidence must be a mapping of item id to evidence, e.g. {'S1': 18, ...}.")
    unknown = [k for k in evidence if k not in ITEM_BY_ID]
    missing = [i for i in ITEM_IDS if i not in evidence]
    if unknown or missing:
        raise FidelityError(
            "Evidence must cover every item exactly once. "
            + (f"Unknown ids: {unknown!r}. " if unknown else "")
            + (f"Missing: {', '.join(f'{i} ({ITEM_BY_ID[i].name_en})' for i in missing)}." if missing else "")
        )
    return {i: rate_item(i, evidence[i]) for i in ITEM_IDS}


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class FidelityScore:
    """Result of scoring a full set of ratings."""

    total: int
    by_section: dict[str, int]
    band: str
    band_label_en: str
    band_label_fi: str
    ratings: dict[str, int]

    def band_label(self, lang: str = "en") -> str:
        return self.band_label_en if _check_lang(lang) == "en" else self.band_label_fi


def score(ratings: Mapping[str, object]) -> FidelityScore:
    """Total, section subtotals and band for 25 validated ratings."""
    r = validate_ratings(ratings)
    by_section = {s.key: sum(r[i.id] for i in ITEMS if i.section == s.key) for s in SECTIONS}
    total = sum(r.values())
    key = band(total)
    return FidelityScore(total, by_section, key, band_label(key, "en"), band_label(key, "fi"), r)


@dataclass(frozen=True)
class Priority:
    """One item to improve, with the anchor describing the next rating up."""

    id: str
    section: str
    name_en: str
    name_fi: str
    rating: int
    target_rating: int
    next_anchor_en: str
    next_anchor_fi: str


def improvement_priorities(ratings: Mapping[str, object], n: int = 5) -> list[Priority]:
    """The ``n`` weakest items, lowest rating first; ties keep scale order (S1 … SV14).

    Items already at 5 are never listed, so fewer than ``n`` may come back. Scale order is used for
    ties because it is stable and matches the order of the review report.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise FidelityError(f"n must be a whole number 0 or more; got {n!r}.")
    r = validate_ratings(ratings)
    weak = sorted((i for i in ITEM_IDS if r[i] < 5), key=lambda i: (r[i], ITEM_IDS.index(i)))
    out = []
    for i in weak[: int(n)]:
        it = ITEM_BY_ID[i]
        out.append(Priority(i, it.section, it.name_en, it.name_fi, r[i], r[i] + 1,
                            it.anchors_en[r[i]], it.anchors_fi[r[i]]))
    return out


_SECTION_COLOURS = {"staffing": "#4C72B0", "organisation": "#DD8452", "services": "#55A868"}
_TITLE = {"en": "IPS-25 fidelity review: {t}/125 – {b}", "fi": "IPS-laatukriteeriarvio: {t}/125 – {b}"}


def review_figure(ratings: Mapping[str, object], lang: str = "en") -> Figure:
    """Horizontal bar chart of all 25 ratings grouped by section, total and band in the title."""
    lang = _check_lang(lang)
    s = score(ratings)
    fig = Figure(figsize=(8, 9), layout="constrained")
    ax = fig.add_subplot()
    ys = list(range(len(ITEMS)))
    ax.barh(ys, [s.ratings[i.id] for i in ITEMS],
            color=[_SECTION_COLOURS[i.section] for i in ITEMS])
    ax.set_yticks(ys, [f"{i.id} {i.name(lang)}" for i in ITEMS], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 5)
    ax.set_xticks(range(1, 6))
    ax.set_xlabel("Rating" if lang == "en" else "Pisteet")
    for sec in SECTIONS[:-1]:
        last = max(k for k, i in enumerate(ITEMS) if i.section == sec.key)
        ax.axhline(last + 0.5, color="grey", linewidth=0.8)
    handles = [Patch(color=_SECTION_COLOURS[sec.key],
                     label=f"{sec.label(lang)} {s.by_section[sec.key]}/{5 * sec.size}") for sec in SECTIONS]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8)
    fig.suptitle(_TITLE[lang].format(t=s.total, b=s.band_label(lang)))
    return fig
