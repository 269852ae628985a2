"""Which evidence to score clean-trained windows by: score components x the networks' start.

On the cuts of ``benchmarks/nab_clean.py`` (NAB series fitted on the part before
their first labelled anomaly), ``LSTMGANAnomalyDetector(novelty=True)`` is
fitted once per series and ``linear_start``; every component it can score by
(reconstruction error, latent score, critic feature residual, neighbour
distance in the critic's first layer) is computed for the training and test
windows once, and each combination below is standardised on the training
windows exactly as the detector's own scorer does (``EnsembleScorer``).
Per-timestamp ROC-AUC on the test part, mean over series. This is how
``novelty=True``'s start was chosen for windows (seed 0). Its score was
reconstruction plus critic (the best combination here) until the heartbeat-like
series of ``benchmarks/heartbeats.py`` showed the critic blind to a missing
beat; it is now the reconstruction error alone.

Example
-------
::

    python benchmarks/nab_clean_scores.py --linear-start pca --tag pca &
    python benchmarks/nab_clean_scores.py --linear-start random --tag random
    python benchmarks/nab_clean_scores.py --summarise results/nab_clean_scores_pca.csv \\
        results/nab_clean_scores_random.csv
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
from nab import DEFAULT_DATA_DIR, DEFAULT_OUTPUT_DIR, SUBSETS  # noqa: E402
from nab_clean import clean_cuts  # noqa: E402

from sklearn_gan_ad import LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.scoring import EnsembleScorer, squared_norm_atypicality  # noqa: E402
from sklearn_gan_ad.timeseries import (  # noqa: E402
    make_windows,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

COMPONENTS = ("reconstruction", "latent", "discriminator", "neighbours")
COMBINATIONS = {  # label: component weights, as anomaly_score="combined" would use them
    "reconstruction (novelty=True)": {"reconstruction": 1.0},
    "rec. + latent (novelty=False before latent_typicality)": {
        "reconstruction": 1.0,
        "latent": 1.0,
    },
    "rec. + latent typicality (novelty=False)": {"reconstruction": 1.0, "latent_typicality": 1.0},
    "rec. + 4 x neighbours + latent (first novelty=True)": {
        "reconstruction": 1.0,
        "neighbours": 4.0,
        "latent": 1.0,
    },
    "rec. + 4 x neighbours": {"reconstruction": 1.0, "neighbours": 4.0},
    "rec. + critic (second novelty=True)": {"reconstruction": 1.0, "discriminator": 1.0},
    "rec. + critic + latent": {"reconstruction": 1.0, "discriminator": 1.0, "latent": 1.0},
    "rec. + critic + 4 x neighbours": {
        "reconstruction": 1.0,
        "discriminator": 1.0,
        "neighbours": 4.0,
    },
    "critic alone": {"discriminator": 1.0},
    "neighbours alone": {"neighbours": 1.0},
}
FIELDS = ["series", "linear_start", "seed", *COMBINATIONS]


def series_row(key, train, test, labels, linear_start, seed, window):
    step = max(1, (len(train) + len(test)) // 1000)
    X_train, _ = make_windows(train, window, step)
    X_test, starts = make_windows(test, window, step)
    # neighbour_weight > 0 keeps the reference embeddings the neighbour component needs
    detector = LSTMGANAnomalyDetector(
        novelty=True, neighbour_weight=4.0, linear_start=linear_start, random_state=seed
    ).fit(X_train)
    train_components = detector._components_for(X_train, COMPONENTS)
    test_components = detector._components_for(X_test, COMPONENTS)
    # the typicality is relative to each member's median squared code norm of the
    # training windows, which the detector keeps only when it scores by it
    for train_member, test_member in zip(train_components, test_components):
        typical = np.median(train_member["latent"])
        for member in (train_member, test_member):
            member["latent_typicality"] = squared_norm_atypicality(member["latent"], typical)
    row = {"series": key, "linear_start": linear_start, "seed": seed}
    for label, weights in COMBINATIONS.items():
        scores = EnsembleScorer(weights).fit(train_components).transform(test_components)
        per_timestamp = windows_to_timestamps(scores, starts, len(test), window=window)
        row[label] = timestamp_scores_metrics(per_timestamp, labels)["roc_auc"]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--subsets", nargs="+", choices=SUBSETS, default=list(SUBSETS))
    parser.add_argument("--linear-start", nargs="+", choices=("pca", "random"), default=["pca"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--tag", default="")
    parser.add_argument("--summarise", type=Path, nargs="+", default=None)
    args = parser.parse_args(argv)

    suffix = f"_{args.tag}" if args.tag else ""
    if args.summarise:
        rows = read_csv(args.summarise, ("series", "linear_start"), int_fields=("seed",))
    else:
        cuts, _ = clean_cuts(args.data_dir, args.subsets, 400, 0.15)
        rows = []
        for _, key, train, test, labels in cuts:
            for linear_start in args.linear_start:
                rows.append(
                    series_row(key, train, test, labels, linear_start, args.seed, args.window)
                )
                log(f"{key} {linear_start}: " + " ".join(fmt(rows[-1][c]) for c in COMBINATIONS))
            write_csv(args.output_dir / f"nab_clean_scores{suffix}.csv", rows, FIELDS)

    starts = sorted({r["linear_start"] for r in rows})
    common = set.intersection(
        *({r["series"] for r in rows if r["linear_start"] == s} for s in starts)
    )
    table = []
    # a CSV written before a combination existed has no column for it
    for label in (c for c in COMBINATIONS if all(c in r for r in rows)):
        line = [label]
        for start in starts:
            values = [
                r[label] for r in rows if r["linear_start"] == start and r["series"] in common
            ]
            line.append(fmt(float(np.mean(values))))
        table.append(line)
    text = "\n".join(
        [
            "# NAB with a clean training part: score components x linear_start",
            "",
            environment_summary(),
            "",
            "`python benchmarks/nab_clean_scores.py`: `LSTMGANAnomalyDetector(novelty=True)` "
            "fitted on the part of each series before its first labelled anomaly, each "
            "combination of its score components standardised on the training windows as its "
            f"scorer does; mean per-timestamp ROC-AUC on the test parts of {len(common)} series, "
            "one seed.",
            "",
            markdown_table(["score", *(f"linear_start={s}" for s in starts)], table),
            "",
        ]
    )
    write_text(args.output_dir / f"nab_clean_scores{suffix}.md", text)
    print(text)


if __name__ == "__main__":
    main()
