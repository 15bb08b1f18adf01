"""Tests for coursekit.models.dlib.format: dlib's primitives, a hand-written file, the real model file."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.models.dlib.format import DlibFormatError, _Reader, read_dlib_network
from coursekit.models.dlib.pretrained import find_model_file

# --- a tiny writer of dlib's format, written from the format description (the brute-force side)


def w_int(v: int) -> bytes:
    raw = abs(v).to_bytes(max(1, (abs(v).bit_length() + 7) // 8), "little")
    return bytes([len(raw) | (0x80 if v < 0 else 0)]) + raw


def w_float(mantissa: int, exponent: int) -> bytes:
    return w_int(mantissa) + w_int(exponent)


def w_str(s: str) -> bytes:
    return w_int(len(s)) + s.encode()


def w_tensor(a: np.ndarray) -> bytes:
    shape = (list(a.shape) + [1, 1, 1, 1])[:4] if a.size else [0, 0, 0, 0]
    return w_int(2) + b"".join(w_int(d) for d in shape) + a.astype("<f4").tobytes()


def w_alias(shape) -> bytes:
    return w_int(1) + b"".join(w_int(d) for d in shape)


EMPTY = w_tensor(np.zeros(0, np.float32))
ONE = w_float(16, -4)  # 16 * 2**-4 = 1.0


def tiny_network(weight: np.ndarray, bias: np.ndarray) -> bytes:
    """loss_metric <relu <con 2x1x1x1 <input>>>, the way dlib nests and writes it."""
    head = w_int(1) + w_str("loss_metric_2") + w_float(10737418, -28) + w_float(10066330, -24)
    head += w_int(2) + w_int(3)  # relu: an ordinary layer; con: the layer on the input
    inp = w_str("input_rgb_image_sized") + w_float(1, 7) + w_float(3, -1) + w_float(0, 0)
    inp += w_int(150) + w_int(150)
    con = w_str("con_4") + w_tensor(np.concatenate([weight.ravel(), bias]))
    con += b"".join(w_int(v) for v in (2, 1, 1, 1, 1, 0, 0))  # filters, nr, nc, strides, pads
    con += w_alias((2, 1, 1, 1)) + w_alias((1, 2, 1, 1)) + ONE * 3 + w_float(0, 11)
    con += b"110" + EMPTY * 3 + w_int(1)  # bools, x_grad, cached_output, grad_final, expansion
    relu = w_str("relu_") + b"110" + EMPTY * 3
    return head + inp + con + relu


# --- primitives


@pytest.mark.parametrize(
    "raw, value",
    [(b"\x01\x00", 0), (b"\x01\x05", 5), (b"\x81\x05", -5), (b"\x02\x34\x12", 0x1234), (b"\x82\x00\x01", -256)],
)
def test_int_decodes_hand_computed_bytes(raw, value):
    assert _Reader(raw, "t").int("x") == value


@pytest.mark.parametrize("value", [0, 1, -1, 255, 256, -70000, 2**40, -(2**63)])
def test_int_round_trips_through_the_writer(value):
    r = _Reader(w_int(value), "t")
    assert r.int("x") == value and r.pos == len(r.data)


def test_int_rejects_a_bad_control_byte():
    with pytest.raises(DlibFormatError, match="bad integer control byte 0x09"):
        _Reader(b"\x09" + bytes(9), "t").int("x")


def test_float_is_mantissa_then_exponent():
    # the loss margin's bytes in the real file: 10737418 * 2**-28 = 0.04 as float32
    assert _Reader(b"\x03\x0a\xd7\xa3\x81\x1c", "t").float("m") == pytest.approx(0.04, abs=1e-8)
    assert np.isinf(_Reader(w_float(1, 32000), "t").float("m"))
    assert np.isnan(_Reader(w_float(1, 32002), "t").float("m"))


def test_string_and_bool():
    r = _Reader(w_str("relu_") + b"1" + b"x", "t")
    assert r.string("s") == "relu_" and r.bool("b") is True
    with pytest.raises(DlibFormatError, match=r"expected a bool \('0' or '1'\)"):
        r.bool("b")


def test_tensor_reads_shape_then_float32_values():
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1) / 7
    got = _Reader(w_tensor(a), "t").tensor("t")
    assert got.shape == (1, 2, 3, 1) and got.dtype == np.float32
    np.testing.assert_array_equal(got, a)


def test_truncated_tensor_says_so():
    with pytest.raises(DlibFormatError, match=r"file ends at byte \d+ while reading t values"):
        _Reader(w_tensor(np.ones((4, 1, 1, 1), np.float32))[:-3], "t").tensor("t")


# --- a whole (tiny) network written by hand


def test_tiny_network_reads_back_exactly(tmp_path):
    weight, bias = np.array([0.5, -2.0], np.float32), np.array([0.25, 3.0], np.float32)
    path = tmp_path / "tiny.dat"
    path.write_bytes(tiny_network(weight, bias))
    net = read_dlib_network(path)
    assert net.version_codes == [2, 3]
    assert net.mean_rgb == (128.0, 1.5, 0.0) and net.input_size == (150, 150)
    assert [layer.kind for layer in net.layers] == ["con_4", "relu_"]
    con = net.layers[0]
    np.testing.assert_array_equal(con.params["weight"], weight.reshape(2, 1, 1, 1))
    np.testing.assert_array_equal(con.params["bias"], bias)
    assert con.config == {"stride": 1, "stride_x": 1, "padding": 0, "padding_x": 0}


def test_tiny_network_with_trailing_bytes_is_rejected(tmp_path):
    path = tmp_path / "tiny.dat"
    path.write_bytes(tiny_network(np.ones(2, np.float32), np.ones(2, np.float32)) + b"\x00")
    with pytest.raises(DlibFormatError, match="1 unread bytes after the last layer"):
        read_dlib_network(path)


def test_unknown_layer_is_named(tmp_path):
    path = tmp_path / "tiny.dat"
    path.write_bytes(tiny_network(np.ones(2, np.float32), np.ones(2, np.float32)).replace(b"relu_", b"gelu_"))
    with pytest.raises(DlibFormatError, match="layer 1 is 'gelu_'"):
        read_dlib_network(path)


# --- the real model file


@pytest.fixture(scope="module")
def real_bytes():
    return find_model_file().read_bytes()


@pytest.fixture(scope="module")
def real_net():
    return read_dlib_network(find_model_file())


def test_real_file_layers_and_totals(real_net):
    kinds = [layer.kind for layer in real_net.layers]
    counts = {k: kinds.count(k) for k in set(kinds)}
    assert counts == {"con_4": 29, "affine_": 29, "relu_": 29, "add_prev_": 14, "avg_pool_2": 5,
                      "max_pool_2": 1, "fc_2": 1}
    assert real_net.version_codes.count(1) == 22  # 18 tags + 4 skips
    assert sum(a.size for layer in real_net.layers for a in layer.params.values()) == 5_614_592
    assert real_net.layers[0].params["weight"].shape == (32, 3, 7, 7)
    assert real_net.layers[-1].params["weight"].shape == (256, 128)
    assert real_net.layers[0].config["stride"] == 2 and real_net.layers[0].config["padding"] == 0


def test_real_file_header(real_net):
    assert real_net.loss == "loss_metric_2"
    assert real_net.margin == pytest.approx(0.04) and real_net.distance_threshold == pytest.approx(0.6)
    np.testing.assert_allclose(real_net.mean_rgb, (122.782, 117.001, 104.298), atol=1e-4)


def test_truncated_real_file_is_a_clear_error(real_bytes, tmp_path):
    path = tmp_path / "truncated.dat"
    path.write_bytes(real_bytes[: len(real_bytes) // 2])
    with pytest.raises(DlibFormatError, match="truncated or not a dlib network"):
        read_dlib_network(path)


def test_other_dlib_file_is_rejected(tmp_path):
    other = find_model_file().with_name("shape_predictor_5_face_landmarks.dat")
    with pytest.raises(DlibFormatError, match="shape_predictor_5_face_landmarks.dat"):
        read_dlib_network(other)


def test_garbage_file_is_rejected(tmp_path):
    path = tmp_path / "noise.dat"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(DlibFormatError, match="noise.dat"):
        read_dlib_network(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="path must be an existing dlib network file"):
        read_dlib_network("/nonexistent/model.dat")
