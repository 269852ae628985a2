"""Real series with a clean training part: NAB cut before its first labelled anomaly.

Protocol
--------
The acceptance series of the time-series work are real series with a training
part free of anomalies and a test part holding them; this benchmark builds the
same setting from NAB, whose series are otherwise scored train = test
(``benchmarks/nab.py``).

1. Series: every labelled series of the chosen subsets whose first labelled
   window starts at least ``--min-train-fraction`` (default 15 %, NAB's own
   probationary period) into the series and at least ``--min-train`` timestamps
   (default 400, four windows) from its start, and whose test part holds
   normal timestamps too.
2. Training part: the timestamps before the first labelled window (NAB's
   windows are wide, so the part before them is the part its labellers saw as
   normal). Test part: the rest, with every labelled anomaly.
3. Windows of ``--window`` (default 100) with step ``max(1, len(series) //
   1000)``, as in nab.py, cut from each part separately; every detector is
   fitted on the training windows and scores the test windows, on exactly the
   same windows (``synthetic_series.window_scores``): ``LSTMGANAnomalyDetector``
   with its defaults and with ``novelty=True``, ``IsolationForest``, a PCA
   reconstruction (95 % of the variance) and STUMPY's matrix profile as an
   AB-join (each test subsequence's distance to its nearest training
   subsequence).
4. Window scores are averaged over the windows covering each test timestamp;
   per-timestamp ROC-AUC and average precision against the labelled windows.

The defaults (``novelty=False``) were not chosen on these cuts;
``novelty=True``'s start for windows was, on seed 0
(``benchmarks/nab_clean_scores.py``), and its score on these cuts and the
heartbeat-like series of ``benchmarks/heartbeats.py``. Per series, per subset and
over all series: mean AUC / AP (mean ± sd over seeds for the seeded
detectors), and on how many series each LSTM-GAN variant is above
IsolationForest and above PCA.

Example
-------
::

    python benchmarks/nab_clean.py                       # seeds 0 1 2, ~40 min per seed
    python benchmarks/nab_clean.py --subsets realKnownCause --seeds 0
    # two seeds side by side, then one summary
    python benchmarks/nab_clean.py --seeds 0 --tag s0 &
    python benchmarks/nab_clean.py --seeds 1 --tag s1
    python benchmarks/nab_clean.py --seeds 0 1 --summarise results/nab_clean_s0.csv results/nab_clean_s1.csv
"""

import argparse
import collections
import sys
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_lstm_param_option,
    add_shape_channel_option,
    environment_summary,
    fmt,
    log,
    lstm_params,
    markdown_table,
    median,
    overrides_line,
    read_csv,
    write_csv,
    write_text,
)
from nab import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_OUTPUT_DIR,
    SHORT,
    SUBSETS,
    labelled_series,
)
from synthetic_series import window_scores  # noqa: E402

from sklearn_gan_ad.timeseries import (  # noqa: E402
    intervals_to_labels,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

DEFAULT_DETECTORS = ("lstmgan", "lstmgan-novelty", "iforest", "pca", "matrix_profile")
# the defaults with the latent term before latent_typicality: same networks as lstmgan
DETECTORS = (*DEFAULT_DETECTORS, "lstmgan-latent-norm")
SEEDED = {"lstmgan", "lstmgan-novelty", "lstmgan-latent-norm", "iforest"}
LSTM_VARIANTS = ("lstmgan", "lstmgan-novelty", "lstmgan-latent-norm")
TEXT_FIELDS = ("subset", "series", "detector")
INT_FIELDS = ("seed", "n_train", "n_test", "step")
FIELDS = [
    "subset",
    "series",
    "detector",
    "seed",
    "n_train",
    "n_test",
    "step",
    "anomalous_fraction",
    "roc_auc",
    "average_precision",
    "fit_seconds",
]


def clean_cuts(data_dir, subsets, min_train, min_train_fraction):
    """``(subset, key, train, test, test_labels)`` for every series with a long enough clean part."""
    cuts, skipped = [], []
    for subset, key, values, true in labelled_series(data_dir, subsets):
        first = min(start for start, _ in true)
        if first < max(min_train, min_train_fraction * len(values)):
            skipped.append(key)
            continue
        test_labels = intervals_to_labels(true, len(values))[first:]
        if test_labels.all():  # labelled to its end: no normal test timestamp to rank
            skipped.append(key)
            continue
        cuts.append((subset, key, values[:first], values[first:], test_labels))
    return cuts, skipped


def summary_rows(rows, detectors, keys):
    """Mean AUC and AP of each detector over the series in ``keys`` (per seed, then over seeds)."""
    line_auc, line_ap = [], []
    for name in detectors:
        by_seed = collections.defaultdict(list)
        for r in rows:
            if r["detector"] == name and r["series"] in keys:
                by_seed[r["seed"]].append(r)
        auc = [np.mean([r["roc_auc"] for r in of]) for of in by_seed.values()]
        ap = [np.mean([r["average_precision"] for r in of]) for of in by_seed.values()]
        spread = name in SEEDED and len(auc) > 1
        line_auc.append(
            f"{fmt(np.mean(auc))} ± {fmt(np.std(auc))}" if spread else fmt(np.mean(auc))
        )
        line_ap.append(fmt(np.mean(ap)))
    return line_auc, line_ap


def per_series_auc(rows, name, key):
    return float(
        np.mean([r["roc_auc"] for r in rows if r["detector"] == name and r["series"] == key])
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--subsets", nargs="+", choices=SUBSETS, default=list(SUBSETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--detectors", nargs="+", choices=DETECTORS, default=list(DEFAULT_DETECTORS)
    )
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--min-train", type=int, default=400)
    parser.add_argument("--min-train-fraction", type=float, default=0.15)
    parser.add_argument("--tag", default="", help="suffix for the result file names")
    add_lstm_param_option(
        parser,
        "override a hyperparameter of every LSTM-GAN variant (repeatable), "
        "e.g. --lstm-param reconstruction_weight=100; use with --tag",
    )
    parser.add_argument(
        "--summarise",
        type=Path,
        nargs="+",
        default=None,
        help="write the summary from these nab_clean CSVs (e.g. runs of different seeds "
        "side by side) instead of running; --seeds names the seeds they hold",
    )
    add_shape_channel_option(parser)
    args = parser.parse_args(argv)
    args.lstm_params = lstm_params(parser, args)

    cuts, skipped = clean_cuts(args.data_dir, args.subsets, args.min_train, args.min_train_fraction)
    log(f"{len(cuts)} series with a clean training part, {len(skipped)} skipped")
    suffix = f"_{args.tag}" if args.tag else ""
    if args.summarise:
        rows = read_csv(args.summarise, TEXT_FIELDS, int_fields=INT_FIELDS)
    else:
        rows = run(cuts, args, suffix)
    summarise(rows, cuts, skipped, args, suffix)


def run(cuts, args, suffix):
    rows = []
    for subset, key, train, test, labels in cuts:
        step = max(1, (len(train) + len(test)) // 1000)
        for name in args.detectors:
            for seed in args.seeds if name in SEEDED else args.seeds[:1]:
                scores, starts, seconds = window_scores(
                    name,
                    seed,
                    train,
                    test,
                    args.window,
                    step,
                    args.lstm_params,
                    args.shape_channel,
                )
                per_timestamp = windows_to_timestamps(scores, starts, len(test), window=args.window)
                row = {
                    "subset": subset,
                    "series": key,
                    "detector": name,
                    "seed": seed,
                    "n_train": len(train),
                    "n_test": len(test),
                    "step": step,
                    "anomalous_fraction": float(labels.mean()),
                    "fit_seconds": seconds,
                    **timestamp_scores_metrics(per_timestamp, labels),
                }
                rows.append(row)
                log(f"{key} {name} seed {seed}: auc={fmt(row['roc_auc'])} fit={seconds:.1f}s")
        write_csv(args.output_dir / f"nab_clean{suffix}.csv", rows, FIELDS)
    return rows


def summarise(rows, cuts, skipped, args, suffix):
    detectors = [d for d in args.detectors if any(r["detector"] == d for r in rows)]
    keys_of = collections.defaultdict(set)
    for subset, key, *_ in cuts:
        keys_of[subset].add(key)
        keys_of["all"].add(key)
    auc_table, ap_table = [], []
    for group in [*(s for s in args.subsets if s in keys_of), "all"]:
        label = f"{SHORT.get(group, group)} ({len(keys_of[group])})"
        aucs, aps = summary_rows(rows, detectors, keys_of[group])
        auc_table.append([label, *aucs])
        ap_table.append([label, *aps])
    fit_line = ["median fit s"] + [
        fmt(median([r["fit_seconds"] for r in rows if r["detector"] == d]), 1) for d in detectors
    ]

    series_table = []
    wins = collections.Counter()
    for subset, key, train, test, _ in cuts:
        aucs = {d: per_series_auc(rows, d, key) for d in detectors}
        for variant in LSTM_VARIANTS:
            if variant in aucs:
                for baseline in ("iforest", "pca", "matrix_profile"):
                    if baseline in aucs:
                        wins[variant, baseline] += aucs[variant] > aucs[baseline]
        series_table.append(
            [
                key.split("/")[1],
                SHORT[subset],
                len(train),
                len(test),
                *(fmt(aucs[d]) for d in detectors),
            ]
        )
    win_table = [
        [
            variant,
            *(f"{wins[variant, b]} / {len(cuts)}" for b in ("iforest", "pca", "matrix_profile")),
        ]
        for variant in LSTM_VARIANTS
        if variant in detectors
    ]

    seeds = " ".join(map(str, args.seeds))
    text = "\n".join(
        [
            "# NAB with a clean training part: fit before the first labelled anomaly",
            "",
            environment_summary(),
            "",
            f"`python benchmarks/nab_clean.py --seeds {seeds}`: each series cut at its first "
            f"labelled window (at least {args.min_train} timestamps and "
            f"{args.min_train_fraction:.0%} of the series before it), detectors fitted on the "
            f"windows of the part before ({args.window} steps, step max(1, n // 1000)) and "
            "scored on the part after; per-timestamp ROC-AUC and AP on the test part, mean "
            f"over series (± sd over seeds {seeds} for the seeded detectors). "
            f"{len(cuts)} series; skipped (clean part too short): {len(skipped)}. "
            "The defaults were not chosen on these cuts; `novelty=True`'s start for "
            "windows was (seed 0, `benchmarks/nab_clean_scores.py`), its score on these "
            "cuts and `benchmarks/heartbeats.py`.",
            "",
            overrides_line(args.lstm_params, args.shape_channel),
            "",
            "## Per-timestamp ROC-AUC",
            "",
            markdown_table(["subset (series)", *detectors], auc_table + [fit_line]),
            "",
            "## Per-timestamp average precision",
            "",
            markdown_table(["subset (series)", *detectors], ap_table),
            "",
            "## Series on which the LSTM-GAN's AUC (mean over seeds) is above the baseline's",
            "",
            markdown_table(
                ["variant", "above IsolationForest", "above PCA", "above matrix profile"], win_table
            ),
            "",
            "## Per series (ROC-AUC, mean over seeds)",
            "",
            markdown_table(["series", "subset", "train", "test", *detectors], series_table),
            "",
        ]
    )
    write_text(args.output_dir / f"nab_clean{suffix}.md", text)
    print(text)


if __name__ == "__main__":
    main()
