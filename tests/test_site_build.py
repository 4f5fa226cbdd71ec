"""The static course site (Jupyter Book, one book per language) builds offline from every notebook.

Built once per run (a few minutes on two cores): every module page carries its module title,
its language and its neighbours; search works offline; pictures have alt text; quiz answers open
from ``<details>``; the tools are still pictures, module 8's two simulation tools with real figures.
Also: JupyterLab's Finnish language pack is installed, and the start page names its real menus.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import ipaddress
import json
import os
import re
import socket
import struct
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
LANGS = ("en", "fi")
NOTEBOOKS = {lang: sorted((COURSE / lang).glob("[0-9][0-9]_*.ipynb")) for lang in LANGS}
slow = pytest.mark.slow


def load_builder():
    spec = importlib.util.spec_from_file_location("build_site", COURSE / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Tags(HTMLParser):
    """Every start tag of a page as (name, attributes), and the inline script text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts.append(data)

    def all(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):
        return True  # AF_UNIX path
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkBlocked(OSError):
    pass


def heading(path: Path) -> str:
    """The notebook's first level-1 heading: the module title."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{path} has no level-1 heading")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the whole site once, every non-loopback connection of this process refused, with a
    learner's own progress folder set that the build must leave alone."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if not _is_local(address):
            raise NetworkBlocked(f"network access attempted during the site build: {address!r}")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            raise NetworkBlocked(f"DNS lookup attempted during the site build: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    every = [p for lang in LANGS for p in NOTEBOOKS[lang]]
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in every}
    out = tmp_path_factory.mktemp("site")
    learner = tmp_path_factory.mktemp("learner-progress")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", guarded_connect)
        mp.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
        mp.setenv("TYOKYKY_PROGRESS_DIR", str(learner))
        written = load_builder().build_site(out, timeout=300)
        env_after = os.environ.get("TYOKYKY_PROGRESS_DIR")
    return {"out": out, "written": written, "before": before, "learner": learner, "env_after": env_after}


def page(site, lang: str, nb: Path) -> str:
    return (site["out"] / lang / f"{nb.stem}.html").read_text(encoding="utf-8")


def all_pages(site) -> list[Path]:
    return sorted(site["out"].rglob("*.html"))


@slow
def test_every_notebook_has_a_page_titled_with_its_module_title(site):
    out = site["out"]
    expected = {out / lang / f"{p.stem}.html" for lang in LANGS for p in NOTEBOOKS[lang]}
    assert expected | {out / "index.html"} == set(site["written"])
    for lang in LANGS:
        for nb in NOTEBOOKS[lang]:
            title = unescape(re.search(r"<title>(.*?)</title>", page(site, lang, nb), re.S).group(1))
            assert title.startswith(heading(nb) + " "), (lang, nb.name, title)


@slow
def test_pages_say_their_language(site):
    for lang in LANGS:
        pages = list((site["out"] / lang).glob("*.html"))
        assert len(pages) > len(NOTEBOOKS[lang])  # the modules, search, index …
        for path in pages:
            html_tag = re.search(r"<html[^>]*>", path.read_text(encoding="utf-8"))
            if path.name == "index.html" and html_tag is None:
                continue  # the book's index.html only redirects to module 0
            assert f'lang="{lang}"' in html_tag.group(0), (path, html_tag.group(0))
    landing = (site["out"] / "index.html").read_text(encoding="utf-8")
    for lang in LANGS:
        assert f'<section lang="{lang}">' in landing
        for nb in NOTEBOOKS[lang]:
            assert f'href="{lang}/{nb.stem}.html"' in landing


@slow
def test_previous_and_next_link_the_neighbouring_modules(site):
    for lang in LANGS:
        stems = [p.stem for p in NOTEBOOKS[lang]]
        for i, nb in enumerate(NOTEBOOKS[lang]):
            text = page(site, lang, nb)
            prev = re.search(r'class="left-prev"\s+href="([^"]+)"', text)
            nxt = re.search(r'class="right-next"\s+href="([^"]+)"', text)
            if i == 0:
                assert prev is None
            else:
                assert prev and prev.group(1) == f"{stems[i - 1]}.html", (lang, nb.name)
            if i < len(stems) - 1:
                assert nxt and nxt.group(1) == f"{stems[i + 1]}.html", (lang, nb.name)
            # the table of contents in the side bar links every module of the same language
            for stem in stems:
                assert f'href="{stem}.html"' in text or stem == nb.stem


@slow
def test_each_book_has_an_offline_search_page_in_its_language(site):
    for lang in LANGS:
        book = site["out"] / lang
        assert f'lang="{lang}"' in (book / "search.html").read_text(encoding="utf-8")
        index = (book / "searchindex.js").read_text(encoding="utf-8")
        # every module title is in the search index
        titles = json.loads(index[index.index("(") + 1:index.rindex(")")])["titles"]
        assert {heading(nb) for nb in NOTEBOOKS[lang]} <= set(titles)
        for nb in NOTEBOOKS[lang]:
            assert 'action="search.html"' in page(site, lang, nb)
    # the Finnish book stems Finnish words, the English one English
    assert (site["out"] / "fi" / "_static" / "finnish-stemmer.js").is_file()


@slow
def test_every_picture_has_alt_text(site):
    count = 0
    for path in all_pages(site):
        for img in Tags(path.read_text(encoding="utf-8")).all("img"):
            count += 1
            assert (img.get("alt") or "").strip(), f"{path.name}: <img> without alt text"
    assert count >= 10  # module 8 alone has four figures in each language


@slow
def test_pages_load_no_remote_scripts_or_styles(site):
    remote = re.compile(r"^\s*(https?:)?//", re.I)
    for path in all_pages(site):
        tags = Tags(path.read_text(encoding="utf-8"))
        for attrs in tags.all("script") + tags.all("img") + tags.all("iframe"):
            assert not remote.match(attrs.get("src") or ""), (path.name, attrs)
        for attrs in tags.all("link"):
            assert not remote.match(attrs.get("href") or ""), (path.name, attrs)
        for script in tags.inline_scripts:
            assert not re.search(r"https?://", script), (path.name, script[:200])
    for css in site["out"].rglob("*.css"):
        assert not re.search(r"(@import|url\()\s*[\"']?https?:", css.read_text(encoding="utf-8")), css


def _right_texts(quiz: dict, keys: dict, lang: str) -> dict[str, list[str]]:
    """The right options' texts per choice question, from the plain answers of the tests (*keys*)."""
    quiz_id = quiz["quiz_id"]
    right = {}
    for q in quiz["questions"]:
        if q["kind"] != "numeric" and q["id"] in keys.get(quiz_id, {}):
            right[q["id"]] = [o["text"][lang] for o in q["options"] if o["id"] in keys[quiz_id][q["id"]]]
    return right


@slow
def test_quiz_answers_are_revealed_from_details(site):
    keys = yaml.safe_load((ROOT / "tests" / "data" / "quiz_keys.yaml").read_text(encoding="utf-8"))
    checked = 0
    for lang in LANGS:
        for nb in NOTEBOOKS[lang]:
            found = re.search(r'quiz\("(m\d\d)"', "".join(c.source for c in nbformat.read(nb, 4).cells))
            if not found:
                continue
            quiz = yaml.safe_load((ROOT / "sim" / "data" / "quizzes" / f"{found.group(1)}.yaml").read_text())
            details = re.findall(r'<details class="tyokyky-answer">(.*?)</details>',
                                 page(site, lang, nb), re.S)
            assert len(details) == len(quiz["questions"]), (lang, nb.name)
            right = _right_texts(quiz, keys, lang)
            for q, block in zip(quiz["questions"], details):
                if q["id"] in right:
                    shown = re.findall(r"✔ <b>(.*?)</b>", block)
                    assert shown == [escape(t) for t in right[q["id"]]], (lang, nb.name, q["id"])
                    checked += 1
    assert checked > 40


def _png_size(tag: dict) -> tuple[int, int]:
    data = base64.b64decode(tag["src"].split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@slow
def test_module_8_simulation_tools_show_real_figures(site):
    for lang in LANGS:
        nb = next(p for p in NOTEBOOKS[lang] if p.name.startswith("08_"))
        text = page(site, lang, nb)
        # each still: from its box to its "static preview" note
        snapshots = [chunk.split('<p style="color:#666"><em>')[0]
                     for chunk in text.split('<div class="tyokyky-snapshot"')[1:]]
        pictures = [img for block in snapshots for img in Tags(block).all("img")
                    if (img.get("src") or "").startswith("data:image/png;base64,")]
        # the explorer's waiting list over time and waits, and the dashboard's capacity curve
        assert len(pictures) >= 3, (lang, len(pictures))
        for img in pictures:
            width, height = _png_size(img)
            assert width > 200 and height > 100
        assert "application/vnd.jupyter.widget-view+json" not in text


@slow
def test_every_tool_is_a_still_picture_with_a_note(site):
    note = {"en": "Static preview", "fi": "Staattinen esikatselu"}
    for lang in LANGS:
        for nb in NOTEBOOKS[lang]:
            source = nbformat.read(nb, 4)
            text = page(site, lang, nb)
            assert "application/vnd.jupyter.widget-view+json" not in text
            if "widgets" in "".join(c.source for c in source.cells if c.cell_type == "code"):
                assert 'class="tyokyky-snapshot"' in text and note[lang] in text, (lang, nb.name)
    start = page(site, "en", NOTEBOOKS["en"][0])
    assert re.search(r">\s*5\s*</pre>", start)  # the "2 + 3" cell was executed


@slow
def test_building_leaves_notebooks_and_the_learners_progress_alone(site):
    assert site["before"] == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in site["before"]}
    assert list(site["learner"].iterdir()) == []  # the quizzes saved into a temporary folder
    assert site["env_after"] == str(site["learner"])  # and the learner's setting is back


@slow
def test_a_failing_notebook_is_reported_by_name(tmp_path):
    builder = load_builder()
    course = tmp_path / "course"
    (course / "en").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Module 99"),
                nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nbformat.write(nb, course / "en" / "99_broken.ipynb")
    with pytest.raises(RuntimeError, match=r"en/99_broken\.ipynb"):
        builder.build_site(tmp_path / "out", course_dir=course, langs=["en"], timeout=60)
    assert not (tmp_path / "out" / "en").exists()


def test_main_returns_an_error_code_on_failure(tmp_path, monkeypatch, capsys):
    builder = load_builder()

    def fail(*args, **kwargs):
        raise RuntimeError("notebooks failed to execute:\n  en/x.ipynb: boom")

    monkeypatch.setattr(builder, "build_site", fail)
    assert builder.main(["--out", str(tmp_path)]) == 1
    assert "en/x.ipynb" in capsys.readouterr().err


def test_the_finnish_language_pack_is_installed_and_the_start_page_names_its_menus():
    from jupyterlab_server.translation_utils import get_language_packs

    packs, message = get_language_packs("en")  # what JupyterLab's Settings → Language lists
    assert "fi_FI" in packs, message
    pack = packs["fi_FI"]
    label = f"{pack['displayName']} - {pack['nativeName']}"  # JupyterLab's menu label
    locale = Path(importlib.util.find_spec("jupyterlab_language_pack_fi_FI").origin).parent
    strings = json.loads((locale / "locale" / "fi_FI" / "LC_MESSAGES" / "jupyterlab.json").read_text())
    settings, language = strings["menu\x04Settings"][0], strings["menu\x04Language"][0]
    english_back = get_language_packs("fi_FI")[0]["en"]
    back = f"{english_back['displayName']} - {english_back['nativeName']}"
    for lang in LANGS:
        text = "".join(c.source for c in nbformat.read(COURSE / lang / "00_start_here.ipynb", 4).cells
                       if c.cell_type == "markdown")
        assert f"Settings → Language → {label}" in text, lang
        assert f"{settings} → {language} → {back}" in text, lang
