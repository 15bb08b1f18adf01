"""coursekit: the reference implementations behind the course notebooks.

The notebooks under ``notebooks/`` teach; this package holds the code they import.
Each module holds one idea (see the course map in README.md).
"""

__version__ = "0.1.0"
