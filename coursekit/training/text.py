"""Training and evaluating Kim's CNN-rand on labelled sentences (MR in the course).

``holdout_split``/``kfold_splits`` give stratified, seeded splits; ``train_text_cnn`` builds the
vocabulary on the training sentences only, trains a ``TextCNN`` with
:func:`~coursekit.training.loop.fit` (Adadelta, batches of 50, l2 max-norm 3, as in Kim 2014)
and reports held-out accuracy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold, train_test_split
from torch import nn
from torch.nn import functional as F

from .. import config
from ..models.text_cnn import MaxNorm, TextCNN
from ..validation import (
    check_device,
    check_float,
    check_generator,
    check_int,
    check_labels,
    check_tensor,
)
from ..vocab import PAD_ID, Vocab
from .budget import TrainingBudget
from .classifier import TensorBatches, accuracy
from .loop import Run, fit

__all__ = ["TokenBatches", "holdout_split", "kfold_splits", "train_text_cnn"]


def _seed_from(generator: torch.Generator | None) -> int:
    """A seed for scikit-learn's splitters, drawn from ``generator`` (None: torch's default)."""
    return int(torch.randint(2**31 - 1, (1,), generator=check_generator(generator)))


def holdout_split(labels: torch.Tensor, test_fraction: float = 0.1, *,
                  generator: torch.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/test split of indices ``0..N-1`` (scikit-learn's ``train_test_split``).

    Parameters
    ----------
    labels : Tensor of shape (N,), integer
    test_fraction : float in (0, 1)
    generator : torch.Generator, optional
        Seeds the split; None uses torch's default generator.

    Returns
    -------
    train_idx, test_idx : sorted int arrays
        The class balance is kept in both.

    Examples
    --------
    >>> tr, te = holdout_split(torch.tensor([0, 1] * 10), 0.2, generator=torch.Generator().manual_seed(0))
    >>> len(tr), len(te)
    (16, 4)
    """
    check_labels(labels)
    test_fraction = check_float(test_fraction, "test_fraction")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    idx = np.arange(len(labels))
    tr, te = train_test_split(idx, test_size=test_fraction, random_state=_seed_from(generator),
                              stratify=labels.cpu().numpy())
    return np.sort(tr), np.sort(te)


def kfold_splits(labels: torch.Tensor, n_folds: int = 10, *,
                 generator: torch.Generator | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold splits (Kim used 10-fold CV on MR).

    Parameters
    ----------
    labels : Tensor of shape (N,), integer
    n_folds : int >= 2
    generator : torch.Generator, optional
        Seeds the shuffle; None uses torch's default generator.

    Returns
    -------
    list of (train_idx, test_idx)
        ``n_folds`` pairs of int arrays; the test parts partition ``0..N-1``.
    """
    check_labels(labels)
    n_folds = check_int(n_folds, "n_folds", minimum=2)
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=_seed_from(generator))
    return list(skf.split(np.zeros(len(labels)), labels.cpu().numpy()))


class TokenBatches(TensorBatches):
    """Re-iterable minibatches ``(ids[b], labels[b])``, reshuffled on every pass.

    Rows are right-padded with id 0; each batch is cut to its own longest sentence (at least
    ``min_len`` columns), which roughly halves the work on MR without changing any sentence.

    Parameters
    ----------
    ids : Tensor of shape (N, L), int64
    labels : Tensor of shape (N,), integer
    batch_size : int
    shuffle : bool
    generator : torch.Generator, optional
    min_len : int
    """

    def __init__(self, ids: torch.Tensor, labels: torch.Tensor, batch_size: int = 50, *,
                 shuffle: bool = True, generator: torch.Generator | None = None, min_len: int = 1):
        check_tensor(ids, "ids", ndim=2, shape="(N, L)")
        check_labels(labels, n=ids.shape[0])
        super().__init__(ids, labels, batch_size, shuffle=shuffle, generator=generator)
        self.min_len = check_int(min_len, "min_len", minimum=1)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for ids, labels in super().__iter__():
            # right padding: the non-pad count is each sentence's length
            width = max(self.min_len, int(ids.ne(PAD_ID).sum(1).max()))
            yield ids[:, :width], labels


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
    budget: TrainingBudget | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> Run:
    """Train CNN-rand on ``train_texts`` and measure accuracy on ``test_texts`` after every epoch.

    The vocabulary comes from the training sentences only (test words unseen in training map to
    ``<unk>``). Optimiser: Adadelta (ρ = 0.95, ε = 1e-6) as in Kim's code; loss: cross-entropy.

    Parameters
    ----------
    train_texts, test_texts : sequence of str, lengths N and M
    train_labels, test_labels : Tensor of shape (N,) and (M,), integer
    n_epochs, batch_size : int
    embed_dim, n_maps, widths, min_freq, max_norm
        See ``TextCNN``, ``Vocab.build`` and ``MaxNorm``.
    budget : TrainingBudget, optional
        Stop earlier after this many steps or seconds.
    generator : torch.Generator, optional
        Draws the minibatch order; None uses torch's default generator (which the weight
        initialisation and dropout use too).
    device : optional
        Default ``config.device()``.
    progress : bool

    Returns
    -------
    Run
        ``metrics``: ``test_accuracy`` (last epoch's, no early stopping on the test set);
        ``history.eval_metrics["test_accuracy"]``: the per-epoch curve; ``info``: ``vocab``,
        ``n_train``, ``n_test``.
    """
    if len(train_texts) == 0 or len(test_texts) == 0:
        raise ValueError(f"need training and test sentences, got {len(train_texts)} and {len(test_texts)}")
    check_labels(train_labels, "train_labels", n=len(train_texts))
    check_labels(test_labels, "test_labels", n=len(test_texts))
    train_labels, test_labels = train_labels.long(), test_labels.long()
    device = config.device() if device is None else check_device(device)
    widths = tuple(widths)
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
        model, TokenBatches(train_ids, train_labels, batch_size, generator=generator, min_len=min_len), step,
        optimizer, n_epochs=n_epochs, budget=budget, device=device, scheduler=MaxNorm(model.fc.weight, max_norm),
        eval_fn=lambda m: {"test_accuracy": accuracy(m, test_ids, test_labels)}, progress=progress, desc="CNN-rand",
    )
    model.eval()
    return Run(model, history, {"test_accuracy": history.eval_metrics["test_accuracy"][-1]},
               {"vocab": vocab, "n_train": len(train_texts), "n_test": len(test_texts)})
