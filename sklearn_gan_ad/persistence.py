"""Safe persistence: weights as tensors, everything else as JSON.

Pickle (and ``joblib``) round trips work and are exact, but unpickling runs code
chosen by whoever wrote the file. :func:`save` writes one file that
:func:`load` reads with ``torch.load(weights_only=True)``, which only rebuilds
tensors, numbers, strings and containers: a crafted file cannot execute code.
Models trained on a GPU are written from CPU copies and load on CPU-only
machines.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import warnings
from numbers import Real

import numpy as np
import torch

FORMAT_NAME = "sklearn-gan-ad"
FORMAT_VERSION = 3
# Format 2 (0.2.0) stored one set of weights per ensemble member; it is still
# read, its weights stacked into the batched members.
_READABLE_VERSIONS = (2, FORMAT_VERSION)

# Fitted attributes that are plain numbers or strings, and those that are arrays
# (an array attribute a detector does not have, such as neighbour_reference_
# without the neighbour score, is not written).
_FITTED_SCALARS = ("offset_", "latent_dim_", "n_threads_", "n_features_in_", "n_channels_")
_FITTED_ARRAYS = (
    "input_mean_",
    "input_scale_",
    "feature_error_scale_",
    "neighbour_reference_",
    "latent_norm_median_",
)


def _detector_classes():
    from .lstm import LSTMGANAnomalyDetector
    from .tabular import GANAnomalyDetector

    return {cls.__name__: cls for cls in (GANAnomalyDetector, LSTMGANAnomalyDetector)}


def _plain(value):
    """A parameter value with numpy scalars (``np.int64(3)`` from a grid) as Python ones."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    return value


def _json_params(detector):
    if detector.get_params(deep=False).get("callbacks"):
        raise ValueError(
            "save() cannot store callbacks (they are arbitrary code); set "
            "callbacks=None before saving, or use pickle for a trusted round trip"
        )
    # the parameters the networks were built with: set_params after the fit
    # takes effect at the next fit, and the file must rebuild this model.
    # Callbacks only shaped the training: the file scores the same without them
    fitted_with = getattr(detector, "_params_at_fit", None) or detector.get_params(deep=False)
    params = {name: _plain(value) for name, value in fitted_with.items() if name != "callbacks"}
    params["callbacks"] = None
    random_state = params.get("random_state")
    if random_state is not None and not isinstance(random_state, (int, np.integer)):
        params["random_state"] = None  # a RandomState instance has no safe form
    if "hidden_layer_sizes" in params:
        params["hidden_layer_sizes"] = list(params["hidden_layer_sizes"])
    return params


def _is_open_file(target, method):
    """Whether ``target`` is an open binary file (it has ``method``) rather than a path."""
    return callable(getattr(target, method, None))


def _file_path(path, function):
    """``path`` as a str; a TypeError naming what ``function`` accepts otherwise."""
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(
            f"{function}() needs a file path (str or os.PathLike) or an open binary "
            f"file, not {type(path).__name__}"
        ) from None


def _writable_path(path):
    path = _file_path(path, "save")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder; save() needs a file path")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"folder {folder!r} does not exist; save() does not create it")
    return path


def save(detector, path) -> None:
    """Write a fitted detector to ``path`` in the safe format.

    Parameters
    ----------
    detector : GANAnomalyDetector or LSTMGANAnomalyDetector
        A fitted detector without callbacks.
    path : str, path-like or binary file object
        Destination file, or a file opened for writing in binary mode (for
        example an ``io.BytesIO``).

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist (``IsADirectoryError`` if
        ``path`` is a folder).
    TypeError
        If ``path`` is neither a path nor an open file.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(detector)
    if not _is_open_file(path, "write"):
        path = _writable_path(path)
    fitted = {
        name: _to_json_value(getattr(detector, name))
        for name in _FITTED_SCALARS
        if hasattr(detector, name)
    }
    if hasattr(detector, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(name) for name in detector.feature_names_in_]
    scorer = detector.scorer_
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "class": type(detector).__name__,
        "params": _json_params(detector),
        "fitted": fitted,
        "scorer": {
            "weights": scorer.weights,
            "location_scale": list(scorer.location_scale_),
            "members": [
                {
                    "location_scale": {k: list(v) for k, v in c.location_scale_.items()},
                    "total_location_scale": list(c.total_location_scale_),
                }
                for c in scorer.combiners_
            ],
        },
    }
    payload = {
        "metadata": json.dumps(metadata),
        "arrays": {
            name: torch.as_tensor(getattr(detector, name))
            for name in _FITTED_ARRAYS
            if hasattr(detector, name)
        },
        "modules": {
            name: {
                key: value.detach().cpu()
                for key, value in getattr(detector.net_, name + "_").state_dict().items()
            }
            for name in detector.net_._modules
        },
    }
    torch.save(payload, path)


def _to_json_value(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def load(path):
    """Read a detector written by :func:`save`; it scores on CPU.

    Parameters
    ----------
    path : str, path-like or binary file object
        File written by :func:`save`, or such a file opened for reading in
        binary mode.

    Returns
    -------
    detector : GANAnomalyDetector or LSTMGANAnomalyDetector
        The fitted detector, with ``device="cpu"``.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (``IsADirectoryError``, a subclass of
        ``OSError``, if it is a folder).
    TypeError
        If ``path`` is neither a path nor an open file.
    ValueError
        If the file is not a safe-format model (for example a pickle that
        would run code), was written by an incompatible format version, or
        its parts do not fit together (an edited or damaged file).
    """
    if _is_open_file(path, "read"):
        # the caller's file stays open: it is theirs to close
        source, path = contextlib.nullcontext(path), getattr(path, "name", "the file object")
    else:
        path = _file_path(path, "load")
        if os.path.isdir(path):
            raise IsADirectoryError(f"{path!r} is a folder, not a model file")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no sklearn-gan-ad model file at {path!r}")
        source = None
    try:
        # from an open file: torch.load picks its reader by the file name's
        # extension (a ".safetensors" name asks for the safetensors package)
        with source or open(path, "rb") as file:
            payload = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:  # UnpicklingError, or anything a crafted file triggers
        raise ValueError(
            f"{path} is not a safe sklearn-gan-ad model file and was not loaded "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("metadata"), str):
        raise ValueError(f"{path} is not a sklearn-gan-ad model file")
    try:
        metadata = json.loads(payload["metadata"])
    except json.JSONDecodeError:
        raise ValueError(f"{path} is not a sklearn-gan-ad model file") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"{path} is not a sklearn-gan-ad model file")
    if metadata.get("format_version") not in _READABLE_VERSIONS:
        raise ValueError(
            f"{path} uses model format version {metadata.get('format_version')}; this "
            f"version of sklearn-gan-ad reads versions {', '.join(map(str, _READABLE_VERSIONS))}"
        )
    try:
        detector = _rebuild(metadata, payload)
        _check_parts_fit_together(detector)
        return detector
    except (KeyError, TypeError, AttributeError, RuntimeError, ValueError, IndexError) as error:
        # an edited or damaged file: its parts do not fit together
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f"{path} is not a consistent sklearn-gan-ad model file and was not loaded "
            f"({type(error).__name__}: {message})"
        ) from None


def _rebuild(metadata, payload):
    from .networks.members import member_state_from_single
    from .scoring import EnsembleScorer, ScoreCombiner

    cls = _detector_classes()[metadata["class"]]
    params = dict(metadata["params"], device="cpu")
    # files written before 0.2.0, which renamed ``score`` (it shadowed scikit-learn's
    # score method) still load
    if "score" in params:
        params["anomaly_score"] = params.pop("score")
    if "hidden_layer_sizes" in params:
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    detector = cls(**params)
    detector._validate_params()  # the values the class would accept at fit
    detector._params_at_fit = detector.get_params(deep=False)
    for name, value in metadata["fitted"].items():
        setattr(
            detector,
            name,
            np.asarray(value, dtype=object) if name == "feature_names_in_" else value,
        )
    for name, tensor in payload["arrays"].items():
        setattr(detector, name, tensor.numpy().astype(np.float64))

    scorer_state = metadata["scorer"]
    scorer = EnsembleScorer(scorer_state["weights"])
    scorer.location_scale_ = tuple(scorer_state["location_scale"])
    scorer.combiners_ = []
    for member in scorer_state["members"]:
        combiner = ScoreCombiner(scorer_state["weights"])
        combiner.location_scale_ = {k: tuple(v) for k, v in member["location_scale"].items()}
        combiner.total_location_scale_ = tuple(member["total_location_scale"])
        scorer.combiners_.append(combiner)
    detector.scorer_ = scorer

    model_shape = detector._model_shape(detector.n_features_in_)
    # any seed: the weights drawn here are replaced by the saved ones, and a
    # seeded draw leaves the caller's global generator as it was
    net = detector._make_net(
        model_shape, detector.latent_dim_, detector.batch_size, "cpu", random_seed=0
    )
    net.initialize()
    for name in net._modules:
        module = getattr(net, name + "_")
        if "modules" in payload:
            state = payload["modules"][name]
        else:
            state = member_state_from_single(module, [m[name] for m in payload["members"]])
        module.load_state_dict(state)
    detector.net_ = net
    detector._scoring_work_per_call = detector._scoring_work(
        detector.n_features_in_, model_shape, detector.latent_dim_
    )
    return detector


def _check_parts_fit_together(detector):
    """Refuse a rebuilt detector whose fitted parts could not score together.

    The weights were checked against the networks by ``load_state_dict``; the
    other parts (threshold, score statistics, array shapes, names) are checked
    here, and then
    by scoring one row (the training mean), which uses every part a score needs.
    """
    offset = detector.offset_
    if isinstance(offset, bool) or not isinstance(offset, Real) or not math.isfinite(offset):
        raise ValueError(f"offset_ is {offset!r}, not a finite number")
    if len(detector.scorer_.combiners_) != detector.n_estimators:
        raise ValueError(
            f"the score statistics are for {len(detector.scorer_.combiners_)} members, "
            f"the networks for {detector.n_estimators}"
        )
    model_shape = detector._model_shape(detector.n_features_in_)
    array_shapes = {
        "input_mean_": model_shape[-1:],
        "input_scale_": model_shape[-1:],
        "feature_error_scale_": (detector.n_estimators, detector.n_features_in_),
    }
    for name, shape in array_shapes.items():
        if getattr(detector, name).shape != shape:
            raise ValueError(
                f"{name} has shape {getattr(detector, name).shape}, not {shape} (the "
                f"detector was fitted on samples of shape {model_shape})"
            )
    names = getattr(detector, "feature_names_in_", None)
    if names is not None and len(names) != detector.n_features_in_:
        raise ValueError(f"{len(names)} feature names for {detector.n_features_in_} features")
    row = np.broadcast_to(detector.input_mean_, model_shape).reshape(1, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "X does not have valid feature names"
        probes = (detector.decision_function(row), detector.feature_scores(row))
    if not all(np.isfinite(probe).all() for probe in probes):
        raise ValueError("the training mean does not get a finite score")
