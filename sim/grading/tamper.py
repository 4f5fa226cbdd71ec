"""Tamper flags: what in a learner's cells can fool the tests that run in the same notebook.

Every learner kernel runs in the sandbox (:mod:`sim.grading.sandbox`), so learners cannot read
the solutions or touch the gradebook; but code in an answer cell still runs in the same Python
process as the tests that follow it, and can fool them: replace a built-in or a function the
tests call, patch ``sim``, swap modules in ``sys.modules``, hook IPython's display of the score,
or answer with an object that equals everything. Before grading, :func:`scan_notebook` reads the
cells a learner can edit (it parses them, it never runs them) and returns one :class:`Flag` per
suspicious line, with a reason a trainer understands. A flag is a reason to look, not a verdict.

The scan is pure Python: it needs neither nbgrader nor a kernel (IPython, when importable, turns
``%magics`` and ``!commands`` into the calls the kernel would make, so these are read too).

Which cells: learner-editable code cells, i.e. nbgrader ``solution`` cells and code cells that a
learner added (no nbgrader metadata, or a ``grade_id`` the source does not have: nbgrader runs
those as they are). Locked cells (setup, tests) are not scanned: autograde restores them from the
source. Which names the tests use: every name the test cells of the *reference* notebook (the
instructor's source, hidden tests included) read. The answer variables (names the tests read that
neither the setup nor the tests define, such as ``ratings``) may be assigned freely; the others
(``fidelity``, ``EVIDENCE_ITEMS``, built-ins such as ``round``, the hidden tests' own values) may
not be replaced, changed in place or, for the hidden tests' values, read.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

__all__ = ["KINDS", "Context", "Flag", "context_from", "editable_cells", "scan_notebook", "scan_source"]

# kind -> what it means, for the trainer's guide and `tools.py flags`
KINDS = {
    "rebinds-builtin": "replaces a Python built-in the tests use (round, isinstance, ...)",
    "rebinds-test-name": "replaces or changes a name the tests use (a module, a setup constant, a "
                         "hidden test's value)",
    "patches-module": "changes a function, class or value inside an imported module (sim, numpy, ...)",
    "import-machinery": "swaps modules or reaches into other code's variables (sys.modules, importlib, "
                        "ctypes, gc, frames)",
    "ipython-hooks": "changes how IPython runs cells or shows results (input transformers, display "
                     "formatters, %config, %precision)",
    "always-equal-class": "defines a class whose objects can equal anything, pass as a number or "
                          "fake their type (__eq__, __bool__, __float__, ...)",
    "reads-test-value": "reads a value only the hidden tests compute",
    "namespace-access": "reads or writes the notebook's whole namespace or IPython's history "
                        "(globals(), vars(), In, Out)",
    "exec-eval": "runs code built or loaded at run time (exec, eval, pickle), hidden from this scan",
    "file-access": "reads or writes files",
    "socket-access": "opens network connections",
    "process-access": "starts, stops or signals programs or threads (!commands, subprocess, os.system)",
    "unscannable": "a cell this check cannot read to the end (nested too deeply): look at it yourself",
}


MAX_TEXT = 200


@dataclass(frozen=True)
class Flag:
    """One suspicious line of a learner's cell."""

    cell: str  # the cell's grade_id, or "new cell N" (N counts the notebook's cells from 1)
    line: int  # 1-based line in the cell
    text: str  # the line as the learner wrote it (its first MAX_TEXT characters)
    kind: str  # a key of KINDS
    reason: str  # plain English, for the trainer

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Context:
    """What a learner's cell is checked against, read from the reference notebook's locked cells."""

    protected: frozenset[str] = frozenset()  # names the tests read that the setup or tests define
    answers: frozenset[str] = frozenset()  # names the tests read that the learner must define
    hidden: frozenset[str] = frozenset()  # names only the hidden tests define
    guarded_builtins: frozenset[str] = frozenset()  # built-ins that must not be replaced
    origins: Mapping[str, str] = field(default_factory=dict)  # setup import name -> module path


# Built-ins checked even when the tests do not name them: type checks, conversions and the import
# hook itself.
ALWAYS_GUARDED = frozenset({
    "__import__", "__build_class__", "isinstance", "issubclass", "type", "float", "int", "bool", "round",
    "abs", "len", "print", "getattr", "hasattr", "globals",
})
BUILTIN_NAMES = frozenset(dir(builtins)) | {"get_ipython", "display", "__builtins__", "__loader__",
                                            "__spec__"}

# Special methods that make an object compare equal, convert to a chosen number or bool, survive
# arithmetic against a reference, answer any attribute, or fake isinstance().
EQUALITY_DUNDERS = frozenset({
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__", "__len__",
    "__contains__", "__float__", "__int__", "__index__", "__complex__", "__round__", "__trunc__",
    "__floor__", "__ceil__", "__abs__", "__neg__", "__pos__", "__add__", "__radd__", "__sub__",
    "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__",
    "__mod__", "__rmod__", "__pow__", "__rpow__", "__getattr__", "__getattribute__",
    "__instancecheck__", "__subclasscheck__", "__class__",
})
# Writing these replaces a function's code or an object's class.
INTERNALS = frozenset({"__code__", "__globals__", "__defaults__", "__kwdefaults__", "__closure__",
                       "__dict__", "__bases__", "__call__", "__module__"})
# Reading these reaches other code's variables (frames, function globals) or every class.
REACH_ATTRS = frozenset({"f_globals", "f_locals", "f_back", "f_builtins", "f_code", "tb_frame",
                         "gi_frame", "cr_frame", "ag_frame", "__globals__", "__builtins__",
                         "__subclasses__", "__code__", "__closure__"})
MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update",
                      "setdefault", "add", "discard", "sort", "reverse", "difference_update",
                      "intersection_update", "symmetric_difference_update", "__setitem__",
                      "__delitem__", "__setattr__", "__delattr__", "__iadd__"})
HISTORY = re.compile(r"^(In|Out|_ih|_oh|_dh|_i|_ii|_iii|__|___|_i\d+|_\d+)$")

# Patterns on resolved dotted names, by kind (None: allowed), first match wins: a pattern matches
# the name and everything below it ("os" matches "os.remove"), * as in shell patterns. The
# import of a matching name is flagged too, except for patterns marked ~ (`import os` alone is not).
_RULES_BY_KIND: dict[str | None, str] = {
    None: (
        "IPython.display IPython.core.display pandas.options pandas.set_option matplotlib.rcParams "
        "matplotlib.pyplot.rcParams matplotlib.rc matplotlib.pyplot.rc os.environ os.getenv os.cpu_count"
    ),
    "ipython-hooks": "sys.displayhook sys.__displayhook__ sys.excepthook IPython ipykernel get_ipython",
    "import-machinery": (
        "sys.modules sys.meta_path sys.path_hooks sys.path_importer_cache sys.path sys._getframe "
        "sys.settrace sys.setprofile sys.addaudithook importlib imp pkgutil zipimport ctypes _ctypes cffi "
        "gc inspect.currentframe inspect.stack inspect.trace inspect.getouterframes traceback.walk_stack "
        "types.ModuleType __import__ __loader__ __spec__ builtins.__import__"
    ),
    "rebinds-builtin": "__builtins__",
    "patches-module": "unittest.mock mock types.MethodType",
    "exec-eval": (
        "exec eval compile builtins.exec builtins.eval builtins.compile pickle _pickle dill cloudpickle "
        "marshal code codeop runpy types.FunctionType types.LambdaType types.CodeType"
    ),
    "process-access": (
        "os.system os.popen os.exec* os.spawn* os.posix_spawn* os.fork* os.kill* os.getppid os._exit "
        "os.abort subprocess multiprocessing concurrent threading _thread signal pty pexpect psutil "
        "resource atexit asyncio.create_subprocess_*"
    ),
    "socket-access": (
        "socket ssl urllib http requests httpx aiohttp ftplib smtplib poplib imaplib telnetlib xmlrpc "
        "socketserver websocket* zmq jupyter_client webbrowser asyncio.open_connection "
        "asyncio.start_server"
    ),
    "file-access": (
        "open builtins.open io.open io.FileIO ~os ~pathlib shutil glob tempfile fileinput linecache "
        "sqlite3 shelve dbm zipfile tarfile gzip bz2 lzma nbformat nbgrader codecs.open numpy.load "
        "numpy.save* numpy.loadtxt numpy.genfromtxt numpy.fromfile numpy.memmap pandas.read_*"
    ),
}
RULES: list[tuple[str, str | None, bool]] = [
    (p.lstrip("~"), kind, kind is not None and not p.startswith("~"))
    for kind, patterns in _RULES_BY_KIND.items() for p in patterns.split()
]

REASONS = {
    "ipython-hooks": "changes how IPython runs cells or shows results ({what}): a test's result or "
                     "score can be altered this way",
    "import-machinery": "uses {what}, which can swap modules, reach into other code's variables or "
                        "change how code is loaded",
    "rebinds-builtin": "reaches Python's built-ins directly ({what}), the way built-ins the tests "
                       "use get replaced",
    "patches-module": "uses {what}, which replaces functions or objects with look-alikes "
                      "(unittest.mock's ANY equals everything)",
    "exec-eval": "runs code built or loaded at run time ({what}), hidden from this check",
    "process-access": "starts, stops or signals programs or threads ({what}); no answer needs that",
    "socket-access": "opens network connections ({what}); no answer needs the network",
    "file-access": "reads or writes files ({what}); no answer needs files, and a file can bring in "
                   "code or answers from elsewhere",
}

# IPython magics: harmless ones, ones whose argument (or cell body) is Python code to scan, and the
# shell or file ones; every other magic changes IPython itself (%config, %precision, %load_ext...).
HARMLESS_MAGICS = frozenset({"time", "timeit", "prun", "capture", "matplotlib", "who", "whos", "who_ls",
                             "lsmagic", "magic", "quickref", "pinfo", "pinfo2", "psearch", "pdoc",
                             "pdef", "psource", "page", "history", "html", "javascript", "js",
                             "latex", "markdown", "svg"})
CODE_MAGICS = frozenset({"time", "timeit", "prun", "capture"})
PROCESS_MAGICS = frozenset({"system", "sx", "sc", "bash", "sh", "script", "perl", "ruby", "python",
                            "python2", "python3", "pypy", "killbgscripts", "env", "set_env", "pip",
                            "conda", "mamba", "ls", "cat", "rm", "mkdir", "rmdir", "cp", "mv", "less",
                            "more", "man", "clear", "lf", "lk", "ll", "lx", "ldir"})
FILE_MAGICS = frozenset({"run", "load", "loadpy", "writefile", "save", "pycat", "pfile", "cd", "pushd",
                         "popd", "dhist", "bookmark", "store", "notebook", "logstart", "logon",
                         "logoff", "logstop", "edit", "dirs"})
SHELL_CALLS = frozenset({"system", "getoutput", "system_raw", "system_piped"})


# --------------------------------------------------------------------------- notebooks


def _meta(cell: Mapping) -> Mapping:
    meta = cell.get("metadata")
    meta = meta.get("nbgrader") if isinstance(meta, Mapping) else None
    return meta if isinstance(meta, Mapping) else {}


def _source(cell: Mapping) -> str:
    src = cell.get("source", "")
    return "".join(map(str, src)) if isinstance(src, list) else str(src)


def _is_fixed(meta: Mapping) -> bool:
    """A locked setup or test cell: autograde restores it from the source."""
    return not meta.get("solution") and bool(meta.get("locked") or meta.get("grade"))


def editable_cells(nb: Mapping, reference: Mapping | None = None) -> Iterator[tuple[str, str]]:
    """(label, source) of the code cells a learner can change and nbgrader runs as they are.

    With a *reference* (the instructor's source) a cell is judged by the source cell of the same
    ``grade_id``, since autograde restores locked cells and cell types from it; a ``grade_id`` the
    source lacks is dropped by nbgrader and the cell runs as the learner left it.
    """
    known = {_meta(c).get("grade_id"): (c.get("cell_type"), _meta(c)) for c in (reference or nb)["cells"]
             if _meta(c).get("grade_id")}
    for i, cell in enumerate(nb["cells"]):
        gid = _meta(cell).get("grade_id")
        if gid in known:
            cell_type, meta = known[gid]
            if cell_type != "code" or _is_fixed(meta):
                continue
            yield gid, _source(cell)
        elif cell.get("cell_type") == "code":
            yield f"new cell {i + 1}", _source(cell)


def _hidden_lines(source: str) -> set[int]:
    lines, inside = set(), False
    for n, line in enumerate(source.split("\n"), 1):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            lines.add(n)
    return lines


def context_from(reference: Mapping) -> Context:
    """The names the reference notebook's setup and test cells define and read."""
    test_free: set[str] = set()
    test_reads: set[str] = set()
    defined: set[str] = set()
    setup_defined: set[str] = set()
    hidden: set[str] = set()
    origins: dict[str, str] = {}
    for cell in reference["cells"]:
        meta = _meta(cell)
        if cell.get("cell_type") != "code" or not _is_fixed(meta):
            continue
        source = _source(cell)
        tree = _parse(_python(source))
        if not isinstance(tree, ast.AST):
            continue
        binds = _Bindings()
        binds.visit(tree)
        defined |= binds.names
        if meta.get("grade"):
            test_free |= _free_names(tree.body, set())
            test_reads |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            in_hidden = _hidden_lines(source)
            hidden |= {name for name, node in binds.found if node.lineno in in_hidden}
        else:
            setup_defined |= binds.names
            origins.update(binds.origins)
    hidden -= setup_defined
    return Context(protected=frozenset((test_free & defined) - {"__builtins__"}),
                   answers=frozenset(test_free - defined - BUILTIN_NAMES),
                   hidden=frozenset(hidden),
                   guarded_builtins=frozenset((test_reads & BUILTIN_NAMES) | ALWAYS_GUARDED),
                   origins=origins)


def scan_notebook(nb: Mapping, reference: Mapping | None = None) -> list[Flag]:
    """Flags of every learner-editable code cell of *nb*, checked against *reference* (the source
    notebook with its hidden tests; without one, *nb*'s own locked cells)."""
    ref = reference or nb
    context = context_from(ref)
    cells = list(editable_cells(nb, ref))
    with _deep_enough():
        trees = [t for t in (_parse(_python(source)) for _label, source in cells) if isinstance(t, ast.AST)]
        names = _learner_names(trees, context)
        return [f for label, source in cells for f in _scan_cell(source, label, context, names)]


def scan_source(source: str, cell_id: str, context: Context | None = None) -> list[Flag]:
    """Flags of one cell's source, alone (:func:`scan_notebook` reads a notebook's cells together).
    Without a *context* only the built-ins of ``ALWAYS_GUARDED`` count as used by the tests."""
    context = context or Context(guarded_builtins=ALWAYS_GUARDED)
    with _deep_enough():
        tree = _parse(_python(source))
        names = _learner_names([tree] if isinstance(tree, ast.AST) else [], context)
        return _scan_cell(source, cell_id, context, names)


def _scan_cell(source: str, cell_id: str, context: Context, names: _LearnerNames) -> list[Flag]:
    """A cell with a syntax error has no flags: it cannot run. A cell the scan cannot read to the
    end (nested too deeply) gets one ``unscannable`` flag: grading goes on, and the trainer looks."""
    lines = source.split("\n")
    with _deep_enough():
        tree = _parse(_python(source))
        if tree is None:
            return []
        try:
            if not isinstance(tree, ast.AST):
                raise tree
            scanner = _Scanner(context, names)
            scanner.visit(tree)
        except Exception as exc:  # noqa: BLE001 - nested too deeply, or a flaw of this check
            return [Flag(cell_id, 1, lines[0].strip()[:MAX_TEXT], "unscannable",
                         f"this check could not read the cell to the end ({type(exc).__name__}); read "
                         "it yourself")]
    out, seen = [], set()
    for line, kind, reason in sorted(scanner.found, key=lambda f: f[0]):
        if (line, kind) in seen:
            continue
        seen.add((line, kind))
        text = lines[line - 1].strip()[:MAX_TEXT] if 0 < line <= len(lines) else ""
        out.append(Flag(cell_id, line, text, kind, reason))
    return out


# --------------------------------------------------------------------------- parsing


def _python(source: str) -> str:
    """The cell as the kernel runs it: IPython's %magics and !commands become Python calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return _python_without_ipython(source)
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython cannot read it either: scan it as it is
        return source


def _python_without_ipython(source: str) -> str:
    lines = source.split("\n")
    if lines and lines[0].startswith("%%"):
        name, _, arg = lines[0][2:].partition(" ")
        return f"get_ipython().run_cell_magic({name!r}, {arg!r}, {chr(10).join(lines[1:])!r})"
    for i, line in enumerate(lines):
        stripped, indent = line.lstrip(), line[:len(line) - len(line.lstrip())]
        if stripped.startswith("!"):
            lines[i] = f"{indent}get_ipython().system({stripped[1:]!r})"
        elif stripped.startswith("%"):
            name, _, arg = stripped[1:].partition(" ")
            lines[i] = f"{indent}get_ipython().run_line_magic({name!r}, {arg!r})"
    return "\n".join(lines)


def _parse(python: str) -> ast.Module | Exception | None:
    """The cell's syntax tree; None when it has a syntax error; the exception when Python's parser
    gives up on a cell nested too deeply (which the kernel might still run)."""
    try:
        return ast.parse(python)
    except (SyntaxError, ValueError):
        return None
    except (RecursionError, MemoryError) as exc:
        return exc


@contextlib.contextmanager
def _deep_enough(limit: int = 20_000) -> Iterator[None]:
    """Room for deeply nested learner code: the scan walks the syntax tree recursively (Python
    frames, not C stack, in Python 3.11+)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# --------------------------------------------------------------------------- scopes


class _Scope:
    def __init__(self, kind: str, local: Iterable[str] = (), declared_global: Iterable[str] = ()):
        self.kind, self.local, self.globals = kind, set(local), set(declared_global)


def _arg_names(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def _function_scope(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> _Scope:
    """Python's rule: a name assigned anywhere in a function is local unless declared global."""
    declared: set[str] = set()
    assigned = set(_arg_names(node.args))
    body = node.body if isinstance(node.body, list) else [node.body]
    todo: list[ast.AST] = list(body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            declared |= set(n.names)
        elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            assigned.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assigned.add(n.name)
            continue  # its body is another scope
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            assigned |= {_bound_name(a, n) for a in n.names}
        elif isinstance(n, ast.ExceptHandler) and n.name:
            assigned.add(n.name)
        if isinstance(n, (ast.Lambda, *_COMPREHENSIONS)):
            continue
        todo.extend(ast.iter_child_nodes(n))
    return _Scope("function", assigned - declared, declared)


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _bound_name(alias: ast.alias, node: ast.Import | ast.ImportFrom) -> str:
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name


def _origin(alias: ast.alias, node: ast.Import | ast.ImportFrom) -> str | None:
    """The dotted path a name bound by an import stands for (None for relative imports)."""
    if isinstance(node, ast.Import):
        return alias.name if alias.asname else alias.name.split(".")[0]
    if node.level or not node.module:
        return None
    return f"{node.module}.{alias.name}"


class _Walker(ast.NodeVisitor):
    """Visits a cell tracking Python's scopes; subclasses get :meth:`bind` for every name bound
    at the notebook's top level and :meth:`load` for every name read that is not a local."""

    def __init__(self) -> None:
        self.scopes = [_Scope("module")]

    def bind(self, name: str, node: ast.AST) -> None:  # noqa: B027 - a hook
        pass

    def load(self, name: str, node: ast.Name) -> None:  # noqa: B027 - a hook
        pass

    def top_level(self, name: str) -> bool:
        scope = self.scopes[-1]
        return scope.kind == "module" or (scope.kind == "function" and name in scope.globals)

    def is_local(self, name: str) -> bool:
        for scope in reversed(self.scopes):
            if name in scope.globals:
                return False
            if scope.kind in ("function", "comprehension") and name in scope.local:
                return True
        return False

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if not self.is_local(node.id):
                self.load(node.id, node)
        elif self.top_level(node.id):
            self.bind(node.id, node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        if not isinstance(node, ast.Lambda):
            for deco in node.decorator_list:
                self.visit(deco)
            if self.top_level(node.name):
                self.bind(node.name, node)
        self.scopes.append(_function_scope(node))
        for stmt in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(stmt)
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for n in [*node.bases, *node.keywords, *node.decorator_list]:
            self.visit(n)
        if self.top_level(node.name):
            self.bind(node.name, node)
        self.scopes.append(_Scope("class"))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def _visit_comprehension(self, node: ast.AST) -> None:
        targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        self.visit(node.generators[0].iter)
        self.scopes.append(_Scope("comprehension", targets))
        for g in node.generators:
            for n in [g.target, *g.ifs] + ([g.iter] if g is not node.generators[0] else []):
                self.visit(n)
        for n in ("elt", "key", "value"):
            if hasattr(node, n):
                self.visit(getattr(node, n))
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension

    def _visit_import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*" and self.top_level(_bound_name(alias, node)):
                self.bind(_bound_name(alias, node), node)

    visit_Import = visit_ImportFrom = _visit_import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name and self.top_level(node.name):
            self.bind(node.name, node)
        self.generic_visit(node)


class _Bindings(_Walker):
    """Top-level names a cell binds, and the module each imported name stands for."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, ast.AST]] = []
        self.origins: dict[str, str] = {}
        self.modules: set[str] = set()  # bound by a plain import
        self.copies: list[tuple[str, str]] = []  # name = other.name, in order

    @property
    def names(self) -> set[str]:
        return {name for name, _ in self.found}

    def bind(self, name: str, node: ast.AST) -> None:
        self.found.append((name, node))

    def _visit_import(self, node: ast.Import | ast.ImportFrom) -> None:
        super()._visit_import(node)
        for alias in node.names:
            origin = _origin(alias, node)
            if origin and alias.name != "*":
                self.origins[_bound_name(alias, node)] = origin
                if isinstance(node, ast.Import):
                    self.modules.add(_bound_name(alias, node))

    visit_Import = visit_ImportFrom = _visit_import

    def visit_Assign(self, node: ast.Assign) -> None:
        target, value = node.targets[0], _dotted(node.value)
        if len(node.targets) == 1 and isinstance(target, ast.Name) and value and self.top_level(target.id):
            self.copies.append((target.id, value))
        self.generic_visit(node)


def _dotted(node: ast.AST) -> str | None:
    """"a.b.c" for a chain of names, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@dataclass
class _LearnerNames:
    """The names the learner's cells bind, read together before any cell is checked."""

    aliases: dict[str, str]  # imported name -> the module path it stands for (setup's too)
    modules: set[str]  # names bound by a plain `import`: surely modules
    copied: set[str]  # copies of imports such as ``b = builtins``, ``items = fidelity.ITEMS``
    own: set[str]  # every other name the learner binds


def _learner_names(trees: Iterable[ast.Module], context: Context) -> _LearnerNames:
    """Copies of imports count as imports, so that changing ``b.round`` or ``items`` is seen."""
    names = _LearnerNames(dict(context.origins), set(), set(), set())
    bound, copies = set(), []
    for tree in trees:
        binds = _Bindings()
        try:
            binds.visit(tree)
        except RecursionError:  # _scan_cell flags the cell as unscannable
            continue
        names.aliases.update(binds.origins)
        names.modules |= binds.modules
        bound |= binds.names
        copies += binds.copies
    for target, value in copies:
        head, _, rest = value.partition(".")
        if head in names.aliases:
            names.aliases[target] = names.aliases[head] + (f".{rest}" if rest else "")
            names.copied.add(target)
    names.own = bound - set(names.aliases)
    return names


class _Loads(_Walker):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def load(self, name: str, node: ast.Name) -> None:
        self.names.add(name)


def _loads(nodes: Iterable[ast.AST]) -> set[str]:
    walker = _Loads()
    for n in nodes:
        walker.visit(n)
    return walker.names


def _binds(nodes: Iterable[ast.AST]) -> set[str]:
    walker = _Bindings()
    for n in nodes:
        walker.visit(n)
    return walker.names


def _free_names(body: list[ast.stmt], bound: set[str]) -> set[str]:
    """Names a block reads before it surely binds them, i.e. names that come from earlier cells.
    A binding inside an if/for/while/try/with only counts within its own block."""
    free: set[str] = set()
    bound = set(bound)
    for stmt in body:
        blocks = [b for b in (getattr(stmt, a, None) for a in ("body", "orelse", "finalbody"))
                  if isinstance(b, list) and b and isinstance(b[0], ast.stmt)]
        blocks += [h.body for h in getattr(stmt, "handlers", [])]
        blocks += [c.body for c in getattr(stmt, "cases", [])]
        if blocks and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            headers = [getattr(stmt, a) for a in ("test", "iter", "subject") if getattr(stmt, a, None)]
            headers += [i.context_expr for i in getattr(stmt, "items", [])]
            headers += [h.type for h in getattr(stmt, "handlers", []) if h.type]
            free |= _loads(headers) - bound
            targets = [getattr(stmt, "target", None)] + [i.optional_vars for i in getattr(stmt, "items", [])]
            inner = bound | _binds(t for t in targets if t is not None)
            for block in blocks:
                free |= _free_names(block, inner)
        else:
            free |= _loads([stmt]) - bound
            bound |= _binds([stmt])
    return free


# --------------------------------------------------------------------------- the checks


def _rule(dotted: str) -> tuple[str | None, bool] | None:
    """(kind, flag at import) of the first rule matching a dotted name; None when none does."""
    for pattern, kind, at_import in RULES:
        if fnmatchcase(dotted, pattern) or fnmatchcase(dotted, pattern + ".*"):
            return kind, at_import
    return None


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _magic(call: ast.Call) -> tuple[str, str, bool] | None:
    """(name, argument or cell body, is a cell magic) of a get_ipython().run_*_magic() call."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and _is_get_ipython_call(func.value)):
        return None
    args = [_const_str(a) for a in call.args]
    if func.attr == "run_line_magic" and len(args) >= 2 and args[0] is not None:
        return args[0], args[1] or "", False
    if func.attr == "run_cell_magic" and len(args) >= 3 and args[0] is not None:
        return args[0], args[2] or "", True
    if func.attr == "magic" and args and args[0] is not None:
        name, _, arg = args[0].lstrip("%").partition(" ")
        return name, arg, False
    return None


def _is_get_ipython_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "get_ipython")


class _Scanner(_Walker):
    def __init__(self, context: Context, names: _LearnerNames):
        super().__init__()
        self.context, self.aliases, self.modules = context, names.aliases, names.modules
        # copies of imports (x = os) are judged where they are made and where they are changed,
        # not each time they are read
        self.own, self.copied = names.own, names.copied
        self.found: list[tuple[int, str, str]] = []
        self.line_offset = 0

    def flag(self, node: ast.AST, kind: str, reason: str) -> None:
        self.found.append((getattr(node, "lineno", 1) + self.line_offset, kind, reason))

    # ---- names

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted name an expression stands for when it starts at an import or a built-in:
        ``np.linalg.norm`` -> "numpy.linalg.norm", ``getattr(os, "system")`` -> "os.system"."""
        if isinstance(node, ast.Name):
            if self.is_local(node.id):
                return None
            if node.id in self.aliases:
                return self.aliases[node.id]
            return node.id if node.id in BUILTIN_NAMES and node.id not in self.own else None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            if node.func.id == "getattr" and _const_str(node.args[1] if len(node.args) > 1 else None):
                base = self.resolve(node.args[0])
                return f"{base}.{_const_str(node.args[1])}" if base else None
            if node.func.id == "__import__" and _const_str(node.args[0]):
                return _const_str(node.args[0])
        if isinstance(node, ast.Subscript) and self.resolve(node.value) == "sys.modules":
            return _const_str(node.slice)
        return None

    def root(self, node: ast.AST) -> ast.AST:
        """The object an attribute, item or vars()/getattr() chain starts from."""
        while True:
            if isinstance(node, (ast.Attribute, ast.Subscript)):
                node = node.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args
                  and node.func.id in ("vars", "getattr")):
                node = node.args[0]
            else:
                return node

    def owner(self, node: ast.AST) -> tuple[str, str] | None:
        """(kind, what) when changing *node* in place changes a module or a name the tests use."""
        base = self.root(node)
        if not isinstance(base, ast.Name) or self.is_local(base.id):
            return None
        if base.id in self.aliases:
            module = self.aliases[base.id]
            what = self.resolve(node.value if isinstance(node, ast.Subscript) else node) or module
            if _rule(what):
                return None  # allowed, or flagged where it is read
            return ("rebinds-builtin" if module.split(".")[0] == "builtins" else "patches-module"), what
        if base.id in self.context.protected:
            return "rebinds-test-name", base.id
        return None

    def bind(self, name: str, node: ast.AST) -> None:
        c = self.context
        if name in c.answers:
            return
        if name in c.guarded_builtins:
            self.flag(node, "rebinds-builtin",
                      f"replaces Python's built-in `{name}`: tests that use it would run the learner's "
                      "version instead")
        elif name in c.protected:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                    _bound_name(a, node) == name and _origin(a, node) == c.origins.get(name)
                    for a in node.names):
                return  # the same module the setup imports under this name
            self.flag(node, "rebinds-test-name",
                      f"replaces `{name}`, which the tests use (it comes from the setup or the tests, "
                      "not from an answer): the tests would use the learner's version")

    def load(self, name: str, node: ast.Name) -> None:
        if name in self.context.hidden and name not in self.own:
            self.flag(node, "reads-test-value",
                      f"reads `{name}`, a value only the hidden tests compute: the answer may be copied "
                      "from the tests")
        elif HISTORY.match(name) and name not in self.own:
            self.flag(node, "namespace-access",
                      f"reads IPython's history (`{name}`), which holds the code and results of the "
                      "cells before, tests included")
        elif name not in self.copied:
            self.check_dotted(node, self.resolve(node))

    def check_dotted(self, node: ast.AST, dotted: str | None) -> bool:
        rule = _rule(dotted) if dotted else None
        if rule and rule[0]:
            self.flag(node, rule[0], REASONS[rule[0]].format(what=f"`{dotted}`"))
            return True
        return False

    # ---- attributes and items

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.changed(node, node.attr)
        elif node.attr in REACH_ATTRS:
            self.flag(node, "import-machinery",
                      f"reads `.{node.attr}`, which reaches other code's variables or every class "
                      "(a way to patch the tests' functions)")
        dotted = self.resolve(node)
        if dotted and isinstance(node.ctx, ast.Load):
            rule = _rule(dotted)
            if rule and rule[0]:
                self.check_dotted(node, dotted)
            if rule:  # the names inside the chain are prefixes of this one
                self._visit_chain_leftovers(node)
                return
        self.generic_visit(node)

    def _visit_chain_leftovers(self, node: ast.AST) -> None:
        """Visit the parts of an attribute chain that are not the chain: call arguments, indices."""
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            if isinstance(node, ast.Call):
                for n in [*node.args, *node.keywords]:
                    self.visit(n)
                node = node.func
            elif isinstance(node, ast.Subscript):
                self.visit(node.slice)
                node = node.value
            else:
                node = node.value

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.changed(node, None)
        self.generic_visit(node)

    def changed(self, target: ast.Attribute | ast.Subscript, attr: str | None) -> None:
        """An assignment to or deletion of ``x.attr`` or ``x[...]``."""
        if attr in EQUALITY_DUNDERS:
            self.flag(target, "always-equal-class",
                      f"sets `{attr}` on an object or class: its objects can then compare equal to any "
                      "reference value, pass as a number or a bool, or fake their type")
            return
        if attr in INTERNALS:
            self.flag(target, "patches-module",
                      f"replaces `{attr}` of an object: a function's code or an object's class can be "
                      "swapped this way")
            return
        container = target if isinstance(target, ast.Attribute) else target.value
        dotted = self.resolve(container)
        rule = _rule(dotted) if dotted else None
        if rule:  # allowed, or flagged here (attributes) or when the container is read (items)
            if rule[0] and isinstance(target, ast.Attribute):
                self.check_dotted(target, dotted)
            return
        owner = self.owner(target)
        if owner:
            self._flag_owner(target, *owner)

    def _flag_owner(self, node: ast.AST, kind: str, what: str) -> None:
        if kind == "rebinds-test-name":
            self.flag(node, kind, f"changes `{what}` in place, which the tests use: the tests would see "
                                  "the learner's version")
        elif kind == "rebinds-builtin":
            self.flag(node, kind, f"replaces the built-in `{what}` for all code, tests included")
        else:
            self.flag(node, kind, f"changes `{what}` inside an imported module: tests that use it would "
                                  "run the learner's version")

    # ---- calls

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        magic = _magic(node)
        if magic:
            self.check_magic(node, *magic)
            for arg in node.args:
                self.visit(arg)
            return
        if isinstance(func, ast.Attribute) and _is_get_ipython_call(func.value):
            kind = "process-access" if func.attr in SHELL_CALLS else "ipython-hooks"
            what = "a shell command (!)" if kind == "process-access" else f"`get_ipython().{func.attr}`"
            self.flag(node, kind, REASONS[kind].format(what=what))
            for arg in [*node.args, *node.keywords]:
                self.visit(arg)
            return
        name = None
        if isinstance(func, ast.Name) and not self.is_local(func.id) and func.id not in self.own:
            name = func.id
        if name in ("globals", "locals", "vars", "dir") and not node.args:
            self.flag(node, "namespace-access",
                      f"uses `{name}()`, the notebook's whole namespace, where the tests keep their "
                      "names and reference values")
        elif name == "getattr":
            self.check_dotted(node, self.resolve(node))
        elif name in ("setattr", "delattr") and node.args:
            self.changed_by_call(node, node.args[0], _const_str(node.args[1]) if len(node.args) > 1 else None)
        elif name == "type" and len(node.args) == 3 and isinstance(node.args[2], ast.Dict):
            keys = {_const_str(k) for k in node.args[2].keys} & EQUALITY_DUNDERS
            if keys:
                self.flag(node, "always-equal-class",
                          f"builds a class defining {', '.join(f'`{k}`' for k in sorted(keys))}: its "
                          "objects can compare equal to any reference value or pass as a number")
        elif isinstance(func, ast.Attribute) and func.attr in ("__setattr__", "__delattr__"):
            # object.__setattr__(target, "name", value) or target.__setattr__("name", value)
            unbound = isinstance(func.value, ast.Name) and func.value.id in ("object", "type")
            args = node.args[1:] if unbound else node.args
            target = node.args[0] if unbound and node.args else func.value
            self.changed_by_call(node, target, _const_str(args[0]) if args else None)
        elif isinstance(func, ast.Attribute) and func.attr in MUTATORS and not (
                isinstance(func.value, ast.Name) and func.value.id in self.modules):
            # os.remove() is a module's function, not a list's method
            owner = self.owner(func.value)
            if owner:
                self._flag_owner(node, *owner)
        self.generic_visit(node)

    def changed_by_call(self, node: ast.Call, target: ast.AST, attr: str | None) -> None:
        """setattr(target, attr, ...) and the like."""
        if attr in EQUALITY_DUNDERS or attr in INTERNALS:
            fake = ast.Attribute(value=target, attr=attr, ctx=ast.Store(), lineno=node.lineno)
            self.changed(fake, attr)
            return
        owner = self.owner(target)
        if owner:
            kind, what = owner
            self._flag_owner(node, kind, f"{what}.{attr}" if attr and kind != "rebinds-test-name" else what)

    def check_magic(self, node: ast.Call, name: str, arg: str, cell: bool) -> None:
        if name in CODE_MAGICS:  # the argument or cell body is Python code: scan it too
            code = arg if cell else re.sub(r"^(\s*-\w+(\s+\d+)?)*\s*", "", arg)
            tree = _parse(_python(code))
            if isinstance(tree, ast.AST):
                saved = self.line_offset
                self.line_offset = node.lineno + saved - (0 if cell else 1)
                self.visit(tree)
                self.line_offset = saved
            return
        if name in HARMLESS_MAGICS:
            return
        kind = ("process-access" if name in PROCESS_MAGICS else "file-access" if name in FILE_MAGICS
                else "ipython-hooks")
        self.flag(node, kind, REASONS[kind].format(what=("%%" if cell else "%") + name))

    # ---- classes and imports

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for stmt in node.body:
            names = []
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [stmt.name]
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
            for name in names:
                if name in EQUALITY_DUNDERS:
                    self.flag(stmt, "always-equal-class",
                              f"class `{node.name}` defines `{name}`: its objects can compare equal to any "
                              "reference value, pass as a number or a bool, or fake their type")
        super().visit_ClassDef(node)

    def _visit_import(self, node: ast.Import | ast.ImportFrom) -> None:
        super()._visit_import(node)
        for alias in node.names:
            if alias.name == "*":
                dotted = node.module or ""
                rule = _rule(dotted) if not node.level else None
                if rule and rule[0]:
                    self.flag(node, rule[0], REASONS[rule[0]].format(what=f"everything in `{dotted}`"))
                continue
            dotted = alias.name if isinstance(node, ast.Import) else _origin(alias, node)
            rule = _rule(dotted) if dotted else None
            if rule and rule[0] and rule[1]:
                self.flag(node, rule[0], REASONS[rule[0]].format(what=f"`{dotted}`"))

    visit_Import = visit_ImportFrom = _visit_import
