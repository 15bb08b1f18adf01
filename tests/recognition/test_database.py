"""FaceDatabase: enroll/remove/verify/identify against brute-force loops, save/load and damage."""

import json
import math
import struct

import numpy as np
import pytest
import torch

import coursekit.recognition.database as database
from coursekit.recognition import FaceDatabase

FAISS = pytest.param("faiss", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("faiss") is None, reason="faiss is an optional extra"))


def _db(seed=0, people=6, per=(1, 3, 1, 2, 1, 1), dim=8):
    g = torch.Generator().manual_seed(seed)
    db = FaceDatabase()
    gallery = {}
    for i in range(people):
        e = torch.randn(per[i], dim, generator=g)
        db.enroll(f"p{i}", e)
        gallery[f"p{i}"] = e
    return db, gallery, g


def _nearest_bruteforce(gallery, probe):
    """One entry at a time: every person's smallest ‖probe − g‖."""
    best = {}
    for name, embs in gallery.items():
        for e in embs:
            d = float(torch.sqrt(((probe - e) ** 2).sum()))
            best[name] = min(best.get(name, float("inf")), d)
    return sorted(best.items(), key=lambda kv: kv[1])


@pytest.mark.parametrize("backend", ["torch", FAISS])
def test_top_k_and_identify_match_per_entry_loop(backend):
    db, gallery, g = _db()
    probes = torch.randn(5, 8, generator=g)
    names, dist = db.top_k(probes, k=4, backend=backend)
    assert dist.shape == (5, 4)
    for i, p in enumerate(probes):
        ref = _nearest_bruteforce(gallery, p)[:4]
        assert names[i] == [n for n, _ in ref]
        torch.testing.assert_close(dist[i], torch.tensor([d for _, d in ref]), rtol=1e-5, atol=1e-5)
    thr = float(dist[:, 0].median())
    got, gd = db.identify_batch(probes, thr, backend=backend)
    for i, p in enumerate(probes):
        name, d = _nearest_bruteforce(gallery, p)[0]
        assert got[i] == (name if d <= thr else None)
        assert db.identify(p, thr) == (got[i], pytest.approx(d, abs=1e-5))


def test_distances_matrix_matches_loop():
    db, gallery, g = _db(1)
    probes = torch.randn(3, 8, generator=g)
    d = db.distances(probes)
    assert d.shape == (3, len(db))
    for i, p in enumerate(probes):
        ref = dict(_nearest_bruteforce(gallery, p))
        for j, name in enumerate(db.names):
            assert float(d[i, j]) == pytest.approx(ref[name], abs=1e-4)


def test_exact_match_has_distance_zero_and_one_shot_rejection():
    db = FaceDatabase()
    db.enroll("ada", torch.tensor([1.0, 0.0, 0.0]))
    db.enroll("bob", torch.tensor([0.0, 1.0, 0.0]))
    assert db.identify(torch.tensor([1.0, 0.0, 0.0]), 0.1) == ("ada", 0.0)
    assert db.identify(torch.tensor([0.0, 0.0, 5.0]), 1.0)[0] is None  # not recognized
    assert db.verify(torch.tensor([0.0, 0.6, 0.0]), "bob", 0.4) == (True, pytest.approx(0.4))
    assert db.verify(torch.tensor([0.0, 0.6, 0.0]), "ada", 0.4)[0] is False
    # the boundary is inclusive: d <= threshold accepts
    assert db.verify(torch.tensor([0.0, 0.5, 0.0]), "bob", 0.5)[0] is True


def test_enroll_remove_names_len_and_reenroll_policy():
    db, gallery, g = _db()
    assert len(db) == 6 and db.names == [f"p{i}" for i in range(6)] and "p3" in db
    assert db.embeddings.shape == (9, 8)
    with pytest.raises(ValueError, match=r"'p1' is already enrolled; pass if_exists='append' or 'replace'"):
        db.enroll("p1", torch.zeros(8))
    db.enroll("p1", torch.zeros(8), if_exists="append")
    assert db.embeddings.shape == (10, 8) and db.identify(torch.zeros(8), 1e-6) == ("p1", 0.0)
    db.enroll("p1", torch.full((8,), 9.0), if_exists="replace")
    assert db.embeddings.shape == (7, 8) and db.names[-1] == "p1"  # re-added at the end
    assert db.identify(torch.zeros(8), 1e-6)[0] is None
    db.remove("p3")
    assert "p3" not in db and len(db) == 5 and db.embeddings.shape == (5, 8)
    # the remaining owners still point at the right people
    for name in ("p0", "p2", "p4", "p5"):
        assert db.identify(gallery[name][0], 1e-4) == (name, pytest.approx(0.0, abs=1e-4))
    with pytest.raises(ValueError, match=r"'p3' is not enrolled; enrolled: \['p0'"):
        db.remove("p3")
    with pytest.raises(ValueError, match="'nobody' is not enrolled"):
        db.verify(torch.zeros(8), "nobody", 1.0)


def test_enroll_many_groups_rows_by_name():
    db = FaceDatabase()
    db.enroll_many(["a", "b", "a"], torch.tensor([[0.0, 0.0], [5.0, 5.0], [1.0, 0.0]]))
    assert db.names == ["a", "b"]
    assert db.top_k(torch.tensor([[0.9, 0.0]]), k=2)[0] == [["a", "b"]]
    with pytest.raises(ValueError, match=r"names must hold 2 names \(one per row\), got 1"):
        db.enroll_many(["c"], torch.zeros(2, 2))


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda db: db.enroll("", torch.zeros(8)), ValueError, "name must be a non-empty str, got ''"),
        (lambda db: db.enroll("x", torch.zeros(4)), ValueError, r"dimension D=8 like the database, got 4"),
        (lambda db: db.enroll(3, torch.zeros(8)), TypeError, "name must be a str, got int 3"),
        (lambda db: db.enroll("x", torch.tensor([float("nan")] * 8)), ValueError, "must contain only finite values"),
        (lambda db: db.enroll("x", torch.zeros(8, dtype=torch.int64)), TypeError, "floating-point"),
        (lambda db: db.enroll("x", [0.0] * 8), TypeError, "must be a torch.Tensor of shape .*, got list"),
        (lambda db: db.enroll("x", torch.zeros(0, 8)), ValueError, r"\(D,\) or \(N, D\) with N, D >= 1"),
        (lambda db: db.enroll("x", torch.zeros(8), if_exists="merge"), ValueError, "if_exists must be one of"),
        (lambda db: db.enroll_many("ab", torch.zeros(2, 8)), TypeError, "names must be a list or tuple"),
        (lambda db: db.enroll_many(["a"], torch.zeros(2, 8)), ValueError, "names must hold 2 names"),
        (lambda db: db.enroll_many(["a", None], torch.zeros(2, 8)), TypeError, "every name must be a str"),
        (lambda db: db.identify(torch.zeros(3)[None].expand(2, 3), 1.0), ValueError, "use identify_batch"),
        (lambda db: db.identify(torch.zeros(8), -1.0), ValueError, r"threshold must be a number >= 0.0, got -1.0"),
        (lambda db: db.identify(torch.zeros(8), "0.5"), TypeError, "threshold must be a real number"),
        (lambda db: db.identify(torch.zeros(8), True), TypeError, "threshold must be a real number"),
        (lambda db: db.identify(torch.zeros(8), float("nan")), ValueError, "threshold must be a number, got nan"),
        (lambda db: db.verify(torch.zeros(2, 8), "p0", 1.0), ValueError, r"one embedding of shape \(D,\)"),
        (lambda db: db.top_k(torch.zeros(8), k=7), ValueError, r"k must be an int in \[1, 6\]"),
        (lambda db: db.top_k(torch.zeros(8), k=2.0), TypeError, r"k must be an int"),
        (lambda db: db.top_k(torch.zeros(8), backend="int8"), ValueError, r"backend must be one of \('torch', 'faiss'\), got 'int8'"),
        (lambda db: db.verify(torch.zeros(8), 3, 1.0), TypeError, "name must be a str"),
    ],
)
def test_bad_input(call, exc, match):
    db, _, _ = _db()
    with pytest.raises(exc, match=match):
        call(db)


def test_empty_database():
    db = FaceDatabase()
    with pytest.raises(ValueError, match="the database is empty: enroll someone first"):
        db.identify(torch.zeros(4), 1.0)
    with pytest.raises(ValueError, match="nothing to save"):
        db.save("/tmp/never.safetensors")
    with pytest.raises(ValueError, match="dim must be an int >= 1, got 0"):
        FaceDatabase(dim=0)
    assert FaceDatabase(dim=np.int64(4)).dim == 4


def test_save_load_round_trip(tmp_path):
    db, _, g = _db()
    path = db.save(tmp_path / "db.safetensors")
    assert [p.name for p in tmp_path.iterdir()] == ["db.safetensors"]  # no temp file left
    back = FaceDatabase.load(path)
    assert back.names == db.names and torch.equal(back.embeddings, db.embeddings)
    probes = torch.randn(4, 8, generator=g)
    assert back.top_k(probes, 3)[0] == db.top_k(probes, 3)[0]
    assert b"pickle" not in path.read_bytes() and path.read_bytes()[8:9] == b"{"  # safetensors JSON header


def _rewrite(path, edit_meta=None, tensors=None):
    """Re-save the file with edited metadata/tensors (as a tamperer would, without the checksum)."""
    from safetensors.torch import load, save

    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    meta = json.loads(json.loads(data[8:8 + n])["__metadata__"]["coursekit"])
    t = load(data)
    if edit_meta:
        edit_meta(meta)
    if tensors:
        tensors(t)
    path.write_bytes(save(t, metadata={"coursekit": json.dumps(meta)}))


def _rewrite_meta_json(path, text):
    """Valid safetensors whose coursekit metadata is valid JSON but not an object."""
    from safetensors.torch import load, save

    path.write_bytes(save(load(path.read_bytes()), metadata={"coursekit": text}))


@pytest.mark.parametrize(
    "damage,match",
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-20]), "corrupted or truncated"),
        (lambda p: p.write_bytes(b"\x00" * 3), "corrupted or truncated"),
        (lambda p: p.write_bytes(b"not a database at all, just text"), "corrupted or truncated"),
        (lambda p: _rewrite(p, lambda m: m["names"].pop()), "every embedding to one of the 5 names"),
        (lambda p: _rewrite(p, lambda m: m["names"].__setitem__(1, "p0")), "distinct non-empty"),
        (lambda p: _rewrite(p, lambda m: m["names"].__setitem__(1, "mallory")), "checksum mismatch"),
        (lambda p: _rewrite(p, lambda m: m.__setitem__("format", "other")), "unknown format 'other'"),
        (lambda p: _rewrite(p, tensors=lambda t: t["embeddings"].mul_(2)), "checksum mismatch"),
        (lambda p: _rewrite(p, tensors=lambda t: t.__setitem__("owner", t["owner"][:-1])), r"owner must be int64 of shape \(9,\)"),
        (lambda p: _rewrite(p, tensors=lambda t: t.__setitem__("embeddings", t["embeddings"].double())), "float32"),
        (lambda p: _rewrite(p, tensors=lambda t: t.__setitem__("owner", t["owner"] + 1)), "each used"),
        (lambda p: _rewrite_meta_json(p, "[1, 2]"), "metadata must be a JSON object, got list"),
        (lambda p: _rewrite_meta_json(p, '"text"'), "metadata must be a JSON object, got str"),
        (lambda p: _rewrite_meta_json(p, "null"), "metadata must be a JSON object, got NoneType"),
    ],
)
def test_damaged_files_load_nothing(tmp_path, damage, match):
    db, _, _ = _db()
    path = db.save(tmp_path / "db.safetensors")
    damage(path)
    with pytest.raises(ValueError, match=match):
        FaceDatabase.load(path)


def test_load_missing_file_and_save_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no FaceDatabase file"):
        FaceDatabase.load(tmp_path / "nope.safetensors")
    db, _, _ = _db()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        db.save(tmp_path / "missing" / "db.safetensors")


def test_save_overwrites_atomically(tmp_path):
    db, _, _ = _db()
    path = db.save(tmp_path / "db.safetensors")
    db.remove("p0")
    db.save(path)
    assert FaceDatabase.load(path).names == db.names


def _near_tie_db(seed, people=60, per=3, d=16):
    """People whose embeddings lie at distances from ``probe`` that differ by ~1e-7 (below the
    float32 scan's rounding), some duplicated across people, plus distractors."""
    g = torch.Generator().manual_seed(seed)
    probe = torch.randn(d, generator=g)
    u = torch.nn.functional.normalize(torch.randn(people * per, d, generator=g), dim=1)
    r = 1.0 + 1e-7 * torch.randperm(people * per, generator=g).double()
    emb = (probe.double() + r[:, None] * u.double()).float()
    emb[5 * per] = emb[2 * per]  # person 5 has an exact copy of one of person 2's embeddings
    names = [f"q{i}" for i in range(people) for _ in range(per)]
    perm = torch.randperm(len(names), generator=g)  # rows of one person are not adjacent
    far = probe + 2 * torch.nn.functional.normalize(torch.randn(200, d, generator=g), dim=1)
    db = FaceDatabase()
    db.enroll_many([f"far{i}" for i in range(200)] + [names[i] for i in perm], torch.cat([far, emb[perm]]))
    return db, probe


def _top_k_bruteforce(db, probe, k):
    """Per person the smallest float32 ‖p − g‖², one row at a time; ties to the earlier-enrolled person."""
    best = {}
    owner = [db.names[i] for i in db._owner.tolist()]
    for name, e in zip(owner, db.embeddings, strict=True):
        best[name] = min(best.get(name, float("inf")), float(((probe - e) ** 2).sum()))
    ranked = sorted(db.names, key=lambda n: (best[n], db.names.index(n)))[:k]
    return ranked, torch.tensor([best[n] for n in ranked]).sqrt()


@pytest.mark.parametrize("seed", range(3))
def test_top_k_is_exact_on_near_ties(seed):
    db, probe = _near_tie_db(seed)
    for k in (1, 2, 5):
        names, dist = db.top_k(probe, k)
        ref_names, ref_dist = _top_k_bruteforce(db, probe, k)
        assert names[0] == ref_names
        assert torch.equal(dist[0], ref_dist)  # bit for bit
    name, d = db.identify(probe, 10.0)
    assert (name, d) == (_top_k_bruteforce(db, probe, 1)[0][0], float(_top_k_bruteforce(db, probe, 1)[1][0]))


def test_top_k_is_exact_with_one_embedding_each_and_duplicates():
    g = torch.Generator().manual_seed(7)
    probe = torch.randn(16, generator=g)
    u = torch.nn.functional.normalize(torch.randn(100, 16, generator=g), dim=1)
    emb = (probe.double() + (1 + 1e-7 * torch.arange(100).flip(0).double())[:, None] * u.double()).float()
    emb[40] = emb[99]  # an exact tie: the earlier row (person 40) wins
    db = FaceDatabase()
    db.enroll_many([f"u{i}" for i in range(100)], emb)
    names, dist = db.top_k(probe, 4)
    ref_names, ref_dist = _top_k_bruteforce(db, probe, 4)
    assert names[0] == ref_names and ref_names[0] == "u40" and torch.equal(dist[0], ref_dist)


def test_many_probes_in_blocks_match_one_at_a_time(monkeypatch):
    db, gallery, g = _db(2)
    probes = torch.randn(9, 8, generator=g)
    whole = db.top_k(probes, 3)
    monkeypatch.setattr(database, "_BLOCK", 20)  # forces blocks of 2 probes for the scan, 1 for the re-rank
    blocks = db.top_k(probes, 3)
    assert blocks[0] == whole[0] and torch.equal(blocks[1], whole[1])
    for i, p in enumerate(probes):
        assert [n for n, _ in _nearest_bruteforce(gallery, p)[:3]] == whole[0][i]


@pytest.mark.parametrize("backend", ["torch", FAISS])
def test_scans_follow_gallery_changes(tmp_path, backend):
    db, _, _ = _db()
    probe = torch.full((8,), 7.0)
    assert db.identify_batch(probe, 100.0, backend=backend)[0] != ["new"]
    db.enroll("new", probe)
    assert db.identify_batch(probe, 0.1, backend=backend)[0] == ["new"]
    db.remove("new")
    assert db.identify_batch(probe, 0.1, backend=backend)[0] == [None]
    db.enroll("new", probe + 0.01)
    back = FaceDatabase.load(db.save(tmp_path / "db.safetensors"))
    names, dist = back.identify_batch(probe, 0.1, backend=backend)
    assert names == ["new"] and float(dist[0]) == pytest.approx(0.01 * 8**0.5, abs=1e-5)


# ----------------------------------------------------------------------------- issue 19, point 5
def test_finite_check_is_made_after_the_float32_conversion(tmp_path):
    db, _, _ = _db()
    huge = torch.full((8,), 1e300, dtype=torch.float64)  # finite in float64, inf in float32
    with pytest.raises(ValueError, match=r"embeddings \(as float32\) must contain only finite values"):
        db.enroll("huge", huge)
    assert "huge" not in db and len(db) == 6  # nothing half-enrolled
    with pytest.raises(ValueError, match=r"embedding \(as float32\) must contain only finite values"):
        db.identify_batch(huge[None], 1.0)
    with pytest.raises(ValueError, match=r"embedding \(as float32\) must contain only finite values"):
        db.identify(huge, 1.0)
    db.save(tmp_path / "db.safetensors")  # what was accepted can be saved and loaded back
    assert FaceDatabase.load(tmp_path / "db.safetensors").names == db.names


def test_large_float32_probes_are_refused_clearly_not_answered_with_inf():
    db, _, _ = _db()
    probe = torch.full((8,), 1e30)  # finite float32, but ‖p‖² overflows
    with pytest.raises(ValueError, match="too large for float32 distances"):
        db.identify(probe, 1.0)
    with pytest.raises(ValueError, match="too large for float32 distances"):
        db.identify_batch(probe[None].expand(3, 8), 1.0)
    with pytest.raises(ValueError, match="too large for float32 distances"):
        db.enroll("big", probe)
    big = torch.full((8,), 1e18)  # the largest accepted scale still gives finite distances
    db.enroll("big", big)
    name, d = db.identify(-big, math.inf)
    assert math.isfinite(d) and name is not None


def test_identify_batch_accepts_every_threshold_spelling_and_many_probes():
    db, gallery, g = _db(3)
    probes = torch.randn(2000, 8, generator=g, dtype=torch.float64)  # float64 probes are converted
    ref, _ = db.identify_batch(probes, 1.5)
    for t in (np.float32(1.5), np.float64(1.5), torch.tensor(1.5), torch.tensor(1.5, dtype=torch.float64)):
        assert db.identify_batch(probes, t)[0] == ref
    for i in (0, 999, 1999):
        name, d = _nearest_bruteforce(gallery, probes[i].float())[0]
        assert ref[i] == (name if d <= 1.5 else None)
    names, dist = db.identify_batch(probes, math.inf)  # inf accepts everyone
    assert None not in names and dist.shape == (2000,)
