"""Learner ids: whatever id an LMS gives a learner, a safe nbgrader id for it, and the mapping file.

An LMS names uploads after its own learner ids: ``anna_k``, ``Anna.K``, ``Äijälä_Sanna``,
``maija.m@example.org``. nbgrader uses the student id as a folder name, in glob patterns and in
comma-separated lists, so the course uses safe ids only: lower-case ASCII letters and digits, with
single ``.`` or ``-`` between them (:data:`SAFE_ID`). :func:`base_id` transliterates an LMS id to
one (NFKD, accents dropped, ``ß`` → ``ss``, ``ø`` → ``o``…; ``_``, spaces, ``@`` and every other
character → ``-``); :func:`assign` gives each new LMS id its base id, or, when another learner
already has that id, the base id with a short suffix taken from the SHA-256 of the LMS id
(``anna-k-5d2f0c``). An id once given is never changed: the mapping is kept in a CSV file that
tools.py only ever appends to (:func:`read_mapping`, :func:`append_mapping`).

Upload file names are ``<LMS id>__<notebook>.ipynb`` (:func:`split_upload_name`); an id may contain
``__`` itself, the notebook name is what follows the last ``__``.

Pure Python, no nbgrader: tested in ``tests/test_grading_learners.py``.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = ["COLUMNS", "SAFE_ID", "append_mapping", "assign", "base_id", "is_safe_id", "lms_key",
           "mapping_problems", "read_mapping", "split_upload_name"]

SAFE_ID = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
MAX_LENGTH = 64  # characters of a safe id, suffix included
_SUFFIX = 6  # hex digits of the first suffix tried
COLUMNS = ["lms_id", "safe_id", "first_seen", "first_assignment"]

# letters NFKD does not take apart into a base letter and accents
_LETTERS = {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d",
            "ı": "i", "ŋ": "n", "ħ": "h", "ŧ": "t", "ĸ": "k"}


def lms_key(lms_id: str) -> str:
    """The form in which LMS ids are compared: Unicode NFC (a Mac writes file names as NFD),
    surrounding white space removed. Nothing else: ``Anna_K`` and ``anna_k`` are two learners."""
    return unicodedata.normalize("NFC", lms_id).strip()


def is_safe_id(student_id: str) -> bool:
    return len(student_id) <= MAX_LENGTH and SAFE_ID.fullmatch(student_id) is not None


def base_id(lms_id: str) -> str:
    """The safe id an LMS id gets when no other learner has it yet; a safe id is its own base."""
    text = unicodedata.normalize("NFKD", lms_key(lms_id).casefold())
    text = "".join(_LETTERS.get(c, c) for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9.]+", "-", text)
    text = re.sub(r"[.-]{2,}", lambda m: "-" if "-" in m.group() else ".", text)
    text = text[:MAX_LENGTH].strip(".-")
    return text or _with_suffix("learner", lms_id, _SUFFIX)  # nothing to transliterate (中文)


def _with_suffix(base: str, lms_id: str, digits: int) -> str:
    suffix = hashlib.sha256(lms_key(lms_id).encode("utf-8")).hexdigest()[:digits]
    return f"{base[:MAX_LENGTH - len(suffix) - 1].rstrip('.-')}-{suffix}"


def assign(lms_ids: Iterable[str], known: Mapping[str, str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """Safe ids for the LMS ids not in ``known`` (LMS id -> safe id); returns the new entries only.

    ``reserved`` are ids already in use by learners not in ``known`` (e.g. collected from the
    exchange); an LMS id that is itself a safe id and is reserved keeps it: it is the same name.
    New ids are given in a fixed order (LMS ids that are already safe first, then by code point),
    so the result does not depend on the order of ``lms_ids``. The result is injective with
    ``known`` and ``reserved``, and every id in it is safe (:func:`is_safe_id`).
    """
    known_keys = {lms_key(k) for k in known}
    taken = set(known.values())
    free_names = set(reserved) - taken
    pending = sorted({lms_key(i) for i in lms_ids} - known_keys, key=lambda i: (base_id(i) != i, i))
    new: dict[str, str] = {}
    for lms in pending:
        base = base_id(lms)
        if base == lms and base in free_names:  # the same name, collected before this mapping
            free_names.discard(base)
            new[lms] = base
            taken.add(base)
            continue
        candidate, tries = base, 0
        while candidate in taken or candidate in free_names:
            tries += 1  # 6, 8, ... 16 hex digits; then (never seen) the hash of the id and a count
            candidate = (_with_suffix(base, lms, _SUFFIX + 2 * (tries - 1)) if tries <= 6
                         else _with_suffix(base, f"{lms}\0{tries}", 16))
        new[lms] = candidate
        taken.add(candidate)
    return new


def split_upload_name(filename: str, notebooks: Sequence[str] = ()) -> tuple[str, str] | None:
    """``<LMS id>__<notebook>.ipynb`` -> (LMS id, notebook file name); None without an id.

    When the name ends with ``__`` and one of the assignment's ``notebooks``, the LMS id is all
    before it (it may contain ``__`` itself); otherwise the name is split at its last ``__``.
    """
    if not filename.lower().endswith(".ipynb"):
        return None
    for notebook in sorted(notebooks, key=len, reverse=True):
        if filename.endswith("__" + notebook) and len(filename) > len(notebook) + 2:
            return filename[:-len(notebook) - 2], notebook
    cut = filename.rfind("__")
    if cut <= 0 or len(filename) - cut - 2 <= len(".ipynb"):
        return None
    return filename[:cut], filename[cut + 2:]


# --------------------------------------------------------------------------- the mapping file


def read_mapping(path: Path) -> list[dict[str, str]]:
    """The rows of a mapping file, in file order (no file: no rows)."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


def mapping_problems(rows: Iterable[Mapping[str, str]]) -> list[str]:
    """Why a mapping file cannot be used as it is (edited by hand?): empty when it can."""
    problems, lms_seen, safe_seen = [], {}, {}
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        lms, safe = lms_key(row.get("lms_id") or ""), row.get("safe_id") or ""
        if not lms:
            problems.append(f"line {n}: no lms_id")
        elif lms in lms_seen:
            problems.append(f"line {n}: LMS id {lms!r} is also on line {lms_seen[lms]}")
        if not is_safe_id(safe):
            problems.append(f"line {n}: {safe!r} is not a safe id (a-z, 0-9, single '.' or '-' "
                            f"between them, at most {MAX_LENGTH} characters)")
        elif safe in safe_seen:
            problems.append(f"line {n}: id {safe!r} is also on line {safe_seen[safe]}")
        lms_seen.setdefault(lms, n)
        safe_seen.setdefault(safe, n)
    return problems


def append_mapping(path: Path, new_rows: Sequence[Mapping[str, str]]) -> None:
    """Add rows to the mapping file; the existing lines are written back unchanged."""
    if not new_rows:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        if old:
            fh.write(old if old.endswith("\n") else old + "\n")
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        if not old:
            writer.writeheader()
        writer.writerows({k: row.get(k, "") for k in COLUMNS} for row in new_rows)
    tmp.replace(path)
