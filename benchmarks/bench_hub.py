"""A cohort on one server: how long until a learner has a notebook open, and how many learners
fit in 24 GB.

    python benchmarks/bench_hub.py [--learners 2]     (make bench runs it; as root)

Starts the real hub of ``assignments/hub/jupyterhub_config.py`` on 127.0.0.1 (as
``tests/test_hub.py`` does, with its helpers), signs up a trainer and N learners in Debian's
chromium, approves them, logs the learners in at once and opens module 4 for each, running all
its cells. It prints the time from starting the hub to the first learner's open notebook (kernel
idle, widgets drawn), and the memory of each learner's server while idle (JupyterLab open, no
kernel) and active (module 4 run): the proportional set size (PSS: shared libraries counted in
shares) of the learner's processes and their cgroup's own count. The estimate of learners in
24 GB divides what is left after the hub, proxy and formgrader by the active PSS, and says how
many fit when each is allowed its whole default limit. Accounts and homes are removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
# the hub test's own helpers: start/stop the hub, sign up, log in, run module 4's widget
from browser_support import chromium_path, launch_chromium  # noqa: E402
from test_hub import Hub, log_in, new_page, run_module_4_widget, sign_up  # noqa: E402

GB = 1024 ** 3
MACHINE = 24 * GB  # the project machine's memory (the brief's 24 GB)


def pss(uid: int) -> int:
    """Bytes of proportional set size of every process running as *uid*."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{pid}").st_uid == uid:
                pids.append(int(pid))
    return pss_of_pids(pids)


def pss_of_pids(pids: list[int]) -> int:
    """Bytes of proportional set size of the processes *pids* (those still running)."""
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        total += int(match.group(1)) * 1024 if match else 0
    return total


def cgroup_bytes(name: str) -> int | None:
    """The learner's cgroup's resident memory (rss + mapped files, v1), or None."""
    stat = Path(f"/sys/fs/cgroup/memory/tyokyky-hub/{name}/memory.stat")
    if not stat.exists():
        return None
    values = dict(line.split() for line in stat.read_text().splitlines())
    return int(values.get("total_rss", 0)) + int(values.get("total_mapped_file", 0))


def mb(n: float | None) -> str:
    return "n/a" if n is None else f"{n / 1024 ** 2:,.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=2)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_hub: needs root (it makes unix accounts); not run")
        return 0
    executable = chromium_path()
    if executable is None:
        print("bench_hub: Debian's chromium is not installed (make chromium); not run")
        return 0
    import pwd

    from playwright.sync_api import sync_playwright
    state = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    os.chmod(state, 0o755)
    hub = Hub(state, "hb" + secrets.token_hex(3))
    learners = [f"{hub.prefix}-l{i}" for i in range(args.learners)]
    hub.anna, hub.ben = learners[0], learners[-1]
    accounts = [hub.trainer, hub.grader, *learners]
    started = time.monotonic()
    rows = []
    try:
        hub.start()
        hub_up = time.monotonic() - started
        with sync_playwright() as p:
            browser = launch_chromium(p, executable)
            sign_up(browser, hub, hub.trainer)
            for name in learners:
                sign_up(browser, hub, name)
            ctx, trainer = new_page(browser)
            log_in(trainer, hub, hub.trainer, "/hub/authorize")
            trainer.wait_for_url(re.compile(r"/hub/authorize"))
            for name in learners:
                trainer.locator(f"a[href$='/authorize/{name}']").click()
                trainer.wait_for_url(re.compile(r"/hub/authorize"))
            ctx.close()
            pages = {}
            for name in learners:
                context, page = new_page(browser)
                log_in(page, hub, name)
                pages[name] = (context, page)
            for name, (_, page) in pages.items():
                page.wait_for_url(re.compile(rf"/user/{name}/lab"))
                page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader")
            time.sleep(5)  # let the servers settle before measuring them idle
            idle = {n: (pss(pwd.getpwnam(n).pw_uid), cgroup_bytes(n)) for n in learners}
            first = None
            for name, (_, page) in pages.items():
                run_module_4_widget(page, name)
                first = first or time.monotonic() - started
            active = {n: (pss(pwd.getpwnam(n).pw_uid), cgroup_bytes(n)) for n in learners}
            overhead = pss_of_pids([hub.process.pid]) + pss(pwd.getpwnam(hub.grader).pw_uid)
            proxy = state / "proxy.pid"
            if proxy.exists():
                overhead += pss_of_pids([int(proxy.read_text())])
            for name in learners:
                rows.append((name, idle[name], active[name]))
            for context, _ in pages.values():
                context.close()
            browser.close()
    finally:
        left = hub.stop_and_remove()
        for account in accounts:  # the learners beyond anna and ben
            os.system(f"userdel --remove {account} >/dev/null 2>&1")
    if left:
        print(f"bench_hub: processes left behind: {left}")
        return 1

    print(f"hub up (API answering)                      {hub_up:6.1f} s")
    print(f"start to a learner's first open notebook    {first:6.1f} s "
          f"({args.learners} learners logging in at once; module 4 run, widgets drawn)")
    print(f"{'learner':<16}{'idle PSS':>12}{'idle cgroup':>14}{'active PSS':>13}{'active cgroup':>15}")
    for name, (i_pss, i_cg), (a_pss, a_cg) in rows:
        print(f"{name:<16}{mb(i_pss):>12}{mb(i_cg):>14}{mb(a_pss):>13}{mb(a_cg):>15}")
    active_pss = max(a for _, _, (a, _) in rows)
    idle_pss = max(i for _, (i, _), _ in rows)
    limit = 1 * GB  # the default TYOKYKY_HUB_MEM_LIMIT
    print(f"hub + proxy + formgrader                    {mb(overhead)}")
    room = MACHINE - overhead - 2 * GB  # 2 GB for the system and the grading sandbox
    print(f"estimate for 24 GB (2 GB kept for the system and autograding):\n"
          f"  every learner active (module 4 run, {mb(active_pss)} each): {room // active_pss} servers\n"
          f"  every learner idle ({mb(idle_pss)} each): {room // idle_pss} servers\n"
          f"  every learner at the default limit (1 GiB each, the safe plan): {room // limit} servers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
