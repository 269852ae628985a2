"""Fit and score time of the working tree's package against another commit's, interleaved.

A change that should make fits a few per cent faster cannot be judged from
two runs of ``perf.py`` made minutes apart: on these machines identical fits
drift by more than that, and so do fits in two fresh processes of the same
code (an A/A run, one process per fit, 9 repeats: 1.031). This script
extracts ``sklearn_gan_ad/`` of another commit (``git archive``) under
another name and imports it beside the working tree's package in one process;
fits alternate between the two (``perf.interleaved``), so both see
the same machine and process state (the same code against itself, 9 pairs of
``prune_threshold=None`` fits: 1.010). Each version fits once briefly to warm
up; every repeat times one fit and one ``score_samples`` of the training rows
and hashes the scores: the report says whether the two versions score
bit-identically. Only the package is swapped: a change outside it (a
dependency, the benchmarks) is not compared.

    python benchmarks/versions.py HEAD~1                     # default fit, 5,000 x 20
    python benchmarks/versions.py 14fc5ca --repeats 9 --param prune_threshold=None
    python benchmarks/versions.py HEAD --detector lstm       # windows of 100 steps

Writes ``versions.md`` (``--tag`` adds a suffix) to ``--output-dir``.
"""

import argparse
import hashlib
import importlib
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    REPO_ROOT,
    add_output_dir_option,
    environment_summary,
    log,
    markdown_table,
    median,
    parse_params,
    write_text,
)
from perf import interleaved, normal_rows, synthetic_series  # noqa: E402

from sklearn_gan_ad.timeseries import make_windows  # noqa: E402


def extract_package(commit, into):
    """``sklearn_gan_ad/`` of ``commit``, importable from ``into`` under another name.

    Returns ``(module name, short hash)``. The package imports its own modules
    relatively, so the copy runs beside the working tree's in one process.
    """
    full = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--verify", f"{commit}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if full.returncode != 0:
        raise SystemExit(f"not a commit of this repository: {commit!r}")
    commit_hash = full.stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit_hash, "sklearn_gan_ad"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    name = f"sklearn_gan_ad_{commit_hash[:10]}"
    (Path(into) / "sklearn_gan_ad").rename(Path(into) / name)
    return name, commit_hash[:10]


def data(detector, rows, features):
    """The rows or windows perf.py's sections fit."""
    if detector == "gan":
        return normal_rows(rows, features)
    windows, _ = make_windows(synthetic_series(rows + 99), window=100)
    return windows


def fit_and_score(package, detector, X, params):
    cls = package.GANAnomalyDetector if detector == "gan" else package.LSTMGANAnomalyDetector
    model = cls(random_state=0, **params)
    start = time.perf_counter()
    model.fit(X)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores = model.score_samples(X)
    score_seconds = time.perf_counter() - start
    digest = hashlib.md5(np.ascontiguousarray(scores).tobytes()).hexdigest()
    return fit_seconds, score_seconds, digest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit", help="the commit to compare the working tree with")
    parser.add_argument("--repeats", type=int, default=9, help="fits per version (default 9)")
    parser.add_argument(
        "--detector",
        choices=("gan", "lstm"),
        default="gan",
        help="GANAnomalyDetector on normal rows, or LSTMGANAnomalyDetector on windows of a "
        "noisy sine (default: gan)",
    )
    parser.add_argument("--rows", type=int, default=5000, help="rows or windows (default 5000)")
    parser.add_argument(
        "--features", type=int, default=20, help="features of the rows (gan; default 20)"
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="detector parameter for both versions (repeatable)",
    )
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    add_output_dir_option(parser, "versions.md")
    args = parser.parse_args(argv)
    try:
        params = parse_params(args.param, "--param")
    except ValueError as error:
        parser.error(str(error))

    X = data(args.detector, args.rows, args.features)
    with tempfile.TemporaryDirectory() as folder:
        module_name, other = extract_package(args.commit, folder)
        sys.path.insert(0, folder)
        packages = {
            f"commit {other}": importlib.import_module(module_name),
            "working tree": importlib.import_module("sklearn_gan_ad"),
        }
        for package in packages.values():  # first calls, allocator, imports inside fit
            fit_and_score(package, args.detector, X[:500], {"epochs": 1})
        results = {name: [] for name in packages}
        interleaved(
            {
                name: lambda package=package: fit_and_score(package, args.detector, X, params)
                for name, package in packages.items()
            },
            args.repeats,
            on_result=lambda name, result: results[name].append(result),
        )

    base, tree = list(packages)
    fit = {name: median([r[0] for r in runs]) for name, runs in results.items()}
    score = {name: median([r[1] for r in runs]) for name, runs in results.items()}
    faster_fits = sum(new[0] < old[0] for old, new in zip(results[base], results[tree]))
    hashes = {name: {r[2] for r in runs} for name, runs in results.items()}
    identical = len(hashes[base] | hashes[tree]) == 1
    rows = [
        [
            name,
            f"{fit[name]:.3f}",
            f"{fit[name] / fit[base]:.3f}",
            f"{score[name]:.4f}",
            f"{score[name] / score[base]:.3f}",
        ]
        for name in packages
    ]
    cls = "GANAnomalyDetector" if args.detector == "gan" else "LSTMGANAnomalyDetector"
    shape = (
        f"{args.rows} x {args.features}"
        if args.detector == "gan"
        else f"{args.rows} windows of 100"
    )
    lines = [
        "# Fit and score time: working tree against another commit",
        "",
        f"Command: `python benchmarks/versions.py {' '.join(argv if argv is not None else sys.argv[1:])}`.",
        "",
        environment_summary(),
        "",
        f"`{cls}({', '.join(f'{k}={v!r}' for k, v in {'random_state': 0, **params}.items())})` on "
        f"{shape}; both versions in one process, their fits alternated ({args.repeats} "
        f"repeats each), medians. Scores of the training rows "
        + (
            "bit-identical between the versions."
            if identical
            else "**differ** between the versions."
        ),
        "",
        markdown_table(
            ["package", "fit s", "ratio", "score_samples s", "ratio"],
            rows,
            align="lrrrr",
        ),
        "",
        f"The working tree's fit was the faster of a pair in {faster_fits} of {args.repeats} repeats.",
        "",
    ]
    suffix = f"_{args.tag}" if args.tag else ""
    path = args.output_dir / f"versions{suffix}.md"
    write_text(path, "\n".join(lines))
    print("\n".join(lines))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
