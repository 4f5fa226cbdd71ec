"""nbgrader settings of every learner's server on the hub (found through JUPYTER_CONFIG_PATH,
set by sim.grading.hub.CourseSpawner): one course and the shared exchange."""

import os

c = get_config()  # noqa: F821 (injected by traitlets when the file is loaded)

# The course id of assignments/nbgrader_config.py: the Assignment List shows this course only.
c.CourseDirectory.course_id = "tyokyky-course"
# The shared exchange the hub made (1777); the hub passes its path to every server.
c.Exchange.root = os.environ["TYOKYKY_HUB_EXCHANGE"]
