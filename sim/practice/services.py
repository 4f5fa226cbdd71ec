"""The Finnish work-ability service system as data, plus the pure rules behind
the course widgets (modules 0–4).

Every actor, rule and figure carries source codes from ``shared/domain.md``
(``S0``–``S4`` seed documents, ``C1``–``C79`` public sources). Nothing here
imports ipywidgets: the widgets in :mod:`sim.widgets.explorers` only display
what these functions return, and the tests call the functions directly.

All client situations handled here are fictional teaching examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "Bilingual", "Actor", "ACTORS", "actor",
    "Situation", "Suggestion", "Navigation", "navigate",
    "AGE_GROUPS", "BENEFITS", "BARRIERS", "WORK_HISTORIES",
    "AssessmentArea", "ASSESSMENT_AREAS", "HEALTH_CHECK_AREAS", "Coverage", "assess_coverage",
    "RoleTask", "ROLE_TASKS", "ROLE_CHOICES", "RoleResult", "check_roles",
    "Evidence", "EVIDENCE", "Phase", "PathwayComparison", "compare_pathways",
    "PREP_MONTHS_RANGE", "SEARCH_MONTHS_RANGE", "FIRST_EMPLOYER_CONTACT_DAYS",
    "MODULE_IDS", "LEARNER_ROLES", "learning_path",
]

Bilingual = Mapping[str, str]


def _b(en: str, fi: str) -> Bilingual:
    return MappingProxyType({"en": en, "fi": fi})


# --- actors ------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """An organisation, team or professional in the service system."""

    id: str
    name: Bilingual
    role: Bilingual
    sources: tuple[str, ...]


_ACTOR_LIST = (
    Actor("wellbeing_county", _b("Wellbeing services county", "Hyvinvointialue"),
          _b("Has organised social and health services since 1.1.2023: the sote-centre, social work, "
             "rehabilitative work activity, and disability and mental-health services.",
             "Järjestää sosiaali- ja terveyspalvelut 1.1.2023 alkaen: sote-keskuksen, sosiaalityön, "
             "kuntouttavan työtoiminnan sekä vammais- ja mielenterveyspalvelut."), ("S3",)),
    Actor("sote_centre", _b("Sote-centre (health and social services centre)", "Sote-keskus"),
          _b("Low-threshold door without a referral: an initial assessment, one responsible case "
             "manager until the end, and the whole service menu, with open-market work as the aim.",
             "Matalan kynnyksen ovi ilman lähetettä: alkukartoitus, yksi vastuullinen asiakasohjaaja "
             "asiakkuuden loppuun asti ja koko palveluvalikko, tavoitteena työ avoimilla työmarkkinoilla."),
          ("S0",)),
    Actor("work_ability_team", _b("Work-ability support team", "Työkyvyn tuen tiimi"),
          _b("A multi-professional team in the sote-centre that brings the full service menu within "
             "the client's reach.",
             "Sote-keskuksen moniammatillinen tiimi, joka tuo koko palveluvalikon asiakkaan käyttöön."),
          ("S0", "S4")),
    Actor("coordinator", _b("Work-ability coordinator", "Työkykykoordinaattori"),
          _b("Coordinates services across the network and advises; colleagues consult the "
             "coordinator about a client's work ability.",
             "Sovittaa yhteen palveluja verkostossa ja neuvoo; kollegat konsultoivat häntä "
             "asiakkaan työkykyasioissa."), ("C53", "S4")),
    Actor("job_coach", _b("Job coach (supported employment)", "Työhönvalmentaja"),
          _b("Helps the job seeker find and keep open-market work and supports the employer and the "
             "work community, also after hiring.",
             "Auttaa työnhakijaa löytämään ja pitämään työn avoimilla työmarkkinoilla ja tukee "
             "työnantajaa ja työyhteisöä myös palkkaamisen jälkeen."), ("C20", "S3")),
    Actor("social_work", _b("Social work and social counselling", "Sosiaalityö ja sosiaaliohjaus"),
          _b("Responds to urgent needs, runs social rehabilitation and makes social-care decisions, "
             "such as the SHL 27 d § decision on employment-support activity.",
             "Vastaa kiireellisiin avuntarpeisiin, tekee sosiaalista kuntoutusta ja sosiaalihuollon "
             "päätöksiä, kuten SHL 27 d §:n mukaisen päätöksen työllistymistä tukevasta toiminnasta."),
          ("S2", "S3")),
    Actor("employment_services",
          _b("Employment services (municipal employment area)", "Työllisyyspalvelut (työllisyysalue)"),
          _b("Public employment services moved from the state TE offices to municipalities on "
             "1.1.2025; there are 45 employment areas.",
             "Julkiset työvoimapalvelut siirtyivät valtion TE-toimistoilta kunnille 1.1.2025; "
             "työllisyysalueita on 45."), ("C55", "C56")),
    Actor("kela", _b("Kela (Social Insurance Institution)", "Kela"),
          _b("Vocational rehabilitation for people with no, short or broken work history; "
             "rehabilitation and sickness allowances; work-ability advisers contact people on "
             "sickness allowance or pension who need help getting back to work.",
             "Ammatillinen kuntoutus, kun työhistoria puuttuu, on lyhyt tai katkonainen; "
             "kuntoutusraha ja sairauspäiväraha; työkykyneuvojat ottavat yhteyttä "
             "sairauspäivärahalla tai eläkkeellä oleviin, jotka tarvitsevat tukea työhön paluuseen."),
          ("C57", "C58")),
    Actor("pension_insurer", _b("Earnings-related pension insurer", "Työeläkelaitos"),
          _b("Vocational rehabilitation for people with an established work history whose work "
             "disability threatens within about five years.",
             "Ammatillinen kuntoutus vakiintuneen työhistorian omaaville, joita uhkaa "
             "työkyvyttömyys noin viiden vuoden kuluessa."), ("C57", "C79")),
    Actor("typ", _b("TYP multisectoral joint service",
                    "TYP (työllistymistä edistävä monialainen yhteispalvelu)"),
          _b("Employment services, the municipality or county and Kela jointly assess and serve "
             "long-term unemployed people who need help from several sectors.",
             "Työllisyyspalvelut, kunta tai hyvinvointialue ja Kela arvioivat yhdessä "
             "monialaista tukea tarvitsevien pitkäaikaistyöttömien tilanteen ja palvelevat heitä."),
          ("C60", "C61")),
    Actor("ohjaamo", _b("Ohjaamo (one-stop guidance for young people)", "Ohjaamo"),
          _b("One-stop guidance and support for young people on work, study and wellbeing.",
             "Nuorten matalan kynnyksen palvelupiste: ohjausta ja tukea työhön, opiskeluun ja "
             "hyvinvointiin."), ("S1",)),
    Actor("ngo", _b("NGOs and the third sector", "Järjestöt ja kolmas sektori"),
          _b("Job coaching, clubhouses, cooperatives, peer support and experts by experience.",
             "Työhönvalmennusta, klubitaloja, osuuskuntia, vertaistukea ja kokemusasiantuntijuutta."),
          ("S2", "C67")),
)

ACTORS: Mapping[str, Actor] = MappingProxyType({a.id: a for a in _ACTOR_LIST})


def actor(actor_id: str) -> Actor:
    """Look up an actor; the error lists the known ids."""
    try:
        return ACTORS[actor_id]
    except KeyError:
        raise KeyError(f"unknown actor {actor_id!r}; known: {', '.join(ACTORS)}") from None


# --- service navigator (module 1) ---------------------------------------------

AGE_GROUPS = ("youth", "adult")
BENEFITS = ("unemployment_benefit", "labour_market_subsidy", "social_assistance",
            "sickness_allowance", "disability_pension", "none")
BARRIERS = ("health_mental", "health_physical", "disability", "life_situation", "skills")
WORK_HISTORIES = ("none_or_short", "established")
_HEALTH = {"health_mental", "health_physical", "disability"}
_UNEMPLOYED = {"unemployment_benefit", "labour_market_subsidy"}


@dataclass(frozen=True, kw_only=True)
class Situation:
    """A fictional client's situation, as the navigator asks about it."""

    age_group: str = "adult"
    benefit: str = "labour_market_subsidy"
    barrier: str = "health_mental"
    work_history: str = "none_or_short"
    wants_open_market: bool = True

    def __post_init__(self) -> None:
        for name, allowed in (("age_group", AGE_GROUPS), ("benefit", BENEFITS),
                              ("barrier", BARRIERS), ("work_history", WORK_HISTORIES)):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of: {', '.join(allowed)}")


@dataclass(frozen=True)
class Suggestion:
    """One actor to involve, and why (with sources)."""

    actor: str
    why: Bilingual
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Navigation:
    """The navigator's answer: where the client comes in, who leads, who else helps."""

    entry: str
    case_manager: str
    case_manager_why: Bilingual
    suggestions: tuple[Suggestion, ...]

    @property
    def actor_ids(self) -> tuple[str, ...]:
        """The actors to involve, each once, in the order first suggested."""
        return tuple(dict.fromkeys(s.actor for s in self.suggestions))

    def reasons(self, actor_id: str) -> tuple[Suggestion, ...]:
        """All suggestions (reasons with sources) that involve one actor."""
        return tuple(s for s in self.suggestions if s.actor == actor_id)


def _case_manager(s: Situation) -> tuple[str, Bilingual]:
    if s.age_group == "youth" and s.barrier == "skills":
        who = "ohjaamo"
    elif s.barrier in _HEALTH or s.benefit in {"sickness_allowance", "disability_pension"}:
        who = "coordinator"
    elif s.barrier == "life_situation":
        who = "social_work"
    else:
        who = "employment_services"
    why = _b("Course rule of thumb: the case manager is the professional closest to the main "
             "barrier who can stay with the client until the end [S0]. Who takes the role in "
             "practice is agreed locally.",
             "Kurssin nyrkkisääntö: vastuuhenkilö on se ammattilainen, joka on lähimpänä "
             "asiakkaan keskeistä estettä ja voi kulkea hänen rinnallaan loppuun asti [S0]. "
             "Käytännössä roolista sovitaan paikallisesti.")
    return who, why


def navigate(situation: Situation) -> Navigation:
    """Which actors fit a (fictional) client's situation, and who is the case manager."""
    s = situation
    out: list[Suggestion] = [Suggestion("sote_centre", _b(
        "The low-threshold door: no referral needed; the service starts with an initial assessment.",
        "Matalan kynnyksen ovi: lähetettä ei tarvita, ja palvelu alkaa alkukartoituksella."), ("S0",))]
    if s.age_group == "youth":
        out.append(Suggestion("ohjaamo", _b(
            "Young people can also use Ohjaamo's one-stop guidance. Its age limit is unconfirmed "
            "in our sources.",
            "Nuori voi asioida myös Ohjaamossa. Sen ikärajaa ei ole vahvistettu kurssin "
            "lähteissä."), ("S1",)))
    if s.benefit in _UNEMPLOYED:
        out.append(Suggestion("employment_services", _b(
            "An unemployed jobseeker is a customer of the employment services, run by municipal "
            "employment areas since 1.1.2025.",
            "Työtön työnhakija on työllisyyspalvelujen asiakas; palvelut ovat olleet kuntien "
            "työllisyysalueiden vastuulla 1.1.2025 alkaen."), ("C56",)))
    if s.benefit in {"labour_market_subsidy", "social_assistance"} and s.barrier != "skills":
        out.append(Suggestion("typ", _b(
            "Long unemployment plus needs in more than one sector is what the TYP joint "
            "assessment is for.",
            "Pitkittynyt työttömyys ja usean sektorin tuen tarve ovat TYP:n yhteisen arvion "
            "lähtökohta."), ("C60",)))
    if s.barrier in _HEALTH or s.benefit in {"sickness_allowance", "disability_pension"}:
        out.append(Suggestion("coordinator", _b(
            "Partial work ability: a work-ability coordinator maps the options, and other "
            "professionals can consult them.",
            "Osatyökykyisyys: työkykykoordinaattori kartoittaa vaihtoehdot, ja muut ammattilaiset "
            "voivat konsultoida häntä."), ("C53", "S4")))
    if s.barrier in _HEALTH and s.benefit in _UNEMPLOYED | {"social_assistance"}:
        out.append(Suggestion("work_ability_team", _b(
            "Health and employment questions meet: the multi-professional team opens the whole "
            "service menu.",
            "Terveys- ja työllistymiskysymykset kohtaavat: moniammatillinen tiimi avaa koko "
            "palveluvalikon."), ("S0", "S4")))
    if s.barrier in _HEALTH and s.work_history == "none_or_short":
        out.append(Suggestion("kela", _b(
            "With no, short or broken work history, vocational rehabilitation comes from Kela.",
            "Kun työhistoria puuttuu, on lyhyt tai katkonainen, ammatillisen kuntoutuksen "
            "järjestää Kela."), ("C57",)))
    if s.benefit == "sickness_allowance":
        out.append(Suggestion("kela", _b(
            "Kela's work-ability adviser contacts people on sickness allowance who need help "
            "getting back to work.",
            "Kelan työkykyneuvoja ottaa yhteyttä sairauspäivärahaa saaviin, jotka tarvitsevat "
            "tukea työhön paluuseen."), ("C58",)))
    if s.barrier in _HEALTH and s.work_history == "established":
        out.append(Suggestion("pension_insurer", _b(
            "With an established work history and a threat of work disability within about five "
            "years, the pension insurer provides vocational rehabilitation.",
            "Kun työhistoria on vakiintunut ja työkyvyttömyys uhkaa noin viiden vuoden kuluessa, "
            "ammatillisen kuntoutuksen järjestää työeläkelaitos."), ("C57", "C79")))
    if s.benefit == "disability_pension" and s.work_history == "established":
        out.append(Suggestion("pension_insurer", _b(
            "On an earnings-related disability pension, earnings limits apply and the pension can "
            "be suspended while working; plan this before a job starts.",
            "Työeläkejärjestelmän työkyvyttömyyseläkkeessä on ansiorajat, ja eläkkeen voi jättää "
            "lepäämään työn ajaksi; tästä kannattaa sopia ennen työn alkua."), ("C74",)))
    if s.wants_open_market:
        out.append(Suggestion("job_coach", _b(
            "Wants open-market work: quality-based supported employment (IPS) has no exclusion "
            "criteria, the first employer contact comes within 30 days, and benefits are planned "
            "with the person before work starts.",
            "Haluaa töihin avoimille työmarkkinoille: laatuperusteisessa työhönvalmennuksessa "
            "(IPS) ei ole poissulkukriteerejä, ensimmäinen työnantajakontakti tulee 30 päivän "
            "kuluessa, ja etuuksien yhteensovitus suunnitellaan ennen työn alkua."), ("C13", "S3")))
    if s.barrier == "disability" and s.wants_open_market:
        out.append(Suggestion("social_work", _b(
            "In social care a decision on employment-support activity (SHL 27 d §) may come "
            "before coaching, as in the Pohjois-Savo pilot.",
            "Sosiaalihuollossa ennen työhönvalmennusta voidaan tehdä päätös työllistymistä "
            "tukevasta toiminnasta (SHL 27 d §), kuten Pohjois-Savon pilotissa."), ("S3", "C65")))
    if not s.wants_open_market and s.benefit in {"labour_market_subsidy", "social_assistance"}:
        out.append(Suggestion("social_work", _b(
            "Rehabilitative work activity (kuntouttava työtoiminta) runs 1–5 days a week for "
            "3–24 months without an employment contract; our sources note that such social-care "
            "services do not currently lead on to the open labour market.",
            "Kuntouttavaa työtoimintaa järjestetään 1–5 päivänä viikossa 3–24 kuukauden ajan "
            "ilman työsopimusta; lähteiden mukaan tällaisista sosiaalihuollon palveluista ei "
            "nykyisellään edetä avoimille työmarkkinoille."), ("C62", "C63", "S3")))
    if s.benefit == "social_assistance" or s.barrier == "life_situation":
        out.append(Suggestion("social_work", _b(
            "Housing, money or relationships come first: social work responds to these needs.",
            "Asuminen, raha-asiat tai ihmissuhteet ovat etusijalla: sosiaalityö vastaa näihin "
            "tarpeisiin."), ("S2",)))
    if s.barrier in {"life_situation", "disability", "health_mental"}:
        out.append(Suggestion("ngo", _b(
            "NGOs add job coaching, clubhouses, cooperatives and peer support.",
            "Järjestöt tuovat mukaan työhönvalmennusta, klubitaloja, osuuskuntia ja vertaistukea."),
            ("S2", "C67")))
    manager, why = _case_manager(s)
    entry = "ohjaamo" if s.age_group == "youth" else "sote_centre"
    return Navigation(entry=entry, case_manager=manager, case_manager_why=why, suggestions=tuple(out))


# --- initial assessment (module 2) --------------------------------------------


@dataclass(frozen=True)
class AssessmentArea:
    """One area an initial assessment (alkukartoitus) should look at."""

    id: str
    name: Bilingual
    who: tuple[str, ...]  # actor ids
    why: Bilingual
    sources: tuple[str, ...]


ASSESSMENT_AREAS: tuple[AssessmentArea, ...] = (
    AssessmentArea("health", _b("Health and illnesses", "Terveys ja sairaudet"), ("sote_centre",),
                   _b("The unemployed person's health check looks at this area.",
                      "Työttömän terveystarkastus katsoo tätä osa-aluetta."), ("S2",)),
    AssessmentArea("work_ability", _b("Work ability and need for rehabilitation",
                                      "Työkyky ja kuntoutustarve"),
                   ("coordinator", "work_ability_team"),
                   _b("Assessing work ability and rehabilitation needs takes multi-professional "
                      "cooperation, not a health check alone.",
                      "Työkyvyn ja kuntoutustarpeen arviointi edellyttää monialaista yhteistyötä, "
                      "ei pelkkää terveystarkastusta."), ("S2",)),
    AssessmentArea("goals", _b("Own goals and wish to work", "Omat tavoitteet ja halu tehdä työtä"),
                   ("coordinator", "job_coach"),
                   _b("Supported employment starts from the person's own interest in working; "
                      "talk about work regularly.",
                      "Tuettu työllistyminen lähtee ihmisen omasta kiinnostuksesta työhön; työstä "
                      "kannattaa puhua säännöllisesti."), ("S3",)),
    AssessmentArea("skills", _b("Skills, education and work history",
                                "Osaaminen, koulutus ja työhistoria"),
                   ("employment_services", "job_coach"),
                   _b("Mapping skills and a vocational profile is the first step of coaching.",
                      "Osaamisen kartoitus ja ammatillinen profiili ovat työhönvalmennuksen "
                      "ensimmäisiä askeleita."), ("S0", "C20")),
    AssessmentArea("life_situation", _b("Life situation: housing, money, relationships",
                                        "Elämäntilanne: asuminen, talous, ihmissuhteet"),
                   ("social_work",),
                   _b("Long-term unemployed people often miss services and benefits when their "
                      "needs are not assessed individually.",
                      "Pitkäaikaistyöttömät jäävät usein ilman palveluja ja etuuksia, kun heidän "
                      "tarpeitaan ei selvitetä yksilöllisesti."), ("S2",)),
    AssessmentArea("benefits", _b("Benefits and income", "Etuudet ja toimeentulo"),
                   ("kela", "social_work"),
                   _b("Work and benefits must fit together; personalised benefits counselling is "
                      "one of the IPS principles.",
                      "Työn ja etuuksien on sovittava yhteen; yksilöllinen etuusneuvonta on yksi "
                      "IPS:n periaatteista."), ("S0", "C13")),
    AssessmentArea("services", _b("Services already in use", "Jo käytössä olevat palvelut"),
                   ("coordinator",),
                   _b("Services are scattered; fragmentation makes remaining work ability hard "
                      "to see.",
                      "Palvelut ovat hajallaan, ja hajanaisuus vaikeuttaa jäljellä olevan "
                      "työkyvyn tunnistamista."), ("S1",)),
)
HEALTH_CHECK_AREAS = frozenset({"health"})
_AREA_IDS = tuple(a.id for a in ASSESSMENT_AREAS)


@dataclass(frozen=True)
class Coverage:
    """Which assessment areas are covered, which are missing and who could fill the gaps."""

    covered: tuple[str, ...]
    missing: tuple[str, ...]
    actors_to_involve: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def health_check_only(self) -> bool:
        return set(self.covered) <= HEALTH_CHECK_AREAS

    @property
    def share_covered(self) -> float:
        return len(self.covered) / len(_AREA_IDS)


def assess_coverage(covered_areas: Iterable[str]) -> Coverage:
    """Compare what an initial assessment covered with the full list of areas."""
    chosen = set(covered_areas)
    unknown = chosen - set(_AREA_IDS)
    if unknown:
        raise ValueError(f"unknown assessment area(s) {sorted(unknown)}; known: {', '.join(_AREA_IDS)}")
    missing = tuple(a for a in _AREA_IDS if a not in chosen)
    involve: list[str] = []
    for area in ASSESSMENT_AREAS:
        if area.id in missing:
            involve += [who for who in area.who if who not in involve]
    return Coverage(tuple(a for a in _AREA_IDS if a in chosen), missing, tuple(involve))


# --- who does what (module 3) -------------------------------------------------


@dataclass(frozen=True)
class RoleTask:
    """A task in a client's pathway and the actor who does it."""

    id: str
    task: Bilingual
    actor: str
    explanation: Bilingual
    sources: tuple[str, ...]


ROLE_TASKS: tuple[RoleTask, ...] = (
    RoleTask("consulted", _b("Colleagues consult them about a client's work ability; they coordinate "
                             "across the network.",
                             "Kollegat konsultoivat häntä asiakkaan työkyvystä; hän sovittaa "
                             "yhteen verkoston työtä."), "coordinator",
             _b("Coordinating and advising across networks is the core of the work-ability "
                "coordinator's role.", "Verkostojen yhteensovittaminen ja neuvonta ovat "
                "työkykykoordinaattorin työn ydin."), ("C53", "S4")),
    RoleTask("employer_contact", _b("Makes the first face-to-face employer contact with the job "
                                    "seeker within about a month.",
                                    "Ottaa ensimmäisen henkilökohtaisen yhteyden työnantajaan "
                                    "noin kuukauden kuluessa."), "job_coach",
             _b("Rapid job search: IPS aims at the first employer contact within 30 days.",
                "Nopea työnhaku: IPS:ssä ensimmäinen työnantajakontakti tavoitellaan 30 päivän "
                "kuluessa."), ("C13",)),
    RoleTask("after_hiring", _b("Keeps supporting the employer and work community after the "
                                "person has been hired.",
                                "Tukee työnantajaa ja työyhteisöä myös palkkaamisen jälkeen."),
             "job_coach",
             _b("The job coach's support reaches the employer and the work community and fades "
                "as work settles.", "Työhönvalmentajan tuki ulottuu työnantajaan ja työyhteisöön "
                "ja vähenee, kun työ alkaa sujua."), ("C20", "S0")),
    RoleTask("sickness_contact", _b("Contacts people on sickness allowance or pension who need "
                                    "help getting back to work.",
                                    "Ottaa yhteyttä sairauspäivärahaa tai eläkettä saaviin, jotka "
                                    "tarvitsevat tukea työhön paluuseen."), "kela",
             _b("This is the task of Kela's work-ability advisers (työkykyneuvonta).",
                "Tämä on Kelan työkykyneuvojien tehtävä (työkykyneuvonta)."), ("C58",)),
    RoleTask("joint_assessment", _b("Assesses long-term unemployed people jointly with the "
                                    "county and Kela when help from several sectors is needed.",
                                    "Arvioi pitkäaikaistyöttömän tilanteen yhdessä "
                                    "hyvinvointialueen ja Kelan kanssa, kun tarvitaan usean "
                                    "sektorin tukea."), "typ",
             _b("TYP brings employment services, the municipality or county and Kela to one "
                "table.", "TYP kokoaa työllisyyspalvelut, kunnan tai hyvinvointialueen ja Kelan "
                "saman pöydän ääreen."), ("C60",)),
    RoleTask("shl_decision", _b("Makes the social-care decision (SHL 27 d §) before coaching "
                                "starts in social services.",
                                "Tekee sosiaalihuollon päätöksen (SHL 27 d §) ennen "
                                "työhönvalmennuksen alkua sosiaalipalveluissa."), "social_work",
             _b("In the Pohjois-Savo pilot the decision preceded coaching in working-age social "
                "services.", "Pohjois-Savon pilotissa päätös tehtiin työikäisten sosiaalipalveluissa "
                "ennen työhönvalmennusta."), ("S3",)),
    RoleTask("pension_rehab", _b("Provides vocational rehabilitation to an established worker "
                                 "whose work disability threatens within about five years.",
                                 "Järjestää ammatillisen kuntoutuksen vakiintuneen työhistorian "
                                 "omaavalle, jota uhkaa työkyvyttömyys noin viiden vuoden "
                                 "kuluessa."), "pension_insurer",
             _b("Earnings-related pension insurers fund rehabilitation before a pension is "
                "considered.", "Työeläkelaitokset kustantavat kuntoutusta ennen kuin eläkettä "
                "harkitaan."), ("C57", "C79")),
    RoleTask("full_menu", _b("Meets as a multi-professional group in the sote-centre so that "
                             "the whole service menu is available to the client.",
                             "Kokoontuu sote-keskuksessa moniammatillisesti, jotta koko "
                             "palveluvalikko on asiakkaan käytössä."), "work_ability_team",
             _b("The work-ability team in the sote-centre opens the full service menu; "
                "Varsinais-Suomi planned six new teams.", "Sote-keskuksen työkyvyn tuen tiimi "
                "avaa koko palveluvalikon; Varsinais-Suomessa tavoitteena oli kuusi uutta tiimiä."),
             ("S0", "S4")),
)

#: The actors offered in the role matcher's drop-downs, in display order.
ROLE_CHOICES: tuple[str, ...] = ("coordinator", "job_coach", "work_ability_team", "social_work",
                                 "kela", "pension_insurer", "typ", "employment_services")


@dataclass(frozen=True)
class RoleResult:
    task_id: str
    chosen: str | None
    expected: str
    correct: bool


def check_roles(answers: Mapping[str, str | None]) -> tuple[RoleResult, ...]:
    """Compare the learner's task → actor choices with the expected actors (all tasks)."""
    known = {task.id for task in ROLE_TASKS}
    unknown = set(answers) - known
    if unknown:
        raise KeyError(f"unknown task(s) {sorted(unknown)}; known: {', '.join(sorted(known))}")
    results = []
    for task in ROLE_TASKS:
        chosen = answers.get(task.id)
        if chosen is not None and chosen not in ACTORS:
            raise KeyError(f"unknown actor {chosen!r} for task {task.id!r}")
        results.append(RoleResult(task.id, chosen, task.actor, chosen == task.actor))
    return tuple(results)


# --- place-then-train vs train-then-place (module 4) --------------------------


@dataclass(frozen=True)
class Evidence:
    """Share in competitive work with IPS and with the comparison service in one study."""

    id: str
    label: Bilingual
    ips_share: float
    comparison_share: float
    detail: Bilingual
    sources: tuple[str, ...]


EVIDENCE: Mapping[str, Evidence] = MappingProxyType({e.id: e for e in (
    Evidence("bond2008", _b("Bond, Drake & Becker 2008", "Bond, Drake & Becker 2008"),
             0.61, 0.23, _b("11 randomised trials of high-fidelity IPS, competitive employment",
                            "11 satunnaistettua tutkimusta laatukriteerit hyvin täyttävästä IPS:stä, "
                            "työ avoimilla työmarkkinoilla"), ("C25",)),
    Evidence("eqolise2007", _b("EQOLISE 2007, Europe", "EQOLISE 2007, Eurooppa"),
             0.55, 0.28, _b("312 people in six European centres, worked at least one day in 18 months",
                            "312 henkilöä kuudessa eurooppalaisessa keskuksessa, työskenteli "
                            "vähintään yhden päivän 18 kuukauden aikana"), ("C27",)),
    Evidence("varma2022", _b("Varma pilot, Finland", "Varman pilotti, Suomi"),
             0.40, 0.25, _b("earnings-related pension rehabilitation, in paid work at 12 months",
                            "työeläkekuntoutus, palkkatyössä 12 kuukauden kohdalla"), ("C24",)),
)})

PREP_MONTHS_RANGE = (3, 24)  # kuntouttava työtoiminta lasts 3–24 months [C63]
SEARCH_MONTHS_RANGE = (1, 12)  # learner's assumption; absolute times are unconfirmed
FIRST_EMPLOYER_CONTACT_DAYS = 30  # [C13]
_DAYS_PER_MONTH = 30.4


@dataclass(frozen=True)
class Phase:
    """A phase on a pathway timeline, in months from entry (``key`` is a strings.yaml key)."""

    key: str
    start_month: float
    end_month: float
    assumed: bool  # True when the length is the learner's assumption, not a sourced figure


@dataclass(frozen=True)
class PathwayComparison:
    prep_months: int
    search_months: int
    stepwise: tuple[Phase, ...]
    ips: tuple[Phase, ...]
    evidence: Evidence
    horizon_months: float = field(default=0.0)

    @property
    def stepwise_first_contact_month(self) -> float:
        return float(self.prep_months)

    @property
    def ips_first_contact_month(self) -> float:
        return FIRST_EMPLOYER_CONTACT_DAYS / _DAYS_PER_MONTH

    @property
    def stepwise_first_job_month(self) -> float:
        return float(self.prep_months + self.search_months)

    @property
    def ips_first_job_month(self) -> float:
        return self.ips_first_contact_month + self.search_months

    @property
    def months_earlier(self) -> float:
        """How much sooner the IPS path reaches its first job under the same search time."""
        return self.stepwise_first_job_month - self.ips_first_job_month


def compare_pathways(prep_months: int = 12, search_months: int = 4,
                     evidence: str = "bond2008") -> PathwayComparison:
    """Timelines of the stepwise and IPS paths under the learner's assumptions.

    Only the 30-day first employer contact [C13] and the 3–24-month range of
    rehabilitative work activity [C63] are sourced; the job-search time is the
    learner's own assumption, used for both paths.
    """
    lo, hi = PREP_MONTHS_RANGE
    if not lo <= prep_months <= hi:
        raise ValueError(f"prep_months={prep_months} is outside {lo}–{hi} (kuntouttava työtoiminta, C63)")
    lo, hi = SEARCH_MONTHS_RANGE
    if not lo <= search_months <= hi:
        raise ValueError(f"search_months={search_months} is outside {lo}–{hi}")
    if evidence not in EVIDENCE:
        raise ValueError(f"evidence={evidence!r} is not one of: {', '.join(EVIDENCE)}")
    contact = FIRST_EMPLOYER_CONTACT_DAYS / _DAYS_PER_MONTH
    stepwise_job = prep_months + search_months
    horizon = float(max(stepwise_job + 6, 18))
    stepwise = (
        Phase("path.phase.preparation", 0.0, float(prep_months), False),
        Phase("path.phase.search", float(prep_months), float(stepwise_job), True),
        Phase("path.phase.work", float(stepwise_job), horizon, False),
    )
    ips = (
        Phase("path.phase.agreement", 0.0, contact, False),
        Phase("path.phase.search_with_coach", contact, contact + search_months, True),
        Phase("path.phase.work_with_support", contact + search_months, horizon, False),
    )
    return PathwayComparison(prep_months, search_months, stepwise, ips, EVIDENCE[evidence], horizon)


# --- learning path (module 0) -------------------------------------------------

MODULE_IDS = tuple(f"m{n:02d}" for n in range(10))
LEARNER_ROLES = ("coordinator", "job_coach", "social_worker", "manager")
_CORE = ("m00", "m01", "m02", "m03", "m04")
_NEXT = {
    "coordinator": ("m06", "m08", "m07", "m05", "m09"),
    "job_coach": ("m05", "m07", "m06", "m09", "m08"),
    "social_worker": ("m06", "m07", "m05", "m08", "m09"),
    "manager": ("m05", "m08", "m09", "m06", "m07"),
}


def learning_path(role: str) -> tuple[str, ...]:
    """A suggested module order for a learner role: the shared core 0–4, then 5–9
    in the order most useful for that role (a course-design suggestion, not a rule)."""
    if role not in _NEXT:
        raise ValueError(f"role={role!r} is not one of: {', '.join(LEARNER_ROLES)}")
    return _CORE + _NEXT[role]
