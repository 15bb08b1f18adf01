import pytest
import torch
from torch import nn

from coursekit.models.text_cnn import MaxNorm, TextCNN, max_over_time


def _max_over_time_loop(x):
    n, c, length = x.shape
    out = torch.empty(n, c, dtype=x.dtype)
    for i in range(n):
        for j in range(c):
            best = x[i, j, 0]
            for t in range(1, length):
                best = torch.maximum(best, x[i, j, t])
            out[i, j] = best
    return out


def test_max_over_time_matches_a_loop_and_is_max_not_mean():
    x = torch.randn(3, 4, 7, generator=torch.Generator().manual_seed(0))
    assert torch.equal(max_over_time(x), _max_over_time_loop(x))
    assert max_over_time(torch.tensor([[[-3.0, -1.0, -2.0]]])).item() == -1.0


def test_max_over_time_gradient_goes_to_the_argmax_only():
    x = torch.randn(2, 3, 5, dtype=torch.float64, requires_grad=True, generator=torch.Generator().manual_seed(1))
    assert torch.autograd.gradcheck(max_over_time, (x,))
    max_over_time(x).sum().backward()
    assert torch.equal(x.grad.sum(-1), torch.ones(2, 3, dtype=torch.float64))
    assert torch.equal(x.grad.argmax(-1), x.detach().argmax(-1))


def test_text_cnn_shapes_follow_kims_architecture():
    m = TextCNN(vocab_size=100, n_classes=2)
    ids = torch.randint(0, 100, (4, 20))
    maps = m.features(ids)
    assert [tuple(f.shape) for f in maps] == [(4, 100, 18), (4, 100, 17), (4, 100, 16)]
    assert m(ids).shape == (4, 2)
    assert m.embedding.weight.shape == (100, 300) and m.fc.in_features == 300
    assert isinstance(m.dropout, nn.Dropout) and m.dropout.p == 0.5


def _text_cnn_bruteforce(m, ids):
    """Embedding lookup, then every filter applied at every position by explicit dot products."""
    emb = m.embedding.weight[ids]  # (N, L, E)
    pooled = []
    for conv in m.convs:
        f = conv.kernel_size[0]
        outs = []
        for t in range(ids.shape[1] - f + 1):
            window = emb[:, t : t + f, :]  # (N, f, E)
            outs.append(torch.einsum("nfe,cef->nc", window, conv.weight) + conv.bias)
        pooled.append(torch.relu(torch.stack(outs, -1)).amax(-1))
    return m.fc(torch.cat(pooled, 1))


def test_forward_in_eval_mode_matches_explicit_windows():
    torch.manual_seed(0)
    m = TextCNN(vocab_size=30, n_classes=3, embed_dim=6, n_maps=4).eval().double()
    ids = torch.randint(0, 30, (5, 9))
    torch.testing.assert_close(m(ids), _text_cnn_bruteforce(m, ids))


def test_padding_vector_is_zero_and_receives_no_gradient():
    m = TextCNN(vocab_size=20, embed_dim=8, n_maps=3)
    assert torch.equal(m.embedding.weight[0], torch.zeros(8))
    assert m.embedding.weight[1:].abs().max() <= 0.25
    m(torch.tensor([[0, 0, 5, 6, 0, 0]])).sum().backward()
    assert torch.equal(m.embedding.weight.grad[0], torch.zeros(8))


def test_max_norm_rescales_only_rows_that_are_too_long():
    w = nn.Parameter(torch.tensor([[3.0, 4.0], [0.3, 0.4]]))
    MaxNorm(w, 3.0).step()
    torch.testing.assert_close(w.data, torch.tensor([[1.8, 2.4], [0.3, 0.4]]))


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda m: m(torch.rand(2, 9)), TypeError, "ids must be int64 token ids, got torch.float32"),
        (lambda m: m(torch.zeros(9, dtype=torch.long)), ValueError, r"ids must have shape \(N, L\)"),
        (lambda m: m(torch.zeros(2, 4, dtype=torch.long)), ValueError, "at least L = 5 positions"),
        (lambda m: m(torch.full((1, 6), 50)), ValueError, r"ids must be in \[0, 50\), got min 50 max 50"),
        (lambda m: m([[1, 2, 3, 4, 5]]), TypeError, "ids must be a tensor, got list"),
        (lambda m: TextCNN(50, n_classes=1), ValueError, "n_classes must be an int >= 2, got 1"),
        (lambda m: TextCNN(50, widths=()), ValueError, "widths must be a non-empty sequence"),
        (lambda m: TextCNN(50, dropout=1.0), ValueError, r"dropout must be in \[0, 1\)"),
        (lambda m: max_over_time(torch.zeros(2, 3)), ValueError, r"x must have shape \(N, C, L\), got \(2, 3\)"),
        (lambda m: max_over_time(torch.zeros(2, 3, 0)), ValueError, "at least one time step"),
        (lambda m: MaxNorm(torch.zeros(3), 3.0), ValueError, "weight must be a 2-D tensor"),
        (lambda m: MaxNorm(torch.zeros(2, 3), 0.0), ValueError, "max_norm must be > 0"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call(TextCNN(50, embed_dim=4, n_maps=2))
