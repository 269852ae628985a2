"""The reconstruction error's typicality as a window score, on NAB and its clean cuts.

Why
---
The latent term of ``LSTMGANAnomalyDetector`` is a typicality test
(:func:`sklearn_gan_ad.scoring.squared_norm_atypicality`): a code much shorter
than normal ones is as atypical as a much longer one. The reconstruction error
is, up to constants, the decoder's negative log-likelihood of a window, and the
same argument applies to it: a window far *easier* to reconstruct than any
normal one (a daily jump that does not come, a sensor stuck at one value) is
atypical too, yet a score that grows with the error calls it the most normal
window of all. ``art_daily_nojump`` is such a series: on its clean cut the
default scores its anomaly at a per-timestamp ROC-AUC of about 0.06. This
script measures whether scoring the error two-sided helps.

Protocol
--------
One fit of ``LSTMGANAnomalyDetector(random_state=seed)`` with its defaults per
series and seed, in two settings: Orion's (every labelled NAB series, fitted on
the whole series and scored on it, as ``benchmarks/nab.py``) and the clean cuts
of ``benchmarks/nab_clean.py`` (fitted on the part before the first labelled
anomaly, scored on the rest). Windows of ``--window`` (100), step ``max(1, n //
1000)``. Each fit's components are scored six ways, every component
standardised on the training windows by the package's own scorer
(``EnsembleScorer``), as the detector standardises its own:

- ``default``: reconstruction error + latent typicality (the detector's score);
- ``rec. only``: reconstruction error alone;
- ``log rec. + latent``: the error's logarithm instead of the error;
- ``rec. typicality + latent``: ``|log error - median log error of the training
  windows|`` instead of the error (the typicality test on the log-error);
- ``rec. + low side + latent``: the error plus its lower side only,
  ``max(0, median log error - log error)``;
- ``rec. typicality``: the error's typicality alone.

Window scores become per-timestamp scores as ``detect_intervals`` makes them;
Orion's setting also cuts them into intervals by the package's default rule.
Reported per subset: interval F1 (Orion's setting; tp / fp / fn summed over
the subset's series), mean per-timestamp ROC-AUC and AP, mean over seeds.

Example
-------
::

    python benchmarks/error_typicality.py --setting orion --tag orion &
    python benchmarks/error_typicality.py --setting clean --tag clean
    python benchmarks/error_typicality.py --summarise benchmarks/results/error_typicality_orion.csv \\
        benchmarks/results/error_typicality_clean.csv
"""

import sys
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt  # noqa: E402
from _two_settings import parser_for, run, setting_sections  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.scoring import EnsembleScorer  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    detect_intervals,
    intervals_to_labels,
    make_windows,
    overlap_segment_scores,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

FITTED = ("reconstruction", "latent_typicality")


def score_weights(latent_weight):
    """label: component weights (0 = left out), the detector's own score first."""
    return {
        "default": {"reconstruction": 1.0, "latent_typicality": latent_weight},
        "rec. only": {"reconstruction": 1.0},
        "log rec. + latent": {"log_error": 1.0, "latent_typicality": latent_weight},
        "rec. typicality + latent": {
            "error_typicality": 1.0,
            "latent_typicality": latent_weight,
        },
        "rec. + low side + latent": {
            "reconstruction": 1.0,
            "error_low_side": 1.0,
            "latent_typicality": latent_weight,
        },
        "rec. typicality": {"error_typicality": 1.0},
    }


SCORES = tuple(score_weights(1.0))
CSV_FIELDS = [
    "setting",
    "subset",
    "series",
    "seed",
    "score",
    "tp",
    "fp",
    "fn",
    "roc_auc",
    "average_precision",
]
TEXT_FIELDS = ("setting", "subset", "series", "score")
INT_FIELDS = ("seed",)  # tp / fp / fn too, where not empty (_two_settings.read_rows)


def with_error_typicality(members, typical_log_errors=None):
    """Add the log-error components to each member's; returns each member's median log-error.

    ``typical_log_errors`` are the training windows' medians; ``None`` takes
    them from ``members`` (the training windows' own components).
    """
    for member in members:
        member["log_error"] = np.log(member["reconstruction"])
    if typical_log_errors is None:
        typical_log_errors = [np.median(m["log_error"]) for m in members]
    for member, typical in zip(members, typical_log_errors):
        log_error = member["log_error"]
        member["error_typicality"] = np.abs(log_error - typical)
        member["error_low_side"] = np.maximum(0.0, typical - log_error)
    return typical_log_errors


class _Rescored:
    """A fitted detector scored by other weights of its components (for ``detect_intervals``)."""

    def __init__(self, detector, weights, train_components, typical_log_errors):
        self.detector = detector
        self.typical_log_errors = typical_log_errors
        self.scorer = EnsembleScorer(weights).fit(train_components)

    def score_samples(self, X):
        components = self.detector._components_for(X, FITTED)
        with_error_typicality(components, self.typical_log_errors)
        return -self.scorer.transform(components)


def fitted(X_train, seed):
    detector = LSTMGANAnomalyDetector(random_state=seed).fit(X_train)
    train_components = detector._components_for(X_train, FITTED)
    typical = with_error_typicality(train_components)
    weights = score_weights(detector.scorer_.weights["latent_typicality"])
    return detector, train_components, typical, weights


def orion_rows(subset, key, values, true, seed, window):
    """Orion's setting: fitted and scored on the whole series, intervals by the default rule."""
    n = len(values)
    step = max(1, n // 1000)
    X, _ = make_windows(values, window, step)
    detector, train_components, typical, weights = fitted(X, seed)
    labels = intervals_to_labels(true, n)
    rows = []
    for label, components in weights.items():
        scorer = _Rescored(detector, components, train_components, typical)
        predicted, scores = detect_intervals(values, scorer, window=window, step=step, fit=False)
        counts = overlap_segment_scores([(i.start, i.end) for i in predicted], true)
        rows.append(
            {
                "setting": "orion",
                "subset": subset,
                "series": key,
                "seed": seed,
                "score": label,
                **counts,
                **timestamp_scores_metrics(scores, labels),
            }
        )
    return rows


def clean_rows(subset, key, train, test, labels, seed, window):
    """The clean cut: fitted on the part before the first anomaly, scored on the rest."""
    step = max(1, (len(train) + len(test)) // 1000)
    X_train, _ = make_windows(train, window, step)
    X_test, starts = make_windows(test, window, step)
    detector, train_components, typical, weights = fitted(X_train, seed)
    test_components = detector._components_for(X_test, FITTED)
    with_error_typicality(test_components, typical)
    rows = []
    for label, components in weights.items():
        scores = EnsembleScorer(components).fit(train_components).transform(test_components)
        per_timestamp = windows_to_timestamps(scores, starts, len(test), window=window)
        rows.append(
            {
                "setting": "clean",
                "subset": subset,
                "series": key,
                "seed": seed,
                "score": label,
                **timestamp_scores_metrics(per_timestamp, labels),
            }
        )
    return rows


def summarise(rows, environment):
    lines = [
        "# The reconstruction error's typicality as a window score",
        "",
        "`python benchmarks/error_typicality.py` (protocol in its docstring): "
        "`LSTMGANAnomalyDetector` defaults, window 100, step max(1, n // 1000), one fit per "
        "series and seed scored six ways, every component standardised on the training "
        "windows. Mean over seeds of the per-subset F1 (tp / fp / fn summed over the subset's "
        "series) and of the mean per-timestamp ROC-AUC / AP over its series.",
        "",
        environment,
    ]
    variants = [([score], lambda r, score=score: r["score"] == score) for score in SCORES]
    return "\n".join(lines + setting_sections(rows, ["score"], variants))


def progress(key, seed, new_rows):
    return f"{key} seed {seed}: " + ", ".join(fmt(r["roc_auc"]) for r in new_rows)


def main(argv=None):
    args = parser_for(__doc__.split("\n")[0]).parse_args(argv)
    run(
        args,
        "error_typicality",
        {"orion": orion_rows, "clean": clean_rows},
        CSV_FIELDS,
        TEXT_FIELDS,
        INT_FIELDS,
        summarise,
        progress,
    )


if __name__ == "__main__":
    main()
