"""A bad-input sweep over the PUBLIC API: every module's ``__all__`` (issue 19, point 6).

In the spirit of scikit-learn's common estimator checks: every public callable under ``coursekit``
is collected from the ``__all__`` of every module. Each one either has an argument builder below (a
valid call, written by hand where introspection cannot invent arguments) or is in ``EXCLUDED`` with
the reason. From the valid call and the signature's annotations the sweep derives its cases:

- a parameter annotated ``torch.Tensor``: a list, a string, None (unless the annotation allows it),
  a NumPy array (unless it allows one) -> TypeError; one dimension too many, an empty tensor, and NaN
  or inf in a floating tensor -> ValueError;
- ``int``: ``True``, ``2.5``, ``"2"`` -> TypeError; ``-1`` -> ValueError (sizes and counts);
  the same value as a NumPy integer is accepted;
- ``float``: ``True``, ``"0.6"`` -> TypeError; NaN -> ValueError; a NumPy scalar and a 0-d tensor
  are accepted;
- a parameter named ``device``: ``"cuda"`` on a machine without a GPU -> ValueError.

Every error's message must name the argument. Cases that do not apply to one parameter (an
``int`` that may be negative, a tensor of any number of dimensions) are listed in ``NOT_APPLICABLE``
with the reason.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re

import numpy as np
import pytest
import torch
from torch import nn

import coursekit

# ---------------------------------------------------------------------------------------------
# the public API: every callable in the __all__ of every module, keyed by where it is defined


def _public_api() -> dict[str, object]:
    found = {}
    for info in pkgutil.walk_packages(coursekit.__path__, "coursekit."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if callable(obj):
                found.setdefault(f"{getattr(obj, '__module__', info.name)}.{name}", obj)
    return found


PUBLIC = _public_api()

# ---------------------------------------------------------------------------------------------
# valid calls: name -> () -> (args, kwargs)

_g = torch.Generator().manual_seed(0)
E = torch.randn(6, 3, generator=_g)
Y = torch.tensor([0, 0, 1, 1, 2, 2])
IMG = torch.rand(1, 3, 8, 8, generator=_g)
ACT = torch.rand(1, 4, 5, 5, generator=_g)


def _linear():
    return nn.Linear(3, 2)


def _conv():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.LazyLinear(2))


BUILDERS = {
    # distances, losses
    "coursekit.distances.safe_sqrt": lambda: ((E.abs(),), {}),
    "coursekit.distances.pairwise_distances": lambda: ((E,), {}),
    "coursekit.distances.cross_distances": lambda: ((E, E[:2]), {}),
    "coursekit.distances.paired_distances": lambda: ((E, E.flip(0)), {}),
    "coursekit.losses.masks.anchor_positive_mask": lambda: ((Y,), {}),
    "coursekit.losses.masks.anchor_negative_mask": lambda: ((Y,), {}),
    "coursekit.losses.masks.valid_triplet_mask": lambda: ((Y,), {}),
    "coursekit.losses.batch.batch_all_triplet_loss": lambda: ((Y, E, 0.2), {}),
    "coursekit.losses.batch.batch_hard_triplet_loss": lambda: ((Y, E, 0.2), {}),
    "coursekit.losses.explicit.triplet_loss": lambda: ((E, E.flip(0), E.roll(1, 0), 0.2), {}),
    "coursekit.losses.explicit.contrastive_loss": lambda: ((E, E.flip(0), Y == 0, 0.2), {}),
    # few-shot
    "coursekit.fewshot.classifiers.prototypes": lambda: ((E.reshape(3, 2, 3),), {}),
    "coursekit.fewshot.classifiers.prototype_logits": lambda: ((E, E[:3]), {}),
    "coursekit.fewshot.classifiers.prototype_classify": lambda: ((E.reshape(3, 2, 3), E), {}),
    "coursekit.fewshot.classifiers.prototypical_loss": lambda: ((E.reshape(3, 2, 3), E.reshape(3, 2, 3)), {}),
    "coursekit.fewshot.classifiers.nearest_neighbour_classify": lambda: ((E, Y, E[:2]), {}),
    "coursekit.fewshot.evaluation.mean_ci95": lambda: ((torch.tensor([0.5, 0.7, 0.9]),), {}),
    "coursekit.fewshot.evaluation.evaluate_episodes": lambda: (
        (lambda x: x, E, Y), {"n_way": 2, "k_shot": 1, "n_query": 1, "n_episodes": 2}),
    "coursekit.fewshot.evaluation.evaluate_way_shot": lambda: (
        (lambda x: x, E, Y), {"ways": (2, 3), "shots": (1,), "n_query": 1, "n_episodes": 2}),
    # sampling
    "coursekit.sampling.PKSampler": lambda: ((Y, 2, 2), {}),
    "coursekit.sampling.EpisodeSampler": lambda: ((Y,), {"n_way": 2, "k_shot": 1, "n_query": 1, "n_episodes": 1}),
    "coursekit.sampling.split_episode": lambda: ((Y, torch.tensor([0, 2]), 1, 1, torch.arange(6)), {}),
    "coursekit.sampling.identity_split": lambda: ((Y, 1), {}),
    "coursekit.sampling.all_pairs": lambda: ((Y,), {}),
    "coursekit.sampling.sample_pairs": lambda: ((Y, 2, 2), {}),
    # verification, recognition
    "coursekit.verification.metrics.pair_distances": lambda: ((E, E.flip(0)), {}),
    "coursekit.verification.metrics.far_frr": lambda: (([0.1, 0.4, 0.3, 0.9], [True, True, False, False], 0.35), {}),
    "coursekit.verification.metrics.tar_at_far": lambda: (([0.1, 0.4, 0.3, 0.9], [True, True, False, False], 0.5), {}),
    "coursekit.verification.metrics.kfold_accuracy": lambda: (([0.1, 0.4, 0.3, 0.9] * 2, [True, True, False, False] * 2), {"n_folds": 2}),
    "coursekit.verification.siamese.pair_features": lambda: ((E, E.flip(0)), {}),
    "coursekit.verification.siamese.SiameseHead": lambda: ((3,), {}),
    "coursekit.recognition.database.FaceDatabase": lambda: ((), {"dim": 3}),
    "coursekit.recognition.open_set.open_set_rates": lambda: (([0.2, 0.9], [True, True], [0.4], 0.5), {}),
    # style
    "coursekit.style.costs.content_cost": lambda: ((ACT, ACT.flip(1)), {}),
    "coursekit.style.costs.gram_matrix": lambda: ((ACT,), {}),
    "coursekit.style.costs.layer_style_cost": lambda: ((ACT, ACT.flip(1)), {}),
    "coursekit.style.costs.total_variation": lambda: ((IMG,), {}),
    "coursekit.style.transfer.resize_image": lambda: ((IMG, 6), {}),
    "coursekit.style.transfer.shuffle_patches": lambda: ((IMG[0], 4), {}),
    # models (networks whose sizes are ints), the one functional layer
    "coursekit.models.text_cnn.max_over_time": lambda: ((ACT[:, :, 0],), {}),
    "coursekit.models.protonet.Conv4": lambda: ((), {"in_channels": 1, "hidden": 4, "n_blocks": 2}),
    "coursekit.models.protonet.conv_block": lambda: ((1, 2), {}),
    "coursekit.models.face_embedding.FaceEmbeddingNet": lambda: ((), {"embedding_dim": 4, "in_channels": 1, "width": 4}),
    "coursekit.models.signal_cnn.SignalCNN": lambda: ((), {"n_classes": 2, "in_channels": 1}),
    "coursekit.models.c3d.C3DSmall": lambda: ((2,), {"in_channels": 1}),
    "coursekit.models.c3d.FrameCNN": lambda: ((2,), {"in_channels": 1}),
    # training helpers
    "coursekit.training.classifier.predict": lambda: ((_linear(), E), {"batch_size": 4}),
    "coursekit.training.classifier.accuracy": lambda: ((_linear(), E, Y.clamp(max=1)), {"batch_size": 4}),
    "coursekit.training.classifier.TensorBatches": lambda: ((E, Y, 4), {}),
    "coursekit.training.text.holdout_split": lambda: ((Y.repeat(4),), {"test_fraction": 0.25}),
    "coursekit.training.text.kfold_splits": lambda: ((Y.repeat(4),), {"n_folds": 2}),
    "coursekit.training.evaluation.embed": lambda: ((_conv(), IMG[:, :1]), {"batch_size": 4, "device": "cpu"}),
    "coursekit.training.evaluation.held_out_distances": lambda: ((E, Y), {}),
    "coursekit.training.evaluation.verification_auc": lambda: ((E, Y), {}),
    "coursekit.training.loop.to_device": lambda: (((E, Y),), {"device": "cpu"}),
    "coursekit.training.budget.TrainingBudget": lambda: ((), {"max_steps": 3, "max_seconds": 1.0}),
    # shapes, vocabulary, config
    "coursekit.conv_shapes.conv_output_size": lambda: ((14, 5), {"stride": 1, "padding": 0, "dilation": 1}),
    "coursekit.conv_shapes.conv_param_count": lambda: ((1, 16, 5), {"groups": 1}),
    "coursekit.vocab.pad_sequences": lambda: (([[1, 2], [3]],), {"min_len": 1, "pad_id": 0}),
    "coursekit.config.seed_everything": lambda: ((0,), {}),
    "coursekit.data.lfw.center_crop": lambda: ((IMG, 4), {}),
}

# Modules or names left out, each with the reason (a prefix covers everything under it).
EXCLUDED = {
    "coursekit.validation.": "the rules themselves: tested case by case in tests/test_validation.py",
    "coursekit.checks.": "exercise checkers: they take a learner's function, tested in tests/checks",
    "coursekit.cli.": "command-line entry points: arguments come from argparse, tested in tests/cli",
    "coursekit.authoring.": "notebook authoring tools (paths, notebook nodes), tested in tests/test_authoring.py",
    "coursekit.plotting.": "figures: their inputs are checked in tests/plotting and tests/test_plotting_*.py",
    "coursekit.data.": "loaders take paths and names; their bad inputs are tested in tests/data",
    "coursekit.cache.": "paths and mappings of tensors, not tensors: tested in tests/test_cache.py",
    "coursekit.visualize.": "take a model and layer names; bad inputs tested in tests/test_visualize.py",
    "coursekit.models.dlib.": "need dlib's weights or dlib itself; tested in tests/models",
    "coursekit.models.vgg.": "builds VGG-19 (tens of MB of weights) per call: too heavy per case; tests/models",
    "coursekit.models.text_cnn.TextCNN": "needs a vocabulary and embeddings; tested in tests/models",
    "coursekit.models.text_cnn.MaxNorm": "a parametrisation of a weight tensor; tested in tests/models",
    "coursekit.style.costs.gram_style_cost": "takes two Gram matrices of matching size: covered by layer_style_cost",
    "coursekit.style.costs.style_cost": "takes mappings of activations: covered by layer_style_cost",
    "coursekit.style.costs.total_cost": "takes costs (tensor or float): tested in tests/style",
    "coursekit.style.transfer.": "transfer_style runs an optimisation; the dataclass holds results",
    "coursekit.style.objective.": "transfer_style's inner loop: it validates once, then evaluates J hundreds "
                                  "of times without a finiteness pass each time; tests/style/test_objective.py",
    "coursekit.training.": "trainers run for seconds per call and take models/recipes; tested in tests/training",
    "coursekit.recognition.open_set.open_set_curve": "sequences of scores, no threshold: tests/recognition",
    "coursekit.recognition.open_set.open_set_confusion": "sequences of names: tests/recognition",
    "coursekit.verification.metrics.": "scores/is_same are array-likes, not tensors: tests/verification",
    "coursekit.verification.siamese.SiameseNetwork": "takes modules: tests/verification",
    "coursekit.fewshot.evaluation.": "result dataclasses and one-shot runs of a data set: tests/fewshot",
    "coursekit.sampling.Episode": "a named tuple of results",
    "coursekit.augment.": "random image transforms; NaN and bad shapes tested in tests/test_augment.py",
    "coursekit.conv_shapes.": "LayerShape is a result; shape_table takes modules (tests/test_conv_shapes.py)",
    "coursekit.vocab.": "text in, tested in tests/test_vocab.py",
    "coursekit.config.": "directories and the device: tested in tests/test_config.py",
    "coursekit.models.": "networks: tested in tests/models",
    "typing.": "a Literal type alias in an __all__ (FeatureKind), not a function",
}
# a builder wins over an exclusion of its module

# (name, parameter) -> {variant: reason}: cases that do not apply to that parameter
NOT_APPLICABLE = {
    ("coursekit.training.classifier.predict", "x"): {"ndim+1": "any (N, ...) input the model takes"},
    ("coursekit.training.classifier.accuracy", "x"): {"ndim+1": "any (N, ...) input the model takes"},
    ("coursekit.training.evaluation.embed", "images"): {"ndim+1": "any (N, ...) input the model takes"},
    ("coursekit.training.classifier.TensorBatches", "x"): {"ndim+1": "any (N, ...) examples"},
    ("coursekit.training.loop.to_device", "batch"): {v: "any nested structure; non-tensors are left alone"
                                                     for v in ("list", "str", "None", "ndarray", "ndim+1", "empty", "NaN", "inf")},
    ("coursekit.style.costs.content_cost", "a_C"): {"ndim+1": "(1, C, H, W) or (C, H, W)"},
    ("coursekit.style.costs.content_cost", "a_G"): {"ndim+1": "(1, C, H, W) or (C, H, W)"},
    ("coursekit.style.costs.layer_style_cost", "a_S"): {"ndim+1": "(1, C, H, W) or (C, H, W)"},
    ("coursekit.style.costs.layer_style_cost", "a_G"): {"ndim+1": "(1, C, H, W) or (C, H, W)"},
    ("coursekit.vocab.pad_sequences", "pad_id"): {"negative": "any id may be the padding id"},
    ("coursekit.config.seed_everything", "seed"): {"negative": "any integer seeds torch"},
    ("coursekit.distances.safe_sqrt", "x"): {
        "ndim+1": "elementwise, any shape", "empty": "elementwise, any shape",
        "NaN": "the inner step of the distance functions, which refuse NaN/inf in their inputs; "
               "a second finite scan of every distance matrix would cost time for nothing",
        "inf": "as NaN"},
    ("coursekit.fewshot.evaluation.evaluate_episodes", "images"): {
        v: "images go only through the learner's embed function (any shape, any values); the row count is "
           "checked against labels, and the embeddings that come back are checked"
        for v in ("ndim+1", "empty", "NaN", "inf")},
    ("coursekit.fewshot.evaluation.evaluate_way_shot", "images"): {
        v: "as evaluate_episodes: images go only through the learner's embed function"
        for v in ("ndim+1", "empty", "NaN", "inf")},
    ("coursekit.data.lfw.center_crop", "images"): {
        "ndim+1": "(..., H, W): any leading dimensions", "empty": "an empty batch crops to an empty batch",
        "NaN": "a view: the values are never read", "inf": "a view: the values are never read"},
    ("coursekit.models.text_cnn.max_over_time", "x"): {"empty": "a layer: an empty batch gives an empty batch, as torch's layers do"},
}


def _excluded(name: str) -> str | None:
    for key, reason in EXCLUDED.items():
        if name == key or (key.endswith(".") and name.startswith(key)):
            return reason
    return None


def test_every_public_callable_is_swept_or_excluded_with_a_reason():
    unclassified = sorted(n for n in PUBLIC if n not in BUILDERS and not _excluded(n))
    assert not unclassified, f"add an argument builder or an EXCLUDED entry with a reason: {unclassified}"
    assert not sorted(n for n in BUILDERS if n not in PUBLIC), "builder for a name that is not public"


# ---------------------------------------------------------------------------------------------
# the cases, derived from the annotations of the parameters that a valid call binds


def _kind(annotation) -> str | None:
    text = str(annotation).replace(" ", "")
    options = text.split("|")
    if "torch.Tensor" in options or "Tensor" in options:
        return "tensor"
    if options[0] in ("int", "float"):
        return options[0]
    return None


def _bad_values(kind: str, value, annotation: str):
    """(variant, bad value, expected error) for one parameter."""
    allows_none = "None" in str(annotation)
    if kind == "tensor":
        out = [("list", value.tolist(), TypeError), ("str", "x", TypeError)]
        if not allows_none:
            out.append(("None", None, TypeError))
        if "ndarray" not in str(annotation):
            out.append(("ndarray", value.numpy(), TypeError))
        out += [("ndim+1", value[None], ValueError), ("empty", value[:0], ValueError)]
        if value.is_floating_point() and value.numel():
            nan, inf = value.clone(), value.clone()
            nan.view(-1)[0], inf.view(-1)[-1] = math.nan, math.inf
            out += [("NaN", nan, ValueError), ("inf", inf, ValueError)]
        return out
    if kind == "int":
        return [("bool", True, TypeError), ("float", 2.5, TypeError), ("str", "2", TypeError), ("negative", -1, ValueError)]
    return [("bool", True, TypeError), ("str", "0.6", TypeError), ("NaN", math.nan, ValueError)]


def _good_values(kind: str, value):
    if kind == "int":
        return [("numpy int", np.int64(value))]
    if kind == "float":
        return [("numpy float", np.float64(value)), ("0-d tensor", torch.tensor(float(value), dtype=torch.float64))]
    return []


def _params(name):
    """(parameter name, kind, annotation, valid value) of each typed parameter of the valid call."""
    obj = PUBLIC[name]
    args, kwargs = BUILDERS[name]()
    sig = inspect.signature(obj)
    bound = sig.bind(*args, **kwargs)
    out = []
    for pname, param in sig.parameters.items():
        value = bound.arguments.get(pname, param.default)
        kind = _kind(param.annotation)
        if kind is None or value is None or value is inspect.Parameter.empty:
            continue
        if kind == "tensor" and not isinstance(value, torch.Tensor):
            continue
        if kind in ("int", "float") and (isinstance(value, bool) or not isinstance(value, (int, float))):
            continue
        out.append((pname, kind, str(param.annotation), value))
    if "device" in sig.parameters:
        out.append(("device", "device", "", bound.arguments.get("device", "cpu")))
    return out


def _call(name, pname, value):
    args, kwargs = BUILDERS[name]()
    bound = inspect.signature(PUBLIC[name]).bind(*args, **kwargs)
    bound.arguments[pname] = value
    return PUBLIC[name](*bound.args, **bound.kwargs)


BAD_CASES, GOOD_CASES = [], []
for _name in sorted(BUILDERS):
    for _pname, _kind_, _ann, _value in _params(_name):
        skip = NOT_APPLICABLE.get((_name, _pname), {})
        if _kind_ == "device":
            BAD_CASES.append(pytest.param(_name, _pname, "cuda", ValueError, id=f"{_name}-{_pname}-cuda"))
            continue
        for variant, bad, err in _bad_values(_kind_, _value, _ann):
            if variant not in skip:
                BAD_CASES.append(pytest.param(_name, _pname, bad, err, id=f"{_name}-{_pname}-{variant}"))
        for variant, good in _good_values(_kind_, _value):
            GOOD_CASES.append(pytest.param(_name, _pname, good, id=f"{_name}-{_pname}-{variant}"))


@pytest.mark.parametrize(("name", "pname", "bad", "err"), BAD_CASES)
def test_bad_input_gives_a_clear_error(name, pname, bad, err):
    if pname == "device" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU: 'cuda' is a valid device here")
    with pytest.raises(err) as info:
        _call(name, pname, bad)
    assert re.search(rf"\b{re.escape(pname)}\b", str(info.value)), f"message does not name {pname!r}: {info.value}"


@pytest.mark.parametrize(("name", "pname", "good"), GOOD_CASES)
def test_valid_spellings_are_accepted(name, pname, good):
    _call(name, pname, good)  # no error


def test_the_sweep_is_not_empty():
    # counts reported in issue 19; they only grow when builders are added
    assert len(BUILDERS) >= 60 and len(BAD_CASES) >= 600 and len(GOOD_CASES) >= 70
