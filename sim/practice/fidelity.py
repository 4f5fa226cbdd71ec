"""The 25-item IPS supported-employment fidelity scale (IPS-25) as data plus pure scoring functions.

The scale itself (sections, bands, item names, anchors and elements, in English and Finnish) is
data in ``sim/data/practice/fidelity.yaml``, read through :func:`sim.learning.text.load_data`;
every text there is a :class:`~sim.learning.text.Bilingual` (``item.name("fi")``). The texts are
the course team's own paraphrase of the published scale (C1, C3), not a quotation. Finnish item
names are the team's *working translations*: THL's official Finnish wording is unconfirmed in the
course's sources, so a view shows :func:`names_note` next to them. Items whose anchors are not
confirmed in the sources carry ``unconfirmed=True`` ([U]).

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

from sim.learning.text import Bilingual, check_language, load_data, number

__all__ = [
    "BANDS",
    "Band",
    "band_title",
    "EVIDENCE_EXTRAS",
    "Element",
    "FidelityError",
    "FidelityScore",
    "ITEMS",
    "ITEM_BY_ID",
    "ITEM_IDS",
    "Item",
    "KINDS",
    "LOG_REVIEW_CAPS",
    "NAMES_NOTE",
    "Priority",
    "SECTIONS",
    "Section",
    "WORKING_TRANSLATIONS",
    "anchor",
    "band",
    "band_label",
    "improvement_priorities",
    "item_name",
    "names_note",
    "rate_item",
    "ratings_from_evidence",
    "review_cadence_months",
    "review_figure",
    "score",
    "section_label",
    "validate_ratings",
]

DATA_FILE = "practice/fidelity.yaml"
MIN_TOTAL, MAX_TOTAL = 25, 125
KINDS = ("threshold", "count", "judgement")


class FidelityError(ValueError):
    """Bad ratings or evidence; the message names the item and says how to fix it."""


_DATA = load_data(DATA_FILE)

#: The note to show next to item names in the languages where they are working translations.
NAMES_NOTE: Bilingual = _DATA["names_note"]
#: Languages whose item names are the course team's working translations (not official wording).
WORKING_TRANSLATIONS: tuple[str, ...] = tuple(map(check_language, _DATA["working_translations"]))


def names_note(lang: str = "en") -> str:
    """:data:`NAMES_NOTE` in *lang* where the item names are working translations, else ``""``."""
    return NAMES_NOTE(lang) if check_language(lang) in WORKING_TRANSLATIONS else ""


# --------------------------------------------------------------------------- sections and bands


@dataclass(frozen=True)
class Section:
    """One of the scale's three sections, with its item count; ``label("fi")`` is its name."""

    key: str
    label: Bilingual
    size: int


SECTIONS = tuple(Section(**raw) for raw in _DATA["sections"])
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
    label: Bilingual
    unconfirmed: bool
    sources: tuple[str, ...]
    note: str = ""


BANDS = tuple(Band(**{**raw, "sources": tuple(raw["sources"])}) for raw in _DATA["bands"])
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
    """Band key for a total score 25–125 (cut-offs C8, C9; the 115 and 73 cut-offs are [U])."""
    t = _check_total(total)
    return next(b.key for b in BANDS if b.min_total <= t <= b.max_total)


def band_label(band_key: str, lang: str = "en") -> str:
    """Display label for a band key in English or Finnish."""
    if band_key not in _BAND_BY_KEY:
        raise FidelityError(f"Unknown band {band_key!r}; use one of {list(_BAND_BY_KEY)}.")
    return _BAND_BY_KEY[band_key].label(lang)


def band_title(band_key: str, lang: str = "en") -> str:
    """A band's label with what is unconfirmed about it, for titles and alt text."""
    label = band_label(band_key, lang)  # raises on an unknown band
    band = _BAND_BY_KEY[band_key]
    if not band.sources:
        return _FIGURE["band_name_unconfirmed"](lang, band=label)
    if band.unconfirmed:
        return _FIGURE["band_cutoff_unconfirmed"](lang, band=label)
    return label


def review_cadence_months(total: int) -> int:
    """Months to the next review: every 6 months until the total reaches 100, then yearly (C9, C10)."""
    return 6 if _check_total(total) < 100 else 12


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class Element:
    """One countable element of a "count" item (e.g. one of O2's five contact practices)."""

    key: str
    text: Bilingual


@dataclass(frozen=True)
class Item:
    """One scale item: ``name("fi")``, and ``anchors`` for ratings 1..5 (index 0 is rating 1).

    ``thresholds`` holds ``(bound, rating)`` pairs from best to worst; a figure earns the first
    rating whose bound it reaches (``>=`` bound, or ``<=`` bound when ``higher_is_better`` is False)
    and 1 otherwise. Count items use the same pairs on the number of elements present.
    """

    id: str
    section: str
    name: Bilingual
    anchors: tuple[Bilingual, ...]
    kind: str  # one of KINDS
    thresholds: tuple[tuple[float, int], ...] = ()
    unconfirmed: bool = True
    sources: tuple[str, ...] = ()
    elements: tuple[Element, ...] = ()
    unit: str = ""
    higher_is_better: bool = True
    max_value: float | None = None
    note: str = ""

    def anchor(self, rating: int, lang: str = "en") -> str:
        """The text describing what *rating* (1–5) means for this item."""
        return self.anchors[_check_rating(self.id, rating) - 1](lang)


def _item_from(raw: dict) -> Item:
    """An :class:`Item` from its YAML mapping, checked so that a slip in the data names the item."""
    where = f"{DATA_FILE}: item {raw.get('id')!r}"
    if raw.get("section") not in _SECTION_BY_KEY or raw.get("kind") not in KINDS:
        raise ValueError(f"{where}: section must be one of {list(_SECTION_BY_KEY)} and kind one of {KINDS}")
    if len(raw.get("anchors", ())) != 5:
        raise ValueError(f"{where}: needs five anchors, for ratings 1 to 5")
    if bool(raw.get("elements")) != (raw["kind"] == "count"):
        raise ValueError(f"{where}: count items, and only they, list their elements")
    return Item(**{
        **raw,
        "anchors": tuple(raw["anchors"]),
        "thresholds": tuple((bound, rating) for bound, rating in raw.get("thresholds", ())),
        "sources": tuple(raw.get("sources", ())),
        "elements": tuple(Element(**e) for e in raw.get("elements", ())),
    })


ITEMS: tuple[Item, ...] = tuple(_item_from(raw) for raw in _DATA["items"])
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
    return f"item {item.id} ({item.name('en')})"


def _named(item_ids: Iterable[str]) -> str:
    """``"S2 (Employment services staff), O4 (Vocational unit)"``, for messages."""
    return ", ".join(f"{i} ({ITEM_BY_ID[i].name('en')})" for i in item_ids)


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
        problems.append(
            f"Missing ratings for {len(missing)} item(s): {_named(missing)}; rate every item 1–5.")
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


#: Extra evidence keys some threshold items accept in a mapping (see :func:`rate_item`).
EVIDENCE_EXTRAS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"O1": ("teams",), "SV6": ("log_review",), "SV10": ("current_jobs",)})
#: SV6: how often the contact log is reviewed, and the highest rating that allows.
LOG_REVIEW_CAPS: Mapping[str, int] = MappingProxyType({"weekly": 5, "monthly": 3, "none": 2})


def _rate_threshold(item: Item, evidence: object) -> int:
    extras: dict[str, object] = {}
    if isinstance(evidence, Mapping):
        allowed = ("value", *EVIDENCE_EXTRAS.get(item.id, ()))
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
        if log not in LOG_REVIEW_CAPS:
            raise FidelityError(
                f"'log_review' for {_label(item)} must be one of {list(LOG_REVIEW_CAPS)}; got {log!r}.")
        rating = min(rating, LOG_REVIEW_CAPS[log])  # type: ignore[index]
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
            + (f"Missing: {_named(missing)}." if missing else "")
        )
    return {i: rate_item(i, evidence[i]) for i in ITEM_IDS}


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class FidelityScore:
    """Result of scoring a full set of ratings; ``band_label("fi")`` names the band."""

    total: int
    by_section: dict[str, int]
    band: str
    band_label: Bilingual
    ratings: dict[str, int]

    def subtotal_label(self, section: str, lang: str = "en") -> str:
        """A section's name with its subtotal out of its maximum, e.g. ``"Staffing 13/15"``."""
        sec = _SECTION_BY_KEY[section]
        return f"{sec.label(lang)} {number(self.by_section[section], lang)}/{number(5 * sec.size, lang)}"


def score(ratings: Mapping[str, object]) -> FidelityScore:
    """Total, section subtotals and band for 25 validated ratings."""
    r = validate_ratings(ratings)
    by_section = {s.key: sum(r[i.id] for i in ITEMS if i.section == s.key) for s in SECTIONS}
    total = sum(r.values())
    key = band(total)
    return FidelityScore(total, by_section, key, _BAND_BY_KEY[key].label, r)


@dataclass(frozen=True)
class Priority:
    """One item to improve, with the anchor describing the next rating up (``next_anchor("fi")``)."""

    id: str
    section: str
    name: Bilingual
    rating: int
    target_rating: int
    next_anchor: Bilingual


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
        out.append(Priority(i, it.section, it.name, r[i], r[i] + 1, it.anchors[r[i]]))
    return out


_SECTION_COLOURS = {"staffing": "#4C72B0", "organisation": "#DD8452", "services": "#55A868"}
_FIGURE: Mapping[str, Bilingual] = _DATA["figure"]


def review_figure(ratings: Mapping[str, object], lang: str = "en") -> Figure:
    """Horizontal bar chart of all 25 ratings grouped by section, total and band in the title."""
    lang = check_language(lang)
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
    ax.set_xlabel(_FIGURE["rating_axis"](lang))
    for sec in SECTIONS[:-1]:
        last = max(k for k, i in enumerate(ITEMS) if i.section == sec.key)
        ax.axhline(last + 0.5, color="grey", linewidth=0.8)
    handles = [Patch(color=_SECTION_COLOURS[sec.key], label=s.subtotal_label(sec.key, lang))
               for sec in SECTIONS]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8)
    fig.suptitle(_FIGURE["title"](lang, total=number(s.total, lang), band=band_title(s.band, lang)))
    return fig
