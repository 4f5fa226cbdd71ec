"""Real browser: a learner answers a quiz question in module 0, restarts the kernel, and
My progress still shows it (the record is in their own store, not in the kernel or notebook).

Uses Debian's chromium through Playwright and a JupyterLab started by process id
(:mod:`browser_support`); without chromium it skips locally and fails in CI.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    REPO,
    Server,
    menu,
    run_all_cells,
    screenshot,
    start_lab,
    wait_kernel_connected,
)

from sim.learning.quiz import load_quiz

try:
    from playwright.sync_api import expect
    expect.set_options(timeout=60_000)
except ImportError:  # require_chromium() reports it
    expect = None

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
NOTEBOOK = "course/en/00_start_here.ipynb"


@pytest.fixture(scope="module")
def lab_with_store(tmp_path_factory) -> Iterator[tuple[Server, Path]]:
    store = tmp_path_factory.mktemp("learner") / "tyokyky-course"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TYOKYKY_PROGRESS_DIR", str(store))  # the server and its kernels inherit it
        server = start_lab(tmp_path_factory.mktemp("lab-progress"), REPO, None)
    yield server, store
    server.stop()


def test_quiz_progress_survives_a_kernel_restart(browser, lab_with_store):
    lab, store = lab_with_store
    notebook = REPO / NOTEBOOK
    before = notebook.read_bytes()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(lab.url(f"/lab/tree/{NOTEBOOK}"))
        wait_kernel_connected(lab, NOTEBOOK)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        run_all_cells(page)
        page.locator(".widget-radio-box label", has_text="Press Shift + Enter").first.click()
        page.get_by_role("button", name="Check").first.click()
        expect(page.get_by_text("✔ Right.").first).to_be_visible()

        menu(page, "Kernel", re.compile(r"^Restart Kernel and Run All Cells"))
        page.locator(".jp-Dialog-button.jp-mod-accept").first.click()
        progress = page.locator(".jp-OutputArea", has_text="My progress").last
        questions = len(load_quiz("m00").questions)  # module 0's quiz, as it is now
        expect(progress).to_contain_text(f"1 / {questions} right (1 at the first try)")
        expect(page.get_by_text("✔ Right.")).to_have_count(0)  # the quiz itself starts afresh
        progress.scroll_into_view_if_needed()
        screenshot(page, "lab_progress_after_restart", full_page=False)
    except Exception:
        screenshot(page, "lab_progress_after_restart_FAILED", full_page=False)
        raise
    finally:
        context.close()
    files = list(store.glob("progress-*.json"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert notebook.read_bytes() == before, "the course notebook was written (autosave?)"
