"""A learner's kernel in a bubblewrap sandbox, driven by nbgrader over Unix sockets.

Grading runs learners' code, and that code is untrusted. :class:`SandboxedKernelManager` is
a jupyter_client kernel manager whose kernel command is wrapped in Debian's ``bwrap``:

* its own user, PID, network, IPC and UTS namespaces (``--unshare-all``): no network at all,
  not even the host's 127.0.0.1, and nothing it starts outlives it or sees the grader;
* a read-only view of the system, the Python it runs on and the ``sim`` package; the
  notebook's own working folder is the only writable place, plus a private ``/tmp``;
  ``source/``, ``release/``, the gradebook, other submissions, the rest of the repository
  and the trainer's home are not there at all;
* an unprivileged user with every capability dropped: when the trainer is root (CI and many
  servers are) the sandbox is started as ``nobody`` through ``setpriv`` first;
* resource limits (``prlimit``): CPU seconds, address space, processes, file size and open
  files, each a configurable trait set in ``assignments/nbgrader_config.py``.

The kernel talks to the grader over jupyter_client's ``ipc`` transport: its sockets and
connection file sit in a fresh folder that is the only other thing bound into the sandbox.
:func:`check` says whether sandboxes can be started on this machine, and why not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, Unicode

__all__ = ["SandboxedKernelManager", "SandboxError", "binds", "check", "chown_tree", "command",
           "python_roots", "NOBODY"]

NOBODY = 65534  # the unprivileged user and group a root trainer's sandboxes run as

#: System folders every sandbox sees read-only (those that exist on this machine).
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/alternatives",
          "/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types", "/etc/ssl")


class SandboxError(RuntimeError):
    """A sandbox cannot be started here; the message says why and what to install."""


def python_roots() -> list[Path]:
    """The folders the running Python needs, read-only: the venv, its base interpreter, and
    the folders of the packages it imports (an editable ``sim`` lives in the repository; only
    ``sim/`` itself is bound, never the repository around it)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(sysconfig.get_paths()["purelib"]), Path(sysconfig.get_paths()["stdlib"])}
    import sim  # the course package, wherever it is installed

    roots.add(Path(sim.__file__).resolve().parent)
    real = {Path(os.path.realpath(r)) for r in roots if r.exists()}
    # bind the outermost ones only (a root inside another is already visible)
    return sorted(r for r in real if not any(o != r and o in r.parents for o in real))


def binds(system: Iterable[str], readonly: Iterable[Path], writable: Iterable[Path]) -> list[str]:
    """bwrap's arguments that show *system* (those folders and links that exist here) and
    *readonly* read-only and *writable* read-write, each at its own path. The folders on the way
    to them are made enterable (``0755``) and hold nothing else: bwrap would make them root's
    only. Used by the sandbox below and by the hub's views (:mod:`sim.grading.hub`)."""
    present = [Path(p) for p in system if os.path.lexists(p)]
    readonly, writable = list(map(Path, readonly)), list(map(Path, writable))
    args: list[str] = []
    made = {Path("/"), Path("/tmp")}
    for target in [*present, *readonly, *writable]:
        for parent in reversed(target.parents):
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
    for path in map(str, present):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        else:
            args += ["--ro-bind", path, path]
    for folder in readonly:
        args += ["--ro-bind", str(folder), str(folder)]
    for folder in writable:
        args += ["--bind", str(folder), str(folder)]
    return args


def command(cmd: list[str], *, workdir: Path, socket_dir: Path, cpu_seconds: int,
            memory_bytes: int, processes: int, file_bytes: int, open_files: int = 256) -> list[str]:
    """*cmd* wrapped to run inside a sandbox whose only writable folders are *workdir* and
    *socket_dir* (both bound at their own paths) and a private /tmp.

    As root, bwrap sets the sandbox up with root's rights (so it can bind a Python that lives
    under root's home) and keeps only the right to change user, which ``setpriv`` inside uses
    at once to become ``nobody`` with no capabilities left. As anyone else, bwrap runs
    unprivileged in a user namespace of its own and the code keeps that user's id.
    """
    bwrap, prlimit, setpriv = (shutil.which(n) for n in ("bwrap", "prlimit", "setpriv"))
    if not bwrap or not prlimit or not setpriv:
        raise SandboxError("bubblewrap (bwrap), prlimit and setpriv are needed to grade safely; "
                           "install them with: apt-get install bubblewrap util-linux (make does this)")
    root = os.geteuid() == 0
    wrapped = [prlimit, f"--cpu={cpu_seconds}", f"--as={memory_bytes}", f"--nproc={processes}",
               f"--fsize={file_bytes}", f"--nofile={open_files}", "--core=0", "--", bwrap]
    if root:
        wrapped += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                    "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        wrapped += ["--unshare-all", "--cap-drop", "ALL"]
    wrapped += ["--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--tmpfs", "/tmp"]  # /tmp before the binds inside it
    wrapped += binds(SYSTEM, python_roots(), [socket_dir, workdir])
    wrapped += ["--chdir", str(workdir),
                # the kernel's parent poller would find no parent in its own PID namespace
                "--unsetenv", "JPY_PARENT_PID",
                "--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp",
                "--setenv", "USER", "learner", "--setenv", "TMPDIR", "/tmp", "--"]
    if root:  # never leave a learner's code with root's user id
        wrapped += [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return wrapped + cmd


def chown_tree(path: Path, uid: int, gid: int) -> None:
    """Give *path* and everything under it to *uid*:*gid*; links are changed, never followed
    (a learner's link to a system file must not hand that file over)."""
    os.chown(path, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(path):
        for entry in dirs + files:
            os.chown(os.path.join(folder, entry), uid, gid, follow_symlinks=False)


def _give(path: Path) -> None:
    """Let the sandbox's user write *path* (when the trainer is root and the sandbox nobody)."""
    if os.geteuid() == 0:
        chown_tree(path, NOBODY, NOBODY)


def _take_back(path: Path) -> None:
    """Give *path* back to the trainer after the sandbox ended."""
    if os.geteuid() == 0 and path.exists():
        chown_tree(path, os.getuid(), os.getgid())


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in a bubblewrap sandbox (see the module docstring).

    The limits are configurable traits: set them in ``nbgrader_config.py`` as
    ``c.SandboxedKernelManager.cpu_seconds = 120`` and so on.
    """

    cpu_seconds = Integer(300, help="CPU seconds the kernel may use in all (RLIMIT_CPU)").tag(config=True)
    memory_bytes = Integer(3 * 1024 ** 3, help="address space of each process in bytes (RLIMIT_AS)"
                           ).tag(config=True)
    processes = Integer(64, help="processes and threads of the sandbox's user (RLIMIT_NPROC)"
                        ).tag(config=True)
    file_bytes = Integer(50 * 1024 ** 2, help="largest file the kernel may write (RLIMIT_FSIZE)"
                         ).tag(config=True)
    socket_root = Unicode("", help="where the sockets' folders are made (default: the system's "
                          "temporary folder)").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        self._socket_dir: Path | None = None
        self._workdir: Path | None = None

    async def _async_pre_start_kernel(self, **kw: Any):  # type: ignore[override]
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        self._workdir = workdir
        self._socket_dir = Path(tempfile.mkdtemp(prefix="tyokyky-kernel-",
                                                 dir=self.socket_root or None))
        self.ip = str(self._socket_dir / "kernel")  # ipc sockets: <ip>-<n>
        self.connection_file = str(self._socket_dir / "connection.json")
        _give(self._socket_dir)
        _give(workdir)
        # interrupt by a message on the control socket: a signal to the process group would stop
        # at the sandbox's own session and never reach the kernel
        self.kernel_spec.interrupt_mode = "message"
        # the kernel's own stdout/stderr never reach the grader: printed text could forge log
        # lines, and a process left holding the grader's pipe would keep the batch waiting
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        kw["stdin"] = subprocess.DEVNULL
        return await super()._async_pre_start_kernel(**kw)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        _give(Path(self.connection_file))  # the kernel reads it as the sandbox's user

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        assert self._socket_dir is not None and self._workdir is not None
        return command(cmd, workdir=self._workdir, socket_dir=self._socket_dir,
                       cpu_seconds=self.cpu_seconds, memory_bytes=self.memory_bytes,
                       processes=self.processes, file_bytes=self.file_bytes)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            if self._workdir is not None:
                _take_back(self._workdir)
            if self._socket_dir is not None:
                shutil.rmtree(self._socket_dir, ignore_errors=True)
                self._socket_dir = None


def check() -> str | None:
    """None when a sandbox starts here; otherwise why not (one line, with the fix)."""
    try:
        with tempfile.TemporaryDirectory(prefix="tyokyky-check-") as tmp:
            work = Path(tmp) / "work"
            work.mkdir()
            sockets = Path(tmp) / "sockets"
            sockets.mkdir()
            _give(Path(tmp))
            cmd = command([sys.executable, "-c", "import sim, os; print(os.getuid())"],
                          workdir=work, socket_dir=sockets, cpu_seconds=30,
                          memory_bytes=3 * 1024 ** 3, processes=64, file_bytes=1024 ** 2)
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except SandboxError as exc:
        return str(exc)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the sandbox could not start: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"the sandbox could not start (exit {done.returncode}): {last}"
    if done.stdout.strip() == "0":
        return "the sandbox ran as root; refusing to grade with it"
    return None
