"""Fixtures shared by the dlib port's tests: the pretrained port, converted once per session."""

from __future__ import annotations

import pytest
import torch

from coursekit.models.dlib import pretrained as dp


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """These forwards are tiny; two OpenMP threads on a busy 2-core machine stalled them 45x."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("coursekit_cache")


@pytest.fixture(scope="session")
def model(cache_root):
    """The port, converted once per session into a temporary cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSEKIT_CACHE", str(cache_root))
        return dp.pretrained_face_embedder("cpu")
