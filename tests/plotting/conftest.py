"""The plotting tests draw off-screen, from the same random inputs in every run and order."""

import matplotlib.pyplot as plt
import pytest

from tests.plotting.seeded import GEN


@pytest.fixture(autouse=True)
def _seed_inputs():
    GEN.manual_seed(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
