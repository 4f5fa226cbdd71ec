"""Build the static course site: execute every notebook and export it to HTML, offline.

Usage (from the repository root)::

    python course/build_site.py --out build/site

Each notebook in ``course/en`` and ``course/fi`` is executed in memory (the
committed ``.ipynb`` files are never written) and exported with nbconvert's
``lab`` template to ``<out>/<lang>/<name>.html``; ``<out>/index.html`` lists
both languages. Nothing is fetched from the network, and the pages load no
remote scripts: live widgets need a kernel, so each course widget is shown as
the static snapshot it carries in its display bundle (see ``sim.widgets``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import copy
import html
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbclient import NotebookClient
from nbconvert import HTMLExporter

COURSE_DIR = Path(__file__).resolve().parent
REPO_ROOT = COURSE_DIR.parent
LANGUAGES = {"en": "English", "fi": "Suomi"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# The lab template minus the scripts it would load from CDNs (require.js, MathJax, Mermaid),
# so that a page opened offline makes no network requests. LaTeX and Mermaid stay as source text.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; }}
.langs {{ display: flex; flex-wrap: wrap; gap: 3em; }}
.langs section {{ flex: 1 1 20em; }}
footer {{ color: #666; font-size: 0.9em; margin-top: 3em; }}
</style></head><body>
<h1>{title}</h1>
<p>{intro}</p>
<div class="langs">{sections}</div>
<footer>{footer}</footer>
</body></html>
"""


def notebooks(course_dir: Path = COURSE_DIR, langs: Sequence[str] = tuple(LANGUAGES)) -> list[Path]:
    """The course notebooks, language by language, in file-name order."""
    return [path for lang in langs for path in sorted((course_dir / lang).glob("*.ipynb"))]


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first level-1 Markdown heading, or *fallback*."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def static_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace live-widget outputs with their static HTML, and drop saved widget state."""
    note = ('<p style="color:#666"><em>Interactive widget: open the notebook in JupyterLab to use it. / '
            "Vuorovaikutteinen työkalu: avaa muistikirja JupyterLabissa.</em></p>")
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
                if "text/html" not in data:
                    data["text/html"] = note
                    data.pop("text/plain", None)
    nb.metadata.pop("widgets", None)
    return nb


def execute(path: Path, timeout: int) -> nbformat.NotebookNode:
    """Run a copy of the notebook in its own folder; the file on disk is not touched."""
    nb = copy.deepcopy(nbformat.read(path, as_version=4))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def exporter() -> HTMLExporter:
    loader = DictLoader({"offline.html.j2": _OFFLINE_TEMPLATE})
    html_exporter = HTMLExporter(template_name="lab", extra_loaders=[loader])
    html_exporter.template_file = "offline.html.j2"
    return html_exporter


def write_index(out_dir: Path, pages: dict[str, list[tuple[str, str]]]) -> Path:
    sections = []
    for lang, links in pages.items():
        items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(title)}</a></li>'
                        for href, title in links)
        sections.append(f'<section lang="{lang}"><h2>{LANGUAGES[lang]}</h2>'
                        f'<ul>{items}</ul></section>')
    page = _INDEX.format(
        title="Työkyvyn tuki ja IPS · Work-ability support and IPS",
        intro=("Self-study course for work-ability coordinators, job coaches and social workers. "
               "Itseopiskelukurssi työkykykoordinaattoreille, työhönvalmentajille ja "
               "sosiaalityön ammattilaisille."),
        sections="".join(sections),
        footer=("Static pages: the interactive tools work when you open the notebooks in JupyterLab "
                "(make lab). Staattiset sivut: vuorovaikutteiset työkalut toimivat, kun avaat "
                "muistikirjat JupyterLabissa (make lab). "
                f"Built {time.strftime('%Y-%m-%d')}."),
    )
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the kernels started inside the block, then restore it."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _execute_plain(path: Path, timeout: int) -> tuple[dict | None, str | None]:
    """:func:`execute` in a worker thread: (the notebook, None), or (None, the error as text)."""
    try:
        return execute(path, timeout), None
    except Exception as exc:  # noqa: BLE001 - reported by name in the parent
        return None, f"{type(exc).__name__}: {str(exc).strip()[:500]}"


def build_site(out_dir: Path, course_dir: Path = COURSE_DIR, langs: Sequence[str] = tuple(LANGUAGES),
               timeout: int = 300, jobs: int | None = None) -> list[Path]:
    """Execute and export every notebook; return the written pages (index last).

    Raises ``RuntimeError`` naming every notebook that failed, after trying them all.
    """
    out_dir = Path(out_dir)
    # The kernels must import ``sim`` even when the package is not installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    html_exporter = exporter()
    written, failures = [], []
    pages: dict[str, list[tuple[str, str]]] = {lang: [] for lang in langs}
    paths = notebooks(course_dir, langs)
    # Each notebook runs in a kernel process of its own; a thread per core waiting on one keeps
    # every core busy (a kernel spends most of a short notebook starting up and importing).
    workers = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    # The quizzes save a learner's progress (sim/learning/progress.py); the builder is not a
    # learner, so the kernels keep theirs in a folder that goes away after the build.
    with tempfile.TemporaryDirectory(prefix="site-progress-") as store, _env("TYOKYKY_PROGRESS_DIR", store), \
            concurrent.futures.ThreadPoolExecutor(workers) as pool:
        running = [pool.submit(_execute_plain, path, timeout) for path in paths]
        for path, future in zip(paths, running):
            lang = path.parent.name
            print(f"building {lang}/{path.name}", file=sys.stderr, flush=True)
            executed, error = future.result()
            if error:  # report all failing notebooks at the end
                failures.append(f"{lang}/{path.name}: {error}")
                continue
            nb = static_outputs(nbformat.from_dict(executed))
            body, _ = html_exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
            target = out_dir / lang / f"{path.stem}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
            written.append(target)
            pages[lang].append((f"{lang}/{target.name}", notebook_title(nb, path.stem)))
    if failures:
        raise RuntimeError("notebooks failed to execute:\n  " + "\n  ".join(failures))
    out_dir.mkdir(parents=True, exist_ok=True)
    written.append(write_index(out_dir, pages))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "site", help="output folder")
    parser.add_argument("--lang", nargs="+", choices=list(LANGUAGES), default=list(LANGUAGES))
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    try:
        written = build_site(args.out, langs=args.lang, timeout=args.timeout)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} pages; open {written[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
