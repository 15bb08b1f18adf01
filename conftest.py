"""Repository-wide pytest setup.

Notebook kernels started by nbval inherit this process's environment, so quick mode is set
here for them (unless the caller chose otherwise), and plots render off-screen. dlib is optional:
the ``dlib`` fixture and the ``requires_dlib`` marker skip without it (fail under
``COURSEKIT_EXPECT_DLIB=1``).
"""

import os
import re

import pytest

os.environ.setdefault("COURSEKIT_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


# --- dlib is optional (the `align` extra). Tests that need it take the `dlib` fixture or carry the
# `requires_dlib` marker (added here to the docstring examples that detect faces): skipped with the
# reason when dlib is missing, a failure when COURSEKIT_EXPECT_DLIB=1 says it must be there (CI).
_NEEDS_DLIB = re.compile(r"\b(FaceAligner|align_faces|align_dataset|import_dlib)\(")


def _dlib_or_skip():
    try:
        import dlib
    except ImportError:
        from coursekit.models.dlib.optional import dlib_install_hint

        message = f"dlib is not installed (the optional 'align' extra; {dlib_install_hint()})"
        if os.environ.get("COURSEKIT_EXPECT_DLIB") == "1":
            pytest.fail(message + " but COURSEKIT_EXPECT_DLIB=1 says it must be", pytrace=False)
        pytest.skip(message)
    return dlib


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_dlib: needs dlib (skipped without it, fails when "
                                       "COURSEKIT_EXPECT_DLIB=1)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        examples = getattr(getattr(item, "dtest", None), "examples", ())
        if any(_NEEDS_DLIB.search(example.source) for example in examples):
            item.add_marker("requires_dlib")


def pytest_runtest_setup(item):
    if item.get_closest_marker("requires_dlib") is not None:
        _dlib_or_skip()


@pytest.fixture(scope="session")
def dlib():
    """The dlib module; the test is skipped without it (a failure when COURSEKIT_EXPECT_DLIB=1)."""
    return _dlib_or_skip()
