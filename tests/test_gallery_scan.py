"""gallery_scan: int8 quantisation, the scans' error bounds and the certified candidate rows, against brute force."""

import pytest
import torch

from coursekit.gallery_scan import (
    Float32Scan,
    Int8Scan,
    candidate_rows,
    int8_scan_supported,
    make_scan,
    quantize_rows,
)

SCANS = [Float32Scan, pytest.param(Int8Scan, marks=pytest.mark.skipif(
    not int8_scan_supported(), reason="torch._int_mm is not available on CPU in this torch"))]


def _gallery(seed, m=400, d=16, scale=1.0):
    """Random rows of mixed norms, an all-zero row and a row with one large outlier coordinate."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(m, d, generator=g) * torch.rand(m, 1, generator=g) * scale
    x[0] = 0
    x[1, 0] = 20 * scale
    return x, g


def _near_ties(seed, d=16, ties=40):
    """A probe and a gallery whose nearest rows differ in distance by ~1e-7 (far below int8 resolution),
    plus exact duplicates and distractors."""
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(d, generator=g)
    u = torch.nn.functional.normalize(torch.randn(ties, d, generator=g), dim=1)
    r = 1.0 + 1e-7 * torch.randperm(ties, generator=g).double()
    close = (p.double() + r[:, None] * u.double()).float()
    far = p + 1.5 * torch.nn.functional.normalize(torch.randn(300, d, generator=g), dim=1)
    rows = torch.cat([far[:100], close, close[:3], far[100:]])  # rows 140..142 duplicate 100..102
    return p, rows


def _sq_dist_bruteforce(p, gallery):
    """float32 ‖p − g‖², one gallery row at a time."""
    return torch.tensor([float(((p - e) ** 2).sum()) for e in gallery])


def _top_bruteforce(p, gallery, n):
    d2 = _sq_dist_bruteforce(p, gallery)
    return sorted(range(len(gallery)), key=lambda i: (float(d2[i]), i))[:n], d2


def test_quantize_rows_hand_case_and_error():
    codes, scale = quantize_rows(torch.tensor([[1.27, -0.635, 0.0], [0.0, 0.0, 0.0], [-2.0, 1.0, 0.5]]))
    assert codes.dtype == torch.int8 and scale.dtype == torch.float32
    assert codes.tolist() == [[127, -64, 0], [0, 0, 0], [-127, 64, 32]]  # round half to even: 63.5 -> 64
    torch.testing.assert_close(scale, torch.tensor([0.01, 1.0, 2.0 / 127]))
    x, _ = _gallery(0, d=33)
    codes, scale = quantize_rows(x)
    assert int(codes.abs().max()) == 127
    # every element is off by at most half a step
    assert ((x - scale[:, None] * codes.float()).abs() <= scale[:, None] / 2 * (1 + 1e-5)).all()


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("seed,d,scale", [(0, 16, 1.0), (1, 1, 1.0), (2, 128, 1e-3), (3, 300, 1e3), (4, 7, 1.0)])
def test_bound_holds_against_float64_and_float32_rerank(scan, seed, d, scale):
    x, g = _gallery(seed, d=d, scale=scale)
    probes = torch.cat([torch.randn(6, d, generator=g) * scale, torch.zeros(1, d), x[5:6], 30 * scale * torch.ones(1, d)])
    approx, bound = scan(x).scores(probes)
    assert approx.shape == (len(probes), len(x)) and bound.shape == (len(probes), 1)
    x64, p64 = x.double(), probes.double()
    exact = (x64**2).sum(1) - 2 * p64 @ x64.T  # s = ‖g‖² − 2 p·g
    assert ((approx.double() - exact).abs() <= bound.double()).all()
    # the bound also covers the float32 re-rank of ‖p − g‖²
    for i, p in enumerate(probes):
        rerank = _sq_dist_bruteforce(p, x).double()
        assert ((approx[i].double() + (p64[i] ** 2).sum() - rerank).abs() <= bound[i].double()).all()


@pytest.mark.parametrize("scan", SCANS)
def test_bound_is_tight_enough_to_prune(scan):
    g = torch.Generator().manual_seed(5)
    x = torch.nn.functional.normalize(torch.randn(5000, 128, generator=g), dim=1)
    probes = torch.nn.functional.normalize(torch.randn(20, 128, generator=g), dim=1)
    approx, bound = scan(x).scores(probes)
    limit = 1e-3 if scan is Float32Scan else 0.1  # squared-distance units, unit vectors
    assert (bound < limit).all()
    assert candidate_rows(approx, bound, 1).shape[1] < 100  # of 5000


def test_candidate_rows_match_threshold_rule():
    g = torch.Generator().manual_seed(6)
    approx = torch.randn(5, 300, generator=g)
    bound = torch.rand(5, 1, generator=g) * 0.3
    for n_best in (1, 4):
        rows = candidate_rows(approx, bound, n_best)
        for i in range(5):
            t = sorted(approx[i].tolist())[n_best - 1]
            must = {j for j in range(300) if float(approx[i, j]) <= t + 2 * float(bound[i])}
            got = rows[i].tolist()
            assert must <= set(got) and got == sorted(got) and len(set(got)) == len(got)
            if len(must) == rows.shape[1]:
                assert set(got) == must
        one = candidate_rows(approx[2:3], bound[2:3], n_best)
        t = sorted(approx[2].tolist())[n_best - 1]
        assert one[0].tolist() == [j for j in range(300) if float(approx[2, j]) <= t + 2 * float(bound[2])]


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("seed", range(4))
def test_rerank_of_candidates_equals_bruteforce_on_near_ties(scan, seed):
    p, rows = _near_ties(seed)
    approx, bound = scan(rows).scores(p[None])
    for n_best in (1, 3, 7):
        cand = candidate_rows(approx, bound, n_best)[0]
        d2 = ((p - rows[cand]) ** 2).sum(1)
        order = torch.sort(d2, stable=True).indices[:n_best]
        ref, ref_d2 = _top_bruteforce(p, rows, n_best)
        assert cand[order].tolist() == ref
        assert torch.equal(d2[order], ref_d2[ref])  # bit for bit


def test_int8_scan_alone_would_get_near_ties_wrong():
    """Without the re-rank (or with the bound set to 0), int8 scores pick a wrong row: the tests above can fail."""
    if not int8_scan_supported():
        pytest.skip("torch._int_mm is not available on CPU in this torch")
    wrong = 0
    for seed in range(4):
        p, rows = _near_ties(seed)
        approx, bound = Int8Scan(rows).scores(p[None])
        ref, _ = _top_bruteforce(p, rows, 1)
        wrong += candidate_rows(approx, torch.zeros_like(bound), 1)[0].tolist() != ref
    assert wrong >= 2


def test_exact_ties_keep_every_duplicate():
    p, rows = _near_ties(0)
    approx, bound = Float32Scan(rows).scores(p[None])
    cand = candidate_rows(approx, bound, 1)[0].tolist()
    ref, d2 = _top_bruteforce(p, rows, 1)
    best = [i for i in range(len(rows)) if d2[i] == d2[ref[0]]]
    assert set(best) <= set(cand)


def test_int8_scan_supported_is_a_bool():
    assert int8_scan_supported("cpu") in (True, False)


def test_make_scan_kinds(monkeypatch):
    small = torch.zeros(10, 4)
    assert isinstance(make_scan(small), Float32Scan) and isinstance(make_scan(small, "float32"), Float32Scan)
    big = torch.zeros(1 << 14, 128)  # 8 MiB of float32
    assert isinstance(make_scan(big), Int8Scan if int8_scan_supported() else Float32Scan)
    assert isinstance(make_scan(big[:-1]), Float32Scan)
    import coursekit.gallery_scan as gallery_scan

    monkeypatch.setattr(gallery_scan, "int8_scan_supported", lambda device: False)
    assert isinstance(make_scan(big), Float32Scan)
    with pytest.raises(RuntimeError, match="an int8 scan needs an exact torch._int_mm on cpu"):
        make_scan(small, "int8")


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: quantize_rows(torch.zeros(3)), ValueError, r"x must be a floating-point matrix of shape \(N, D\), got torch.float32 \(3,\)"),
        (lambda: quantize_rows(torch.zeros(2, 3, dtype=torch.int64)), ValueError, "got torch.int64"),
        (lambda: quantize_rows([[0.0]]), TypeError, "x must be a torch.Tensor, got list"),
        (lambda: quantize_rows(torch.tensor([[float("nan")]])), ValueError, "x contains NaN or inf"),
        (lambda: Int8Scan(torch.zeros(4)), ValueError, r"gallery must be a floating-point matrix"),
        (lambda: make_scan(torch.zeros(4, 3), "bf16"), ValueError, "kind must be 'auto', 'int8' or 'float32', got 'bf16'"),
        (lambda: Float32Scan(torch.zeros(4, 3)).scores(torch.zeros(2, 5)), ValueError, r"probes must have shape \(P, 3\) like the gallery, got \(2, 5\)"),
        (lambda: Float32Scan(torch.zeros(4, 3)).scores(torch.tensor([[float("inf"), 0, 0]])), ValueError, "probes contains NaN or inf"),
        (lambda: candidate_rows(torch.zeros(2, 5), torch.zeros(2), 1), ValueError, r"bound must have shape \(2, 1\), got \(2,\)"),
        (lambda: candidate_rows(torch.zeros(2, 5), torch.zeros(2, 1), 6), ValueError, r"n_best must be an int in \[1, 5\], got 6"),
        (lambda: candidate_rows(torch.zeros(2, 5), torch.zeros(2, 1), True), ValueError, "n_best must be an int"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
