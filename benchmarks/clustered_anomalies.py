"""Why the GAN detector misses anomalies that form a small cluster of their own.

On ADBench's optdigits every anomaly is a handwritten zero (digits one to nine
are normal): the anomalies are not scattered rare points but one coherent,
tight class. That is the one dataset where ``GANAnomalyDetector`` is far below
IsolationForest (see ``docs/benchmarks.md``). This script measures, under the
protocol of ``adbench.py`` (same split, scaling and seeds), what each piece of
evidence says about such anomalies:

1. ROC-AUC on the test part of every score the fitted detector exposes
   (``score_samples``, ``reconstruction_error``, ``latent_score``,
   ``discriminator_score``), next to IsolationForest, LocalOutlierFactor with
   its default 20 neighbours and with more neighbours than the training data
   holds anomalies, and the best single standardised feature. The last one
   picks its feature and direction on the *test labels*: it is a diagnostic
   of how separable the anomalies are, not a detector. Two sums of the GAN's
   default score and IsolationForest's (weights 1 and 2 on the forest, each
   score in robust standard units of its training scores) measure whether
   leaning on the forest would close the gap.
2. How the detector sees the anomalies it was trained on (unsupervised
   setting only): their median percentile among the training scores, the
   share of them ``predict`` flags, and how tight they are (the mean
   per-feature standard deviation of the anomalous and of the normal training
   rows, in standardised units).

Outputs ``<output-dir>/clustered_anomalies[_<tag>].md`` (the tables printed at
the end) and ``.csv`` (one row per setting, seed and measurement).

Example
-------
::

    python benchmarks/clustered_anomalies.py                       # optdigits, seeds 0-4
    python benchmarks/clustered_anomalies.py --dataset pendigits --seeds 0 1 2
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

# adbench.py sets one torch intra-op thread when imported, before any network is built
from _common import (
    environment_summary,
    fmt,
    fmt_mean_std,
    log,
    markdown_table,
    mean_std,
    write_csv,
    write_text,
)
from adbench import DEFAULT_DATA_DIR, DEFAULT_OUTPUT_DIR, SETTINGS, load_datasets, split_and_scale
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor

from sklearn_gan_ad import GANAnomalyDetector
from sklearn_gan_ad.scoring import robust_location_scale

# LocalOutlierFactor with this many neighbours per anomalous training row:
# a cluster smaller than the neighbourhood cannot be its own dense region.
_NEIGHBOURS_PER_ANOMALY = 2

EVIDENCE = {
    "gan_combined": "GAN, `score_samples` (default combined score)",
    "gan_reconstruction": "GAN, `reconstruction_error` (unscaled)",
    "gan_latent": "GAN, `latent_score`",
    "gan_discriminator": "GAN, `discriminator_score`",
    "iforest": "IsolationForest",
    "gan_plus_iforest": "GAN default score + IsolationForest (each in training units)",
    "gan_plus_2_iforest": "GAN default score + 2 × IsolationForest (each in training units)",
    "lof_default": "LocalOutlierFactor, 20 neighbours",
    "lof_wide": "LocalOutlierFactor, 2 × the training anomalies as neighbours",
    "best_feature": "best single feature (chosen on the test labels)",
}
TRAINING_VIEW = {
    "train_anomaly_percentile": "median percentile of the anomalous training rows' scores",
    "train_anomaly_flagged": "share of the anomalous training rows `predict` flags",
    "train_normal_flagged": "share of the normal training rows `predict` flags",
    "anomaly_spread": "mean per-feature standard deviation of the anomalous training rows",
    "normal_spread": "mean per-feature standard deviation of the normal training rows",
}


def _best_feature_auc(X_test, y_test):
    """Highest ROC-AUC of one feature, read in whichever direction separates better."""
    aucs = [roc_auc_score(y_test, column) for column in X_test.T if np.ptp(column) > 0]
    return max(max(a, 1.0 - a) for a in aucs)


def _mean_feature_std(rows):
    return float(np.mean(np.std(rows, axis=0))) if len(rows) > 1 else float("nan")


def measure(X, y, seed, setting):
    """Every measurement of one split as ``{name: value}``."""
    X_fit, y_fit, X_test, y_test = split_and_scale(X, y, seed, setting)
    detector = GANAnomalyDetector(random_state=seed).fit(X_fit)
    forest = IsolationForest(random_state=seed).fit(X_fit)
    anomaly_scores = {
        "gan_combined": -detector.score_samples(X_test),
        "gan_reconstruction": detector.reconstruction_error(X_test),
        "gan_latent": detector.latent_score(X_test),
        "gan_discriminator": detector.discriminator_score(X_test),
        "iforest": -forest.score_samples(X_test),
        "lof_default": -LocalOutlierFactor(novelty=True).fit(X_fit).score_samples(X_test),
    }
    # score_samples of the GAN is already in robust standard units of its
    # training scores; the forest's is put in the same units of its own, so
    # that the sums below weigh the two detectors as stated
    centre, scale = robust_location_scale(-forest.score_samples(X_fit))
    forest_units = (anomaly_scores["iforest"] - centre) / scale
    anomaly_scores["gan_plus_iforest"] = anomaly_scores["gan_combined"] + forest_units
    anomaly_scores["gan_plus_2_iforest"] = anomaly_scores["gan_combined"] + 2 * forest_units
    # the train part's anomalies, also in the novelty setting, which leaves them out
    n_train_anomalies = int(np.sum(y == 1) - np.sum(y_test == 1))
    n_neighbours = min(len(X_fit) - 1, _NEIGHBOURS_PER_ANOMALY * n_train_anomalies)
    wide = LocalOutlierFactor(n_neighbors=n_neighbours, novelty=True).fit(X_fit)
    anomaly_scores["lof_wide"] = -wide.score_samples(X_test)
    result = {name: roc_auc_score(y_test, score) for name, score in anomaly_scores.items()}
    result["best_feature"] = _best_feature_auc(X_test, y_test)
    result["lof_wide_neighbours"] = n_neighbours

    hidden = y_fit == 1
    if hidden.any():
        # one scoring pass for both: predict flags exactly the negative decisions
        decision = detector.decision_function(X_fit)
        percentile = 100.0 * np.argsort(np.argsort(-decision)) / (len(decision) - 1)
        flagged = decision < 0
        result["train_anomaly_percentile"] = float(np.median(percentile[hidden]))
        result["train_anomaly_flagged"] = float(np.mean(flagged[hidden]))
        result["train_normal_flagged"] = float(np.mean(flagged[~hidden]))
        result["anomaly_spread"] = _mean_feature_std(X_fit[hidden])
        result["normal_spread"] = _mean_feature_std(X_fit[~hidden])
    return result


def _summary(rows, setting, key):
    return mean_std([row[key] for row in rows if row["setting"] == setting and key in row])


def report(rows, name, settings, wall_seconds):
    """The markdown tables of the module docstring."""
    lines = [f"# Clustered anomalies: {name}", ""]
    seeds = sorted({row["seed"] for row in rows})
    lines += [
        f"Seeds {seeds}; mean ± standard deviation over seeds (ddof=1). "
        f"Protocol of `adbench.py`. Wall time {wall_seconds:.0f} s.",
        "",
        environment_summary(),
        "",
        "## Test ROC-AUC of each piece of evidence",
        "",
    ]
    table = [
        [label] + [fmt_mean_std(*_summary(rows, setting, key)) for setting in settings]
        for key, label in EVIDENCE.items()
    ]
    lines += [markdown_table(["evidence", *settings], table), ""]
    neighbours = sorted({row["lof_wide_neighbours"] for row in rows})
    lines += [f"Wide LocalOutlierFactor neighbours: {neighbours}.", ""]
    if any("train_anomaly_percentile" in row for row in rows):
        lines += ["## How the fitted detector sees its own training anomalies (unsupervised)", ""]
        table = [
            [label, fmt(_summary(rows, "unsupervised", key)[0], 2)]
            for key, label in TRAINING_VIEW.items()
        ]
        lines += [markdown_table(["measurement", "mean over seeds"], table)]
    return "\n".join(lines).rstrip()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--dataset", default="optdigits", help="substring of the one file to study")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--setting", choices=[*SETTINGS, "both"], default="both")
    parser.add_argument("--tag", default="", help="suffix for the result file names")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    datasets = load_datasets(args.data_dir, [args.dataset], quick=False)
    if len(datasets) != 1:
        raise SystemExit(f"{args.dataset!r} matches {[d[0] for d in datasets]}; name one file")
    name, X, y = datasets[0]
    settings = list(SETTINGS) if args.setting == "both" else [args.setting]
    start = time.perf_counter()
    rows = []
    for setting in settings:
        for seed in args.seeds:
            rows.append(dict(setting=setting, seed=seed, **measure(X, y, seed, setting)))
            log(f"[{time.perf_counter() - start:6.1f}s] {name} {setting} seed={seed} done")
    suffix = f"_{args.tag}" if args.tag else ""
    fields = ["setting", "seed", *EVIDENCE, "lof_wide_neighbours", *TRAINING_VIEW]
    write_csv(args.output_dir / f"clustered_anomalies{suffix}.csv", rows, fields)
    text = report(rows, name, settings, time.perf_counter() - start)
    print(text)
    write_text(args.output_dir / f"clustered_anomalies{suffix}.md", text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
