import random
import sys
import types

import numpy as np
import pytest
import torch

from coursekit import config


def test_data_dir_explicit_path_wins(tmp_path, monkeypatch):
    other = tmp_path / "env"
    other.mkdir()
    monkeypatch.setenv("COURSEKIT_DATA", str(other))
    assert config.data_dir(tmp_path) == tmp_path.resolve()


def test_data_dir_env_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
    assert config.data_dir() == tmp_path.resolve()
    monkeypatch.delenv("COURSEKIT_DATA")
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    assert config.data_dir() == (tmp_path / "cache").resolve()


def test_data_dir_missing_paths_raise(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        config.data_dir(tmp_path / "nope")
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="COURSEKIT_DATA"):
        config.data_dir()


def test_cache_dir_default_is_user_cache(monkeypatch):
    monkeypatch.delenv("COURSEKIT_CACHE", raising=False)
    assert "coursekit" in str(config.cache_dir())


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("", False)])
def test_is_quick(monkeypatch, raw, expected):
    monkeypatch.setenv("COURSEKIT_QUICK", raw)
    assert config.is_quick() is expected
    assert config.QUICK is expected


def test_is_quick_unset_and_bad(monkeypatch):
    monkeypatch.delenv("COURSEKIT_QUICK", raising=False)
    assert config.is_quick() is False
    monkeypatch.setenv("COURSEKIT_QUICK", "maybe")
    with pytest.raises(ValueError, match="COURSEKIT_QUICK must be one of"):
        config.is_quick()


def test_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.device().type == expected
    assert config.device("cpu").type == "cpu"
    assert config.device(torch.device("cpu")).type == "cpu"
    with pytest.raises(ValueError, match="prefer must be a device name such as 'cpu' or 'cuda', got 'tpu'"):
        config.device("tpu")
    with pytest.raises(TypeError, match="prefer must be a device name"):
        config.device(0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"prefer='cuda' asks for a GPU, but torch.cuda.is_available\(\) is False"):
            config.device("cuda")


def test_seed_everything_reproduces_all_rngs():
    g = config.seed_everything(123)
    a = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g).item())  # noqa: NPY002
    g = config.seed_everything(123)
    b = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g).item())  # noqa: NPY002
    assert a == b


@pytest.mark.parametrize("bad", [1.5, "0", True, None])
def test_seed_everything_rejects_non_int(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        config.seed_everything(bad)


def test_seed_everything_rejects_out_of_range():
    for bad in (-1, 2**32):
        with pytest.raises(ValueError, match=rf"seed must be an int in \[0, 4294967295\], got {bad}"):
            config.seed_everything(bad)


def test_seed_everything_accepts_numpy_and_0d_tensor_ints():
    want = torch.rand(3, generator=config.seed_everything(7))
    for seed in (np.int64(7), np.uint32(7), torch.tensor(7)):
        assert torch.equal(torch.rand(3, generator=config.seed_everything(seed)), want)


def test_has_fast_bfloat16_follows_the_cpu_capability(monkeypatch):
    for capability, expected in [("AVX512", True), ("SVE256", True), ("AVX2", False), ("DEFAULT", False)]:
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda c=capability: c)
        assert config.has_fast_bfloat16("cpu") is expected, capability
        assert config.has_fast_bfloat16(torch.device("cpu")) is expected, capability
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    assert config.has_fast_bfloat16("cpu") is False  # no oneDNN, no bfloat16 kernels
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert config.has_fast_bfloat16("cuda") is False  # asked about a GPU that is not there: no, not an error
    assert config.has_fast_bfloat16("meta") is False


def test_has_fast_bfloat16_rejects_what_is_not_a_device():
    with pytest.raises(TypeError, match="device must be a str or torch.device such as 'cpu' or 'cuda', got int"):
        config.has_fast_bfloat16(0)


def test_keep_freed_memory_sets_glibcs_thresholds(monkeypatch):
    calls = []

    def mallopt(param, value):
        calls.append((param, value))
        return 1

    fake = types.SimpleNamespace(mallopt=mallopt, gnu_get_libc_version=lambda: b"2.36")
    monkeypatch.setattr(config.ctypes, "CDLL", lambda name: fake)
    assert config.keep_freed_memory() is True
    assert calls == [(-3, 32 * 2**20), (-1, 2**31 - 1)]  # M_MMAP_THRESHOLD at its maximum, M_TRIM_THRESHOLD off


def test_keep_freed_memory_leaves_other_mallocs_alone(monkeypatch):
    class NotGlibc:  # macOS's or musl's libc: no mallopt / gnu_get_libc_version
        pass

    monkeypatch.setattr(config.ctypes, "CDLL", lambda name: NotGlibc())
    assert config.keep_freed_memory() is False

    def missing(name):
        raise OSError("no libc")

    monkeypatch.setattr(config.ctypes, "CDLL", missing)
    assert config.keep_freed_memory() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_keep_freed_memory_stops_page_faults_for_reused_tensor_sizes():
    import subprocess

    # in a fresh process (it changes the whole process): a small conv net's forward and backward
    # at 128 px, ten times; its 4 MiB activations are freed and allocated again at every step
    code = (
        "import resource, sys, torch\n"
        "from coursekit import config\n"
        "torch.set_num_threads(1)\n"
        "if sys.argv[1] == '1': assert config.keep_freed_memory()\n"
        "net = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(),\n"
        "                          torch.nn.Conv2d(64, 64, 3, padding=1), torch.nn.ReLU())\n"
        "x = torch.rand(1, 3, 128, 128, requires_grad=True)\n"
        "for _ in range(3): net(x).square().sum().backward()\n"
        "f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "for _ in range(10): net(x).square().sum().backward()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f)\n"
    )
    faults = {k: int(subprocess.run([sys.executable, "-c", code, k], capture_output=True, text=True, check=True).stdout)
              for k in ("0", "1")}
    assert faults["0"] > 10 * 1000  # measured: 38,000-62,000 (4 KiB pages of fresh memory)
    assert faults["1"] * 10 < faults["0"]  # measured: 0-1,024
