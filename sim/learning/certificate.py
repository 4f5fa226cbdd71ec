"""A learner's completion record: the modules done, with dates, quiz results and study hours.

:func:`make_certificate` turns a :class:`~sim.learning.progress.ProgressStore`'s record into a
:class:`Certificate` in the learner's language: a small canonical *record* (plain data), its
SHA-256 *hash*, and an HTML page that prints the hash and carries the record as JSON.
:func:`verify_certificate` recomputes the hash and, for an HTML page, renders the record again
and compares, so changing one number on the page, or in the record, makes it fail.

It is honest about what it is: a self-study record, not an accredited qualification, and the
hash shows accidental or casual edits, not forgery (anyone can compute a SHA-256).
A PDF copy is made with fpdf2 when it is installed (:func:`certificate_pdf`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sim.learning.progress import ProgressStore, module_hours
from sim.learning.text import check_language, number, t

__all__ = ["Certificate", "PdfUnavailable", "certificate_html", "certificate_pdf", "make_certificate",
           "record_hash", "verify_certificate"]

KIND = "tyokyky-course completion record"
_JSON = re.compile(r'<script type="application/json" id="tyokyky-record">(.*?)</script>', re.S)


class PdfUnavailable(RuntimeError):
    """fpdf2 is not installed: only the HTML record can be made."""


def _canonical(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def record_hash(record: dict) -> str:
    """The SHA-256 of the record's canonical JSON (hex)."""
    return hashlib.sha256(_canonical(record).encode()).hexdigest()


@dataclass(frozen=True)
class Certificate:
    record: dict
    hash: str
    html: str


def _date(moment: datetime) -> str:
    return moment.date().isoformat()


def make_certificate(store: ProgressStore, lang: str = "en", now: datetime | None = None) -> Certificate:
    """The completion record of *store*'s learner in *lang* (``en`` or ``fi``)."""
    check_language(lang)
    modules = []
    for status in store.statuses():
        if not status.done:
            continue
        modules.append({
            "module": status.module, "completed": _date(status.completed), "right": status.right,
            "questions": status.questions, "first_try": status.first_try, "shown": status.revealed,
            "hours": module_hours(status.module),
        })
    record = {
        "kind": KIND, "format": 1, "lang": lang, "user": store.user,
        "issued": _date(now or datetime.now(timezone.utc)), "modules": modules,
        "total_hours": round(sum(m["hours"] for m in modules), 2),
    }
    digest = record_hash(record)
    return Certificate(record, digest, certificate_html(record, digest))


def _quiz_cell(entry: dict, lang: str) -> str:
    text = t("progress.quiz_score", lang, right=entry["right"], total=entry["questions"],
             first=entry["first_try"])
    if entry["shown"]:
        text += "; " + t("progress.quiz_shown", lang, count=entry["shown"])
    return text


def _rows(record: dict) -> list[tuple[str, str, str, str]]:
    lang = record["lang"]
    return [(t(f"module.{m['module']}", lang), m["completed"], _quiz_cell(m, lang),
             _hours(m["hours"], lang)) for m in record["modules"]]


def _hours(hours: float, lang: str) -> str:
    return number(hours, lang, 1 if round(hours * 10) == hours * 10 else 2)


def _lines(record: dict, digest: str) -> dict[str, Any]:
    """The words of a certificate, shared by the HTML and the PDF."""
    lang = record["lang"]
    return {
        "title": t("certificate.title", lang),
        "intro": [t("certificate.course", lang), t("certificate.learner", lang, user=record["user"]),
                  t("certificate.issued", lang, date=record["issued"])],
        "head": [t(f"certificate.head.{k}", lang) for k in ("module", "completed", "quiz", "hours")],
        "rows": _rows(record),
        "empty": t("progress.nothing_done", lang) if not record["modules"] else "",
        "total": t("certificate.total_hours", lang, hours=_hours(record["total_hours"], lang)),
        "statement": t("certificate.statement", lang),
        "hash": t("certificate.hash", lang, hash=digest),
        "hash_note": t("certificate.hash_note", lang),
    }


def certificate_html(record: dict, digest: str) -> str:
    """The certificate page (deterministic: the same record always gives the same page)."""
    e = html.escape
    words = _lines(record, digest)
    head = "".join(f"<th>{e(h)}</th>" for h in words["head"])
    rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in words["rows"])
    table = (f'<table border="1" cellpadding="4" style="border-collapse:collapse">'
             f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>") if rows else \
        f"<p>{e(words['empty'])}</p>"
    data = _canonical(record).replace("<", "\\u003c")
    return (f'<!DOCTYPE html>\n<html lang="{record["lang"]}"><head><meta charset="utf-8">'
            f"<title>{e(words['title'])}</title></head>\n<body>\n"
            f"<h1>{e(words['title'])}</h1>\n"
            + "".join(f"<p>{e(line)}</p>\n" for line in words["intro"])
            + f"{table}\n<p><b>{e(words['total'])}</b></p>\n"
            f'<p class="statement"><b>{e(words["statement"])}</b></p>\n'
            f'<p class="hash"><code>{e(words["hash"])}</code></p>\n'
            f'<p><small>{e(words["hash_note"])}</small></p>\n'
            f'<script type="application/json" id="tyokyky-record">{data}</script>\n</body></html>\n')


def verify_certificate(certificate: Certificate | dict | str) -> bool:
    """True if a certificate is as it was made.

    Takes a :class:`Certificate`, a ``{"record": ..., "hash": ...}`` dict, or the HTML page: its
    embedded record must match the printed hash, and the page must be exactly the one the
    record gives (so an edited date, score or hour on the page fails).
    """
    if isinstance(certificate, Certificate):
        return record_hash(certificate.record) == certificate.hash and \
            certificate_html(certificate.record, certificate.hash) == certificate.html
    if isinstance(certificate, dict):
        record, digest = certificate.get("record"), certificate.get("hash")
        return isinstance(record, dict) and record_hash(record) == digest
    found = _JSON.search(certificate)
    if not found:
        return False
    try:
        record = json.loads(found.group(1))
        digest = record_hash(record)
        return record.get("kind") == KIND and certificate_html(record, digest) == certificate
    except (ValueError, KeyError, TypeError, LookupError):
        return False


def _latin1(text: str) -> str:
    """Text for the PDF's built-in font (Latin-1: Finnish letters are in it, dashes are not)."""
    for a, b in (("—", "-"), ("–", "-"), ("”", '"'), ("“", '"'), ("’", "'"), ("\u00a0", " "),
                 ("\u202f", " ")):
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as a PDF (fpdf2); raises :class:`PdfUnavailable` without fpdf2."""
    try:
        from fpdf import FPDF
    except ImportError as exc:
        raise PdfUnavailable(t("progress.no_pdf", certificate.record["lang"])) from exc
    words = _lines(certificate.record, certificate.hash)
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(words["title"]))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(words["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in words["intro"]:
        pdf.multi_cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if words["rows"]:
        with pdf.table(col_widths=(60, 25, 70, 25), text_align="LEFT") as table:
            for row in [words["head"], *words["rows"]]:
                cells = table.row()
                for cell in row:
                    cells.cell(_latin1(cell))
    else:
        pdf.multi_cell(0, 6, _latin1(words["empty"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    for key in ("total", "statement"):
        pdf.multi_cell(0, 6, _latin1(words[key]), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font("Courier", "", 8)
    pdf.multi_cell(0, 5, _latin1(words["hash"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 5, _latin1(words["hash_note"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
