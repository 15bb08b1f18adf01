"""Networks: small trainable ones and pretrained ones, one module each.

Each module's public names are re-exported here.
"""

from .c3d import C3DSmall, FrameCNN
from .dlib import DlibFaceResNet, embed_chips, find_model_file, pretrained_face_embedder
from .face_embedding import FaceEmbeddingNet
from .protonet import Conv4, conv_block
from .signal_cnn import SignalCNN
from .text_cnn import MaxNorm, TextCNN, max_over_time
from .vgg import VGG19_LAYERS, FeatureExtractor, imagenet_weights_file, vgg19_features

__all__ = [
    "C3DSmall", "FrameCNN",
    "DlibFaceResNet", "embed_chips", "find_model_file", "pretrained_face_embedder",
    "FaceEmbeddingNet",
    "Conv4", "conv_block",
    "SignalCNN",
    "MaxNorm", "TextCNN", "max_over_time",
    "VGG19_LAYERS", "FeatureExtractor", "imagenet_weights_file", "vgg19_features",
]
