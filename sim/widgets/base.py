"""What every view shares: the :class:`View` base, HTML escaping, source tags, pictures, a review's
findings (:func:`findings_html`) and the form views' control sizes (``FORM_*``).

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
import gc
import html
import io
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as widgets
from traitlets import Unicode

from sim.learning.text import check_language, t
from sim.practice.findings import Finding

__all__ = ["View", "RunView", "Picture", "esc", "sources_html", "png_bytes", "img_tag", "image_widget",
           "show_png", "show_figure", "figure_html", "image_html", "site_stills", "captioned", "Figure",
           "findings_html", "FORM_LABEL", "FORM_WIDE", "FORM_AUTO"]


def esc(text: Any) -> str:
    """*text* escaped for HTML (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def sources_html(codes: Iterable[str]) -> str:
    """``[S0, C53]`` in a muted style, or an empty string."""
    codes = list(codes)
    return f' <span class="tyokyky-src" style="color:#666">[{", ".join(codes)}]</span>' if codes else ""


#: Each finding level's colour and label (see :data:`sim.practice.findings.LEVELS`).
_LEVEL_COLOUR = {"error": "#a00", "warning": "#a60", "info": "#444", "ok": "#060"}
_LEVEL_LABEL = {"error": "finding.level.error", "warning": "finding.level.warning",
                "info": "finding.level.info", "ok": "finding.level.ok"}


def findings_html(findings: Iterable[Finding], lang: str) -> str:
    """A list of a review's findings: each one's level in its colour, its text, what it rests on and
    its sources."""
    items = "".join(
        f'<li><b style="color:{_LEVEL_COLOUR[f.level]}">{esc(t(_LEVEL_LABEL[f.level], lang))}:</b> '
        f"{esc(f.message(lang))} <em style='color:#666'>"
        f"({esc(t('finding.rests_on', lang, basis=f.basis_label(lang)))})</em>"
        f"{sources_html(f.sources)}</li>" for f in findings)
    return f"<ul>{items}</ul>"


#: The form views' controls: a label as wide as its words, a wide field, a field as wide as its content.
FORM_LABEL = {"description_width": "initial"}
FORM_WIDE = widgets.Layout(width="36em")
FORM_AUTO = widgets.Layout(width="auto")


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


class Figure(widgets.VBox):
    """A picture with its caption below it, made by :func:`captioned`: ``image``, ``caption`` and
    :meth:`redraw` (for a view whose language can change)."""

    def __init__(self, image: Picture, caption: widgets.HTML, redraw: Callable[[], None]) -> None:
        super().__init__([image, caption])
        self.image, self.caption, self._redraw = image, caption, redraw

    def redraw(self) -> None:
        """Write the caption again (after the view's language changed)."""
        self._redraw()


def captioned(image: Picture, lang: str | Callable[[], str], *, box_class: str = "tyokyky-figure",
              caption_class: str = "tyokyky-caption", alt_on_page: bool = False) -> Figure:
    """*image* with its alt text as a caption below it ("Figure: …"), kept in step with the picture.

    A live ipywidgets Image puts no alt on its ``<img>``; the caption gives a screen reader (and
    everyone) the words. *lang* is the caption's language, or a function that gives the view's
    language now (call :meth:`Figure.redraw` after a switch). The box has *box_class*, the caption
    *caption_class* and its paragraph ``<caption_class>-text``. With *alt_on_page* the page's own
    script copies the words onto the ``<img>`` (the planners' app does, :mod:`sim.widgets.app`):
    the caption carries them in ``data-alt`` and is hidden from screen readers, which read the alt.
    """
    caption = widgets.HTML().add_class(caption_class)

    def show(_: Any = None) -> None:
        alt = esc(image.alt if bytes(image.value) else "")
        label = esc(t("planner.figure", lang() if callable(lang) else lang))
        hidden = f' aria-hidden="true" data-alt="{alt}"' if alt_on_page else ""
        caption.value = (f'<p class="{caption_class}-text"{hidden} '
                         f'style="color:#444;font-size:0.9em;margin:0 0 0.8em 0">'
                         f"<em>{label}: {alt}</em></p>" if alt else "")

    image.observe(show, names=["alt", "value"])
    show()
    return Figure(image, caption, show).add_class(box_class)


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

    def still_html(self) -> str:
        """The still picture of this view for a page without a kernel (see :func:`site_stills`)."""
        return self.snapshot_html()


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

    def still_html(self) -> str:
        """The snapshot after one run with the settings shown, if the view has a ``run`` and no
        picture yet: a page without a kernel shows the tool's results, not an empty tool."""
        shown = any(isinstance(w, widgets.Image) and w.value for w in _descendants(self))
        run = getattr(self, "run", None)
        if not shown and callable(run):
            run()
        return self.snapshot_html()

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


def _descendants(widget: widgets.Widget) -> Iterable[widgets.Widget]:
    for child in getattr(widget, "children", ()):
        yield child
        yield from _descendants(child)


def site_stills() -> dict[str, str]:
    """Every course view alive in this kernel as a still picture (HTML), by widget model id.

    The offline course site (``course/build_site.py``) calls this in the kernel after running a
    notebook and puts each still in place of the live widget; :meth:`RunView.still_html` runs a
    simulation tool once first, so its page shows a real figure and table.
    """
    return {obj.model_id: obj.still_html() for obj in gc.get_objects()
            if isinstance(obj, View) and obj.model_id}
