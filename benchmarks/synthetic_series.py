"""Time-series detectors on synthetic seasonal series with six planted anomaly kinds.

Protocol
--------
For each kind of :func:`sklearn_gan_ad.timeseries.make_seasonal_series` (spike,
level shift, frequency change, noise burst, flat segment, shape change) and each
seed, the detectors are fitted on the windows of the clean training part and
score the windows of the test part (window ``--window``, step ``--step``).
Window scores are averaged over the windows covering each timestamp
(``windows_to_timestamps``) and compared with the planted labels: per-timestamp
ROC-AUC and average precision. The same per-timestamp scores are also cut
into intervals by two rules, and each rule's overlapping-segment F1 (tp / fp /
fn summed over a kind's seeds) is reported: ``detect_intervals``' default (one
threshold for the whole series, z=2, flags less than two windows apart merged)
and the rule before it (local thresholds over thirds of the series, z=3,
flags less than a window apart merged). None of these series was used to
choose the defaults of ``LSTMGANAnomalyDetector`` or the interval rule.

The training parts are clean, as in the novelty setting: ``lstmgan-novelty``
is ``LSTMGANAnomalyDetector(novelty=True)`` (networks started from PCA of the
training windows, scored by their reconstruction error),
``lstmgan-novelty-critic`` the same networks scored by the critic alone and
``lstmgan-novelty-rec+critic`` by reconstruction error plus critic
(``novelty=True``'s score before it left the critic out);
``lstmgan-neighbours``
scores with the reconstruction error plus 4 x the critic-embedding neighbour
distance and no latent score (what ``novelty=True`` resolves to for
``GANAnomalyDetector``), ``lstmgan-neighbours-latent`` keeps the default
latent score beside them.

Detectors on exactly the same windows: ``LSTMGANAnomalyDetector`` with its
defaults, the same with 0.1's repeated-code generator (``lstmgan-repeated``),
the same with the latent term before ``latent_typicality`` (the code's squared
norm, ``lstmgan-latent-norm``) and with the window critic's typicality added
(``lstmgan-critic``; both have the same networks as ``lstmgan`` for a seed),
``IsolationForest``, a PCA reconstruction (95 % of the variance) and STUMPY's
matrix profile as an AB-join (each test subsequence's distance to its nearest
training subsequence, read at the windows' starts).

Example
-------
::

    python benchmarks/synthetic_series.py                 # 6 kinds x seeds 0 1 2
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
    add_shape_channel_option,
    environment_summary,
    fmt,
    log,
    lstm_params,
    markdown_table,
    median,
    overrides_line,
    stopwatch,
    with_shape_channel,
    write_csv,
    write_text,
)
from nab import (  # noqa: E402
    CriticTypicalityLSTMGAN,
    LatentNormLSTMGAN,
    PCAReconstruction,
    RepeatedCodeLSTMGAN,
)
from sklearn.ensemble import IsolationForest  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    SYNTHETIC_ANOMALY_KINDS,
    find_intervals,
    make_seasonal_series,
    make_windows,
    overlap_segment_scores,
    sum_overlap_scores,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

DETECTORS = (
    "lstmgan",
    "lstmgan-novelty",
    "lstmgan-novelty-critic",
    "lstmgan-novelty-rec+critic",
    "lstmgan-repeated",
    "lstmgan-latent-norm",
    "lstmgan-critic",
    "lstmgan-neighbours",
    "lstmgan-neighbours-latent",
    "iforest",
    "pca",
    "matrix_profile",
)
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "results"
INTERVAL_RULES = {  # name: find_intervals arguments, given the window and the series length
    "whole": lambda window, n: dict(z=2.0, min_gap=2 * window, local_window=n),
    "thirds": lambda window, n: dict(z=3.0, min_gap=window),
}
FIELDS = [
    "kind",
    "seed",
    "detector",
    "roc_auc",
    "average_precision",
    "fit_seconds",
    *(f"{count}_{rule}" for rule in INTERVAL_RULES for count in ("tp", "fp", "fn")),
]


def true_intervals(labels):
    """Inclusive (start, end) runs of 1 in a 0/1 label array."""
    return [(i.start, i.end) for i in find_intervals(np.asarray(labels, float), threshold=0.5)]


def interval_counts(per_timestamp, labels, window):
    """tp / fp / fn of each interval rule against the planted anomaly."""
    counts = {}
    for rule, arguments in INTERVAL_RULES.items():
        found = find_intervals(per_timestamp, **arguments(window, len(per_timestamp)))
        result = overlap_segment_scores([(i.start, i.end) for i in found], true_intervals(labels))
        counts.update({f"{count}_{rule}": result[count] for count in ("tp", "fp", "fn")})
    return counts


def f1_of(rows, rule):
    return sum_overlap_scores(
        {count: r[f"{count}_{rule}"] for count in ("tp", "fp", "fn")} for r in rows
    )["f1"]


def scored_row(kind, seed, name, train, test, labels, args, shape_channel=False):
    """One detector fitted on ``train`` and scored on ``test``: the result row, logged.

    ``args`` gives ``window``, ``step``, ``aggregate`` and ``lstm_params``. The row holds the
    per-timestamp ROC-AUC and AP, every interval rule's tp / fp / fn and the
    fit seconds.
    """
    scores, starts, seconds = window_scores(
        name, seed, train, test, args.window, args.step, args.lstm_params, shape_channel
    )
    per_timestamp = windows_to_timestamps(
        scores, starts, len(test), args.aggregate, window=args.window
    )
    row = {"kind": kind, "seed": seed, "detector": name, "fit_seconds": seconds}
    row.update(timestamp_scores_metrics(per_timestamp, labels))
    row.update(interval_counts(per_timestamp, labels, args.window))
    log(f"{kind} seed {seed} {name}: auc={fmt(row['roc_auc'])} fit={seconds:.1f}s")
    return row


def _of(rows, name, kind, total):
    return [r for r in rows if r["detector"] == name and kind in (r["kind"], total)]


def mean_sd_table(rows, kinds, detectors, key):
    """Per kind (and ``mean`` over all rows) and detector: ``key``'s mean ± sd over seeds."""

    def cell(of):
        values = [r[key] for r in of]
        return f"{fmt(float(np.mean(values)))} ± {fmt(float(np.std(values)))}"

    return [
        [kind, *(cell(_of(rows, name, kind, "mean")) for name in detectors)]
        for kind in [*kinds, "mean"]
    ]


def f1_table(rows, kinds, detectors, rules):
    """Per kind (and ``all``) and detector: each rule's summed interval F1, joined by " / "."""
    return [
        [
            kind,
            *(
                " / ".join(fmt(f1_of(_of(rows, name, kind, "all"), rule)) for rule in rules)
                for name in detectors
            ),
        ]
        for kind in [*kinds, "all"]
    ]


def median_fit_row(rows, detectors):
    return ["median fit s"] + [
        fmt(median([r["fit_seconds"] for r in rows if r["detector"] == n]), 1) for n in detectors
    ]


def window_scores(name, seed, train, test, window, step, lstm_params=None, shape_channel=False):
    """Anomaly score (higher = more anomalous) of each test window, and fit seconds.

    ``lstm_params`` override hyperparameters of every LSTM-GAN variant. With
    ``shape_channel`` every window detector sees each window's z-normalised copy
    as a second channel beside its values (the standard deviation floored at a
    tenth of the training part's); the matrix profile is unchanged.
    """
    X_train, _ = make_windows(train, window, step)
    X_test, starts = make_windows(test, window, step)
    n_channels = 1
    if shape_channel:
        floor = 0.1 * float(np.std(train))
        X_train, X_test = with_shape_channel(X_train, floor), with_shape_channel(X_test, floor)
        n_channels = 2
    if name == "matrix_profile":
        import stumpy

        with stopwatch() as watch:
            profile = stumpy.stump(test, window, T_B=train, ignore_trivial=False)[:, 0]
        return np.asarray(profile, dtype=np.float64)[starts], starts, watch.seconds

    def lstm(**variant):
        return {"n_channels": n_channels, **variant, **(lstm_params or {})}

    detector = {
        "lstmgan": lambda: LSTMGANAnomalyDetector(**lstm(random_state=seed)),
        "lstmgan-novelty": lambda: LSTMGANAnomalyDetector(**lstm(novelty=True, random_state=seed)),
        "lstmgan-novelty-critic": lambda: LSTMGANAnomalyDetector(
            **lstm(novelty=True, anomaly_score="discriminator", random_state=seed)
        ),
        "lstmgan-novelty-rec+critic": lambda: LSTMGANAnomalyDetector(
            **lstm(novelty=True, discriminator_weight=1.0, random_state=seed)
        ),
        "lstmgan-repeated": lambda: RepeatedCodeLSTMGAN(**lstm(random_state=seed)),
        "lstmgan-latent-norm": lambda: LatentNormLSTMGAN(**lstm(random_state=seed)),
        "lstmgan-critic": lambda: CriticTypicalityLSTMGAN(**lstm(random_state=seed)),
        # what novelty=True resolves to for tables: is it right for windows too?
        "lstmgan-neighbours": lambda: LSTMGANAnomalyDetector(
            **lstm(neighbour_weight=4.0, latent_weight=0.0, random_state=seed)
        ),
        "lstmgan-neighbours-latent": lambda: LSTMGANAnomalyDetector(
            **lstm(neighbour_weight=4.0, random_state=seed)
        ),
        "iforest": lambda: IsolationForest(random_state=seed),
        "pca": PCAReconstruction,
    }[name]()
    with stopwatch() as watch:
        detector.fit(X_train)
    return -detector.score_samples(X_test), starts, watch.seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--kinds", nargs="+", choices=SYNTHETIC_ANOMALY_KINDS, default=list(SYNTHETIC_ANOMALY_KINDS)
    )
    parser.add_argument("--detectors", nargs="+", choices=DETECTORS, default=list(DETECTORS))
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--step", type=int, default=5)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--tag", default="", help="suffix for the result file names")
    add_lstm_param_option(
        parser,
        "override a hyperparameter of every LSTM-GAN variant (repeatable), "
        "e.g. --lstm-param reconstruction_weight=100; use with --tag",
    )
    add_shape_channel_option(parser)
    add_aggregate_option(parser)
    args = parser.parse_args(argv)
    args.lstm_params = lstm_params(parser, args)

    rows = []
    for kind in args.kinds:
        for seed in args.seeds:
            train, test, labels = make_seasonal_series(kind, random_state=seed)
            for name in args.detectors:
                rows.append(
                    scored_row(kind, seed, name, train, test, labels, args, args.shape_channel)
                )

    table = mean_sd_table(rows, args.kinds, args.detectors, "roc_auc")
    interval_table = f1_table(rows, args.kinds, args.detectors, INTERVAL_RULES)
    fits = [median_fit_row(rows, args.detectors)]
    text = "\n".join(
        [
            "# Synthetic seasonal series: per-timestamp ROC-AUC by anomaly kind",
            "",
            f"Window {args.window}, step {args.step}; fitted on the clean training part, "
            f"scored on the test part; seeds {' '.join(map(str, args.seeds))} "
            "(mean ± sd over seeds; `mean` over kinds and seeds).",
            "",
            environment_summary(),
            "",
            overrides_line(args.lstm_params, args.shape_channel, args.aggregate),
            "",
            markdown_table(
                ["kind", *args.detectors], table + fits, align="l" + "r" * len(args.detectors)
            ),
            "",
            "## Interval F1 of the same scores: whole-series rule / thirds rule",
            "",
            "Overlapping-segment F1 of tp / fp / fn summed over the seeds (`all`: over kinds "
            "too). Whole series: one threshold, z=2, flags less than two windows apart "
            "merged (`detect_intervals`' default); thirds: local thresholds over thirds of "
            "the series, z=3, flags less than a window apart merged (the rule before).",
            "",
            markdown_table(
                ["kind", *args.detectors], interval_table, align="l" + "r" * len(args.detectors)
            ),
            "",
        ]
    )
    suffix = f"_{args.tag}" if args.tag else ""
    write_csv(args.output_dir / f"synthetic_series{suffix}.csv", rows, FIELDS)
    write_text(args.output_dir / f"synthetic_series{suffix}.md", text)
    print(text)


if __name__ == "__main__":
    main()
