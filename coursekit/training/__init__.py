"""Training: one loop (:func:`fit`) under every trainer, one budget, one result type.

- :mod:`.loop`: ``fit``, ``History``, ``Run`` (model, history, metrics, info; ``seconds``, ``steps``).
- :mod:`.budget`: ``TrainingBudget`` (max_steps and/or max_seconds), ``CosineByBudget``, and
  ``BudgetBar``, the progress bar over the budget that binds.
- :mod:`.threads`: ``ThreadTuner``, torch's CPU thread count chosen by timing steps (``fit(threads="auto")``).
- :mod:`.cached`: ``cached_run``, a ``Run`` cached by its explicit parameters (``coursekit.cache``).
- :mod:`.classifier`: tensor classifiers (clips, signals) with cross-entropy (notebook 07).
- :mod:`.text`: Kim's CNN-rand on sentences (notebook 07).
- :mod:`.embedding`: a face embedding with the triplet loss (notebooks 02–04).
- :mod:`.evaluation`: batched ``embed``, held-out pair distances, verification AUC, 2-D maps.
- :mod:`.protonet`: the Omniglot prototypical network (notebook 01).
- :mod:`.siamese`: the logistic-regression head of a Siamese verifier (notebook 03).

Every trainer takes ``device=None`` (``config.device()``: CUDA when present) and
``generator: torch.Generator | None`` (None: torch's default generator), and returns a ``Run``.
"""

from .budget import BudgetBar, CosineByBudget, TrainingBudget
from .cached import cached_run
from .classifier import TensorBatches, accuracy, predict, train_classifier
from .embedding import TripletRecipe, load_or_train_face_embedding, train_face_embedding
from .evaluation import as_float_images, embed, held_out_distances, project_2d, verification_auc
from .loop import History, Run, fit, to_device
from .protonet import GlyphEpisodes, autocast_dtype, omniglot_encoder, train_protonet
from .siamese import train_siamese_head
from .text import TokenBatches, holdout_split, kfold_splits, train_text_cnn
from .threads import ThreadTuner

__all__ = [
    "fit", "History", "Run", "to_device",
    "TrainingBudget", "CosineByBudget", "BudgetBar", "ThreadTuner",
    "cached_run",
    "TensorBatches", "predict", "accuracy", "train_classifier",
    "TokenBatches", "holdout_split", "kfold_splits", "train_text_cnn",
    "as_float_images", "embed", "held_out_distances", "verification_auc", "project_2d",
    "TripletRecipe", "train_face_embedding", "load_or_train_face_embedding",
    "GlyphEpisodes", "autocast_dtype", "train_protonet", "omniglot_encoder",
    "train_siamese_head",
]
