"""Neural style transfer (Gatys et al. 2015): the costs, and the optimiser of the pixels of G.

``costs`` holds the lecture's formulas (content cost, Gram matrix, layer and total style cost,
total variation, total cost); ``objective`` evaluates J at one image size, fast, as the
optimiser needs it; ``transfer`` minimises ``J(G) = α J_content + β J_style`` over the pixels
of the generated image G.
"""

from .costs import (
    content_cost,
    gram_matrix,
    gram_style_cost,
    layer_style_cost,
    style_cost,
    total_cost,
    total_variation,
)
from .transfer import (
    GATYS_STYLE_LAYERS,
    TransferHistory,
    resize_image,
    shuffle_patches,
    transfer_style,
)

__all__ = [
    "content_cost",
    "gram_matrix",
    "gram_style_cost",
    "layer_style_cost",
    "style_cost",
    "total_variation",
    "total_cost",
    "GATYS_STYLE_LAYERS",
    "TransferHistory",
    "transfer_style",
    "resize_image",
    "shuffle_patches",
]
