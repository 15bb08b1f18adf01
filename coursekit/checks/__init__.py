"""Learner-facing checks for the notebook exercises.

Each notebook's exercises have a check in the module named after the topic
(``coursekit.checks.triplet``, ``coursekit.checks.style``, ...). A check runs the learner's
function and the reference on several cases (edge cases included); it checks what kind of thing
comes back (a torch tensor of the right dtype, shape and device, a gradient where one is needed),
that the inputs were left alone, and the values with a tolerance that fits them. On failure it
says which case failed, what differs, and the likely mistake; on success it prints one line that
says what was verified and returns None.
"""

from ._harness import (
    PLACEHOLDER_PREFIX,
    Case,
    CheckFailed,
    Grad,
    Mistake,
    compare,
    rel_error,
    run_check,
)

__all__ = ["Case", "CheckFailed", "Grad", "Mistake", "PLACEHOLDER_PREFIX", "compare", "rel_error", "run_check"]
