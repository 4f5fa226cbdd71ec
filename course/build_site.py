"""Build the static course site with Jupyter Book 1.x (Sphinx + MyST-NB), offline.

Usage (from the repository root; ``make book`` runs this)::

    python course/build_site.py --out build/site

Every notebook ``NN_*.ipynb`` in ``course/en`` and ``course/fi`` (found by name, so new modules
join by themselves) is executed in memory in parallel, one kernel per core; the committed files
are never written. The kernels keep quiz progress in a temporary folder (``TYOKYKY_PROGRESS_DIR``),
never in a learner's own. Each live widget is replaced by its still picture
(:func:`sim.widgets.base.site_stills`), and the executed notebooks go to Jupyter Book with execution
off: one book per language (``<out>/en``, ``<out>/fi``), so that Sphinx sets ``<html lang>``, the
theme's words (previous, next, search) and the search index's stemming per language.
``<out>/index.html`` links both. The pages load no remote scripts: no MathJax, require.js or
widget manager from a CDN, and no launch buttons.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import html
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

COURSE_DIR = Path(__file__).resolve().parent
REPO_ROOT = COURSE_DIR.parent
LANGUAGES = {"en": "English", "fi": "Suomi"}
TITLES = {"en": "Work-ability support and IPS", "fi": "Työkyvyn tuki ja IPS"}
OTHER = {"en": ("fi", "Kurssi suomeksi"), "fi": ("en", "The course in English")}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROGRESS_ENV = "TYOKYKY_PROGRESS_DIR"  # where the kernels' quizzes keep progress (sim.learning.progress)
# Run in each kernel after the notebook: every course view's still picture, by widget model id.
_STILLS_CELL = ("from IPython.display import display\nfrom sim.widgets.base import site_stills\n"
                "display({'application/json': site_stills()}, raw=True)")


def notebooks(course_dir: Path, lang: str) -> list[Path]:
    """The course notebooks of one language (``NN_name.ipynb``), in module order."""
    return sorted((course_dir / lang).glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, timeout: int) -> nbformat.NotebookNode:
    """Run the notebook in its own folder and put each widget's still picture in its place."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_STILLS_CELL))
    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    probe = nb.cells.pop()
    stills = next((o["data"]["application/json"] for o in probe.outputs
                   if "application/json" in o.get("data", {})), {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                view = data.pop(WIDGET_VIEW)
                data["text/html"] = stills.get(view.get("model_id"), data.get("text/html", ""))
                data.pop("text/plain", None)
    nb.metadata.pop("widgets", None)
    return nb


def _execute_safely(path: Path, timeout: int) -> tuple[nbformat.NotebookNode | None, str | None]:
    try:
        return execute(path, timeout), None
    except Exception as exc:  # noqa: BLE001 - reported by name in the parent
        return None, f"{type(exc).__name__}: {str(exc).strip()[:500]}"


def book_config(lang: str) -> dict:
    """Jupyter Book's ``_config.yml`` for one language: no execution, nothing remote."""
    other, label = OTHER[lang]
    return {
        "title": TITLES[lang], "author": "", "copyright": "", "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "parse": {"myst_enable_extensions": ["colon_fence"]},  # no $-math: euro sums stay text
        "html": {"use_repository_button": False, "use_issues_button": False,
                 "use_edit_page_button": False, "use_multitoc_numbering": False,
                 "extra_footer": f'<p><a href="../{other}/index.html" lang="{other}">{label}</a></p>'},
        "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "",
                           "jupyterhub_url": "", "thebe": False, "colab_url": "", "deepnote_url": ""},
        "repository": {"url": ""},
        "sphinx": {"config": {
            "language": lang,
            # Jupyter Book's extensions less sphinx_thebe (its inline script names a CDN),
            # and intersphinx (nothing here to fetch).
            "extensions": ["sphinx_togglebutton", "sphinx_copybutton", "myst_nb", "jupyter_book",
                           "sphinx_comments", "sphinx_external_toc", "sphinx_design", "sphinx_book_theme"],
            # the widgets are still pictures: no require.js and widget manager from a CDN
            "nb_ipywidgets_js": {},
            "html_show_sphinx": False,
            "smartquotes": False,  # the text as written: titles and quotes stay the notebooks' own
            "html_theme_options": {"use_download_button": False, "use_fullscreen_button": False,
                                   "search_bar_text": {"en": "Search…", "fi": "Hae…"}[lang]},
        }},
    }


def write_book(source: Path, lang: str, executed: list[tuple[Path, nbformat.NotebookNode]]) -> None:
    """The executed notebooks, ``_config.yml`` and ``_toc.yml`` (module 0 first) in *source*."""
    source.mkdir(parents=True, exist_ok=True)
    for path, nb in executed:
        nbformat.write(nb, source / path.name)
    names = [path.stem for path, _ in executed]
    toc = {"format": "jb-book", "root": names[0], "chapters": [{"file": n} for n in names[1:]]}
    (source / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    (source / "_config.yml").write_text(yaml.safe_dump(book_config(lang), sort_keys=False,
                                                        allow_unicode=True), encoding="utf-8")


def write_index(out_dir: Path, titles: dict[str, list[tuple[str, str]]]) -> Path:
    """A landing page linking the two books, each list marked with its language."""
    sections = "".join(
        f'<section lang="{lang}"><h2><a href="{lang}/index.html">{LANGUAGES[lang]}</a></h2><ul>'
        + "".join(f'<li><a href="{lang}/{html.escape(stem)}.html">{html.escape(title)}</a></li>'
                  for stem, title in pages) + "</ul></section>"
        for lang, pages in titles.items())
    title = " · ".join(TITLES[lang] for lang in titles)
    heading = " · ".join(f'<span lang="{lang}">{TITLES[lang]}</span>' for lang in titles)
    index = out_dir / "index.html"
    index.write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
        "line-height:1.5}main{display:flex;flex-wrap:wrap;gap:3em}section{flex:1 1 20em}</style>"
        f"</head><body><h1>{heading}</h1><main>{sections}</main></body></html>\n", encoding="utf-8")
    return index


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first level-1 Markdown heading (what Sphinx makes the page title), or *fallback*."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _jupyter_book(source: Path) -> subprocess.Popen:
    """Start ``jupyter-book build`` on *source*, its log in ``source/build.log``."""
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
               "build", str(source), "--builder", "html", "--warningiserror"]
    with open(source / "build.log", "w", encoding="utf-8") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def build_site(out_dir: Path, course_dir: Path = COURSE_DIR, langs: Sequence[str] = tuple(LANGUAGES),
               timeout: int = 300, jobs: int | None = None) -> list[Path]:
    """Execute every notebook and build one book per language; return the module pages and the
    landing page (last). Raises ``RuntimeError`` naming every notebook or book that failed."""
    out_dir = Path(out_dir)
    # The kernels must import ``sim`` even when the package is not installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    paths = {lang: notebooks(course_dir, lang) for lang in langs}
    flat = [path for lang in langs for path in paths[lang]]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(flat)))
    failures: list[str] = []
    books: dict[str, subprocess.Popen] = {}
    titles: dict[str, list[tuple[str, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="site-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(workers) as pool:
        # The quizzes save progress (sim/learning/progress.py); the builder is not a learner.
        learner_store = os.environ.get(PROGRESS_ENV)
        os.environ[PROGRESS_ENV] = str(Path(tmp) / "progress")
        try:  # a thread per core waits on a kernel process of its own
            running = {path: pool.submit(_execute_safely, path, timeout) for path in flat}
            for lang in langs:  # a book builds while the next language's notebooks run
                executed = []
                for path in paths[lang]:
                    nb, error = running[path].result()
                    print(f"executed {lang}/{path.name}", file=sys.stderr, flush=True)
                    if error:
                        failures.append(f"{lang}/{path.name}: {error}")
                    executed.append((path, nb))
                if failures:
                    continue
                titles[lang] = [(p.stem, notebook_title(nb, p.stem)) for p, nb in executed]
                write_book(Path(tmp) / lang, lang, executed)
                books[lang] = _jupyter_book(Path(tmp) / lang)
        finally:
            if learner_store is None:
                os.environ.pop(PROGRESS_ENV, None)
            else:
                os.environ[PROGRESS_ENV] = learner_store
        if failures:
            for proc in books.values():
                proc.kill()
                proc.wait()
            raise RuntimeError("notebooks failed to execute:\n  " + "\n  ".join(failures))
        written = []
        for lang, proc in books.items():
            if proc.wait():
                log = (Path(tmp) / lang / "build.log").read_text(encoding="utf-8", errors="replace")
                failures.append(f"the {lang} book: {log.strip()[-2000:]}")
                continue
            target = out_dir / lang
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(Path(tmp) / lang / "_build" / "html", target)
            written += [target / f"{stem}.html" for stem, _ in titles[lang]]
    if failures:
        raise RuntimeError("the site failed to build:\n  " + "\n  ".join(failures))
    written.append(write_index(out_dir, titles))
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
