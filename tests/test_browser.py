"""Real-browser tests: Debian's chromium driven by Python Playwright.

(a) JupyterLab runs a course notebook with a slider widget; moving the slider changes the
    output text and the plot. (b) The nbgrader extension's Formgrader lists this course's
    assignments and the Assignment List opens. (c) The planners' app under Voilà: load a
    preset, change coaches, run, read the KPI table; a broken upload shows the loader's
    message; the CSV download has the run's summary.

Servers bind 127.0.0.1 with a token and temporary config dirs, are started once per session
and stopped by process id. Every request leaving the local server is blocked, so the pages
are shown to work offline. Screenshots go to ``test-artifacts/`` (git-ignored).
Without chromium these tests skip locally and fail in CI (CI=true); install it with
``apt-get update && apt-get install -y chromium`` (``make chromium``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    REPO,
    Server,
    copy_course,
    in_ci,
    menu,
    record_offline_requests,
    run_all_cells,
    screenshot,
    start_lab,
    start_voila,
    wait_kernel_connected,
    wait_kernel_idle,
)

import sim
from sim.learning.text import t
from sim.results import KEY_KPIS
from sim.widgets.app import _PRESET_KEYS

try:
    from playwright.sync_api import expect
    expect.set_options(timeout=30_000)
except ImportError:  # require_chromium() reports it (fails in CI, skips locally)
    expect = None

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
#: Course notebooks with a slider widget, most suitable first (module 4: timeline sliders;
#: module 8: the pathway explorer). The first that exists is used.
NOTEBOOK_PATTERNS = ("course/en/04_*.ipynb", "course/en/08_*.ipynb", "course/fi/04_*.ipynb",
                     "course/fi/08_*.ipynb")
SLIDER_CALLS = ("pathway_comparison(", "pathway_explorer(", "capacity_dashboard(", "Slider(")
#: Requests Voilà's page template makes to a CDN (Font Awesome CSS); the icons still render
#: from the widgets bundle, so blocking them is harmless. Anything else is a new dependency.
KNOWN_CDN = ("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free",)
BROKEN = b"name: broken\nips:\n  coaches: -3\n"
PRESET_LABELS = {name: keys[0] for name, keys in _PRESET_KEYS.items()}


def absent(reason: str) -> None:
    """Something the test needs is missing: a failure in CI, a visible skip locally."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Server]:
    """JupyterLab rooted at the repo; nbgrader on a scratch copy of assignments/ inside it."""
    course = REPO / "assignments"
    copy = None
    if (course / "nbgrader_config.py").is_file() and (course / "source").is_dir():
        copy = copy_course(course, ARTIFACTS / "nbgrader-course")
    server = start_lab(tmp_path_factory.mktemp("lab"), REPO, copy)
    yield server
    server.stop()
    if copy is not None:
        import shutil
        shutil.rmtree(copy, ignore_errors=True)


@pytest.fixture(scope="session")
def voila(tmp_path_factory) -> Iterator[Server]:
    server = start_voila(tmp_path_factory.mktemp("voila"), REPO / "course/app/planner.ipynb")
    yield server
    server.stop()


def new_page(browser, server: Server, blocked: list[str], **context_args):
    context = browser.new_context(accept_downloads=True, **context_args)
    record_offline_requests(context, server.base_url, blocked)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


# --- (a) JupyterLab: a course notebook's slider ------------------------------------------

def widget_notebook() -> Path | None:
    for pattern in NOTEBOOK_PATTERNS:
        for path in sorted(REPO.glob(pattern)):
            code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                           if c["cell_type"] == "code")
            if any(call in code for call in SLIDER_CALLS):
                return path
    return None


def test_lab_course_notebook_slider_changes_output_and_plot(browser, lab):
    notebook = widget_notebook()
    if notebook is None:
        absent(f"no course notebook with a slider widget ({', '.join(NOTEBOOK_PATTERNS)})")
    before = notebook.read_bytes()
    blocked: list[str] = []
    context, page = new_page(browser, lab, blocked, viewport={"width": 1400, "height": 1000})
    try:
        path = notebook.relative_to(REPO).as_posix()
        page.goto(lab.url(f"/lab/tree/{path}"))
        wait_kernel_connected(lab, path)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        run_all_cells(page)
        slider = page.locator(".widget-slider, .widget-hslider").first
        slider.wait_for()
        wait_kernel_idle(page, TIMEOUT_MS)
        output = slider.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class),"
                                " ' '), ' jp-OutputArea ')][1]")
        image = output.locator("img").first
        expect(image).to_have_attribute("src", re.compile(r"^(blob:|data:image)"))
        readout = slider.locator(".widget-readout")
        start_value, start_src, start_text = (readout.inner_text(), image.get_attribute("src"),
                                              output.inner_text())

        slider.locator(".noUi-handle").first.click()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        expect(readout).not_to_have_text(start_value)
        wait_kernel_idle(page, TIMEOUT_MS)  # widget callbacks run asynchronously (P14)
        expect(image).not_to_have_attribute("src", start_src)
        changed = set(output.inner_text().splitlines()) - set(start_text.splitlines())
        assert any(re.search(r"[A-Za-zÄÖäö]{3}", line) for line in changed), \
            f"no output text changed besides the readout: {changed}"
        slider.scroll_into_view_if_needed()
        screenshot(page, "lab_notebook_slider", full_page=False)
        assert not blocked, f"JupyterLab tried to reach the network: {blocked}"
    except Exception:
        screenshot(page, "lab_notebook_slider_FAILED", full_page=False)
        raise
    finally:
        context.close()
    assert notebook.read_bytes() == before, "the course notebook was written (autosave?)"


# --- (b) JupyterLab with nbgrader ------------------------------------------------------

def test_lab_formgrader_lists_the_course_assignments_and_assignment_list_opens(browser, lab):
    course = lab.extra["course_dir"]
    if course is None:
        absent("assignments/ has no nbgrader_config.py and source/")
    names = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    if not names:
        absent("assignments/source has no assignment")
    blocked: list[str] = []
    context, page = new_page(browser, lab, blocked, viewport={"width": 1400, "height": 1000})
    try:
        page.goto(lab.url("/lab"))
        page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader")
        menu(page, "Nbgrader", "Formgrader")
        frame = page.frame_locator(".jp-MainAreaWidget:visible iframe").first
        table = frame.locator("table")
        for name in names:
            expect(table.get_by_role("link", name=name, exact=True)).to_be_visible()
        expect(frame.locator("body")).not_to_contain_text("not a subdirectory")
        screenshot(page, "lab_formgrader", full_page=False)

        menu(page, "Nbgrader", "Assignment List")
        panel = page.locator(".lm-DockPanel-widget:visible", has_text="Released assignments")
        expect(panel).to_be_visible()
        expect(panel).not_to_contain_text("exchange directory does not exist")
        screenshot(page, "lab_assignment_list", full_page=False)
        assert not blocked, f"JupyterLab tried to reach the network: {blocked}"
    except Exception:
        screenshot(page, "lab_nbgrader_FAILED", full_page=False)
        raise
    finally:
        context.close()


# --- (c) the planners' app under Voilà ---------------------------------------------------

@pytest.fixture(scope="module")
def app_page(browser, voila):
    """One app page (one kernel) for the Voilà tests, opened with every CDN blocked."""
    blocked: list[str] = []
    context, page = new_page(browser, voila, blocked, viewport={"width": 1280, "height": 3200})
    page.goto(voila.url("/"))
    page.wait_for_selector(".tyo-app")
    page.blocked = blocked
    yield page
    context.close()


def kpi_cell(page, key: str):
    return page.locator(f".tyo-kpi tr[data-key='{key}'] td[data-col='mean']")


def select_preset(page, name: str) -> None:
    """Choose a preset in the dropdown, which shows each by its human name (in English)."""
    page.select_option(".tyo-preset select", label=t(PRESET_LABELS[name], "en"))


def run_preset(page, name: str) -> str:
    """Load a preset, run it, return the mean IPS wait shown in the KPI table."""
    select_preset(page, name)
    expect(page.locator(".tyo-scenario-info")).to_contain_text(f"{name}:")
    page.click("button.tyo-run")
    expect(page.locator(".tyo-status")).to_contain_text("replications in")
    cell = kpi_cell(page, "ips_wait_days.mean")
    expect(cell).to_be_visible()
    return cell.inner_text()


def test_app_works_offline(app_page):
    expect(app_page.locator(".tyo-header")).to_contain_text("capacity planner")
    unexpected = [u for u in app_page.blocked if not u.startswith(KNOWN_CDN)]
    assert not unexpected, f"the app tried to reach the network: {unexpected}"


def test_app_run_after_changing_coaches_changes_the_kpi_table(app_page):
    page = app_page
    before = run_preset(page, "pohjois-savo-pilot")
    progress = page.locator(".tyo-progress .progress-bar")
    expect(progress).to_have_attribute("style", re.compile(r"width: 100%"))
    page.fill(".tyo-coaches input", "1")
    page.press(".tyo-coaches input", "Tab")
    page.click("button.tyo-run")
    cell = kpi_cell(page, "ips_wait_days.mean")
    expect(cell).not_to_have_text(before)
    assert float(cell.inner_text()) > float(before) + 50, "one coach should jam the pathway"
    expect(page.locator(".tyo-waits-plot")).to_be_visible()
    screenshot(page, "voila_app_run", full_page=False)


def test_app_broken_upload_shows_the_loaders_message(app_page):
    page = app_page
    with pytest.raises(sim.ScenarioError) as expected:
        sim.scenario_from_text(BROKEN.decode(), origin="broken.yaml")
    info = page.locator(".tyo-scenario-info").inner_text().splitlines()[0]
    with page.expect_file_chooser() as chooser:
        page.click(".tyo-upload")  # the widget's <input type=file> is not in the DOM
    chooser.value.set_files(files=[{"name": "broken.yaml", "mimeType": "text/yaml",
                                    "buffer": BROKEN}])
    box = page.locator(".tyo-error")
    expect(box).to_be_visible()
    expect(box).to_contain_text(str(expected.value))
    expect(page.locator(".tyo-scenario-info")).to_contain_text(info)  # previous scenario kept
    page.locator(".tyo-section-scenario").screenshot(path=str(ARTIFACTS / "voila_upload_error.png"))


def test_app_csv_download_has_the_runs_summary(app_page):
    page = app_page
    if not page.locator("#tyo-dl-summary-csv").count():
        run_preset(page, "pohjois-savo-pilot")
    shown = kpi_cell(page, "ips_wait_days.mean").inner_text()
    with page.expect_download() as download:
        page.click("#tyo-dl-summary-csv")
    assert download.value.suggested_filename == "summary.csv"
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8")))}
    assert set(KEY_KPIS) <= set(rows)
    assert f"{float(rows['ips_wait_days.mean']['mean']):.1f}" == shown
    assert rows["ips_wait_days.mean"]["replications"] == "10"
    expect(page.locator("#tyo-dl-summary-xlsx")).to_have_attribute("download", "summary.xlsx")


def test_app_switches_to_finnish(app_page):
    page = app_page
    page.locator(".tyo-lang button", has_text="Suomi").click()
    expect(page.locator("button.tyo-run")).to_have_text("Aja")
    expect(page.locator(".tyo-section-run h3").first).to_have_text("3 Aja")
    # tables and figures are redrawn after the labels: wait for the last of them
    expect(page.locator(".tyo-kpi th").first).to_have_text("Mittari")
    expect(page.locator(".tyo-status")).to_contain_text("toistoa")
    expect(page.locator(".tyo-downloads")).to_contain_text("Tunnuslukujen yhteenveto")
    screenshot(page, "voila_app_finnish", full_page=False)
    page.locator(".tyo-lang button", has_text="English").click()
    expect(page.locator("button.tyo-run")).to_have_text("Run")


def test_servers_listen_on_localhost_and_refuse_requests_without_the_token(lab, voila):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    for server, path in ((lab, "/api/contents"), (voila, "/")):
        assert server.base_url.startswith("http://127.0.0.1:")
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(server.base_url + path, timeout=10)
        assert refused.value.code in (302, 401, 403), f"{server.name} served {path} without a token"


# --- (c) the app: a county's own numbers, saved and read back; accessibility --------------

def field(page, css: str):
    return page.locator(f"{css} input")


def set_field(page, css: str, value: str) -> None:
    page.fill(f"{css} input", value)
    page.press(f"{css} input", "Tab")


def test_app_county_numbers_download_as_yaml_and_upload_back_the_same(app_page):
    page = app_page
    select_preset(page, "pohjois-savo-pilot")
    page.click("button.tyo-reset")
    expect(field(page, ".tyo-coaches")).to_have_value("2")
    set_field(page, ".tyo-source-psychiatric-care", "42")
    set_field(page, ".tyo-coaches", "3")
    set_field(page, ".tyo-dur-ips-days-to-job", "75")
    set_field(page, ".tyo-route-young-neet-ips", "30")  # routing: 20 % -> 30 % to IPS ...
    set_field(page, ".tyo-route-young-neet-other", "10")  # ... and 20 % -> 10 % to 'other'
    expect(field(page, ".tyo-referrals")).to_have_value("182")  # 110 + 30 + 42
    page.wait_for_function("""() => {
        const a = document.querySelector('#tyo-dl-scenario-yaml');
        const text = a ? atob(a.href.split(',')[1]) : '';
        return text.includes('psychiatric_care: 42') && text.includes('coaches: 3')
            && text.includes('days_to_job: {dist: lognormal, mean: 75')
            && text.includes('young_neet: {ips: 0.3, stepwise: 0.3, vocational: 0.05, '
                             + 'education: 0.25, pension: 0.0, other: 0.1}');
    }""")
    with page.expect_download() as download:
        page.click("#tyo-dl-scenario-yaml")
    assert download.value.suggested_filename == "pohjois-savo-pilot.yaml"
    data = Path(download.value.path()).read_bytes()
    saved = sim.scenario_from_text(data.decode("utf-8"), origin="download")
    assert {s.name: s.per_year for s in saved.arrivals.sources}["psychiatric_care"] == 42
    assert (saved.ips.coaches, saved.ips.days_to_job.mean) == (3, 75)
    assert saved.route_for("young_neet").share("ips") == 0.3
    assert saved.route_for("mental_health") == sim.preset("pohjois-savo-pilot").route_for(
        "mental_health")
    assert "# " in data.decode("utf-8").splitlines()[0]  # the file explains itself

    page.click("button.tyo-reset")  # forget the edits, then read them back from the file
    expect(field(page, ".tyo-coaches")).to_have_value("2")
    with page.expect_file_chooser() as chooser:
        page.click(".tyo-upload")
    chooser.value.set_files(files=[{"name": "county.yaml", "mimeType": "text/yaml",
                                    "buffer": data}])
    expect(page.locator(".tyo-status")).to_contain_text("Loaded pohjois-savo-pilot")
    expect(page.locator(".tyo-error")).to_be_hidden()
    expect(field(page, ".tyo-coaches")).to_have_value("3")
    expect(field(page, ".tyo-source-psychiatric-care")).to_have_value("42")
    expect(field(page, ".tyo-dur-ips-days-to-job")).to_have_value("75")
    expect(field(page, ".tyo-route-young-neet-ips")).to_have_value("30")
    expect(field(page, ".tyo-referrals")).to_have_value("182")
    expect(page.locator("#tyo-dl-template-yaml")).to_have_attribute(
        "download", "scenario-template.yaml")
    page.locator(".tyo-section-parameters").screenshot(
        path=str(ARTIFACTS / "voila_app_county_numbers.png"))


ACCESSIBLE_NAME = """el => {
    const own = el.getAttribute('aria-label') || '';
    const labelled = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
        .map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
    const labels = el.labels ? [...el.labels].map(l => l.textContent).join(' ') : '';
    const text = ['BUTTON', 'A'].includes(el.tagName) ? el.textContent : '';
    return (own || labelled || labels || text || el.getAttribute('title') || '').trim();
}"""


def test_app_every_visible_control_has_an_accessible_name_and_plots_have_alt_text(app_page):
    page = app_page
    if not page.locator(".tyo-figure img:visible").count():
        run_preset(page, "pohjois-savo-pilot")
    expect(page.locator(".tyo-figure img:visible").first).to_have_attribute("alt", re.compile(".{20}"))
    controls = page.locator(".tyo-app input:visible, .tyo-app select:visible, "
                            ".tyo-app [role=slider]:visible, .tyo-app button:visible, "
                            ".tyo-app a.tyo-download:visible")
    names = [controls.nth(i).evaluate(ACCESSIBLE_NAME) for i in range(controls.count())]
    assert len(names) >= 30
    assert all(names), f"controls without an accessible name: {names.count('')} of {len(names)}"
    slider = page.locator(".tyo-caseload [role=slider]").first
    expect(slider).to_have_attribute("aria-label", "Caseload cap per coach")
    coaches = field(page, ".tyo-coaches")
    help_id = coaches.get_attribute("aria-describedby")
    assert help_id and "coaches" in page.locator(f"#{help_id}").inner_text()
    images = page.locator(".tyo-figure img:visible")
    assert images.count() >= 3
    for i in range(images.count()):
        alt = images.nth(i).get_attribute("alt") or ""
        caption = images.nth(i).locator("xpath=ancestor::div[contains(@class,'tyo-figure')][1]"
                                        "//p[contains(@class,'tyo-alt-text')]")
        assert len(alt) > 20 and caption.get_attribute("data-alt") == alt
    coaches.focus()
    ring = coaches.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert ring == ["solid", "3px"], f"no visible focus ring: {ring}"
    link = page.locator("#tyo-dl-scenario-yaml")
    assert link.evaluate("el => getComputedStyle(el).borderStyle") == "solid"  # a button


def test_app_page_declares_its_language_and_follows_the_switch(app_page):
    page = app_page
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    page.locator(".tyo-lang button", has_text="Suomi").click()
    expect(html).to_have_attribute("lang", "fi")
    expect(field(page, ".tyo-coaches")).to_have_attribute("aria-label", "Työhönvalmentajat (htv)")
    alt = page.locator(".tyo-figure img:visible").first
    if alt.count():
        expect(alt).to_have_attribute("alt", re.compile("^Pylväskaavio"))
    page.locator(".tyo-lang button", has_text="English").click()
    expect(html).to_have_attribute("lang", "en")


# --- (c) the app: the decision brief, fit from a county's data ----------------------------

def test_app_decision_brief_downloads_as_pdf_and_html(app_page):
    page = app_page
    if not page.locator("#tyo-dl-summary-csv").count():
        run_preset(page, "pohjois-savo-pilot")
    page.click("button.tyo-brief")
    expect(page.locator("#tyo-dl-brief-pdf")).to_be_visible()
    with page.expect_download() as download:
        page.click("#tyo-dl-brief-pdf")
    assert download.value.suggested_filename == "brief-en.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as download:
        page.click("#tyo-dl-brief-html")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "brief-en.html"
    assert '<html lang="en">' in text and "95 % confidence intervals" in text
    page.locator(".tyo-section-brief").screenshot(path=str(ARTIFACTS / "voila_app_brief.png"))


def test_app_fits_referrals_from_an_uploaded_csv_into_the_inputs(app_page):
    page = app_page
    select_preset(page, "pohjois-savo-pilot")
    page.click("button.tyo-reset")
    expect(field(page, ".tyo-source-social-services")).to_have_value("110")
    with page.expect_file_chooser() as chooser:
        page.click(".tyo-fit-referrals")
    chooser.value.set_files(str(REPO / "sim/data/examples/referrals-fictional.csv"))
    expect(field(page, ".tyo-source-social-services")).to_have_value("165.8")  # matched by name
    expect(field(page, ".tyo-source-sote-centre")).to_have_value("250.7")  # a new source
    expect(page.locator(".tyo-fit-report")).to_contain_text("month effects are used")
    expect(page.locator(".tyo-fit-plot")).to_be_visible()
    expect(page.locator(".tyo-fit-error")).to_be_hidden()
    page.locator(".tyo-group-fit").screenshot(path=str(ARTIFACTS / "voila_app_fit.png"))
    page.click("button.tyo-reset")  # the next tests start from the preset again
    expect(field(page, ".tyo-source-social-services")).to_have_value("110")


CLIPPED = """() => [...document.querySelectorAll(
        '.tyo-app .widget-label, .tyo-app .widget-readout, .tyo-app button')]
    .filter(el => el.offsetParent !== null && el.textContent.trim())
    .map(el => [el.textContent.trim(), el.scrollWidth, el.clientWidth])"""


def test_app_no_label_is_clipped_in_finnish(app_page):
    """Every visible label, slider readout and button shows its whole text in Finnish (the
    longer language): its content is no wider than its box. Routing shares are named by
    their profile for screen readers."""
    page = app_page
    page.locator(".tyo-lang button", has_text="Suomi").click()
    expect(page.locator("button.tyo-run")).to_have_text("Aja")
    expect(page.locator(".tyo-route-head").first).to_contain_text("ohjauksista")
    expect(field(page, ".tyo-route-young-neet-ips")).to_have_attribute("aria-label", re.compile(
        r"^Nuoret työn ja koulutuksen ulkopuolella \(.*\): IPS-työhönvalmennus \(%\)$"))
    shown = page.evaluate(CLIPPED)
    assert len(shown) >= 40  # the labels of every group, the sliders' readouts, the buttons
    clipped = [f"{text!r}: {wide} px in {box} px" for text, wide, box in shown if wide > box + 1]
    page.locator(".tyo-section-parameters").screenshot(
        path=str(ARTIFACTS / "voila_app_finnish_labels.png"))
    page.locator(".tyo-lang button", has_text="English").click()
    expect(page.locator("button.tyo-run")).to_have_text("Run")
    assert not clipped, "clipped in Finnish: " + "; ".join(clipped)
