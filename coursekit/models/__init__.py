"""Networks: small trainable ones and pretrained ones, one module each.

Each module's public names are re-exported here.
"""

from .siamese import SiameseHead as SiameseHead  # noqa: E402
from .siamese import SiameseNetwork as SiameseNetwork  # noqa: E402
from .siamese import pair_features as pair_features  # noqa: E402
from .siamese import train_siamese_head as train_siamese_head  # noqa: E402
from .face_embedding import FaceEmbeddingNet as FaceEmbeddingNet  # noqa: E402
from .vgg import VGG19_LAYERS, FeatureExtractor, imagenet_weights_file, vgg19_features  # noqa: E402
