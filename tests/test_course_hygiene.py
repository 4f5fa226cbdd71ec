"""Course notebooks are committed clean, mirror each other in English and Finnish,
and keep the course's teaching conventions (objectives, quiz, summary, sources,
fictional cases, citations that resolve, unconfirmed items flagged, no answers).

Conventions checked here (authors of new modules: follow them):

* file name ``NN_topic.ipynb``, the same set in ``course/en`` and ``course/fi``;
* the first code cell only imports; widgets are called with a literal ``lang="en"``/``"fi"``;
* Markdown headings from :data:`HEADINGS` (learning objectives, self-check quiz,
  summary, sources), and a ``quiz("mNN", lang=...)`` call matching the file number;
* every citation is ``[C25]`` or ``[S3, C13]`` with known codes, and is listed in the
  notebook's Sources section.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from sim.learning.quiz import available_quizzes, load_quiz
from sim.learning.text import LANGUAGES

COURSE = Path(__file__).resolve().parents[1] / "course"
NOTEBOOKS = sorted(p for lang in LANGUAGES for p in (COURSE / lang).glob("*.ipynb"))
KNOWN_CODES = {f"S{n}" for n in range(5)} | {f"C{n}" for n in range(1, 80)}
CITATION = re.compile(r"\[((?:[SC]\d+)(?:\s*,\s*[SC]\d+)*)\]")
BRACKETED_CODE = re.compile(r"\[\s*[SC]\d+\b[^\]]*\]")
HEADINGS = {
    "en": {"objectives": "## Learning objectives", "quiz": "## Self-check quiz",
           "summary": "## Summary", "sources": "## Sources"},
    "fi": {"objectives": "## Oppimistavoitteet", "quiz": "## Tarkista osaamisesi",
           "summary": "## Yhteenveto", "sources": "## Lähteet"},
}
FICTIONAL = {"en": "fictional", "fi": "kuvitteellinen"}
UNCONFIRMED = {"en": "unconfirmed", "fi": "vahvistamat"}  # fi: the stem of vahvistamaton, -tomia…
# Figures the course team could not confirm in its sources ([U]): a cell may mention them only
# next to the word "unconfirmed".
UNCONFIRMED_CLAIMS = [
    re.compile(r"\b(under|alle)\s+30\b", re.I),  # Ohjaamo age limit
    re.compile(r"135[\s,.]?000|€\s?135\b"),  # THL cost figure, unit unknown
    re.compile(r"\b1[.,]5\s+(days|päivä)", re.I),  # fidelity review length
    re.compile(r"\b115\s*[–-]\s*125\b"),  # exemplary-fidelity cut-off
    re.compile(r"\b150\s*(€|euro)", re.I),  # social-assistance earnings rule
    re.compile(r"two or three (meetings|sessions)|kahdessa tai kolmessa tapaamisessa", re.I),  # SV3
    re.compile(r"weekly supervision|viikoittai\w* (työnohjau|asiakaslähtöi\w* ohjau)", re.I),  # O4, O5
    re.compile(r"before the job starts|ennen työn alkua", re.I),  # SV1's timing of counselling
]

ids = [f"{p.parent.name}/{p.name}" for p in NOTEBOOKS]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def markdown(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def widget_calls(nb) -> list[ast.Call]:
    """Calls to names imported from sim.widgets, in cell order."""
    imported: set[str] = set()
    calls = []
    for source in code_cells(nb):
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim.widgets"):
                imported |= {a.asname or a.name for a in node.names}
        calls += sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)
                         and isinstance(n.func, ast.Name) and n.func.id in imported),
                        key=lambda n: (n.lineno, n.col_offset))
    return calls


def call_signature(call: ast.Call) -> tuple:
    """A call without its ``lang`` argument, for comparing English and Finnish notebooks."""
    kwargs = tuple((k.arg, ast.dump(k.value)) for k in call.keywords if k.arg != "lang")
    return call.func.id, tuple(ast.dump(a) for a in call.args), kwargs


def sources_cell(nb, lang: str) -> str:
    cells = [s for s in markdown(nb) if s.startswith(HEADINGS[lang]["sources"])]
    assert len(cells) == 1, "exactly one Sources cell"
    return cells[0]


def cited(text: str) -> set[str]:
    return {code.strip() for group in CITATION.findall(text) for code in group.split(",")}


def test_course_has_all_ten_modules_in_both_languages():
    for lang in LANGUAGES:
        names = {p.name for p in (COURSE / lang).glob("*.ipynb")}
        assert {"00_start_here.ipynb", "01_work_ability_and_services.ipynb", "02_early_identification.ipynb",
                "03_coordinator_and_team.ipynb", "04_supported_employment_ips.ipynb",
                "05_fidelity_review.ipynb", "06_case_planning.ipynb", "07_working_with_employers.ipynb",
                "08_pathways_and_capacity.ipynb", "09_evaluating_impact.ipynb",
                "10_benefits_counselling.ipynb", "11_disclosure_and_consent.ipynb",
                "12_care_follow_along_and_careers.ipynb"} <= names


def test_english_and_finnish_have_the_same_module_files():
    en = {p.name for p in (COURSE / "en").glob("*.ipynb")}
    fi = {p.name for p in (COURSE / "fi").glob("*.ipynb")}
    assert en == fi
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", name) for name in en)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_is_committed_without_outputs_or_widget_state(path):
    nb = read(path)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        assert "widgets" not in cell.get("metadata", {})
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source[:60]
            assert cell.execution_count is None, cell.source[:60]
        assert "attachments" not in cell or not cell.attachments


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_has_one_python3_kernelspec(path):
    nb = read(path)
    assert nb.metadata.kernelspec == {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                      "language": "python"}
    assert nb.metadata.language_info["name"] == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_first_code_cell_only_imports_and_every_code_cell_parses(path):
    cells = code_cells(read(path))
    assert cells, "a module needs code cells for its widgets and quiz"
    first = ast.parse(cells[0])
    assert first.body and all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in first.body)
    for source in cells[1:]:
        ast.parse(source)


@pytest.mark.parametrize("name", sorted({p.name for p in NOTEBOOKS}))
def test_english_and_finnish_call_the_same_widgets_with_the_same_settings(name):
    en, fi = read(COURSE / "en" / name), read(COURSE / "fi" / name)
    assert [call_signature(c) for c in widget_calls(en)] == [call_signature(c) for c in widget_calls(fi)]
    assert len(code_cells(en)) == len(code_cells(fi))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_widget_call_passes_the_notebook_language(path):
    lang = path.parent.name
    calls = widget_calls(read(path))
    assert len({c.func.id for c in calls}) >= 2, "at least one widget besides the quiz"
    for call in calls:
        langs = [k.value for k in call.keywords if k.arg == "lang"]
        assert len(langs) == 1 and isinstance(langs[0], ast.Constant) and langs[0].value == lang, call.func.id


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_ends_with_its_own_quiz(path):
    quizzes = [c for c in widget_calls(read(path)) if c.func.id == "quiz"]
    assert len(quizzes) == 1
    quiz_id = quizzes[0].args[0].value
    assert quiz_id == f"m{path.name[:2]}"
    assert quiz_id in available_quizzes()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_has_objectives_quiz_summary_and_sources_sections_in_order(path):
    lang = path.parent.name
    headings = [line for text in markdown(read(path)) for line in text.splitlines() if line.startswith("## ")]
    wanted = HEADINGS[lang]
    positions = [headings.index(wanted[k]) for k in ("objectives", "quiz", "summary", "sources")]
    assert positions == sorted(positions)
    assert markdown(read(path))[0].startswith("# "), "the first cell holds the module title"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_says_its_case_is_fictional(path):
    text = "\n".join(markdown(read(path))).lower()
    assert FICTIONAL[path.parent.name] in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_citation_is_a_known_code_and_is_listed_under_sources(path):
    nb, lang = read(path), path.parent.name
    body = "\n".join(s for s in markdown(nb) if not s.startswith(HEADINGS[lang]["sources"]))
    malformed = [m for m in BRACKETED_CODE.findall(body) if not CITATION.fullmatch(m)]
    assert not malformed, "write citations as [C25] or [S3, C13]"
    codes = cited(body)
    assert codes, "a module teaches figures, so it cites sources"
    assert codes <= KNOWN_CODES, codes - KNOWN_CODES
    listed = cited(sources_cell(nb, lang))
    assert codes <= listed, codes - listed
    assert listed <= KNOWN_CODES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_unconfirmed_figures_appear_only_when_labelled_unconfirmed(path):
    word = UNCONFIRMED[path.parent.name]
    for text in markdown(read(path)):
        for paragraph in text.split("\n"):
            if any(p.search(paragraph) for p in UNCONFIRMED_CLAIMS):
                assert word in paragraph.lower(), paragraph


@pytest.mark.parametrize("quiz_id", sorted(available_quizzes()))
def test_quizzes_state_unconfirmed_figures_only_when_labelled_unconfirmed(quiz_id):
    for question in load_quiz(quiz_id).questions:
        texts = [question.prompt, question.explanation or {}]
        texts += [t for o in question.options for t in (o.text, o.explanation)]
        for lang, word in UNCONFIRMED.items():
            for text in (t[lang] for t in texts if t):
                if any(p.search(text) for p in UNCONFIRMED_CLAIMS):
                    assert word in text.lower(), (question.id, text)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_quiz_explanation_or_key_is_visible_in_the_notebook(path):
    nb = read(path)
    source = "\n".join(c.source for c in nb.cells)
    quiz = load_quiz(f"m{path.name[:2]}")
    lang = path.parent.name
    for question in quiz.questions:
        assert not any(h in source for h in question.key)
        for option in question.options:
            assert option.explanation[lang] not in source
        if question.explanation:
            assert question.explanation[lang] not in source


@pytest.mark.parametrize("name", sorted({p.name for p in NOTEBOOKS}))
def test_finnish_notebook_is_written_in_finnish(name):
    def teaching_text(lang: str) -> str:  # the Sources list keeps original (English) titles
        nb = read(COURSE / lang / name)
        return "\n".join(s for s in markdown(nb) if not s.startswith(HEADINGS[lang]["sources"]))

    fi = re.sub(r"(?<!\*)\*[^*\n]+\*(?!\*)", "", teaching_text("fi"))  # drop *italic* original terms
    for english_marker in ("Learning objectives", "Summary", "Self-check quiz", " the ", " with "):
        assert english_marker not in fi
    assert fi != teaching_text("en")
