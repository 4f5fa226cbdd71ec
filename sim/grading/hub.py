"""A cohort on one server: the JupyterHub pieces that ``assignments/hub/jupyterhub_config.py`` uses.

Every learner (and the trainers' formgrader service) runs as a unix account of their own, in a
bubblewrap view of the machine that holds only what they need:

* the system and the course's Python read-only (the Python may live under a folder other
  accounts cannot enter, such as root's pyenv: the view binds it, the account never gets the
  folder around it), the ``sim`` package read-only;
* their own home read-write, and nbgrader's shared exchange; nobody else's home is in the view at
  all, and homes are ``0700`` as well, so learners cannot read each other's files;
* the host's network (the hub's proxy must reach the server on 127.0.0.1), their own process,
  IPC and host-name namespaces and a private ``/tmp``.

The view is set up by root (the hub), then ``setpriv`` inside it becomes the account with no
capabilities left and ``no_new_privs``; autograding inside the formgrader's view starts its own
unprivileged sandbox (:mod:`sim.grading.sandbox`, user namespaces).

Memory and CPU limits of a learner's server (``Spawner.mem_limit``, ``Spawner.cpu_limit``) are
enforced by a cgroup per learner (cgroup v1 ``memory``/``cpu`` controllers or cgroup v2), which
holds the server, its kernels and terminals together; where no cgroup can be made the server
refuses to start unless ``CourseSpawner.allow_rlimit_only`` is set, and then each process only
gets an address-space limit (``prlimit --as``), which is weaker (say so to the trainer).
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import ToggleAuthorizationHandler, admin_users_scope
from nativeauthenticator.orm import UserInfo
from tornado import web
from traitlets import Bool, List, Unicode

from .sandbox import binds, chown_tree, python_roots

__all__ = ["CourseAuthenticator", "CourseSpawner", "ensure_account", "remove_account", "view_command",
           "copy_course", "prepare_course_root", "prepare_exchange", "copy_settings", "cgroup_dirs",
           "start_service", "HubError", "ACCOUNT_NAME"]

#: Hub user names that are also safe unix account names (useradd's own rule, lower case only).
ACCOUNT_NAME = r"^[a-z][a-z0-9-]{1,30}$"

#: Accounts below this uid are the system's (root, daemon, nobody…): never a learner's.
FIRST_UID = 1000
#: The comment (GECOS field) of every account the hub makes; it never uses an account without it.
MARK = "tyokyky-hub"

#: What every view sees read-only, when it exists on this machine.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")

CGROUP_V1 = Path("/sys/fs/cgroup")
CGROUP_V2 = Path("/sys/fs/cgroup/unified")


class HubError(RuntimeError):
    """A learner's server cannot be set up; the message says why and what to do."""


def ensure_account(name: str, *, group: str | None = None) -> pwd.struct_passwd:
    """The unix account *name*, made (``useradd -m``, home ``0700``) when it does not exist yet."""
    if not re.match(ACCOUNT_NAME, name):
        raise HubError(f"user name {name!r} is not a safe unix account name: use 2-31 characters "
                       "a-z, 0-9 and '-', starting with a letter")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        command = ["useradd", "--create-home", "--shell", "/bin/bash", "--user-group",
                   "--comment", MARK, name]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise HubError(f"could not create the unix account {name!r} ({' '.join(command)}): "
                           f"{done.stderr.strip()}; the hub must run as root") from None
        entry = pwd.getpwnam(name)
    if entry.pw_uid < FIRST_UID or MARK not in entry.pw_gecos:
        raise HubError(f"{name!r} is a unix account the hub did not make (uid {entry.pw_uid}); a "
                       "hub user never runs as someone else's account: discard this sign-up at "
                       "/hub/authorize")
    os.chmod(entry.pw_dir, 0o700)
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            subprocess.run(["groupadd", group], check=True, capture_output=True)
        subprocess.run(["usermod", "--append", "--groups", group, name], check=True,
                       capture_output=True)
    return entry


def remove_account(name: str) -> None:
    """Remove the unix account *name* and its home (``userdel --remove``), when it exists."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def copy_course(course: Path, home: Path, languages: list[str], uid: int, gid: int) -> list[Path]:
    """Copy the course notebooks of *languages* to ``<home>/course/<language>/`` (the account's
    own files). A folder that is already there is left as it is: the learner's work is theirs."""
    made = []
    for language in languages:
        source = course / language
        if not source.is_dir():
            raise HubError(f"CourseSpawner.languages lists {language!r}, but {source} does not "
                           f"exist; use languages from: "
                           f"{', '.join(sorted(p.name for p in course.iterdir() if p.is_dir()))}")
        target = home / "course" / language
        if target.exists():
            continue
        target.parent.mkdir(mode=0o755, exist_ok=True)
        os.chown(target.parent, uid, gid)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints",
                                                                       "__pycache__"))
        chown_tree(target, uid, gid)
        made.append(target)
    return made


def copy_settings(settings: Path, home: Path, uid: int, gid: int) -> list[Path]:
    """Copy JupyterLab settings files from *settings* to ``<home>/.jupyter/lab/user-settings/``,
    each only when the learner has no such file yet (a setting they changed stays theirs)."""
    made = []
    target_root = home / ".jupyter" / "lab" / "user-settings"
    for source in sorted(settings.rglob("*.jupyterlab-settings")):
        target = target_root / source.relative_to(settings)
        if target.exists():
            continue
        folder = home
        for part in target.relative_to(home).parts[:-1]:
            folder = folder / part
            if not folder.exists():
                folder.mkdir()
                os.chown(folder, uid, gid)
        shutil.copyfile(source, target)
        os.chown(target, uid, gid)
        made.append(target)
    return made


def prepare_exchange(root: Path) -> Path:
    """nbgrader's shared exchange: everyone may create files, only their owner may remove them
    (``1777``, as ``/tmp``); nbgrader gives inbound and outbound their own modes on release."""
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o1777)
    return root


def prepare_course_root(assignments: Path, account: str, exchange: Path) -> Path:
    """The formgrader's course root, ``<grader home>/course``: the course's config, sources and
    tools copied once from *assignments* and owned by the grader account, with ``exchange``
    linked to the shared exchange. Files already there (the gradebook, grades) are kept."""
    entry = pwd.getpwnam(account)
    root = Path(entry.pw_dir) / "course"
    root.mkdir(mode=0o700, exist_ok=True)
    for name in ("nbgrader_config.py", "tools.py", "references.py", "RUBRICS.md"):
        if not (root / name).exists() and (assignments / name).exists():
            shutil.copy2(assignments / name, root / name)
    if not (root / "source").exists():
        shutil.copytree(assignments / "source", root / "source",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    link = root / "exchange"
    if not link.is_symlink() and not link.exists():
        link.symlink_to(exchange)
    chown_tree(root, entry.pw_uid, entry.pw_gid)
    return root


def view_command(cmd: list[str], *, account: str, writable: list[Path], readable: list[Path] = (),
                 workdir: Path | None = None, sandboxes: bool = False) -> list[str]:
    """*cmd* run as *account* in a bubblewrap view (see the module docstring): the system, the
    Python and *readable* read-only, *writable* (the home first) read-write, a private /tmp.
    Must be called as root, which sets the view up; ``setpriv`` then becomes the account.

    ``sandboxes``: *cmd* starts unprivileged sandboxes of its own (the formgrader's autograde).
    Such a sandbox mounts a ``/proc`` for its own PID namespace, which the kernel allows only
    where a ``/proc`` is already fully visible; the ``/proc`` that bubblewrap mounts as root has
    read-only covers on ``sys``, ``irq``, ``bus`` and ``sysrq-trigger``, so nested it fails with
    "Can't mount proc: Operation not permitted" (measured). Such a view therefore binds the
    host's ``/proc`` (the account still reads only its own processes' details); it keeps its own
    PID namespace, so the whole view still ends with the hub. Learners' code runs in the inner
    sandbox, which has its own PID namespace and ``/proc``."""
    bwrap, setpriv = shutil.which("bwrap"), shutil.which("setpriv")
    if not bwrap or not setpriv:
        raise HubError("bubblewrap (bwrap) and setpriv are needed for learners' servers; install "
                       "them with: apt-get install bubblewrap util-linux (make hub does this)")
    entry = pwd.getpwnam(account)
    wrapped = [bwrap, "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-add",
               "CAP_SETUID", "--cap-add", "CAP_SETGID",
               *(["--bind", "/proc", "/proc"] if sandboxes else ["--proc", "/proc"]),
               "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    wrapped += binds(SYSTEM, [*python_roots(), *map(Path, readable)], writable)
    wrapped += ["--chdir", str(workdir or writable[0]), "--", setpriv, f"--reuid={entry.pw_uid}",
                f"--regid={entry.pw_gid}", "--init-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--"]
    return wrapped + list(cmd)


def cgroup_dirs(name: str) -> list[Path]:
    """The cgroup folders of learner *name* under ``tyokyky-hub/`` (v1: memory and cpu; else v2)."""
    if (CGROUP_V1 / "memory" / "cgroup.procs").exists():
        return [CGROUP_V1 / "memory" / "tyokyky-hub" / name, CGROUP_V1 / "cpu" / "tyokyky-hub" / name]
    if (CGROUP_V2 / "cgroup.procs").exists() or (Path("/sys/fs/cgroup") / "cgroup.controllers").exists():
        base = CGROUP_V2 if CGROUP_V2.exists() else Path("/sys/fs/cgroup")
        return [base / "tyokyky-hub" / name]
    return []


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def limit_cgroups(name: str, mem_limit: int | None, cpu_limit: float | None) -> list[Path]:
    """Make learner *name*'s cgroups with these limits; [] when none can be made here."""
    dirs = cgroup_dirs(name)
    try:
        for folder in dirs:
            folder.mkdir(parents=True, exist_ok=True)
            if (folder / "memory.limit_in_bytes").exists():  # v1
                _write(folder / "memory.limit_in_bytes", str(mem_limit or -1))
                if (folder / "memory.memsw.limit_in_bytes").exists() and mem_limit:
                    _write(folder / "memory.memsw.limit_in_bytes", str(mem_limit))
            if (folder / "cpu.cfs_quota_us").exists():  # v1
                period = int((folder / "cpu.cfs_period_us").read_text())
                _write(folder / "cpu.cfs_quota_us", str(int(cpu_limit * period) if cpu_limit else -1))
            if (folder / "memory.max").exists():  # v2
                _write(folder / "memory.max", str(mem_limit) if mem_limit else "max")
            if (folder / "cpu.max").exists():
                _write(folder / "cpu.max", f"{int(cpu_limit * 100000)} 100000" if cpu_limit else "max")
    except OSError:
        return []
    if dirs and mem_limit and not any((d / f).exists() for d in dirs
                                      for f in ("memory.limit_in_bytes", "memory.max")):
        return []  # a v2 tree without the memory controller delegated limits nothing
    return dirs


def release_cgroups(name: str) -> None:
    """Remove learner *name*'s cgroups (only possible once their processes have ended)."""
    for folder in cgroup_dirs(name):
        with contextlib.suppress(OSError):
            folder.rmdir()


class ApproveHandler(ToggleAuthorizationHandler):
    """``/hub/authorize/NAME``: NativeAuthenticator's approval toggle, which also makes the
    learner's unix account when the sign-up is approved. When the account cannot be made (a name
    of a system account, or not a safe account name) the approval is undone and the trainer sees
    why; the sign-up stays on the page to be discarded."""

    @admin_users_scope
    async def get(self, slug: str) -> None:
        info = UserInfo.change_authorization(self.db, slug)
        if info is not None and info.is_authorized:
            try:
                ensure_account(slug)
            except HubError as exc:
                UserInfo.change_authorization(self.db, slug)
                raise web.HTTPError(400, str(exc)) from None
        self.redirect(self.hub.base_url + "authorize#" + slug)


class CourseAuthenticator(NativeAuthenticator):
    """NativeAuthenticator (sign-up, then a trainer approves at ``/hub/authorize``) whose
    approval makes the learner's unix account at once (:class:`ApproveHandler`)."""

    def get_handlers(self, app: Any) -> list[tuple[str, Any]]:
        return [(path, ApproveHandler if handler is ToggleAuthorizationHandler else handler)
                for path, handler in super().get_handlers(app)]


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner, with each server in a view of its own (see the module docstring):
    the unix account is made when a trainer approves the sign-up (:class:`CourseAuthenticator`;
    again here for trainers, who are approved at sign-up), the course copied into its home."""

    course_dir = Unicode("", help="the folder with the course's language folders (en/, fi/)"
                         ).tag(config=True)
    languages = List(Unicode(), ["en", "fi"], help="the course languages copied into each home; "
                     "the learner picks one by opening its folder").tag(config=True)
    exchange_root = Unicode("", help="nbgrader's shared exchange, bound read-write").tag(config=True)
    jupyter_config = Unicode("", help="a folder put first on JUPYTER_CONFIG_PATH (the learners' "
                             "nbgrader and extension settings); its user-settings/ are copied into "
                             "each home's JupyterLab settings when absent").tag(config=True)
    allow_rlimit_only = Bool(False, help="start servers even where no cgroup can be made; then "
                             "mem_limit only caps each process's address space").tag(config=True)

    def make_preexec_fn(self, name: str):
        """Join the learner's cgroups (as root, before exec); the view changes the user later."""
        dirs = list(self._cgroups)

        def preexec() -> None:
            for folder in dirs:
                (folder / "cgroup.procs").write_text(str(os.getpid()))
        return preexec

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env = super().user_env(env)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
        if self.jupyter_config:
            env["JUPYTER_CONFIG_PATH"] = self.jupyter_config
        env.pop("TYOKYKY_PROGRESS_DIR", None)  # each learner's progress stays in their own home
        return env

    async def start(self) -> Any:
        name = self.user.name
        entry = ensure_account(name)
        home = Path(entry.pw_dir)
        if self.course_dir:
            copy_course(Path(self.course_dir), home, list(self.languages), entry.pw_uid, entry.pw_gid)
        if self.jupyter_config and (Path(self.jupyter_config) / "user-settings").is_dir():
            copy_settings(Path(self.jupyter_config) / "user-settings", home, entry.pw_uid, entry.pw_gid)
        self._cgroups = limit_cgroups(name, self.mem_limit, self.cpu_limit)
        base = [shutil.which("jupyterhub-singleuser") or str(Path(sys.executable).parent /
                                                              "jupyterhub-singleuser")]
        if not self._cgroups and (self.mem_limit or self.cpu_limit):
            if not self.allow_rlimit_only:
                raise HubError("no cgroup can be made on this machine, so memory and CPU limits "
                               "cannot be enforced; run the hub as root on a machine with "
                               "cgroups, or set c.CourseSpawner.allow_rlimit_only = True")
            base = [shutil.which("prlimit") or "prlimit", f"--as={self.mem_limit}", "--", *base]
        writable = [home] + ([Path(self.exchange_root)] if self.exchange_root else [])
        readable = [Path(self.jupyter_config)] if self.jupyter_config else []
        self.cmd = view_command(base, account=name, writable=writable, readable=readable)
        self.popen_kwargs = {"cwd": str(home)}
        return await super().start()

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        release_cgroups(self.user.name)

    _cgroups: list[Path] = []


def start_service(name: str, cmd: list[str], *, account: str, port: int, hub_api_url: str,
                  token: str, writable: list[Path], workdir: Path, log: Path,
                  readable: list[Path] = ()) -> subprocess.Popen:
    """Start the hub service *name* (the formgrader: ``jupyterhub-singleuser`` as *account*, in
    a view) for the hub that is loading its config in this process, and return the process.

    JupyterHub 5 gives a service it starts itself 10 s to answer and then exits; a JupyterLab
    server in a view takes 10-15 s on a busy 2-core machine (measured). So the hub gets the
    service as an *external* service (its URL, token and OAuth client), and this process starts
    it with the environment the hub would give it. ``bwrap --die-with-parent`` ties its life to
    the hub: when the hub stops, or is killed, the whole view is killed with it.
    """
    prefix = f"/services/{name}/"
    scopes = json.dumps(["access:services", f"access:services!service={name}"])
    env = {"HOME": str(Path(pwd.getpwnam(account).pw_dir)), "USER": account, "SHELL": "/bin/bash",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
           "LANG": os.environ.get("LANG", "C.UTF-8"),
           "JUPYTERHUB_SERVICE_NAME": name, "JUPYTERHUB_API_TOKEN": token,
           "JUPYTERHUB_CLIENT_ID": f"service-{name}", "JUPYTERHUB_HOST": "",
           "JUPYTERHUB_OAUTH_CALLBACK_URL": prefix + "oauth_callback",
           "JUPYTERHUB_OAUTH_SCOPES": scopes, "JUPYTERHUB_OAUTH_ACCESS_SCOPES": scopes,
           "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES": "[]", "JUPYTERHUB_USER": account,
           "JUPYTERHUB_SERVER_NAME": "", "JUPYTERHUB_API_URL": hub_api_url,
           "JUPYTERHUB_BASE_URL": "/", "JUPYTERHUB_SERVICE_PREFIX": prefix,
           "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}{prefix}",
           "JUPYTERHUB_DEFAULT_URL": "/lab", "JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "0"}
    command = view_command(cmd, account=account, writable=writable, readable=readable,
                           workdir=workdir, sandboxes=True)
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
