"""Disclosure and consent: a client's written agreement on what is shared, with whom, by whom and
with what consent, and its review.

The pure logic behind the module 11 planner. An :class:`Agreement` is a list of :class:`Line` s
(one piece of information to one recipient, told by someone, with a kind of consent) plus when the
decision is revisited, whether the client was told she may withdraw her consent, and whether she
has a copy. :func:`review` returns :class:`~sim.practice.findings.Finding` s (``line`` is the
agreement's line a finding is about, 0 for the whole agreement); each says what it rests on (``basis``):

* ``source``      – a source in the module's list: the values of supported employment
  (self-determination, confidentiality; C20, C22), adjustments agreed with the employer (C21, S3),
  the coach's support to the employer and the work community (C20);
* ``practice``    – the course's own practice guidance, said to be so;
* ``unconfirmed`` – law the course could not confirm (the Client Data Act 703/2023, GDPR); the text
  tells the learner to check the current law and never states the rule as fact.

Labels, finding texts and the fictional case are data in ``sim/data/practice/disclosure.yaml``,
read through :func:`sim.learning.text.load_data`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from types import MappingProxyType

from sim.learning.text import Bilingual, load_data
from sim.practice.findings import LEVELS, Finding, by_level, finding, needs_work

__all__ = [
    "BASES", "CONSENTS", "DisclosureError", "EXAMPLE", "Agreement", "Finding", "ITEMS", "LEVELS",
    "Line", "RECIPIENTS", "REVIEW_WEEKS_SUGGESTED", "TELLERS", "WORKPLACE", "agreement_rows",
    "review",
]

DATA_FILE = "practice/disclosure.yaml"
_DATA = load_data(DATA_FILE)

#: What may be shared (key -> label).
ITEMS: Mapping[str, Bilingual] = MappingProxyType(_DATA["items"])
#: Who may be told (key -> label).
RECIPIENTS: Mapping[str, Bilingual] = MappingProxyType(
    {k: v["label"] for k, v in _DATA["recipients"].items()})
#: Recipients at the client's workplace; the others are services around her.
WORKPLACE: frozenset[str] = frozenset(k for k, v in _DATA["recipients"].items() if v["workplace"])
#: Who tells (key -> label).
TELLERS: Mapping[str, Bilingual] = MappingProxyType(_DATA["tellers"])
#: How the client agreed (key -> label).
CONSENTS: Mapping[str, Bilingual] = MappingProxyType(_DATA["consents"])
#: What a finding rests on (key -> label).
BASES: Mapping[str, Bilingual] = MappingProxyType(_DATA["bases"])
#: The course's suggestion for revisiting the decision, in weeks (practice guidance; the fidelity
#: anchor's "about two months" is unconfirmed).
REVIEW_WEEKS_SUGGESTED = 8
_finding = partial(finding, _DATA)
_HEALTH = ("health_condition", "treatment_details")


class DisclosureError(ValueError):
    """A line or agreement with an unknown key or a bad value; the message names the field and the fix."""


def _check(value: str, table: Mapping[str, Bilingual], field: str) -> str:
    if value not in table:
        raise DisclosureError(f"{field}: unknown value {value!r}; use one of {', '.join(table)}")
    return value


@dataclass(frozen=True)
class Line:
    """One line of the agreement: *item* is told to *recipient* by *teller*, with *consent*."""

    item: str
    recipient: str
    teller: str
    consent: str

    def __post_init__(self) -> None:
        _check(self.item, ITEMS, "item")
        _check(self.recipient, RECIPIENTS, "recipient")
        _check(self.teller, TELLERS, "teller")
        _check(self.consent, CONSENTS, "consent")

    @property
    def workplace(self) -> bool:
        return self.recipient in WORKPLACE


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """A client's disclosure and consent agreement. ``review_weeks`` 0 means no date to revisit it."""

    client: str
    lines: tuple[Line, ...] = ()
    review_weeks: int = 0
    withdrawal_explained: bool = False
    copy_to_client: bool = False
    wants_adjustments: bool = False

    def __post_init__(self) -> None:
        lines = tuple(self.lines)
        if not all(isinstance(line, Line) for line in lines):
            raise DisclosureError("lines must be Line objects, e.g. Line('work_needs', 'employer', 'client', "
                                  "'written')")
        pairs = [(line.item, line.recipient) for line in lines]
        doubled = sorted({p for p in pairs if pairs.count(p) > 1})
        if doubled:
            raise DisclosureError(f"lines: {doubled} appear twice; keep one line per item and recipient")
        object.__setattr__(self, "lines", lines)
        if isinstance(self.review_weeks, bool) or not isinstance(self.review_weeks, int) \
                or not 0 <= self.review_weeks <= 52:
            raise DisclosureError(f"review_weeks is {self.review_weeks!r}; use a whole number of weeks "
                                  "from 0 (no date) to 52")

    def with_line(self, line: Line) -> Agreement:
        """This agreement with *line* added, replacing any line for the same item and recipient."""
        kept = tuple(x for x in self.lines if (x.item, x.recipient) != (line.item, line.recipient))
        return replace(self, lines=(*kept, line))

    def without(self, item: str, recipient: str) -> Agreement:
        """This agreement without the line for *item* and *recipient* (unchanged if there is none)."""
        return replace(self, lines=tuple(x for x in self.lines if (x.item, x.recipient) != (item, recipient)))

    def shares(self, item: str, recipient: str) -> bool:
        return any((x.item, x.recipient) == (item, recipient) for x in self.lines)


def _line_findings(agreement: Agreement) -> Iterable[Finding]:
    for n, line in enumerate(agreement.lines, 1):
        where = dict(line=n, n=n, what=ITEMS[line.item], to=RECIPIENTS[line.recipient])
        if line.consent == "none":
            yield _finding("no_consent", **where)
        if line.workplace and line.item == "treatment_details":
            yield _finding("treatment_to_workplace", **where)
        if line.workplace and line.item == "health_condition" and line.teller == "coach":
            yield _finding("diagnosis_by_coach", **where)
        if not line.workplace and line.consent == "oral":
            yield _finding("oral_consent_service", **where)


def review(agreement: Agreement) -> tuple[Finding, ...]:
    """The findings on *agreement*, errors first; ``ready`` (ok) when nothing needs attention."""
    found = list(_line_findings(agreement))
    if not agreement.lines:
        found.append(_finding("empty"))
    else:
        if agreement.wants_adjustments and not agreement.shares("work_needs", "employer"):
            found.append(_finding("needs_not_told"))
        if not agreement.shares("coach_role", "employer"):
            found.append(_finding("coach_role_hidden"))
        if not agreement.withdrawal_explained:
            found.append(_finding("withdrawal"))
        if not agreement.copy_to_client:
            found.append(_finding("no_copy"))
    if agreement.review_weeks == 0:
        found.append(_finding("no_review"))
    elif agreement.review_weeks > REVIEW_WEEKS_SUGGESTED:
        found.append(_finding("late_review", weeks=agreement.review_weeks))
    if not needs_work(found):
        found.append(_finding("ready"))
    return by_level(found)


def agreement_rows(agreement: Agreement, lang: str = "en") -> list[tuple[str, str, str, str]]:
    """The written agreement as rows (what, to whom, who tells, consent) in *lang*."""
    return [(ITEMS[x.item](lang), RECIPIENTS[x.recipient](lang), TELLERS[x.teller](lang),
             CONSENTS[x.consent](lang)) for x in agreement.lines]


def _example() -> Agreement:
    raw = _DATA["example"]
    return Agreement(client=raw["client"], lines=tuple(Line(**line) for line in raw["draft"]),
                     review_weeks=raw["review_weeks"], withdrawal_explained=raw["withdrawal_explained"],
                     copy_to_client=raw["copy_to_client"], wants_adjustments=raw["wants_adjustments"])


#: Module 11's fictional case: the first draft of Leila's agreement, with gaps to find.
EXAMPLE: Agreement = _example()
