"""Grading learners' notebooks safely: the sandboxed kernel for nbgrader and its checks."""
