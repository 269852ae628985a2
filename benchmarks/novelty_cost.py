"""What ``novelty=True`` costs: fit and scoring time against the defaults, and memory.

Protocol
--------
``GANAnomalyDetector()`` and ``GANAnomalyDetector(novelty=True)`` are fitted on
the same 5,000 x 20 standard-normal rows and score 20,000 further rows,
``--repeats`` times, interleaved (default, novelty, default, novelty, ...) so
that a busy machine slows both alike. The table gives the median seconds of each
and the ratio of the medians; ``neighbour_reference_`` is the memory the
neighbour score keeps. "Flagged" is the share of the 20,000 new rows — drawn
from the training distribution, so all normal — that ``predict`` calls outliers
under ``contamination="auto"``: a training row is its own nearest neighbour, so
new normal rows sit a little farther out than the training rows the threshold
was set on. Torch runs with one intra-op thread, as in the other
benchmarks.

Example
-------
::

    python benchmarks/novelty_cost.py              # 5 interleaved repeats
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
    log,
    markdown_table,
    median,
    stopwatch,
    write_text,
)

from sklearn_gan_ad import GANAnomalyDetector  # noqa: E402

DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "results"
VARIANTS = {"defaults": {}, "novelty=True": {"novelty": True}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X_fit, X_score = rng.normal(size=(5000, 20)), rng.normal(size=(20000, 20))
    fit_seconds = {name: [] for name in VARIANTS}
    score_seconds = {name: [] for name in VARIANTS}
    flagged = {name: [] for name in VARIANTS}
    reference_bytes = 0
    for repeat in range(args.repeats):
        for name, params in VARIANTS.items():
            detector = GANAnomalyDetector(random_state=repeat, **params)
            with stopwatch() as fit_watch:
                detector.fit(X_fit)
            with stopwatch() as score_watch:
                scores = detector.score_samples(X_score)
            flagged[name].append(float(np.mean(scores < detector.offset_)))
            fit_seconds[name].append(fit_watch.seconds)
            score_seconds[name].append(score_watch.seconds)
            if hasattr(detector, "neighbour_reference_"):
                reference_bytes = detector.neighbour_reference_.nbytes
            log(
                f"repeat {repeat} {name}: fit {fit_watch.seconds:.2f}s "
                f"score {score_watch.seconds:.2f}s"
            )

    base_fit, base_score = median(fit_seconds["defaults"]), median(score_seconds["defaults"])
    rows = [
        [
            name,
            f"{median(fit_seconds[name]):.2f}",
            f"{median(fit_seconds[name]) / base_fit:.2f}",
            f"{median(score_seconds[name]):.2f}",
            f"{median(score_seconds[name]) / base_score:.2f}",
            f"{100 * median(flagged[name]):.1f} %",
        ]
        for name in VARIANTS
    ]
    text = "\n".join(
        [
            "# Cost of novelty=True",
            "",
            f"GANAnomalyDetector fitted on 5,000 x 20 rows, scoring 20,000 rows; medians of "
            f"{args.repeats} interleaved repeats.",
            "",
            f"Command: `{' '.join(sys.argv)}`",
            "",
            f"Environment: {environment_summary()}",
            "",
            markdown_table(
                [
                    "detector",
                    "fit s",
                    "fit ÷ defaults",
                    "score s",
                    "score ÷ defaults",
                    "new normal rows flagged",
                ],
                rows,
                align="lrrrrr",
            ),
            "",
            f"`neighbour_reference_` of the novelty detector: {reference_bytes / 2**20:.1f} MiB "
            "(5 members x 5,000 rows x 64 float64 values).",
            "",
        ]
    )
    print(text)
    write_text(args.output_dir / "novelty_cost.md", text)


if __name__ == "__main__":
    main()
