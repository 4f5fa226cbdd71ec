"""nbgrader's Execute step with every learner kernel in the sandbox (:mod:`sim.grading.sandbox`).

``assignments/nbgrader_config.py`` puts :class:`SandboxedExecute` in place of nbgrader's own
``Execute`` in ``Autograde.autograde_preprocessors``, so autograding from ``tools.py``, from
``nbgrader autograde`` and from the formgrader all run learners' code sandboxed.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .sandbox import SandboxedKernelManager

#: ``ename`` of the error put in the cell where the kernel stopped, and in every cell after it.
KERNEL_STOPPED, NOT_RUN = "KernelStopped", "NotRun"

__all__ = ["SandboxedExecute", "autograde_steps", "is_sandboxed"]


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` whose kernels start in a bubblewrap sandbox, and which never lets
    a stopped kernel cost the cells that ran before it.

    When the kernel dies (``os._exit``, the CPU or memory limit), a cell keeps running after
    its timeout although interrupted, or the notebook runs past ``max_seconds`` (in both
    cases the sandbox is killed, whatever its processes do with signals or pipes), the cell
    that was running gets a ``KernelStopped`` error and every later code cell a ``NotRun``
    error, each saying why; the cells already run keep their outputs, so their scores stand,
    and the grading of the batch goes on.
    """

    max_seconds = Integer(600, help="wall-clock seconds one notebook may run in all").tag(config=True)
    max_output_bytes = Integer(100_000, help="bytes of printed and displayed output kept per cell; "
                               "errors and results are always kept").tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # nbgrader's Execute passes its own kernel manager class to nbclient, which would win
        # over configuration; this one is passed the same way
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)
        self._stopped: str | None = None
        self._out_of_time = False
        self._output_bytes: dict[int, int] = {}

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int):
        """Keep at most ``max_output_bytes`` of a cell's printed and displayed output (one note
        says where it was cut). Errors and results always stay: the score depends on them."""
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or out.output_type not in ("stream", "display_data"):
            return out
        used = self._output_bytes.get(cell_index, 0)
        size = _size(out)
        cap = self.max_output_bytes
        if used + size <= cap:
            self._output_bytes[cell_index] = used + size
            return out
        if outs and outs[-1] is out:
            outs.pop()
        if used <= cap:  # the first output over the cap: keep what fits, then say so
            self._output_bytes[cell_index] = cap + 1
            kept = out.text[: max(cap - used, 0)] if out.output_type == "stream" else ""
            outs.append(new_output("stream", name="stdout", text=f"{kept}\n[output cut here: this "
                                   f"cell printed more than {cap:,} bytes]\n"))
        return None

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        self._stopped, self._out_of_time = None, False
        self._output_bytes = {}
        timer = threading.Timer(self.max_seconds, self._stop_the_clock)
        timer.daemon = True
        timer.start()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            timer.cancel()

    def _stop_the_clock(self) -> None:
        self._out_of_time = True
        self._kill()

    def _kill(self) -> None:
        """Kill the sandbox (its first process; every process in it dies with it)."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()

    def _why_stopped(self) -> str:
        if self._out_of_time:
            return f"the notebook ran for more than {self.max_seconds} s, the limit for one submission"
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        # bwrap passes the kernel's exit status on; a signal shows as 128 + its number
        signals = {signal.SIGXCPU: "it used all its CPU time (the sandbox's cpu_seconds limit)",
                   signal.SIGKILL: "it was killed: out of memory, or by its own code",
                   signal.SIGSEGV: "it crashed (segmentation fault)"}
        for number, why in signals.items():
            if code in (-number, 128 + number):
                return why
        return f"the kernel exited (status {code}), e.g. through os._exit() or exit()"

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if self._stopped is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error(NOT_RUN, f"not run: {self._stopped}")]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as exc:
            if isinstance(exc, CellTimeoutError) and not self._out_of_time:
                # the cell ran past Execute.timeout and kept running when interrupted: the
                # kernel will not answer again, so the sandbox goes now
                self._kill()
                why = (f"the cell ran past its {self.timeout} s and did not stop when "
                       "interrupted")
            else:
                why = self._why_stopped()
            self._stopped = f"the kernel stopped in an earlier cell: {why}"
            self.log.warning("Kernel stopped in cell %d: %s", index, why)
            cell.outputs.append(_error(KERNEL_STOPPED, f"the kernel stopped in this cell: {why}"))
            return cell, self.resources


def _size(out: NotebookNode) -> int:
    """Bytes of an output's text or data (what it would add to the notebook file)."""
    if out.output_type == "stream":
        return len(out.text.encode("utf-8", "replace"))
    return sum(len(str(value)) for value in out.get("data", {}).values())


def _error(name: str, message: str) -> NotebookNode:
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def autograde_steps() -> list[type]:
    """nbgrader 0.9's autograde steps with :class:`SandboxedExecute` in place of ``Execute``."""
    from nbgrader.converters.autograde import Autograde

    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    if Execute not in steps:
        raise RuntimeError("nbgrader's autograde steps have changed: Execute is not among them; "
                           "check sim/grading/execute.py against this nbgrader version")
    return [SandboxedExecute if step is Execute else step for step in steps]


def is_sandboxed(config: Any) -> bool:
    """Whether a loaded nbgrader configuration runs every autograde kernel in the sandbox:
    its Execute step is :class:`SandboxedExecute` and no unsandboxed Execute is left."""
    steps = config.get("Autograde", {}).get("autograde_preprocessors")
    if not steps:
        return False
    from traitlets.utils.importstring import import_item

    classes = [import_item(s) if isinstance(s, str) else s for s in steps]
    executes = [c for c in classes if isinstance(c, type) and issubclass(c, Execute)]
    return bool(executes) and all(issubclass(c, SandboxedExecute) for c in executes)
