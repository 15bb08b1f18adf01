"""Networks: small trainable ones and pretrained ones, one module each.

Each module's public names are re-exported here.
"""

from .siamese import SiameseHead as SiameseHead  # noqa: E402
from .siamese import SiameseNetwork as SiameseNetwork  # noqa: E402
from .siamese import pair_features as pair_features  # noqa: E402
from .siamese import train_siamese_head as train_siamese_head  # noqa: E402
from .protonet import Conv4, conv_block  # noqa: E402
from .dlib_resnet import DlibFaceResNet, embed_chips, pretrained_face_embedder  # noqa: E402
from .face_embedding import FaceEmbeddingNet as FaceEmbeddingNet  # noqa: E402
from .vgg import VGG19_LAYERS as VGG19_LAYERS  # noqa: E402
from .vgg import FeatureExtractor as FeatureExtractor  # noqa: E402
from .vgg import imagenet_weights_file as imagenet_weights_file  # noqa: E402
from .vgg import vgg19_features as vgg19_features  # noqa: E402
from .c3d import C3DSmall as C3DSmall  # noqa: E402
from .c3d import FrameCNN as FrameCNN  # noqa: E402
from .signal_cnn import SignalCNN as SignalCNN  # noqa: E402
from .text_cnn import MaxNorm as MaxNorm  # noqa: E402
from .text_cnn import TextCNN as TextCNN  # noqa: E402
from .text_cnn import max_over_time as max_over_time  # noqa: E402
