"""Findings: what a practice tool's review says about a learner's plan, one remark at a time.

A :class:`Finding` has a level (one of :data:`LEVELS`, worst first), what it rests on (``basis``:
a source in the module's list, the course's practice guidance, or something unconfirmed) and the
source codes it cites. Its words are data: a tool's YAML file (read through
:func:`sim.learning.text.load_data`) has a ``findings`` table (key -> level, basis, sources, text)
and a ``bases`` table (basis -> label); :func:`finding` builds a finding from them. The review of
module 11 (:mod:`sim.practice.disclosure`) and those of module 12 (:mod:`sim.practice.followalong`)
return findings; :func:`sim.widgets.base.findings_html` shows a list of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sim.learning.text import Bilingual, number

__all__ = ["LEVELS", "Finding", "by_level", "finding", "needs_work"]

#: A finding's level, worst first: fix it, check it, note it, or it is good.
LEVELS = ("error", "warning", "info", "ok")


def _shown(value: Any, lang: str) -> str:
    """A field of a finding's text in *lang*: a label in that language, a number in its style."""
    if isinstance(value, Bilingual):
        return value(lang)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return number(value, lang, 0 if isinstance(value, int) else 2)


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One remark of a review, with what it rests on (``basis``) and its sources.

    ``line`` is the 1-based line of the plan it is about (0: the plan as a whole); ``values`` are
    the fields of its text (a :class:`~sim.learning.text.Bilingual` label or a number, shown in the
    reader's language by :meth:`message`).
    """

    key: str
    level: str
    basis: str
    sources: tuple[str, ...]
    line: int = 0
    values: tuple[tuple[str, Any], ...] = ()
    text: Bilingual = field(repr=False, compare=False)
    basis_text: Bilingual = field(repr=False, compare=False)

    def message(self, lang: str = "en") -> str:
        return self.text(lang, **{name: _shown(value, lang) for name, value in self.values})

    def basis_label(self, lang: str = "en") -> str:
        return self.basis_text(lang)


def finding(data: Mapping[str, Any], key: str, line: int = 0, **values: Any) -> Finding:
    """The finding *key* of a tool whose YAML *data* has ``findings`` and ``bases`` tables, with the
    fields of its text (*values*)."""
    spec = data["findings"][key]
    return Finding(key=key, level=spec["level"], basis=spec["basis"], sources=tuple(spec["sources"]),
                   line=line, values=tuple(values.items()), text=spec["text"],
                   basis_text=data["bases"][spec["basis"]])


def needs_work(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error or a warning."""
    return any(f.level in ("error", "warning") for f in findings)


def by_level(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """*findings* worst level first, in their order within a level."""
    return tuple(sorted(findings, key=lambda f: LEVELS.index(f.level)))
