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
    read_csv,
    write_csv,
    write_text,
)
from nab import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_OUTPUT_DIR,
    PUBLISHED_F1,
    SHORT,
    SUBSETS,
    labelled_series,
)
from nab_clean import clean_cuts  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.scoring import EnsembleScorer  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    detect_intervals,
    intervals_to_labels,
    make_windows,
    overlap_segment_scores,
    sum_overlap_scores,
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
INT_FIELDS = ("seed",)  # tp / fp / fn too, where not empty (see read_rows)


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


def read_rows(paths):
    """Rows of result CSVs; the clean cuts have no intervals, so their tp / fp / fn stay NaN."""
    rows = read_csv(paths, TEXT_FIELDS, INT_FIELDS)
    for row in rows:
        if row["setting"] == "orion":
            row.update({field: int(row[field]) for field in ("tp", "fp", "fn")})
    return rows


def _seed_means(rows, field):
    seeds = sorted({r["seed"] for r in rows})
    return float(np.mean([np.mean([r[field] for r in rows if r["seed"] == s]) for s in seeds]))


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
    for setting, title in (
        ("orion", "Orion's setting (train = test; NAB, every labelled series)"),
        ("clean", "Clean cuts (fitted before the first labelled anomaly)"),
    ):
        chosen = [r for r in rows if r["setting"] == setting]
        if not chosen:
            continue
        seeds = sorted({r["seed"] for r in chosen})
        subsets = [s for s in SUBSETS if any(r["subset"] == s for r in chosen)]
        orion = [s for s in subsets if SHORT[s] in PUBLISHED_F1["TadGAN"]]
        n_series = len({r["series"] for r in chosen})
        seeds_text = " ".join(map(str, seeds))
        lines += ["", f"## {title}: {n_series} series, seeds {seeds_text}", ""]
        metrics = [("roc_auc", "ROC-AUC"), ("average_precision", "AP")]
        if setting == "orion":
            metrics.insert(0, ("f1", "interval F1"))
        for field, name in metrics:
            table = []
            if field == "f1":
                table.append(
                    ["published TadGAN / AER"]
                    + [
                        f"{fmt(PUBLISHED_F1['TadGAN'][SHORT[s]])} / "
                        f"{fmt(PUBLISHED_F1['AER'][SHORT[s]])}"
                        if s in orion
                        else "–"
                        for s in subsets
                    ]
                    + ["", "", ""]
                )
            for score in SCORES:
                of_score = [r for r in chosen if r["score"] == score]
                values = {}
                for subset in subsets:
                    of_subset = [r for r in of_score if r["subset"] == subset]
                    if field == "f1":
                        values[subset] = float(
                            np.mean(
                                [
                                    sum_overlap_scores([r for r in of_subset if r["seed"] == s])[
                                        "f1"
                                    ]
                                    for s in seeds
                                ]
                            )
                        )
                    else:
                        values[subset] = _seed_means(of_subset, field)
                line = [score, *(fmt(values[s]) for s in subsets)]
                line.append(fmt(float(np.mean([values[s] for s in orion]))))
                if field == "f1":
                    at_tadgan = sum(values[s] >= PUBLISHED_F1["TadGAN"][SHORT[s]] for s in orion)
                    above_aer = sum(values[s] > PUBLISHED_F1["AER"][SHORT[s]] for s in orion)
                    line += [f"{at_tadgan} / {len(orion)}", f"{above_aer} / {len(orion)}"]
                else:
                    line.append(fmt(_seed_means(of_score, field)))
                table.append(line)
            headers = ["score", *(SHORT[s] for s in subsets), f"mean of {len(orion)} Orion"]
            headers += ["≥ TadGAN", "> AER"] if field == "f1" else ["all series"]
            lines += [f"### {name}", "", markdown_table(headers, table), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--setting", choices=("orion", "clean"), default="orion")
    parser.add_argument("--subsets", nargs="+", choices=SUBSETS, default=list(SUBSETS))
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tag", default="run", help="suffix of this run's result files")
    parser.add_argument(
        "--summarise", nargs="+", type=Path, metavar="CSV", help="merge these runs' CSVs"
    )
    args = parser.parse_args(argv)
    environment = environment_summary()

    if args.summarise:
        rows = read_rows(args.summarise)
        path = args.output_dir / "error_typicality.md"
        write_text(path, summarise(rows, environment))
        log(f"wrote {path}")
        return

    csv_path = args.output_dir / f"error_typicality_{args.tag}.csv"
    md_path = args.output_dir / f"error_typicality_{args.tag}.md"
    log(environment)
    rows = []
    if args.setting == "orion":
        # loaded once: every seed scores the same series
        series = list(labelled_series(args.data_dir, args.subsets))
    else:
        cuts, _ = clean_cuts(args.data_dir, args.subsets, 400, 0.15)
    for seed in args.seeds:
        if args.setting == "orion":
            for subset, key, values, true in series:
                rows += orion_rows(subset, key, values, true, seed, args.window)
                log(
                    f"{key} seed {seed}: "
                    + ", ".join(fmt(r["roc_auc"]) for r in rows[-len(SCORES) :])
                )
        else:
            for subset, key, train, test, labels in cuts:
                rows += clean_rows(subset, key, train, test, labels, seed, args.window)
                log(
                    f"{key} seed {seed}: "
                    + ", ".join(fmt(r["roc_auc"]) for r in rows[-len(SCORES) :])
                )
        write_csv(csv_path, rows, CSV_FIELDS)
        write_text(md_path, summarise(rows, environment))
    log(f"wrote {csv_path} and {md_path}")


if __name__ == "__main__":
    main()
