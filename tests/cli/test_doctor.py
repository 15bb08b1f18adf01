"""``python -m coursekit doctor``: what is installed, which data and weights are here."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys

from coursekit.cli import doctor, main


def test_doctor_real(data_root, capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for word in ("python", "torch", "torchvision", "device", "quick mode", "data dir", "Required packages: all installed"):
        assert word in out
    assert "(from COURSEKIT_DATA)" in out
    rows = doctor.dataset_report()
    status = {(name, part): s for name, part, s, _ in rows}
    for key in [("olivetti", "olivetti_faces"), ("lfw", "images"), ("lfw", "pairsDevTest.txt"),
                ("omniglot", "images_background_small1"), ("omniglot", "images_background_small2"),
                ("omniglot", "one_shot_runs"), ("mr", "rt-polarity.pos/.neg"), ("style", "starry_night")]:
        assert status[key] == "data dir", key
    assert status[("omniglot", "images_background")] == "not present (optional)"


def test_doctor_missing_everything(offline, capsys):
    assert main(["doctor"]) == 0  # missing data is reported, not an installation failure
    out = capsys.readouterr().out
    assert "olivetti  olivetti_faces             missing" in out
    assert "user cache dir" in out
    assert offline == []  # the doctor never probes the network


def test_doctor_exit_status_on_missing_package(monkeypatch, capsys):
    real = importlib.metadata.requires
    monkeypatch.setattr(importlib.metadata, "requires",
                        lambda dist: [*real(dist), "surely-not-installed-pkg>=1.0", 'pytest-nope>=1; extra == "dev"'])
    assert doctor.missing_packages() == ["surely-not-installed-pkg>=1.0"]  # extras are not required
    assert main(["doctor"]) == 1
    assert "MISSING: surely-not-installed-pkg>=1.0" in capsys.readouterr().out


def test_weight_sources_without_importing(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "face_recognition_models", raising=False)
    path = doctor.dlib_model_file()
    assert path is not None and path.name == "dlib_face_recognition_resnet_model_v1.dat" and path.stat().st_size > 1e6
    assert "face_recognition_models" not in sys.modules  # located, never imported
    assert doctor.dlib_model_file("no_such_model.dat") is None
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    files = doctor.vgg_weight_files()
    assert [p.name for p in files.values()] == ["vgg16-397923af.pth", "vgg19-dcbb9e9d.pth"]
    assert all(p.parent == tmp_path / "hub" / "checkpoints" for p in files.values())
    rows = {name: status for name, status, _ in doctor.weight_report()}
    assert rows["torchvision VGG19_Weights.IMAGENET1K_V1"] == "missing"
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth").write_bytes(b"x")
    rows = {name: status for name, status, _ in doctor.weight_report()}
    assert rows["torchvision VGG19_Weights.IMAGENET1K_V1"] == "available"


def test_bad_data_dir_reported(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "nowhere"))
    assert doctor.environment_report()["data dir"].startswith("ERROR: COURSEKIT_DATA=")
    assert doctor.dataset_report()[0][2].startswith("ERROR: COURSEKIT_DATA=")
    assert main(["doctor"]) == 0  # reported, not a crash
    assert "does not exist or is not a folder" in capsys.readouterr().out
    assert main(["data", "list"]) == 2
    assert main(["doctor", "--data-home", str(tmp_path / "also-nowhere")]) == 0
    assert "also-nowhere' does not exist" in capsys.readouterr().out


def test_doctor_reports_the_alignment_extra(monkeypatch, capsys):
    from coursekit.models.dlib.optional import dlib_install_hint

    rows = {name: (status, how) for name, status, how in doctor.optional_report()}
    if importlib.util.find_spec("dlib") is not None:
        assert rows["align (dlib)"][0] == "installed" and rows["align (dlib)"][1].startswith("dlib ")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "dlib" else real(name, *a))
    status, how = {n: (s, h) for n, s, h in doctor.optional_report()}["align (dlib)"]
    assert status == "missing" and how.endswith(dlib_install_hint()) and "fixed crops" in how
    assert main(["doctor"]) == 0  # optional: not an installation failure
    out = capsys.readouterr().out
    assert "align (dlib) missing" in out


def test_doctor_lines_break_between_path_parts(capsys, monkeypatch, tmp_path):
    deep = tmp_path.joinpath(*[f"folder_{k:02d}" for k in range(12)])
    deep.mkdir(parents=True)
    monkeypatch.setenv("COURSEKIT_CACHE", str(deep))
    monkeypatch.setenv("TORCH_HOME", str(deep))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "(user cache dir; set COURSEKIT_DATA to change)" in out or "(from COURSEKIT_DATA)" in out  # remarks stay whole
    names = set(deep.parts)
    for line in out.splitlines():  # a wrapped line ends at a separator: no name is cut in two
        last = line.rstrip().rsplit(" ", 1)[-1].rsplit("/", 1)[-1]
        assert not last.startswith("folder_") or last in names, line
