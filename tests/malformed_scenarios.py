"""A corpus of malformed scenario files, written at test time (nothing generated is committed).

Each case is a file a careless or hostile user could hand to ``worksim validate`` / ``run`` or
upload in the planners' app, with the words its one-line error must contain (the field, or the
kind of problem). The classes follow issue #13: alias bombs, oversized files, deep nesting,
numbers of hundreds of digits, control characters and structured junk where text belongs, and
then the everyday kinds of bad input (bad YAML, wrong types, unknown fields, duplicate keys,
out-of-range values, missing sections, wrong encoding, empty files, a list instead of a map).

``write_corpus(folder)`` writes every file and returns ``[(path, expected words), …]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sim.scenario import MAX_FILE_BYTES

BASE = "base: varsinais-suomi\nname: t\nhorizon_days: 200\n"
"""A valid variant of a preset: each case below adds one problem to it (or starts afresh)."""

BIG = "9" * 400
"""A whole number of 400 digits."""


def _laughs(levels: int = 9, width: int = 9, indent: str = "  ") -> str:
    """An "exponential laughs" list: level k holds ``width`` aliases of level k − 1."""
    lines = [f"{indent}- &l0 [{', '.join(['lol'] * width)}]"]
    for k in range(1, levels):
        lines.append(f"{indent}- &l{k} [{', '.join([f'*l{k - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _wide(field: str, width: int = 400, copies: int = 40) -> str:
    """A flat bomb: one list of ``width`` values, aliased ``copies`` times in ``field`` (few
    aliases and little depth, but width × copies values once expanded)."""
    return (f"x: &x [{', '.join(['1'] * width)}]\n" + f"{field}: [{', '.join(['*x'] * copies)}]\n")


def _nested_list(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _nested_map(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


def _block_map(depth: int, indent: int = 2) -> str:
    return "".join(" " * (indent * (i + 1)) + f"k{i}:\n" for i in range(depth)) \
        + " " * (indent * (depth + 1)) + "leaf: 1\n"


def _cases() -> list[tuple[str, bytes | Callable[[], bytes], tuple[str, ...]]]:
    """(file name, content or a function making it, words the error line must contain)."""
    text: list[tuple[str, str, tuple[str, ...]]] = [
        # --- aliases: exponential expansion, recursion, too many ---------------------------
        ("laughs-top.yaml", "lol:\n" + _laughs(), ("values", "alias")),
        ("laughs-number.yaml", BASE + "ips:\n  coaches:\n" + _laughs(indent="    "),
         ("ips.coaches", "nested more than")),
        ("laughs-text.yaml", "name:\n" + _laughs(), ("name", "alias")),
        ("laughs-sources.yaml", BASE + "sources:\n  ips.coaches:\n" + _laughs(indent="    "),
         ("sources.ips.coaches", "nested more than")),
        ("laughs-routing.yaml", BASE + "routing:\n  default:\n    ips:\n" + _laughs(indent="      "),
         ("routing.default.ips", "nested more than")),
        ("laughs-arrivals.yaml", BASE + "arrivals:\n  sources:\n    kela:\n"
         + _laughs(indent="      "), ("arrivals.sources.kela", "nested more than")),
        ("laughs-merge.yaml", "m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(40)) + "}\n"
         + "".join(f"m{k}: &m{k} {{<<: [*m{k - 1}, *m{k - 1}, *m{k - 1}]}}\n" for k in range(1, 12)),
         ("m3", "nested more than")),
        ("laughs-narrow.yaml", "name:\n" + _laughs(levels=30, width=2), ("name", "nested more than")),
        ("alias-wide-number.yaml", BASE + _wide("ips:\n  coaches"), ("ips.coaches", "values", "alias")),
        ("alias-wide-sources.yaml", BASE + _wide("sources:\n  ips.coaches"),
         ("sources.ips.coaches", "values", "alias")),
        ("alias-wide-routing.yaml", BASE + _wide("routing:\n  default:\n    ips"),
         ("routing.default.ips", "values", "alias")),
        ("alias-recursive.yaml", BASE + "description: &d [a, *d]\n", ("description", "alias")),
        ("alias-many.yaml", BASE + "x: &x 1\nips:\n  coaches: [" + ", ".join(["*x"] * 60) + "]\n",
         ("ips.coaches", "more than 50 aliases")),
        ("alias-undefined.yaml", BASE + "ips: {coaches: *nope}\n", ("not valid YAML", "nope")),
        ("alias-deep.yaml", BASE + "x: &x " + _nested_list(6) + "\nips: {coaches: [[*x]]}\n",
         ("ips.coaches", "nested more than")),
        # --- nesting -------------------------------------------------------------------------
        ("deep-list.yaml", "name: " + _nested_list(100_000) + "\n", ("name", "nested more than")),
        ("deep-flow-map.yaml", BASE + "ips: " + _nested_map(20_000) + "\n",
         ("ips.a", "nested more than")),
        ("deep-block-map.yaml", BASE + "ips:\n" + _block_map(60), ("ips.k0", "nested more than")),
        ("deep-routing.yaml", BASE + "routing: {default: {ips: " + _nested_list(50) + "}}\n",
         ("routing.default.ips", "nested more than")),
        ("deep-mixed.yaml", "initial: " + "[{a: " * 3000 + "1" + "}]" * 3000 + "\n",
         ("initial", "nested more than")),
        ("deep-key.yaml", BASE + "? " + _nested_list(5000) + "\n: 1\n", ("nested more than",)),
        # --- numbers of hundreds of digits, infinities ----------------------------------------
        ("int400-coaches.yaml", BASE + f"ips: {{coaches: {BIG}}}\n",
         ("ips.coaches", "400-digit number is out of range")),
        ("int400-negative.yaml", BASE + f"ips: {{coaches: -{BIG}}}\n",
         ("ips.coaches", "out of range")),
        ("int400-caseload.yaml", BASE + f"ips: {{caseload_per_coach: {BIG}}}\n",
         ("ips.caseload_per_coach", "out of range")),
        ("int400-initial.yaml", BASE + f"initial: {{ips_waiting: {BIG}}}\n",
         ("initial.ips_waiting", "out of range")),
        ("int400-per-year.yaml", BASE + f"arrivals: {{sources: {{kela: {BIG}}}}}\n",
         ("arrivals.sources.kela", "out of range")),
        ("int400-seasonality.yaml", BASE + f"arrivals: {{seasonality: [{BIG}{', 1' * 11}]}}\n",
         ("arrivals.seasonality[0]", "out of range")),
        ("int400-routing.yaml", BASE + f"routing: {{default: {{ips: {BIG}}}}}\n",
         ("routing.default.ips", "out of range")),
        ("int400-dist-mean.yaml", BASE + f"vocational: {{wait: {{dist: exponential, mean: {BIG}}}}}\n",
         ("vocational.wait.mean", "out of range")),
        ("int400-uniform-high.yaml",
         BASE + f"stepwise: {{duration: {{dist: uniform, low: 1, high: {BIG}}}}}\n",
         ("stepwise.duration.high", "out of range")),
        ("int400-horizon.yaml", BASE.replace("horizon_days: 200", f"horizon_days: {BIG}"),
         ("horizon_days", "out of range")),
        ("int400-team.yaml", BASE + f"team: {{cases_per_meeting: {BIG}}}\n",
         ("team.cases_per_meeting", "out of range")),
        ("int400-bare-dist.yaml", BASE + f"ips: {{days_to_job: {BIG}}}\n",
         ("ips.days_to_job", "bare number")),
        ("int5000.yaml", BASE + f"ips: {{coaches: {'9' * 5000}}}\n",
         ("ips.coaches", "5,000 digits", "line 4")),
        ("hex400.yaml", BASE + f"ips: {{coaches: 0x{'f' * 400}}}\n", ("ips.coaches", "out of range")),
        ("float-inf.yaml", BASE + "ips: {coaches: 1e400}\n", ("ips.coaches", "not finite")),
        ("float-nan.yaml", BASE + "ips: {coaches: .nan}\n", ("ips.coaches", "not finite")),
        # --- control characters in text -------------------------------------------------------
        ("ctl-nul-name.yaml", BASE.replace("name: t", 'name: "a\\0b"'), ("name", "control")),
        ("ctl-escape-description.yaml", BASE + 'description: "x\\e[2J"\n', ("description", "control")),
        ("ctl-del-rationale.yaml", BASE + 'rationale: "a\\x7fb"\n', ("rationale", "control")),
        ("ctl-newline-name.yaml", BASE.replace("name: t", 'name: "two\\nlines"'),
         ("name", "line break")),
        ("ctl-tab-source-name.yaml", BASE + 'arrivals: {sources: {"kela\\t": 10}}\n',
         ("arrivals.sources", "line break or tab")),
        ("ctl-bidi-profile.yaml", BASE + 'arrivals: {profiles: {"a\\u202eb": 1}}\n',
         ("arrivals.profiles", "control")),
        ("ctl-sources-key.yaml", BASE + 'sources: {"ips.coaches\\x01": S4}\n', ("sources", "control")),
        ("ctl-sources-value.yaml", BASE + 'sources: {ips.coaches: "S4\\a"}\n',
         ("sources.ips.coaches", "control")),
        ("ctl-routing-profile.yaml", BASE + 'routing: {"def\\x1bault": {ips: 1}}\n', ("routing", "control")),
        # --- structured junk where text belongs -----------------------------------------------
        ("sources-list-value.yaml", BASE + "sources: {ips.coaches: [S4, C25]}\n",
         ("sources.ips.coaches", "not text")),
        ("sources-map-value.yaml", BASE + "sources: {ips.coaches: {code: S4}}\n",
         ("sources.ips.coaches", "not text")),
        ("sources-null-key.yaml", BASE + "sources: {null: S4}\n", ("sources", "not text")),
        ("sources-bool-value.yaml", BASE + "sources: {ips.coaches: yes}\n",
         ("sources.ips.coaches", "not text")),
        ("sources-is-list.yaml", BASE + "sources: [S4, C25]\n", ("sources", "mapping")),
        ("name-list.yaml", BASE.replace("name: t", "name: [a, b]"), ("name", "not text")),
        ("name-number.yaml", BASE.replace("name: t", "name: 12"), ("name", "not text")),
        ("description-map.yaml", BASE + "description: {a: 1}\n", ("description", "not text")),
        ("profile-bool-key.yaml", BASE + "arrivals: {profiles: {yes: 1.0}}\n",
         ("arrivals.profiles", "not text")),
        # --- everyday bad input -----------------------------------------------------------------
        ("yaml-unclosed.yaml", "name: x\narrivals: {a: 1\n  b: [2\nips: 3\n", ("not valid YAML",)),
        ("yaml-tab.yaml", BASE + "ips:\n\tcoaches: 3\n", ("not valid YAML",)),
        ("yaml-indent.yaml", BASE + "ips:\n  coaches: 3\n   caseload_per_coach: 2\n",
         ("not valid YAML",)),
        ("type-text-number.yaml", BASE + "ips: {coaches: many}\n", ("ips.coaches", "not a number")),
        ("type-bool-text.yaml", BASE + 'team: {enabled: "false"}\n', ("team.enabled", "true or false")),
        ("type-null-section.yaml", BASE + "ips: null\n", ("ips", "mapping")),
        ("type-seasonality-text.yaml", BASE + "arrivals: {seasonality: flat}\n",
         ("arrivals.seasonality", "12")),
        ("unknown-top.yaml", BASE + "coachez: 3\n", ("coachez", "unknown field")),
        ("unknown-nested.yaml", BASE + "ips: {coachez: 3}\n", ("ips.coachez", "Did you mean")),
        ("unknown-arrivals.yaml", BASE + "arrivals: {per_year: 3}\n", ("arrivals.per_year", "unknown")),
        ("duplicate-top.yaml", BASE + "horizon_days: 300\n", ("duplicate key", "horizon_days")),
        ("duplicate-nested.yaml", BASE + "ips:\n  coaches: 3\n  coaches: 4\n", ("duplicate key",)),
        ("range-negative.yaml", BASE + "ips: {coaches: -3}\n", ("ips.coaches", "out of range")),
        ("range-share.yaml", BASE + "ips: {job_finding_share: 1.5}\n",
         ("ips.job_finding_share", "out of range")),
        ("range-shares-sum.yaml", BASE + "arrivals: {profiles: {a: 0.5, b: 0.2}}\n",
         ("arrivals.profiles", "sum")),
        ("range-warmup.yaml", BASE + "warmup_days: 300\n", ("warmup_days",)),
        ("range-too-many-clients.yaml", BASE.replace("horizon_days: 200", "horizon_days: 36500")
         + "arrivals: {sources: {kela: 10000000}}\n", ("clients",)),
        ("range-whole.yaml", BASE + "ips: {caseload_per_coach: 2.5}\n",
         ("ips.caseload_per_coach", "whole number")),
        ("missing-sections.yaml", "name: lonely\nips: {coaches: 3}\n", ("missing",)),
        ("missing-mean.yaml", BASE + "vocational: {wait: {dist: exponential}}\n",
         ("vocational.wait.mean", "missing")),
        ("dist-unknown.yaml", BASE + "vocational: {wait: {dist: pareto, mean: 3}}\n",
         ("vocational.wait.dist", "not a distribution")),
        ("dist-extra.yaml", BASE + "vocational: {wait: {dist: exponential, mean: 3, cv: 2}}\n",
         ("vocational.wait.cv", "not used")),
        ("routing-unknown.yaml", BASE + "routing: {default: {ipss: 1}}\n",
         ("routing.default.ipss", "unknown field")),
        ("routing-missing.yaml", BASE + "routing: {mental_health: {ips: 1}}\n", ("routing",)),
        ("base-unknown.yaml", "base: lapland\nname: t\n", ("base", "not a preset")),
        ("base-list.yaml", "base: [varsinais-suomi]\nname: t\n", ("base", "not a preset")),
        ("date-invalid.yaml", BASE.replace("name: t", "name: 2024-13-45"), ("not valid YAML",)),
        ("tag-python.yaml", BASE + "ips: !!python/object/apply:os.system ['true']\n",
         ("not valid YAML",)),
        ("tag-unknown.yaml", BASE + "ips: !county {coaches: 3}\n", ("not valid YAML",)),
        ("tag-int-text.yaml", BASE + "ips: {coaches: !!int lots}\n", ("not valid YAML",)),
        ("list-document.yaml", "- name: t\n- ips: 3\n", ("YAML mapping",)),
        ("scalar-document.yaml", "just some words\n", ("YAML mapping",)),
        ("multi-document.yaml", BASE + "---\n" + BASE, ("not valid YAML",)),
        ("comments-only.yaml", "# a scenario will go here\n", ("holds no values",)),
        ("whitespace-only.yaml", "   \n\n  \n", ("empty",)),
        ("empty.yaml", "", ("empty",)),
    ]
    out: list[tuple[str, bytes | Callable[[], bytes], tuple[str, ...]]] = [
        (name, content.encode("utf-8"), words) for name, content, words in text]
    out += [
        # --- sizes: refused on the byte count, before any YAML is read -------------------------
        ("size-limit-plus-one.yaml",
         lambda: (BASE + "#" * (MAX_FILE_BYTES + 1 - len(BASE) - 1) + "\n").encode(), ("too large",)),
        ("size-1mb-comment.yaml", lambda: b"# " + b"x" * 1_000_000 + b"\n" + BASE.encode(),
         ("too large",)),
        ("size-5mb-yaml.yaml", lambda: (BASE + "arrivals:\n  sources:\n" + "".join(
            f"    s{i}: 1\n" for i in range(500_000))).encode(), ("too large",)),
        ("size-30mb.yaml", lambda: BASE.encode() + b"# padding\n" * 3_000_000, ("too large",)),
        # --- large but under the limit: stopped by the values or text limits -------------------
        ("under-limit-list.yaml", lambda: ("name: [" + "1, " * 80_000 + "1]\n").encode(),
         ("name", "values")),
        ("under-limit-map.yaml", lambda: (BASE + "arrivals:\n  sources:\n" + "".join(
            f"    s{i}: 1\n" for i in range(18_000))).encode(), ("arrivals.sources", "values")),
        ("under-limit-name.yaml", lambda: ("name: " + "x" * (MAX_FILE_BYTES - 100) + "\n").encode(),
         ("name", "at most 200")),
        ("under-limit-description.yaml", lambda: (BASE + "description: " + "word " * 10_000 + "\n"
                                                  ).encode(), ("description", "at most 20,000")),
        ("under-limit-newlines.yaml", lambda: b"\n" * (MAX_FILE_BYTES - 100) + b"name: [1]\n",
         ("name", "not text")),
        # --- encodings and binary junk ----------------------------------------------------------
        ("latin1.yaml", BASE.replace("name: t", "name: Äänekoski").encode("latin-1"), ("UTF-8",)),
        ("utf16.yaml", BASE.encode("utf-16"), ("UTF-8",)),
        ("png.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", ("UTF-8",)),
        ("raw-nul.yaml", BASE.replace("name: t", "name: a\x00b").encode(), ("not valid YAML",)),
    ]
    return out


def write_corpus(folder: Path) -> list[tuple[Path, tuple[str, ...]]]:
    """Write every case into ``folder``; returns (path, words its error must contain)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content, words in _cases():
        data = content() if callable(content) else content
        path = folder / name
        path.write_bytes(data)
        written.append((path, words))
    return written
