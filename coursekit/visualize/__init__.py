"""Looking inside a CNN (Zeiler & Fergus 2014): what each unit sees and what it responds to.

- ``receptive_field``: receptive-field arithmetic (size, jump, start per layer);
- ``backprojection``: the same fields measured by back-propagation through any network;
- ``hooks``: the output of any named layer (forward hooks, removed after use), feature maps;
- ``topk``: the k data-set images that most activate each unit, in one streaming pass;
- ``patches``: the image patch behind each of those activations, cut with the receptive field;
- ``maximize``: activation maximisation by gradient ascent with jitter and blur.

Drawing lives in ``coursekit.plotting.visualize``.
"""

from .backprojection import (
    measure_receptive_field,
    measure_receptive_fields,
    receptive_field_by_gradient,
)
from .hooks import feature_maps, get_layer, layer_activations
from .maximize import maximize_activation
from .patches import Patches, crop_box, crop_patches
from .receptive_field import (
    LayerSpec,
    ReceptiveField,
    format_receptive_fields,
    layer_specs,
    receptive_field,
    receptive_fields,
)
from .topk import TopActivations, top_k_activations

__all__ = [
    "LayerSpec",
    "Patches",
    "ReceptiveField",
    "TopActivations",
    "crop_box",
    "crop_patches",
    "feature_maps",
    "format_receptive_fields",
    "get_layer",
    "layer_activations",
    "layer_specs",
    "maximize_activation",
    "measure_receptive_field",
    "measure_receptive_fields",
    "receptive_field",
    "receptive_field_by_gradient",
    "receptive_fields",
    "top_k_activations",
]
