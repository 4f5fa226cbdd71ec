"""What every view shares: the :class:`View` base, HTML escaping, source tags and pictures.

A view is an ``ipywidgets.VBox`` that knows its language; its controls and outputs are plain
attributes, so a test sets ``.value`` or clicks a button and reads what a person would see.
Its display bundle carries a static HTML snapshot next to the live widget, which the offline
course site shows where no kernel runs. :class:`RunView` is a view that runs simulations:
a status line, a progress bar and a guard that shows an error instead of a traceback.

Pictures carry alt text: :func:`show_png` and :func:`img_tag` take it, and
:func:`show_figure` and :func:`figure_html` pass on the sentence a :mod:`sim.plots` figure
carries as its label.
"""

from __future__ import annotations

import base64
import html
import io
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as widgets
from traitlets import Unicode

from sim.learning.text import check_language, t

__all__ = ["View", "RunView", "Picture", "esc", "sources_html", "png_bytes", "img_tag", "image_widget",
           "show_png", "show_figure", "figure_html", "image_html"]


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


class Picture(widgets.Image):
    """A PNG image widget that keeps the words saying what it shows (``alt``).

    ipywidgets 8 gives an Image no alt text (and its ``tooltip`` breaks the view in
    JupyterLab), so ``alt`` stays on the Python side: snapshots and :func:`image_html` put
    it on their ``<img>``.
    """

    alt = Unicode("", help="what the picture shows, in words (not sent to the browser)")


def image_widget(css_class: str) -> Picture:
    """A :class:`Picture`, hidden until :func:`show_png` gives it a picture."""
    layout = widgets.Layout(max_width="100%", display="none")
    return Picture(format="png", layout=layout).add_class(css_class)


def show_png(image: Picture, png: bytes, alt: str = "") -> None:
    """Set a picture and its alt text; an empty one is hidden (a browser would draw a
    broken-image icon)."""
    image.value = png
    image.layout.display = None if png else "none"
    image.alt = alt


def show_figure(image: Picture, fig: Any, dpi: int = 90) -> None:
    """:func:`show_png` for a :mod:`sim.plots` figure, with its label as the alt text."""
    show_png(image, png_bytes(fig, dpi), fig.get_label())


def figure_html(fig: Any, dpi: int = 90) -> str:
    """:func:`img_tag` for a :mod:`sim.plots` figure, with its label as the alt text."""
    return img_tag(png_bytes(fig, dpi), fig.get_label())


def image_html(image: Picture) -> str:
    """A picture widget's PNG as an ``<img>`` with its alt text ("" if it has no picture)."""
    return img_tag(bytes(image.value), image.alt)


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


class RunView(View):
    """A view that runs simulations: status line, progress bar, run guard and timing.

    A subclass fills ``children`` with its controls and outputs and names in ``buttons`` the
    buttons to disable while a run is busy. ``widget`` is the view itself, the box a notebook
    displays. Its static snapshot is the text and pictures it shows now.
    """

    def __init__(self, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(lang, **kwargs)
        self.buttons: tuple[widgets.Button, ...] = ()
        self.status = widgets.HTML().add_class("tyo-status")
        self.progress = widgets.IntProgress(value=0, min=0, max=1,
                                            layout=widgets.Layout(width="36em"))
        self.progress.add_class("tyo-progress")

    @property
    def widget(self) -> RunView:
        return self

    def _tick(self, done: int, total: int) -> None:
        """A progress callback for :mod:`sim.experiment` (``progress=self._tick``)."""
        self.progress.max = max(total, 1)
        self.progress.value = done

    def _say(self, message: str, warnings_: Iterable[str] = ()) -> None:
        """Show *message* in the status line, with any warnings below it."""
        label = esc(self._t("planner.status.warning"))
        extra = "".join(f'<br><span style="color:#8a4b00">⚠ {label}: {esc(w)}</span>'
                        for w in warnings_)
        self.status.value = f"{esc(message)}{extra}"

    def _show_error(self, message: str) -> None:
        """Show what went wrong (in the status line unless a subclass has an error box)."""
        self._say(message)

    def _hide_error(self) -> None:
        """Clear an error shown by :meth:`_show_error` (nothing to clear in the status line)."""

    def _guarded(self, work: Callable[[], None], busy: bool = True) -> None:
        """Run ``work``; a view never crashes: an error is shown instead of a traceback.

        A ``busy`` action (a run) disables ``buttons`` until it ends. A ``ValueError`` (such
        as a :class:`sim.ScenarioError`) says what to fix, so it is shown as it is; any other
        error with its type.
        """
        buttons = self.buttons if busy else ()
        for button in buttons:
            button.disabled = True
        try:
            self._hide_error()
            work()
        except Exception as exc:  # the view must not crash in front of a planner
            self._show_error(str(exc) if isinstance(exc, ValueError)
                             else f"{type(exc).__name__}: {exc}")
        finally:
            for button in buttons:
                button.disabled = False

    def _timed(self, job: Callable[[], Any]) -> tuple[Any, float, list[str]]:
        """Run ``job`` with the progress bar reset; return its result, seconds and warnings."""
        self.progress.value = 0
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = job()
        seconds = time.perf_counter() - started
        messages = list(dict.fromkeys(str(w.message) for w in caught
                                      if issubclass(w.category, UserWarning)))
        return result, seconds, messages

    def snapshot_body(self) -> str:
        """The text and pictures the view shows now, in order (controls left out)."""
        parts: list[str] = []

        def walk(widget: widgets.Widget) -> None:
            if widget.layout.display == "none":
                return
            if isinstance(widget, widgets.HTML):
                parts.append(widget.value)
            elif isinstance(widget, widgets.Image) and widget.value:
                parts.append(image_html(widget))
            for child in getattr(widget, "children", ()):
                walk(child)

        for child in self.children:
            walk(child)
        return "".join(parts)
