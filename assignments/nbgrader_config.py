"""nbgrader configuration for the tyokyky-course assignments (nbgrader 0.9.6).

This folder is the course root: ``source/`` holds the tracked instructor notebooks; ``release/``,
``submitted/``, ``autograded/``, ``feedback/``, ``downloaded/``, ``exchange/``, ``exports/`` and
``gradebook.db`` are generated and ignored by git. Run nbgrader with the project's venv first on
PATH (it shells out to ``alembic``), or use ``tools.py``, which does that for you. See README.md.
"""

import os

from nbgrader.plugins import FileNameCollectorPlugin

c = get_config()  # noqa: F821 (injected by traitlets when the file is loaded)

_here = os.path.dirname(os.path.abspath(__file__))

# --- course and gradebook -------------------------------------------------------------------
c.CourseDirectory.course_id = "tyokyky-course"
c.CourseDirectory.root = _here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_here, "gradebook.db")  # sqlite:////abs/path
# nbgrader's own ignore list, plus each assignment's MANIFEST (the list of files a release may
# hold, read by tools.py release): it is for the trainer, never copied to learners or feedback.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "MANIFEST"]

# --- the sandbox: every learner's kernel runs in bubblewrap (sim/grading/sandbox.py) -----------
# Autograding runs learners' code, which is untrusted. In place of nbgrader's Execute step,
# SandboxedExecute starts each notebook's kernel in a sandbox of its own: no network, its own
# process namespace, the unprivileged user "nobody" with no capabilities, a read-only system and
# Python, and the submission's working copy as the only writable folder (plus a private /tmp).
# It cannot see source/, release/, the gradebook, other submissions or the trainer's home.
# tools.py autograde --unsafe (it says why it is unsafe) sets TYOKYKY_UNSAFE_GRADING=1 to grade
# without it, e.g. on a machine where bubblewrap cannot run.
if os.environ.get("TYOKYKY_UNSAFE_GRADING") != "1":
    from sim.grading.execute import autograde_steps

    c.Autograde.autograde_preprocessors = autograde_steps()

# Limits for each learner's kernel, enforced by the kernel's own process limits (prlimit):
# CPU seconds for the whole notebook. The slowest solution needs ~15 s of CPU in all (the two
# min_staffing searches of capacity_plan, see the timeout note below); 20x that leaves room for
# a slow but honest answer and stops a runaway loop that a per-cell timeout cannot interrupt.
c.SandboxedKernelManager.cpu_seconds = 300
# Address space of each process, bytes. Importing sim, numpy, scipy and matplotlib maps ~1 GB of
# virtual memory (measured); 3 GiB leaves room for the simulations and stops a runaway list.
c.SandboxedKernelManager.memory_bytes = 3 * 1024**3
# Processes and threads of the sandbox's user: the kernel uses ~10 threads; a fork bomb stops here.
c.SandboxedKernelManager.processes = 64
# Largest file the kernel may write, bytes: no answer needs files; this stops filling the disk.
c.SandboxedKernelManager.file_bytes = 50 * 1024**2
# Wall-clock seconds for one whole notebook: then its sandbox is killed, whatever its processes
# do with signals or pipes. The slowest notebook (capacity_plan with its solutions and hidden
# tests) ran in 9.3 s in the sandbox on the project machine (2 cores, 2026-12); 10 minutes leaves
# room for a slow machine and a slow but honest answer. Cells run before keep their scores; the rest
# are marked "not run" with the reason.
c.SandboxedExecute.max_seconds = 600

# --- running learners' notebooks --------------------------------------------------------------
# Per CELL, in seconds (nbgrader has no per-notebook limit). Measured on the project machine
# (2 cores, Python 3.11, other jobs running, load average 3-3.6; 2026-11) by executing every source
# notebook with its solutions and hidden tests, three runs: the slowest cells are capacity_plan's
# solution `answer_fewest` and hidden test `fewest_coaches_correct`, each one sim.min_staffing
# search: 2.4-4.0 s. The setup cells (importing sim) take 1.0-1.3 s; every other cell < 0.1 s.
# 3 x 4.0 s = 12 s. A cell running longer is interrupted and scores 0; the next cells and students
# still run. The notebooks tell learners this limit; change their intro text if you change it.
c.Execute.timeout = 12
c.Execute.interrupt_on_timeout = True  # interrupt the cell, keep the kernel, run the next cells
c.Execute.startup_timeout = 60
# Plain tracebacks: only the failing line is shown in feedback, not the lines around it (P5).
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Plain"]

# Put back test cells a learner deleted (default False leaves them "needs manual grade", P8).
c.OverwriteCells.add_missing_cells = True

# Cell metadata a learner's editor changed (grade_id, points, the grade/solution/locked flags,
# schema_version, the cell type, or the whole nbgrader block removed) made nbgrader refuse the
# whole notebook (a 0) or grade it wrongly. RestoreCellMetadata (sim/grading/restore.py) runs
# among nbgrader's sanitize steps, before DeduplicateIds and OverwriteCells: it matches every
# submitted cell to the gradebook's source cells (by grade_id, then the released cell id, then by
# place and source similarity) and puts their metadata and type back; a cell matched to nothing
# runs as an ordinary cell. tools.py autograde lists what it put back ([RESTORED-METADATA]).
# sanitize_steps() raises if nbgrader's default sanitize steps are not the ones it expects.
from sim.grading.restore import sanitize_steps  # noqa: E402

c.Autograde.sanitize_preprocessors = sanitize_steps()

# Keep huge outputs (an accidental print in a loop) out of the gradebook and the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# Warnings on stderr zero a test cell (P3). The notebooks' locked setup cells already call
# warnings.filterwarnings("ignore"); this also drops Python warning lines that learner code
# re-enables, e.g. "/path/x.py:12: UserWarning: ...".
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^\S[^\n]*:\d+: \w*Warning: "

# --- feedback ---------------------------------------------------------------------------------
# Hide hidden tests in the HTML feedback (nbgrader shows them by default, P5), from the test cells
# only: a learner's answer that mentions "BEGIN HIDDEN TESTS" is shown as written, never an error
# that stops the feedback (sim/grading/feedback.py).
from sim.grading.feedback import feedback_steps  # noqa: E402

c.GenerateFeedback.preprocessors = feedback_steps()

# --- distribution -----------------------------------------------------------------------------
# A course-local exchange inside the ignored area; tools.py creates it when needed. For several
# unix accounts on one machine, point this at a shared directory (chmod 777 + sticky bit, P11).
c.Exchange.root = os.path.join(_here, "exchange")

# Uploads from an LMS or e-mail: put files in downloaded/<assignment>/archive/ and run
#   tools.py collect <assignment> --zip
# That does NOT use nbgrader's zip_collect or the settings below: it collects any LMS learner id
# (anna_k, Äijälä_Sanna, e-mail addresses) under a safe nbgrader id kept in
# exports/learner-ids.csv, collects only new or changed uploads, and reports every file it cannot
# collect (README.md, "Collect"). The settings below serve only a bare `nbgrader zip_collect`,
# which skips, with a mere warning, every id outside letters, digits, "." and "-" (anna_k!).
# The regex is matched against the ABSOLUTE path, hence the leading ".*" (P10):
#   <student_id>__<notebook>.ipynb               e.g. anna-k__case_plan.ipynb
#   <student_id>.zip holding <notebook>.ipynb    (any folders inside the zip)
c.ZipCollectApp.collector_plugin = FileNameCollectorPlugin
c.FileNameCollectorPlugin.valid_ext = [".ipynb"]
c.FileNameCollectorPlugin.named_regexp = (
    r".*/extracted/(?!(?:[^/]*/)*(?:\.ipynb_checkpoints|__MACOSX)/)"
    r"(?P<student_id>[A-Za-z0-9.-]+)(?:__|/(?:[^/]+/)*)(?P<file_id>[^/]+\.ipynb)$"
)
