"""Training and evaluating Kim's CNN-rand on labelled sentences (MR in the course).

``holdout_split``/``kfold_splits`` give stratified, seeded splits; ``train_text_cnn`` builds the
vocabulary on the training sentences only, trains a ``TextCNN`` with ``coursekit.train.fit``
(Adadelta, batches of 50, l2 max-norm 3, as in Kim 2014) and reports held-out accuracy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold, train_test_split
from torch import nn
from torch.nn import functional as F

from .classification import TensorBatches, accuracy, predict
from .models.text_cnn import MaxNorm, TextCNN
from .train import History, fit
from .vocab import PAD_ID, Vocab

__all__ = ["TokenBatches", "holdout_split", "kfold_splits", "predict", "accuracy", "TextCNNRun", "train_text_cnn"]


def _check_labels(labels: torch.Tensor, n: int | None = None) -> torch.Tensor:
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.long or labels.dim() != 1:
        raise ValueError(f"labels must be an int64 tensor of shape (N,), got {getattr(labels, 'dtype', type(labels).__name__)} "
                         f"{tuple(getattr(labels, 'shape', ()))}")
    if n is not None and labels.shape[0] != n:
        raise ValueError(f"labels has {labels.shape[0]} entries, expected {n} (one per sentence)")
    if labels.numel() == 0:
        raise ValueError("labels is empty: need at least one example")
    return labels


def holdout_split(labels: torch.Tensor, test_fraction: float = 0.1, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, stratified train/test split of indices ``0..N-1`` (sklearn's ``train_test_split``).

    Returns ``(train_idx, test_idx)``, sorted int arrays; the class balance is kept in both.

    Examples
    --------
    >>> tr, te = holdout_split(torch.tensor([0, 1] * 10), 0.2)
    >>> len(tr), len(te)
    (16, 4)
    """
    _check_labels(labels)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    idx = np.arange(len(labels))
    tr, te = train_test_split(idx, test_size=test_fraction, random_state=seed, stratify=labels.numpy())
    return np.sort(tr), np.sort(te)


def kfold_splits(labels: torch.Tensor, n_folds: int = 10, *, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded stratified k-fold splits (Kim used 10-fold CV on MR); a list of ``(train_idx, test_idx)``."""
    _check_labels(labels)
    if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 2:
        raise ValueError(f"n_folds must be an int >= 2, got {n_folds!r}")
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return list(skf.split(np.zeros(len(labels)), labels.numpy()))


class TokenBatches(TensorBatches):
    """Re-iterable minibatches ``(ids[b], labels[b])``, reshuffled on every pass with a seeded generator.

    Rows are right-padded with id 0; each batch is cut to its own longest sentence (at least
    ``min_len`` columns), which roughly halves the work on MR without changing any sentence.
    """

    def __init__(self, ids: torch.Tensor, labels: torch.Tensor, batch_size: int = 50, *,
                 shuffle: bool = True, generator: torch.Generator | None = None, min_len: int = 1):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
            raise ValueError(f"ids must be a tensor of shape (N, L), got {getattr(ids, 'shape', type(ids).__name__)}")
        _check_labels(labels, ids.shape[0])
        super().__init__(ids, labels, batch_size, shuffle=shuffle, generator=generator)
        self.min_len = min_len

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for ids, labels in super().__iter__():
            # right padding: the non-pad count is each sentence's length
            width = max(self.min_len, int(ids.ne(PAD_ID).sum(1).max()))
            yield ids[:, :width], labels


@dataclass
class TextCNNRun:
    """What ``train_text_cnn`` produced: the model, its vocabulary, the history and the test accuracy."""

    model: TextCNN
    vocab: Vocab
    history: History
    test_accuracy: float
    n_train: int
    n_test: int


def train_text_cnn(
    train_texts: Sequence[str],
    train_labels: torch.Tensor,
    test_texts: Sequence[str],
    test_labels: torch.Tensor,
    *,
    n_epochs: int = 25,
    batch_size: int = 50,
    embed_dim: int = 300,
    n_maps: int = 100,
    widths: Sequence[int] = (3, 4, 5),
    min_freq: int = 1,
    max_norm: float = 3.0,
    seed: int = 0,
    max_seconds: float | None = None,
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> TextCNNRun:
    """Train CNN-rand on ``train_texts`` and measure accuracy on ``test_texts`` after every epoch.

    The vocabulary comes from the training sentences only (test words unseen in training map to
    ``<unk>``). Optimiser: Adadelta (ρ = 0.95, ε = 1e-6) as in Kim's code; loss: cross-entropy.
    ``history.eval_metrics["test_accuracy"]`` holds the per-epoch curve; ``test_accuracy`` is the
    last epoch's (no early stopping on the test set).
    """
    if len(train_texts) == 0 or len(test_texts) == 0:
        raise ValueError(f"need training and test sentences, got {len(train_texts)} and {len(test_texts)}")
    _check_labels(train_labels, len(train_texts))
    _check_labels(test_labels, len(test_texts))
    with torch.random.fork_rng(devices=[]):  # initialisation and dropout use the global RNG: seed it, then restore it
        torch.manual_seed(seed)
        return _train_text_cnn(train_texts, train_labels, test_texts, test_labels, n_epochs, batch_size, embed_dim,
                               n_maps, tuple(widths), min_freq, max_norm, seed, max_seconds, device, progress)


def _train_text_cnn(train_texts, train_labels, test_texts, test_labels, n_epochs, batch_size, embed_dim, n_maps,
                    widths, min_freq, max_norm, seed, max_seconds, device, progress) -> TextCNNRun:
    generator = torch.Generator().manual_seed(seed)
    vocab = Vocab.build(train_texts, min_freq=min_freq)
    min_len = max(widths)
    train_ids = vocab.encode_batch(train_texts, min_len=min_len)
    test_ids = vocab.encode_batch(test_texts, min_len=min_len)
    n_classes = int(max(train_labels.max(), test_labels.max())) + 1
    model = TextCNN(len(vocab), max(n_classes, 2), embed_dim=embed_dim, widths=widths, n_maps=n_maps).to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-6)

    def step(m: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]):
        ids, y = batch
        logits = m(ids)
        return F.cross_entropy(logits, y), {"accuracy": (logits.argmax(1) == y).float().mean()}

    history = fit(
        model, TokenBatches(train_ids, train_labels, batch_size, generator=generator, min_len=min_len), step, optimizer,
        n_epochs=n_epochs, max_seconds=max_seconds, device=device, scheduler=MaxNorm(model.fc.weight, max_norm),
        eval_fn=lambda m: {"test_accuracy": accuracy(m, test_ids, test_labels)}, progress=progress, desc="CNN-rand",
    )
    return TextCNNRun(model, vocab, history, history.eval_metrics["test_accuracy"][-1], len(train_texts), len(test_texts))
