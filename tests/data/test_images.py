"""Tests for coursekit.data.images: content photos, style paintings, and the generated fallback."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from coursekit.data import download, images


@pytest.mark.parametrize("name", images.CONTENT_IMAGES)
def test_content_images(name):
    img = images.content_image(name, size=64)
    assert img.dtype == torch.float32 and img.shape[0] == 3 and max(img.shape[1:]) == 64
    assert 0 <= img.min() and img.max() <= 1 and img.std() > 0.05


def test_content_size_semantics_and_values():
    import skimage.data

    full = images.content_image("chelsea")
    ref = torch.from_numpy(skimage.data.chelsea()).permute(2, 0, 1).float() / 255
    assert torch.equal(full, ref)  # no resize: exactly the library's pixels
    assert images.content_image("chelsea", size=90).shape == (3, 60, 90)  # 300x451 -> longer side 90
    assert images.content_image("chelsea", size=(32, 48)).shape == (3, 32, 48)


def test_content_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"content image must be one of .*'astronaut'.* got 'lena'"):
        images.content_image("lena")
    with pytest.raises(TypeError, match="name_or_path must be a str or path, got int"):
        images.content_image(3)
    with pytest.raises(FileNotFoundError, match=r"image file .*nope\.png.* does not exist"):
        images.content_image(tmp_path / "nope.png")
    with pytest.raises(ValueError, match="size must be positive, got 0"):
        images.content_image("coffee", size=0)
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.full((20, 30, 3), 200, dtype=np.uint8)).save(path)
    assert images.content_image(path).shape == (3, 20, 30)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"photo\.jpg.*truncated or corrupt"):
        images.content_image(str(path))


def test_style_real(data_root):
    for name in images.STYLE_IMAGES:
        img = images.style_image(name, size=48)
        assert img.shape[0] == 3 and max(img.shape[1:]) == 48 and img.std() > 0.05, name
    assert images.style_image("starry_night").shape == (3, 640, 1024)


def test_style_fallback_prints(offline, capsys):
    img = images.style_image("wave", size=40)
    assert img.shape == (3, 40, 40)
    assert torch.equal(img, images.generated_texture((40, 40)))
    assert "style image 'wave' is not available" in capsys.readouterr().out
    assert images.style_image("starry_night", size=(20, 30)).shape == (3, 20, 30)
    assert "generated texture" in capsys.readouterr().out
    assert offline == [images.STYLE_URLS["starry_night"][0]]  # only paintings with a source probe the net


def test_style_download_verified(monkeypatch, offline, tmp_path):
    # a download whose md5 does not match is refused and the fallback is used
    def bad_urlopen(request, timeout=None):
        import io

        class Response(io.BytesIO):
            headers = {"Content-Length": "4"}

        return Response(b"fake")

    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: True)
    monkeypatch.setattr(download.urllib.request, "urlopen", bad_urlopen)
    img = images.style_image("udnie", size=16)
    assert torch.equal(img, images.generated_texture(16))
    assert not (tmp_path / "cache" / "style" / "udnie.jpg").exists()


def test_style_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"style image must be one of .*'starry_night'.* got 'mona_lisa'"):
        images.style_image("mona_lisa")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        images.style_image("wave", data_home=tmp_path / "missing")


def test_generated_texture():
    a = images.generated_texture((24, 40), seed=1)
    assert a.shape == (3, 24, 40) and a.dtype == torch.float32
    assert 0 <= a.min() and a.max() <= 1 and a.std() > 0.05
    assert torch.equal(a, images.generated_texture((24, 40), seed=1))
    assert not torch.equal(a, images.generated_texture((24, 40), seed=2))
    with pytest.raises(TypeError, match="size must be None, an int or a"):
        images.generated_texture("big")


def test_style_titles_are_human():
    assert set(images.STYLE_TITLES) == set(images.STYLE_IMAGES)  # every painting has a title, and only those
    for name in images.STYLE_IMAGES:
        title = images.style_title(name)
        assert "_" not in title and "-" not in title and name not in title, title  # no file name shows
        painting, painter = title.split(", ")
        assert painting[0].isupper() and painter[0].isupper(), title
        assert images.style_title(name, sep="\n") == f"{painting}\n{painter}"
    assert images.style_title("woman-with-hat-matisse") == "Woman with a Hat, Henri Matisse"
    assert images.style_title("monet_cliff_walk_pourville") == "The Cliff Walk at Pourville, Claude Monet"
    with pytest.raises(ValueError, match=r"name must be one of .*'starry_night'.* got 'mona_lisa'"):
        images.style_title("mona_lisa")
    with pytest.raises(TypeError, match="name must be a str, got int"):
        images.style_title(3)
    with pytest.raises(TypeError, match="sep must be a str, got NoneType"):
        images.style_title("wave", sep=None)
