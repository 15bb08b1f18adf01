"""Kim (2014)'s CNN for sentence classification (arXiv 1408.5882), the CNN-rand variant.

ids (N, L) → embedding (N, L, E) → transpose to (N, E, L) → for each width f in (3, 4, 5):
Conv1d(E, 100, f) + ReLU → (N, 100, L − f + 1) → max over time → (N, 100); concatenate
(N, 300) → dropout 0.5 → Linear(300, n_classes). The word vectors start random and are learned.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["max_over_time", "TextCNN", "MaxNorm"]


def max_over_time(x: torch.Tensor) -> torch.Tensor:
    """Max-over-time pooling (Collobert et al. 2011; Kim 2014): the largest value of each feature map.

    Parameters
    ----------
    x : Tensor of shape (N, C, L)
        C feature maps over L positions.

    Returns
    -------
    Tensor of shape (N, C)
        ``ĉ[n, c] = max_t x[n, c, t]`` — one number per map, whatever the sentence length.

    Examples
    --------
    >>> max_over_time(torch.tensor([[[1., 5., 2.], [0., -1., 3.]]]))
    tensor([[5., 3.]])
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    if x.dim() != 3:
        raise ValueError(f"x must have shape (N, C, L), got {tuple(x.shape)}")
    if x.shape[-1] == 0:
        raise ValueError(f"x must have at least one time step, got shape {tuple(x.shape)}")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError("x must contain only finite values, got NaN or inf (the max would hide or be them)")
    return _max_over_time(x)


def _max_over_time(x: torch.Tensor) -> torch.Tensor:
    return x.amax(dim=-1)


class TextCNN(nn.Module):
    """Embedding → parallel Conv1d (one per width) + ReLU → max over time → dropout → linear.

    Parameters
    ----------
    vocab_size : int
        Rows of the embedding table; id 0 is padding (its vector is fixed at zero, as in Kim's code).
    n_classes : int
        Output logits (2 for MR).
    embed_dim : int
        Word vector size E (Kim: 300).
    widths : sequence of int
        Filter widths (Kim: 3, 4, 5); a sentence must have at least ``max(widths)`` positions.
    n_maps : int
        Feature maps per width (Kim: 100).
    dropout : float
        Dropout rate on the pooled features (Kim: 0.5).

    Examples
    --------
    >>> TextCNN(vocab_size=50, n_classes=2)(torch.randint(0, 50, (4, 9))).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        vocab_size: int,
        n_classes: int = 2,
        *,
        embed_dim: int = 300,
        widths: Sequence[int] = (3, 4, 5),
        n_maps: int = 100,
        dropout: float = 0.5,
    ):
        super().__init__()
        for name, value, low in (("vocab_size", vocab_size, 3), ("n_classes", n_classes, 2),
                                 ("embed_dim", embed_dim, 1), ("n_maps", n_maps, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        widths = tuple(widths)
        if not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"widths must be a non-empty sequence of ints >= 1, got {widths!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.widths = widths
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        # Kim's CNN-rand draws word vectors from U[-0.25, 0.25]; the padding vector stays zero
        nn.init.uniform_(self.embedding.weight, -0.25, 0.25)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, n_maps, w) for w in widths)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(n_maps * len(widths), n_classes)

    def features(self, ids: torch.Tensor) -> list[torch.Tensor]:
        """The ReLU feature maps before pooling.

        Parameters
        ----------
        ids : Tensor of int64, shape (N, L)
            Token ids in [0, vocab_size), L >= max(widths).

        Returns
        -------
        list of Tensor
            One (N, n_maps, L − f + 1) tensor per filter width f.
        """
        self._check_ids(ids)
        x = self.embedding(ids).transpose(1, 2)  # (N, L, E) -> (N, E, L): Conv1d wants channels first
        return [torch.relu(conv(x)) for conv in self.convs]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Class logits of sentences.

        Parameters
        ----------
        ids : Tensor of int64, shape (N, L)
            Token ids in [0, vocab_size), 0 = padding, L >= max(widths).

        Returns
        -------
        Tensor of shape (N, n_classes)
        """
        pooled = torch.cat([_max_over_time(c) for c in self.features(ids)], dim=1)  # (N, n_maps * n_widths)
        return self.fc(self.dropout(pooled))

    def _check_ids(self, ids: torch.Tensor) -> None:
        if not isinstance(ids, torch.Tensor):
            raise TypeError(f"ids must be a tensor, got {type(ids).__name__}")
        if ids.dtype != torch.long:
            raise TypeError(f"ids must be int64 token ids, got {ids.dtype}")
        if ids.dim() != 2 or ids.shape[0] == 0:
            raise ValueError(f"ids must have shape (N, L) with N >= 1, got {tuple(ids.shape)}")
        if ids.shape[1] < max(self.widths):
            raise ValueError(
                f"ids must have at least L = {max(self.widths)} positions (the widest filter), "
                f"got L = {ids.shape[1]}; pad with min_len={max(self.widths)}"
            )
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.embedding.num_embeddings):
            raise ValueError(
                f"ids must be in [0, {self.embedding.num_embeddings}), got min {int(ids.min())} max {int(ids.max())}"
            )


class MaxNorm:
    """Kim's l2 constraint: after each update, rescale each row of ``weight`` to norm ≤ ``max_norm``.

    ``w_i ← w_i · min(1, s / ‖w_i‖₂)`` with s = 3 in the paper. It has a ``step()`` so that
    ``coursekit.training.fit(..., scheduler=MaxNorm(model.fc.weight))`` applies it after every step.

    Parameters
    ----------
    weight : Tensor of shape (out, in)
        The weight to constrain (Kim: the last layer's), changed in place.
    max_norm : float
        s, the largest L2 norm a row may keep.

    Examples
    --------
    >>> w = nn.Parameter(torch.full((2, 4), 3.0)); MaxNorm(w, 3.0).step()
    >>> round(w.norm(dim=1)[0].item(), 4)
    3.0
    """

    def __init__(self, weight: torch.Tensor, max_norm: float = 3.0):
        if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
            raise ValueError(f"weight must be a 2-D tensor (out, in), got {getattr(weight, 'shape', type(weight).__name__)}")
        if not max_norm > 0:
            raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
        self.weight = weight
        self.max_norm = float(max_norm)

    def step(self) -> None:
        """Rescale, in place, every row of ``weight`` whose norm exceeds ``max_norm``."""
        with torch.no_grad():
            self.weight.copy_(torch.renorm(self.weight, p=2, dim=0, maxnorm=self.max_norm))
