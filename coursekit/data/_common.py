"""Types shared by the data loaders."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

__all__ = ["ImageSet", "DataNotFoundError"]


class DataNotFoundError(FileNotFoundError):
    """A data set is neither in the data dir nor downloadable right now.

    The message names ``COURSEKIT_DATA`` and the download command.
    """


@dataclass
class ImageSet:
    """A labelled image set.

    Attributes
    ----------
    images : Tensor of shape (N, C, H, W), dtype uint8
        Pixel values 0..255; C is 1 (grayscale) or 3 (RGB). ``.float_images()`` gives [0, 1].
    labels : Tensor of shape (N,), dtype int64
        Class index of each image, in ``range(len(classes))``.
    classes : list of str
        Class names (a person's name, ``"Alphabet/character07"``, ...).
    source : str
        Where the data came from (data set, variant, folder, licence/credit) for display.
    paths : list of str, optional
        The file each image was read from, when it came from files.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    source: str
    paths: list[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.images, torch.Tensor) or self.images.dim() != 4:
            raise ValueError(f"images must be a tensor of shape (N, C, H, W), got {getattr(self.images, 'shape', type(self.images))}")
        if self.images.dtype != torch.uint8:
            raise TypeError(f"images must be uint8, got {self.images.dtype}")
        if self.labels.dtype != torch.int64 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"labels must be int64 of shape ({self.images.shape[0]},), got {self.labels.dtype} {tuple(self.labels.shape)}"
            )
        if self.paths is not None and len(self.paths) != len(self.labels):
            raise ValueError(f"paths has {len(self.paths)} entries for {len(self.labels)} images")
        if len(self.labels) and int(self.labels.max()) >= len(self.classes):
            raise ValueError(f"a label is {int(self.labels.max())} but there are only {len(self.classes)} classes")

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def float_images(self) -> torch.Tensor:
        """Images as float32 in [0, 1], shape (N, C, H, W)."""
        return self.images.float().div_(255.0)

    def subset(self, index: torch.Tensor | list[int]) -> ImageSet:
        """The images at ``index`` (positions or a boolean mask), same classes list."""
        idx = torch.as_tensor(index)
        if idx.dtype == torch.bool:
            idx = idx.nonzero().flatten()
        paths = None if self.paths is None else [self.paths[i] for i in idx.tolist()]
        return ImageSet(self.images[idx], self.labels[idx], list(self.classes), self.source, paths)
