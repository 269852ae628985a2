"""Benchmark LSTMGANAnomalyDetector on NAB series with Orion's (TadGAN) protocol.

Protocol
--------
Follows the evaluation of Orion's benchmark (sintel-dev/Orion, the one behind the
published TadGAN / AER F1 scores in ``shared/data/nab/README.md``):

1. Data: every labelled series of the chosen NAB subsets (default
   artificialWithAnomaly, realAdExchange, realAWSCloudwatch, realTraffic,
   realTweets, realKnownCause; realKnownCause is not on Orion's leaderboard).
   Ground truth is ``labels/combined_windows.json``: each ``[start, end]``
   timestamp pair is one anomalous interval. Series whose label list is empty
   are skipped (and reported as such on stderr and in the summary).
2. Unsupervised, train = test: each detector is fitted on the whole series and
   scores the same series. No labels are used for fitting or thresholding.
3. Windows: the series (value column only) is cut into sliding windows of
   ``--window`` timestamps (default 100, TadGAN's window) with step ``--step``.
   The default step is ``max(1, len(series) // 1000)``, giving about 1000
   windows per series: this bounds the training cost on a 2-core machine
   (TadGAN itself uses step 1, i.e. up to ~22,000 windows per series). Values
   are not preprocessed here; the GAN detector standardises its input itself.
4. Detection: ``detect_intervals(series, detector, window=..., step=...)`` with
   its defaults: each window's anomaly score spread over its timestamps and
   averaged (``scores="window"``, ``aggregate="mean"``), then one z-score
   threshold for the whole series (mean + 2 std), flags less than two windows
   apart merged. ``--save-scores DIR`` keeps every fit's per-timestamp scores,
   so that other interval rules can be compared offline on the same fits.
   Two detectors on identical windows: ``LSTMGANAnomalyDetector(random_state=seed)``
   (defaults: reconstruction score, ``epochs="auto"`` ≈ 300 optimisation
   steps, ``batch_size=128``, ``hidden_size=32``) and
   ``IsolationForest(random_state=seed)``.
5. True windows are mapped to inclusive index intervals through the series'
   timestamps: ``start_idx = searchsorted(ts, start, "left")``,
   ``end_idx = searchsorted(ts, end, "right") - 1``.
6. Metrics per series and detector: overlapping-segment tp / fp / fn
   (``overlap_segment_scores``, Orion's ``contextual`` unweighted scheme);
   per-timestamp ROC-AUC and average precision of the timestamp scores against
   labels = timestamps inside true windows (``timestamp_scores_metrics``); fit
   seconds (``detector.fit`` alone) and total seconds (whole
   ``detect_intervals`` call); number of predicted intervals, their median
   length, and the median true window length.
7. Per subset and detector: F1 of the tp / fp / fn summed over the subset's
   series (``sum_overlap_scores``, micro-average as in Orion), mean
   per-timestamp ROC-AUC / AP over series, median fit seconds per series. The
   table puts Orion 0.7.1's published F1 for TadGAN and AER next to them.

Torch runs with one intra-op thread (``torch.set_num_threads(1)``), as in the
other benchmarks: tiny LSTMs on a 2-core shared machine.

Outputs
-------
``<output-dir>/nab_series.csv`` (one row per series x detector, ``error`` filled
when a run failed) and ``<output-dir>/nab_summary.md``; both are rewritten after
every series, so an interrupted run keeps what it finished. ``--resume`` keeps
the rows already in ``nab_series.csv`` and skips those (series, detector)
pairs. Progress lines go to stderr.

Examples
--------
::

    python benchmarks/nab.py --subsets artificialWithAnomaly --max-series-per-subset 1
    python benchmarks/nab.py --subsets realAdExchange realTraffic --resume
    python benchmarks/nab.py                                  # everything
"""

import argparse
import csv
import json
import math
import sys
import traceback
from pathlib import Path

import numpy as np
import torch

# one intra-op thread before anything builds a network; see the module docstring
torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    add_lstm_param_option,
    environment_summary,
    fmt,
    log,
    lstm_params,
    markdown_table,
    median,
    stopwatch,
    write_csv,
    write_text,
)
from sklearn.ensemble import IsolationForest  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.networks import RepeatedCodeLSTMDecoder  # noqa: E402
from sklearn_gan_ad.scoring import EnsembleScorer  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    detect_intervals,
    intervals_to_labels,
    make_windows,
    overlap_segment_scores,
    sum_overlap_scores,
    timestamp_scores_metrics,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared/data/nab"
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "results"

SUBSETS = (
    "artificialWithAnomaly",
    "realAdExchange",
    "realAWSCloudwatch",
    "realTraffic",
    "realTweets",
    "realKnownCause",
)
SHORT = {
    "artificialWithAnomaly": "Art",
    "realAdExchange": "AdEx",
    "realAWSCloudwatch": "AWS",
    "realTraffic": "Traf",
    "realTweets": "Tweets",
    "realKnownCause": "KnownCause",
}
# Orion 0.7.1 leaderboard, dataset F1 (summed tp/fp/fn), see shared/data/nab/README.md
PUBLISHED_F1 = {
    "TadGAN": {"Art": 0.500, "AdEx": 0.692, "AWS": 0.710, "Traf": 0.486, "Tweets": 0.588},
    "AER": {"Art": 0.750, "AdEx": 0.733, "AWS": 0.702, "Traf": 0.611, "Tweets": 0.606},
}
DETECTORS = ("lstmgan", "iforest", "pca", "matrix_profile", "lstmgan-repeated")
DEFAULT_DETECTORS = ("lstmgan", "iforest", "pca", "matrix_profile")
# the default detector's fits scored otherwise, each summarised as a detector:
# its name, the prefix of its CSV columns and what it scores
RECONSTRUCTION_ONLY = "lstmgan-rec-only"
LATENT_NORM = "lstmgan-latent-norm"
CRITIC_TYPICALITY = "lstmgan-critic"
RESCORED = {
    RECONSTRUCTION_ONLY: (
        "reconstruction_only",
        "their reconstruction error alone (`latent_weight=0`)",
    ),
    LATENT_NORM: (
        "latent_norm",
        "their reconstruction error plus the code's squared norm, each standardised "
        "(the latent term before `latent_typicality`)",
    ),
    CRITIC_TYPICALITY: (
        "critic_typicality",
        "their default score plus the typicality of the window critic's raw output "
        "(its distance from the training windows' median), each component standardised "
        "(TadGAN's critic score in the package's form)",
    ),
}
RESCORED_FIELDS = ("tp", "fp", "fn", "roc_auc", "average_precision")
SUMMARY_ORDER = ("lstmgan", *RESCORED, *DETECTORS[1:])
# detectors whose result does not depend on the seed run once, with seed 0
DETERMINISTIC = ("pca", "matrix_profile")

CSV_FIELDS = [
    "subset",
    "series",
    "detector",
    "seed",
    "n_timestamps",
    "window",
    "step",
    "n_windows",
    "n_true",
    "tp",
    "fp",
    "fn",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "average_precision",
    "fit_seconds",
    "total_seconds",
    "n_pred",
    "median_pred_length",
    "max_pred_length",
    "pred_fraction",
    "median_true_length",
    *(f"{prefix}_{field}" for prefix, _ in RESCORED.values() for field in RESCORED_FIELDS),
    "error",
]


class PCAReconstruction:
    """Baseline: PCA keeping 95 % of the variance of the globally standardised windows.

    A linear autoencoder: ``score_samples`` is minus each window's mean squared
    reconstruction error, as for the GAN's reconstruction score.
    """

    def __init__(self, variance=0.95):
        self.variance = variance

    def fit(self, X):
        from sklearn.decomposition import PCA

        self.mean_, self.scale_ = X.mean(), X.std() or 1.0
        self.pca_ = PCA(self.variance, svd_solver="full").fit((X - self.mean_) / self.scale_)
        return self

    def score_samples(self, X):
        Z = (X - self.mean_) / self.scale_
        return -((Z - self.pca_.inverse_transform(self.pca_.transform(Z))) ** 2).mean(axis=1)


class MatrixProfile:
    """Baseline: STUMPY's matrix profile (self-join) of the series, read at the windows' starts.

    Each window's anomaly score is the z-normalised Euclidean distance of its
    subsequence to the nearest non-trivial match elsewhere in the series. Needs
    the series itself (the windows are read only to check the count); computed
    in ``fit`` so that fit seconds hold its cost.
    """

    def __init__(self, values, window, step):
        self.values, self.window, self.step = values, window, step

    def fit(self, X):
        import stumpy

        profile = stumpy.stump(np.asarray(self.values, dtype=np.float64), self.window)[:, 0]
        profile = np.asarray(profile, dtype=np.float64)
        finite = np.isfinite(profile)
        profile[~finite] = profile[finite].max() if finite.any() else 0.0
        _, starts = make_windows(self.values, self.window, self.step)
        if len(starts) != len(X):
            raise ValueError("matrix profile: windows do not match the series")
        self.window_scores_ = profile[starts]
        return self

    def score_samples(self, X):
        return -self.window_scores_


class RepeatedCodeLSTMGAN(LSTMGANAnomalyDetector):
    """Ablation: the default detector with 0.1's generator (one code repeated at every step)."""

    def _network_specs(self, model_shape, latent_dim):
        specs = super()._network_specs(model_shape, latent_dim)
        specs["generator"] = (RepeatedCodeLSTMDecoder, specs["generator"][1])
        return specs


class LatentNormLSTMGAN(LSTMGANAnomalyDetector):
    """Ablation: the default detector with the latent term before ``latent_typicality``.

    The code's squared norm (the prior's density of the code), as
    :class:`~sklearn_gan_ad.GANAnomalyDetector` scores it; training is unchanged,
    so the same seed gives the same networks as the default detector.
    """

    _latent_component = "latent"


def critic_outputs(detector, X):
    """The window critic's raw output on each window, shape ``(n_members, n_windows)``."""
    critic = detector.net_.scoring_modules()[2]
    n_members = detector.net_.n_members
    X = np.asarray(X, dtype=np.float64)
    # the networks' own input: standardised, clipped, float32
    x = detector._training_tensor(X, detector.input_mean_, detector.input_scale_)
    outputs = []
    with torch.inference_mode():
        for rows in detector._chunk_slices(X):
            chunk = x[rows]
            out = critic(chunk.expand(n_members, *chunk.shape))
            outputs.append(out.reshape(n_members, -1).double().numpy())
    return np.concatenate(outputs, axis=1)


class _CriticTypicalityScore:
    """A fitted detector scored by its default components plus the critic's typicality.

    TadGAN adds the critic's score on a window to the reconstruction error,
    taking the critic's deviation in either direction (the absolute z-score)
    as evidence: a critic's raw "real" output rates some off-manifold samples
    as more real than real ones. Here that deviation is the distance of the
    window critic's output from the training windows' median, as the latent
    typicality is for the code, and it joins the detector's own components,
    each standardised on the training windows ``X_train`` and combined by the
    package's scorer. An ablation: the package does not score this way.
    """

    prefix = RESCORED[CRITIC_TYPICALITY][0]

    def __init__(self, detector, X_train):
        self.detector = detector
        weights = dict(detector.scorer_.weights, critic_typicality=1.0)
        outputs = critic_outputs(detector, X_train)
        self.medians = np.median(outputs, axis=1, keepdims=True)
        self.scorer = EnsembleScorer(weights).fit(self._components(X_train, outputs))

    def _components(self, X, outputs=None):
        names = [name for name, weight in self.detector.scorer_.weights.items() if weight]
        members = self.detector._components_for(X, names)
        if outputs is None:
            outputs = critic_outputs(self.detector, X)
        deviations = np.abs(outputs - self.medians)
        return [dict(m, critic_typicality=d) for m, d in zip(members, deviations)]

    def score_samples(self, X):
        return -self.scorer.transform(self._components(X))


class CriticTypicalityLSTMGAN(LSTMGANAnomalyDetector):
    """Ablation: the default detector scored with the critic's typicality added.

    Training is unchanged, so a seed gives the default detector's networks; see
    :class:`_CriticTypicalityScore`.
    """

    def fit(self, X, y=None):
        super().fit(X, y)
        self.critic_score_ = _CriticTypicalityScore(self, X)
        return self

    def score_samples(self, X):
        return self.critic_score_.score_samples(X)


def make_detector(name, seed, lstm_params=None, values=None, window=None, step=None):
    if name == "lstmgan":
        return LSTMGANAnomalyDetector(**{**(lstm_params or {}), "random_state": seed})
    if name == "lstmgan-repeated":
        return RepeatedCodeLSTMGAN(**{**(lstm_params or {}), "random_state": seed})
    if name == "iforest":
        return IsolationForest(random_state=seed)
    if name == "pca":
        return PCAReconstruction()
    if name == "matrix_profile":
        return MatrixProfile(values, window, step)
    raise ValueError(name)


def load_series(data_dir, key):
    frame = pd.read_csv(data_dir / "data" / key)
    timestamps = pd.to_datetime(frame["timestamp"]).to_numpy()
    values = frame["value"].to_numpy(dtype=np.float64)
    return timestamps, values


def labelled_series(data_dir, subsets, max_per_subset=None):
    """``(subset, key, values, true)`` of every series of ``subsets`` with a labelled window.

    Series in name order within each subset, loaded one at a time; ``true``
    holds the labelled windows as inclusive index intervals
    (:func:`true_index_intervals`); ``max_per_subset`` keeps the first that
    many series of each subset.
    """
    with open(data_dir / "labels" / "combined_windows.json", encoding="utf-8") as fh:
        labels = json.load(fh)
    for subset in subsets:
        keys = sorted(k for k in labels if k.split("/")[0] == subset and labels[k])
        for key in keys[:max_per_subset]:
            timestamps, values = load_series(data_dir, key)
            yield subset, key, values, true_index_intervals(timestamps, labels[key])


def true_index_intervals(timestamps, windows):
    """Map [start, end] timestamp strings to inclusive index intervals."""
    intervals = []
    for start, end in windows:
        s = int(np.searchsorted(timestamps, np.datetime64(pd.Timestamp(start)), "left"))
        e = int(np.searchsorted(timestamps, np.datetime64(pd.Timestamp(end)), "right")) - 1
        s, e = max(s, 0), min(e, len(timestamps) - 1)
        if e >= s:
            intervals.append((s, e))
        else:
            log(f"  warning: window {start}..{end} holds no timestamp, dropped")
    return intervals


class _FitTimer:
    """Time ``detector.fit`` inside ``detect_intervals`` without changing the call."""

    def __init__(self, detector):
        self.seconds = float("nan")
        original = detector.fit

        def fit(X, *args, **kwargs):
            with stopwatch() as watch:
                result = original(X, *args, **kwargs)
            self.seconds = watch.seconds
            return result

        detector.fit = fit  # instance attribute shadows the method


def run_one(subset, key, timestamps, values, true, name, seed, args):
    n = len(values)
    step = args.step if args.step is not None else max(1, n // 1000)
    n_windows = len(range(0, n - args.window + 1, step))
    n_windows += int((n - args.window) % step != 0)
    row = {
        "subset": subset,
        "series": key,
        "detector": name,
        "seed": seed,
        "n_timestamps": n,
        "window": args.window,
        "step": step,
        "n_windows": n_windows,
        "n_true": len(true),
        "median_true_length": float(np.median([e - s + 1 for s, e in true])),
        "error": "",
    }
    detector = make_detector(name, seed, args.lstm_params, values, args.window, step)
    timer = _FitTimer(detector)
    try:
        with stopwatch() as watch:
            intervals, scores = detect_intervals(values, detector, window=args.window, step=step)
    except Exception as exc:  # keep going; the row records the failure
        traceback.print_exc(file=sys.stderr)
        row["error"] = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:500]
        return row
    row["fit_seconds"] = timer.seconds
    row["total_seconds"] = watch.seconds
    pred = [(i.start, i.end) for i in intervals]
    row.update(overlap_segment_scores(pred, true))
    lengths = [e - s + 1 for s, e in pred]
    row["n_pred"] = len(pred)
    row["median_pred_length"] = float(np.median(lengths)) if lengths else float("nan")
    row["max_pred_length"] = max(lengths) if lengths else float("nan")
    row["pred_fraction"] = float(intervals_to_labels(pred, n).mean()) if pred else 0.0
    try:
        row.update(timestamp_scores_metrics(scores, intervals_to_labels(true, n)))
    except ValueError as exc:
        row["error"] = f"metrics: {exc}"
    extra_scores = {}
    if isinstance(detector, LSTMGANAnomalyDetector):
        X, _ = make_windows(values, args.window, step)
        for scorer, extra_name in (
            (_ReconstructionScore(detector), "reconstruction_scores"),
            (_LatentNormScore(detector, X), "latent_norm_scores"),
            (_CriticTypicalityScore(detector, X), "critic_typicality_scores"),
        ):
            rescored_row, extra_scores[extra_name] = _rescored(
                scorer, values, true, args.window, step
            )
            row.update(rescored_row)
    if args.save_scores is not None:
        _save_scores(args.save_scores, key, name, seed, scores, true, extra_scores)
    return row


def _save_scores(directory, key, name, seed, scores, true, extra_scores):
    """Keep one fit's per-timestamp scores, so that post-processing can be compared offline."""
    path = Path(directory) / f"{key.replace('/', '__')}__{name}__{seed}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, scores=scores, true=np.asarray(true, dtype=np.int64), **extra_scores)


class _ReconstructionScore:
    """A fitted detector seen through its reconstruction error alone (``latent_weight=0``)."""

    prefix = RESCORED[RECONSTRUCTION_ONLY][0]

    def __init__(self, detector):
        self.detector = detector

    def score_samples(self, X):
        return -self.detector.reconstruction_error(X)


class _LatentNormScore:
    """A fitted detector scored by reconstruction error plus the code's squared norm.

    Both standardised on the training windows ``X_train`` and combined by the
    package's own scorer, as the detector combined them before its latent term
    became the typicality.
    """

    prefix = RESCORED[LATENT_NORM][0]
    components = ("reconstruction", "latent")

    def __init__(self, detector, X_train):
        self.detector = detector
        self.scorer = EnsembleScorer(dict.fromkeys(self.components, 1.0)).fit(
            detector._components_for(X_train, self.components)
        )

    def score_samples(self, X):
        return -self.scorer.transform(self.detector._components_for(X, self.components))


def _rescored(scorer, values, true, window, step):
    """A fitted detector scored another way, same post-processing as ``run_one``.

    Returns the row's ``<prefix>_*`` entries and the per-timestamp scores.
    """
    n = len(values)
    predicted, scores = detect_intervals(values, scorer, window=window, step=step, fit=False)
    counts = overlap_segment_scores([(i.start, i.end) for i in predicted], true)
    metrics = timestamp_scores_metrics(scores, intervals_to_labels(true, n))
    entries = {**counts, **metrics}
    return {f"{scorer.prefix}_{field}": entries[field] for field in RESCORED_FIELDS}, scores


def _num(value):
    if value is None or value == "":
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _mean_sd(values, digits=3):
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return "–"
    if len(values) == 1:
        return fmt(values[0], digits)
    return f"{fmt(float(np.mean(values)), digits)} ± {fmt(float(np.std(values)), digits)}"


def _rescored_rows(rows):
    """Rows of the default detector scored otherwise (same fits), one detector each."""
    derived = []
    for r in rows:
        if r["detector"] != "lstmgan":
            continue
        for name, (prefix, _) in RESCORED.items():
            if r.get(f"{prefix}_tp") in (None, ""):
                continue  # a row written before this rescoring existed
            copy = dict(r, detector=name)
            for field in RESCORED_FIELDS:
                copy[field] = r.get(f"{prefix}_{field}", "")
            derived.append(copy)
    return derived


def summarise(rows, skipped, args):
    """Markdown summary of the rows (dicts, possibly read back from CSV)."""
    rows = rows + _rescored_rows(rows)
    lines = [
        "# NAB benchmark (Orion protocol: unsupervised, train = test)",
        "",
        f"Window {args.window}, step "
        + (
            str(args.step)
            if args.step is not None
            else "max(1, n // 1000) (~1000 windows per series)"
        )
        + f", seeds {' '.join(map(str, args.seeds))}, detect_intervals defaults (window-level scores, one z-score threshold for the whole series with z=2, flags less than two windows apart merged). "
        "F1 = overlapping-segment F1 of tp/fp/fn summed over the subset's series; "
        "AUC / AP = mean over series of per-timestamp ROC-AUC / average precision; "
        "fit s = median seconds of one fit; TadGAN / AER = Orion 0.7.1 published F1 "
        "(TadGAN: step 1, full training, so not like-for-like on cost). "
        + " ".join(
            f"`{name}` is the same fits of `lstmgan` scored by {what}."
            for name, (_, what) in RESCORED.items()
        ),
        "",
        f"LSTMGANAnomalyDetector overrides: `{args.lstm_params}`."
        if args.lstm_params
        else "LSTMGANAnomalyDetector with its defaults.",
        "",
        environment_summary(),
        "",
    ]
    subsets = [s for s in SUBSETS if any(r["subset"] == s for r in rows)]
    headers = [
        "subset",
        "detector",
        "series",
        "seeds",
        "F1",
        "TadGAN F1",
        "AER F1",
        "AUC",
        "AP",
        "fit s",
        "errors",
    ]
    table = []
    subset_auc = {}
    for subset in subsets:
        short = SHORT[subset]
        for name in SUMMARY_ORDER:
            sub = [r for r in rows if r["subset"] == subset and r["detector"] == name]
            if not sub:
                continue
            ok = [r for r in sub if r.get("tp") not in (None, "")]
            seeds = sorted({int(_num(r["seed"])) for r in ok})
            f1s, aucs, aps = [], [], []
            for seed in seeds:
                of_seed = [r for r in ok if int(_num(r["seed"])) == seed]
                pooled = sum_overlap_scores(
                    [{k: int(_num(r[k])) for k in ("tp", "fp", "fn")} for r in of_seed]
                )
                f1s.append(pooled["f1"])
                aucs.append(float(np.nanmean([_num(r.get("roc_auc")) for r in of_seed])))
                aps.append(float(np.nanmean([_num(r.get("average_precision")) for r in of_seed])))
            subset_auc[(short, name)] = (aucs, f1s)
            n_err = sum(1 for r in sub if r.get("error"))
            table.append(
                [
                    short,
                    name,
                    len({r["series"] for r in ok}),
                    len(seeds),
                    _mean_sd(f1s),
                    fmt(PUBLISHED_F1["TadGAN"].get(short, float("nan"))),
                    fmt(PUBLISHED_F1["AER"].get(short, float("nan"))),
                    _mean_sd(aucs),
                    _mean_sd(aps),
                    fmt(median([_num(r.get("fit_seconds")) for r in ok]), 1),
                    n_err,
                ]
            )
    orion = [SHORT[s] for s in subsets if SHORT[s] in PUBLISHED_F1["TadGAN"]]
    overall = []
    for name in SUMMARY_ORDER:
        if not all((short, name) in subset_auc for short in orion) or not orion:
            continue
        per_seed_auc = np.array([subset_auc[(short, name)][0] for short in orion])
        at_or_above_tadgan = sum(
            np.mean(subset_auc[(short, name)][1]) >= PUBLISHED_F1["TadGAN"][short]
            for short in orion
        )
        above_aer = sum(
            np.mean(subset_auc[(short, name)][1]) > PUBLISHED_F1["AER"][short] for short in orion
        )
        fits = [
            _num(r.get("fit_seconds"))
            for r in rows
            if r["detector"] == name and r.get("tp") not in (None, "")
        ]
        overall.append(
            [
                name,
                len(orion),
                _mean_sd(list(per_seed_auc.mean(axis=0))),
                f"{at_or_above_tadgan} / {len(orion)}",
                f"{above_aer} / {len(orion)}",
                fmt(median(fits), 1),
            ]
        )
    lines += [
        "## Per subset",
        "",
        "Mean ± standard deviation over seeds (F1 of each seed's summed tp/fp/fn; AUC and "
        "AP averaged over the subset's series per seed). `pca` and `matrix_profile` do not "
        "depend on a seed and run once.",
        "",
        markdown_table(headers, table, align="ll" + "r" * (len(headers) - 2)),
        "",
        "## Over the Orion subsets",
        "",
        "Mean per-timestamp ROC-AUC over the Orion subsets present (mean ± sd over seeds), "
        "subsets where the mean F1 is at or above TadGAN's / above AER's published F1, "
        "median fit seconds over all series.",
        "",
        markdown_table(
            ["detector", "subsets", "mean AUC", "F1 >= TadGAN", "F1 > AER", "median fit s"],
            overall,
            align="l" + "r" * 5,
        ),
        "",
    ]

    width = []
    for subset in subsets:
        for name in SUMMARY_ORDER:
            sub = [
                r
                for r in rows
                if r["subset"] == subset and r["detector"] == name and r.get("tp") not in (None, "")
            ]
            if not sub:
                continue
            n_pred = [_num(r["n_pred"]) for r in sub]
            width.append(
                [
                    SHORT[subset],
                    name,
                    fmt(median(n_pred), 1),
                    sum(1 for v in n_pred if v == 0),
                    fmt(median([_num(r["median_pred_length"]) for r in sub]), 1),
                    fmt(median([_num(r["max_pred_length"]) for r in sub]), 1),
                    fmt(median([_num(r["median_true_length"]) for r in sub]), 1),
                    fmt(float(np.mean([_num(r["pred_fraction"]) for r in sub])), 3),
                ]
            )
    lines += [
        "## Predicted vs true interval widths (timestamps)",
        "",
        "Median over series of: number of predicted intervals; each series' median and "
        "max predicted-interval length; median true-window length. `zero` = series "
        "with no predicted interval; `flagged` = mean fraction of timestamps inside "
        "predicted intervals (true windows cover ~10 %).",
        "",
        markdown_table(
            [
                "subset",
                "detector",
                "n pred",
                "zero",
                "pred len",
                "max pred len",
                "true len",
                "flagged",
            ],
            width,
            align="ll" + "r" * 6,
        ),
        "",
    ]

    per_series = []
    for r in rows:
        per_series.append(
            [
                r["series"],
                r["detector"],
                r.get("seed", ""),
                r.get("n_true", ""),
                r.get("tp", ""),
                r.get("fp", ""),
                r.get("fn", ""),
                fmt(_num(r.get("roc_auc"))),
                r.get("n_pred", ""),
                fmt(_num(r.get("median_pred_length")), 0),
                fmt(_num(r.get("fit_seconds")), 1),
                (r.get("error") or "")[:80],
            ]
        )
    lines += [
        "## Per series",
        "",
        markdown_table(
            [
                "series",
                "detector",
                "seed",
                "true",
                "tp",
                "fp",
                "fn",
                "AUC",
                "n pred",
                "pred len",
                "fit s",
                "error",
            ],
            per_series,
            align="ll" + "r" * 9 + "l",
        ),
        "",
    ]
    if skipped:
        lines += ["## Skipped (empty label list)", ""] + [f"- {k}" for k in skipped] + [""]
    return "\n".join(lines), markdown_table(headers, table, align="ll" + "r" * (len(headers) - 2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--subsets", nargs="+", choices=SUBSETS, default=list(SUBSETS))
    parser.add_argument("--max-series-per-subset", type=int, default=None)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument(
        "--step", type=int, default=None, help="window step (default: max(1, len(series) // 1000))"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--detectors", nargs="+", choices=DETECTORS, default=list(DEFAULT_DETECTORS)
    )
    add_lstm_param_option(
        parser,
        "override a hyperparameter of LSTMGANAnomalyDetector (repeatable), "
        "e.g. --lstm-param prune_threshold=2.0; use with --output-dir",
    )
    parser.add_argument(
        "--save-scores",
        type=Path,
        default=None,
        metavar="DIR",
        help="write each fit's per-timestamp scores to DIR (one .npz per series, "
        "detector and seed) for offline comparison of interval rules",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep rows of an existing nab_series.csv and skip them",
    )
    args = parser.parse_args(argv)
    args.lstm_params = lstm_params(parser, args)

    with open(args.data_dir / "labels" / "combined_windows.json", encoding="utf-8") as fh:
        labels = json.load(fh)
    csv_path = args.output_dir / "nab_series.csv"
    md_path = args.output_dir / "nab_summary.md"

    rows = []
    if args.resume and csv_path.exists():
        with open(csv_path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        log(f"resume: {len(rows)} rows from {csv_path}")
    done = {(r["series"], r["detector"], int(r["seed"])) for r in rows if not r.get("error")}
    rows = [r for r in rows if (r["series"], r["detector"], int(r["seed"])) in done]

    skipped = []
    log(environment_summary())
    for subset in args.subsets:
        keys = sorted(k for k in labels if k.split("/")[0] == subset)
        empty = [k for k in keys if not labels[k]]
        for k in empty:
            log(f"skip {k}: empty label list")
        skipped += empty
        keys = [k for k in keys if labels[k]]
        if args.max_series_per_subset is not None:
            keys = keys[: args.max_series_per_subset]
        for i, key in enumerate(keys, 1):
            # seeds interleaved with detectors, so that machine noise hits all alike
            todo = [
                (name, seed)
                for seed in args.seeds
                for name in args.detectors
                if (key, name, seed) not in done
                and not (name in DETERMINISTIC and seed != args.seeds[0])
            ]
            if not todo:
                continue
            timestamps, values = load_series(args.data_dir, key)
            true = true_index_intervals(timestamps, labels[key])
            for name, seed in todo:
                row = run_one(subset, key, timestamps, values, true, name, seed, args)
                rows = [
                    r
                    for r in rows
                    if (r["series"], r["detector"], int(r["seed"])) != (key, name, seed)
                ]
                rows.append(row)
                log(
                    f"[{subset} {i}/{len(keys)}] {key} {name} seed {seed}: n={row['n_timestamps']} "
                    f"step={row['step']} tp/fp/fn={row.get('tp')}/{row.get('fp')}/"
                    f"{row.get('fn')} auc={fmt(_num(row.get('roc_auc')))} "
                    f"n_pred={row.get('n_pred')} pred_len={fmt(_num(row.get('median_pred_length')), 0)} "
                    f"true_len={fmt(row['median_true_length'], 0)} "
                    f"fit={fmt(_num(row.get('fit_seconds')), 1)}s "
                    f"total={fmt(_num(row.get('total_seconds')), 1)}s"
                    + (f" ERROR {row['error']}" if row["error"] else "")
                )
            order = {
                (s, d): j
                for j, (s, d) in enumerate((k, d) for k in sorted(labels) for d in DETECTORS)
            }
            rows.sort(
                key=lambda r: (order.get((r["series"], r["detector"]), 0), int(_num(r["seed"])))
            )
            write_csv(csv_path, rows, CSV_FIELDS)
            write_text(md_path, summarise(rows, skipped, args)[0])

    summary, table = summarise(rows, skipped, args)
    write_csv(csv_path, rows, CSV_FIELDS)
    write_text(md_path, summary)
    print(table)
    log(f"wrote {csv_path} and {md_path}")


if __name__ == "__main__":
    main()
