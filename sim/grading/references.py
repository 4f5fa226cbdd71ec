"""Reference values of hidden tests, written into the source notebook when an assignment is generated.

A hidden test that compares a learner's answer with a computed value must not compute it in the
learner's kernel: the learner's cells ran there first and may have changed the library the test
would call (``sim``, ``fidelity``…), the built-ins or the names the tests read. So each value is a
literal in the test cell, on a line of its own, assigned just before the test uses it::

    _REF_TOTAL = 79  # reference: python tools.py references fidelity_review --write

``tools.py references`` runs the source notebook's setup and solution cells (the course's own
code, in the trainer's process; never a learner's), asks the assignment's recipe in
``assignments/references.py`` for the values and rewrites these lines; ``tools.py release``
refuses to release an assignment whose lines are stale. Lines are found by :data:`LINE`; values
are Python literals (numbers, text, booleans, None, and lists and dicts of them).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["LINE", "ReferenceLineError", "literals", "run_solutions", "stale", "write"]

#: A reference line: ``<indent>_REF_NAME = <literal>  # reference: <how to refresh it>``.
LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<name>_REF_[A-Z0-9_]+) = (?P<value>.*?)"
                  r"(?P<tail>[ \t]+# reference: .*)$", re.M)
#: Two floats closer than this (relative) are the same reference (the tests allow 0.01).
REL_TOLERANCE = 1e-9


class ReferenceLineError(ValueError):
    """A reference line that cannot be read or a value that cannot be written as a literal."""


def _nbgrader(cell: Any) -> Mapping[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {})


def _test_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade")]


def literals(nb: Any) -> dict[str, Any]:
    """Every reference name in the notebook's test cells -> its value (the same name must have the
    same value wherever it appears)."""
    out: dict[str, Any] = {}
    for cell in _test_cells(nb):
        for m in LINE.finditer(cell.source):
            try:
                value = ast.literal_eval(m["value"])
            except (ValueError, SyntaxError):
                raise ReferenceLineError(f"{_nbgrader(cell).get('grade_id')}: {m['name']} = {m['value']!r} "
                                      "is not a Python literal") from None
            if m["name"] in out and not _same(out[m["name"]], value):
                raise ReferenceLineError(f"{m['name']} has two different values in the notebook")
            out[m["name"]] = value
    return out


def run_solutions(nb: Any, name: str) -> dict[str, Any]:
    """Run the notebook's code cells that are not test cells (setup and solutions) in a fresh
    namespace and return it. Only for the course's own source notebooks."""
    namespace: dict[str, Any] = {"__name__": f"source_{name}"}
    for cell in nb.cells:
        if cell.cell_type == "code" and not _nbgrader(cell).get("grade"):
            exec(compile(cell.source, f"<{name}:{_nbgrader(cell).get('grade_id')}>", "exec"), namespace)
    return namespace


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or (type(a) is type(b) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return type(a) is type(b) and math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=REL_TOLERANCE)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def _literal(name: str, value: Any) -> str:
    text = repr(value)
    try:
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        back = _Unreadable
    if back is _Unreadable or not _same(back, value):
        raise ReferenceLineError(f"{name}: {text[:80]} cannot be written as a Python literal; give the "
                              "recipe plain numbers, text, booleans, lists or dicts")
    return text


class _Unreadable:
    pass


def stale(nb: Any, values: Mapping[str, Any]) -> list[str]:
    """What differs between the notebook's reference lines and *values*, one line per name (empty:
    up to date)."""
    found = literals(nb)
    out = [f"{n}: the recipe gives a value but no test cell has a '{n} = ...  # reference:' line"
           for n in values if n not in found]
    out += [f"{n}: a test cell has this reference line but the recipe gives no value"
            for n in found if n not in values]
    out += [f"{n}: {_literal(n, found[n])} in the notebook, {_literal(n, values[n])} now"
            for n in values if n in found and not _same(found[n], values[n])]
    return out


def write(nb: Any, values: Mapping[str, Any]) -> list[str]:
    """Rewrite the notebook's reference lines with *values* (in place); returns the names changed.
    Refuses (before changing anything) names the notebook lacks or the recipe does not give."""
    problems = [p for p in stale(nb, values) if "no test cell" in p or "no value" in p]
    if problems:
        raise ReferenceLineError("; ".join(problems))
    found, changed = literals(nb), []
    for cell in _test_cells(nb):
        def put(m: re.Match[str]) -> str:
            return f"{m['indent']}{m['name']} = {_literal(m['name'], values[m['name']])}{m['tail']}"
        cell.source = LINE.sub(put, cell.source)
    for name in values:
        if not _same(found[name], values[name]):
            changed.append(name)
    return changed
