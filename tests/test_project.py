"""The project's own promises: one dependency list, the README's commands, CI's entry point."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for reqs in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in reqs if not r.startswith("tyokyky-course")}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted, f"only in environment.yml: {conda - wanted}; only in pyproject: {wanted - conda}"


def test_environment_yml_pins_match_pyproject_specifiers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + [r for rs in project["optional-dependencies"].values()
                                            for r in rs if not r.startswith("tyokyky-course")]
    spec = {_name(r): r[len(_name(r)):].strip() for r in reqs}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    for dep in env["dependencies"]:
        if isinstance(dep, str) and _name(dep) in spec:
            assert dep[len(_name(dep)):].strip() == spec[_name(dep)], dep


def test_constraints_pin_every_installed_dependency_exactly():
    pins = {_name(line): line for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    for name in ("nbgrader", "jupyterlab", "notebook", "jupyter-client", "simpy", "voila"):
        assert "==" in pins[name], name


def test_ci_runs_exactly_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [ln for ln in script.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert commands[-1].strip() in ("make test", "exec make test")


def test_readme_quick_start_is_the_two_make_commands():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    lines = [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[-2:] == ["make test", "make simulate"] or lines[1:3] == ["make test", "make simulate"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("test", "simulate", "lab"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_readme_folder_tree_names_only_paths_that_exist():
    readme = (ROOT / "README.md").read_text()
    tree = readme.split("## Folders", 1)[1].split("```", 2)[1]
    for line in tree.splitlines():
        m = re.match(r"^([\w./-]+/?)\s", line.strip() + " ")
        if m and not line.startswith(" "):
            assert (ROOT / m.group(1).rstrip("/")).exists(), m.group(1)
