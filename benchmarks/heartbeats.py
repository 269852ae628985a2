"""Heartbeat-like series: anomalies of shape and of absence, on series no default was tuned on.

Protocol
--------
A series of beats (P wave, QRS complex, T wave drawn as Gaussian bumps) whose
beat-to-beat interval varies (normal with mean 60 and sd 3 samples), plus a
slow baseline wander and white noise: so, unlike the seasonal series of
``synthetic_series.py``, no two windows line up exactly and the windows'
principal subspace is wide (about 37 components hold 95 % of the variance of
100-step windows). Each seed draws a clean training part (3,000 samples) and a
test part (3,000 samples) with one anomaly kind:

- ``ectopic``: two beats, seven apart, replaced by ectopic beats (a wide QRS, no
  P wave, an inverted T wave): an anomaly of *shape*;
- ``missing``: one beat left out: an anomaly of *absence*, a stretch that is
  easier to reproduce than a normal one.

Labels cover 30 samples either side of each anomalous beat. Detectors and
scoring are those of ``synthetic_series.py`` (``window_scores``): fitted on the
training windows (window ``--window``, step ``--step``), test window scores
averaged over the windows covering each timestamp, per-timestamp ROC-AUC and
average precision, and the interval F1 of ``detect_intervals``' default rule.

Example
-------
::

    python benchmarks/heartbeats.py            # 2 kinds x seeds 0 1 2, ~15 min
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_aggregate_option,
    add_lstm_param_option,
    environment_summary,
    lstm_params,
    markdown_table,
    overrides_line,
    write_csv,
    write_text,
)
from synthetic_series import (  # noqa: E402
    DEFAULT_OUTPUT_DIR,
    DETECTORS,
    f1_table,
    mean_sd_table,
    median_fit_row,
    scored_row,
)

KINDS = ("ectopic", "missing")
METRICS = ("roc_auc", "average_precision")
DEFAULT_DETECTORS = ("lstmgan", "lstmgan-novelty", "iforest", "pca", "matrix_profile")
FIELDS = [
    "kind",
    "seed",
    "detector",
    "roc_auc",
    "average_precision",
    "fit_seconds",
    "tp_whole",
    "fp_whole",
    "fn_whole",
]
# (centre, width, height) of the Gaussian bumps of one beat, in samples from the R peak
NORMAL_BEAT = ((-18, 4.0, 0.12), (-3, 1.2, -0.15), (0, 1.3, 1.0), (3, 1.4, -0.25), (20, 6.0, 0.3))
ECTOPIC_BEAT = ((0, 4.0, 0.9), (6, 3.0, -0.4), (22, 7.0, -0.3))
LABEL_HALF_WIDTH = 30


def beat(offsets, bumps):
    return sum(
        height * np.exp(-0.5 * ((offsets - centre) / width) ** 2) for centre, width, height in bumps
    )


def heartbeat_series(n_samples, rng, kind=None):
    """``(values, labels)``: beats with a varying interval, one anomaly of ``kind`` (or none)."""
    t = np.arange(n_samples)
    peaks, position = [], 30.0
    while position < n_samples - 30:
        peaks.append(position)
        position += rng.normal(60, 3)
    middle = len(peaks) // 2
    anomalous = {"ectopic": {middle, middle + 7}, "missing": {middle}, None: set()}[kind]
    values, labels = np.zeros(n_samples), np.zeros(n_samples, dtype=int)
    for index, peak in enumerate(peaks):
        if index in anomalous:
            start = max(0, int(peak) - LABEL_HALF_WIDTH)
            labels[start : int(peak) + LABEL_HALF_WIDTH] = 1
            if kind == "missing":
                continue
            values += beat(t - peak, ECTOPIC_BEAT)
        else:
            values += beat(t - peak, NORMAL_BEAT)
    values += 0.05 * np.sin(2 * np.pi * t / 700) + rng.normal(0, 0.02, n_samples)
    return values, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument(
        "--detectors", nargs="+", choices=DETECTORS, default=list(DEFAULT_DETECTORS)
    )
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--step", type=int, default=2)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--tag", default="", help="suffix for the result file names")
    add_lstm_param_option(
        parser,
        "override a hyperparameter of every LSTM-GAN variant (repeatable); use with --tag",
    )
    add_aggregate_option(parser)
    args = parser.parse_args(argv)
    args.lstm_params = lstm_params(parser, args)

    rows = []
    for kind in args.kinds:
        for seed in args.seeds:
            rng = np.random.default_rng(seed)
            train, _ = heartbeat_series(3000, rng)
            test, labels = heartbeat_series(3000, rng, kind)
            for name in args.detectors:
                rows.append(scored_row(kind, seed, name, train, test, labels, args))

    tables = {key: mean_sd_table(rows, args.kinds, args.detectors, key) for key in METRICS}
    f1_rows = f1_table(rows, args.kinds, args.detectors, ["whole"])
    fits = [median_fit_row(rows, args.detectors)]
    align = "l" + "r" * len(args.detectors)
    text = "\n".join(
        [
            "# Heartbeat-like series: ectopic and missing beats",
            "",
            f"Window {args.window}, step {args.step}; fitted on a clean training part of 3,000 "
            f"samples, scored on a test part of 3,000; seeds {' '.join(map(str, args.seeds))} "
            "(mean ± sd over seeds; `mean` over kinds and seeds). `python benchmarks/heartbeats.py`.",
            "",
            environment_summary(),
            "",
            overrides_line(args.lstm_params, aggregate=args.aggregate),
            "",
            "## Per-timestamp ROC-AUC",
            "",
            markdown_table(["kind", *args.detectors], tables["roc_auc"] + fits, align=align),
            "",
            "## Per-timestamp average precision",
            "",
            markdown_table(["kind", *args.detectors], tables["average_precision"], align=align),
            "",
            "## Interval F1 (`detect_intervals`' default rule; tp / fp / fn summed over seeds)",
            "",
            markdown_table(["kind", *args.detectors], f1_rows, align=align),
            "",
        ]
    )
    suffix = f"_{args.tag}" if args.tag else ""
    write_csv(args.output_dir / f"heartbeats{suffix}.csv", rows, FIELDS)
    write_text(args.output_dir / f"heartbeats{suffix}.md", text)
    print(text)


if __name__ == "__main__":
    main()
