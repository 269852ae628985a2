"""Long series at step 1: what ``epochs="auto"``'s floor of 20 epochs buys and costs.

Why
---
``LSTMGANAnomalyDetector(epochs="auto")`` aims at about 300 optimisation
steps, clipped to 20-300 epochs. Up to 1,920 windows (15 batches of 128) that
is 300 steps or more; beyond it the 20-epoch floor makes the steps, and the
fit's seconds, grow with the number of windows: 30,000 windows of a long
series cut at step 1 take 4,680 steps. Consecutive windows at step 1 are near
copies of each other, so one pass might be enough. This script measures the
floor against shorter training on series of 20,000-30,000 training windows,
none of which the defaults were chosen on.

Protocol
--------
- ``heartbeat``: the heartbeat-like series of ``benchmarks/heartbeats.py``, a
  clean training part of 30,000 samples and a test part of 10,000 holding one
  ectopic or missing beat, seeds ``--seeds``;
- ``synthetic``: :func:`sklearn_gan_ad.timeseries.make_seasonal_series` with a
  training part of 20,000 samples and a test part of 2,000, each of its six
  anomaly kinds, ``random_state`` = seed.

Windows of 100 at step 1; ``LSTMGANAnomalyDetector(epochs=e, random_state=seed)``
for e in 1, 2, 5 and ``"auto"`` (the default), fitted on the training windows;
window scores averaged over the windows covering each test timestamp
(``windows_to_timestamps``), per-timestamp ROC-AUC and AP, whether the
highest-scored timestamp is labelled, fit seconds (one process, one torch
thread). Fits of one series run one after another, so that machine noise hits
all epoch settings alike.

Example
-------
::

    python benchmarks/long_series.py --family heartbeat --tag heartbeat &
    python benchmarks/long_series.py --family synthetic --tag synthetic
    python benchmarks/long_series.py --summarise benchmarks/results/long_series_heartbeat.csv \\
        benchmarks/results/long_series_synthetic.csv
"""

import argparse
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
    read_csv,
    stopwatch,
    write_csv,
    write_text,
)
from heartbeats import KINDS as HEARTBEAT_KINDS  # noqa: E402
from heartbeats import heartbeat_series  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    SYNTHETIC_ANOMALY_KINDS,
    make_seasonal_series,
    make_windows,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

EPOCHS = ("1", "2", "5", "auto")
WINDOW = 100
CSV_FIELDS = [
    "family",
    "kind",
    "seed",
    "epochs",
    "n_windows",
    "steps",
    "fit_seconds",
    "roc_auc",
    "average_precision",
    "top_labelled",
]
TEXT_FIELDS = ("family", "kind", "epochs")
INT_FIELDS = ("seed", "n_windows", "steps", "top_labelled")


def series(family, kind, seed):
    """``(train, test, test_labels)`` of one long series."""
    if family == "heartbeat":
        rng = np.random.default_rng(seed)
        train, _ = heartbeat_series(30000, rng)
        test, labels = heartbeat_series(10000, rng, kind)
        return train, test, labels
    return make_seasonal_series(kind, n_train=20000, n_test=2000, random_state=seed)


def run(family, kind, seed):
    train, test, labels = series(family, kind, seed)
    X_train, _ = make_windows(train, WINDOW, 1)
    X_test, starts = make_windows(test, WINDOW, 1)
    rows = []
    for epochs in EPOCHS:
        detector = LSTMGANAnomalyDetector(
            epochs=epochs if epochs == "auto" else int(epochs), random_state=seed
        )
        with stopwatch() as watch:
            detector.fit(X_train)
        scores = -detector.score_samples(X_test)
        per_timestamp = windows_to_timestamps(scores, starts, len(test), window=WINDOW)
        rows.append(
            {
                "family": family,
                "kind": kind,
                "seed": seed,
                "epochs": epochs,
                "n_windows": len(X_train),
                "steps": sum(len(epoch["batches"]) for epoch in detector.net_.history),
                "fit_seconds": watch.seconds,
                **timestamp_scores_metrics(per_timestamp, labels),
                "top_labelled": int(labels[np.argmax(per_timestamp)]),
            }
        )
        log(
            f"{family} {kind} seed {seed} epochs {epochs}: auc {fmt(rows[-1]['roc_auc'])} "
            f"ap {fmt(rows[-1]['average_precision'])} fit {rows[-1]['fit_seconds']:.1f} s"
        )
    return rows


def summarise(rows, environment):
    lines = [
        "# Long series at step 1: the 20-epoch floor of epochs='auto'",
        "",
        "`python benchmarks/long_series.py` (protocol in its docstring): windows of 100 at "
        "step 1, `LSTMGANAnomalyDetector(epochs=e)` fitted on a long clean training part, "
        "per-timestamp ROC-AUC / AP on the test part (mean over seeds), top = seeds whose "
        "highest-scored timestamp is labelled, fit s = median fit seconds.",
        "",
        environment,
        "",
    ]
    table = []
    cases = sorted({(r["family"], r["kind"]) for r in rows})
    for family, kind in cases:
        for epochs in EPOCHS:
            chosen = [
                r for r in rows if (r["family"], r["kind"], r["epochs"]) == (family, kind, epochs)
            ]
            if not chosen:
                continue
            table.append(
                [
                    f"{family} {kind}",
                    epochs,
                    str(chosen[0]["n_windows"]),
                    str(int(median([r["steps"] for r in chosen]))),
                    str(len(chosen)),
                    fmt(float(np.mean([r["roc_auc"] for r in chosen]))),
                    fmt(float(np.mean([r["average_precision"] for r in chosen]))),
                    f"{sum(r['top_labelled'] for r in chosen)} / {len(chosen)}",
                    fmt(median([r["fit_seconds"] for r in chosen]), 1),
                ]
            )
    lines += [
        markdown_table(
            ["series", "epochs", "windows", "steps", "seeds", "AUC", "AP", "top", "fit s"],
            table,
            align="llrrrrrrr",
        ),
        "",
        "## Mean over the series",
        "",
    ]
    overall = []
    for epochs in EPOCHS:
        chosen = [r for r in rows if r["epochs"] == epochs]
        if chosen:
            overall.append(
                [
                    epochs,
                    fmt(float(np.mean([r["roc_auc"] for r in chosen]))),
                    fmt(float(np.mean([r["average_precision"] for r in chosen]))),
                    fmt(median([r["fit_seconds"] for r in chosen]), 1),
                ]
            )
    lines += [markdown_table(["epochs", "AUC", "AP", "median fit s"], overall), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", choices=("heartbeat", "synthetic"), default="heartbeat")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--tag", default="run", help="suffix of this run's result files")
    parser.add_argument(
        "--summarise", nargs="+", type=Path, metavar="CSV", help="merge these runs' CSVs"
    )
    args = parser.parse_args(argv)
    environment = environment_summary()
    if args.summarise:
        rows = read_csv(args.summarise, TEXT_FIELDS, INT_FIELDS)
        path = args.output_dir / "long_series.md"
        write_text(path, summarise(rows, environment))
        log(f"wrote {path}")
        return
    kinds = HEARTBEAT_KINDS if args.family == "heartbeat" else SYNTHETIC_ANOMALY_KINDS
    csv_path = args.output_dir / f"long_series_{args.tag}.csv"
    log(environment)
    rows = []
    for kind in kinds:
        for seed in args.seeds:
            rows += run(args.family, kind, seed)
            write_csv(csv_path, rows, CSV_FIELDS)
    write_text(args.output_dir / f"long_series_{args.tag}.md", summarise(rows, environment))
    log(f"wrote {csv_path}")


if __name__ == "__main__":
    main()
