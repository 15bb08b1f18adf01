"""Learner-facing checks for the notebook exercises.

Each notebook's exercises have a check in the module named after the topic
(``coursekit.checks.triplet``, ``coursekit.checks.style``, ...). A check runs the learner's
function and the reference on several cases (edge cases included), compares them with a
relative error, and on failure says which case failed and the likely mistake.
"""

from ._harness import Case, CheckFailed, Mistake, compare, rel_error, run_check

__all__ = ["Case", "CheckFailed", "Mistake", "compare", "rel_error", "run_check"]
