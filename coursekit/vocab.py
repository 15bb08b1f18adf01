"""Tokeniser and vocabulary for sentence classification (no torchtext: it is unmaintained).

A sentence becomes a list of tokens (``tokenize``, Kim 2014's ``clean_str``), a vocabulary maps
tokens to integer ids (``Vocab``: ``<pad>`` = 0, ``<unk>`` = 1, then words by falling frequency),
and a batch of id lists becomes one padded ``LongTensor`` of shape (N, L) (``pad_sequences``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import torch

from .validation import check_int

__all__ = ["PAD", "UNK", "PAD_ID", "UNK_ID", "clean_str", "tokenize", "Vocab", "pad_sequences"]

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1

# Kim's clean_str (github.com/yoonkim/CNN_sentence, process_data.py), in order. Kim's version
# replaces "(" by the two characters "\(" (an escaping slip); here brackets become plain tokens.
_RULES = [
    (re.compile(r"[^A-Za-z0-9(),!?'`]"), " "),
    # contractions split off the word: "can't" -> "ca n't", "it's" -> "it 's"
    *[(re.compile(c), " " + c) for c in ("'s", "'ve", "n't", "'re", "'d", "'ll")],
    # punctuation becomes a token of its own
    *[(re.compile(re.escape(c)), f" {c} ") for c in ",!()?"],
    (re.compile(r"\s{2,}"), " "),
]


def _check_text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return text


def clean_str(text: str) -> str:
    """Normalise one sentence as Kim (2014) did: keep letters, digits and ``(),!?'` ``, split clitics, lowercase.

    Parameters
    ----------
    text : str
        One sentence. Characters outside ``[A-Za-z0-9(),!?'`]`` (accents included) become spaces.

    Returns
    -------
    str
        Space-separated tokens, lower case, no leading/trailing space (``""`` for an empty line).

    Examples
    --------
    >>> clean_str("It isn't GREAT, is it?")
    "it is n't great , is it ?"
    """
    _check_text(text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text.strip().lower()


def tokenize(text: str) -> list[str]:
    """Split one sentence into tokens: ``clean_str(text).split()``.

    Parameters
    ----------
    text : str
        One sentence; an empty or punctuation-free-of-words line gives ``[]``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> tokenize("A splash -- even greater!")
    ['a', 'splash', 'even', 'greater', '!']
    """
    return clean_str(text).split()


class Vocab:
    """A token ↔ id table with ``<pad>`` = 0 and ``<unk>`` = 1.

    Parameters
    ----------
    itos : sequence of str
        Tokens in id order; must start with ``"<pad>", "<unk>"`` and hold no duplicates.
    tokenizer : callable, optional
        ``str -> list[str]`` used by ``encode`` (default ``tokenize``).

    Examples
    --------
    >>> v = Vocab.build(["a good film", "a bad film", "a film"])
    >>> v.itos, v.encode("a great film")
    (['<pad>', '<unk>', 'a', 'film', 'bad', 'good'], [2, 1, 3])
    """

    def __init__(self, itos: Sequence[str], *, tokenizer: Callable[[str], list[str]] = tokenize):
        itos = list(itos)
        if len(itos) < 2 or itos[0] != PAD or itos[1] != UNK:
            raise ValueError(f"itos must start with [{PAD!r}, {UNK!r}], got {itos[:2]!r}")
        bad = [t for t in itos if not isinstance(t, str)]
        if bad:
            raise TypeError(f"itos must hold str tokens, got {type(bad[0]).__name__}")
        if len(set(itos)) != len(itos):
            dupes = [t for t, c in Counter(itos).items() if c > 1]
            raise ValueError(f"itos must not repeat tokens, got duplicates {dupes[:5]!r}")
        if not callable(tokenizer):
            raise TypeError(f"tokenizer must be callable, got {type(tokenizer).__name__}")
        self.itos = itos
        self.stoi = {t: i for i, t in enumerate(itos)}
        self.tokenizer = tokenizer
        self.counts: Counter[str] | None = None  # token counts of the corpus, set by ``build``

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        *,
        min_freq: int = 1,
        max_size: int | None = None,
        tokenizer: Callable[[str], list[str]] = tokenize,
    ) -> Vocab:
        """Count the tokens of ``texts`` and keep those seen at least ``min_freq`` times.

        Ids are given by falling count, ties broken alphabetically, so the table is the same on
        every run. ``max_size`` caps the number of words (``<pad>``/``<unk>`` not counted).
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a list of sentences, got a single str")
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"min_freq must be an int >= 1, got {min_freq!r}")
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1):
            raise ValueError(f"max_size must be None or an int >= 1, got {max_size!r}")
        counts: Counter[str] = Counter()
        n_texts = 0
        for i, text in enumerate(texts):
            counts.update(tokenizer(_check_text(text, f"texts[{i}]")))
            n_texts += 1
        if n_texts == 0:
            raise ValueError("texts is empty: a vocabulary needs at least one sentence")
        if not counts:
            raise ValueError(f"texts has {n_texts} sentences but no tokens (all empty after tokenising)")
        words = sorted((w for w, c in counts.items() if c >= min_freq and w not in (PAD, UNK)),
                       key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[:max_size]
        vocab = cls([PAD, UNK, *words], tokenizer=tokenizer)
        vocab.counts = counts
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {self.itos[2:7]!r}...)"

    def encode(self, text: str) -> list[int]:
        """Token ids of one sentence; unknown tokens map to ``UNK_ID`` (1). ``""`` gives ``[]``."""
        return [self.stoi.get(t, UNK_ID) for t in self.tokenizer(_check_text(text))]

    def decode(self, ids: Sequence[int] | torch.Tensor) -> list[str]:
        """Tokens of a list of ids (padding included, so ``decode`` shows what the model saw)."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"ids must be 1-D, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self):
                raise ValueError(f"ids must be ints in [0, {len(self)}), got {i!r}")
            out.append(self.itos[i])
        return out

    def encode_batch(self, texts: Sequence[str], *, min_len: int = 1, max_len: int | None = None) -> torch.Tensor:
        """Encode and pad a list of sentences: ``pad_sequences([encode(t) for t in texts], ...)``.

        Returns a LongTensor of shape (N, L), L = max(min_len, longest sentence), cut at max_len.
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a list of sentences, got a single str")
        return pad_sequences([self.encode(t) for t in texts], min_len=min_len, max_len=max_len)


def pad_sequences(
    seqs: Sequence[Sequence[int]], *, min_len: int = 1, max_len: int | None = None, pad_id: int = PAD_ID
) -> torch.Tensor:
    """Stack id lists of different lengths into one tensor, padding on the right with ``pad_id``.

    Parameters
    ----------
    seqs : sequence of sequences of int
        N id lists; empty lists are allowed (an empty line becomes a row of padding).
    min_len : int
        Shortest row length: a CNN with filter width f needs L >= f.
    max_len : int, optional
        Longer sequences are cut to their first ``max_len`` ids.

    Returns
    -------
    LongTensor of shape (N, L)
        ``L = min(max_len, max(min_len, max_i len(seqs[i])))``; ``out[i, :len_i] = seqs[i]``, the rest ``pad_id``.

    Examples
    --------
    >>> pad_sequences([[5, 6, 7], [8]], min_len=4).tolist()
    [[5, 6, 7, 0], [8, 0, 0, 0]]
    """
    if isinstance(seqs, torch.Tensor) or not isinstance(seqs, Sequence) or isinstance(seqs, str):
        raise TypeError(f"seqs must be a list of id lists, got {type(seqs).__name__}")
    if len(seqs) == 0:
        raise ValueError("seqs is empty: need at least one sequence to pad")
    min_len = check_int(min_len, "min_len", minimum=1)
    pad_id = check_int(pad_id, "pad_id")
    if max_len is not None and (isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < min_len):
        raise ValueError(f"max_len must be None or an int >= min_len={min_len}, got {max_len!r}")
    for i, s in enumerate(seqs):
        if isinstance(s, (str, bytes)) or not isinstance(s, Sequence):
            raise TypeError(f"seqs[{i}] must be a list of ints, got {type(s).__name__}")
        if any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in s):
            raise ValueError(f"seqs[{i}] must hold non-negative int ids, got {list(s)[:8]!r}")
    return _pad_sequences(seqs, min_len, max_len, pad_id)


def _pad_sequences(seqs: Sequence[Sequence[int]], min_len: int, max_len: int | None, pad_id: int) -> torch.Tensor:
    length = max(min_len, max(len(s) for s in seqs))
    if max_len is not None:
        length = min(length, max_len)
    out = torch.full((len(seqs), length), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = list(s)[:length]
        if s:
            out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out
