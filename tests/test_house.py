"""The package's shape: rooms by concern, one-way imports, one shape for text, true docs.

These read the source (AST, not regex, where code is meant) so that a later change that
reaches into a private attribute, imports upwards or brings back an en/fi field fails here
with the file and line to fix.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"
MODULES = sorted(p for p in SIM.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module imported, names) for every import in *path*."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


SIMULATION = {"sim.scenario", "sim.engine", "sim.model", "sim.journeys", "sim.resources",
              "sim.streams", "sim.results", "sim.experiment", "sim.stats"}


def test_the_simulation_core_imports_nothing_from_the_other_rooms():
    bad = []
    for path in MODULES:
        if _module_name(path) not in SIMULATION:
            continue
        for line, module, _ in _imports(path):
            if module.startswith("sim.") and module not in SIMULATION:
                bad.append(f"{_rel(path)}:{line} imports {module}")
    assert not bad, "the simulation core must not depend on views, text or practice:\n" + "\n".join(bad)


def test_nothing_imports_the_command_line_but_its_entry_point():
    bad = [f"{_rel(p)}:{line}" for p in MODULES if p.name != "__main__.py"
           for line, module, names in _imports(p)
           if module == "sim.cli" or (module == "sim" and "cli" in names)]
    assert not bad, "sim.cli is the top of the house; move what others need below it: " + ", ".join(bad)


def test_practice_and_learning_do_not_import_views():
    bad = [f"{_rel(p)}:{line} imports {module}" for p in MODULES
           if _module_name(p).startswith(("sim.practice", "sim.learning"))
           for line, module, _ in _imports(p) if module.startswith(("sim.widgets", "ipywidgets"))]
    assert not bad, "\n".join(bad)


def test_only_the_widgets_import_ipywidgets():
    bad = [f"{_rel(p)}:{line}" for p in MODULES if not _module_name(p).startswith("sim.widgets")
           for line, module, _ in _imports(p) if module.split(".")[0] == "ipywidgets"]
    assert not bad, bad


def test_no_module_imports_another_modules_private_names():
    bad = [f"{_rel(p)}:{line} imports {name} from {module}" for p in MODULES
           for line, module, names in _imports(p) if module.startswith("sim")
           for name in names if name.startswith("_") and not name.startswith("__")]
    assert not bad, "\n".join(bad)


def test_no_private_attribute_of_another_object_is_used_outside_its_module():
    """``x._name`` only on ``self``/``cls``/``super()`` (or in the engine, which owns simpy's internals);
    a named tuple's public ``_fields``/``_replace``/``_asdict``/``_make`` are not private."""
    public = {"_fields", "_replace", "_asdict", "_make"}
    bad = []
    for path in MODULES:
        if _module_name(path) == "sim.engine":
            continue
        for node in ast.walk(_tree(path)):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and node.attr not in public
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                    and not (isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                             and node.value.func.id == "super")):
                bad.append(f"{_rel(path)}:{node.lineno} .{node.attr}")
    assert not bad, "use the owner's public interface instead:\n" + "\n".join(bad)


def test_no_en_fi_field_pairs_or_language_branches_outside_the_text_module():
    """One shape for bilingual text: Bilingual values from YAML, never ``name_en``/``name_fi``
    fields, ``(en, fi)`` helpers or ``if lang == "fi"`` sentences."""
    pair = re.compile(r"\b[a-z_]+_(?:en|fi)\b")
    bad = []
    for path in MODULES:
        if _module_name(path) == "sim.learning.text":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.Name, ast.arg, ast.Attribute)):
                name = node.id if isinstance(node, ast.Name) else (
                    node.arg if isinstance(node, ast.arg) else node.attr)
                if pair.fullmatch(name):
                    bad.append(f"{_rel(path)}:{node.lineno} {name}")
            elif isinstance(node, ast.Compare) and any(
                    isinstance(c, ast.Constant) and c.value in ("en", "fi")
                    for c in [node.left, *node.comparators]):
                bad.append(f"{_rel(path)}:{node.lineno} compares a language code")
    assert not bad, "\n".join(bad)


def _readme_tree() -> set[str]:
    """The paths the README's folder tree names (two spaces of indent a level)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Folders", 1)[1].split("```", 2)[1]
    paths, stack = set(), []
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        stack[depth:] = [name.rstrip("/")]
        paths.add("/".join(stack))
    return paths


def test_every_module_is_listed_in_the_readme_tree():
    tree = _readme_tree()
    missing = [_rel(p) for p in MODULES if p.name != "__main__.py"
               and _rel(p) not in tree and not (p.name == "__init__.py" and _rel(p.parent) in tree)]
    assert not missing, f"README's folder tree does not name: {missing}"
    stale = [p for p in tree if p.startswith("sim/") and p.endswith(".py") and not (ROOT / p).exists()]
    assert not stale, f"README's folder tree names files that do not exist: {stale}"


@pytest.mark.parametrize("path", [*MODULES, *sorted(SIM.rglob("*.yaml")), *sorted(SIM.rglob("*.md"))],
                         ids=_rel)
def test_comments_cite_what_exists_in_the_repository(path):
    """``domain.md`` is the team's brief, not part of the repository: cite files or codes."""
    text = path.read_text(encoding="utf-8")
    assert "domain.md" not in text, f"{_rel(path)} cites domain.md; cite a file or a source code"


def test_the_widgets_package_names_every_widget_module():
    doc = ast.get_docstring(_tree(SIM / "widgets" / "__init__.py")) or ""
    modules = sorted(p.stem for p in (SIM / "widgets").glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if f"sim.widgets.{m}" not in doc]
    assert not missing, f"sim/widgets/__init__.py's docstring does not list: {missing}"
