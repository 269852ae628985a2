"""Interval rules compared on the same NAB fits: what ``detect_intervals`` defaults to.

The per-timestamp scores of a fit do not depend on how they are cut into
intervals, so the rules are compared offline on scores saved by

    python benchmarks/nab.py --save-scores DIR ...

and then

    python benchmarks/nab_intervals.py DIR

Interval F1 is Orion's overlapping-segment F1 of tp / fp / fn summed over a
subset's series (as in ``benchmarks/nab.py``), per seed, then mean ± sd over the
seeds found in DIR. Rules differ in the threshold's scope (``local_window``: a
third of the series, TadGAN's and Orion's choice, or the whole series), ``z`` and
``min_gap`` (in windows), TadGAN's pruning, the statistics the threshold is
set from (plain, or robust to the anomalies themselves: the median and MAD, or
the mean and sd after sigma clipping), the treatment of the series' ends and
Orion's padding of flagged timestamps (``find_intervals(padding=...)``). Writes
``benchmarks/results/nab_intervals.md`` (``--output`` to write elsewhere).

The overlapping-segment F1 never falls when predicted intervals are widened:
a wider interval can only start to overlap a true one (a false positive turns
into a true positive) or merge with a neighbour (two false positives become
one). Padding therefore raises every detector's F1, up to 1 for one interval
covering the whole series; the padding rows show how much of a published F1
that could account for, not a better detector.
"""

import argparse
import collections
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, environment_summary, markdown_table, write_text  # noqa: E402

from sklearn_gan_ad.timeseries import (  # noqa: E402
    find_intervals,
    intervals_to_labels,
    make_windows,
    overlap_segment_scores,
    sum_overlap_scores,
    timestamp_scores_metrics,
)

ORION = {  # Orion 0.7.1's published F1
    "artificialWithAnomaly": ("Art", 0.500, 0.750),
    "realAdExchange": ("AdEx", 0.692, 0.733),
    "realAWSCloudwatch": ("AWS", 0.710, 0.702),
    "realTraffic": ("Traf", 0.486, 0.611),
    "realTweets": ("Tweets", 0.588, 0.606),
}
HELD_BACK = {"realKnownCause": "KnownCause"}
SUBSETS = {**{k: v[0] for k, v in ORION.items()}, **HELD_BACK}
WINDOW = 100
PREVIOUS = ("third", 3.0, 1)  # the rule before: local windows, z=3, min_gap one window
DEFAULT = ("whole", 2.0, 2)
PADDINGS = (0, WINDOW // 4, WINDOW // 2, WINDOW)


def load(directory):
    """``{detector: {seed: [(subset, scores, true_intervals), ...]}}`` from nab.py's files."""
    fits = collections.defaultdict(lambda: collections.defaultdict(list))
    for path in sorted(Path(directory).glob("*.npz")):
        subset, _, detector, seed = path.stem.split("__")
        saved = np.load(path)
        true = [tuple(interval) for interval in saved["true"]]
        fits[detector][int(seed)].append((subset, saved["scores"], true))
        if "reconstruction_scores" in saved:
            fits[detector + "-rec-only"][int(seed)].append(
                (subset, saved["reconstruction_scores"], true)
            )
    return fits


def robust_cutoff(scores, z):
    """median + z x the MAD scaled to a normal sd: not raised by the anomalies themselves."""
    median = np.median(scores)
    spread = 1.4826 * np.median(np.abs(scores - median))
    return float(median + z * (spread if spread > 0 else 1.0))


def clipped_cutoff(scores, z, clip=3.0, max_iters=5):
    """mean + z x sd of the scores left after iterative upper sigma clipping.

    One large anomaly raises the plain mean and sd of its own series and can hide
    a second, smaller one below mean + z x sd. Sigma clipping drops the scores
    above mean + ``clip`` x sd and recomputes, up to ``max_iters`` times (the
    defaults of ``astropy.stats.sigma_clip``); unlike the MAD it keeps the right
    tail that skewed anomaly scores have without any anomaly.
    """
    kept = np.asarray(scores, dtype=float)
    for _ in range(max_iters):
        inside = kept[kept <= kept.mean() + clip * kept.std()]
        if len(inside) == len(kept):
            break
        kept = inside
    spread = kept.std()
    return float(kept.mean() + z * (spread if spread > 0 else 1.0))


# whole-series thresholds from statistics that the anomalies themselves cannot raise
ABSOLUTE_CUTOFFS = {"robust": robust_cutoff, "clipped": clipped_cutoff}


def level_edges(scores):
    """The scores with each end's partly covered timestamps set to the nearest fully covered one.

    With ``detect_intervals``' default (each window's score spread over its
    timestamps, averaged), timestamp 0 is the first window's score alone while
    an interior timestamp averages ``WINDOW / step`` windows: the ends are
    noisier, and one threshold for the whole series flags them more often.
    The windows are nab.py's, ``step = max(1, n // 1000)``.
    """
    n = len(scores)
    step = max(1, n // 1000)
    _, starts = make_windows(np.zeros(n), WINDOW, step)
    coverage = np.bincount((starts[:, None] + np.arange(WINDOW)).ravel(), minlength=n)
    full = np.flatnonzero(coverage >= WINDOW // step)
    levelled = scores.copy()
    levelled[: full[0]] = scores[full[0]]
    levelled[full[-1] + 1 :] = scores[full[-1]]
    return levelled


def subset_f1(entries, scope, z, gap_windows, prune=None, edges="as is", padding=0):
    results = collections.defaultdict(list)
    for subset, scores, true in entries:
        if edges == "levelled":
            scores = level_edges(scores)
        if scope in ABSOLUTE_CUTOFFS:
            found = find_intervals(
                scores,
                threshold=ABSOLUTE_CUTOFFS[scope](scores, z),
                min_gap=gap_windows * WINDOW,
                padding=padding,
            )
        else:
            local_window = len(scores) if scope == "whole" else None
            found = find_intervals(
                scores,
                z=z,
                min_gap=gap_windows * WINDOW,
                local_window=local_window,
                prune=prune,
                padding=padding,
            )
        results[subset].append(overlap_segment_scores([(i.start, i.end) for i in found], true))
    return {subset: sum_overlap_scores(pooled)["f1"] for subset, pooled in results.items()}


def subset_auc(entries, edges="as is"):
    """Mean per-timestamp ROC-AUC over each subset's series."""
    results = collections.defaultdict(list)
    for subset, scores, true in entries:
        if edges == "levelled":
            scores = level_edges(scores)
        labels = intervals_to_labels(true, len(scores))
        results[subset].append(timestamp_scores_metrics(scores, labels)["roc_auc"])
    return {subset: float(np.mean(aucs)) for subset, aucs in results.items()}


def over_seeds(by_seed, rule, measure=subset_f1):
    per_seed = [measure(entries, *rule) for entries in by_seed.values()]
    return {
        subset: (
            float(np.mean([f[subset] for f in per_seed])),
            float(np.std([f[subset] for f in per_seed])),
        )
        for subset in SUBSETS
        if all(subset in f for f in per_seed)
    }


def rule_label(rule):
    """A rule as ``subset_f1`` takes it (scope, z, gap, prune, edges, padding), in words.

    The treatment of the ends is left out: tables that vary it give it a column.
    """
    optional = (None, "as is", 0)  # subset_f1's defaults for prune, edges, padding
    scope, z, gap, prune, _, padding = (*rule, *optional[len(rule) - 3 :])
    where = {
        "whole": "whole series",
        "third": "thirds (local)",
        "robust": "whole series, median + z x MAD",
        "clipped": "whole series, sigma-clipped mean + z x sd",
    }[scope]
    label = f"{where}, z={z:g}, min_gap={gap} window{'s' if gap > 1 else ''}"
    if prune is not None:
        label += f", prune={prune:g}"
    if padding:
        label += f", padding={padding}"
    return label


def row_cells(f1, with_sd):
    cells = []
    for subset in SUBSETS:
        if subset not in f1:
            cells.append("–")
            continue
        mean, sd = f1[subset]
        cells.append(f"{mean:.3f} ± {sd:.3f}" if with_sd and sd else f"{mean:.3f}")
    orion = [f1[s][0] for s in ORION if s in f1]
    at_tadgan = sum(f1[s][0] >= ORION[s][1] for s in ORION if s in f1)
    above_aer = sum(f1[s][0] > ORION[s][2] for s in ORION if s in f1)
    return cells + [f"{np.mean(orion):.3f}", str(at_tadgan), str(above_aer)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scores", type=Path, help="directory written by nab.py --save-scores")
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "benchmarks" / "results" / "nab_intervals.md"
    )
    args = parser.parse_args(argv)
    fits = load(args.scores)
    headers = ["detector", "seeds", *SUBSETS.values(), "mean of 5 Orion", "≥ TadGAN", "> AER"]
    published = ["published", "", *(f"{v[1]:.3f} / {v[2]:.3f}" for v in ORION.values()), "", "", ""]

    detectors_rows = {}
    for rule in (PREVIOUS, DEFAULT):
        body = [published]
        for detector, by_seed in fits.items():
            cells = row_cells(over_seeds(by_seed, rule), with_sd=True)
            body.append([detector, " ".join(map(str, sorted(by_seed))), *cells])
        detectors_rows[rule] = body

    grid = []
    lstmgan = fits.get("lstmgan", {})
    for scope, z, gap in itertools.product(("third", "whole"), (1.5, 2.0, 2.5, 3.0), (1, 2)):
        rule = (scope, z, gap)
        label = rule_label(rule) + (" **(default)**" if rule == DEFAULT else "")
        label += " (before)" if rule == PREVIOUS else ""
        grid.append([label, *row_cells(over_seeds(lstmgan, rule), with_sd=False)])
    grid_headers = ["rule", *SUBSETS.values(), "mean of 5 Orion", "≥ TadGAN", "> AER"]

    # TadGAN's pruning on top of the default threshold scope and gap, and
    # whole-series thresholds that one large anomaly cannot raise
    pruned, robust, clipped = [], [], []
    for detector in ("lstmgan", "iforest"):
        for z, prune in itertools.product((1.5, 2.0), (None, 0.05, 0.1, 0.2)):
            rule = ("whole", z, 2, prune)
            cells = row_cells(over_seeds(fits.get(detector, {}), rule), with_sd=False)
            pruned.append([detector, rule_label(rule), *cells])
        for z in (3.0, 4.0, 5.0, 6.0, 8.0):
            rule = ("robust", z, 2)
            cells = row_cells(over_seeds(fits.get(detector, {}), rule), with_sd=False)
            robust.append([detector, rule_label(rule), *cells])
        for z in (2.0, 2.5, 3.0, 4.0, 5.0, 6.0):
            rule = ("clipped", z, 2)
            cells = row_cells(over_seeds(fits.get(detector, {}), rule), with_sd=False)
            clipped.append([detector, rule_label(rule), *cells])

    # the series' ends averaged over as many windows as the interior
    edges = []
    for detector in ("lstmgan", "lstmgan-rec-only", "iforest"):
        by_seed = fits.get(detector, {})
        for treatment in ("as is", "levelled"):
            auc = over_seeds(by_seed, (treatment,), measure=subset_auc)
            orion_auc = np.mean([auc[s][0] for s in ORION if s in auc])
            for z, prune in itertools.product((1.5, 2.0), (None, 0.1)):
                rule = ("whole", z, 2, prune)
                f1 = over_seeds(by_seed, (*rule, treatment))
                edges.append(
                    [
                        detector,
                        f"ends {treatment}",
                        rule_label(rule),
                        *row_cells(f1, with_sd=False),
                        f"{orion_auc:.3f}",
                    ]
                )

    # Orion pads each flagged index by anomaly_padding=50 (half its window of
    # 100) before forming sequences; the same widening on the default rule, and
    # Orion's own rule: thirds, mean + 4 sd, pruning 0.1, padding half a window
    padded = []
    for detector in ("lstmgan", "lstmgan-rec-only", "iforest", "pca"):
        by_seed = fits.get(detector, {})
        rules = [(*DEFAULT, None, "as is", padding) for padding in PADDINGS]
        rules.append(("third", 4.0, 1, 0.1, "as is", WINDOW // 2))
        for rule in rules:
            cells = row_cells(over_seeds(by_seed, rule), with_sd=False)
            padded.append([detector, rule_label(rule), *cells])

    text = "\n".join(
        [
            "# NAB: interval rules on the same fits",
            "",
            environment_summary(),
            "",
            f"`python benchmarks/nab_intervals.py {args.scores}` on the scores saved by "
            "`benchmarks/nab.py --save-scores`. Interval F1 (Orion's overlapping-segment rule, "
            "tp / fp / fn summed over a subset's series), mean ± sd (population) over seeds, as in nab.py. KnownCause is "
            "not among Orion's published subsets and was not used to choose the rule. "
            "'published' gives TadGAN / AER F1.",
            "",
            f"## Every detector, the rule before: {rule_label(PREVIOUS)}",
            "",
            markdown_table(headers, detectors_rows[PREVIOUS]),
            "",
            f"## Every detector, the new default: {rule_label(DEFAULT)}",
            "",
            markdown_table(headers, detectors_rows[DEFAULT]),
            "",
            "## LSTMGANAnomalyDetector (defaults), rules compared (mean over seeds)",
            "",
            markdown_table(grid_headers, grid),
            "",
            "## TadGAN's pruning (`find_intervals(prune=...)`) on top, whole series, "
            "min_gap=2 windows (mean over seeds)",
            "",
            markdown_table(["detector", *grid_headers], pruned),
            "",
            "## A robust whole-series threshold (median + z x 1.4826 MAD), "
            "min_gap=2 windows (mean over seeds)",
            "",
            markdown_table(["detector", *grid_headers], robust),
            "",
            "## The mean and sd after sigma clipping (scores above mean + 3 sd dropped, "
            "up to 5 times), min_gap=2 windows (mean over seeds)",
            "",
            markdown_table(["detector", *grid_headers], clipped),
            "",
            "## The series' ends averaged like the interior, alone and with pruning "
            "(mean over seeds)",
            "",
            "'levelled': the timestamps at each end that fewer windows cover than the "
            "interior take the score of the nearest fully covered timestamp (`level_edges`). "
            "Interval F1 per subset, then the mean per-timestamp ROC-AUC over the 5 Orion "
            "subsets (the threshold does not change it).",
            "",
            markdown_table(["detector", "ends", *grid_headers, "mean AUC of 5 Orion"], edges),
            "",
            "## Predicted intervals widened by `padding` timestamps on each side (mean over seeds)",
            "",
            "Orion's `find_anomalies` pads every flagged error index by `anomaly_padding=50` "
            "(half of TadGAN's window of 100) before forming sequences, so the published "
            "TadGAN / AER F1 count padded intervals; `find_intervals(padding=...)` does the "
            "same. The last row of each detector is Orion's rule "
            "itself on our scores: local thirds, mean + 4 sd (`fixed_threshold`), "
            "pruning 0.1, padding 50.",
            "",
            markdown_table(["detector", *grid_headers], padded),
            "",
        ]
    )
    write_text(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
