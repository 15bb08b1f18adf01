"""Repository-wide pytest setup.

Notebook kernels started by nbval inherit this process's environment, so quick mode is set
here for them (unless the caller chose otherwise), and plots render off-screen.
"""

import os

os.environ.setdefault("COURSEKIT_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
