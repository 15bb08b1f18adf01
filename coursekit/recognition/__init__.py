"""Face recognition: a gallery of enrolled people, and open-set evaluation.

``database`` holds :class:`FaceDatabase` (enroll, verify, identify with "not recognized",
top-k search by a float32 scan or the optional FAISS backend, safe save/load); ``open_set``
measures identification when some probes belong to people never enrolled (DIR against FAR).
"""

from .database import FaceDatabase
from .open_set import UNKNOWN, open_set_confusion, open_set_curve, open_set_rates

__all__ = ["FaceDatabase", "UNKNOWN", "open_set_rates", "open_set_curve", "open_set_confusion"]
