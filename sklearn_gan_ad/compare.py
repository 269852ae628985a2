"""Compare anomaly detectors on one data set under one repeatable protocol.

:func:`compare` runs any set of scikit-learn outlier detectors (this
package's GAN detectors, ``IsolationForest``, ``LocalOutlierFactor``,
``OneClassSVM``, pipelines, or PyOD detectors through :class:`PyODAdapter`)
on the same train/test splits and reports ranking quality (ROC-AUC, average
precision), the share of rows each detector flags, and its fit and scoring
times, per seed and averaged over seeds.

The protocol, for each seed in ``seeds``:

1. split the rows into a train and a test part with ``random_state=seed``
   (stratified on ``y`` when labels are given, so that every test part holds
   anomalies in the overall proportion);
2. when ``scale=True``, fit a ``StandardScaler`` on the train part only and
   apply it to both parts (nothing about the test part leaks into training);
3. clone every detector and set each of its ``random_state`` parameters,
   nested ones included (``pipeline step__random_state``), to the seed;
4. fit it on the train part *without labels* (unsupervised: the train part
   keeps its share of anomalies, as in real use);
5. score the test part. The anomaly score is ``-score_samples`` (higher means
   more anomalous), ranked against ``y == 1`` for ROC-AUC and average
   precision; ``flagged_share`` is the share of test rows with
   ``predict == -1``.

The result tables are pandas DataFrames, so :func:`compare` needs pandas.
"""

import importlib
import inspect
import math
import numbers
import sys
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .tabular import GANAnomalyDetector

__all__ = [
    "ComparisonResult",
    "HeldOutScores",
    "PyODAdapter",
    "available_detectors",
    "compare",
    "make_detector",
]

# Metrics reported per run, in table order; the first two need labels.
_LABELLED_METRICS = ("roc_auc", "average_precision")
_UNLABELLED_METRICS = ("flagged_share", "fit_seconds", "score_seconds")

# Built-in line-up: name -> factory. Factories, not instances, so that every
# call hands out a fresh, unfitted detector with default parameters.
_BUILTIN_DETECTORS = {
    "GANAnomalyDetector": GANAnomalyDetector,
    "IsolationForest": IsolationForest,
    # novelty=True: compare fits on one part and scores another, which plain
    # LOF (transductive, fit_predict only) cannot do
    "LocalOutlierFactor": lambda: LocalOutlierFactor(novelty=True),
    "OneClassSVM": OneClassSVM,
}

# PyOD detectors reachable by name as "pyod:<Name>", with the module holding
# each class (PyOD has one module per model).
_PYOD_MODULES = {
    "AutoEncoder": "pyod.models.auto_encoder",
    "VAE": "pyod.models.vae",
    "DeepSVDD": "pyod.models.deep_svdd",
    "AnoGAN": "pyod.models.anogan",
    "ALAD": "pyod.models.alad",
    "ECOD": "pyod.models.ecod",
    "COPOD": "pyod.models.copod",
    "HBOS": "pyod.models.hbos",
    "IForest": "pyod.models.iforest",
    "KNN": "pyod.models.knn",
    "LOF": "pyod.models.lof",
    "OCSVM": "pyod.models.ocsvm",
    "PCA": "pyod.models.pca",
}
_PYOD_PREFIX = "pyod:"


def available_detectors():
    """Names accepted by :func:`compare`'s ``detectors`` and by the command line.

    Returns
    -------
    names : list of str
        The built-in line-up (``"GANAnomalyDetector"``, ``"IsolationForest"``,
        ``"LocalOutlierFactor"``, ``"OneClassSVM"``), then PyOD detectors as
        ``"pyod:<Name>"`` (e.g. ``"pyod:AutoEncoder"``). The PyOD names are
        always listed but only usable when PyOD is installed
        (``pip install pyod``).

    See Also
    --------
    make_detector : A fresh detector for one of these names.
    """
    return [*_BUILTIN_DETECTORS, *(_PYOD_PREFIX + name for name in _PYOD_MODULES)]


def _import_pyod_class(name):
    """The PyOD class called ``name``; ImportError when PyOD is not installed."""
    if name not in _PYOD_MODULES:
        raise ValueError(f"unknown PyOD detector {name!r}; known: {', '.join(_PYOD_MODULES)}")
    try:
        module = importlib.import_module(_PYOD_MODULES[name])
    except ImportError as exc:
        raise ImportError(
            f"detector 'pyod:{name}' needs PyOD, which could not be imported ({exc}); "
            "install it with `pip install pyod`"
        ) from exc
    return getattr(module, name)


def make_detector(name):
    """A fresh, unfitted detector for a name from :func:`available_detectors`.

    Parameters
    ----------
    name : str
        A built-in name such as ``"IsolationForest"``, or ``"pyod:<Name>"``.

    Returns
    -------
    detector : estimator
        Built with default parameters (``LocalOutlierFactor`` with
        ``novelty=True``; a PyOD model wrapped in :class:`PyODAdapter`).

    Raises
    ------
    ValueError
        If the name is unknown.
    ImportError
        If the name is a PyOD one and PyOD is not installed.
    """
    if not isinstance(name, str):
        raise ValueError(f"a detector name must be a string, got {name!r}")
    if name in _BUILTIN_DETECTORS:
        return _BUILTIN_DETECTORS[name]()
    if name.startswith(_PYOD_PREFIX):
        pyod_name = name[len(_PYOD_PREFIX) :]
        # fail now, before any fitting, rather than midway through a comparison
        _import_pyod_class(pyod_name)
        return PyODAdapter(pyod_name)
    raise ValueError(f"unknown detector {name!r}; available: {', '.join(available_detectors())}")


class PyODAdapter(OutlierMixin, BaseEstimator):
    """Use a PyOD detector as a scikit-learn outlier detector.

    PyOD's conventions are the opposite of scikit-learn's: its
    ``decision_function`` is *higher* for more abnormal rows and its
    ``predict`` returns 1 for outliers and 0 for inliers. This adapter turns
    them into scikit-learn's, so PyOD models can be compared, thresholded and
    plotted like ``IsolationForest``.

    Parameters
    ----------
    detector : PyOD estimator or str, default="AutoEncoder"
        A PyOD detector instance (cloned at fit, never modified), or the name
        of a PyOD model (``"AutoEncoder"``, ``"ECOD"``, ...; with or without
        the ``"pyod:"`` of :func:`available_detectors`), built with PyOD's
        defaults (``DeepSVDD`` gets the number of features it requires).
    random_state : int or None, default=None
        When not None, set on the wrapped model if it has a ``random_state``
        parameter (so :func:`compare` can seed it).
    contamination : float in (0, 0.5] or None, default=None
        When not None, the wrapped model's ``contamination`` (PyOD's share of
        training rows labelled outliers, which sets ``threshold_`` and so
        ``offset_``); None keeps the model's own (PyOD's default 0.1).

    Attributes
    ----------
    detector_ : PyOD estimator
        The fitted PyOD model.
    offset_ : float
        ``-detector_.threshold_``, so that ``decision_function`` is negative
        exactly for the rows ``predict`` (PyOD's ``predict``) labels outliers.
        On the training rows that can differ from PyOD's ``labels_``: the
        neighbour-based models (KNN, LOF) score a training row in ``labels_``
        without itself and in ``predict`` with itself among its neighbours.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X was a DataFrame with string column names.

    Notes
    -----
    PyOD is imported only when a detector is built from a name, and is not a
    dependency of this package; a missing PyOD raises an ``ImportError``
    saying how to install it.
    """

    def __init__(self, detector="AutoEncoder", random_state=None, contamination=None):
        self.detector = detector
        self.random_state = random_state
        self.contamination = contamination

    def fit(self, X, y=None):
        """Fit the wrapped PyOD detector on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted adapter.
        """
        if self.contamination is not None and not (
            isinstance(self.contamination, numbers.Real) and 0 < self.contamination <= 0.5
        ):
            # PyOD's own range; set_params would not check it
            raise ValueError(
                f"contamination must be in (0, 0.5] or None, got {self.contamination!r}"
            )
        X = validate_data(self, X, dtype=np.float64)
        if isinstance(self.detector, str):
            name = self.detector.removeprefix(_PYOD_PREFIX)
            model_class = _import_pyod_class(name)
            # DeepSVDD, for one, must be told the width of its input
            required = {
                parameter
                for parameter, spec in inspect.signature(model_class).parameters.items()
                if spec.default is inspect.Parameter.empty
                and spec.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            }
            model = model_class(**({"n_features": X.shape[1]} if "n_features" in required else {}))
        else:
            model = clone(self.detector)
        if self.random_state is not None and "random_state" in model.get_params():
            model.set_params(random_state=self.random_state)
        if self.contamination is not None:
            model.set_params(contamination=float(self.contamination))
        model.fit(X)
        self.detector_ = model
        self.offset_ = -float(model.threshold_)
        return self

    def score_samples(self, X):
        """Normality score: PyOD's anomaly score negated (higher = more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return -np.asarray(self.detector_.decision_function(X), dtype=np.float64)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """PyOD's labels mapped to scikit-learn's: +1 inlier, -1 outlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.where(np.asarray(self.detector_.predict(X)) == 1, -1, 1)


class HeldOutScores(NamedTuple):
    """One detector's anomaly scores on the test part of the last seed.

    Attributes
    ----------
    anomaly_scores : ndarray of shape (n_test,)
        ``-score_samples`` of the test rows: higher means more anomalous.
    labels : ndarray of shape (n_test,) or None
        ``1`` for an anomaly, ``0`` for a normal row; None without labels.
    threshold : float
        The detector's own cut-off on the anomaly-score axis: the score where
        ``decision_function`` is 0 (``score_samples - decision_function``,
        negated). Rows above it are flagged. NaN if the detector has no
        ``decision_function``.
    seed : int
        The seed of the split these scores come from.
    """

    anomaly_scores: np.ndarray
    labels: np.ndarray | None
    threshold: float
    seed: int


@dataclass
class ComparisonResult:
    """What :func:`compare` found.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per detector and seed, columns ``detector``, ``seed``,
        ``n_train``, ``n_test``, ``roc_auc`` and ``average_precision`` (only
        with labels), ``flagged_share``, ``fit_seconds``, ``score_seconds``.
    summary : pandas.DataFrame
        One row per detector (index ``detector``, in the order given), columns
        ``<metric>_mean`` and ``<metric>_std`` for each metric of ``runs``.
        The standard deviation is the sample one over seeds (NaN with a single
        seed).
    scores : dict of str to HeldOutScores
        Per detector, the test-part anomaly scores, labels and threshold of
        the last seed, for plots such as
        :func:`sklearn_gan_ad.plotting.plot_comparison`.
    seeds : tuple of int
        The seeds used.
    test_size : float
        Share of rows in each test part.
    """

    runs: object
    summary: object
    scores: dict = field(default_factory=dict)
    seeds: tuple = ()
    test_size: float = 0.3

    @property
    def has_labels(self):
        """Whether labels were given, i.e. ranking metrics were computed."""
        return "roc_auc" in self.runs.columns

    def to_string(self):
        """The summary as a fixed-width text table, ``mean ± std`` per metric.

        Returns
        -------
        table : str
            Columns ROC-AUC and AP (with labels), flagged (share of test rows
            predicted as outliers), fit s and score s (seconds per run).
        """
        columns = [("ROC-AUC", "roc_auc", 3), ("AP", "average_precision", 3)]
        if not self.has_labels:
            columns = []
        columns += [
            ("flagged", "flagged_share", 3),
            ("fit s", "fit_seconds", 2),
            ("score s", "score_seconds", 3),
        ]
        table = _import_pandas().DataFrame(index=self.summary.index)
        for title, metric, digits in columns:
            means = self.summary[f"{metric}_mean"]
            stds = self.summary[f"{metric}_std"]
            table[title] = [_mean_std(m, s, digits) for m, s in zip(means, stds)]
        table.index.name = None
        return table.to_string(justify="right")

    def __str__(self):
        return self.to_string()


def _import_pandas():
    # pandas is an optional dependency of the package, needed only for the
    # result tables
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "compare needs pandas for its result tables; install it with `pip install pandas`"
        ) from exc
    return pandas


def _mean_std(mean, std, digits):
    if std is None or not math.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _resolve_detectors(detectors):
    """``{name: unfitted estimator}`` from compare's ``detectors`` argument."""
    if detectors is None:
        return {name: factory() for name, factory in _BUILTIN_DETECTORS.items()}
    if isinstance(detectors, str):
        detectors = [detectors]
    if isinstance(detectors, dict):
        resolved = dict(detectors)
    elif isinstance(detectors, (list, tuple)):
        resolved = {}
        for name in detectors:
            if name in resolved:
                raise ValueError(f"detector {name!r} is listed twice")
            resolved[name] = make_detector(name)
    else:
        raise ValueError(
            "detectors must be None, a dict of name -> estimator or a list of names "
            f"from available_detectors(), got {type(detectors).__name__}"
        )
    if not resolved:
        raise ValueError("detectors is empty; give at least one detector")
    for name, estimator in resolved.items():
        missing = [
            method
            for method in ("fit", "score_samples", "predict")
            if not callable(getattr(estimator, method, None))
        ]
        if missing:
            hint = ""
            if isinstance(estimator, LocalOutlierFactor):
                hint = " (LocalOutlierFactor needs novelty=True)"
            elif type(estimator).__module__.startswith("pyod."):
                hint = " (wrap a PyOD model in sklearn_gan_ad.PyODAdapter)"
            raise ValueError(
                f"detector {name!r} ({type(estimator).__name__}) has no "
                f"{', '.join(missing)}{hint}; compare needs fit, score_samples and predict"
            )
    return resolved


def _check_labels(y, n_samples):
    """y as an int 0/1 array, or ValueError saying what is wrong."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if len(y) != n_samples:
        raise ValueError(f"X has {n_samples} rows but y has {len(y)} labels")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"y must be numeric 0 (normal) / 1 (anomaly), got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    values = np.unique(y)
    if not np.isin(values, (0, 1)).all():
        shown = ", ".join(str(v) for v in values[:5]) + (", ..." if len(values) > 5 else "")
        hint = ""
        if set(values.tolist()) <= {-1, 1}:
            # scikit-learn's predict uses +1/-1; guessing the coding could
            # silently invert every metric, so ask for the explicit one
            hint = "; for scikit-learn's +1 inlier / -1 outlier coding pass (y == -1).astype(int)"
        raise ValueError(
            f"y must be binary with 0 = normal and 1 = anomaly, got values {shown}{hint}"
        )
    y = y.astype(np.int64)
    _check_class_counts(y, "y")
    return y


def _check_class_counts(y, subject):
    """ValueError unless 0/1 labels ``y`` hold at least two of each class."""
    for label, what in ((1, "anomalies"), (0, "normal rows")):
        count = int((y == label).sum())
        if count < 2:
            # a stratified split needs two of each class to put one in each part
            raise ValueError(
                f"{subject} holds {count} {what}; ranking metrics need at least 2 "
                "(one for each of the train and test parts)"
            )


def _check_seeds(seeds):
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = (seeds,)
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise ValueError(f"seeds must be a sequence of integers, got {seeds!r}") from None
    if not seeds:
        raise ValueError("seeds is empty; give at least one seed")
    for seed in seeds:
        if (
            isinstance(seed, bool)
            or not isinstance(seed, numbers.Integral)
            or not 0 <= seed < 2**32
        ):
            # scikit-learn's splits take seeds below 2**32
            raise ValueError(f"seeds must be integers in [0, 2**32), got {seed!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {list(seeds)}")
    return tuple(int(seed) for seed in seeds)


def _check_X(X):
    """Finite float64 array of X.

    DataFrames become arrays: some scikit-learn detectors (LOF with
    ``novelty=True``) warn about feature names on every score call otherwise,
    and positions are all the protocol needs.
    """
    return check_array(X, dtype=np.float64, ensure_min_samples=4)


def _seed_params(estimator, seed):
    """Every ``random_state`` parameter of ``estimator``, nested ones included."""
    return {
        key: seed
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    }


def _split(X, y, seed, test_size):
    if y is None:
        X_train, X_test = train_test_split(X, test_size=test_size, random_state=seed)
        return X_train, X_test, None
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    if len(np.unique(y_test)) < 2:
        raise ValueError(
            f"the test part of seed {seed} holds a single class; increase test_size "
            "or provide more anomalies"
        )
    return X_train, X_test, y_test


def _standardise(X_train, X_test):
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


def _run_one(estimator, X_train, X_test, y_test, name, seed):
    """Fit, score and measure one cloned detector; returns (metrics, held-out scores)."""
    started = time.perf_counter()
    estimator.fit(X_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    normality = np.asarray(estimator.score_samples(X_test), dtype=np.float64)
    score_seconds = time.perf_counter() - started
    if normality.shape != (len(X_test),) or not np.isfinite(normality).all():
        raise ValueError(
            f"detector {name!r} returned {normality.shape} scores with non-finite "
            f"values or the wrong shape on seed {seed}; expected {len(X_test)} finite scores"
        )
    anomaly = -normality
    flagged = np.asarray(estimator.predict(X_test)) == -1
    threshold = math.nan
    if callable(getattr(estimator, "decision_function", None)):
        # decision_function = score_samples - offset is 0 at score_samples =
        # offset, i.e. at anomaly score -offset; the median shrugs off float noise
        threshold = float(np.median(np.asarray(estimator.decision_function(X_test)) - normality))
    metrics = {
        "flagged_share": float(flagged.mean()),
        "fit_seconds": fit_seconds,
        "score_seconds": score_seconds,
    }
    if y_test is not None:
        metrics = {
            "roc_auc": float(roc_auc_score(y_test, anomaly)),
            "average_precision": float(average_precision_score(y_test, anomaly)),
            **metrics,
        }
    return metrics, HeldOutScores(anomaly, y_test, threshold, seed)


def _progress_bar(total, enabled):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, file=sys.stderr, desc="compare", unit="fit", leave=False)


def compare(
    X, y=None, detectors=None, *, seeds=(0, 1, 2), test_size=0.3, scale=True, progress=False
):
    """Compare anomaly detectors over repeated train/test splits.

    For each seed: split the rows (stratified on ``y`` when given) with that
    seed, standardise both parts with a ``StandardScaler`` fitted on the train
    part (``scale=True``), clone every detector and set its ``random_state``
    parameters (nested ones too) to the seed, fit it on the train part without
    labels and score the test part. See the module docstring for the details
    of the protocol.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        Numeric, finite data. It is converted to a float array, so detectors
        see columns by position, not by name.
    y : array-like of shape (n_samples,), default=None
        ``1`` for an anomaly, ``0`` for a normal row (booleans work too);
        each class needs at least 2 rows. scikit-learn's +1/-1 coding is
        refused rather than guessed. Without ``y`` only ``flagged_share`` and
        times are reported.
    detectors : None, dict of str to estimator, or list of str, default=None
        ``None`` compares the built-in line-up: ``GANAnomalyDetector()``,
        ``IsolationForest()``, ``LocalOutlierFactor(novelty=True)`` and
        ``OneClassSVM()``, all with default parameters. A dict maps display
        names to any scikit-learn outlier detector (or ``Pipeline``) with
        ``fit``, ``score_samples`` and ``predict``. A list picks names from
        :func:`available_detectors`. The estimators given are cloned, never
        fitted in place.
    seeds : sequence of int, default=(0, 1, 2)
        One split and one fit of every detector per seed.
    test_size : float, default=0.3
        Share of rows in the test part, in (0, 1).
    scale : bool, default=True
        Standardise features on the train part first. Distance- and
        kernel-based detectors (LOF, One-Class SVM) need it.
    progress : bool, default=False
        Show a tqdm progress bar over detectors x seeds on stderr.

    Returns
    -------
    result : ComparisonResult
        ``.runs`` (one row per detector and seed), ``.summary`` (mean and std
        per detector), ``.scores`` (test-part scores of the last seed) and
        ``.to_string()``.

    Raises
    ------
    ValueError
        If X is not numeric and finite, y is not 0/1 or has fewer than two
        rows of a class, a detector name is unknown, a detector lacks
        ``score_samples`` or ``predict``, or seeds or test_size are invalid.
    ImportError
        If a ``"pyod:<Name>"`` detector is asked for and PyOD is missing.

    Notes
    -----
    Times are wall-clock seconds of ``fit`` and of ``score_samples`` on the
    test part. The first fit of a torch detector in a process also pays
    torch's one-off start-up, so its first seed is slower than the others.

    Examples
    --------
    >>> from sklearn.ensemble import IsolationForest
    >>> from sklearn_gan_ad.compare import compare
    >>> from sklearn_gan_ad.datasets import load_default_dataset
    >>> X, y = load_default_dataset()
    >>> result = compare(X, y, {"iforest": IsolationForest()}, seeds=(0, 1))
    >>> list(result.runs["seed"])
    [0, 1]
    >>> print(result.to_string())  # doctest: +SKIP
                     ROC-AUC              AP  ...
    iforest  0.985 ± 0.005   0.870 ± 0.030  ...
    """
    pd = _import_pandas()
    # validate everything before the first (possibly long) fit
    seeds = _check_seeds(seeds)
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, numbers.Real)
        or not 0 < test_size < 1
    ):
        raise ValueError(f"test_size must be a float in (0, 1), got {test_size!r}")
    test_size = float(test_size)  # scikit-learn's split refuses numpy floats
    X = _check_X(X)
    if y is not None:
        y = _check_labels(y, len(X))
        n_test = math.ceil(test_size * len(X))
        if not 2 <= n_test <= len(X) - 2:
            raise ValueError(
                f"test_size={test_size} puts {n_test} of {len(X)} rows in the test part; "
                "a stratified split needs at least 2 rows in each part (one per class)"
            )
    resolved = _resolve_detectors(detectors)

    rows, scores = [], {}
    bar = _progress_bar(len(seeds) * len(resolved), progress)
    try:
        for seed in seeds:
            X_train, X_test, y_test = _split(X, y, seed, test_size)
            if scale:
                X_train, X_test = _standardise(X_train, X_test)
            for name, template in resolved.items():
                if bar is not None:
                    bar.set_postfix_str(f"{name}, seed {seed}")
                estimator = clone(template)
                estimator.set_params(**_seed_params(estimator, seed))
                try:
                    metrics, held_out = _run_one(estimator, X_train, X_test, y_test, name, seed)
                except Exception as error:
                    error.add_note(f"(raised by detector {name!r} on seed {seed})")
                    raise
                rows.append(
                    {
                        "detector": name,
                        "seed": seed,
                        "n_train": len(X_train),
                        "n_test": len(X_test),
                        **metrics,
                    }
                )
                # later seeds overwrite earlier ones: the last seed's part is kept
                scores[name] = held_out
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()

    runs = pd.DataFrame(rows)
    metrics = [m for m in (*_LABELLED_METRICS, *_UNLABELLED_METRICS) if m in runs.columns]
    grouped = runs.groupby("detector", sort=False)[metrics]
    summary = pd.concat({stat: grouped.agg(stat) for stat in ("mean", "std")}, axis=1)
    summary.columns = [f"{metric}_{stat}" for stat, metric in summary.columns]
    summary = summary[[f"{m}_{stat}" for m in metrics for stat in ("mean", "std")]]
    summary = summary.reindex(list(resolved))
    summary.index.name = "detector"
    return ComparisonResult(
        runs=runs, summary=summary, scores=scores, seeds=seeds, test_size=float(test_size)
    )
