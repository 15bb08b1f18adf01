"""``FaceDatabase``: enroll people's embeddings, verify a claim, identify with "not recognized".

Distances are Euclidean, ``d(p, g) = ‖p − g‖₂``; a person's distance to a probe is the
smallest distance over that person's enrolled embeddings (nearest neighbour). A decision
accepts when ``d <= threshold`` (the conventions of :mod:`coursekit.verification`).
For cosine-style matching, L2-normalise embeddings first: for unit vectors ‖a − b‖² = 2 − 2 a·b.

Saved databases are one ``.safetensors`` file (no pickle): tensors ``embeddings`` (M, D)
float32 and ``owner`` (M,) int64, and a JSON string in the header's metadata with the names and
a SHA-256 of the content. Loading checks all of it before building anything.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from coursekit.gallery_scan import Float32Scan, Int8Scan, _candidate_rows, make_scan

__all__ = ["FaceDatabase"]

_FORMAT = "coursekit.FaceDatabase"
_VERSION = 1
_BLOCK = 1 << 24  # elements per intermediate tensor when searching many probes at once
Backend = Literal["torch", "int8", "float32", "faiss"]


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
    dim : int, optional
        Embedding dimension; fixed by the first enrollment when not given.

    Examples
    --------
    >>> db = FaceDatabase(); db.enroll("ada", torch.tensor([0.0, 1.0]))
    >>> db.identify(torch.tensor([0.0, 0.5]), threshold=0.6), db.identify(torch.tensor([3.0, 1.0]), threshold=0.6)
    (('ada', 0.5), (None, 3.0))
    """

    def __init__(self, dim: int | None = None) -> None:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 1):
            raise ValueError(f"dim must be a positive int or None, got {dim!r}")
        self._dim = dim
        self._names: list[str] = []
        self._emb = torch.empty(0, dim or 0)
        self._owner = torch.empty(0, dtype=torch.int64)
        self._most = 0
        self._faiss_index = None
        self._scans: dict[str, Float32Scan | Int8Scan] = {}

    # ------------------------------------------------------------------ bookkeeping
    @property
    def names(self) -> list[str]:
        """Enrolled names, in enrollment order (a copy)."""
        return list(self._names)

    @property
    def dim(self) -> int | None:
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
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() == 1:
            x = x[None]
        if x.dim() != 2 or x.shape[0] == 0:
            raise ValueError(f"{name} must have shape (D,) or (N, D) with N >= 1, got {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"{name} must be floating point, got {x.dtype}")
        if self._dim is not None and x.shape[1] != self._dim:
            raise ValueError(f"{name} must have dimension D={self._dim} like the database, got {x.shape[1]}")
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} contains NaN or inf")
        return x.detach().to(device=self._emb.device, dtype=torch.float32)

    def _person(self, name) -> int:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        try:
            return self._names.index(name)
        except ValueError:
            shown = ", ".join(map(repr, self._names[:5])) + (" ..." if len(self) > 5 else "")
            raise ValueError(f"{name!r} is not enrolled; enrolled: [{shown}]") from None

    def _set(self, emb: torch.Tensor, owner: torch.Tensor, names: list[str]) -> None:
        self._emb, self._owner, self._names = emb, owner, names
        self._most = int(torch.bincount(owner).max()) if len(owner) else 0  # most embeddings of one person
        # derived search structures: built on first use, dropped whenever the gallery changes
        self._faiss_index = None
        self._scans = {}

    # ------------------------------------------------------------------ enroll / remove
    def enroll(
        self, name: str, embeddings: torch.Tensor,
        *, if_exists: Literal["error", "append", "replace"] = "error",
    ) -> None:
        """Enroll ``name`` with embeddings of shape (D,) (one-shot) or (N, D).

        Re-enrolling an enrolled name raises unless ``if_exists`` is ``"append"`` (add these
        embeddings to that person's) or ``"replace"`` (drop the old ones first).
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        if if_exists not in ("error", "append", "replace"):
            raise ValueError(f"if_exists must be 'error', 'append' or 'replace', got {if_exists!r}")
        x = self._check_embeddings(embeddings, "embeddings")
        if name in self._names:
            if if_exists == "error":
                raise ValueError(f"{name!r} is already enrolled; pass if_exists='append' or 'replace'")
            if if_exists == "replace":
                self.remove(name)
        self.enroll_many([name] * x.shape[0], x, _checked=True)

    def enroll_many(self, names: Sequence[str], embeddings: torch.Tensor, *, _checked: bool = False) -> None:
        """Enroll row i of ``embeddings`` (N, D) under ``names[i]`` in one step (names may repeat).

        Names not yet enrolled are added in order of first appearance; rows for an enrolled
        name are appended to that person's embeddings.
        """
        x = embeddings if _checked else self._check_embeddings(embeddings, "embeddings")
        if isinstance(names, str) or len(names) != x.shape[0]:
            raise ValueError(f"names must be a sequence of {x.shape[0]} names (one per row), got {names!r:.60}")
        new = list(self._names)
        index = {n: i for i, n in enumerate(new)}
        owner = []
        for n in names:
            if not isinstance(n, str) or not n.strip():
                raise ValueError(f"every name must be a non-empty str, got {n!r}")
            if n not in index:
                index[n] = len(new)
                new.append(n)
            owner.append(index[n])
        self._dim = x.shape[1]
        emb = torch.cat([self._emb.reshape(-1, self._dim), x])
        own = torch.cat([self._owner, torch.tensor(owner, dtype=torch.int64, device=x.device)])
        self._set(emb, own, new)

    def remove(self, name: str) -> None:
        """Remove a person and all their embeddings."""
        k = self._person(name)
        keep = self._owner != k
        owner = self._owner[keep]
        self._set(self._emb[keep], owner - (owner > k).long(), self._names[:k] + self._names[k + 1:])

    # ------------------------------------------------------------------ matching
    def distances(self, probes: torch.Tensor) -> torch.Tensor:
        """Distance from each probe to each person: shape (P, K), ``min_m ‖p − g_m‖`` per person.

        One matrix product: ‖p − g‖² = ‖p‖² − 2 p·g + ‖g‖², then a per-person minimum.
        """
        p = self._check_probes(probes)
        sqnorm = self._scan("float32").sqnorm  # ‖g‖², kept by the (cached) float32 scan
        d2 = (p.pow(2).sum(1, keepdim=True) - 2.0 * p @ self._emb.T + sqnorm).clamp_min_(0)
        if d2.shape[1] != len(self):  # someone has several embeddings: keep each person's nearest
            per = torch.full((p.shape[0], len(self)), torch.inf, device=p.device)
            d2 = per.scatter_reduce_(1, self._owner.expand_as(d2), d2, "amin")
        return d2.sqrt_()

    def _check_probes(self, probes) -> torch.Tensor:
        if len(self) == 0:
            raise ValueError("the database is empty: enroll someone first")
        return self._check_embeddings(probes, "embedding")

    def verify(self, embedding: torch.Tensor, name: str, threshold: float) -> tuple[bool, float]:
        """Is ``embedding`` (D,) the enrolled person ``name``? Returns ``(distance <= threshold, distance)``."""
        k = self._person(name)
        t = _check_threshold(threshold)
        p = self._check_embeddings(embedding, "embedding")
        if p.shape[0] != 1:
            raise ValueError(f"embedding must be one embedding of shape (D,), got {tuple(embedding.shape)}")
        mine = self._emb[self._owner == k]
        d = float((mine - p).pow(2).sum(1).min().sqrt())
        return d <= t, d

    def identify(self, embedding: torch.Tensor, threshold: float) -> tuple[str | None, float]:
        """Nearest enrolled person to ``embedding`` (D,): ``(name, distance)``, or ``(None, distance)``
        ("not recognized") when even the nearest is farther than ``threshold``."""
        if isinstance(embedding, torch.Tensor) and embedding.dim() != 1:
            raise ValueError(f"embedding must have shape (D,); use identify_batch for (P, D), got {tuple(embedding.shape)}")
        names, dist = self.identify_batch(embedding, threshold)
        return names[0], float(dist[0])

    def identify_batch(
        self, probes: torch.Tensor, threshold: float, *, backend: Backend = "torch",
    ) -> tuple[list[str | None], torch.Tensor]:
        """Identify many probes (P, D) at once: names (None = not recognized) and distances (P,)."""
        t = _check_threshold(threshold)
        names, dist = self.top_k(probes, k=1, backend=backend)
        return [n[0] if d[0] <= t else None for n, d in zip(names, dist.tolist(), strict=True)], dist[:, 0]

    def top_k(
        self, probes: torch.Tensor, k: int = 5, *, backend: Backend = "torch",
    ) -> tuple[list[list[str]], torch.Tensor]:
        """The k nearest people to each probe: names (P lists of k) and distances (P, k), nearest first.

        Exact: the answer is that of computing ``‖p − g‖²`` in float32 for every enrolled row
        (ties go to the earlier-enrolled person). A cheap scan proposes candidate rows with a
        proven error bound (:mod:`coursekit.gallery_scan`) and only those are re-ranked by
        ``‖p − g‖``. ``backend="int8"`` scans int8 codes of the gallery (a quarter of the memory
        traffic; needs ``torch._int_mm``), ``"float32"`` scans the float32 gallery with one
        ``addmm``, ``"torch"`` (default) picks int8 for galleries from 8 MiB of float32 (16k
        embeddings of 128 numbers) where it can, float32 otherwise, and ``"faiss"`` takes the
        candidates from ``faiss.IndexFlatL2`` (faiss installed; its ranking is not certified).
        """
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= max(len(self), 1):
            raise ValueError(f"k must be an int in [1, {len(self)}] (the number of people), got {k!r}")
        if backend not in ("torch", "int8", "float32", "faiss"):
            raise ValueError(f"backend must be 'torch', 'int8', 'float32' or 'faiss', got {backend!r}")
        p = self._check_probes(probes)
        # the k nearest people's best embeddings are among the k * (most per person) nearest rows
        n_best = min(self._emb.shape[0], k * self._most)
        names, dists = [], []
        for chunk in p.split(max(1, _BLOCK // self._emb.shape[0])):
            if backend == "faiss":
                rows = self._faiss_rows(chunk, n_best).sort(dim=1).values
            else:
                rows = _candidate_rows(*self._scan(backend)._scores(chunk), n_best)  # inputs checked above
            step = max(1, _BLOCK // (rows.shape[1] * self._dim))  # probes per (step, n, D) difference
            for i in range(0, len(chunk), step):
                idx, dist = self._rerank(chunk[i:i + step], rows[i:i + step], k)
                names += [[self._names[j] for j in row] for row in idx.tolist()]
                dists.append(dist)
        return names, torch.cat(dists)

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

    def _scan(self, backend: str) -> Float32Scan | Int8Scan:
        if backend not in self._scans:
            self._scans[backend] = make_scan(self._emb, "auto" if backend == "torch" else backend)
        return self._scans[backend]

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
        """Write the database to ``path`` (a ``.safetensors`` file) atomically; returns the path.

        The file is written beside its destination and renamed over it, so a crash never
        leaves a half-written database at ``path``.
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
        """Read a database written by :meth:`save`; any damage raises ``ValueError`` and loads nothing."""
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
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
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
        if not torch.isfinite(emb).all():
            raise ValueError(f"{bad}: embeddings contain NaN or inf")
        if meta.get("sha256") != _digest(emb, owner, names):
            raise ValueError(f"{bad}: checksum mismatch (the file was modified after saving)")
        db = cls(dim=emb.shape[1])
        db._set(emb, owner, list(names))
        return db


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) and not (
        isinstance(threshold, torch.Tensor) and threshold.numel() == 1
    ):
        raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
    t = float(threshold)
    if not t >= 0:
        raise ValueError(f"threshold must be a distance >= 0, got {t}")
    return t
