"""dlib's pretrained face ResNet, ready to use: find its ``.dat`` file, cache the weights, embed chips.

`coursekit.models.dlib.resnet` holds the architecture; this module finds the weights inside
the PyPI package ``face_recognition_models`` (without importing it), converts them once and keeps
them as safetensors through :mod:`coursekit.cache`, keyed by the source file's SHA-256, and turns aligned 150×150 chips into 128-D descriptors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import torch

from coursekit import cache, config
from coursekit.models.dlib.resnet import CHIP_SIZE, DlibFaceResNet, load_dlib_weights

__all__ = ["find_model_file", "find_package_file", "weights_cache_path", "pretrained_face_embedder", "embed_chips",
           "MODEL_FILE"]

MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"
_CACHE_FORMAT = "coursekit-dlib-resnet-v1"


def find_model_file() -> Path:
    """Locate ``dlib_face_recognition_resnet_model_v1.dat`` inside ``face_recognition_models``.

    The package is found with ``importlib.util.find_spec`` and never imported (its ``__init__``
    imports ``pkg_resources``, which recent environments lack).

    Returns
    -------
    Path
        The 22 MB ``.dat`` file holding the network's weights.

    Raises
    ------
    FileNotFoundError
        ``face_recognition_models`` is not installed, or the file is not in it.

    Examples
    --------
    >>> find_model_file().name
    'dlib_face_recognition_resnet_model_v1.dat'
    """
    return find_package_file(MODEL_FILE)


def find_package_file(filename: str) -> Path:
    """A model file shipped in ``face_recognition_models`` (found without importing the package).

    Parameters
    ----------
    filename : str
        A file name in the package's ``models`` folder, e.g.
        ``"shape_predictor_5_face_landmarks.dat"`` (dlib's 5-point landmark model).

    Returns
    -------
    Path
        The file.

    Raises
    ------
    TypeError
        ``filename`` is not a str.
    FileNotFoundError
        The package is not installed, or it has no such file.

    Examples
    --------
    >>> find_package_file("shape_predictor_5_face_landmarks.dat").name
    'shape_predictor_5_face_landmarks.dat'
    """
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a str, got {type(filename).__name__}")
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the package face_recognition_models is not installed; "
            "`pip install face_recognition_models` provides dlib's pretrained face models"
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "models" / filename
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{filename} not found under {list(spec.submodule_search_locations)}/models")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def weights_cache_path(source_hash: str) -> Path:
    """Where the converted weights of the ``.dat`` file with SHA-256 ``source_hash`` are cached.

    Parameters
    ----------
    source_hash : str
        The hex SHA-256 of the dlib ``.dat`` file; a changed file gets another cache.

    Returns
    -------
    Path
        ``cache_dir()/dlib_face_resnet/dlib_face_resnet_<key>.safetensors`` (see :mod:`coursekit.cache`).
    """
    if not isinstance(source_hash, str) or len(source_hash) != 64:
        raise ValueError(f"source_hash must be a 64-character hex SHA-256, got {source_hash!r}")
    return cache.cache_path("dlib_face_resnet", {"format": _CACHE_FORMAT, "source_sha256": source_hash})


def pretrained_face_embedder(
    device: str | torch.device | None = None, *, model_file: str | os.PathLike | None = None
) -> DlibFaceResNet:
    """dlib's pretrained face ResNet as a frozen PyTorch module in eval mode.

    The first call converts the ``.dat`` file (about 0.5 s) and caches the weights through
    :mod:`coursekit.cache` (atomic write, checksummed; a damaged cache is reported once and rebuilt),
    keyed by the source file's SHA-256 (:func:`weights_cache_path`); later calls load the cache.

    Parameters
    ----------
    device : str or torch.device, optional
        Where to put the module; default :func:`coursekit.config.device` (CUDA when present).
    model_file : str or PathLike, optional
        A dlib ``.dat`` file; default :func:`find_model_file`.

    Returns
    -------
    DlibFaceResNet
        Input (N, 3, 150, 150) float RGB 0–255 as :func:`embed_chips` prepares it, output (N, 128).

    Examples
    --------
    >>> net = pretrained_face_embedder("cpu")
    >>> tuple(net(torch.full((1, 3, 150, 150), 128.0)).shape)
    (1, 128)
    """
    source = find_model_file() if model_file is None else Path(model_file)
    if not source.is_file():
        raise FileNotFoundError(f"model_file must be an existing dlib .dat file, got {str(source)!r}")
    model = DlibFaceResNet()
    if model_file is not None:  # an explicit file is read as it is, never cached
        load_dlib_weights(model, source)
    else:

        def convert():
            load_dlib_weights(model, source)
            return {k: v.contiguous() for k, v in model.state_dict().items()}, {"source": source.name}

        try:
            tensors, _, from_cache = cache.load_or_build(weights_cache_path(_sha256(source)), convert)
        except OSError as err:  # a read-only or full cache dir: the weights still load, uncached
            print(f"could not write the face network's weight cache ({err}); using {source.name} directly")
            load_dlib_weights(model, source)
            from_cache = False
        if from_cache:
            model.load_state_dict(tensors, strict=True)
    model.requires_grad_(False)  # pretrained and frozen; call .requires_grad_(True) to fine-tune
    return model.eval().to(config.device() if device is None else torch.device(device))


def embed_chips(chips, batch_size: int = 32, *, model: DlibFaceResNet | None = None):
    """128-D descriptors of aligned face chips.

    Parameters
    ----------
    chips : np.ndarray or Tensor of uint8, shape (N, 150, 150, 3)
        RGB chips as :func:`coursekit.models.dlib.align.align_faces` (or ``crops_to_chips``) or ``dlib.get_face_chip`` make them.
        N = 0 gives an empty (0, 128) result.
    batch_size : int
        Chips per forward pass.
    model : DlibFaceResNet, optional
        Reuse a loaded network (default: :func:`pretrained_face_embedder`, loaded per call).

    Returns
    -------
    np.ndarray or Tensor of float32, shape (N, 128)
        Same kind as ``chips`` (a tensor comes back on the model's device). Same person when
        ‖f(a) − f(b)‖₂ < 0.6.

    Examples
    --------
    >>> embed_chips(np.zeros((2, 150, 150, 3), np.uint8)).shape
    (2, 128)
    """
    is_tensor = torch.is_tensor(chips)
    if not is_tensor and not isinstance(chips, np.ndarray):
        raise TypeError(f"chips must be a numpy array or a torch tensor, got {type(chips).__name__}")
    if chips.dtype not in (np.uint8, torch.uint8):
        raise TypeError(f"chips must have dtype uint8 (RGB 0-255), got {chips.dtype}")
    shape = tuple(chips.shape)
    if len(shape) != 4 or shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
        hint = ""
        if shape[-1:] != (3,) or len(shape) == 3 and shape[-1] == CHIP_SIZE:
            hint = "; grayscale chips need 3 channels (np.repeat(gray[..., None], 3, axis=-1))"
        if shape == (CHIP_SIZE, CHIP_SIZE, 3):
            hint = "; a single chip needs a batch axis (chip[None])"
        raise ValueError(f"chips must have shape (N, 150, 150, 3), got {shape}{hint}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if model is None:
        model = pretrained_face_embedder()
    out = _embed_chips(chips if is_tensor else torch.from_numpy(np.ascontiguousarray(chips)), batch_size, model)
    return out if is_tensor else out.cpu().numpy()


def _embed_chips(chips: torch.Tensor, batch_size: int, model: DlibFaceResNet) -> torch.Tensor:
    dev = model.mean_rgb.device
    out = torch.empty(chips.shape[0], 128, device=dev)
    with torch.inference_mode():
        for start in range(0, chips.shape[0], batch_size):
            x = chips[start : start + batch_size].to(dev).permute(0, 3, 1, 2).float()
            out[start : start + batch_size] = model._forward(x.contiguous())  # uint8: finite
    return out
