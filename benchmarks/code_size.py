"""How wide a code normal windows need: a PCA reconstruction at each code size.

Protocol
--------
``LSTMGANAnomalyDetector``'s networks hold a linear autoencoder of
``latent_dim`` codes beside their LSTMs (with ``novelty=True`` they start as
whitened PCA of the training windows), so the size of the code decides which
linear autoencoder they can be. This benchmark
measures, without any training, what that size does to the linear part alone:
a PCA reconstruction of the globally standardised windows (fitted on the clean
training windows, scoring the test windows by mean squared error, window
scores averaged over the windows covering each timestamp) keeping

- a fixed number of components (8, 16, 25, 32, 48; 25 is ``ceil(100 / 4)``,
  the per-feature size for 100-step windows, 32 its cap),
- as many as 90 %, 95 % or 99 % of the variance,
- the windows' signal rank alone (:func:`sklearn_gan_ad.base.signal_rank`,
  Gavish and Donoho's threshold),
- a candidate rank that re-estimates the noise level below the threshold
  (:func:`iterated_signal_rank`; measured, not adopted),
- the size ``LSTMGANAnomalyDetector`` resolves ``latent_dim="auto"`` to: the
  per-feature size or the signal rank, whichever is larger,

on the series of ``heartbeats.py`` (both kinds, seeds 0-2), the synthetic
seasonal kinds of ``synthetic_series.py`` (seeds 0-2) and the clean NAB cuts
of ``nab_clean.py``. Reported: mean per-timestamp ROC-AUC and the median
number of components kept.

Example
-------
::

    python benchmarks/code_size.py            # under a minute
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import integrate, optimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_summary, fmt, markdown_table, write_text  # noqa: E402
from heartbeats import KINDS, heartbeat_series  # noqa: E402
from nab import DEFAULT_DATA_DIR, SUBSETS  # noqa: E402
from nab_clean import clean_cuts  # noqa: E402
from synthetic_series import DEFAULT_OUTPUT_DIR  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad._spectrum import NULL_VARIANCE  # noqa: E402
from sklearn_gan_ad.base import signal_rank  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    SYNTHETIC_ANOMALY_KINDS,
    make_seasonal_series,
    make_windows,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

SIZES = (8, 16, 25, 32, 48, 0.90, 0.95, 0.99, "signal rank", "iterated signal rank", "auto")


def size_label(size):
    if size == "signal rank":
        return "signal rank alone"
    if size == "iterated signal rank":
        return "signal rank, noise re-estimated below the threshold (rejected)"
    if size == "auto":
        return '`latent_dim="auto"`'
    return f"{size:.0%} of the variance" if isinstance(size, float) else f"{size} components"


def iterated_signal_rank(gram, shape):
    """:func:`signal_rank` with the noise level re-estimated from the values below the threshold.

    Gavish and Donoho read an unknown noise level from the median singular
    value, which is a signal value once more than about half the directions
    hold signal (i.i.d. rows with 95 signal directions of 100: 28 counted).
    This variant re-estimates it from the values not yet counted, as noise of
    the ``(m - r) x (n - r)`` matrix left after removing the ``r`` directions
    counted (MP-PCA: Veraart et al., NeuroImage 2016), until the count stops
    growing (89 of those 95). Measured here as a candidate for
    ``latent_dim="auto"``, and not adopted (benchmarks page).
    """
    n_values, n_long = min(shape), max(shape)
    squared = np.clip(np.linalg.eigvalsh(gram)[::-1][:n_values], 0.0, None)
    if squared[0] <= 0:
        return 0
    beta = n_values / n_long
    optimal = math.sqrt(2 * (beta + 1) + 8 * beta / (beta + 1 + math.sqrt(beta**2 + 14 * beta + 1)))
    floor = NULL_VARIANCE * squared[0]
    rank = 0
    while True:
        rest, rows = n_values - rank, n_long - rank
        variance = np.median(squared[rank:]) / (rows * marchenko_pastur_median(rest / rows))
        counted = int((squared > max(optimal**2 * n_long * variance, floor)).sum())
        if counted <= rank or counted >= n_values:
            return rank
        rank = counted


def marchenko_pastur_median(beta):
    """Median of the Marchenko-Pastur law of aspect ratio ``0 < beta <= 1`` (unit variance)."""
    low, high = (1 - math.sqrt(beta)) ** 2, (1 + math.sqrt(beta)) ** 2

    def density(x):
        return math.sqrt(max((high - x) * (x - low), 0.0)) / (2 * math.pi * beta * x)

    return optimize.brentq(lambda m: integrate.quad(density, low, m)[0] - 0.5, low, high)


def pca_timestamp_scores(train, test, window, step, size):
    """Per-timestamp PCA reconstruction error of ``test`` and the components kept."""
    windows_train, _ = make_windows(train, window, step)
    X_test, starts = make_windows(test, window, step)
    mean, scale = windows_train.mean(), windows_train.std() or 1.0
    X_train, X_test = (windows_train - mean) / scale, (X_test - mean) / scale
    centre = X_train.mean(axis=0)
    centred = X_train - centre
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)
    if size == "signal rank":
        n_kept = signal_rank(centred.T @ centred, centred.shape)
    elif size == "iterated signal rank":
        n_kept = iterated_signal_rank(centred.T @ centred, centred.shape)
    elif size == "auto":  # as the detector resolves it, from the raw windows
        detector = LSTMGANAnomalyDetector()
        input_mean, input_scale = detector._fit_input_scaling(windows_train)
        n_kept = detector._resolved_latent_dim(
            windows_train.shape[1],
            lambda: detector._centred_gram(windows_train, input_mean, input_scale),
        )
    elif isinstance(size, float):
        shares = np.cumsum(singular**2) / np.sum(singular**2)
        n_kept = int(np.searchsorted(shares, size) + 1)
    else:
        n_kept = min(size, len(singular))
    basis = directions[:n_kept].T
    rebuilt = (X_test - centre) @ basis @ basis.T + centre
    errors = ((X_test - rebuilt) ** 2).mean(axis=1)
    return windows_to_timestamps(errors, starts, len(test), window=window), n_kept


def series_sets(args):
    """``{name: [(train, test, labels, step), ...]}`` for every series family measured."""
    sets = {}
    for kind in KINDS:
        cases = []
        for seed in args.seeds:
            rng = np.random.default_rng(seed)
            train, _ = heartbeat_series(3000, rng)
            test, labels = heartbeat_series(3000, rng, kind)
            cases.append((train, test, labels, 2))
        sets[f"heartbeats, {kind}"] = cases
    sets["synthetic kinds (6)"] = [
        (*make_seasonal_series(kind, random_state=seed), 5)
        for kind in SYNTHETIC_ANOMALY_KINDS
        for seed in args.seeds
    ]
    if args.data_dir.exists():
        cuts, _ = clean_cuts(args.data_dir, SUBSETS, 400, 0.15)
        sets[f"NAB clean cuts ({len(cuts)})"] = [
            (train, test, labels, max(1, (len(train) + len(test)) // 1000))
            for _, _, train, test, labels in cuts
        ]
    return sets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    args = parser.parse_args(argv)

    sets = series_sets(args)
    rows = []
    for size in SIZES:
        row = [size_label(size)]
        for cases in sets.values():
            aucs, kept = [], []
            for train, test, labels, step in cases:
                scores, n_kept = pca_timestamp_scores(train, test, args.window, step, size)
                aucs.append(timestamp_scores_metrics(scores, labels)["roc_auc"])
                kept.append(n_kept)
            row.append(f"{fmt(np.mean(aucs))} ({np.median(kept):g})")
        rows.append(row)
    text = "\n".join(
        [
            "# Code size: a PCA reconstruction of the windows at each number of components",
            "",
            f"Window {args.window}; seeds {' '.join(map(str, args.seeds))} for the generated "
            "series. Mean per-timestamp ROC-AUC (median components kept). "
            "`python benchmarks/code_size.py`.",
            "",
            environment_summary(),
            "",
            markdown_table(["components kept", *sets], rows, align="l" + "r" * len(sets)),
            "",
        ]
    )
    write_text(args.output_dir / "code_size.md", text)
    print(text)


if __name__ == "__main__":
    main()
