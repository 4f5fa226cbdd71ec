"""nbgrader's Execute step with every learner kernel in the sandbox (:mod:`sim.grading.sandbox`).

``assignments/nbgrader_config.py`` puts :class:`SandboxedExecute` in place of nbgrader's own
``Execute`` in ``Autograde.autograde_preprocessors``, so autograding from ``tools.py``, from
``nbgrader autograde`` and from the formgrader all run learners' code sandboxed.
"""

from __future__ import annotations

from typing import Any

from nbgrader.preprocessors import Execute

from .sandbox import SandboxedKernelManager

__all__ = ["SandboxedExecute", "autograde_steps", "is_sandboxed"]


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` whose kernels start in a bubblewrap sandbox."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # nbgrader's Execute passes its own kernel manager class to nbclient, which would win
        # over configuration; this one is passed the same way
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)


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
