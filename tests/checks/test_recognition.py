"""coursekit.checks.recognition (notebook 04): wrong learner solutions are caught, correct alternatives pass."""

import pytest
import torch

from coursekit.checks import recognition as checks

from ._table import assert_caught, assert_passes


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_identify, checks._identify_reference)
    assert_passes(checks.check_distance_matrix, checks._dm_reference)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("identify: 6 cases pass — ") and out[1].startswith("distance_matrix: 4 cases pass — ")


# ---- identify ------------------------------------------------------------------------------------

def identify_loop(embedding, database, threshold):
    best, best_d = None, float("inf")
    for name, e in database.items():
        d = float(torch.linalg.norm(embedding - e))
        if d < best_d:
            best, best_d = name, d
    return (best if best_d <= threshold else None), best_d


def identify_stacked(embedding, database, threshold):
    names = list(database)
    d = torch.cdist(embedding[None], torch.stack(list(database.values())))[0]
    i = int(d.argmin())
    return (names[i] if d[i] <= threshold else None), d[i]  # the distance as a 0-d tensor


def identify_min_key(embedding, database, threshold):
    d = {name: torch.dist(embedding, e).item() for name, e in database.items()}
    name = min(d, key=d.get)
    return (name, d[name]) if d[name] <= threshold else (None, d[name])


def _identify_index(embedding, database, threshold):
    name, d = checks._identify_reference(embedding, database, threshold)
    return (list(database).index(name) if name is not None else -1), d


def _identify_string(embedding, database, threshold):
    name, d = checks._identify_reference(embedding, database, threshold)
    return (name if name is not None else "not recognized"), d


def _identify_name_only(embedding, database, threshold):
    return checks._identify_reference(embedding, database, threshold)[0]


def _identify_in_place(embedding, database, threshold):
    centre = torch.stack(list(database.values())).mean(0)
    embedding -= centre  # distances do not change; the caller's tensors do
    for e in database.values():
        e -= centre
    return identify_loop(embedding, database, threshold)


def _identify_threshold_squared(embedding, database, threshold):
    name, d = identify_loop(embedding, database, float("inf"))
    return (name if d <= threshold**2 else None), d


IDENTIFY_WRONG = {
    "no rejection": (checks._identify_no_rejection, "return None"),
    "farthest": (checks._identify_farthest, "*smallest* distance"),
    "strict <": (checks._identify_strict, "use <="),
    "squared distance": (checks._identify_squared, "take the square root"),
    "first under the threshold": (checks._identify_last_below, "do not stop at the first person"),
    "L1": (checks._identify_l1, "not the sum of absolute differences"),
    "returns an index": (_identify_index, "output[0] should be a name (a str) or None, got a Python int"),
    "'not recognized' string": (_identify_string, "output[0] is 'not recognized', expected None"),
    "name only": (_identify_name_only, "should be a tuple of 2 items"),
    "writes into the inputs": (_identify_in_place, "in place"),
    "threshold squared": (_identify_threshold_squared, "fails"),
}

IDENTIFY_RIGHT = {"loop": identify_loop, "cdist + argmin": identify_stacked, "min with key": identify_min_key}


@pytest.mark.parametrize("name", IDENTIFY_WRONG)
def test_identify_catches(name):
    fn, fragment = IDENTIFY_WRONG[name]
    assert_caught(checks.check_identify, fn, fragment=fragment)


@pytest.mark.parametrize("name", IDENTIFY_RIGHT)
def test_identify_accepts(name):
    assert_passes(checks.check_identify, IDENTIFY_RIGHT[name])


# ---- distance_matrix -----------------------------------------------------------------------------

def dm_expansion(probes, gallery):
    d2 = (probes**2).sum(1, keepdim=True) - 2 * probes @ gallery.T + (gallery**2).sum(1)
    return d2.clamp_min(0).sqrt()


def dm_loop(probes, gallery):
    out = torch.empty(len(probes), len(gallery), dtype=probes.dtype)
    for p in range(len(probes)):
        for m in range(len(gallery)):
            out[p, m] = torch.linalg.norm(probes[p] - gallery[m])
    return out


def dm_broadcast(probes, gallery):
    return (probes[:, None] - gallery[None]).norm(dim=-1)


def _dm_no_clamp(probes, gallery):
    d2 = (probes**2).sum(1, keepdim=True) - 2 * probes @ gallery.T + (gallery**2).sum(1)
    return d2.sqrt()


def _dm_float32_buffer(probes, gallery):
    out = torch.zeros(len(probes), len(gallery))
    for p in range(len(probes)):
        out[p] = (probes[p] - gallery).norm(dim=1)
    return out


def _dm_normalises_in_place(probes, gallery):
    centre = gallery.mean(0)
    probes -= centre  # distances do not change; the caller's tensors do
    gallery -= centre
    return dm_expansion(probes, gallery)


DM_WRONG = {
    "no sqrt": (checks._dm_no_sqrt, "take the square root"),
    "plus cross term": (checks._dm_plus, "the cross term is *minus* 2 p·g"),
    "transposed": (checks._dm_transposed, "(P, M)"),
    "no norms": (checks._dm_no_norms, "add both squared norms"),
    "norms not squared": (checks._dm_norms_not_squared, "not torch.linalg.norm(x, dim=1)"),
    "no clamp before sqrt": (_dm_no_clamp, "clamp it at 0 (.clamp_min(0)) before the square root"),
    "numpy": (lambda probes, gallery: torch.cdist(probes, gallery).numpy(), "numpy array"),
    "float32 buffer": (_dm_float32_buffer, "dtype torch.float32, expected torch.float64"),
    "in place": (_dm_normalises_in_place, "changed its input `probes` in place"),
    "keepdim": (lambda probes, gallery: (probes[:, None] - gallery[None]).norm(dim=-1, keepdim=True), "has shape"),
}

DM_RIGHT = {"expansion with clamp": dm_expansion, "loop": dm_loop, "broadcast norm": dm_broadcast}


@pytest.mark.parametrize("name", DM_WRONG)
def test_distance_matrix_catches(name):
    fn, fragment = DM_WRONG[name]
    assert_caught(checks.check_distance_matrix, fn, fragment=fragment)


@pytest.mark.parametrize("name", DM_RIGHT)
def test_distance_matrix_accepts(name):
    assert_passes(checks.check_distance_matrix, DM_RIGHT[name])
