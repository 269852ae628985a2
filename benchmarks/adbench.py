"""Benchmark the anomaly detectors on ADBench "Classical" tabular datasets.

Protocol
--------
Follows ADBench's unsupervised protocol (Han et al., NeurIPS 2022), the one
behind the reference numbers in ``shared/data/adbench/README.md``:

1. Every ``*.npz`` file of the data directory (default ``../shared/data/adbench``
   next to the repository) gives ``X`` (cast to float64) and ``y`` (0 normal,
   1 anomaly). Files are processed from the fewest rows to the most.
2. For each seed (default 0, 1, 2): ``train_test_split(X, y, test_size=0.3,
   stratify=y, random_state=seed)``.
3. The rows a detector is fitted on are chosen by the setting:

   - ``unsupervised`` (ADBench's): the whole train part, unlabelled, so it still
     holds its anomalies;
   - ``novelty``: only the normal rows of the train part.

   A ``StandardScaler`` is fitted on those rows and applied to them and to the
   test part (in the unsupervised setting that is the whole train part).
4. Each detector is built with ``random_state=seed`` where it takes one, fitted
   on the scaled rows, and scores the scaled test part. The anomaly score is
   ``-score_samples`` (higher = more anomalous); ROC-AUC and average precision
   are computed against the test labels.
5. Per dataset, detector and setting the table shows the mean and sample
   standard deviation (ddof=1) over seeds; the summary averages the
   per-dataset means over datasets (each dataset weighs the same).

Torch runs with one intra-op thread (``torch.set_num_threads(1)``): the networks
are tiny (two hidden layers of 64 units, batches of 128 rows), so on the 2-core
machines this is written for, spreading each small matmul over threads costs
more in synchronisation than it gains, and single-threaded timings are
comparable between runs and with the single-threaded reference numbers.

Detectors (``--detectors``)
---------------------------
``gan``                 ``GANAnomalyDetector()`` with its defaults (``anomaly_score="combined"``).
``gan-reconstruction``  ``GANAnomalyDetector(anomaly_score="reconstruction")``.
``gan-discriminator``   ``GANAnomalyDetector(anomaly_score="discriminator")``.
``gan-latent-typicality`` The defaults with the windows' latent term, the
                        typicality of the code's squared norm, instead of the
                        squared norm (``LatentTypicalityGAN``, defined below).
``autoencoder``         A plain MLP autoencoder (ablation, defined below): the GAN's
                        encoder and generator trained on MSE alone, no critics,
                        with the same error scaling and pruning.
``autoencoder-latent``  The same plus 0.25 x the Mahalanobis distance of its codes.
``iforest``             ``IsolationForest()``.
``gan-novelty``         ``GANAnomalyDetector(novelty=True)``: the defaults for clean
                        training rows.
``lof``                 ``LocalOutlierFactor(novelty=True)``.
``knn``                 Mean distance to the 5 nearest fitted rows (a plain
                        k-nearest-neighbour detector on the scaled features,
                        defined below).
``ocsvm``               ``OneClassSVM()``.

``--gan-param key=value`` (repeatable) overrides hyperparameters of the
``gan*`` detectors, e.g. ``--gan-param reconstruction_weight=1.0 --gan-param
hidden_layer_sizes=(128,128)``; values are parsed with ``ast.literal_eval`` and
kept as strings when that fails. Use ``--tag`` to keep such variants' result
files apart.

Outputs
-------
``<output-dir>/adbench_<setting>[_<tag>].csv``: one row per dataset, detector and
seed (``roc_auc``, ``average_precision``, ``fit_seconds``, ``score_seconds``, and
``error`` when a fit failed), rewritten after each dataset so that an interrupted
run keeps what it finished; ``<output-dir>/adbench_<setting>[_<tag>].md``: the
tables printed at the end. Progress lines go to stderr.

Examples
--------
::

    python benchmarks/adbench.py                                   # GAN vs IsolationForest
    python benchmarks/adbench.py --quick                           # smoke run
    python benchmarks/adbench.py --detectors gan autoencoder iforest --setting both
    python benchmarks/adbench.py --datasets cardio thyroid --gan-param n_critic=2 --tag ncritic2
"""

import argparse
import math
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch

# one intra-op thread before anything builds a network; see the module docstring
torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    environment_summary,
    fmt,
    fmt_mean_std,
    log,
    markdown_table,
    mean_std,
    parse_params,
    stopwatch,
    write_csv,
    write_text,
)
from sklearn.base import BaseEstimator, OutlierMixin  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import OneClassSVM  # noqa: E402
from sklearn.utils.validation import validate_data  # noqa: E402

from sklearn_gan_ad import GANAnomalyDetector
from sklearn_gan_ad.base import _ERROR_SCALE_QUANTILE  # noqa: E402
from sklearn_gan_ad.networks import MLPDecoder, MLPEncoder  # noqa: E402
from sklearn_gan_ad.scoring import robust_location_scale  # noqa: E402

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared/data/adbench"
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "results"
SETTINGS = ("unsupervised", "novelty")
BASELINE = "iforest"

CSV_FIELDS = [
    "dataset",
    "n_rows",
    "n_features",
    "anomaly_ratio",
    "setting",
    "detector",
    "params",
    "seed",
    "n_fit",
    "n_test",
    "roc_auc",
    "average_precision",
    "fit_seconds",
    "score_seconds",
    "error",
]


# -- the autoencoder ablation ----------------------------------------------------------


class MLPAutoencoder(OutlierMixin, BaseEstimator):
    """Plain autoencoder: the GAN detector's encoder and generator trained on MSE only.

    The ablation that tells what the adversarial terms add: the same
    :class:`~sklearn_gan_ad.networks.MLPEncoder` / ``MLPDecoder`` pair, latent
    size, standardisation, optimiser, batch size, number of steps, per-feature
    error scaling and pruning as ``GANAnomalyDetector`` with its defaults, but no
    critics and no prior on the codes. (``GANAnomalyDetector(reconstruction_weight=...)``
    is not this: its adversarial terms are still trained.)

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Encoder hidden layers; the decoder mirrors them.
    latent_dim : int or "auto", default="auto"
        ``"auto"``: ``ceil(n_features / 8)`` clipped to [2, 32], as
        ``GANAnomalyDetector``.
    epochs : int or "auto", default=15
        As ``GANAnomalyDetector``'s default. ``"auto"``:
        ``clip(round(1500 / n_batches), 20, 300)``, about 1,500 steps.
    batch_size : int, default=128
        Rows per Adam step (capped at the number of rows); the last batch of an
        epoch may be smaller, as in skorch.
    learning_rate : float, default=1e-3
        Adam learning rate.
    latent_weight : float, default=0.0
        Weight of the codes' Mahalanobis distance (to the training codes, robustly
        standardised) added to the standardised reconstruction error — the
        autoencoder's counterpart of the GAN's latent-prior score, without an
        adversarially matched prior.
    prune_threshold : float or None, default=2.0
        As ``GANAnomalyDetector``: after half of the epochs, training rows whose
        standardised score exceeds it are left out of the second half.
    random_state : int or None, default=None
        ``torch.manual_seed`` for weights and shuffling (torch's global state is
        restored after fit).

    Attributes
    ----------
    encoder_, decoder_ : torch.nn.Module
    input_mean_, input_scale_ : ndarray of shape (n_features,)
    error_scale_ : ndarray of shape (n_features,)
        Upper quartile of the squared error per feature on the training rows.
    latent_dim_, n_epochs_ : int
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(64, 64),
        latent_dim="auto",
        epochs=15,
        batch_size=128,
        learning_rate=1e-3,
        latent_weight=0.0,
        prune_threshold=2.0,
        random_state=None,
    ):
        self.latent_weight = latent_weight
        self.hidden_layer_sizes = hidden_layer_sizes
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.prune_threshold = prune_threshold
        self.random_state = random_state

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        n_samples, n_features = X.shape
        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
        self.input_mean_, self.input_scale_ = mean, scale
        # "auto" sizes resolve exactly as in the detector this ablation mirrors
        sizing = GANAnomalyDetector(
            latent_dim=self.latent_dim, epochs=self.epochs, batch_size=self.batch_size
        )
        latent_dim = int(sizing._resolved_latent_dim(n_features))
        epochs = int(sizing._resolved_epochs(n_samples))
        batch_size = min(self.batch_size, n_samples)
        hidden = tuple(self.hidden_layer_sizes)
        data = torch.as_tensor(np.clip((X - mean) / scale, -1e4, 1e4), dtype=torch.float32)
        warm_up = epochs // 2 if self.prune_threshold is not None and epochs >= 2 else epochs

        previous_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0 if self.random_state is None else int(self.random_state))
                self.encoder_ = MLPEncoder(n_features, latent_dim, hidden)
                self.decoder_ = MLPDecoder(n_features, latent_dim, hidden)
                params = list(self.encoder_.parameters()) + list(self.decoder_.parameters())
                optimizer = torch.optim.Adam(params, lr=self.learning_rate)
                self._train(data, warm_up, batch_size, optimizer)
                if warm_up < epochs:
                    self._fit_score_statistics(X)
                    keep = torch.as_tensor(-self.score_samples(X) <= self.prune_threshold)
                    self._train(data[keep], epochs - warm_up, batch_size, optimizer)
        finally:
            torch.set_num_threads(previous_threads)
        self.latent_dim_, self.n_epochs_ = latent_dim, epochs
        self._fit_score_statistics(X)
        return self

    def _train(self, data, epochs, batch_size, optimizer):
        self.encoder_.train()
        self.decoder_.train()
        for _ in range(epochs):
            for batch in torch.randperm(len(data)).split(batch_size):
                x = data[batch]
                loss = torch.mean((self.decoder_(self.encoder_(x)) - x) ** 2)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        self.encoder_.eval()
        self.decoder_.eval()

    def _fit_score_statistics(self, X):
        element_errors, codes = self._element_errors_and_codes(X)
        self.error_scale_ = np.quantile(element_errors, _ERROR_SCALE_QUANTILE, axis=0)
        self.error_scale_[~(self.error_scale_ > np.finfo(np.float64).tiny)] = 1.0
        self.code_mean_ = codes.mean(axis=0)
        self.code_precision_ = np.linalg.pinv(np.atleast_2d(np.cov(codes.T)))
        self.error_stats_ = robust_location_scale(np.mean(element_errors / self.error_scale_, 1))
        self.code_stats_ = robust_location_scale(self._mahalanobis(codes))

    def _element_errors_and_codes(self, X):
        Z = (X - self.input_mean_) / self.input_scale_
        x = torch.as_tensor(np.clip(Z, -1e4, 1e4), dtype=torch.float32)
        with torch.no_grad():
            codes = self.encoder_(x)
            reconstruction = self.decoder_(codes).double().numpy()
        return (Z - reconstruction) ** 2, codes.double().numpy()

    def _mahalanobis(self, codes):
        centred = codes - self.code_mean_
        return np.einsum("ij,jk,ik->i", centred, self.code_precision_, centred)

    def score_samples(self, X):
        """Minus the standardised scaled reconstruction error (plus weighted latent distance)."""
        X = validate_data(self, X, dtype=np.float64, reset=False)
        element_errors, codes = self._element_errors_and_codes(X)
        errors = np.mean(element_errors / self.error_scale_, axis=1)
        score = (errors - self.error_stats_[0]) / self.error_stats_[1]
        if self.latent_weight:
            distance = self._mahalanobis(codes)
            score = score + self.latent_weight * (
                (distance - self.code_stats_[0]) / self.code_stats_[1]
            )
        return -score


class KNNDistance(OutlierMixin, BaseEstimator):
    """Baseline: minus the mean distance to the ``n_neighbors`` nearest fitted rows.

    The classic kNN detector (Ramaswamy et al. 2000, with the mean instead of
    the k-th distance, as PyOD's ``KNN(method="mean")``). Only
    ``score_samples`` is needed by this benchmark.
    """

    def __init__(self, n_neighbors=5):
        self.n_neighbors = n_neighbors

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        self.index_ = NearestNeighbors(n_neighbors=self.n_neighbors).fit(X)
        return self

    def score_samples(self, X):
        X = validate_data(self, X, dtype=np.float64, reset=False)
        distances, _ = self.index_.kneighbors(X)
        return -distances.mean(axis=1)


# -- detector registry ---------------------------------------------------------------


class LatentTypicalityGAN(GANAnomalyDetector):
    """The tabular detector with the latent term of the windows' detector.

    ``LSTMGANAnomalyDetector`` scores the code by its typicality (the squared
    norm's distance from the training rows' median); the tables keep the
    squared norm. This measures the typicality on tables.
    """

    _latent_component = "latent_typicality"


def _gan(detector_class=GANAnomalyDetector, **fixed):
    def build(seed, gan_params):
        return detector_class(**{**fixed, **gan_params, "random_state": seed})

    return build


DETECTORS = {
    "gan": _gan(),
    "gan-reconstruction": _gan(anomaly_score="reconstruction"),
    "gan-discriminator": _gan(anomaly_score="discriminator"),
    "gan-latent-typicality": _gan(LatentTypicalityGAN),
    "autoencoder": lambda seed, _: MLPAutoencoder(random_state=seed),
    "autoencoder-latent": lambda seed, _: MLPAutoencoder(latent_weight=0.25, random_state=seed),
    "iforest": lambda seed, _: IsolationForest(random_state=seed),
    "gan-novelty": _gan(novelty=True),
    "lof": lambda seed, _: LocalOutlierFactor(novelty=True),
    "knn": lambda seed, _: KNNDistance(),
    "ocsvm": lambda seed, _: OneClassSVM(),
}
LABELS = {
    "gan": "GAN",
    "gan-reconstruction": "GAN (reconstruction)",
    "gan-discriminator": "GAN (discriminator)",
    "gan-latent-typicality": "GAN (latent typicality)",
    "autoencoder": "Autoencoder",
    "autoencoder-latent": "Autoencoder + latent Mahalanobis",
    "iforest": "IsolationForest",
    "gan-novelty": "GAN (novelty=True)",
    "lof": "LOF (novelty)",
    "knn": "5-NN mean distance",
    "ocsvm": "OneClassSVM",
}


def parse_gan_params(items):
    """``--gan-param`` values as a dict (see :func:`_common.parse_params`)."""
    try:
        return parse_params(items, "--gan-param")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# -- running ---------------------------------------------------------------------------


def load_datasets(data_dir, patterns, quick):
    """``[(name, X, y)]`` sorted by rows, filtered by substrings, 4 smallest if quick."""
    files = sorted(Path(data_dir).glob("*.npz"))
    if not files:
        raise SystemExit(f"no .npz files in {data_dir}")
    if patterns:
        lowered = [p.lower() for p in patterns]
        files = [f for f in files if any(p in f.stem.lower() for p in lowered)]
        if not files:
            raise SystemExit(f"no dataset matches {patterns}")
    datasets = []
    for path in files:
        with np.load(path) as archive:
            X = archive["X"].astype(np.float64)
            y = archive["y"].astype(int).ravel()
        datasets.append((path.stem, X, y))
    datasets.sort(key=lambda d: (len(d[2]), d[0]))
    return datasets[:4] if quick else datasets


def split_and_scale(X, y, seed, setting):
    """``(X_fit, y_fit, X_test, y_test)`` of the protocol's steps 2 and 3.

    ``y_fit`` is never shown to a detector; diagnostics use it to find the
    anomalies hidden in the unsupervised training rows.
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    fit_rows = np.ones(len(y_train), bool) if setting == "unsupervised" else y_train == 0
    scaler = StandardScaler().fit(X_train[fit_rows])
    return scaler.transform(X_train[fit_rows]), y_train[fit_rows], scaler.transform(X_test), y_test


def run_one(detector, seed, setting, X, y, gan_params, split_seed=None):
    """Split, scale, fit and score once; returns the metrics (NaN and an error on failure).

    The split uses ``split_seed`` when given (stability runs: one split, several
    ``random_state`` values), else ``seed`` (ADBench's protocol).
    """
    X_fit, _, X_test, y_test = split_and_scale(
        X, y, seed if split_seed is None else split_seed, setting
    )
    result = dict(
        n_fit=len(X_fit),
        n_test=len(X_test),
        roc_auc=float("nan"),
        average_precision=float("nan"),
        fit_seconds=float("nan"),
        score_seconds=float("nan"),
        error="",
    )
    try:
        estimator = DETECTORS[detector](seed, gan_params)
        with stopwatch() as fit_watch:
            estimator.fit(X_fit)
        result["fit_seconds"] = fit_watch.seconds
        with stopwatch() as score_watch:
            anomaly_score = -estimator.score_samples(X_test)
        result["score_seconds"] = score_watch.seconds
        if not np.all(np.isfinite(anomaly_score)):
            raise FloatingPointError(
                f"{np.sum(~np.isfinite(anomaly_score))} non-finite test scores"
            )
        result["roc_auc"] = roc_auc_score(y_test, anomaly_score)
        result["average_precision"] = average_precision_score(y_test, anomaly_score)
    except Exception:  # noqa: BLE001 - report every failure and go on with the others
        result["error"] = traceback.format_exc()
        log(f"ERROR {detector} seed={seed} {setting}:\n{result['error']}")
    return result


def summarise(rows, datasets, detectors, setting):
    """Per-dataset aggregates ``{(dataset, detector): dict}`` for one setting."""
    table = {}
    for name, _, _ in datasets:
        for detector in detectors:
            runs = [
                r
                for r in rows
                if r["dataset"] == name and r["detector"] == detector and r["setting"] == setting
            ]
            if not runs:
                continue
            auc, auc_std = mean_std([r["roc_auc"] for r in runs])
            ap, ap_std = mean_std([r["average_precision"] for r in runs])
            fit_s, _ = mean_std([r["fit_seconds"] for r in runs])
            score_s, _ = mean_std([r["score_seconds"] for r in runs])
            table[name, detector] = dict(
                auc=auc,
                auc_std=auc_std,
                ap=ap,
                ap_std=ap_std,
                fit=fit_s,
                score=score_s,
                fit_total=float(np.nansum([r["fit_seconds"] for r in runs])),
                failures=sum(bool(r["error"]) for r in runs),
                n=len(runs),
            )
    return table


# the classic detectors a GAN variant must beat (issue: novelty setting)
CLASSIC_BASELINES = ("lof", "knn", "iforest", "ocsvm")


def best_baseline_section(table, names, detectors):
    """Each GAN variant against the best classic detector of each dataset.

    For every dataset the best of the classic baselines that ran (by mean
    ROC-AUC, and separately by mean AP) is the bar; the table gives the GAN's
    gap to it, and the summary the gap of the means to the best baseline mean.
    """
    baselines = [d for d in CLASSIC_BASELINES if d in detectors]
    variants = [d for d in detectors if d.startswith("gan")]
    if not baselines or not variants:
        return []
    parts = []
    for metric, label in (("auc", "ROC-AUC"), ("ap", "AP")):
        headers = ["dataset", f"best baseline ({label})"]
        for d in variants:
            headers += [LABELS[d], "gap"]
        body, gaps = [], {d: [] for d in variants}
        for name in names:
            scores = {b: table[name, b][metric] for b in baselines if (name, b) in table}
            best = max(scores, key=scores.get)
            row = [name, f"{LABELS[best]} {fmt(scores[best])}"]
            for d in variants:
                value = table.get((name, d), {}).get(metric, float("nan"))
                gaps[d].append(value - scores[best])
                row += [fmt(value), fmt(value - scores[best], signed=True)]
            body.append(row)
        means = {b: np.nanmean([table[n, b][metric] for n in names]) for b in baselines}
        best_mean = max(means, key=means.get)
        mean_row = ["**mean**", f"{LABELS[best_mean]} {fmt(means[best_mean])}"]
        for d in variants:
            value = np.nanmean([table[n, d][metric] for n in names if (n, d) in table])
            mean_row += [fmt(value), fmt(value - means[best_mean], signed=True)]
        body.append(mean_row)
        oracle = np.nanmean(
            [max(table[n, b][metric] for b in baselines if (n, b) in table) for n in names]
        )
        oracle_row = ["**mean of each dataset's best**", fmt(oracle)]
        for d in variants:
            value = np.nanmean([table[n, d][metric] for n in names if (n, d) in table])
            oracle_row += ["", fmt(value - oracle, signed=True)]
        body.append(oracle_row)
        worst = "; ".join(
            f"{LABELS[d]}: worst gap {fmt(np.nanmin(gaps[d]), signed=True)} on "
            f"{names[int(np.nanargmin(gaps[d]))]}, "
            f"{sum(g < -0.05 for g in gaps[d])} dataset(s) more than 0.05 below the best"
            for d in variants
        )
        parts += [
            f"## {label} against the best classic detector per dataset",
            "",
            f"Classic detectors: {', '.join(LABELS[b] for b in baselines)}. The mean row "
            f"compares with the baseline whose mean is highest; the last row with the "
            f"mean of each dataset's best baseline (what choosing the right classic detector "
            f"for every dataset would score).",
            "",
            markdown_table(headers, body),
            "",
            worst + ".",
            "",
        ]
    return parts


def report(rows, datasets, detectors, setting, gan_params, wall_seconds):
    """The markdown report of one setting (also printed)."""
    table = summarise(rows, datasets, detectors, setting)
    names = [name for name, _, _ in datasets]
    seeds = sorted({r["seed"] for r in rows if r["setting"] == setting})
    parts = [f"# ADBench tabular benchmark: {setting} setting", ""]
    parts.append(
        f"{len(names)} datasets, seeds {' '.join(map(str, seeds))}, stratified 70/30 split, "
        f"StandardScaler on the fitted rows, anomaly score = -score_samples. "
        f"ROC-AUC shown as mean ± sample std over seeds."
    )
    if gan_params:
        parts.append(f"GAN overrides: `{gan_params}`.")
    parts += [
        "",
        f"Command: `{' '.join(sys.argv)}`",
        "",
        f"Environment: {environment_summary()}",
        "",
    ]
    if wall_seconds is not None:
        parts += [f"Wall time of the whole run: {wall_seconds:.0f} s.", ""]

    # summary per detector
    summary_rows = []
    for detector in detectors:
        cells = [table[n, detector] for n in names if (n, detector) in table]
        if not cells:
            continue
        auc = np.nanmean([c["auc"] for c in cells]) if cells else float("nan")
        ap = np.nanmean([c["ap"] for c in cells])
        std = np.nanmean([c["auc_std"] for c in cells]) if len(seeds) > 1 else float("nan")
        fit_total = sum(c["fit_total"] for c in cells)
        failures = sum(c["failures"] for c in cells)
        summary_rows.append(
            [
                LABELS[detector],
                setting,
                fmt(auc),
                fmt(ap),
                fmt(std),
                f"{fit_total:.1f}",
                f"{sum(not math.isnan(c['auc']) for c in cells)}/{len(cells)}"
                + (f" ({failures} failed fits)" if failures else ""),
            ]
        )
    parts += [
        "## Summary (mean over datasets of per-dataset means)",
        "",
        markdown_table(
            [
                "detector",
                "setting",
                "ROC-AUC",
                "AP",
                "mean seed std of ROC-AUC",
                "total fit s",
                "datasets",
            ],
            summary_rows,
            align="llrrrrr",
        ),
        "",
    ]

    # per dataset
    per_dataset = []
    for name in names:
        for detector in detectors:
            if (name, detector) not in table:
                continue
            c = table[name, detector]
            per_dataset.append(
                [
                    name,
                    LABELS[detector],
                    setting,
                    fmt_mean_std(c["auc"], c["auc_std"]),
                    fmt(c["ap"]),
                    fmt(c["fit"], 2),
                    fmt(c["score"], 3),
                ]
            )
    parts += [
        "## Per dataset",
        "",
        markdown_table(
            ["dataset", "detector", "setting", "ROC-AUC", "AP", "fit s", "score s"],
            per_dataset,
            align="lllrrrr",
        ),
        "",
    ]

    # side by side against IsolationForest
    others = [d for d in detectors if d != BASELINE]
    if BASELINE in detectors and others:
        headers = ["dataset", LABELS[BASELINE]]
        for d in others:
            headers += [LABELS[d], f"{LABELS[d]} − IF"]
        diff_rows, diffs = [], {d: [] for d in others}
        for name in names:
            base = table.get((name, BASELINE), {}).get("auc", float("nan"))
            row = [name, fmt(base)]
            for d in others:
                value = table.get((name, d), {}).get("auc", float("nan"))
                diff = value - base
                diffs[d].append(diff)
                row += [fmt(value), fmt(diff, signed=True)]
            diff_rows.append(row)
        mean_row = [
            "**mean**",
            fmt(np.nanmean([table[n, BASELINE]["auc"] for n in names if (n, BASELINE) in table])),
        ]
        for d in others:
            values = [table[n, d]["auc"] for n in names if (n, d) in table]
            mean_row += [fmt(np.nanmean(values)), fmt(np.nanmean(diffs[d]), signed=True)]
        diff_rows.append(mean_row)
        wins = ", ".join(
            f"{LABELS[d]} above IF on {sum(x > 0 for x in diffs[d] if math.isfinite(x))}"
            f"/{sum(math.isfinite(x) for x in diffs[d])}"
            for d in others
        )
        parts += [
            f"## ROC-AUC minus {LABELS[BASELINE]} (per-dataset means)",
            "",
            markdown_table(headers, diff_rows),
            "",
            wins + ".",
            "",
        ]

    parts += best_baseline_section(table, names, detectors)

    errors = [r for r in rows if r["setting"] == setting and r["error"]]
    if errors:
        parts += ["## Failed fits", ""]
        for r in errors:
            parts += [
                f"{r['dataset']} / {LABELS[r['detector']]} / seed {r['seed']}:",
                "",
                "```",
                r["error"].rstrip(),
                "```",
                "",
            ]
    return "\n".join(parts)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring for the protocol.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder of .npz files (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help=f"where the CSV and markdown go (default: {DEFAULT_OUTPUT_DIR})",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--split-seed",
        type=int,
        default=None,
        help="use this one split for every seed, so that only the "
        "detectors' random_state varies (stability runs)",
    )
    parser.add_argument(
        "--detectors", nargs="+", choices=list(DETECTORS), default=["gan", "iforest"]
    )
    parser.add_argument("--setting", choices=[*SETTINGS, "both"], default="unsupervised")
    parser.add_argument(
        "--datasets",
        nargs="+",
        metavar="SUBSTRING",
        help="keep only files whose name contains one of these (case-insensitive)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: the 4 smallest files and the first seed only",
    )
    parser.add_argument(
        "--gan-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a GANAnomalyDetector hyperparameter (repeatable)",
    )
    parser.add_argument(
        "--tag", default="", help="suffix for the result file names, e.g. for --gan-param variants"
    )
    args = parser.parse_args(argv)
    try:
        args.gan_params = parse_gan_params(args.gan_param)
        GANAnomalyDetector(**args.gan_params)  # unknown keys fail now, not mid-run
    except (argparse.ArgumentTypeError, TypeError) as exc:
        parser.error(str(exc))
    if args.quick:
        args.seeds = args.seeds[:1]
    args.detectors = list(dict.fromkeys(args.detectors))
    return args


def main(argv=None):
    args = parse_args(argv)
    settings = list(SETTINGS) if args.setting == "both" else [args.setting]
    datasets = load_datasets(args.data_dir, args.datasets, args.quick)
    suffix = f"_{args.tag}" if args.tag else ""
    log(
        f"{len(datasets)} datasets, seeds {args.seeds}, detectors {args.detectors}, "
        f"settings {settings}, GAN overrides {args.gan_params or 'none'}"
    )
    start = time.perf_counter()
    rows = []
    for name, X, y in datasets:
        for setting in settings:
            for detector in args.detectors:
                for seed in args.seeds:
                    result = run_one(
                        detector, seed, setting, X, y, args.gan_params, args.split_seed
                    )
                    params = (
                        repr(args.gan_params)
                        if detector.startswith("gan") and args.gan_params
                        else ""
                    )
                    rows.append(
                        dict(
                            dataset=name,
                            n_rows=len(y),
                            n_features=X.shape[1],
                            anomaly_ratio=float(np.mean(y)),
                            setting=setting,
                            detector=detector,
                            params=params,
                            seed=seed,
                            **result,
                        )
                    )
                    log(
                        f"[{time.perf_counter() - start:7.1f}s] {name} {detector} seed={seed} "
                        f"{setting}: fit {result['fit_seconds']:.2f}s "
                        f"score {result['score_seconds']:.3f}s "
                        f"AUC {result['roc_auc']:.3f} AP {result['average_precision']:.3f}"
                        + (" FAILED" if result["error"] else "")
                    )
        for setting in settings:  # keep finished work if the run is interrupted
            write_csv(
                args.output_dir / f"adbench_{setting}{suffix}.csv",
                [r for r in rows if r["setting"] == setting],
                CSV_FIELDS,
            )
    wall = time.perf_counter() - start
    for setting in settings:
        text = report(rows, datasets, args.detectors, setting, args.gan_params, wall)
        print(text)
        write_text(args.output_dir / f"adbench_{setting}{suffix}.md", text + "\n")
    log(f"done in {wall:.0f} s; results in {args.output_dir}")
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
