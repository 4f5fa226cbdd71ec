"""Bilingual (English/Finnish) text for the course widgets, from one place.

Every label a widget shows lives in ``sim/data/strings.yaml`` with an ``en`` and
an ``fi`` entry side by side; :func:`t` looks one up. Other widget modules may keep
their labels in their own files, ``sim/data/strings/<module>.yaml``, in the same
format; they are merged in and a key defined twice is an error. Quiz text has the
same shape and is checked with :func:`require_bilingual`, so a missing translation
is an error at load time rather than a blank label in front of a learner.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "LANGUAGES",
    "DATA_DIR",
    "STRINGS_FILE",
    "strings_files",
    "TextError",
    "UnknownKeyError",
    "UnknownLanguageError",
    "check_language",
    "keys",
    "placeholders",
    "require_bilingual",
    "strings",
    "t",
]

#: The course languages, in the order they are listed to learners.
LANGUAGES: tuple[str, ...] = ("en", "fi")

DATA_DIR = Path(__file__).resolve().parent / "data"
STRINGS_FILE = DATA_DIR / "strings.yaml"
EXTRA_STRINGS_DIR = DATA_DIR / "strings"


class TextError(LookupError):
    """Base class for text look-up errors (a key or a language that does not exist)."""

    def __str__(self) -> str:  # LookupError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class UnknownKeyError(TextError, KeyError):
    """Raised for a text key that is not in ``strings.yaml``."""


class UnknownLanguageError(TextError, ValueError):
    """Raised for a language code other than those in :data:`LANGUAGES`."""


def check_language(lang: str) -> str:
    """Return *lang* if it is a course language, else raise :class:`UnknownLanguageError`."""
    if lang not in LANGUAGES:
        raise UnknownLanguageError(
            f"unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}"
        )
    return lang


def require_bilingual(value: Any, where: str) -> dict[str, str]:
    """Validate that *value* is ``{"en": str, "fi": str}`` (non-empty) and return it.

    *where* names the place in the data (e.g. ``"m01.yaml: q2.options.b.text"``)
    so the error tells an author exactly what to fix.
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping with keys {list(LANGUAGES)}, got {value!r}")
    missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
    if missing:
        raise ValueError(f"{where}: missing or empty language(s): {', '.join(missing)}")
    extra = sorted(set(value) - set(LANGUAGES))
    if extra:
        raise ValueError(f"{where}: unexpected language key(s): {', '.join(map(str, extra))}")
    return {lang: str(value[lang]).strip() for lang in LANGUAGES}


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields used in a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def strings_files() -> tuple[Path, ...]:
    """``strings.yaml`` first, then any ``strings/*.yaml`` in name order."""
    return (STRINGS_FILE, *sorted(EXTRA_STRINGS_DIR.glob("*.yaml")))


@lru_cache(maxsize=1)
def strings() -> Mapping[str, Mapping[str, str]]:
    """All widget strings, validated: ``{key: {"en": ..., "fi": ...}}``."""
    table: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in strings_files():
        name = path.name if path == STRINGS_FILE else f"strings/{path.name}"
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
        if not isinstance(raw, Mapping):
            raise ValueError(f"{name}: top level must be a mapping of keys")
        for key, value in raw.items():
            key = str(key)
            if key in table:
                raise ValueError(f"{name}: key {key!r} is already defined in {origin[key]}")
            entry = require_bilingual(value, f"{name}: {key}")
            if placeholders(entry["en"]) != placeholders(entry["fi"]):
                raise ValueError(
                    f"{name}: {key}: en and fi use different {{fields}}: "
                    f"{sorted(placeholders(entry['en']))} vs {sorted(placeholders(entry['fi']))}"
                )
            table[key], origin[key] = entry, name
    return table


def keys(prefix: str = "") -> tuple[str, ...]:
    """All text keys (optionally only those starting with *prefix*), sorted."""
    return tuple(sorted(k for k in strings() if k.startswith(prefix)))


def t(key: str, lang: str = "en", **fields: Any) -> str:
    """The text for *key* in *lang*, with ``{fields}`` filled in.

    >>> t("quiz.check", "fi")
    'Tarkista'
    """
    check_language(lang)
    table = strings()
    if key not in table:
        family = key.split(".", 1)[0] + "."
        near = [k for k in table if k.startswith(family)][:8]
        hint = f"; keys starting with {family!r}: {', '.join(near)}" if near else ""
        raise UnknownKeyError(f"unknown text key {key!r} in sim/data/strings*.yaml{hint}")
    text = table[key][lang]
    return text.format(**fields) if fields else text
