"""From window scores to timestamp scores: the mean, median, maximum and minimum over covering windows.

Why
---
``detect_intervals`` gives each timestamp the mean score of the windows that
cover it (``aggregate="mean"``), and the package offers ``"median"`` and
``"max"`` too; the default was chosen before the interval rule and the scores
of today, and never measured against the others on NAB. Each has a reason:

- the mean spreads one anomalous moment over the ``2 * window - 1`` timestamps
  of the windows that hold it, peaked where the most windows hold it;
- the median ignores a minority of covering windows;
- the maximum raises that whole stretch to the score of its worst window, as
  wide as NAB's labelled windows tend to be, and a timestamp near a series'
  end, covered by few windows, gets the maximum of few, so its score is *not*
  noisier than an inner one's (with the mean it is: the largest share of the
  default's false intervals on AdEx sits at the series' ends, see the interval
  rule section of the benchmark page);
- the minimum is high only where every covering window is high, the
  intersection of the windows that hold an anomaly: it localises (not a
  package option; measured here for the argument's other side).

Protocol
--------
One fit per series and seed of ``LSTMGANAnomalyDetector(random_state=seed)``
(defaults), ``IsolationForest(random_state=seed)`` and the PCA reconstruction
of ``benchmarks/nab.py`` on the same windows (window ``--window`` = 100, step
``max(1, n // 1000)``); each detector's window scores become timestamp scores
by each aggregate, without smoothing, as ``detect_intervals(scores="window")``
makes them. Two settings, as ``benchmarks/error_typicality.py``: ``orion``
(every labelled series of the subsets, fitted and scored on the whole series,
intervals by the package's default rule) and ``clean`` (the clean cuts of
``benchmarks/nab_clean.py``: fitted before the first labelled anomaly, scored
on the rest; no intervals). Reported per subset: interval F1 (Orion's
setting; tp / fp / fn summed over the subset's series), mean per-timestamp
ROC-AUC and AP, mean over seeds.

Example
-------
::

    python benchmarks/nab_aggregates.py --subsets realTweets realAdExchange \\
        artificialWithAnomaly --tag orion_a &
    python benchmarks/nab_aggregates.py --subsets realAWSCloudwatch realTraffic \\
        realKnownCause --tag orion_b
    python benchmarks/nab_aggregates.py --setting clean --tag clean
    python benchmarks/nab_aggregates.py --summarise benchmarks/results/nab_aggregates_orion_*.csv \\
        benchmarks/results/nab_aggregates_clean.csv
"""

import sys
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt  # noqa: E402
from _two_settings import parser_for, run, setting_sections  # noqa: E402
from nab import make_detector  # noqa: E402

from sklearn_gan_ad.timeseries import (  # noqa: E402
    _AGGREGATES,
    _default_interval_rule,
    find_intervals,
    intervals_to_labels,
    make_windows,
    overlap_segment_scores,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

DETECTORS = ("lstmgan", "iforest", "pca")
# the package's aggregates, and the minimum it does not offer
AGGREGATES = (*_AGGREGATES, "min")
CSV_FIELDS = [
    "setting",
    "subset",
    "series",
    "seed",
    "detector",
    "aggregate",
    "tp",
    "fp",
    "fn",
    "roc_auc",
    "average_precision",
]
TEXT_FIELDS = ("setting", "subset", "series", "detector", "aggregate")
INT_FIELDS = ("seed",)  # tp / fp / fn too, where not empty (_two_settings.read_rows)


def timestamp_scores(window_scores, starts, n_timestamps, window, aggregate):
    """Each timestamp's ``aggregate`` over the scores of the windows covering it."""
    if aggregate != "min":
        return windows_to_timestamps(window_scores, starts, n_timestamps, aggregate, window=window)
    # the minimum is the maximum of the negated scores
    return -windows_to_timestamps(-window_scores, starts, n_timestamps, "max", window=window)


def scored_rows(case, X_train, X_score, starts, labels, window, true=None):
    """One row per detector and aggregate: ``X_score``'s timestamps scored after a fit on ``X_train``.

    ``case`` holds the row's setting, subset, series and seed; with ``true``
    (Orion's setting) the timestamp scores are also cut into intervals by the
    default rule and counted against it.
    """
    n_timestamps = len(labels)
    rows = []
    for name in DETECTORS:
        detector = make_detector(name, case["seed"]).fit(X_train.reshape(len(X_train), -1))
        scores = -np.asarray(detector.score_samples(X_score.reshape(len(X_score), -1)), float)
        for aggregate in AGGREGATES:
            per_timestamp = timestamp_scores(scores, starts, n_timestamps, window, aggregate)
            row = {**case, "detector": name, "aggregate": aggregate}
            if true is not None:
                rule = _default_interval_rule(window, n_timestamps)
                predicted = find_intervals(per_timestamp, **rule)
                row.update(overlap_segment_scores([(i.start, i.end) for i in predicted], true))
            rows.append({**row, **timestamp_scores_metrics(per_timestamp, labels)})
    return rows


def orion_rows(subset, key, values, true, seed, window):
    """Orion's setting: fitted and scored on the whole series, intervals by the default rule."""
    X, starts = make_windows(values, window, max(1, len(values) // 1000))
    labels = intervals_to_labels(true, len(values))
    case = {"setting": "orion", "subset": subset, "series": key, "seed": seed}
    return scored_rows(case, X, X, starts, labels, window, true)


def clean_rows(subset, key, train, test, labels, seed, window):
    """The clean cut: fitted on the part before the first anomaly, scored on the rest."""
    step = max(1, (len(train) + len(test)) // 1000)
    X_train, _ = make_windows(train, window, step)
    X_test, starts = make_windows(test, window, step)
    case = {"setting": "clean", "subset": subset, "series": key, "seed": seed}
    return scored_rows(case, X_train, X_test, starts, labels, window)


def summarise(rows, environment):
    lines = [
        "# From window scores to timestamp scores: mean, median, maximum, minimum",
        "",
        "`python benchmarks/nab_aggregates.py` (protocol in its docstring): one fit per "
        "series and seed of the LSTM-GAN defaults, IsolationForest and the PCA "
        "reconstruction on the same windows (window 100, step max(1, n // 1000)), each "
        "detector's window scores spread onto timestamps by four aggregates. Mean over seeds "
        "of the per-subset F1 (tp / fp / fn summed over the subset's series) and of the mean "
        "per-timestamp ROC-AUC / AP over its series.",
        "",
        environment,
    ]
    variants = [
        (
            [detector, aggregate],
            lambda r, pair=(detector, aggregate): (r["detector"], r["aggregate"]) == pair,
        )
        for detector in DETECTORS
        for aggregate in AGGREGATES
    ]
    return "\n".join(lines + setting_sections(rows, ["detector", "aggregate"], variants))


def progress(key, seed, new_rows):
    lstmgan = [r for r in new_rows if r["detector"] == "lstmgan"]
    return f"{key} seed {seed}: lstmgan AUC " + ", ".join(
        f"{r['aggregate']} {fmt(r['roc_auc'])}" for r in lstmgan
    )


def main(argv=None):
    args = parser_for(__doc__.split("\n")[0]).parse_args(argv)
    run(
        args,
        "nab_aggregates",
        {"orion": orion_rows, "clean": clean_rows},
        CSV_FIELDS,
        TEXT_FIELDS,
        INT_FIELDS,
        summarise,
        progress,
    )


if __name__ == "__main__":
    main()
