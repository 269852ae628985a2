"""TadGAN's reconstruction errors (point, area, DTW) against the detector's window scores, on NAB.

Protocol
--------
Orion's setting, as ``benchmarks/nab.py``: every labelled series of the six
NAB subsets, fitted on the whole series and scored on it (train = test),
windows of ``--window`` (100) with step ``max(1, len(series) // 1000)``,
``LSTMGANAnomalyDetector(random_state=seed)`` with its defaults. Each fit's
evidence becomes per-timestamp scores in seven ways:

- ``window``: the detector's anomaly score of each window, averaged over the
  windows covering a timestamp (``detect_intervals``' default, what
  ``nab.py`` reports as ``lstmgan``);
- ``point``, ``area``, ``dtw``: TadGAN's reconstruction errors (Orion's
  ``reconstruction_errors``). The windows' reconstructions
  (:meth:`~sklearn_gan_ad.LSTMGANAnomalyDetector.reconstruct`) become one
  reconstructed series, each timestamp the median over the windows covering
  it; then the absolute difference from the series (``point``), the absolute
  difference of the trapezoid areas under the two over a centred stretch of
  ``score_window`` = 10 timestamps (``area``), or the DTW distance between
  centred stretches of 11 timestamps, squared differences, square root of the
  path cost as in pyts (``dtw``; the series' end values pad the edges, where
  Orion pads with zeros); each smoothed by a centred rolling mean over 1 % of
  the series (at most 200 timestamps), Orion's ``smoothing_window``;
- ``tadgan``: TadGAN's default score (Orion's ``score_anomalies`` with
  ``comb="mult"``): the ``point`` error's z-score, clipped at 0, plus one,
  times the critic score — at each timestamp the window critic's raw output
  where the kernel density of the covering windows' outputs peaks, its
  absolute deviation from the mean of the middle half in standard deviations,
  plus one, smoothed like the errors;
- ``window+point``, ``window+dtw``: the window score and the ``point`` (or
  ``dtw``) error, each standardised over the series, summed: the window
  evidence at its own scale (a window's score spread over the
  ``2 * window - 1`` timestamps it reaches) plus the reconstruction error at
  the timestamp's own scale, which places an anomaly more tightly.

Every score is thresholded by the package's default rule (``find_intervals``
as ``detect_intervals`` calls it: one z-score threshold for the whole series,
z = 2, flags less than two windows apart merged). Reported per subset:
interval F1 of the tp / fp / fn summed over the subset's series (Orion's
overlapping-segment rule), mean per-timestamp ROC-AUC and AP, mean ± sd over
seeds, next to Orion's published TadGAN and AER F1. TadGAN itself combines
its reconstruction error with its critic's score and uses step 1 and longer
training; this compares the error types on the package's networks.

Outputs
-------
``<output-dir>/nab_errors_<tag>.csv`` (one row per series, seed and score)
and ``nab_errors_<tag>.md``; ``--summarise CSV ...`` merges runs (e.g. one
process per core) into ``nab_errors.md``.

Examples
--------
::

    python benchmarks/nab_errors.py --seeds 0 --tag s0 &   # one process per core
    python benchmarks/nab_errors.py --seeds 1 --tag s1
    python benchmarks/nab_errors.py --summarise benchmarks/results/nab_errors_s0.csv benchmarks/results/nab_errors_s1.csv
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    environment_summary,
    fmt,
    log,
    markdown_table,
    median,
    read_csv,
    stopwatch,
    write_csv,
    write_text,
)
from nab import (  # noqa: E402
    DEFAULT_DATA_DIR,
    PUBLISHED_F1,
    SHORT,
    SUBSETS,
    critic_outputs,
    labelled_series,
)
from scipy import stats  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    _default_interval_rule,
    detect_intervals,
    find_intervals,
    intervals_to_labels,
    make_windows,
    overlap_segment_scores,
    sum_overlap_scores,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "results"
SCORES = ("window", "point", "area", "dtw", "tadgan", "window+point", "window+dtw")
SCORE_WINDOW = 10
CSV_FIELDS = [
    "subset",
    "series",
    "seed",
    "score",
    "n_timestamps",
    "step",
    "tp",
    "fp",
    "fn",
    "roc_auc",
    "average_precision",
    "fit_seconds",
]
TEXT_FIELDS = ("subset", "series", "score")
INT_FIELDS = ("seed", "n_timestamps", "step", "tp", "fp", "fn")


def rolling_mean(values, width):
    """Orion's smoothing: a centred rolling mean, half the width needed at the edges."""
    if width < 2:
        return np.asarray(values, dtype=np.float64)
    series = pd.Series(values)
    return series.rolling(width, center=True, min_periods=width // 2).mean().to_numpy()


def area_error(values, reconstructed, score_window=SCORE_WINDOW):
    """Absolute difference of the trapezoid areas over a centred stretch (Orion's ``_area_error``)."""

    def areas(x):
        rolling = pd.Series(x).rolling(score_window, center=True, min_periods=score_window // 2)
        return rolling.apply(np.trapezoid, raw=True).to_numpy()

    return np.abs(areas(values) - areas(reconstructed))


def dtw_error(values, reconstructed, score_window=SCORE_WINDOW):
    """DTW distance between the centred stretches of 11 timestamps around each timestamp.

    Squared differences along the path, square root of the path cost (pyts'
    ``dtw``, which Orion calls); the recursion runs over the stretch's cells,
    for every timestamp at once.
    """
    length = (score_window // 2) * 2 + 1
    half = length // 2
    a = np.lib.stride_tricks.sliding_window_view(np.pad(values, half, mode="edge"), length)
    b = np.lib.stride_tricks.sliding_window_view(np.pad(reconstructed, half, mode="edge"), length)
    cost = np.full((len(values), length + 1, length + 1), np.inf)
    cost[:, 0, 0] = 0.0
    for i in range(1, length + 1):
        for j in range(1, length + 1):
            step = np.minimum(
                np.minimum(cost[:, i - 1, j], cost[:, i, j - 1]), cost[:, i - 1, j - 1]
            )
            cost[:, i, j] = (a[:, i - 1] - b[:, j - 1]) ** 2 + step
    return np.sqrt(cost[:, length, length])


def reconstruction_error_scores(values, reconstructions, starts, kind):
    """Per-timestamp TadGAN error of one kind from the windows' reconstructions."""
    n = len(values)
    reconstructed = windows_to_timestamps(reconstructions, starts, n, aggregate="median")
    if kind == "point":
        errors = np.abs(values - reconstructed)
    elif kind == "area":
        errors = area_error(values, reconstructed)
    elif kind == "dtw":
        errors = dtw_error(values, reconstructed)
    else:
        raise ValueError(kind)
    smoothed = rolling_mean(errors, smoothing_width(n))
    # the rolling windows leave NaN only where too few values were seen
    return np.nan_to_num(smoothed, nan=float(np.nanmin(smoothed)))


def smoothing_width(n):
    """Orion's ``smoothing_window``: 1 % of the series, at most 200 timestamps."""
    return min(math.trunc(n * 0.01), 200)


def critic_timestamp_scores(critic, starts, window, n):
    """TadGAN's critic score per timestamp (Orion's ``score_anomalies``).

    At each timestamp, the critic output of the covering windows where their
    kernel density peaks (their median when the density cannot be fitted);
    then its absolute deviation from the mean of the middle half, in standard
    deviations, plus one, smoothed like the errors.
    """
    covering = [[] for _ in range(n)]
    for start, value in zip(starts, critic):
        for t in range(start, start + window):
            covering[t].append(value)
    peaks = np.empty(n)
    for t, values in enumerate(covering):
        values = np.asarray(values)
        peaks[t] = np.median(values)
        if len(values) > 1 and np.ptp(values) > 0:
            try:
                peaks[t] = values[np.argmax(stats.gaussian_kde(values)(values))]
            except np.linalg.LinAlgError:
                pass
    low, high = np.quantile(peaks, [0.25, 0.75])
    centre = peaks[(peaks >= low) & (peaks <= high)].mean()
    z = np.abs(peaks - centre) / peaks.std() + 1
    return rolling_mean(z, smoothing_width(n))


def tadgan_scores(point_errors, critic_scores):
    """TadGAN's default combination (``comb="mult"``): critic score x clipped error z-score + 1."""
    rec = np.clip(stats.zscore(point_errors), 0, None) + 1
    return np.nan_to_num(critic_scores * rec, nan=1.0)


def two_scale_scores(window_scores, errors):
    """The window score and a per-timestamp reconstruction error, each z-scored, summed."""
    # a constant series has no z-score (NaN): it adds nothing, as in tadgan_scores
    return np.nan_to_num(stats.zscore(window_scores)) + np.nan_to_num(stats.zscore(errors))


def run_series(subset, key, values, true, seed, window):
    n = len(values)
    step = max(1, n // 1000)
    detector = LSTMGANAnomalyDetector(random_state=seed)
    X, starts = make_windows(values, window, step)
    with stopwatch() as watch:
        detector.fit(X)
    _, window_scores = detect_intervals(values, detector, window=window, step=step, fit=False)
    scores = {"window": window_scores}
    reconstructions = detector.reconstruct(X)
    for kind in ("point", "area", "dtw"):
        scores[kind] = reconstruction_error_scores(values, reconstructions, starts, kind)
    critic = critic_outputs(detector, X).mean(axis=0)
    scores["tadgan"] = tadgan_scores(
        scores["point"], critic_timestamp_scores(critic, starts, window, n)
    )
    for kind in ("point", "dtw"):
        scores[f"window+{kind}"] = two_scale_scores(window_scores, scores[kind])
    labels = intervals_to_labels(true, n)
    rows = []
    for kind, timestamp_scores in scores.items():
        # the package's default rule, as detect_intervals applies it to window scores
        predicted = find_intervals(timestamp_scores, **_default_interval_rule(window, n))
        rows.append(
            {
                "subset": subset,
                "series": key,
                "seed": seed,
                "score": kind,
                "n_timestamps": n,
                "step": step,
                **overlap_segment_scores([(i.start, i.end) for i in predicted], true),
                **timestamp_scores_metrics(timestamp_scores, labels),
                "fit_seconds": watch.seconds,
            }
        )
    return rows


def _mean_sd(values):
    values = [v for v in values if math.isfinite(v)]
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(float(np.mean(values)))} ± {fmt(float(np.std(values)))}"


def summarise(rows, environment):
    seeds = sorted({r["seed"] for r in rows})
    per_subset = []
    over = {kind: {"auc": [], "at_tadgan": 0, "above_aer": 0} for kind in SCORES}
    subsets = [s for s in SUBSETS if any(r["subset"] == s for r in rows)]
    for subset in subsets:
        short = SHORT[subset]
        for kind in SCORES:
            chosen = [r for r in rows if r["subset"] == subset and r["score"] == kind]
            f1s, aucs, aps = [], [], []
            for seed in seeds:
                of_seed = [r for r in chosen if r["seed"] == seed]
                if not of_seed:
                    continue
                f1s.append(sum_overlap_scores(of_seed)["f1"])
                aucs.append(float(np.mean([r["roc_auc"] for r in of_seed])))
                aps.append(float(np.mean([r["average_precision"] for r in of_seed])))
            tadgan = PUBLISHED_F1["TadGAN"].get(short)
            aer = PUBLISHED_F1["AER"].get(short)
            per_subset.append(
                [
                    short,
                    kind,
                    str(len({r["series"] for r in chosen})),
                    _mean_sd(f1s),
                    fmt(tadgan) if tadgan is not None else "–",
                    fmt(aer) if aer is not None else "–",
                    _mean_sd(aucs),
                    _mean_sd(aps),
                ]
            )
            if tadgan is not None:
                over[kind]["auc"].append(float(np.mean(aucs)))
                over[kind]["at_tadgan"] += float(np.mean(f1s)) >= tadgan
                over[kind]["above_aer"] += float(np.mean(f1s)) > aer
    n_orion = len([s for s in subsets if SHORT[s] in PUBLISHED_F1["TadGAN"]])
    overall = [
        [
            kind,
            fmt(float(np.mean(values["auc"]))) if values["auc"] else "–",
            f"{values['at_tadgan']} / {n_orion}",
            f"{values['above_aer']} / {n_orion}",
        ]
        for kind, values in over.items()
    ]
    fits = {(r["series"], r["seed"]): r["fit_seconds"] for r in rows}
    lines = [
        "# TadGAN's reconstruction errors against window scores on NAB",
        "",
        "Orion's protocol (train = test), window 100, step max(1, n // 1000), "
        "`LSTMGANAnomalyDetector` defaults, seeds " + " ".join(map(str, seeds)) + ". One fit per "
        "series and seed, its evidence turned into per-timestamp scores seven ways (module "
        "docstring of `benchmarks/nab_errors.py`); every score thresholded by the package's "
        "default rule. F1 = overlapping-segment F1 of the tp / fp / fn summed over the subset's "
        "series; AUC / AP = mean over series of per-timestamp ROC-AUC / average precision; "
        "mean ± sd over seeds.",
        "",
        environment,
        "",
        f"Median fit {fmt(median(fits.values()), 1)} s over {len(fits)} fits.",
        "",
        "## Per subset",
        "",
        markdown_table(
            ["subset", "score", "series", "F1", "TadGAN F1", "AER F1", "AUC", "AP"],
            per_subset,
            align="llrrrrrr",
        ),
        "",
        "## Over the Orion subsets",
        "",
        "Mean per-timestamp ROC-AUC over the five Orion subsets (seed means), subsets whose "
        "mean F1 is at or above TadGAN's / above AER's published F1.",
        "",
        markdown_table(["score", "mean AUC", "F1 >= TadGAN", "F1 > AER"], overall, align="lrrr"),
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--subsets", nargs="+", choices=SUBSETS, default=list(SUBSETS))
    parser.add_argument("--max-series-per-subset", type=int, default=None)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tag", default="run", help="suffix of this run's result files")
    parser.add_argument(
        "--summarise", nargs="+", type=Path, metavar="CSV", help="merge these runs' CSVs"
    )
    args = parser.parse_args(argv)
    environment = environment_summary()

    if args.summarise:
        rows = read_csv(args.summarise, TEXT_FIELDS, INT_FIELDS)
        path = args.output_dir / "nab_errors.md"
        write_text(path, summarise(rows, environment))
        log(f"wrote {path}")
        return

    csv_path = args.output_dir / f"nab_errors_{args.tag}.csv"
    md_path = args.output_dir / f"nab_errors_{args.tag}.md"
    log(environment)
    rows = []
    for subset, key, values, true in labelled_series(
        args.data_dir, args.subsets, args.max_series_per_subset
    ):
        for seed in args.seeds:
            new = run_series(subset, key, values, true, seed, args.window)
            rows += new
            log(
                f"{key} seed {seed} fit {fmt(new[0]['fit_seconds'], 1)} s: "
                + ", ".join(f"{r['score']} auc {fmt(r['roc_auc'])}" for r in new)
            )
        write_csv(csv_path, rows, CSV_FIELDS)
        write_text(md_path, summarise(rows, environment))
    log(f"wrote {csv_path} and {md_path}")


if __name__ == "__main__":
    main()
