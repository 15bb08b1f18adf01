"""One seeded generator for the plotting tests' random inputs (reset before every test by conftest.py)."""

import torch

GEN = torch.Generator()
