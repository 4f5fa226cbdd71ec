"""Bilingual (English/Finnish) text: the one shape every learner- or planner-facing string has.

Every en/fi string lives in YAML under ``sim/data/`` as a mapping ``{en: ..., fi: ...}``
and reaches Python through :func:`bilingual`, which checks that both languages are there,
non-empty, and use the same ``{placeholders}``; it returns a :class:`Bilingual`.

* Labels (short UI strings) sit in ``sim/data/strings.yaml`` and ``sim/data/strings/*.yaml``,
  one key each; :func:`t` looks one up (a key defined twice is an error).
* Structured data with text in it (the fidelity scale, the service system, quizzes...) sits
  in its own file; :func:`load_data` reads it and turns every ``{en, fi}`` mapping in it into
  a :class:`Bilingual`.

There is one language check (:func:`check_language`) and one number formatter per language
(:func:`number`, :func:`percent`, using Babel's locale data: ``1,234.5`` and ``25%`` in
English, ``1 234,5`` and ``25 %`` with no-break spaces in Finnish).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.numbers import format_decimal

__all__ = [
    "LANGUAGES",
    "DATA_DIR",
    "STRINGS_FILE",
    "Bilingual",
    "TextError",
    "UnknownKeyError",
    "UnknownLanguageError",
    "amount",
    "bilingual",
    "check_language",
    "keys",
    "load_data",
    "number",
    "percent",
    "placeholders",
    "strings",
    "strings_files",
    "t",
]

#: The course languages, in the order they are listed to learners.
LANGUAGES: tuple[str, ...] = ("en", "fi")

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
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


class Bilingual(Mapping):
    """One text in English and Finnish: ``b("fi")`` (with ``{fields}`` filled) or ``b["fi"]``.

    Build it with :func:`bilingual`, which validates it; it compares equal to the plain
    ``{"en": ..., "fi": ...}`` dict it was made from.
    """

    __slots__ = ("en", "fi")

    def __init__(self, en: str, fi: str) -> None:
        object.__setattr__(self, "en", en)
        object.__setattr__(self, "fi", fi)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Bilingual text is read-only")

    def __call__(self, lang: str = "en", **fields: Any) -> str:
        text = getattr(self, check_language(lang))
        return text.format(**fields) if fields else text

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return getattr(self, lang)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)

    def __hash__(self) -> int:
        return hash((self.en, self.fi))

    def __repr__(self) -> str:
        return f"Bilingual(en={self.en!r}, fi={self.fi!r})"

    def __reduce__(self):  # frozen slots: pickle through the constructor
        return (Bilingual, (self.en, self.fi))


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields used in a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def bilingual(value: Any, where: str) -> Bilingual:
    """Validate ``{"en": str, "fi": str}`` and return it as :class:`Bilingual`.

    Both languages must be present, non-empty text, with no other key, and use the same
    ``{placeholders}``. *where* names the place in the data (e.g.
    ``"quizzes/m01.yaml: q2.options.b.text"``) so the error tells an author what to fix.
    """
    if isinstance(value, Bilingual):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping with keys {list(LANGUAGES)}, got {value!r}")
    extra = sorted(map(str, set(value) - set(LANGUAGES)))
    if extra:
        raise ValueError(f"{where}: unexpected language key(s): {', '.join(extra)}")
    missing = [lang for lang in LANGUAGES
               if not isinstance(value.get(lang), str) or not value[lang].strip()]
    if missing:
        raise ValueError(f"{where}: missing, empty or non-text language(s): {', '.join(missing)}")
    en, fi = value["en"].strip(), value["fi"].strip()
    if placeholders(en) != placeholders(fi):
        raise ValueError(f"{where}: en and fi use different {{fields}}: "
                         f"{sorted(placeholders(en))} vs {sorted(placeholders(fi))}")
    return Bilingual(en, fi)


def _is_text_leaf(value: Any) -> bool:
    return isinstance(value, Mapping) and any(key in LANGUAGES for key in value)


def _convert(value: Any, where: str) -> Any:
    if _is_text_leaf(value):
        return bilingual(value, where)
    if isinstance(value, Mapping):
        return {key: _convert(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_convert(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


@cache
def _load_data(relative: str) -> Any:
    path = DATA_DIR / relative
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return _convert(raw, relative + ":")


def load_data(relative: str) -> Any:
    """Read ``sim/data/<relative>`` (YAML); every ``{en, fi}`` mapping in it becomes a checked
    :class:`Bilingual`. Mappings and lists are returned fresh on each call; the file is read
    once."""
    import copy  # the cached tree is shared: hand out a copy so callers cannot change it

    return copy.deepcopy(_load_data(relative))


def strings_files() -> tuple[Path, ...]:
    """``strings.yaml`` first, then any ``strings/*.yaml`` in name order."""
    return (STRINGS_FILE, *sorted(EXTRA_STRINGS_DIR.glob("*.yaml")))


@lru_cache(maxsize=1)
def strings() -> Mapping[str, Bilingual]:
    """All labels, validated: ``{key: Bilingual}``."""
    table: dict[str, Bilingual] = {}
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
            table[key], origin[key] = bilingual(value, f"{name}: {key}"), name
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
    return table[key](lang, **fields)


def number(value: float, lang: str = "en", digits: int = 0) -> str:
    """*value* with *digits* decimals in the language's style: ``1,234.5`` / ``1 234,5``."""
    check_language(lang)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=lang, decimal_quantization=True)


def amount(value: float, lang: str = "en") -> str:
    """A count or a staffing level in *lang*'s style with only the decimals it needs (at most
    three): ``7``, ``7.5`` / ``7,5``, ``1,200`` / ``1 200``."""
    digits = next((d for d in range(3) if round(value, d) == round(value, 3)), 3)
    return number(value, lang, digits)


def percent(share: float, lang: str = "en", digits: int = 0) -> str:
    """A share (0.25) as a percentage in the language's style: ``25%`` / ``25 %``."""
    check_language(lang)
    suffix = Locale.parse(lang).percent_formats[None].suffix[0]  # "%" or "\u00a0%"
    return number(share * 100, lang, digits) + suffix
