"""The learner's own progress view: ``my_progress(lang="fi")`` in module 0.

A thin view over :mod:`sim.learning.progress` and :mod:`sim.learning.certificate`: the modules
done (with dates), quiz results, active time, what to study next for the learner's role, and a
button that makes the completion record as download links (HTML, and PDF when fpdf2 is there).
Nothing is written into the notebook or next to it; the record stays in the learner's store.
"""

from __future__ import annotations

import base64
from typing import Any

import ipywidgets as widgets

from sim.learning import certificate as certlib
from sim.learning import progress as progresslib
from sim.learning.text import number
from sim.widgets.base import View, esc

__all__ = ["ProgressView", "my_progress"]


def _minutes(seconds: float) -> int:
    return int(round(seconds / 60))


def _link(data: bytes, mime: str, filename: str, label: str) -> str:
    uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return f'<a download="{esc(filename)}" href="{uri}" target="_blank">{esc(label)}</a>'


class ProgressView(View):
    """``role`` (a Dropdown), ``refresh_button``, ``table``, ``next_steps``, ``certificate_button``,
    ``certificate`` (the links) and ``status`` (a warning if the record was set aside)."""

    def __init__(self, lang: str = "en", role: str = "coordinator",
                 store: progresslib.ProgressStore | None = None) -> None:
        super().__init__(lang)
        self.store = store if store is not None else progresslib.default_store()
        self.role = widgets.Dropdown(options=[(self._t(f"role.{r}"), r) for r in progresslib.roles()],
                                     value=role, description=self._t("progress.role"),
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="max-content"))
        self.refresh_button = widgets.Button(description=self._t("progress.refresh"), icon="refresh")
        self.table = widgets.HTML()
        self.next_steps = widgets.HTML()
        self.certificate_button = widgets.Button(description=self._t("progress.certificate"),
                                                 icon="certificate",
                                                 layout=widgets.Layout(width="max-content"))
        self.certificate = widgets.HTML()
        self.status = widgets.HTML()
        self.last_certificate: certlib.Certificate | None = None
        self.role.observe(lambda _: self.update(), names="value")
        self.refresh_button.on_click(lambda _: self.update())
        self.certificate_button.on_click(lambda _: self.make_certificate())
        self.children = [widgets.HTML(f"<h3>{esc(self._t('progress.title'))}</h3>"), self.status,
                         widgets.HBox([self.role, self.refresh_button]), self.table, self.next_steps,
                         self.certificate_button, self.certificate]
        self.update()

    def _guard(self, work) -> bool:
        try:
            work()
        except (OSError, ValueError) as exc:
            self.status.value = f'<p style="color:#8a4b00">{esc(self._t("quiz.not_saved", error=exc))}</p>'
            return False
        if self.store.warning:
            self.status.value = (f'<p style="color:#8a4b00">'
                                 f'{esc(self._t("progress.set_aside", path=self.store.warning))}</p>')
        return True

    def update(self) -> None:
        """Read the store again and show it."""
        self._guard(self._update)

    def _update(self) -> None:
        statuses = self.store.statuses()
        rows = []
        for s in statuses:
            if s.done:
                state = self._t("progress.status.done", date=s.completed.date().isoformat())
            elif s.started:
                state = self._t("progress.status.started")
            else:
                state = self._t("progress.status.not_started")
            quiz = self._t("progress.quiz_score", right=s.right, total=s.questions, first=s.first_try) \
                if s.attempts or s.revealed else "–"
            if s.revealed:
                quiz += "; " + self._t("progress.quiz_shown", count=s.revealed)
            minutes = number(_minutes(s.active_seconds), self.lang) if s.started else "–"
            mark = "✔ " if s.done else ""
            cells = (f"{mark}{esc(self._t(f'module.{s.module}'))}", esc(state), esc(quiz), esc(minutes))
            rows.append("<tr>" + "".join(f'<td style="padding-right:1em">{c}</td>' for c in cells) + "</tr>")
        heads = ("progress.head.module", "progress.head.status", "progress.head.quiz", "progress.head.time")
        head = "".join(f"<th style='text-align:left'>{esc(self._t(k))}</th>" for k in heads)
        done = sum(s.done for s in statuses)
        total_minutes = _minutes(sum(s.active_seconds for s in statuses))
        summary = self._t("progress.summary", done=done, total=len(statuses), minutes=total_minutes)
        self.table.value = (f"<p><b>{esc(summary)}</b></p><table><thead><tr>{head}</tr></thead>"
                            f"<tbody>{''.join(rows)}</tbody></table>"
                            f'<p style="color:#666"><small>{esc(self._t("progress.time_note"))} '
                            f'{esc(self._t("progress.where", path=self.store.path))}</small></p>')
        upcoming = self.store.next_modules(self.role.value)
        if upcoming:
            items = "".join(f"<li>{esc(self._t(f'module.{m}'))}</li>" for m in upcoming)
            self.next_steps.value = f"<p><b>{esc(self._t('progress.next'))}</b></p><ol>{items}</ol>"
        else:
            self.next_steps.value = f"<p><b>{esc(self._t('progress.all_done'))}</b></p>"

    def make_certificate(self) -> certlib.Certificate | None:
        """Make the completion record and show download links for it (HTML, and PDF if possible)."""
        made: list[certlib.Certificate] = []
        if not self._guard(lambda: made.append(certlib.make_certificate(self.store, self.lang))):
            return None
        cert = made[0]
        stem = f"tyokyky-course-record-{cert.record['user']}-{cert.record['issued']}"
        links = [_link(cert.html.encode("utf-8"), "text/html", f"{stem}.html",
                       self._t("progress.download_html"))]
        try:
            links.append(_link(certlib.certificate_pdf(cert), "application/pdf", f"{stem}.pdf",
                               self._t("progress.download_pdf")))
            note = ""
        except certlib.PdfUnavailable as exc:
            note = f'<p style="color:#666"><small>{esc(exc)}</small></p>'
        self.certificate.value = (f"<p>{esc(self._t('progress.certificate_ready'))} {' · '.join(links)}</p>"
                                  f"{note}<p><small><code>{esc(cert.hash)}</code></small></p>")
        self.last_certificate = cert
        self.update()
        return cert

    def snapshot_body(self) -> str:
        """Only the title and a note: the static copy is saved in the notebook and goes into the
        course site, so it must never carry a learner's progress or the path of their store."""
        return f"<h3>{esc(self._t('progress.title'))}</h3><p>{esc(self._t('progress.static'))}</p>"


def my_progress(lang: str = "en", role: str = "coordinator", **kwargs: Any) -> ProgressView:
    """Module 0: your own progress through the course, what to do next, and your completion record."""
    return ProgressView(lang, role, **kwargs)
