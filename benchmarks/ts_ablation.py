"""Ablation of LSTMGANAnomalyDetector's design on NAB series: generator x normalisation x scoring.

Protocol
--------
Seven NAB series (two artificial, one AdExchange, two AWS, two Traffic; the
list is ``SERIES``), Orion's setting (fit on the whole series, window 100, step
``max(1, n // 1000)``), one seed. For every combination of

- **generator**: ``patch`` (the default: LSTMs over patches of steps with linear
  paths beside them) or ``repeated`` (0.1's generator, one code fed at every
  step of an LSTM);
- **normalisation** of the windows fed to the detector: ``global`` (the series'
  values; the detector standardises them with the training mean and standard
  deviation), ``window`` (each window z-normalised, its standard deviation
  floored at a tenth of the series'), ``both`` (the two as two channels);

one detector is fitted and its evidence turned into per-timestamp scores in
three ways: ``window`` (each window's anomaly score averaged over the windows
covering a timestamp, the ``detect_intervals`` default), ``step-median`` (each
step's squared error, median over the overlapping windows, TadGAN's rule) and
``step-mean``. Reported: per-timestamp ROC-AUC averaged over the series, the
mean training reconstruction error (standardised units), fit seconds.

Example
-------
::

    python benchmarks/ts_ablation.py
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    environment_summary,
    fmt,
    log,
    markdown_table,
    median,
    stopwatch,
    window_shapes,
    with_shape_channel,
    write_csv,
    write_text,
)
from nab import (  # noqa: E402
    DEFAULT_DATA_DIR,
    RepeatedCodeLSTMGAN,
    load_series,
    true_index_intervals,
)

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    intervals_to_labels,
    make_windows,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

SERIES = (
    "artificialWithAnomaly/art_daily_jumpsdown.csv",
    "artificialWithAnomaly/art_daily_flatmiddle.csv",
    "realAdExchange/exchange-2_cpc_results.csv",
    "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv",
    "realAWSCloudwatch/ec2_disk_write_bytes_c0d644.csv",
    "realTraffic/speed_7578.csv",
    "realTraffic/occupancy_6005.csv",
)
GENERATORS = {"patch": LSTMGANAnomalyDetector, "repeated": RepeatedCodeLSTMGAN}
NORMALISATIONS = ("global", "window", "both")
SCORINGS = ("window", "step-median", "step-mean")
FIELDS = ["series", "generator", "normalisation", *SCORINGS, "train_error", "fit_seconds"]


def normalised_windows(values, window, step, normalisation):
    """Windows as the detector sees them, and their starts and channel count."""
    windows, starts = make_windows(values, window, step)
    if normalisation == "global":
        return windows, starts, 1
    floor = 0.1 * values.std()
    if normalisation == "window":
        return window_shapes(windows, floor), starts, 1
    return with_shape_channel(windows, floor), starts, 2


def run(values, labels, generator, normalisation, window, seed):
    step = max(1, len(values) // 1000)
    X, starts, n_channels = normalised_windows(values, window, step, normalisation)
    detector = GENERATORS[generator](n_channels=n_channels, random_state=seed)
    with stopwatch() as watch:
        detector.fit(X)
    n = len(values)
    step_errors = detector.feature_scores(X).reshape(len(X), window, n_channels).sum(axis=2)
    scores = {
        "window": windows_to_timestamps(-detector.score_samples(X), starts, n, window=window),
        "step-median": windows_to_timestamps(step_errors, starts, n, "median"),
        "step-mean": windows_to_timestamps(step_errors, starts, n, "mean"),
    }
    row = {name: timestamp_scores_metrics(s, labels)["roc_auc"] for name, s in scores.items()}
    row["train_error"] = float(detector.reconstruction_error(X).mean())
    row["fit_seconds"] = watch.seconds
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    labels_by_key = json.loads((args.data_dir / "labels/combined_windows.json").read_text())

    rows = []
    for key in SERIES:
        timestamps, values = load_series(args.data_dir, key)
        labels = intervals_to_labels(
            true_index_intervals(timestamps, labels_by_key[key]), len(values)
        )
        # variants interleaved per series, so that machine noise hits all alike
        for generator in GENERATORS:
            for normalisation in NORMALISATIONS:
                row = {"series": key, "generator": generator, "normalisation": normalisation}
                row.update(run(values, labels, generator, normalisation, args.window, args.seed))
                rows.append(row)
                log(
                    f"{key} {generator} {normalisation}: "
                    + " ".join(f"{k}={fmt(row[k])}" for k in (*SCORINGS, "train_error"))
                    + f" fit={row['fit_seconds']:.1f}s"
                )

    table = []
    for generator in GENERATORS:
        for normalisation in NORMALISATIONS:
            of = [
                r
                for r in rows
                if (r["generator"], r["normalisation"]) == (generator, normalisation)
            ]
            table.append(
                [generator, normalisation]
                + [fmt(float(np.mean([r[s] for r in of]))) for s in SCORINGS]
                + [
                    fmt(float(np.mean([r["train_error"] for r in of]))),
                    fmt(median([r["fit_seconds"] for r in of]), 1),
                ]
            )
    text = "\n".join(
        [
            "# LSTMGANAnomalyDetector ablation on NAB: generator x normalisation x scoring",
            "",
            f"{len(SERIES)} series, window {args.window}, step max(1, n // 1000), seed {args.seed}; "
            "per-timestamp ROC-AUC averaged over the series for each way of turning the "
            "evidence into timestamp scores; training reconstruction error (standardised "
            "units) and median fit seconds.",
            "",
            environment_summary(),
            "",
            markdown_table(
                [
                    "generator",
                    "normalisation",
                    *(f"AUC {s}" for s in SCORINGS),
                    "train error",
                    "fit s",
                ],
                table,
                align="ll" + "r" * 5,
            ),
            "",
        ]
    )
    write_csv(args.output_dir / "ts_ablation.csv", rows, FIELDS)
    write_text(args.output_dir / "ts_ablation.md", text)
    print(text)


if __name__ == "__main__":
    main()
