"""A cohort on one server: the real JupyterHub of ``assignments/hub/jupyterhub_config.py``,
driven with Debian's chromium (Playwright), started on 127.0.0.1 and stopped by its pid.

One trainer and two learners: the learners sign up, the trainer approves them, each learner
logs in, runs a widget of module 4, fetches ``fidelity_review`` in the Assignment List, answers
it (Anna well, Ben not at all) and submits; the trainer collects, autogrades (in nbgrader's
sandbox, inside the formgrader's view) and releases feedback in the formgrader; each learner
fetches and opens their own feedback; from Anna's own kernel, Ben's and the grader's files
cannot be read. Unix accounts get a unique prefix and are removed with their homes afterwards.

Needs root (it makes unix accounts), bubblewrap, configurable-http-proxy in .hub/ and the hub
extra (``make hub-install``); otherwise it fails under CI=true and skips elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from browser_support import (
    ARTIFACTS,
    REPO,
    VENV_BIN,
    free_port,
    http_ok,
    in_ci,
    menu,
    processes_with,
    run_all_cells,
    screenshot,
    terminate,
    wait_kernel_idle,
    wait_until,
)

CONFIG = REPO / "assignments/hub/jupyterhub_config.py"
PROXY = REPO / ".hub/node_modules/.bin/configurable-http-proxy"
ASSIGNMENT = "fidelity_review"
MODULE_4 = "course/en/04_supported_employment_ips.ipynb"
PASSWORD = "Cohort-passphrase-2026"
LONG = 240_000  # ms: a learner's first server on a busy 2-core machine

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
    expect.set_options(timeout=LONG)
except ImportError:  # require_chromium() (the browser fixture) reports it
    expect = None


def absent(reason: str) -> None:
    """Something the test needs is missing: a failure in CI, a visible skip locally."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def _uids(names: list[str]) -> set[int]:
    import pwd
    found = set()
    for name in names:
        with contextlib.suppress(KeyError):
            found.add(pwd.getpwnam(name).pw_uid)
    return found


def processes_of(uids: set[int]) -> list[str]:
    """``"pid: command line"`` of every live process running as one of *uids*."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        state = re.search(r"^State:\s+(\S)", status, re.M).group(1)
        if uid in uids and state != "Z":
            found.append(f"{pid}: {cmdline}")
    return found


class Hub:
    def __init__(self, state: Path, prefix: str) -> None:
        self.state = state
        self.prefix = prefix
        self.trainer, self.grader = f"{prefix}-trainer", f"{prefix}-grader"
        self.anna, self.ben = f"{prefix}-anna", f"{prefix}-ben"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def accounts(self) -> list[str]:
        return [self.trainer, self.grader, self.anna, self.ben]

    def log(self) -> str:
        path = self.state / "hub.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("TYOKYKY_PROGRESS_DIR", None)
        env.update({"TYOKYKY_HUB_DIR": str(self.state), "TYOKYKY_HUB_PORT": str(self.port),
                    "TYOKYKY_HUB_API_PORT": str(free_port()),
                    "TYOKYKY_HUB_PROXY_API_PORT": str(free_port()),
                    "TYOKYKY_HUB_SERVICE_PORT": str(free_port()),
                    "TYOKYKY_HUB_TRAINERS": self.trainer, "TYOKYKY_HUB_GRADER": self.grader,
                    "TYOKYKY_HUB_LANGUAGES": "en", "TYOKYKY_HUB_MEM_LIMIT": "1G",
                    "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"})
        with open(self.state / "hub.log", "wb") as out:
            self.process = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(CONFIG)],
                                            cwd=self.state, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.process.returncode}:\n"
                                   f"{self.log()[-4000:]}")
            return http_ok(f"{self.base}/hub/api")
        wait_until(ready, 120, "JupyterHub", interval=0.5)

    def stop(self) -> None:
        """SIGTERM to the hub's pid: it stops the learners' servers and the proxy; the
        formgrader's view dies with it (bwrap --die-with-parent)."""
        if self.process is not None:
            terminate(self.process, 90)
        proxy_pid = self.state / "proxy.pid"  # a hub that exited early leaves its proxy
        if proxy_pid.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(proxy_pid.read_text()), signal.SIGTERM)

    def stop_and_remove(self) -> list[str]:
        """Stop the hub, remove the accounts with their homes and cgroups; return the processes
        that were still running after the stop (there should be none)."""
        uids = _uids(self.accounts)
        self.stop()

        def left_behind() -> list[str]:
            return (processes_with(str(self.state)) + processes_with(self.prefix)
                    + processes_of(uids))
        with contextlib.suppress(TimeoutError):  # processes still exiting get 30 s
            wait_until(lambda: not left_behind(), 30, "the hub's processes to end", interval=0.5)
        left = left_behind()
        for account in self.accounts:
            subprocess.run(["userdel", "--remove", account], capture_output=True)
            for group in ("memory", "cpu"):
                with contextlib.suppress(OSError):
                    Path(f"/sys/fs/cgroup/{group}/tyokyky-hub/{account}").rmdir()
        return left


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    if os.geteuid() != 0:
        absent("the hub test makes unix accounts and must run as root")
    missing = [tool for tool in ("useradd", "userdel", "bwrap", "setpriv") if not shutil.which(tool)]
    if missing:
        absent(f"{', '.join(missing)} not found (apt-get install bubblewrap util-linux passwd)")
    if not PROXY.exists():
        absent(f"configurable-http-proxy is not installed in {PROXY.parent} (run: make hub-install)")
    try:
        import jupyterhub  # noqa: F401
        import jupyterhub_idle_culler  # noqa: F401
        import nativeauthenticator  # noqa: F401
    except ImportError as e:
        absent(f"the hub extra is not installed ({e}; run: make hub-install)")
    state = tmp_path_factory.mktemp("hub")
    os.chmod(state, 0o755)  # (the views bind it; the folders above it need no rights)
    hub = Hub(state, "ht" + secrets.token_hex(3))
    try:
        hub.start()
        yield hub
    finally:
        left = hub.stop_and_remove()
        assert not left, f"the hub left processes behind: {left}"
        assert not _uids(hub.accounts), "unix accounts were not removed"
        assert not any(Path(f"/home/{a}").exists() for a in hub.accounts), "homes were not removed"


# --- browser steps ------------------------------------------------------------------------

def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(LONG)
    return context, page


def sign_up(browser, hub: Hub, name: str) -> str:
    context, page = new_page(browser)
    try:
        page.goto(f"{hub.base}/hub/signup")
        page.fill("#username_input", name)
        page.fill("#password_input", PASSWORD)
        page.fill("#password_confirmation_input", PASSWORD)
        page.click("#signup_submit")
        return page.locator(".alert").first.inner_text()
    finally:
        context.close()


def log_in(page, hub: Hub, name: str, next_path: str = "") -> None:
    page.goto(f"{hub.base}/hub/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")


def api(page, method: str, path: str, body: dict | None = None):
    """A Jupyter server REST call from the learner's own page (their cookie and XSRF token)."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
            const r = await fetch(path, {method, headers: {'X-XSRFToken': xsrf,
                'Content-Type': 'application/json'}, body: body ? JSON.stringify(body) : undefined});
            return {status: r.status, json: r.status < 300 ? await r.json() : await r.text()};
        }""", [method, path, body])


def answered(release: dict, solutions: bool, text: str) -> dict:
    """The released notebook with every answer cell filled: the source's solutions, or none."""
    source = nbformat.read(REPO / f"assignments/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", as_version=4)
    solved = {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        ln for ln in c.source.split("\n") if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln)
        for c in source.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution"):
            continue
        if cell["cell_type"] == "markdown":
            cell["source"] = text
        elif solutions:
            cell["source"] = solved[meta["grade_id"]]
    return nb


def assignment_list(page):
    menu(page, "Nbgrader", "Assignment List")
    panel = page.locator(".lm-DockPanel-widget:visible", has_text="Released assignments")
    expect(panel).to_be_visible()
    return panel


def close_kernel_dialog(page) -> None:
    """Accept JupyterLab's "Select Kernel" dialog if it is up (Python 3 is preselected)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count():
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
        expect(dialog).to_have_count(0)


def wait_kernel_connected(page, user: str, path: str) -> None:
    """The notebook's kernel is started, idle and connected to the page (the server's view)."""
    def ready() -> bool:
        got = api(page, "GET", f"/user/{user}/api/sessions")
        return got["status"] == 200 and any(
            s.get("path") == path and s["kernel"]["execution_state"] == "idle"
            and s["kernel"].get("connections", 0) >= 1 for s in got["json"])
    wait_until(ready, LONG / 1000, f"the kernel of {path}", interval=1)


def run_module_4_widget(page, user: str) -> None:
    # JupyterLab may ask which kernel to use (Python 3 is preselected): accept it whenever
    page.add_locator_handler(page.locator(".jp-Dialog", has_text="Select Kernel"),
                             lambda dialog: dialog.locator(".jp-Dialog-button.jp-mod-accept").click())
    page.goto(f"{page.url.split('/lab')[0]}/lab/tree/{MODULE_4}")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=LONG)
    wait_kernel_connected(page, user, MODULE_4)
    slider = page.locator(".widget-slider, .widget-hslider").first
    for attempt in range(3):
        # a kernel that Lab replaces just after opening drops the queued cells: run them again
        close_kernel_dialog(page)
        run_all_cells(page)
        try:
            slider.wait_for(timeout=LONG // 2)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            wait_kernel_idle(page, LONG)
    wait_kernel_idle(page, LONG)
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    slider.locator(".noUi-handle").first.click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(readout).not_to_have_text(before)
    wait_kernel_idle(page, LONG)


def modal(page, message: str) -> None:
    """The formgrader's answer to a button: its success dialog (else the error's text), closed."""
    dialog = page.locator("#success-modal, #error-modal").first
    expect(dialog).to_be_visible(timeout=600_000)
    assert message in dialog.inner_text(), dialog.inner_text()[:3000]
    dialog.locator("button.close").first.click()
    expect(page.locator("#success-modal, #error-modal")).to_have_count(0)


def run_in_own_kernel(page, code: str) -> str:
    """Run *code* in a new cell at the end of the open notebook (the learner's own kernel)."""
    page.locator(".jp-NotebookPanel:visible .jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new code cell below, selected …
    page.keyboard.press("Enter")  # … and in edit mode
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    output = page.locator(".jp-OutputArea-output", has_text="PROBE").last
    output.wait_for(timeout=LONG)
    wait_kernel_idle(page, LONG)
    return output.inner_text()


def root_with(*tools: str) -> None:
    if os.geteuid() != 0:
        absent("this test makes unix views and cgroups and must run as root")
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        absent(f"{', '.join(missing)} not found (apt-get install bubblewrap util-linux)")


@pytest.mark.hub
def test_a_view_runs_as_the_account_and_sees_no_other_folder(tmp_path):
    """What keeps learners apart, without the hub: the view of sim.grading.hub."""
    root_with("bwrap", "setpriv")
    from sim.grading import hub as hubmod
    home, other = tmp_path / "home", tmp_path / "other"
    home.mkdir()
    other.mkdir()
    (other / "secret.txt").write_text("someone else's")
    os.chown(home, 65534, 65534)
    script = ("import os; open('mine.txt', 'w').write('ok'); "
              f"print(os.getuid(), os.path.exists({str(other / 'secret.txt')!r}), "
              f"os.path.exists({str(REPO / 'assignments')!r}), os.getcwd())")
    done = subprocess.run(hubmod.view_command([sys.executable, "-c", script], account="nobody",
                                              writable=[home]),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["65534", "False", "False", str(home)], done.stdout
    assert (home / "mine.txt").read_text() == "ok"
    assert (home / "mine.txt").stat().st_uid == 65534


def test_a_hub_user_never_runs_as_an_account_the_hub_did_not_make():
    """An approved sign-up named like a system account (or a colleague's login) is refused."""
    from sim.grading import hub as hubmod
    for name in ("daemon", "root"):
        with pytest.raises(hubmod.HubError, match="did not make"):
            hubmod.ensure_account(name)
    with pytest.raises(hubmod.HubError, match="not a safe unix account name"):
        hubmod.ensure_account("../etc")


@pytest.mark.hub
def test_a_learners_cgroup_stops_a_server_that_passes_its_memory_limit():
    """LocalProcessSpawner enforces no mem_limit; the learner's cgroup does (measured here)."""
    root_with()
    from sim.grading import hub as hubmod
    name = "ht" + secrets.token_hex(3) + "-probe"
    dirs = hubmod.limit_cgroups(name, 200 * 1024 ** 2, 0.5)
    if not dirs:
        absent("no cgroup can be made on this machine (the hub would refuse to start servers)")
    try:
        def join() -> None:
            for folder in dirs:
                (folder / "cgroup.procs").write_text(str(os.getpid()))
        small = subprocess.run([sys.executable, "-c", "b = bytearray(50 * 1024 ** 2); print('ok')"],
                               preexec_fn=join, capture_output=True, text=True, timeout=120)
        big = subprocess.run([sys.executable, "-c", "b = bytearray(400 * 1024 ** 2); print('ok')"],
                             preexec_fn=join, capture_output=True, text=True, timeout=120)
        assert small.stdout.strip() == "ok", small.stderr
        assert big.returncode == -signal.SIGKILL and "ok" not in big.stdout, (big.returncode, big.stderr)
    finally:
        hubmod.release_cgroups(name)
    assert not any(folder.exists() for folder in dirs)


@pytest.mark.hub
@pytest.mark.browser
@pytest.mark.slow
def test_cohort_signs_up_studies_submits_and_gets_feedback_on_the_hub(browser, hub):
    start = time.monotonic()
    assert "successful" in sign_up(browser, hub, hub.trainer)  # a trainer is approved at once
    for learner in (hub.anna, hub.ben):
        assert "sent to the admin" in sign_up(browser, hub, learner)

    learners = {}
    trainer_ctx, trainer = new_page(browser)
    try:
        # before approval a learner cannot log in
        ctx, page = new_page(browser)
        log_in(page, hub, hub.anna)
        expect(page.locator("body")).to_contain_text("has not been authorized")
        ctx.close()

        log_in(trainer, hub, hub.trainer, "/hub/authorize")
        trainer.wait_for_url(re.compile(r"/hub/authorize"))
        assert not _uids([hub.anna, hub.ben]), "an account was made before approval"
        for learner in (hub.anna, hub.ben):
            trainer.locator(f"a[href$='/authorize/{learner}']").click()
            row = trainer.locator("tr", has_text=learner)
            expect(row.get_by_role("button", name="Unauthorize")).to_be_visible()
        # approval made each learner's unix account (before either has logged in)
        assert len(_uids([hub.anna, hub.ben])) == 2, "approval made no unix account"
        # a sign-up named like a system account: its approval is refused with the reason, undone
        assert "sent to the admin" in sign_up(browser, hub, "daemon")
        trainer.goto(f"{hub.base}/hub/authorize")
        trainer.locator("a[href$='/authorize/daemon']").click()
        expect(trainer.locator("body")).to_contain_text("a unix account the hub did not make")
        trainer.goto(f"{hub.base}/hub/authorize")
        expect(trainer.locator("tr", has_text="daemon").get_by_role("button", name="Authorize",
                                                                     exact=True)).to_be_visible()

        # both learners log in at once: their servers start side by side, while the trainer
        # generates and releases the assignment in the formgrader
        for learner in (hub.anna, hub.ben):
            ctx, page = new_page(browser)
            log_in(page, hub, learner)
            learners[learner] = (ctx, page)
        trainer.goto(f"{hub.base}/services/tyokyky-course/formgrader/manage_assignments")
        row = trainer.locator("tr", has=trainer.locator(f"td.name[data-order='{ASSIGNMENT}']"))
        for step, message in (("assign", "Successfully created the student version"),
                              ("release", "Successfully released")):
            row.locator(f"td.{step} a").click()
            modal(trainer, message)
        for learner, (_ctx, page) in learners.items():
            page.wait_for_url(re.compile(rf"/user/{learner}/lab"), timeout=LONG)
            page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader", timeout=LONG)
        first_notebook = time.monotonic() - start
        home = {n: Path(f"/home/{n}") for n in learners}
        assert (home[hub.ben] / MODULE_4).exists(), "the course was not copied into the home"

        for learner, (_ctx, page) in learners.items():
            # learners get the Assignment List only: no formgrader, in the menu or the server
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).first.click()
            items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
            page.keyboard.press("Escape")
            assert "Assignment List" in items and "Formgrader" not in items, items
            assert api(page, "GET", f"/user/{learner}/formgrader/api/assignments")["status"] == 404
            run_module_4_widget(page, learner)
            panel = assignment_list(page)
            panel.get_by_role("button", name="Fetch", exact=True).click()
            expect(panel.get_by_role("button", name="Submit", exact=True)).to_be_visible()
            path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
            base = f"/user/{learner}/api/contents/{path}"
            got = api(page, "GET", base)
            assert got["status"] == 200, got
            good = learner == hub.anna
            nb = answered(got["json"]["content"], good,
                          "Raise the caseload limit." if not good else
                          "Recommend: protect time for job development and follow-along support.")
            put = api(page, "PUT", base, {"type": "notebook", "format": "json", "content": nb})
            assert put["status"] in (200, 201), put
            panel.get_by_role("button", name="Submit", exact=True).click()
            expect(panel).to_contain_text("Submitted assignments")
            expect(panel.get_by_role("button", name="Fetch Feedback")).to_be_visible()

        # learner isolation, from each learner's own kernel (module 4's notebook is still open)
        for learner, other in ((hub.anna, hub.ben), (hub.ben, hub.anna)):
            page = learners[learner][1]
            page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="04_supported").click()
            targets = [str(home[other] / MODULE_4), str(home[other] / ASSIGNMENT),
                       f"/home/{hub.grader}/course/gradebook.db", str(home[other])]
            assert all(Path(t).exists() for t in targets[:2] + targets[3:]), "nothing to probe"
            # one line (nothing for the editor to indent): each path tried with the shell tools
            # a learner has; the error message, or READ when it could be read
            probe = run_in_own_kernel(page, (
                "import os, subprocess as sp; print('PROBE', [sp.run(['ls', p] if os.path.isdir(p) "
                "else ['head', '-c1', p], capture_output=True, text=True).stderr.strip() or 'READ' "
                f"for p in {targets!r}], sorted(os.listdir('/home')))"))
            assert "READ" not in probe, f"{learner} could read someone else's files: {probe}"
            assert probe.count("No such file") + probe.count("Permission denied") == len(targets), probe
            assert other not in probe.split("[", 2)[-1], f"{learner} sees {other}'s home: {probe}"

        # the trainer: collect, autograde each learner, generate and release feedback
        trainer.goto(f"{hub.base}/services/tyokyky-course/formgrader/manage_assignments")
        row.locator("td.collect a").click()
        modal(trainer, "Successfully collected")
        trainer.goto(f"{hub.base}/services/tyokyky-course/formgrader/manage_submissions/{ASSIGNMENT}")
        scores = {}
        for learner in (hub.anna, hub.ben):
            sub = trainer.locator("tr", has=trainer.locator("td.student-id", has_text=learner))
            sub.locator("td.autograde a").click()
            modal(trainer, "Successfully autograded")
            expect(sub.locator("td.score")).to_contain_text("/")
            scores[learner] = float(sub.locator("td.score").inner_text().split("/")[0])
        assert scores[hub.anna] >= 11 > scores[hub.ben], scores  # 11 autograded points
        screenshot(trainer, "hub_formgrader_submissions", full_page=False)
        graded = Path(f"/home/{hub.grader}/course/autograded/{hub.anna}/{ASSIGNMENT}")
        assert graded.is_dir() and graded.stat().st_uid == _uids([hub.grader]).pop()
        trainer.goto(f"{hub.base}/services/tyokyky-course/formgrader/manage_assignments")
        for step, message in (("generate-feedback", "Successfully generated feedback"),
                              ("release-feedback", "Successfully released feedback")):
            row.locator(f"td.{step} a").click()
            modal(trainer, message)

        # each learner fetches and opens their own feedback
        for learner, (_ctx, page) in learners.items():
            panel = page.locator(".lm-DockPanel-widget:visible", has_text="Released assignments")
            if not panel.count():
                panel = assignment_list(page)
            panel.get_by_role("button", name="Fetch Feedback").click()
            link = panel.locator("a", has_text="view feedback").first
            expect(link).to_be_visible()
            files = sorted((home[learner] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
            assert files, f"no feedback in {learner}'s home"
            rel = files[-1].relative_to(home[learner]).as_posix()
            page.goto(f"{hub.base}/user/{learner}/files/{rel}")
            expect(page.locator("body")).to_contain_text(
                re.compile(rf"\(Score: {scores[learner]:g}(\.0+)? /"))
            screenshot(page, f"hub_feedback_{'anna' if learner == hub.anna else 'ben'}",
                       full_page=False)
        print(f"hub: sign-up to a learner's first open notebook {first_notebook:.0f} s; "
              f"whole flow {time.monotonic() - start:.0f} s")
    except Exception:
        screenshot(trainer, "hub_trainer_FAILED", full_page=False)
        for learner, (_ctx, page) in learners.items():
            screenshot(page, f"hub_{learner.split('-')[-1]}_FAILED", full_page=False)
        ARTIFACTS.mkdir(exist_ok=True)
        for log in ("hub.log", "formgrader.log"):
            if (hub.state / log).exists():
                shutil.copyfile(hub.state / log, ARTIFACTS / f"hub_FAILED_{log}")
        raise
    finally:
        for ctx, _ in learners.values():
            ctx.close()
        trainer_ctx.close()
