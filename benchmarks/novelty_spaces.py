"""Which space should the neighbour score of ``novelty=True`` measure distances in?

Protocol
--------
ADBench's clean-training setting, exactly as ``benchmarks/adbench.py --setting
novelty`` (stratified 70/30 split per seed, fitted on the normal rows of the
train part, ``StandardScaler`` on those rows). One
``GANAnomalyDetector(novelty=True, random_state=seed)`` is fitted per dataset
and seed; every row below scores the *same* fit by the mean distance of a test
row to its 5 nearest training rows, measured in one of the spaces the fitted
networks define, averaged over the ensemble's members:

- ``critic, first layer``: the default score, ``neighbour_distance``;
- ``critic, last hidden layer``: the features of the discriminator score;
- ``code E(x)``: the encoder's output;
- ``reconstruction G(E(x))``: where the generator puts the row;
- ``reconstruction + residual / 2``: the reconstruction and half the residual
  ``x - G(E(x))`` side by side, i.e. the input with its off-manifold part
  shrunk;
- ``reconstruction + residual / error scale``: the residual in units of each
  feature's typical error (``feature_error_scale_``);
- ``network input``: the rows as the networks see them (standardised with the
  detector's own statistics and clipped) — the same distance with nothing
  learnt, which the others must beat to be worth their networks;
- ``5-NN on the scaled features``: ``benchmarks/adbench.py``'s ``knn`` baseline.

The spaces other than the default are read from the fitted networks' modules
(``net_.scoring_modules()``), an internal interface, because the package
exposes only the space it scores in.

Example
-------
::

    python benchmarks/novelty_spaces.py                   # seeds 0 1 2, all 15 datasets
    python benchmarks/novelty_spaces.py --seeds 0 1 2 3 4 --tag 5seeds
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
    mean_std,
    stopwatch,
    write_csv,
    write_text,
)
from adbench import DEFAULT_DATA_DIR, KNNDistance, load_datasets, split_and_scale  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402

from sklearn_gan_ad import GANAnomalyDetector  # noqa: E402

DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "results"
N_NEIGHBOURS = 5
SPACES = (
    "critic, first layer (default)",
    "critic, last hidden layer",
    "code E(x)",
    "reconstruction G(E(x))",
    "reconstruction + residual / 2",
    "reconstruction + residual / error scale",
    "network input (nothing learnt)",
    "5-NN on the scaled features (baseline)",
)


def network_views(detector, X):
    """Every member's views of X: input, code, reconstruction, critic layers.

    Each value has shape ``(n_members, n_rows, width)``, in float64.
    """
    net = detector.net_
    encoder, generator, critic = net.scoring_modules()
    _, clipped = detector._standardised_and_clipped(X, detector.input_mean_, detector.input_scale_)
    x = net._for_every_member(torch.as_tensor(clipped, dtype=torch.float32))
    with torch.inference_mode():
        codes = encoder(x)
        reconstruction = generator(codes)
        views = dict(
            input=x,
            code=codes,
            reconstruction=reconstruction,
            last_hidden=critic.features(x).flatten(2),
        )
    return {name: value.numpy().astype(np.float64) for name, value in views.items()}


def mean_neighbour_distance(reference, query):
    """Mean distance of each query row to its ``N_NEIGHBOURS`` nearest reference rows."""
    index = NearestNeighbors(n_neighbors=N_NEIGHBOURS).fit(reference)
    distances, _ = index.kneighbors(query)
    return distances.mean(axis=1)


def space_scores(detector, X_fit, X_test):
    """``{space: anomaly score of X_test}`` for the spaces other than the default."""
    fit, test = network_views(detector, X_fit), network_views(detector, X_test)
    error_scale = np.sqrt(detector.feature_error_scale_)

    def side_by_side(views, member, residual_weight):
        reconstruction = views["reconstruction"][member]
        residual = views["input"][member] - reconstruction
        return np.hstack([reconstruction, residual * residual_weight])

    spaces = {
        "critic, last hidden layer": lambda views, m: views["last_hidden"][m],
        "code E(x)": lambda views, m: views["code"][m],
        "reconstruction G(E(x))": lambda views, m: views["reconstruction"][m],
        "reconstruction + residual / 2": lambda views, m: side_by_side(views, m, 0.5),
        "reconstruction + residual / error scale": (
            lambda views, m: side_by_side(views, m, 1.0 / error_scale[m])
        ),
        "network input (nothing learnt)": lambda views, m: views["input"][m],
    }
    n_members = fit["input"].shape[0]
    return {
        name: np.mean(
            [mean_neighbour_distance(view(fit, m), view(test, m)) for m in range(n_members)],
            axis=0,
        )
        for name, view in spaces.items()
    }


def run_one(X, y, seed):
    """All spaces' ROC-AUC and AP on one split, from one fit."""
    X_fit, _, X_test, y_test = split_and_scale(X, y, seed, "novelty")
    with stopwatch() as watch:
        detector = GANAnomalyDetector(novelty=True, random_state=seed).fit(X_fit)
    scores = {"critic, first layer (default)": detector.neighbour_distance(X_test)}
    scores.update(space_scores(detector, X_fit, X_test))
    scores["5-NN on the scaled features (baseline)"] = (
        -KNNDistance().fit(X_fit).score_samples(X_test)
    )
    return watch.seconds, {
        name: (roc_auc_score(y_test, score), average_precision_score(y_test, score))
        for name, score in scores.items()
    }


def report(rows, datasets, seeds):
    """The markdown page: ROC-AUC per dataset, then the means of both metrics."""
    names = [name for name, _, _ in datasets]

    def metric(dataset, space, key):
        return mean_std([r[key] for r in rows if r["dataset"] == dataset and r["space"] == space])

    headers = ["dataset", *SPACES]
    table = [
        [name, *(fmt(metric(name, space, "roc_auc")[0]) for space in SPACES)] for name in names
    ]
    for key, label in (("roc_auc", "mean ROC-AUC"), ("average_precision", "mean AP")):
        table.append(
            [
                f"**{label}**",
                *(
                    fmt(float(np.mean([metric(name, space, key)[0] for name in names])))
                    for space in SPACES
                ),
            ]
        )
    lines = [
        "# Neighbour-score spaces, ADBench with clean training rows",
        "",
        f"Command: `python benchmarks/novelty_spaces.py --seeds {' '.join(map(str, seeds))}`",
        "",
        f"{environment_summary()}",
        "",
        "One `GANAnomalyDetector(novelty=True)` fit per dataset and seed; each column "
        f"scores it by the mean distance to the {N_NEIGHBOURS} nearest training rows in "
        "one space (members averaged). ROC-AUC per dataset, mean over seeds "
        f"{', '.join(map(str, seeds))}; the last rows are the means over datasets.",
        "",
        markdown_table(headers, table),
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--datasets", nargs="*", help="substrings of dataset names")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--tag", default="", help="suffix of the result files")
    args = parser.parse_args(argv)

    datasets = load_datasets(args.data_dir, args.datasets, quick=False)
    rows = []
    for name, X, y in datasets:
        for seed in args.seeds:
            fit_seconds, metrics = run_one(X, y, seed)
            for space, (auc, ap) in metrics.items():
                rows.append(
                    dict(
                        dataset=name,
                        seed=seed,
                        space=space,
                        roc_auc=auc,
                        average_precision=ap,
                        fit_seconds=fit_seconds,
                    )
                )
            default = metrics["critic, first layer (default)"][0]
            log(f"{name} seed={seed} fit {fit_seconds:.1f}s default ROC-AUC {default:.3f}")
    stem = "novelty_spaces" + (f"_{args.tag}" if args.tag else "")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    write_csv(
        args.output_dir / f"{stem}.csv",
        rows,
        ["dataset", "seed", "space", "roc_auc", "average_precision", "fit_seconds"],
    )
    page = report(rows, datasets, args.seeds)
    write_text(args.output_dir / f"{stem}.md", page)
    print(page)


if __name__ == "__main__":
    main()
