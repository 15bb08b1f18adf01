"""coursekit.cache: stable keys, atomic saves, checksums, damaged caches that heal."""

import json
import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from coursekit import cache


def _tensors():
    g = torch.Generator().manual_seed(0)
    return {"w": torch.randn(16, 8, generator=g), "b": torch.arange(5), "h": torch.randn(3, generator=g).to(torch.bfloat16)}


def _equal(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_cache_key_is_order_free_type_aware_and_hashes_tensors():
    assert cache.cache_key({"a": 1, "b": {"c": [1, 2]}}) == cache.cache_key({"b": {"c": [1, 2]}, "a": 1})
    assert cache.cache_key({"a": 1}) != cache.cache_key({"a": 1.0})
    assert cache.cache_key({"a": 1}) != cache.cache_key({"a": "1"})
    assert cache.cache_key({"a": [1, 2]}) != cache.cache_key({"a": [[1], 2]})
    assert cache.cache_key({"n": np.int64(3)}) == cache.cache_key({"n": 3})
    x = torch.arange(6)
    assert cache.cache_key({"x": x}) == cache.cache_key({"x": x.clone()})
    assert cache.cache_key({"x": x}) != cache.cache_key({"x": x.view(2, 3)})  # shape counts
    assert cache.cache_key({"x": x}) != cache.cache_key({"x": x.int()})  # dtype counts
    y = x.clone()
    y[5] = 7
    assert cache.cache_key({"x": x}) != cache.cache_key({"x": y})
    assert cache.cache_key({"x": x.numpy()}) == cache.cache_key({"x": x})
    # a fixed value, so a change of the encoding (which would orphan every user's cache) is noticed
    assert cache.cache_key({"a": 1}) == cache.cache_key({"a": 1}, length=64)[:20]


def test_cache_key_rejects_what_it_cannot_hash_stably():
    with pytest.raises(TypeError, match="params must be a dict"):
        cache.cache_key([1, 2])
    with pytest.raises(TypeError, match="got object"):
        cache.cache_key({"f": object()})
    with pytest.raises(TypeError, match="str keys"):
        cache.cache_key({"a": {1: 2}})
    with pytest.raises(ValueError, match=r"length must be an int in \[1, 64\]"):
        cache.cache_key({}, length=0)


def test_cache_path(tmp_path):
    p = cache.cache_path("face_embedding", {"a": 1}, cache_dir=tmp_path)
    assert p.parent == tmp_path / "face_embedding" and p.suffix == ".safetensors"
    assert p != cache.cache_path("face_embedding", {"a": 2}, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="kind must be a folder name"):
        cache.cache_path("../x", {}, cache_dir=tmp_path)


def test_round_trip_with_metadata(tmp_path):
    p = cache.save_tensors(tmp_path / "sub" / "a.safetensors", _tensors(), {"history": [1.5, 2.0], "s": "x"})
    tensors, meta = cache.load_tensors(p)
    assert _equal(tensors, _tensors()) and meta == {"history": [1.5, 2.0], "s": "x"}
    assert [f.name for f in p.parent.iterdir()] == ["a.safetensors"]  # no temporary file left


def test_checksum_sees_every_byte():
    t = _tensors()
    ref = cache.tensor_checksum(t)
    t["w"][3, 2] = t["w"][3, 2].nextafter(torch.tensor(10.0))
    assert cache.tensor_checksum(t) != ref
    assert cache.tensor_checksum({"a": torch.zeros(2)}) != cache.tensor_checksum({"b": torch.zeros(2)})


def _header_length(path):
    return struct.unpack("<Q", path.read_bytes()[:8])[0]


def _truncate(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _empty(p):
    p.write_bytes(b"")


def _flip_tensor_byte(p):
    data = bytearray(p.read_bytes())
    data[8 + _header_length(p) + 10] ^= 0xFF  # a byte inside the tensor data, after the header
    p.write_bytes(bytes(data))


def _bad_metadata_json(p):
    data = p.read_bytes()
    n = _header_length(p)
    header = json.loads(data[8 : 8 + n])
    header["__metadata__"]["coursekit.meta"] = "{not json"
    raw = json.dumps(header).encode()
    p.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n :])


def _garbage_header(p):
    p.write_bytes(struct.pack("<Q", 10**12) + b"x" * 100)


def _wrong_checksum(p):
    tensors, meta = cache.load_tensors(p)
    from safetensors.torch import save_file
    save_file(tensors, str(p), metadata={"coursekit.sha256": "0" * 64, "coursekit.meta": json.dumps(meta)})


@pytest.mark.parametrize("damage", [_truncate, _empty, _flip_tensor_byte, _bad_metadata_json, _garbage_header,
                                    _wrong_checksum])
def test_a_damaged_cache_is_reported_once_and_rebuilt(tmp_path, capsys, damage):
    p = tmp_path / "c.safetensors"
    calls = []

    def build():
        calls.append(1)
        return _tensors(), {"n": len(calls)}

    cache.load_or_build(p, build)
    damage(p)
    with pytest.raises(cache.CacheError):
        cache.load_tensors(p)
    tensors, meta, from_cache = cache.load_or_build(p, build)
    assert not from_cache and meta == {"n": 2} and _equal(tensors, _tensors())
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "c.safetensors is damaged" in out and "rebuilding it" in out
    tensors, meta, from_cache = cache.load_or_build(p, build)  # healed: loaded, nothing printed
    assert from_cache and meta == {"n": 2} and len(calls) == 2 and _equal(tensors, _tensors())
    assert capsys.readouterr().out == ""


def test_load_or_build_rebuild_and_bad_input(tmp_path):
    p = tmp_path / "c.safetensors"
    cache.load_or_build(p, lambda: ({"a": torch.zeros(1)}, {}))
    tensors, _, from_cache = cache.load_or_build(p, lambda: ({"a": torch.ones(1)}, {}), rebuild=True)
    assert not from_cache and cache.load_tensors(p)[0]["a"].item() == 1.0
    with pytest.raises(TypeError, match="build must be callable"):
        cache.load_or_build(p, None)
    with pytest.raises(FileNotFoundError, match="no cache file"):
        cache.load_tensors(tmp_path / "missing.safetensors")
    with pytest.raises(TypeError, match="tensors must be a dict of str to Tensor"):
        cache.save_tensors(p, {"a": [1.0]})


def test_temporary_names_are_unique_and_in_the_same_folder(tmp_path, monkeypatch):
    seen = []
    real = cache.save_file

    def spy(state, filename, metadata=None):
        seen.append(filename)
        return real(state, filename, metadata=metadata)

    monkeypatch.setattr(cache, "save_file", spy)
    p = tmp_path / "c.safetensors"
    for _ in range(3):
        cache.save_tensors(p, {"a": torch.zeros(1)})
    assert len(set(seen)) == 3
    assert all(os.path.dirname(s) == str(tmp_path) and os.path.basename(s).startswith(".c.safetensors.") for s in seen)


def test_a_killed_save_never_becomes_the_cache(tmp_path, monkeypatch):
    p = tmp_path / "c.safetensors"
    cache.save_tensors(p, {"a": torch.zeros(4)}, {"v": 1})

    def killed(state, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"half a file")
        raise KeyboardInterrupt  # the process dies here, before os.replace

    monkeypatch.setattr(cache, "save_file", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.save_tensors(p, {"a": torch.ones(4)}, {"v": 2})
    monkeypatch.undo()
    tensors, meta = cache.load_tensors(p)  # the old cache, whole
    assert meta == {"v": 1} and tensors["a"].sum() == 0


def test_stale_temp_files_of_dead_processes_are_removed(tmp_path):
    # a real process that wrote a temporary file and was killed before renaming it
    script = textwrap.dedent(f"""
        import os, signal, uuid
        p = os.path.join({str(tmp_path)!r}, f".c.safetensors.{{os.getpid()}}.{{uuid.uuid4().hex}}.tmp")
        open(p, "wb").write(b"x" * 1000)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    subprocess.run([sys.executable, "-c", script], check=False)
    (left,) = tmp_path.glob(".*.tmp")
    alive = tmp_path / f".c.safetensors.{os.getpid()}.{'0' * 32}.tmp"  # a live writer's file
    alive.write_bytes(b"y")
    other = tmp_path / "notes.tmp"
    other.write_bytes(b"z")
    cache.load_or_build(tmp_path / "c.safetensors", lambda: ({"a": torch.zeros(1)}, {}))
    assert not left.exists() and alive.exists() and other.exists()
    assert cache.remove_stale_temp_files(tmp_path / "nowhere") == []
