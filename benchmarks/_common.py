"""Helpers shared by the benchmark scripts: timing, summaries and result files.

Nothing here imports the package under test, so a script can set up torch
(threads, seeds) before the package is imported.
"""

import ast
import csv
import math
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]


def log(message):
    """Print a progress line to stderr, flushed, so long runs can be followed."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def stopwatch():
    """Time the body with :func:`time.perf_counter`; read ``watch.seconds`` after it.

    >>> with stopwatch() as watch:
    ...     pass
    >>> watch.seconds >= 0
    True
    """

    class _Watch:
        seconds = float("nan")

    watch = _Watch()
    start = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start


def timed(function, *args, repeat=1, **kwargs):
    """Call ``function(*args, **kwargs)`` ``repeat`` times; return its last result
    and the median wall-clock seconds of one call."""
    seconds = []
    result = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds.append(time.perf_counter() - start)
    return result, float(np.median(seconds))


def finite(values):
    """The finite floats among ``values`` (NaN marks a failed run)."""
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def mean_std(values):
    """Mean and sample standard deviation (ddof=1) of the finite values.

    The standard deviation is NaN with fewer than two values; both are NaN with none.
    """
    values = finite(values)
    if not values:
        return float("nan"), float("nan")
    mean = float(np.mean(values))
    std = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return mean, std


def median(values):
    """Median of the finite values (NaN when there are none)."""
    values = finite(values)
    return float(np.median(values)) if values else float("nan")


def fmt(value, digits=3, signed=False):
    """Format a float for a table; NaN becomes an en dash."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def fmt_mean_std(mean, std, digits=3):
    """``"0.812 ± 0.014"``; the ``± std`` part is left out when std is NaN."""
    if not math.isfinite(mean):
        return "–"
    if not math.isfinite(std):
        return fmt(mean, digits)
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown_table(headers, rows, align=None):
    """A GitHub markdown table; ``align`` is a string of ``l``/``r`` per column
    (default: first column left, others right)."""
    if align is None:
        align = "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(map(str, headers)) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


def _atomic_write(path, write):
    """Write through ``<path>.tmp`` then rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        write(handle)
    os.replace(tmp, path)


def write_csv(path, rows, fieldnames):
    """Write a list of dicts as CSV (floats with full precision, NaN as empty)."""

    def cell(value):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return value

    def write(handle):
        writer = csv.DictWriter(handle, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: cell(row.get(key, "")) for key in fieldnames})

    _atomic_write(path, write)


def read_csv(paths, text_fields, int_fields=()):
    """Rows of CSVs written by :func:`write_csv`, numbers parsed back (empty cells as NaN).

    Fields in ``text_fields`` stay strings, those in ``int_fields`` become ints,
    every other field a float.
    """

    def value(field, cell):
        if field in text_fields:
            return cell
        if field in int_fields:
            return int(cell)
        return float(cell) if cell != "" else math.nan

    rows = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            rows.extend(
                {field: value(field, cell) for field, cell in row.items()}
                for row in csv.DictReader(handle)
            )
    return rows


def write_text(path, text):
    """Write a text file atomically."""
    _atomic_write(path, lambda handle: handle.write(text))


def environment_summary():
    """One line naming the machine and library versions, for result files."""
    import sklearn
    import torch

    try:
        commit = (
            subprocess.run(
                ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            or "unknown"
        )
    except OSError:
        commit = "unknown"
    return (
        f"commit {commit} (working tree may differ), Python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, torch {torch.__version__}, "
        f"{os.cpu_count()} CPUs (torch kernels {torch.backends.cpu.get_cpu_capability()}), "
        f"torch threads {torch.get_num_threads()}"
    )


def window_shapes(windows, floor):
    """Each window z-normalised (its shape, as the matrix profile compares windows).

    Its standard deviation is floored at ``floor`` so that nearly flat windows
    are not blown up to unit variance noise.
    """
    centred = windows - windows.mean(axis=1, keepdims=True)
    return centred / np.maximum(windows.std(axis=1, keepdims=True), floor)


def with_shape_channel(windows, floor):
    """``(n, window)`` windows -> ``(n, 2 * window)``: values and shape as two channels per step."""
    return np.stack([windows, window_shapes(windows, floor)], axis=2).reshape(len(windows), -1)


def overrides_line(lstm_params, shape_channel=False, aggregate="mean"):
    """The line a results file states its LSTMGANAnomalyDetector overrides in."""
    if lstm_params:
        line = f"LSTMGANAnomalyDetector overrides (every LSTM-GAN variant): `{lstm_params}`."
    else:
        line = "LSTMGANAnomalyDetector variants with their own parameters (no overrides)."
    if shape_channel:
        line += (
            " `--shape-channel`: every window detector sees each window's values and its "
            "z-normalised copy (sd floored at a tenth of the training part's) as two channels."
        )
    if aggregate != "mean":
        line += (
            f" `--aggregate {aggregate}`: each timestamp scored by the {aggregate} of the "
            "scores of the windows covering it, not their mean."
        )
    return line


def add_output_dir_option(parser, written):
    """``--output-dir``: the folder for the result files ``written``, benchmarks/results by default."""
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=REPO_ROOT / "benchmarks" / "results",
        help=f"folder for {written} (default: benchmarks/results)",
    )


def add_lstm_param_option(parser, help_text):
    """``--lstm-param KEY=VALUE`` (repeatable): LSTMGANAnomalyDetector overrides."""
    parser.add_argument(
        "--lstm-param", action="append", default=[], metavar="KEY=VALUE", help=help_text
    )


def add_aggregate_option(parser):
    """``--aggregate``: how window scores become timestamp scores (``windows_to_timestamps``)."""
    from sklearn_gan_ad.timeseries import _AGGREGATES

    parser.add_argument(
        "--aggregate",
        choices=_AGGREGATES,
        default="mean",
        help="each timestamp's score from the scores of the windows covering it "
        "(default: mean, as detect_intervals); use with --tag",
    )


def add_shape_channel_option(parser):
    """``--shape-channel``: windows with their z-normalised copy as a second channel."""
    parser.add_argument(
        "--shape-channel",
        action="store_true",
        help="give every window detector each window's z-normalised copy as a second "
        "channel; use with --tag",
    )


def lstm_params(parser, args):
    """``--lstm-param`` values as a dict; bad syntax or unknown keys fail before any fit."""
    from sklearn_gan_ad import LSTMGANAnomalyDetector

    try:
        params = parse_params(args.lstm_param, "--lstm-param")
    except ValueError as error:
        parser.error(str(error))
    LSTMGANAnomalyDetector(**params)  # unknown keys fail now, not mid-run
    return params


def parse_params(items, flag):
    """``["epochs=50", "anomaly_score=reconstruction"]`` -> ``{"epochs": 50, "anomaly_score": "reconstruction"}``.

    Values are read with ``ast.literal_eval`` and kept as strings when that
    fails; ``flag`` names the command-line option in the error message.
    """
    params = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} expects key=value, got {item!r}")
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip()
        params[key.strip()] = value
    return params
