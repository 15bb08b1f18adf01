"""coursekit.verification against brute-force loops and hand-computed cases."""

import math
import warnings

import numpy as np
import pytest
import torch

from coursekit import verification as V

# --------------------------------------------------------------------------- brute force


def _rates(d, y, t):
    """FAR, TAR of the decision d <= t, counted one pair at a time."""
    fp = tp = 0
    for di, yi in zip(d, y, strict=True):
        if di <= t:
            tp += yi
            fp += not yi
    n_pos = sum(y)
    return fp / (len(y) - n_pos), tp / n_pos


def _candidates(d):
    return [-math.inf] + sorted(set(d)) + [math.inf]


def _auc_bruteforce(d, y):
    pos = [di for di, yi in zip(d, y, strict=True) if yi]
    neg = [di for di, yi in zip(d, y, strict=True) if not yi]
    wins = sum((p < n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _eer_bruteforce(d, y):
    """Walk every threshold; interpolate linearly where FAR − FRR changes sign."""
    pts = [_rates(d, y, t) for t in _candidates(d)]
    pts = [(far, 1 - tar) for far, tar in pts]
    for (f0, r0), (f1, r1) in zip(pts, pts[1:], strict=False):
        if f0 - r0 < 0 <= f1 - r1:
            w = (r0 - f0) / ((f1 - r1) - (f0 - r0))
            return f0 + w * (f1 - f0)
    raise AssertionError("no crossing")


def _tar_at_far_bruteforce(d, y, far):
    return max(tar for f, tar in (_rates(d, y, t) for t in _candidates(d)) if f <= far + 1e-12)


def _best_accuracy_bruteforce(d, y):
    u = sorted(set(d))
    cands = [-math.inf] + [(a + b) / 2 for a, b in zip(u, u[1:], strict=False)] + [math.inf]
    best = -1.0
    for t in cands:
        acc = sum((di <= t) == yi for di, yi in zip(d, y, strict=True)) / len(y)
        best = max(best, acc)
    return best


def _data(seed, n=40, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.5
    y[:2] = [True, False]
    d = rng.normal(1.0, 0.4, n) - 0.5 * y
    if ties:
        d = np.round(d, 1)
    return d, y


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("seed,ties", [(0, False), (1, True), (2, True)])
def test_roc_points_match_threshold_sweep(seed, ties):
    d, y = _data(seed, ties=ties)
    far, tar, thr = V.roc_curve(d, y)
    assert far[0] == tar[0] == 0 and far[-1] == tar[-1] == 1
    for f, t, th in zip(far, tar, thr, strict=True):
        assert (f, t) == pytest.approx(_rates(d, y, th))
    # every distinct distance gives one operating point
    assert len(thr) == len(set(d)) + 1


@pytest.mark.parametrize("seed", [0, 1])
def test_far_frr_matches_loop_at_every_roc_threshold(seed):
    d, y = _data(seed, ties=True)
    for t in _candidates(d)[1:-1]:
        far, tar = _rates(d, y, t)
        assert V.far_frr(d, y, t) == pytest.approx((far, 1 - tar))
        assert V.far_frr(-d, y, -t, kind="similarity") == pytest.approx((far, 1 - tar))
    t = float(_candidates(d)[2])
    for same_t in (np.float32(t), np.float64(t), torch.tensor(t, dtype=torch.float64)):  # every spelling of a number
        assert V.far_frr(d, y, same_t) == V.far_frr(d, y, t)
    assert V.far_frr(d, y, math.inf) == (1.0, 0.0)  # accept everything
    with pytest.raises(TypeError, match="threshold must be a real number, got str '0.5'"):
        V.far_frr(d, y, "0.5")
    with pytest.raises(TypeError, match="threshold must be a real number, got bool True"):
        V.far_frr(d, y, True)
    with pytest.raises(ValueError, match="threshold must be a number, got nan"):
        V.far_frr(d, y, math.nan)


def test_det_is_roc_with_frr():
    d, y = _data(3)
    far, tar, thr = V.roc_curve(d, y)
    far2, frr, thr2 = V.det_curve(d, y)
    np.testing.assert_allclose(frr, 1 - tar)
    np.testing.assert_array_equal(thr, thr2)


@pytest.mark.parametrize("seed,ties", [(0, False), (4, True)])
def test_auc_matches_pairwise_count(seed, ties):
    d, y = _data(seed, ties=ties)
    assert V.roc_auc_score(d, y) == pytest.approx(_auc_bruteforce(d, y))


@pytest.mark.parametrize("seed,ties", [(0, False), (1, True), (5, False), (6, True)])
def test_eer_matches_full_threshold_sweep(seed, ties):
    d, y = _data(seed, ties=ties)
    eer, thr = V.equal_error_rate(d, y)
    assert eer == pytest.approx(_eer_bruteforce(d, y))
    # the returned threshold is the achievable point with the smallest |FAR − FRR|
    far, tar = _rates(d, y, thr)
    gap = min(abs(f - (1 - t)) for f, t in (_rates(d, y, c) for c in sorted(set(d))))
    assert abs(far - (1 - tar)) == pytest.approx(gap)


def test_eer_hand_computed():
    # same: 0.1, 0.4   different: 0.3, 0.9. At t=0.3: FAR 1/2, FRR 1/2.
    assert V.equal_error_rate([0.1, 0.4, 0.3, 0.9], [1, 1, 0, 0]) == (0.5, 0.3)
    # perfectly separated: EER 0
    eer, thr = V.equal_error_rate([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])
    assert eer == 0.0 and 0.2 <= thr < 0.8
    # perfectly wrong: EER 1
    assert V.equal_error_rate([0.9, 0.8, 0.1], [1, 1, 0])[0] == 1.0


def test_similarity_kind_is_the_mirror_of_distance():
    d, y = _data(7, ties=True)
    for fn in (V.equal_error_rate, V.best_accuracy_threshold):
        a, ta = fn(d, y)
        b, tb = fn(-d, y, kind="similarity")
        assert a == pytest.approx(b) and ta == pytest.approx(-tb)
    assert V.roc_auc_score(d, y) == pytest.approx(V.roc_auc_score(-d, y, kind="similarity"))
    np.testing.assert_allclose(V.roc_curve(d, y)[1], V.roc_curve(-d, y, kind="similarity")[1])


@pytest.mark.parametrize("far", [0.05, 0.1, 0.3, 1.0])
def test_tar_at_far_matches_sweep(far):
    d, y = _data(8, n=80, ties=True)
    tar, thr = V.tar_at_far(d, y, far)
    assert tar == pytest.approx(_tar_at_far_bruteforce(d, y, far))
    f, t = _rates(d, y, thr)
    assert f <= far + 1e-12 and t == pytest.approx(tar)


def test_tar_at_far_hand_computed_and_warns_when_unreachable():
    d, y = [0.1, 0.2, 0.3, 0.9], [True, False, True, False]
    assert V.tar_at_far(d, y, 0.5) == (1.0, 0.3)
    with pytest.warns(UserWarning, match=r"below 1/2 .* smallest nonzero FAR"):
        tar, _ = V.tar_at_far(d, y, 0.1)
    assert tar == 0.5  # FAR = 0 is met by accepting only d <= 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        V.tar_at_far(d, y, 0.5)  # reachable: no warning


@pytest.mark.parametrize("seed,ties", [(0, False), (9, True), (10, True)])
def test_best_accuracy_matches_sweep(seed, ties):
    d, y = _data(seed, ties=ties)
    acc, thr = V.best_accuracy_threshold(d, y)
    assert acc == pytest.approx(_best_accuracy_bruteforce(d, y))
    assert acc == pytest.approx(np.mean((d <= thr) == y))
    assert thr not in set(d)  # midpoints never sit on a score


def test_best_accuracy_hand_computed():
    assert V.best_accuracy_threshold([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == (1.0, 0.5)
    # one same pair far away: best is 3/4 either way
    acc, _ = V.best_accuracy_threshold([0.1, 0.2, 0.8, 5.0], [1, 1, 0, 1])
    assert acc == 0.75


def _kfold_bruteforce(d, y, fold):
    accs = []
    for f in sorted(set(fold.tolist())):
        tr, te = fold != f, fold == f
        dd, yy = d[tr].tolist(), y[tr].tolist()
        u = sorted(set(dd))
        cands = [-math.inf] + [(a + b) / 2 for a, b in zip(u, u[1:], strict=False)] + [math.inf]
        best_t, best = None, -1
        for t in sorted(cands):  # strictest first, matching the documented tie rule
            acc = sum((di <= t) == yi for di, yi in zip(dd, yy, strict=True))
            if acc > best:
                best, best_t = acc, t
        accs.append(np.mean((d[te] <= best_t) == y[te]))
    return np.array(accs)


def test_kfold_with_given_folds_matches_loop():
    d, y = _data(11, n=60, ties=True)
    fold = np.arange(60) % 6
    res = V.kfold_accuracy(d, y, folds=fold)
    np.testing.assert_allclose(res.accuracies, _kfold_bruteforce(d, y, fold))
    assert res.mean == pytest.approx(res.accuracies.mean())
    assert res.std == pytest.approx(res.accuracies.std())
    assert "± " in str(res) and "6 folds" in str(res)


def test_kfold_default_folds_are_stratified_and_ten():
    d, y = _data(12, n=100)
    res = V.kfold_accuracy(d, y)
    assert len(res.accuracies) == 10 and res.thresholds.shape == (10,)
    perfect = V.kfold_accuracy(np.r_[np.zeros(20), np.ones(20)], np.r_[np.ones(20), np.zeros(20)])
    assert perfect.mean == 1.0 and perfect.std == 0.0  # contiguous but stratified: no one-class fold


def test_kfold_standard_error_is_lfw_s_e():
    # Huang et al. 2007: mu = sum p_i / 10, S_E = sigma / sqrt(10), sigma^2 = sum (p_i - mu)^2 / 9
    res = V.KFoldResult(np.array([0.9, 0.8, 1.0, 0.7, 0.9, 0.8, 1.0, 0.9, 0.6, 0.9]), np.zeros(10))
    mu = sum(res.accuracies) / 10
    sigma = math.sqrt(sum((p - mu) ** 2 for p in res.accuracies) / 9)
    assert res.standard_error == pytest.approx(sigma / math.sqrt(10))
    assert res.standard_error > res.std / math.sqrt(10)  # ddof=1, not the population std


def test_pair_distances():
    a = torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    b = torch.tensor([[3.0, 4.0], [0.0, 2.0]], dtype=torch.float64)
    torch.testing.assert_close(V.pair_distances(a, b), torch.tensor([5.0, math.sqrt(5)], dtype=torch.float64))
    torch.testing.assert_close(V.pair_distances(a, b, metric="sqeuclidean"), torch.tensor([25.0, 5.0], dtype=torch.float64))
    torch.testing.assert_close(V.pair_distances(b, b, metric="cosine"), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"a and b must have the same shape"):
        V.pair_distances(a, b[:1])
    with pytest.raises(ValueError, match=r"a must have shape \(N, D\), got \(2,\)"):
        V.pair_distances(a[0], b[0])
    with pytest.raises(ValueError, match="metric must be one of"):
        V.pair_distances(a, b, metric="manhattan")
    nan = b.clone()
    nan[1, 0] = math.nan
    for metric in ("euclidean", "sqeuclidean", "cosine"):  # NaN is refused, as by every distance
        with pytest.raises(ValueError, match="b must contain only finite values"):
            V.pair_distances(a, nan, metric=metric)
    with pytest.raises(TypeError, match="a must be a torch.Tensor.*got list"):
        V.pair_distances(a.tolist(), b)


def test_torch_inputs_are_accepted():
    d, y = _data(13)
    assert V.roc_auc_score(torch.tensor(d), torch.tensor(y)) == pytest.approx(V.roc_auc_score(d, y))


@pytest.mark.parametrize(
    "scores,is_same,match",
    [
        ([0.1, 0.2], [True], r"same length, got 2 and 1"),
        ([0.1, 0.2], [True, True], r"both same and different pairs, got 2 same and 0 different"),
        ([0.1, float("nan")], [True, False], r"finite, got 1 NaN"),
        ([0.1, 0.2], [0, 2], r"binary \(bool or 0/1\), got values such as \[2\]"),
        ([], [], r"scores must be a non-empty 1-D array of shape \(P,\), got shape \(0,\)"),
        ([[0.1, 0.2]], [[True, False]], r"scores must be a non-empty 1-D array of shape \(P,\), got shape \(1, 2\)"),
    ],
)
def test_bad_input_is_rejected(scores, is_same, match):
    for fn in (V.roc_curve, V.roc_auc_score, V.equal_error_rate, V.best_accuracy_threshold, V.kfold_accuracy):
        with pytest.raises(ValueError, match=match):
            fn(scores, is_same)


def test_bad_options_are_rejected():
    d, y = [0.1, 0.2, 0.3, 0.4], [1, 0, 1, 0]
    with pytest.raises(ValueError, match=r"kind must be one of \('distance', 'similarity'\), got 'score'"):
        V.roc_curve(d, y, kind="score")
    with pytest.raises(ValueError, match=r"far must be in \(0, 1\], got 0"):
        V.tar_at_far(d, y, 0)
    with pytest.raises(TypeError, match="far must be a real number"):
        V.tar_at_far(d, y, "0.1")
    with pytest.raises(ValueError, match="far must be a number in"):
        V.tar_at_far(d, y, 1.5)
    with pytest.raises(ValueError, match="far must be a finite number, got nan"):
        V.tar_at_far(d, y, float("nan"))
    with pytest.raises(ValueError, match=r"n_folds must be an int in \[2, 2\]"):
        V.kfold_accuracy(d, y, n_folds=10)
    with pytest.raises(ValueError, match="at least 2 folds"):
        V.kfold_accuracy(d, y, folds=[0, 0, 0, 0])
    with pytest.raises(ValueError, match="one entry per pair"):
        V.kfold_accuracy(d, y, folds=[0, 1])
    with pytest.raises(TypeError, match="integer fold ids"):
        V.kfold_accuracy(d, y, folds=[0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="outside fold 0 must contain both classes"):
        V.kfold_accuracy(d, y, folds=[0, 1, 0, 0])
    with pytest.raises(TypeError, match="scores must be real numbers"):
        V.roc_curve(["a", "b"], [1, 0])
