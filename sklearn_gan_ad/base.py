"""Logic shared by every detector: validation, training, scores and thresholds.

A detector subclass only says which network family it trains
(:meth:`BaseAdversarialDetector._network_specs`) and how a validated 2-D array
maps onto the shape its networks take (:meth:`_to_model_shape`). Everything
else — input checks, feature standardisation, seeding, thread settings, the
skorch training loop, score components, their robust combination and the
``contamination`` threshold — lives here once.
"""

from __future__ import annotations

import contextlib
import copy
import math
from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ._spectrum import signal_rank
from ._threads import (
    choose_n_threads,
    choose_scoring_threads,
    for_each_in_threads,
    torch_threads,
)
from .callbacks import DIVERGENCE_ADVICE, TrainingDivergedError, check_callbacks
from .networks.members import with_member_axis
from .scoring import EnsembleScorer, ScoreCombiner, squared_norm_atypicality
from .training import NETWORK_DTYPE, AdversarialNet, without_autocast

# Under contamination="auto" a sample is an outlier when its combined score is
# beyond the training scores' AUTO_MIN_PERCENTILE, or, when that is lower,
# more than this many robust standard deviations above the training median.
AUTO_THRESHOLD = 3.0
# On light-tailed training scores nothing may lie 3 robust standard deviations
# out; the most extreme 1 % of the training data is then flagged instead.
AUTO_MIN_PERCENTILE = 99.0

# Standardised inputs are clipped before entering the networks so that an
# extreme test value cannot overflow float32 activations; the reconstruction
# error is still measured against the unclipped value, in float64.
_INPUT_CLIP = 1e4

# Beyond this many standard deviations a squared error would leave too little
# float64 headroom for means and standardisation (1e300 squared is inf): larger
# differences grow logarithmically instead, which keeps every finite input's
# score finite and still strictly ordered by how extreme it is.
_SQUARED_ERROR_KNEE = 1e100


def squared_errors(standardised, rebuilt):
    """Elementwise squared error of float64 tensors, compressed beyond ``_SQUARED_ERROR_KNEE``.

    Equal to ``(standardised - rebuilt) ** 2`` up to the knee; beyond it the
    curve continues with the same slope but logarithmically, so that it stays
    finite (at most about 1e203) and increasing for every finite difference.
    """
    if standardised.abs().max() <= _SQUARED_ERROR_KNEE / 2:
        # every ordinary input: a finite float32 reconstruction is below 4e38,
        # so no difference reaches the knee
        errors = (standardised - rebuilt).square_()
        if torch.isfinite(errors.max()):
            return errors
    difference = (standardised - rebuilt).abs_()
    difference.clamp_(max=np.finfo(np.float64).max)
    errors = difference.clamp(max=_SQUARED_ERROR_KNEE).square_()
    beyond = difference > _SQUARED_ERROR_KNEE
    knee_sq = _SQUARED_ERROR_KNEE**2
    errors[beyond] = knee_sq * (1.0 + 2.0 * torch.log(difference[beyond] / _SQUARED_ERROR_KNEE))
    return errors


# Rows per chunk (every scoring call has exactly this many, padded): small
# chunks keep the activations of all members in cache, but each call has a
# fixed cost, and a single row costs a whole chunk. With 5 members, 1M x 20
# rows scored about as fast in 2,048-row as in 4,096-row chunks (2.14 s and
# 2.06 s, benchmarks/perf.py) at half the single-row cost (8.5 ms; 17.9 ms for
# IsolationForest). Wide data keeps at most _CHUNK_ELEMENTS inputs per chunk.
_CHUNK_ROWS = 2048
_CHUNK_ELEMENTS = 2**21

# Training rows whose per-feature errors set each feature's typical error; a
# quantile over this many rows is precise enough and keeps fit memory bounded.
_ERROR_SCALE_ROWS = 16384

# Each feature's typical squared error is this quantile over the training rows.
# Not the median: a feature that is almost always zero (a rarely inked pixel) has
# a median error near zero, and its occasional normal non-zero values would then
# outweigh every other feature.
_ERROR_SCALE_QUANTILE = 0.75

# Pruning fits each member's robust score units on at most this many evenly
# spaced training rows (as precise as the error scale's quantiles), then
# scores the rows in blocks of _PRUNING_BLOCK_ROWS: holding every member's
# scores of a million rows at once took the fit 30 MB over its memory goal.
_PRUNING_FIT_ROWS = 16384
_PRUNING_BLOCK_ROWS = 65536

# Range of epochs="auto"; the target number of steps is a class attribute.
_AUTO_EPOCHS_RANGE = (20, 300)

# The neighbour score is the mean distance to this many nearest training rows
# in the critic's embedding (5, as the k-nearest-neighbour baseline it rivals).
_N_NEIGHBOURS = 5

# Each member keeps at most this many training rows' embeddings as the
# neighbour reference, and at most _NEIGHBOUR_REFERENCE_ELEMENTS float64 values
# (32 MiB): wide embeddings (windows) keep fewer rows.
_NEIGHBOUR_REFERENCE_ROWS = 8192
_NEIGHBOUR_REFERENCE_ELEMENTS = 2**22

# Score components with one value per element of a sample, not one per sample.
_ELEMENT_OUTPUTS = ("reconstructed", "element_errors")

# An embedding at most this far from a reference row is that row itself (or an
# exact copy of it). Every scoring call has one shape, so a row's embedding is
# the same bits in any call; the margin covers float32 rounding (about 1e-6
# over a 64-wide embedding of standardised rows) should a BLAS not guarantee
# that, and is far below the distance between two distinct rows.
_SAME_ROW_DISTANCE = 1e-5


def _is_fitted_name(name):
    """Whether an attribute name is a fitted attribute's (``n_features_in_``, ``net_``, ...)."""
    return name.endswith("_") and not name.startswith("_")


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but no CUDA GPU is available to torch; "
            "use device='cpu' or device='auto'"
        )
    return device


def _training_seed(random_state):
    """Seed for torch drawn without touching numpy's global random state."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    return int(np.random.default_rng(random_state).integers(2**31 - 1))


class BaseAdversarialDetector(OutlierMixin, BaseEstimator):
    """Base class of the GAN anomaly detectors; not meant to be used directly."""

    # optimisation steps that epochs="auto" aims at
    _auto_steps = 1500

    # rows per scoring call when fewer than _CHUNK_ROWS pay for a call (None:
    # _CHUNK_ROWS); every call is padded to it, so small inputs pay for all of it
    _max_chunk_rows = None

    # latent_dim="auto" gives one latent unit per this many input features
    _features_per_latent_unit = 4

    # The reconstruction term of the combined score: "reconstruction" is the
    # plain mean squared error, "scaled_reconstruction" divides each feature's
    # squared error by its upper quartile on the training data first, so that features
    # the networks reproduce poorly even for normal data do not dominate.
    _reconstruction_component = "reconstruction"

    # The latent term of the combined score: "latent" is the code's squared
    # norm (the prior's negative log-density up to constants), "latent_typicality"
    # its distance from the training codes' median squared norm, which also
    # calls codes far shorter than normal ones atypical
    # (scoring.squared_norm_atypicality).
    _latent_component = "latent"

    _parameter_constraints: dict = {
        "latent_dim": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "critic_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "adversarial_loss": [StrOptions({"bce", "wasserstein"})],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "trim_fraction": [Interval(Real, 0, 0.5, closed="left")],
        "prune_threshold": [Interval(Real, 0, None, closed="neither"), None, StrOptions({"auto"})],
        "anomaly_score": [
            StrOptions({"reconstruction", "discriminator", "neighbours", "combined", "auto"})
        ],
        "discriminator_weight": [Interval(Real, 0, None, closed="left")],
        "latent_weight": [Interval(Real, 0, None, closed="left")],
        "neighbour_weight": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "novelty": ["boolean"],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "callbacks": [list, None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_threads": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # What each parameter left at "auto" resolves to, without and with
    # novelty=True; the evidence for each is in the subclasses' docstrings.
    _auto_values = {
        "anomaly_score": {False: "combined", True: "neighbours"},
        "prune_threshold": {False: 2.0, True: None},
        "neighbour_weight": {False: 0.0, True: 8.0},
        "latent_dim": {False: "per_feature", True: "per_feature"},
    }

    # -- hooks for the network families ------------------------------------------

    @abstractmethod
    def _network_specs(self, model_shape, latent_dim):
        """``{"module"|"generator"|"critic_x"|"critic_z": (class, kwargs)}``."""

    def _to_model_shape(self, X):
        """Reshape a validated 2-D array to what the networks take (rows by default)."""
        return X

    def _work_per_step(self, model_shape, latent_dim):
        """Rough multiply-adds of one member's training step, to choose the thread count."""
        return self.batch_size * int(np.prod(model_shape)) * latent_dim * 16

    def _validate_input(self, X, reset):
        """Check X at the public boundary; returns a C-ordered float 2-D array.

        C order because the sums over a row's features (and torch's kernels)
        add in an order that follows the memory layout: a Fortran-ordered
        array, e.g. from a DataFrame, would score in different last bits.
        """
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            order="C",
            ensure_min_samples=2 if reset else 1,
        )

    def _resolved_latent_dim(self, n_features, training_gram=None):
        """The code size; ``"auto"`` follows ``_auto_values["latent_dim"]``.

        ``"per_feature"``: one unit per ``_features_per_latent_unit`` features,
        clipped to [2, 32]. ``"signal_rank"``: that size, or more where the
        standardised training data has more principal directions above its
        noise floor (:func:`signal_rank`), so that the code can hold every
        direction of normal variation (at most ``n_features``); it calls
        ``training_gram()`` for ``(gram, shape)`` of the centred data.
        """
        rule = self._resolved("latent_dim")
        if rule not in ("per_feature", "signal_rank"):
            return rule
        units = math.ceil(n_features / self._features_per_latent_unit)
        per_feature = int(min(32, max(2, units)))
        if rule == "per_feature":
            return per_feature
        return int(min(n_features, max(per_feature, signal_rank(*training_gram()))))

    # Above this many values per sample, the signal rank is estimated from
    # at most this many evenly spaced samples through their (smaller) Gram
    # matrix X Xᵀ: Xᵀ X would need n_features² memory and an eigensolve
    # that grows with its cube (4.6 s at 4,096² on one core here)
    _max_gram_size = 4096

    def _centred_gram(self, X, mean, scale):
        """``(gram, shape)`` of the standardised, clipped, centred training data.

        ``Xᵀ X`` accumulated chunk by chunk, or for wide samples ``X Xᵀ`` of
        at most ``_max_gram_size`` evenly spaced samples (see :func:`signal_rank`).
        """
        n_samples, n_features = X.shape
        if n_features <= self._max_gram_size:
            total, gram = 0.0, 0.0
            for rows in self._chunk_slices(X):
                _, clipped = self._standardised_and_clipped(X[rows], mean, scale)
                flat = clipped.reshape(len(clipped), -1)
                total = total + flat.sum(axis=0)
                gram = gram + flat.T @ flat
            centre = total / n_samples
            return gram - n_samples * np.outer(centre, centre), (n_samples, n_features)
        # at most one sample per index: the spacing is at least 1
        kept = np.linspace(0, n_samples - 1, min(n_samples, self._max_gram_size)).astype(np.intp)
        _, clipped = self._standardised_and_clipped(X[kept], mean, scale)
        flat = clipped.reshape(len(kept), -1)
        flat = flat - flat.mean(axis=0)
        return flat @ flat.T, flat.shape

    def _resolved_epochs(self, n_samples):
        if self.epochs == "auto":
            n_batches = math.ceil(n_samples / self.batch_size)
            low, high = _AUTO_EPOCHS_RANGE
            return int(np.clip(round(self._auto_steps / n_batches), low, high))
        return self.epochs

    def _resolved(self, name):
        """The value of parameter ``name``, with ``"auto"`` resolved by ``novelty``."""
        value = getattr(self, name)
        if isinstance(value, str) and value == "auto":
            return self._auto_values[name][bool(self.novelty)]
        return value

    def _score_weights(self):
        # Python floats: a weight from a numpy search grid (np.int64, np.float32)
        # must score the same and be storable by save()
        reconstruction = self._reconstruction_component
        combined = {
            reconstruction: 1.0,
            "discriminator": float(self._resolved("discriminator_weight")),
            self._latent_component: float(self._resolved("latent_weight")),
        }
        neighbour_weight = float(self._resolved("neighbour_weight"))
        if neighbour_weight:
            # only named when used: the scorer of a detector without it stays
            # exactly what it was before the component existed
            combined["neighbours"] = neighbour_weight
        return {
            "reconstruction": {reconstruction: 1.0},
            "discriminator": {"discriminator": 1.0},
            "neighbours": {"neighbours": 1.0},
            "combined": combined,
        }[self._resolved("anomaly_score")]

    # -- fitting ----------------------------------------------------------------------

    def _standardise(self, X, mean, scale):
        """Per-feature (per-channel for windows) standardisation, in model shape.

        A finite value so extreme that it overflows once standardised becomes
        the largest float64 rather than ``inf``, so its error stays finite.
        """
        with np.errstate(over="ignore"):
            standardised = (self._to_model_shape(X) - mean) / scale
        limit = np.finfo(np.float64).max
        return np.clip(standardised, -limit, limit, out=standardised)

    def _fit_input_scaling(self, X):
        """Per-feature (per-channel) mean and standard deviation, chunk by chunk.

        Accumulating in float64 per chunk avoids a full float64 copy of
        float32 input. The sums run on each column divided by the power of two
        at or below its largest magnitude: the squares of values beyond about
        1e154 overflow and those below 1e-154 underflow, and a power of two
        rescales exactly, so the result is the same bits wherever neither
        happens — scores do not depend on the data's units.
        """
        largest = 0.0
        for flat in self._feature_rows(X):
            largest = np.maximum(largest, np.abs(flat).max(axis=0))
        # the power of two at or below the largest magnitude: 2**1023 for the
        # largest floats, where the next one up would be inf
        magnitude = np.ldexp(0.5, np.frexp(largest)[1])
        total, total_sq, count = 0.0, 0.0, 0
        for flat in self._feature_rows(X):
            total = total + (flat / magnitude).sum(axis=0)
            count += len(flat)
        mean = total / count
        for flat in self._feature_rows(X):
            total_sq = total_sq + ((flat / magnitude - mean) ** 2).sum(axis=0)
        variance = total_sq / count
        # Constant columns would divide by zero; they carry no information
        # anyway. "Constant" is scikit-learn's StandardScaler rule, a variance
        # within float64 rounding of zero: relative to the column's own size,
        # so a column measured in tiny units (a standard deviation of 1e-12) is
        # scaled like any other instead of being left unscaled.
        eps = np.finfo(np.float64).eps
        constant = variance <= count * eps * variance + (count * eps * mean) ** 2
        scale = np.sqrt(variance) * magnitude
        # a spread below the smallest normal float64 (values of ~1e-308 and
        # less) cannot be divided by without losing every digit: such a
        # column is taken as constant too
        constant |= scale < np.finfo(np.float64).tiny
        scale[constant] = 1.0
        return mean * magnitude, scale

    def _feature_rows(self, X):
        """X chunk by chunk as float64 rows of one feature (channel) each."""
        for chunk in self._chunks(X):
            model_chunk = self._to_model_shape(chunk).astype(np.float64)
            yield model_chunk.reshape(-1, model_chunk.shape[-1])

    def _standardised_and_clipped(self, chunk, mean, scale):
        """``(standardised, clipped)`` for one chunk of X, in model shape.

        ``clipped`` is what the networks see; errors are measured against the
        unclipped ``standardised`` values.
        """
        standardised = self._standardise(chunk, mean, scale)
        return standardised, np.clip(standardised, -_INPUT_CLIP, _INPUT_CLIP)

    def _model_shape(self, n_features):
        """The shape of one sample as the networks take it."""
        return self._to_model_shape(np.zeros((1, n_features))).shape[1:]

    def _make_net(self, model_shape, latent_dim, n_samples, device, random_seed=None):
        """The skorch net that trains every ensemble member at once."""
        specs = self._network_specs(model_shape, latent_dim)
        kwargs = {}
        for name, spec in specs.items():
            cls, module_kwargs = with_member_axis(*spec)
            kwargs[name] = cls
            kwargs.update({f"{name}__{key}": value for key, value in module_kwargs.items()})
        critic_lr = self.critic_learning_rate or self.learning_rate
        module_cls = kwargs.pop("module")
        return AdversarialNet(
            module_cls,
            latent_dim=latent_dim,
            n_members=self.n_estimators,
            adversarial_loss=self.adversarial_loss,
            reconstruction_weight=self.reconstruction_weight,
            n_critic=self.n_critic,
            trim_fraction=self.trim_fraction,
            random_seed=random_seed,
            lr=self.learning_rate,
            optimizer_critic__lr=critic_lr,
            max_epochs=self._resolved_epochs(n_samples),
            batch_size=min(self.batch_size, n_samples),
            # fitted copies: callbacks keep state, and the detector's parameter
            # must stay as the user set it
            callbacks=copy.deepcopy(list(self.callbacks or [])),
            device=device,
            verbose=self.verbose,
            **kwargs,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: None = None) -> BaseAdversarialDetector:
        """Train the encoder, generator and critics on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; may contain a few anomalies (unsupervised setting).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted detector.
        """
        # training needs autograd even when the caller scores under no_grad or
        # inference_mode (a fit there raised torch's "does not require grad")
        with self._previous_fitted_state_on_failure(), torch.inference_mode(False):
            with torch.enable_grad(), without_autocast():
                return self._fit(X)

    @contextlib.contextmanager
    def _previous_fitted_state_on_failure(self):
        """Put back the fitted attributes there were if the body raises (or is interrupted).

        Validating X already records ``n_features_in_`` and ``feature_names_in_``
        for the new data: a fit that then fails must not leave them beside the
        previous fit's networks.
        """
        before = {name: value for name, value in vars(self).items() if _is_fitted_name(name)}
        try:
            yield
        except BaseException:
            for name in [name for name in vars(self) if _is_fitted_name(name)]:
                if name not in before:
                    delattr(self, name)
            for name, value in before.items():
                setattr(self, name, value)
            raise

    def _fit(self, X):
        # the networks are built from these; save() writes them, not values
        # set_params gave after the fit, so that the file rebuilds this model
        # (copies: a list the caller mutates after the fit must not change them)
        params_at_fit = {
            name: value if name == "callbacks" else copy.deepcopy(value)
            for name, value in self.get_params(deep=False).items()
        }
        X = self._validate_input(X, reset=True)
        self._validate_network_params()
        check_callbacks(self.callbacks)
        device = _resolve_device(self.device)
        mean, scale = self._fit_input_scaling(X)
        model_shape = self._model_shape(X.shape[1])
        latent_dim = self._resolved_latent_dim(
            X.shape[1], lambda: self._centred_gram(X, mean, scale)
        )
        n_threads = choose_n_threads(
            self.n_threads, self.n_estimators * self._work_per_step(model_shape, latent_dim)
        )
        scoring_work = self._scoring_work(X.shape[1], model_shape, latent_dim)
        scoring_threads = choose_scoring_threads(self.n_threads, scoring_work)
        with torch_threads(n_threads):
            tensor = self._training_tensor(X, mean, scale).to(device)
            net = self._make_net(
                model_shape, latent_dim, len(X), device, _training_seed(self.random_state)
            )
            error_scales = self._train_members(net, tensor, X, mean, scale, scoring_threads)
            del tensor
            references = None
            if "neighbours" in self._scored_components():
                references = self._neighbour_references(net, X, mean, scale, scoring_threads)
            components, typical_squared_norms = self._training_components(
                net,
                X,
                mean,
                scale,
                scoring_threads,
                self._scored_components(),
                error_scales,
                references=references,
            )
        scorer = EnsembleScorer(self._score_weights()).fit(components)
        train_scores = -scorer.transform(components)
        if not np.isfinite(train_scores).all():
            # the divergence guard restores finite weights; this is the last
            # line before a detector whose every score and threshold is NaN
            raise TrainingDivergedError(
                f"training left non-finite scores on the training data; {DIVERGENCE_ADVICE}"
            )
        if self.contamination == "auto":
            offset = max(
                -AUTO_THRESHOLD, float(np.percentile(train_scores, 100.0 - AUTO_MIN_PERCENTILE))
            )
        else:
            offset = float(np.percentile(train_scores, 100.0 * self.contamination))
        # fitted attributes are set together, only once training succeeded: an
        # interrupted or failed fit leaves the previous fitted state (or none)
        fitted = dict(
            input_mean_=mean,
            input_scale_=scale,
            feature_error_scale_=error_scales,
            net_=net,
            latent_dim_=latent_dim,
            n_threads_=n_threads,
            scorer_=scorer,
            offset_=offset,
            _params_at_fit=params_at_fit,
            _scoring_work_per_call=scoring_work,
        )
        # left by an earlier fit that scored with them, they must not outlive it
        for name, value in (
            ("neighbour_reference_", references),
            ("latent_norm_median_", typical_squared_norms),
        ):
            if value is not None:
                fitted[name] = value
            elif hasattr(self, name):
                delattr(self, name)
        for name, value in fitted.items():
            setattr(self, name, value)
        return self

    def _validate_network_params(self):
        """Check what ``_parameter_constraints`` cannot express; called by fit."""

    def _scoring_work(self, n_features, model_shape, latent_dim):
        """Multiply-adds of one (fixed-shape) scoring call through every member.

        Computed from the parameters the networks are built with; a fitted
        detector keeps it (``_scoring_work_per_call``), as ``set_params`` after
        the fit takes effect at the next fit and must not break scoring.
        """
        rows_per_call = self._chunk_rows(np.empty((0, n_features)))
        work_per_row = self._work_per_step(model_shape, latent_dim) / self.batch_size
        return self.n_estimators * rows_per_call * work_per_row

    def _fitted_scoring_threads(self):
        """Scoring threads of a fitted detector: the current ``n_threads`` (like
        ``n_jobs`` in scikit-learn, it may change after the fit) for the fitted
        networks' work."""
        validate_parameter_constraints(
            {"n_threads": self._parameter_constraints["n_threads"]},
            {"n_threads": self.n_threads},
            caller_name=type(self).__name__,
        )
        work = getattr(self, "_scoring_work_per_call", None)
        if work is None:  # pickled before the work was kept
            model_shape = self._model_shape(self.n_features_in_)
            work = self._scoring_work(self.n_features_in_, model_shape, self.latent_dim_)
        return choose_scoring_threads(self.n_threads, work)

    def _train_members(self, net, tensor, X, mean, scale, n_threads):
        """Train every ensemble member; return their per-feature error scales.

        With ``prune_threshold``, the members train the first half of the epochs
        on every row, then each leaves out the rows it already scores as clear
        outliers for the second half: in the unsupervised setting those are
        mostly the anomalies, which the generator would otherwise learn to
        reproduce.
        """
        select_rows = None
        if self._resolved("prune_threshold") is not None:

            def select_rows(net):
                return self._rows_to_keep(net, X, mean, scale, n_threads)

        net.fit(tensor, rows_for_second_half=select_rows)
        return self._feature_error_scale(net, X, mean, scale, n_threads)

    def _rows_to_keep(self, net, X, mean, scale, n_threads):
        """For each member, the indices of the rows it scores at most ``prune_threshold``.

        Scores are in robust standard units of the training rows (median 0,
        IQR-based scale 1), so the same threshold prunes few clean rows and
        most planted outliers whatever the data's scale. The units are fitted
        on at most ``_PRUNING_FIT_ROWS`` evenly spaced rows (all of them below
        that), and the rows are then scored block by block, so that pruning a
        large training set does not hold every member's scores of every row.
        """
        error_scale = self._feature_error_scale(net, X, mean, scale, n_threads)
        # the neighbour reference only exists once the member is trained; rows
        # are judged by the networks' own errors (the reconstruction error when
        # the score is the neighbour distance alone)
        weights = {k: w for k, w in self._score_weights().items() if k != "neighbours"}
        if not any(weights.values()):
            weights = {self._reconstruction_component: 1.0}
        names = tuple(k for k, w in weights.items() if w)

        sample = X
        if len(X) > _PRUNING_FIT_ROWS:
            sample = X[np.linspace(0, len(X) - 1, _PRUNING_FIT_ROWS).astype(np.intp)]
        fitted_on, typical_squared_norms = self._training_components(
            net, sample, mean, scale, n_threads, names, error_scale
        )

        def components(rows):
            return self._score_components(
                net,
                rows,
                mean,
                scale,
                n_threads,
                names,
                error_scale,
                typical_squared_norms=typical_squared_norms,
            )

        combiners = [ScoreCombiner(weights).fit(member) for member in fitted_on]
        threshold = self._resolved("prune_threshold")
        kept = [[] for _ in combiners]
        for start in range(0, len(X), _PRUNING_BLOCK_ROWS):
            if sample is X and len(X) <= _PRUNING_BLOCK_ROWS:
                block = fitted_on  # already scored: all rows, one block
            else:
                block = components(X[start : start + _PRUNING_BLOCK_ROWS])
            for rows, combiner, member in zip(kept, combiners, block):
                rows.append(start + np.flatnonzero(combiner.transform(member) <= threshold))
        kept = [np.concatenate(rows) for rows in kept]
        # a member that judges no row normal (non-finite scores mid-training)
        # cannot be pruned: it keeps every row, and the divergence checks decide
        return [rows if len(rows) else np.arange(len(X)) for rows in kept]

    def _feature_error_scale(self, net, X, mean, scale, n_threads):
        """Each member's typical squared error of each feature (model input element).

        The ``_ERROR_SCALE_QUANTILE`` quantile of the squared errors, measured
        on at most ``_ERROR_SCALE_ROWS`` evenly spaced training rows;
        a feature a member reproduces exactly (a constant column) gets scale 1.
        Returns shape ``(n_members, n_elements)``.
        """
        if len(X) > _ERROR_SCALE_ROWS:
            X = X[np.linspace(0, len(X) - 1, _ERROR_SCALE_ROWS).astype(np.intp)]
        members = self._score_components(net, X, mean, scale, n_threads, names=("element_errors",))
        error_scale = np.stack(
            [np.quantile(m["element_errors"], _ERROR_SCALE_QUANTILE, axis=0) for m in members]
        )
        error_scale[~(error_scale > np.finfo(np.float64).tiny)] = 1.0
        return error_scale

    def _neighbour_references(self, net, X, mean, scale, n_threads):
        """Each member's critic embeddings of evenly spaced training rows.

        Returns an array of shape ``(n_members, n_reference, width)``: at most
        ``_NEIGHBOUR_REFERENCE_ROWS`` rows and ``_NEIGHBOUR_REFERENCE_ELEMENTS``
        values per member.
        """
        with torch_threads(n_threads):
            (_, _, first_row), *_ = self._network_batches(X[:1], mean, scale)
            width = net.embed(first_row.to(net.device)).shape[2]
            limit = max(
                _N_NEIGHBOURS,
                min(_NEIGHBOUR_REFERENCE_ROWS, _NEIGHBOUR_REFERENCE_ELEMENTS // width),
            )
            rows = np.arange(len(X))
            if len(X) > limit:
                rows = np.linspace(0, len(X) - 1, limit).astype(np.intp)
            references = np.empty((net.n_members, len(rows), width))
            for chunk_rows, chunk, x in self._network_batches(X[rows], mean, scale):
                embedded = net.embed(x.to(net.device))[:, : len(chunk)]
                references[:, chunk_rows] = embedded.cpu().numpy()
        return references

    def _training_components(
        self, net, X, mean, scale, n_threads, names, error_scales=None, references=None
    ):
        """:meth:`_score_components` of training rows, and what the typicality is relative to.

        The latent typicality of a training row is relative to the training
        rows' median squared code norm, so it is derived from their norms,
        scored in the same pass. Returns the members' components and each
        member's median squared code norm, shape ``(n_members,)`` (``None``
        unless ``"latent_typicality"`` is among ``names``).
        """
        if "latent_typicality" not in names:
            members = self._score_components(
                net, X, mean, scale, n_threads, names, error_scales, references=references
            )
            return members, None
        with_norms = tuple(
            dict.fromkeys("latent" if n == "latent_typicality" else n for n in names)
        )
        members = self._score_components(
            net, X, mean, scale, n_threads, with_norms, error_scales, references=references
        )
        typical_squared_norms = np.array([np.median(member["latent"]) for member in members])
        for member, typical in zip(members, typical_squared_norms):
            member["latent_typicality"] = squared_norm_atypicality(member["latent"], typical)
            if "latent" not in names:
                del member["latent"]
        return members, typical_squared_norms

    @staticmethod
    def _neighbour_distances(index, reference, embedded):
        """Mean distance to the ``_N_NEIGHBOURS`` nearest reference rows but itself.

        A row whose embedding coincides with a reference row's — a training
        row, or an exact copy of one — is measured against the *other*
        reference rows. Training rows are thus scored leave-one-out, as new
        rows are, so that thresholds set on them hold for new rows; and
        ``predict`` on the training rows still sees exactly the scores the
        threshold was set on.
        """
        n_query = min(_N_NEIGHBOURS + 1, index.n_samples_fit_)
        _, candidates = index.kneighbors(embedded, n_neighbors=n_query)
        # the search's distances come from |a|^2 - 2ab + |b|^2, whose rounding
        # hides a zero distance; the candidates' distances are recomputed exactly
        distances = np.linalg.norm(reference[candidates] - embedded[:, None, :], axis=2)
        distances.sort(axis=1)
        itself = distances[:, 0] <= _SAME_ROW_DISTANCE
        result = distances[:, :_N_NEIGHBOURS].mean(axis=1)
        if itself.any():
            result[itself] = distances[itself, 1 : _N_NEIGHBOURS + 1].mean(axis=1)
        return result

    def _network_batches(self, X, mean, scale):
        """Yield ``(rows, standardised, x)``: chunks of X as the networks score them.

        ``x`` is the clipped chunk as a float32 tensor, the last one padded with
        zero rows so that every call to the networks has the same shape. A
        matrix product's rounding can depend on its shape (for 1-3 rows torch
        took another kernel whose results differed by 3e-7), never on the
        other rows of a call of one shape: with one shape per detector, a
        sample's score does not depend on which other samples are scored with
        it, as scikit-learn requires, in float32 — 4.6x faster than float64
        matrix products on the reference machine (benchmarks/perf.py).
        """
        for rows in self._chunk_slices(X):
            yield (rows, *self._network_input(X[rows], mean, scale, self._chunk_rows(X)))

    def _network_input(self, chunk, mean, scale, n_rows):
        """``(standardised, x)`` for one chunk: x padded to ``n_rows`` rows."""
        model_chunk, clipped = self._standardised_and_clipped(chunk, mean, scale)
        x = torch.zeros((n_rows, *clipped.shape[1:]), dtype=NETWORK_DTYPE)
        x[: len(clipped)] = torch.as_tensor(clipped)
        return model_chunk, x

    def _training_tensor(self, X, mean, scale):
        """Standardised, clipped float32 copy of X, filled chunk by chunk.

        Only the float32 tensor the networks train on is allocated in full;
        float64 intermediates exist for one chunk at a time.
        """
        tensor = torch.empty((len(X), *self._model_shape(X.shape[1])), dtype=NETWORK_DTYPE)
        for rows in self._chunk_slices(X):
            _, clipped = self._standardised_and_clipped(X[rows], mean, scale)
            tensor[rows] = torch.as_tensor(clipped, dtype=NETWORK_DTYPE)
        return tensor

    # -- scoring --------------------------------------------------------------------

    def _chunk_rows(self, X):
        """Rows per chunk: fixed for a detector, as its inputs have a fixed width."""
        limit = self._max_chunk_rows or _CHUNK_ROWS
        return max(64, min(limit, _CHUNK_ELEMENTS // max(1, X.shape[1])))

    def _chunk_slices(self, X):
        """Row slices of X of bounded size, so scoring memory does not grow with X."""
        rows = self._chunk_rows(X)
        for start in range(0, len(X), rows):
            yield slice(start, start + rows)

    def _chunks(self, X):
        """Row blocks of X of bounded size."""
        for rows in self._chunk_slices(X):
            yield X[rows]

    def _scored_components(self):
        """The components ``score_samples`` combines (those with a non-zero weight)."""
        return tuple(name for name, weight in self._score_weights().items() if weight)

    def _needs_discriminator(self):
        return "discriminator" in self._scored_components()

    def _score_components(
        self,
        net,
        X,
        mean,
        scale,
        n_threads,
        names,
        error_scales=None,
        references=None,
        typical_squared_norms=None,
    ):
        """Score components of X for every ensemble member, chunk by chunk.

        Returns one dict per member with the requested ``names`` among
        ``"reconstructed"`` (the reconstructions in the input's units, as large
        as X), ``"reconstruction"``, ``"scaled_reconstruction"`` (needs each member's
        per-feature ``error_scales``), ``"latent"``, ``"latent_typicality"``
        (needs each member's median squared code norm of the training rows,
        ``typical_squared_norms``), ``"discriminator"`` and
        ``"neighbours"`` (needs each member's embedded training rows,
        ``references``) and ``"element_errors"`` (each element's squared
        error in standardised units, as large as X). Only what is asked for is
        computed and kept: each output is as long as X, the element outputs as
        large as X, and the discriminator needs the costliest network.
        """
        n_rows, n_members = len(X), net.n_members
        with_discriminator = "discriminator" in names
        indexes = None
        if "neighbours" in names:
            indexes = [NearestNeighbors().fit(reference) for reference in references]
        # outputs are allocated once and filled in place: appending per-chunk
        # arrays fragmented the heap and kept freed temporaries resident
        outputs = {
            name: np.empty(
                (n_members, n_rows, *X.shape[1:])
                if name in _ELEMENT_OUTPUTS
                else (n_members, n_rows)
            )
            for name in names
        }
        if "scaled_reconstruction" in names:
            inverse_scales = 1.0 / torch.as_tensor(error_scales, dtype=torch.float64)[:, None, :]

        chunk_rows = self._chunk_rows(X)

        def score_chunk(rows):
            # standardised in the worker thread too: only slicing stays serial
            model_chunk, x = self._network_input(X[rows], mean, scale, chunk_rows)
            x = x.to(net.device)
            n_chunk = len(model_chunk)
            rebuilt, residual, code_norm = net.score_parts(x, with_residual=with_discriminator)
            # errors against the unclipped inputs, in float64
            standardised = torch.from_numpy(model_chunk.reshape(n_chunk, -1))
            rebuilt = rebuilt[:, :n_chunk].reshape(n_members, n_chunk, -1)
            rebuilt = rebuilt.cpu().to(torch.float64, memory_format=torch.contiguous_format)
            errors = squared_errors(standardised, rebuilt)
            if "reconstruction" in outputs:
                outputs["reconstruction"][:, rows] = errors.mean(dim=2).numpy()
            if "scaled_reconstruction" in outputs:
                scaled = (errors * inverse_scales).mean(dim=2)
                outputs["scaled_reconstruction"][:, rows] = scaled.numpy()
            if "latent" in outputs:
                outputs["latent"][:, rows] = code_norm[:, :n_chunk].cpu().numpy()
            if "latent_typicality" in outputs:
                outputs["latent_typicality"][:, rows] = squared_norm_atypicality(
                    code_norm[:, :n_chunk].cpu().numpy(), typical_squared_norms[:, None]
                )
            if with_discriminator:
                outputs["discriminator"][:, rows] = residual[:, :n_chunk].cpu().numpy()
            if indexes is not None:
                embedded = net.embed(x)[:, :n_chunk].cpu().numpy().astype(np.float64)
                for member, index in enumerate(indexes):
                    outputs["neighbours"][member, rows] = self._neighbour_distances(
                        index, references[member], embedded[member]
                    )
            if "element_errors" in outputs:
                outputs["element_errors"][:, rows] = errors.numpy()
            if "reconstructed" in outputs:
                outputs["reconstructed"][:, rows] = self._in_input_units(rebuilt, mean, scale)

        net.scoring_modules()  # built once, before any worker thread needs them
        workers = n_threads if net.device == "cpu" else 1
        with without_autocast():  # the caller's thread scores too with one worker
            for_each_in_threads(score_chunk, self._chunk_slices(X), workers)
        return [
            {name: values[member] for name, values in outputs.items()}
            for member in range(n_members)
        ]

    def _in_input_units(self, rebuilt, mean, scale):
        """Standardised reconstructions ``(n_members, n_rows, n_features)`` in the input's units."""
        n_members, n_rows, n_features = rebuilt.shape
        model_shape = self._model_shape(n_features)
        values = rebuilt.numpy().reshape(n_members, n_rows, *model_shape) * scale + mean
        return values.reshape(n_members, n_rows, n_features)

    def _components_for(self, X, names):
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return self._score_components(
            self.net_,
            X,
            self.input_mean_,
            self.input_scale_,
            self._fitted_scoring_threads(),
            names,
            self.feature_error_scale_,
            references=getattr(self, "neighbour_reference_", None),
            typical_squared_norms=getattr(self, "latent_norm_median_", None),
        )

    def _ensemble_mean(self, X, name):
        """A raw component averaged over the ensemble members."""
        members = self._components_for(X, names=(name,))
        # summed in place, in member order, as np.mean sums: stacking the
        # members' arrays would hold a second copy of every member's values
        total = members[0][name].copy()
        for member in members[1:]:
            total += member[name]
        return total / len(members)

    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]:
        """Normality score of each sample: higher means more normal.

        The components ``anomaly_score`` selects — the reconstruction error
        ``||x - G(E(x))||^2``, the critic's feature residual, the latent term
        and the neighbour distance, weighted by ``discriminator_weight``,
        ``latent_weight`` and ``neighbour_weight`` — each standardised on the
        training data, summed and negated (scikit-learn's convention, as in
        ``IsolationForest``); the ensemble's members are averaged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Float64 normality scores; training samples have median 0.
        """
        check_is_fitted(self)
        # what the fitted scorer combines, not what the parameters would now
        # ask for: a model saved before a component existed scores as it did
        fitted_components = tuple(n for n, w in self.scorer_.weights.items() if w)
        components = self._components_for(X, fitted_components)
        return -self.scorer_.transform(components)

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """``score_samples(X) - offset_``: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X: ArrayLike) -> NDArray[np.int_]:
        """Label each sample: +1 for an inlier, -1 for an outlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,) of int
        """
        # a NaN score (possible only under assume_finite=True) is not an inlier
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def reconstruction_error(self, X: ArrayLike) -> NDArray[np.float64]:
        """Mean squared error between each standardised sample and ``G(E(x))``.

        The plain mean over features (the mean of a row of
        :meth:`feature_scores`). The reconstruction term of the tabular
        detector's score divides each feature's error by that feature's
        typical error first (``feature_error_scale_``), so the two rank rows
        alike but not identically.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        errors : ndarray of shape (n_samples,)
            Higher means more anomalous.
        """
        return self._ensemble_mean(X, "reconstruction")

    def discriminator_score(self, X: ArrayLike) -> NDArray[np.float64]:
        """Feature residual of the sample critic between ``x`` and ``G(E(x))``.

        f-AnoGAN's discriminator score: the mean squared difference of the
        critic's last hidden layer on the sample and on its reconstruction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        residuals : ndarray of shape (n_samples,)
            Higher means more anomalous.
        """
        return self._ensemble_mean(X, "discriminator")

    def latent_score(self, X: ArrayLike) -> NDArray[np.float64]:
        """Squared norm of each sample's code ``E(x)``.

        The critic on codes trains the encoder to map normal samples onto the
        standard normal prior, so this is the prior's negative log-density up
        to constants: it catches samples that the generator reconstructs well
        but that lie in a rare region of the learnt manifold. The combined
        score of :class:`~sklearn_gan_ad.GANAnomalyDetector` adds it as it is;
        that of :class:`~sklearn_gan_ad.LSTMGANAnomalyDetector` adds its
        distance from the training samples' median (the latent typicality,
        :func:`sklearn_gan_ad.scoring.squared_norm_atypicality`), because the
        norms of its wide codes concentrate away from 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        norms : ndarray of shape (n_samples,)
            Higher means more anomalous.
        """
        return self._ensemble_mean(X, "latent")

    def neighbour_distance(self, X: ArrayLike) -> NDArray[np.float64]:
        """Mean distance to the 5 nearest training samples in the critic's embedding.

        The sample critic's first layer (``embedding``) of ``x`` is compared
        with those of training samples kept at fit time
        (``neighbour_reference_``). A training sample, or an exact copy of
        one, is not counted as its own neighbour. Only available when the score
        uses it (``anomaly_score="neighbours"`` or a positive
        ``neighbour_weight``, as ``novelty=True`` resolves them).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples,)
            Higher means more anomalous.
        """
        check_is_fitted(self)
        if not hasattr(self, "neighbour_reference_"):
            raise AttributeError(
                "neighbour_distance needs the training embeddings kept when the score "
                "uses them: fit with anomaly_score='neighbours', or 'combined' with a "
                "positive neighbour_weight (GANAnomalyDetector(novelty=True) does)"
            )
        return self._ensemble_mean(X, "neighbours")

    def reconstruct(self, X: ArrayLike) -> NDArray[np.float64]:
        """``G(E(x))`` of each sample, in the units of ``X``.

        The networks see each sample standardised with the training mean and
        standard deviation (``input_mean_``, ``input_scale_``) and clipped at
        ±10,000 of them; their reconstruction is mapped back through the same
        mean and standard deviation. With several ensemble members it is the
        mean of the members' reconstructions, so for ``n_estimators > 1`` its
        error is not :meth:`reconstruction_error`, which averages the
        members' own errors. For windows, a row is a flattened window in the
        layout of ``X``; reshaped to ``(n_windows, window_length, n_channels)``,
        one channel's reconstructed windows ``[:, :, c]`` become one
        reconstructed series with
        :func:`~sklearn_gan_ad.timeseries.windows_to_timestamps`
        (``aggregate="median"``, TadGAN's rule).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        reconstructions : ndarray of shape (n_samples, n_features)
            Float64 reconstructions; a sample's does not depend on which
            other samples are reconstructed with it.
        """
        return self._ensemble_mean(X, "reconstructed")

    def feature_scores(self, X: ArrayLike) -> NDArray[np.float64]:
        """Each feature's share of the reconstruction error of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_features)
            Squared standardised reconstruction error per feature (per time step
            and channel for windows, in the input's row-major layout); a row's
            mean is its :meth:`reconstruction_error`.
        """
        return self._ensemble_mean(X, "element_errors")

    def save(self, path) -> None:
        """Write the fitted detector to ``path`` in the safe format.

        Weights are stored as tensors and everything else as JSON; read it back
        with :func:`sklearn_gan_ad.load`, which cannot execute code from the file.

        Parameters
        ----------
        path : str, path-like or binary file object
            Destination file, or a file opened for writing in binary mode.
        """
        from .persistence import save

        save(self, path)

    def set_params(self, **params):
        nested = [name for name in params if name.startswith("callbacks__")]
        if nested:
            # sklearn would call set_params on the list and fail with an AttributeError
            raise ValueError(
                f"{nested[0]}: the callbacks' own parameters cannot be set through the "
                "detector; pass a new list with set_params(callbacks=[...])"
            )
        return super().set_params(**params)

    def __sklearn_is_fitted__(self):
        # n_features_in_ is set while validating, before training: only a
        # trained net makes the detector fitted
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
