"""The static course site builds offline into HTML for every notebook in both languages."""

from __future__ import annotations

import hashlib
import importlib.util
import ipaddress
import re
import socket
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow  # executes every course notebook (about half a minute)

COURSE = Path(__file__).resolve().parents[1] / "course"
NOTEBOOKS = sorted(p for lang in ("en", "fi") for p in (COURSE / lang).glob("*.ipynb"))


def load_builder():
    spec = importlib.util.spec_from_file_location("build_site", COURSE / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)) and not isinstance(address, tuple):
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the whole site once, with every non-loopback connection refused."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if not _is_local(address):
            raise NetworkBlocked(f"network access attempted during the site build: {address!r}")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            raise NetworkBlocked(f"DNS lookup attempted during the site build: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in NOTEBOOKS}
    out = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", guarded_connect)
        mp.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
        written = load_builder().build_site(out, timeout=300)
    return out, written, before


def test_site_has_an_index_and_one_page_per_notebook_in_both_languages(site):
    out, written, _ = site
    expected = {out / p.parent.name / f"{p.stem}.html" for p in NOTEBOOKS}
    assert expected | {out / "index.html"} == set(written)
    assert all(path.is_file() and path.stat().st_size > 0 for path in written)
    assert {p.parent.name for p in NOTEBOOKS} == {"en", "fi"}


def test_index_links_every_page_with_its_module_title(site):
    out, _, _ = site
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in NOTEBOOKS:
        assert f'href="{p.parent.name}/{p.stem}.html"' in index
    assert "Module 0 · Start here" in index and "Moduuli 0 · Aloita tästä" in index
    assert "English" in index and "Suomi" in index


def test_pages_load_nothing_from_the_network(site):
    out, written, _ = site
    for page in written:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=[\"']?https?:", text), page.name
        assert not re.search(r"<link[^>]+href=[\"']?https?:", text), page.name
        assert "cdn.jsdelivr" not in text and "cdnjs" not in text, page.name


def test_pages_show_executed_widgets_as_static_snapshots(site):
    out, _, _ = site
    page = (out / "fi" / "04_supported_employment_ips.html").read_text(encoding="utf-8")
    assert page.count('class="tyokyky-snapshot"') == 2  # the pathway comparison and the quiz
    assert "data:image/png;base64," in page  # the figure, rendered at build time
    assert '<img alt="Vasemmalla aikajana kuukausina' in page  # ... with alt text saying what it shows
    assert "application/vnd.jupyter.widget-view+json" not in page
    assert "Staattinen esikatselu" in page
    start = (out / "en" / "00_start_here.html").read_text(encoding="utf-8")
    assert ">5</pre>" in start  # the "2 + 3" cell was executed


def test_building_does_not_modify_the_committed_notebooks(site):
    _, _, before = site
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in NOTEBOOKS}


def test_a_failing_notebook_is_reported_by_name(tmp_path):
    builder = load_builder()
    course = tmp_path / "course"
    (course / "en").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nbformat.write(nb, course / "en" / "99_broken.ipynb")
    with pytest.raises(RuntimeError, match=r"en/99_broken\.ipynb"):
        builder.build_site(tmp_path / "out", course_dir=course, langs=["en"], timeout=60)


def test_main_returns_an_error_code_on_failure(tmp_path, monkeypatch, capsys):
    builder = load_builder()

    def fail(*args, **kwargs):
        raise RuntimeError("notebooks failed to execute:\n  en/x.ipynb: boom")

    monkeypatch.setattr(builder, "build_site", fail)
    assert builder.main(["--out", str(tmp_path)]) == 1
    assert "en/x.ipynb" in capsys.readouterr().err
