"""Tests for coursekit.models.dlib.optional: importing dlib on first use, the install hint."""

from __future__ import annotations

import platform
import sys

import pytest

from coursekit.models.dlib.optional import dlib_install_hint, import_dlib


def test_import_dlib_without_dlib_says_what_and_how(monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)  # `import dlib` raises ImportError
    with pytest.raises(ImportError, match="the port-vs-dlib check needs dlib, which is not installed") as err:
        import_dlib("the port-vs-dlib check")
    assert "'align' extra" in str(err.value) and str(err.value).endswith(dlib_install_hint())
    assert isinstance(err.value.__cause__, ImportError)


def test_import_dlib_with_dlib(dlib):
    assert import_dlib() is dlib


@pytest.mark.parametrize(
    "system, machine, python, macos, wanted",
    [
        ("Linux", "x86_64", (3, 14), None, "pip install"),
        ("Linux", "aarch64", (3, 10), None, "pip install"),
        ("Windows", "AMD64", (3, 13), None, "pip install"),
        ("Darwin", "arm64", (3, 14), 14, "pip install"),   # dlib-bin 20: macOS 14+
        ("Darwin", "arm64", (3, 13), 13, "conda-forge"),   # before macOS 14: wheels up to 3.12
        ("Darwin", "arm64", (3, 12), 13, "pip install"),
        ("Darwin", "x86_64", (3, 14), 15, "conda-forge"),
        ("Darwin", "x86_64", (3, 13), 12, "conda-forge"),
        ("Linux", "riscv64", (3, 12), None, "conda-forge"),
        ("Linux", "x86_64", (3, 15), None, "conda-forge"),
    ],
)
def test_install_hint_follows_the_wheels_on_pypi(system, machine, python, macos, wanted):
    hint = dlib_install_hint(system, machine, python, macos)
    assert wanted in hint
    if wanted == "conda-forge":
        assert f"Python {python[0]}.{python[1]}" in hint and "no dlib-bin wheel" in hint


def test_install_hint_defaults_to_this_machine():
    mac = int(platform.mac_ver()[0].split(".")[0]) if platform.system() == "Darwin" else None
    here = dlib_install_hint(platform.system(), platform.machine(), sys.version_info[:2], mac)
    assert dlib_install_hint() == here


@pytest.mark.parametrize("kwargs, error, match", [
    ({"system": 3}, TypeError, "system must be a str or None, got int"),
    ({"machine": b"x86_64"}, TypeError, "machine must be a str or None, got bytes"),
    ({"python": "3.12"}, TypeError, r"python must be a \(major, minor\) pair of ints, got '3.12'"),
    ({"python": (3, 12, 1)}, TypeError, r"python must be a \(major, minor\) pair of ints"),
    ({"macos": 14.0}, TypeError, "macos must be an int or None, got 14.0"),
])
def test_install_hint_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        dlib_install_hint(**kwargs)
