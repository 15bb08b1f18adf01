"""coursekit.training.text: splits, token batches, Kim's CNN-rand."""

import numpy as np
import pytest
import torch

from coursekit.training.classifier import accuracy, predict
from coursekit.training.text import TokenBatches, holdout_split, kfold_splits, train_text_cnn
from coursekit.vocab import pad_sequences


def test_holdout_split_is_seeded_stratified_and_disjoint():
    labels = torch.tensor([0] * 60 + [1] * 40)
    tr, te = holdout_split(labels, 0.1, generator=torch.Generator().manual_seed(3))
    assert len(te) == 10 and len(tr) == 90 and not set(tr) & set(te)
    assert labels[te].sum().item() == 4  # 40 % positives in the test part too
    tr2, te2 = holdout_split(labels, 0.1, generator=torch.Generator().manual_seed(3))
    assert np.array_equal(te, te2)
    _, te3 = holdout_split(labels, 0.1, generator=torch.Generator().manual_seed(4))
    assert not np.array_equal(te, te3)
    torch.manual_seed(3)  # None: torch's default generator
    assert np.array_equal(holdout_split(labels.int(), 0.1)[1], te)


def test_kfold_tests_every_index_exactly_once():
    labels = torch.tensor([0, 1] * 25)
    folds = kfold_splits(labels, 5, generator=torch.Generator().manual_seed(0))
    tested = np.sort(np.concatenate([te for _, te in folds]))
    assert np.array_equal(tested, np.arange(50))
    assert all(len(set(tr) & set(te)) == 0 for tr, te in folds)


def test_token_batches_cover_everything_and_cut_each_batch_to_its_longest_sentence():
    seqs = [[2] * n for n in (1, 7, 3, 2, 5, 4, 6)]
    ids = pad_sequences(seqs, min_len=3)
    labels = torch.arange(7)
    batches = list(TokenBatches(ids, labels, 3, generator=torch.Generator().manual_seed(0), min_len=3))
    assert len(batches) == 3
    seen = torch.cat([y for _, y in batches]).sort().values
    assert torch.equal(seen, labels)
    for x, y in batches:
        longest = max(3, max(len(seqs[i]) for i in y.tolist()))  # brute force: from the original lists
        assert x.shape == (len(y), longest)
        for row, i in zip(x, y.tolist(), strict=True):
            assert row[: len(seqs[i])].tolist() == seqs[i] and row[len(seqs[i]) :].eq(0).all()


def test_cnn_rand_learns_a_word_that_decides_the_label():
    g = torch.Generator().manual_seed(0)
    filler = ["the", "film", "plot", "actors", "story", "was", "really", "quite"]

    def sentences(n, offset):
        out, labels = [], []
        for i in range(n):
            words = [filler[int(j)] for j in torch.randint(0, len(filler), (6,), generator=g)]
            label = (i + offset) % 2
            words.insert(int(torch.randint(0, 6, (), generator=g)), "great" if label else "dull")
            out.append(" ".join(words))
            labels.append(label)
        return out, torch.tensor(labels)

    tr_x, tr_y = sentences(80, 0)
    te_x, te_y = sentences(20, 1)
    torch.manual_seed(0)
    run = train_text_cnn(tr_x, tr_y, te_x, te_y, n_epochs=6, batch_size=10, embed_dim=16, n_maps=8, progress=False,
                         device="cpu", generator=torch.Generator().manual_seed(0))
    assert run.metrics["test_accuracy"] == 1.0
    assert run.history.eval_metrics["test_accuracy"][-1] == run.metrics["test_accuracy"]
    assert "great" in run.info["vocab"] and run.info["n_train"] == 80 and run.info["n_test"] == 20
    ids = run.info["vocab"].encode_batch(te_x, min_len=5)
    assert accuracy(run.model, ids, te_y) == 1.0
    assert torch.equal(predict(run.model, ids, batch_size=7), te_y)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: holdout_split(torch.tensor([0, 1] * 5), 1.5), ValueError, r"test_fraction must be in \(0, 1\)"),
        (lambda: holdout_split(torch.tensor([0.0, 1.0]), 0.5), TypeError, "labels must be an integer tensor"),
        (lambda: holdout_split(torch.tensor([0, 1] * 5), 0.5, generator=1), TypeError, "generator must be a torch.Generator"),
        (lambda: kfold_splits(torch.tensor([0, 1] * 5), 1), ValueError, "n_folds must be an int >= 2, got 1"),
        (lambda: TokenBatches(torch.zeros(3, 4, dtype=torch.long), torch.zeros(2, dtype=torch.long)),
         ValueError, r"labels must have 3 entries"),
        (lambda: TokenBatches(torch.zeros(3, 4, dtype=torch.long), torch.zeros(3, dtype=torch.long), 0),
         ValueError, "batch_size must be an int >= 1, got 0"),
        (lambda: train_text_cnn([], torch.zeros(0, dtype=torch.long), ["a"], torch.zeros(1, dtype=torch.long)),
         ValueError, "need training and test sentences, got 0 and 1"),
        (lambda: train_text_cnn(["a b"], torch.tensor([0, 1]), ["a"], torch.zeros(1, dtype=torch.long)),
         ValueError, r"train_labels must have 1 entries"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
