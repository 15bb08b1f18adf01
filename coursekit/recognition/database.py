"""``FaceDatabase``: enroll people's embeddings, verify a claim, identify with "not recognized".

Distances are Euclidean, ``d(p, g) = ‖p − g‖₂``; a person's distance to a probe is the
smallest distance over that person's enrolled embeddings (nearest neighbour). A decision
accepts when ``d <= threshold`` (the conventions of :mod:`coursekit.verification`).
For cosine-style matching, L2-normalise embeddings first: for unit vectors ‖a − b‖² = 2 − 2 a·b.

Search is a plain float32 scan: ranking gallery rows g by distance to a probe p needs only
``s(g) = ‖g‖² − 2 p·g`` (``‖p‖²`` is the same for every row), one ``addmm`` over the gallery
with ``‖g‖²`` computed once per gallery. The rows whose score is within the scan's rounding
bound of the k-th best are then re-ranked with their float32 ``‖p − g‖``, so the answer is the
one a loop over every row would give. ``backend="faiss"`` takes the candidate rows from
``faiss.IndexFlatL2`` instead (the optional ``faiss-cpu`` package).

Saved databases are one ``.safetensors`` file (no pickle): tensors ``embeddings`` (M, D)
float32 and ``owner`` (M,) int64, and a JSON string in the header's metadata with the names and
a SHA-256 of the content. Loading checks all of it before building anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from ..distances import cross_distances
from ..validation import check_choice, check_float, check_int, check_tensor, describe

__all__ = ["FaceDatabase"]

_FORMAT = "coursekit.FaceDatabase"
_VERSION = 1
_BLOCK = 1 << 24  # elements per intermediate tensor when searching many probes at once
_U = 2.0**-24  # unit roundoff of float32
# the largest squared norm an embedding may have: ‖p − g‖² <= 2‖p‖² + 2‖g‖² then stays finite in float32
_MAX_SQNORM = torch.finfo(torch.float32).max / 4
Backend = Literal["torch", "faiss"]


def _digest(emb: torch.Tensor, owner: torch.Tensor, names: list[str]) -> str:
    h = hashlib.sha256()
    h.update(emb.contiguous().numpy().tobytes())
    h.update(owner.contiguous().numpy().tobytes())
    h.update(json.dumps(names).encode())
    return h.hexdigest()


class FaceDatabase:
    """A gallery of enrolled people, each with one or more embeddings of dimension D.

    Parameters
    ----------
    dim : int >= 1, optional
        Embedding dimension; fixed by the first enrollment when not given.

    Examples
    --------
    >>> db = FaceDatabase(); db.enroll("ada", torch.tensor([0.0, 1.0]))
    >>> db.identify(torch.tensor([0.0, 0.5]), threshold=0.6), db.identify(torch.tensor([3.0, 1.0]), threshold=0.6)
    (('ada', 0.5), (None, 3.0))
    """

    def __init__(self, dim: int | None = None) -> None:
        if dim is not None:
            dim = check_int(dim, "dim", minimum=1)
        self._dim = dim
        self._set(torch.empty(0, dim or 0), torch.empty(0, dtype=torch.int64), [])

    # ------------------------------------------------------------------ bookkeeping
    @property
    def names(self) -> list[str]:
        """Enrolled names, in enrollment order (a copy)."""
        return list(self._names)

    @property
    def dim(self) -> int | None:
        """Embedding dimension D (None until the first enrollment when not given)."""
        return self._dim

    @property
    def embeddings(self) -> torch.Tensor:
        """All enrolled embeddings, shape (M, D), float32 (read-only view; do not modify)."""
        return self._emb

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __repr__(self) -> str:
        return f"FaceDatabase({len(self)} people, {self._emb.shape[0]} embeddings, dim={self._dim})"

    def _check_embeddings(self, x, name: str) -> torch.Tensor:
        """(D,) or (N, D) floating point -> (N, D) float32, finite *after* the conversion."""
        check_tensor(x, name, ndim=(1, 2), shape="(D,) or (N, D)", floating=True)
        if x.dim() == 1:
            x = x[None]
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{name} must have shape (D,) or (N, D) with N, D >= 1, got {tuple(x.shape)}")
        if self._dim is not None and x.shape[1] != self._dim:
            raise ValueError(f"{name} must have dimension D={self._dim} like the database, got {x.shape[1]}")
        x = x.detach().to(device=self._emb.device, dtype=torch.float32)  # 1e300 in float64 becomes inf here
        check_tensor(x, f"{name} (as float32)", finite=True)
        sq = x.pow(2).sum(1)
        if not bool((sq <= _MAX_SQNORM).all()):
            raise ValueError(
                f"{name} has a row of norm {float(sq.max().sqrt()):.3g}, too large for float32 distances "
                f"(at most {_MAX_SQNORM ** 0.5:.3g}); normalise the embeddings first"
            )
        return x

    def _person(self, name) -> int:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {describe(name)}")
        try:
            return self._names.index(name)
        except ValueError:
            shown = ", ".join(map(repr, self._names[:5])) + (" ..." if len(self) > 5 else "")
            raise ValueError(f"{name!r} is not enrolled; enrolled: [{shown}]") from None

    def _set(self, emb: torch.Tensor, owner: torch.Tensor, names: list[str]) -> None:
        self._emb, self._owner, self._names = emb, owner, names
        self._most = int(torch.bincount(owner).max()) if len(owner) else 0  # most embeddings of one person
        self._sqnorm = emb.pow(2).sum(1)  # ‖g‖², once per gallery: every scan and distances() use it
        # an upper bound on max ‖g‖ from float32 ‖g‖² (whose rounding is at most D u relative)
        self._gmax = (float(self._sqnorm.max()) * (1 + 2 * emb.shape[1] * _U)) ** 0.5 * (1 + _U) if len(emb) else 0.0
        self._faiss_index = None  # built on first use, dropped whenever the gallery changes

    # ------------------------------------------------------------------ enroll / remove
    def enroll(
        self, name: str, embeddings: torch.Tensor,
        *, if_exists: Literal["error", "append", "replace"] = "error",
    ) -> None:
        """Enroll ``name`` with embeddings of shape (D,) (one-shot) or (N, D).

        Re-enrolling an enrolled name raises unless ``if_exists`` is ``"append"`` (add these
        embeddings to that person's) or ``"replace"`` (drop the old ones first).

        Parameters
        ----------
        name : str, not blank
        embeddings : Tensor of shape (D,) or (N, D), floating point, finite as float32
        if_exists : {"error", "append", "replace"}
        """
        _check_name(name, "name")
        check_choice(if_exists, "if_exists", ("error", "append", "replace"))
        x = self._check_embeddings(embeddings, "embeddings")
        if name in self._names:
            if if_exists == "error":
                raise ValueError(f"{name!r} is already enrolled; pass if_exists='append' or 'replace'")
            if if_exists == "replace":
                self.remove(name)
        self._append([name] * x.shape[0], x)

    def enroll_many(self, names: Sequence[str], embeddings: torch.Tensor) -> None:
        """Enroll row i of ``embeddings`` (N, D) under ``names[i]`` in one step (names may repeat).

        Names not yet enrolled are added in order of first appearance; rows for an enrolled
        name are appended to that person's embeddings.

        Parameters
        ----------
        names : sequence of N str (a list or tuple, not one str)
        embeddings : Tensor of shape (N, D), floating point, finite as float32
        """
        x = self._check_embeddings(embeddings, "embeddings")
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise TypeError(f"names must be a list or tuple of {x.shape[0]} names, got {describe(names)}")
        if len(names) != x.shape[0]:
            raise ValueError(f"names must hold {x.shape[0]} names (one per row), got {len(names)}")
        for n in names:
            _check_name(n, "every name")
        self._append(list(names), x)

    def _append(self, names: list[str], x: torch.Tensor) -> None:
        new = list(self._names)
        index = {n: i for i, n in enumerate(new)}
        owner = []
        for n in names:
            if n not in index:
                index[n] = len(new)
                new.append(n)
            owner.append(index[n])
        self._dim = x.shape[1]
        emb = torch.cat([self._emb.reshape(-1, self._dim), x])
        own = torch.cat([self._owner, torch.tensor(owner, dtype=torch.int64, device=x.device)])
        self._set(emb, own, new)

    def remove(self, name: str) -> None:
        """Remove a person and all their embeddings.

        Parameters
        ----------
        name : str
            An enrolled name.
        """
        k = self._person(name)
        keep = self._owner != k
        owner = self._owner[keep]
        self._set(self._emb[keep], owner - (owner > k).long(), self._names[:k] + self._names[k + 1:])

    # ------------------------------------------------------------------ matching
    def distances(self, probes: torch.Tensor) -> torch.Tensor:
        """Distance from each probe to each person, ``min_m ‖p − g_m‖`` over the person's embeddings.

        One matrix product (:func:`coursekit.distances.cross_distances` with the gallery's cached
        ``‖g‖²``), then a per-person minimum.

        Parameters
        ----------
        probes : Tensor of shape (D,) or (P, D), floating point

        Returns
        -------
        Tensor of shape (P, K), float32
            Column j is the person ``names[j]``.
        """
        p = self._check_probes(probes)
        d2 = cross_distances(p, self._emb, squared=True, b_squared_norms=self._sqnorm)  # (P, M)
        if d2.shape[1] != len(self):  # someone has several embeddings: keep each person's nearest
            per = torch.full((p.shape[0], len(self)), torch.inf, device=p.device)
            d2 = per.scatter_reduce_(1, self._owner.expand_as(d2), d2, "amin")
        return d2.sqrt_()

    def _check_probes(self, probes) -> torch.Tensor:
        if len(self) == 0:
            raise ValueError("the database is empty: enroll someone first")
        return self._check_embeddings(probes, "embedding")

    def verify(self, embedding: torch.Tensor, name: str, threshold: float) -> tuple[bool, float]:
        """Is ``embedding`` the enrolled person ``name``?

        Parameters
        ----------
        embedding : Tensor of shape (D,), floating point
        name : str
            An enrolled name.
        threshold : float >= 0
            Accept when the distance is at most this (``inf`` accepts everyone).

        Returns
        -------
        accepted : bool
            ``distance <= threshold``.
        distance : float
            The smallest ``‖embedding − g‖`` over the person's embeddings.
        """
        k = self._person(name)
        t = _check_threshold(threshold)
        p = self._check_embeddings(embedding, "embedding")
        if p.shape[0] != 1:
            raise ValueError(f"embedding must be one embedding of shape (D,), got {tuple(embedding.shape)}")
        mine = self._emb[self._owner == k]
        d = float((mine - p).pow(2).sum(1).min().sqrt())
        return d <= t, d

    def identify(self, embedding: torch.Tensor, threshold: float) -> tuple[str | None, float]:
        """The nearest enrolled person to one probe, or "not recognized".

        Parameters
        ----------
        embedding : Tensor of shape (D,), floating point
        threshold : float >= 0

        Returns
        -------
        name : str or None
            The nearest person, or None when even the nearest is farther than ``threshold``.
        distance : float
            The distance to the nearest person.
        """
        if isinstance(embedding, torch.Tensor) and embedding.dim() != 1:
            raise ValueError(f"embedding must have shape (D,); use identify_batch for (P, D), got {tuple(embedding.shape)}")
        names, dist = self.identify_batch(embedding, threshold)
        return names[0], float(dist[0])

    def identify_batch(
        self, probes: torch.Tensor, threshold: float, *, backend: Backend = "torch",
    ) -> tuple[list[str | None], torch.Tensor]:
        """Identify many probes at once.

        Parameters
        ----------
        probes : Tensor of shape (P, D) or (D,), floating point
        threshold : float >= 0
        backend : {"torch", "faiss"}
            See :meth:`top_k`.

        Returns
        -------
        names : list of P (str or None)
            None means "not recognized" (nearest distance > ``threshold``).
        distances : Tensor of shape (P,), float32
            The distance to each probe's nearest person.
        """
        t = _check_threshold(threshold)
        names, dist = self.top_k(probes, k=1, backend=backend)
        return [n[0] if d[0] <= t else None for n, d in zip(names, dist.tolist(), strict=True)], dist[:, 0]

    def top_k(
        self, probes: torch.Tensor, k: int = 5, *, backend: Backend = "torch",
    ) -> tuple[list[list[str]], torch.Tensor]:
        """The k nearest people to each probe, nearest first.

        Exact: the answer is that of computing ``‖p − g‖²`` in float32 for every enrolled row
        (ties go to the earlier-enrolled person). ``backend="torch"`` scans the gallery with one
        float32 ``addmm`` (``‖g‖² − 2 p·g`` with ``‖g‖²`` cached) and re-ranks the rows within the
        scan's rounding bound of the k-th best; ``"faiss"`` takes the candidate rows from
        ``faiss.IndexFlatL2`` (``pip install faiss-cpu``; its candidates are not certified).
        Probes are processed in blocks, so P may be large.

        Parameters
        ----------
        probes : Tensor of shape (P, D) or (D,), floating point
        k : int in [1, number of people]
        backend : {"torch", "faiss"}

        Returns
        -------
        names : list of P lists of k str
        distances : Tensor of shape (P, k), float32, increasing along each row
        """
        k = check_int(k, "k", minimum=1, maximum=max(len(self), 1))
        check_choice(backend, "backend", ("torch", "faiss"))
        p = self._check_probes(probes)
        # the k nearest people's best embeddings are among the k * (most per person) nearest rows
        n_best = min(self._emb.shape[0], k * self._most)
        names, dists = [], []
        for chunk in p.split(max(1, _BLOCK // self._emb.shape[0])):
            if backend == "faiss":
                rows = self._faiss_rows(chunk, n_best).sort(dim=1).values
            else:
                rows = self._candidate_rows(chunk, n_best)
            step = max(1, _BLOCK // (rows.shape[1] * self._dim))  # probes per (step, n, D) difference
            for i in range(0, len(chunk), step):
                idx, dist = self._rerank(chunk[i:i + step], rows[i:i + step], k)
                names += [[self._names[j] for j in row] for row in idx.tolist()]
                dists.append(dist)
        return names, torch.cat(dists)

    def _candidate_rows(self, p: torch.Tensor, n_best: int) -> torch.Tensor:
        """Rows (P, n), increasing, that can be among the n_best nearest: score <= t + 2B.

        ``t`` is the n_best-th smallest scanned score ``ŝ = ‖g‖² − 2 p·g`` and B bounds the
        float32 rounding of the scan and of the re-rank, ``4 (D + 8) u (‖p‖ + max‖g‖)²`` (a
        generous multiple of the ``D u`` error of a length-D dot product, IEEE float32 products
        assumed). A row with ``ŝ > t + 2B`` is strictly farther than n_best others.
        """
        approx = torch.addmm(self._sqnorm, p, self._emb.T, alpha=-2.0)  # (P, M)
        bound = 4 * (self._dim + 8) * _U * (p.double().norm(dim=1, keepdim=True) + self._gmax) ** 2
        if n_best == 1:
            t = approx.amin(dim=1, keepdim=True)
        else:
            t = torch.topk(approx, n_best, dim=1, largest=False).values[:, -1:]
        keep = approx <= t + 2 * bound.float()
        if approx.shape[0] == 1:
            return keep[0].nonzero().T
        n = int(keep.sum(dim=1).max())
        return torch.topk(approx, n, dim=1, largest=False).indices.sort(dim=1).values

    def _rerank(self, p: torch.Tensor, rows: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact float32 ‖p − g‖² of the candidate rows (P, n), increasing; stable sorts break ties by index."""
        d2 = (p[:, None, :] - self._emb[rows]).pow(2).sum(-1)  # (P, n)
        if self._most == 1:  # one embedding per person: rows are people, in enrollment order
            order = torch.sort(d2, dim=1, stable=True).indices[:, :k]
            return self._owner[rows.gather(1, order)], d2.gather(1, order).sqrt_()
        per = torch.full((p.shape[0], len(self)), torch.inf, device=p.device)
        per.scatter_reduce_(1, self._owner[rows], d2, "amin")
        d2, idx = torch.sort(per, dim=1, stable=True)
        return idx[:, :k], d2[:, :k].sqrt_()

    def _faiss_rows(self, p: torch.Tensor, n: int) -> torch.Tensor:
        try:
            import faiss
        except ImportError as exc:
            raise ImportError("backend='faiss' needs faiss: pip install faiss-cpu") from exc
        if self._faiss_index is None:
            self._faiss_index = faiss.IndexFlatL2(self._dim)
            self._faiss_index.add(self._emb.cpu().numpy())
        _, rows = self._faiss_index.search(p.cpu().numpy(), n)
        return torch.from_numpy(rows).to(p.device)

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | os.PathLike) -> Path:
        """Write the database to ``path`` (a ``.safetensors`` file) atomically.

        The file is written beside its destination and renamed over it, so a crash never
        leaves a half-written database at ``path``.

        Parameters
        ----------
        path : str or PathLike
            In an existing folder.

        Returns
        -------
        Path
        """
        if len(self) == 0:
            raise ValueError("the database is empty: nothing to save")
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(f"folder {str(path.parent)!r} does not exist")
        emb, owner = self._emb.cpu().contiguous(), self._owner.cpu().contiguous()
        meta = {"format": _FORMAT, "version": _VERSION, "names": self._names,
                "sha256": _digest(emb, owner, self._names)}
        blob = st_save({"embeddings": emb, "owner": owner}, metadata={"coursekit": json.dumps(meta)})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> FaceDatabase:
        """Read a database written by :meth:`save`; any damage raises ``ValueError`` and loads nothing.

        Parameters
        ----------
        path : str or PathLike

        Returns
        -------
        FaceDatabase
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no FaceDatabase file at {str(path)!r}")
        data = path.read_bytes()
        bad = f"{str(path)!r} is not a valid FaceDatabase file"
        try:
            (n,) = struct.unpack("<Q", data[:8])
            header = json.loads(data[8:8 + n])
            meta = json.loads(header["__metadata__"]["coursekit"])
            tensors = st_load(data)
        except Exception as exc:  # truncated, not safetensors, not ours
            raise ValueError(f"{bad} (corrupted or truncated: {type(exc).__name__}: {exc})") from None
        if not isinstance(meta, dict):
            raise ValueError(f"{bad}: its metadata must be a JSON object, got {type(meta).__name__}")
        if meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
            raise ValueError(f"{bad}: unknown format {meta.get('format')!r} version {meta.get('version')!r}")
        emb, owner, names = tensors.get("embeddings"), tensors.get("owner"), meta.get("names")
        if set(tensors) != {"embeddings", "owner"} or emb.dim() != 2 or emb.dtype != torch.float32:
            raise ValueError(f"{bad}: expected tensors embeddings (M, D) float32 and owner (M,), got {sorted(tensors)}")
        if owner.dtype != torch.int64 or owner.shape != (emb.shape[0],):
            raise ValueError(f"{bad}: owner must be int64 of shape ({emb.shape[0]},), got {owner.dtype} {tuple(owner.shape)}")
        if (not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names)
                or len(set(names)) != len(names)):
            raise ValueError(f"{bad}: names must be a list of distinct non-empty strings")
        if len(owner) == 0 or not torch.equal(torch.unique(owner), torch.arange(len(names))):
            raise ValueError(f"{bad}: owner must map every embedding to one of the {len(names)} names, each used")
        if not torch.isfinite(emb).all() or not bool((emb.pow(2).sum(1) <= _MAX_SQNORM).all()):
            raise ValueError(f"{bad}: embeddings contain NaN, inf or rows too large for float32 distances")
        if meta.get("sha256") != _digest(emb, owner, names):
            raise ValueError(f"{bad}: checksum mismatch (the file was modified after saving)")
        db = cls(dim=emb.shape[1])
        db._set(emb, owner, list(names))
        return db


def _check_threshold(threshold) -> float:
    return check_float(threshold, "threshold", minimum=0.0, finite=False)


def _check_name(name, what: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, got {describe(name)}")
    if not name.strip():
        raise ValueError(f"{what} must be a non-empty str, got {name!r}")
