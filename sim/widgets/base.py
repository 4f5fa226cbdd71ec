"""What every view shares: the :class:`View` base, HTML escaping, source tags and pictures.

A view is an ``ipywidgets.VBox`` that knows its language; its controls and outputs are plain
attributes, so a test sets ``.value`` or clicks a button and reads what a person would see.
Its display bundle carries a static HTML snapshot next to the live widget, which the offline
course site shows where no kernel runs.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from sim.learning.text import check_language, t

__all__ = ["View", "esc", "sources_html", "png_bytes", "img_tag", "image_widget", "show_png"]


def esc(text: Any) -> str:
    """*text* escaped for HTML (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def sources_html(codes: Iterable[str]) -> str:
    """``[S0, C53]`` in a muted style, or an empty string."""
    codes = list(codes)
    return f' <span class="tyokyky-src" style="color:#666">[{", ".join(codes)}]</span>' if codes else ""


def png_bytes(fig: Any, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def img_tag(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG inlined and *alt* text saying what it shows ("" if no PNG)."""
    if not png:
        return ""
    data = base64.b64encode(png).decode()
    return f'<img alt="{esc(alt)}" style="max-width:100%" src="data:image/png;base64,{data}">'


def image_widget(css_class: str) -> widgets.Image:
    """A PNG image widget, hidden until :func:`show_png` gives it a picture."""
    layout = widgets.Layout(max_width="100%", display="none")
    return widgets.Image(format="png", layout=layout).add_class(css_class)


def show_png(image: widgets.Image, png: bytes, alt: str = "") -> None:
    """Set an image and its alt text; an empty one is hidden (a browser would draw a
    broken-image icon)."""
    image.value = png
    image.layout.display = None if png else "none"
    image.tooltip = alt or None  # the picture's title: what it shows, in words


class View(widgets.VBox):
    """Base for every view: a VBox that knows its language and can show a static snapshot.

    ``_repr_mimebundle_`` adds ``text/html`` (see :meth:`snapshot_html`) next to the live
    widget view. JupyterLab shows the live widget; static renderers such as the course site,
    which cannot run a kernel, show the snapshot.
    """

    def __init__(self, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lang = check_language(lang)

    def _t(self, key: str, **fields: Any) -> str:
        return t(key, self.lang, **fields)

    def snapshot_body(self) -> str:  # pragma: no cover - overridden
        return ""

    def snapshot_html(self) -> str:
        """Static HTML of what the widget shows now, with a note that it is a preview."""
        note = esc(self._t("widget.static_note"))
        return (f'<div class="tyokyky-snapshot" style="border:1px solid #ccc;padding:0.6em">'
                f'{self.snapshot_body()}<p style="color:#666"><em>{note}</em></p></div>')

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.snapshot_html()
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__} lang={self.lang!r}>"
