"""Helpers for the real-browser tests: servers started and stopped by process id, readiness
polling, and Debian's chromium driven by Python Playwright (never ``playwright install``).

Servers bind 127.0.0.1 with a token, use temporary Jupyter config/data/runtime/settings
directories, and run in their own process group so that a stop can check that nothing
(server or kernel) is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
VENV_BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--disable-dev-shm-usage"]
INSTALL_HINT = "apt-get update && apt-get install -y chromium"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def chromium_path() -> str | None:
    """Debian's chromium (or $CHROMIUM), if installed."""
    candidate = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).is_file() and os.access(candidate, os.X_OK) else None


def require_chromium() -> str:
    """The chromium path; fails in CI and skips locally (with the reason) when it is absent."""
    path = chromium_path()
    if path is None:
        message = f"chromium is not installed (install it with: {INSTALL_HINT})"
        if in_ci():
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:  # pragma: no cover - playwright is in the test extra
        if in_ci():
            pytest.fail("CI=true but the playwright package is missing", pytrace=False)
        pytest.skip("the playwright package is not installed")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``check`` until it is true (readiness polling, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass
class Server:
    """A server subprocess in its own process group, with its log file."""

    name: str
    base_url: str
    token: str
    process: subprocess.Popen
    log_path: Path
    home: Path
    extra: dict = field(default_factory=dict)

    def url(self, path: str = "/", **query: str) -> str:
        params = "&".join(f"{k}={v}" for k, v in {**query, "token": self.token}.items())
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}{params}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, ready_url: str, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   f"{self.log()[-3000:]}")
            return http_ok(ready_url)
        wait_until(ready, timeout, f"{self.name} at {ready_url}")

    def stop(self) -> None:
        """Terminate by process id, then the process group; assert nothing is left."""
        pid = self.process.pid
        terminate(self.process, 15)
        # kernels started by the server live in the server's process group (pgid = pid)
        leftovers = _group_alive(pid)
        if leftovers:
            try:
                os.killpg(pid, signal.SIGTERM)
                wait_until(lambda: not _group_alive(pid), 10, f"{self.name} kernels to exit")
            except (ProcessLookupError, TimeoutError):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        assert self.process.poll() is not None, f"{self.name} (pid {pid}) still running"
        assert not _group_alive(pid), f"{self.name}: processes left in group {pid}"


def terminate(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to *process* by its pid and wait up to *timeout* seconds; then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    # zombies still count for killpg(…, 0); look for live members only
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            return True
    return False


def jupyter_env(home: Path) -> dict[str, str]:
    """Temporary Jupyter dirs, and the venv first on PATH (nbgrader runs alembic, P1)."""
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")):
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("JUPYTER_TOKEN", None)
    return env


def _start(name: str, command: list[str], env: dict[str, str], cwd: Path, home: Path,
           base_url: str, token: str) -> Server:
    log_path = home / f"{name}.log"
    log = log_path.open("w")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    return Server(name, base_url, token, process, log_path, home)


def copy_course(course_dir: Path, dest: Path) -> Path:
    """A scratch copy of the nbgrader course (config + ``source/``) with an exchange folder.

    The formgrader writes ``gradebook.db`` next to the course config and the assignment list
    needs a writable exchange; on a copy inside the server root neither touches the real
    ``assignments/`` folder.
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy2(course_dir / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(course_dir / "source", dest / "source")
    (dest / "exchange").mkdir()
    return dest


def start_lab(home: Path, root_dir: Path, course_dir: Path | None) -> Server:
    """JupyterLab on 127.0.0.1 with a token; nbgrader pointed at ``course_dir``.

    The server's cwd is the course directory, so nbgrader loads its ``nbgrader_config.py``
    (as a trainer would by starting Jupyter there); a config in the temporary
    JUPYTER_CONFIG_DIR also sets the course root in case that file does not.
    Autosave is off so that running a course notebook never writes it back.
    """
    env = jupyter_env(home)
    token = secrets.token_hex(16)
    port = free_port()
    config = Path(env["JUPYTER_CONFIG_DIR"])
    if course_dir is not None:
        (config / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.CourseDirectory.root = {str(course_dir)!r}\n"
            f"c.Exchange.root = {str(course_dir / 'exchange')!r}\n")
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    for plugin, values in {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                         "checkForUpdates": False},
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    command = [str(VENV_BIN / "jupyter-lab"), "--no-browser", "--allow-root", "--ip=127.0.0.1",
               f"--port={port}", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root_dir}",
               "--ServerApp.port_retries=0", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    cwd = course_dir if course_dir is not None else root_dir
    server = _start("jupyterlab", command, env, cwd, home, f"http://127.0.0.1:{port}", token)
    server.extra["course_dir"] = course_dir
    server.wait_ready(f"{server.base_url}/api/status?token={token}", timeout=90)
    return server


def start_voila(home: Path, notebook: Path) -> Server:
    """Voilà serving one notebook on 127.0.0.1 with a token (the ``make app`` command + token)."""
    env = jupyter_env(home)
    token = secrets.token_hex(16)
    port = free_port()
    command = [str(VENV_BIN / "voila"), str(notebook.relative_to(REPO)), "--no-browser",
               f"--port={port}", "--Voila.ip=127.0.0.1", f"--token={token}",
               f"--Voila.config_file_paths={notebook.parent.relative_to(REPO)}"]
    server = _start("voila", command, env, REPO, home, f"http://127.0.0.1:{port}", token)
    server.wait_ready(f"{server.base_url}/voila/static/voila.js", timeout=60)
    return server


#: Name resolution fails for every host but 127.0.0.1, so the pages must work offline.
OFFLINE_FLAG = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def launch_chromium(playwright, executable: str):
    """Headless Debian chromium that can reach 127.0.0.1 only."""
    return playwright.chromium.launch(executable_path=executable, headless=True,
                                      args=[*CHROMIUM_FLAGS, OFFLINE_FLAG])


def record_offline_requests(context, base_url: str, seen: list[str]) -> None:
    """Collect requests that tried to leave ``base_url`` (they fail: see OFFLINE_FLAG).

    Done with events rather than ``context.route``: a Python route handler only runs while
    the test calls into Playwright, so a plain polling loop would stall the page.
    """
    def note(request) -> None:
        if not request.url.startswith((base_url, "data:", "blob:")):
            seen.append(request.url)
    context.on("request", note)


def screenshot(page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# --- JupyterLab pages -------------------------------------------------------------------------

def menu(page, top: str, item: str | re.Pattern) -> None:
    """Click a JupyterLab menu item: *item* is its whole label, or a pattern for it."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).first.click()
    label = item if isinstance(item, re.Pattern) else re.compile(f"^{re.escape(item)}$")
    page.locator(".lm-Menu-itemLabel", has_text=label).first.click()


def wait_kernel_connected(server: Server, path: str, timeout: float = 90) -> None:
    """The notebook's kernel is started, idle and connected to the page (server's view)."""
    def ready() -> bool:
        url = f"{server.base_url}/api/sessions?token={server.token}"
        with urllib.request.urlopen(url, timeout=5) as response:
            sessions = json.load(response)
        return any(s.get("path") == path and s["kernel"]["execution_state"] == "idle"
                   and s["kernel"].get("connections", 0) >= 1 for s in sessions)
    wait_until(ready, timeout, f"the kernel of {path}")


def wait_kernel_idle(page, timeout_ms: float = 60_000) -> None:
    """Idle kernel and no cell still queued or running ([*])."""
    page.wait_for_function(
        """() => {
            const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const busy = [...document.querySelectorAll('.jp-InputArea-prompt')]
                .some(p => p.textContent.includes('*'));
            return ind && ind.getAttribute('data-status') === 'idle' && !busy;
        }""", timeout=timeout_ms)


def run_all_cells(page) -> None:
    """Run → Run All Cells; once more if no code cell started (kernel not yet wired)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    started = r"""() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                     .some(p => /\[(\d+|\*)\]/.test(p.textContent))"""
    for attempt in range(2):
        menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_function(started, timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt:
                raise


# --- processes --------------------------------------------------------------------------------

def processes_with(mark: str) -> list[str]:
    """``"pid: command line"`` of every process (other than this one) whose command line holds
    *mark*: what a test left running."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if mark in cmdline and int(pid) != os.getpid():
            found.append(f"{pid}: {cmdline}")
    return found
