"""Command line interface: ``sklearn-gan-ad`` (or ``python -m sklearn_gan_ad``).

Subcommands
-----------
compare
    Compare detectors on a CSV or Parquet table, or on the built-in default
    data set, with :func:`sklearn_gan_ad.compare.compare`.
detect
    Fit one detector on a file and write per-row scores for another file.
compare-series
    Compare ``LSTMGANAnomalyDetector`` and ``IsolationForest`` on the windows
    of one time series, with interval F1 and per-timestamp ROC-AUC when labels
    are given.

Invalid input (missing file, no numeric columns, unknown detector, bad
label column, bad option value) prints one line
``sklearn-gan-ad: error: <message>`` on stderr and exits with status 2,
without a traceback.
"""

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np

from ._version import __version__

PROG = "sklearn-gan-ad"
_EXIT_USAGE = 2

_CSV_SUFFIXES = {".csv", ".txt"}
_TSV_SUFFIXES = {".tsv", ".tab"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_COMPRESSION_SUFFIXES = {".gz", ".bz2", ".zip", ".xz", ".zst"}

# intervals printed per detector by compare-series before "... and N more"
_MAX_INTERVALS_SHOWN = 10


class _UsageError(Exception):
    """A command-line mistake, reported as one line without a traceback."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the usage block then exits; one predictable line on
    # stderr is easier to read in scripts and logs, and --help still shows usage
    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


# -- argument types ----------------------------------------------------------------------


def _int_at_least(minimum, description):
    """An argparse type: an integer of at least ``minimum``, else "expected <description>"."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}")
        return value

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_non_negative_int = _int_at_least(0, "a non-negative integer")


def _column_list(text):
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    return names


def _seed_list(text):
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated non-negative integers such as 0,1,2, got {text!r}"
        ) from None
    if not seeds or any(seed < 0 for seed in seeds):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated non-negative integers such as 0,1,2, got {text!r}"
        )
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds must be distinct, got {text!r}")
    return seeds


def _name_list(text):
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated detector names, got {text!r}")
    return names


def _test_size(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _contamination(text):
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a number in (0, 0.5], got {text!r}"
        ) from None
    if not 0 < value <= 0.5:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number in (0, 0.5], got {text!r}")
    return value


# -- parser ---------------------------------------------------------------------------------


def _build_parser():
    from .compare import available_detectors

    parser = _Parser(
        prog=PROG,
        description="Compare and run scikit-learn anomaly detectors, GAN-based ones included.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    names = ", ".join(available_detectors())
    compare = commands.add_parser(
        "compare",
        help="compare detectors on a table (or on the built-in data set)",
        description="Compare detectors over repeated train/test splits (stratified "
        "on --label-column when given): "
        "per seed, a StandardScaler and every detector are fitted on the "
        "unlabelled train part and the test part is scored.",
    )
    compare.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="CSV or Parquet table; all numeric columns except the label "
        "column are features. Default: the built-in breast cancer "
        "data set (sklearn_gan_ad.datasets.load_default_dataset)",
    )
    compare.add_argument(
        "--label-column", metavar="COL", help="0/1 column (1 = anomaly) used only for evaluation"
    )
    compare.add_argument(
        "--detectors",
        type=_name_list,
        metavar="NAME,NAME",
        help="detectors to compare (default: GANAnomalyDetector, "
        "IsolationForest, LocalOutlierFactor, OneClassSVM). "
        f"Known: {names} (pyod:* names need PyOD)",
    )
    compare.add_argument(
        "--seeds",
        type=_seed_list,
        default=[0, 1, 2],
        metavar="0,1,2",
        help="one split and fit per seed (default: 0,1,2)",
    )
    compare.add_argument(
        "--test-size",
        type=_test_size,
        default=0.3,
        metavar="F",
        help="share of rows in each test part (default: 0.3)",
    )
    compare.add_argument(
        "--output", metavar="results.csv", help="write one row per detector and seed to this CSV"
    )
    compare.add_argument(
        "--plot", metavar="report.png", help="write ROC / precision-recall / score histogram figure"
    )
    compare.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="training epochs of GANAnomalyDetector (default: its own); other "
        "detectors, PyOD's included, keep their own training",
    )
    compare.add_argument(
        "--quiet", action="store_true", help="no progress bar or notes, only the summary table"
    )
    compare.set_defaults(handler=_run_compare)

    detect = commands.add_parser(
        "detect",
        help="fit on one table, write per-row scores for another",
        description="Fit a StandardScaler and a detector on TRAIN_FILE and score every row "
        "of SCORE_FILE. The output has one row per SCORE_FILE row, in order: "
        "score (anomaly score = -score_samples, higher is more anomalous), "
        "decision_function (negative = outlier) and label (+1 inlier, "
        "-1 outlier).",
    )
    detect.add_argument("train_file", metavar="TRAIN_FILE", help="CSV or Parquet to fit on")
    detect.add_argument(
        "score_file",
        metavar="SCORE_FILE",
        help="CSV or Parquet to score; needs TRAIN_FILE's numeric columns",
    )
    detect.add_argument(
        "--output",
        required=True,
        metavar="scores.csv",
        help="where to write the scores (CSV, or Parquet by extension)",
    )
    detect.add_argument(
        "--detector",
        default="GANAnomalyDetector",
        metavar="NAME",
        help="detector to use (default: GANAnomalyDetector). "
        f"Known: {names} (pyod:* names need PyOD)",
    )
    detect.add_argument(
        "--contamination",
        type=_contamination,
        metavar="auto|F",
        help="expected outlier share, sets the detector's threshold",
    )
    detect.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="training epochs of GANAnomalyDetector (default: 15); refused for "
        "detectors without an epochs parameter (PyOD's models train for their own)",
    )
    detect.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        metavar="S",
        help="random_state of the detector (default: 0)",
    )
    detect.add_argument(
        "--ignore-columns",
        type=_column_list,
        default=(),
        metavar="A,B",
        help="numeric columns of TRAIN_FILE that are not features, such as a label or "
        "an id column (they need not be in SCORE_FILE)",
    )
    detect.set_defaults(handler=_run_detect)

    series = commands.add_parser(
        "compare-series",
        help="compare LSTMGANAnomalyDetector and IsolationForest on a series",
        description="Cut a time series into sliding windows, score them with "
        "LSTMGANAnomalyDetector and IsolationForest, turn window scores into "
        "per-timestamp scores and anomalous intervals "
        "(sklearn_gan_ad.timeseries.detect_intervals), and evaluate them "
        "against labelled windows when given.",
    )
    series.add_argument("file", metavar="FILE", help="CSV or Parquet time series")
    series.add_argument(
        "--timestamp-column",
        required=True,
        metavar="C",
        help=(
            "timestamps (datetimes or numbers), increasing; times with a UTC offset "
            "are shown in their zone, or in UTC if the offset changes"
        ),
    )
    series.add_argument("--value-column", required=True, metavar="V", help="numeric values")
    labels = series.add_mutually_exclusive_group()
    labels.add_argument(
        "--labels",
        metavar="windows.json",
        help="anomalous windows: a JSON list of [start, end] timestamp pairs, "
        "or NAB's {relative_path: [[start, end], ...]} (the entry whose "
        "key ends with FILE's name is used)",
    )
    labels.add_argument("--label-column", metavar="L", help="0/1 column, 1 = anomalous timestamp")
    series.add_argument(
        "--window",
        type=_positive_int,
        default=100,
        metavar="W",
        help="window length in timestamps (default: 100)",
    )
    series.add_argument(
        "--step",
        type=_positive_int,
        default=1,
        metavar="S",
        help="distance between window starts (default: 1)",
    )
    series.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="training epochs of LSTMGANAnomalyDetector (default: 'auto')",
    )
    series.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        metavar="S",
        help="random_state of both detectors (default: 0)",
    )
    series.add_argument(
        "--output",
        metavar="scores.csv",
        help="write per-timestamp scores and flags of both detectors",
    )
    series.add_argument(
        "--plot",
        metavar="series.png",
        help="write the series with predicted and true windows shaded",
    )
    series.set_defaults(handler=_run_compare_series)
    return parser


# -- reading tables -------------------------------------------------------------------------


def _import_pandas():
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "reading tables needs pandas; install it with `pip install pandas`"
        ) from exc
    return pandas


def _table_format(path):
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _TSV_SUFFIXES:
        return "tsv"
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    raise ValueError(
        f"cannot tell the format of {path!s} from its extension {suffix or '(none)'!r}; "
        "use .csv, .tsv or .parquet"
    )


def _read_table(path):
    """A DataFrame from a CSV, TSV or Parquet file chosen by extension."""
    pd = _import_pandas()
    kind = _table_format(path)
    if Path(path).is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a table file")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if kind == "parquet":
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise ImportError(
                f"reading {path} needs a Parquet engine; install it with `pip install pyarrow`"
            ) from exc
    try:
        frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",")
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        # the commands take several files: say which one could not be read
        reason = str(error).strip().splitlines()[-1]
        raise ValueError(f"cannot read {path} as {kind.upper()}: {reason}") from None
    _check_header(frame, path)
    return frame


def _check_header(frame, path):
    """Refuse a text table whose first line is data: it would be taken for column names.

    Every name a number is a row of values, unless the names are the positions
    0, 1, 2, ... that pandas writes as the header of an unnamed frame.
    """
    names = [str(name) for name in frame.columns]
    if names == [str(position) for position in range(len(names))]:
        return
    try:
        [float(name) for name in names]
    except ValueError:
        return
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    raise ValueError(
        f"{path} has no header line: its first line ({shown}) holds numbers, which would "
        "be taken for column names and that row left out; add a first line naming the columns"
    )


def _write_table(frame, path):
    kind = _table_format(path)
    if kind == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, sep="\t" if kind == "tsv" else ",")


def _check_writable(path):
    """Fail before a long run, not after it, when an output cannot be written."""
    if path is None:
        return
    if str(path).endswith(("/", os.sep)) or Path(path).is_dir():
        raise IsADirectoryError(f"output {path} is a folder; give a file name")
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise FileNotFoundError(f"the folder of output file {path} does not exist")
    existed = Path(path).exists()
    try:
        # opened for appending, which leaves an existing file's content as it is
        with open(path, "a"):
            pass
    except OSError as error:
        raise OSError(f"cannot write output file {path}: {error.strerror}") from None
    if not existed:
        os.remove(path)


def _check_table_output(path):
    """:func:`_check_writable`, and a format (and Parquet engine) the table can be written in."""
    _check_writable(path)
    if path is None or _table_format(path) != "parquet":
        return
    if not any(importlib.util.find_spec(engine) for engine in ("pyarrow", "fastparquet")):
        raise ImportError(
            f"writing {path} needs a Parquet engine; install it with `pip install pyarrow`"
        )


def _check_plot_output(path):
    """:func:`_check_writable`, and a figure format matplotlib can write."""
    _check_writable(path)
    if path is not None:
        from .plotting import _figure_format

        _figure_format(path)


def _check_finite_rows(values, columns, source):
    bad = ~np.isfinite(values)
    if bad.any():
        rows, cols = np.nonzero(bad)
        n_rows = len(np.unique(rows))
        raise ValueError(
            f"{source} has {n_rows} row{'s' if n_rows > 1 else ''} with missing or infinite "
            f"values (first: data row {rows[0] + 1}, column {columns[cols[0]]!r}); drop or "
            "impute them first"
        )


def _is_numeric(column):
    pd = _import_pandas()
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _numeric_features(frame, source, exclude=()):
    """(float array, feature names, ignored non-numeric names) of a table."""
    candidates = [column for column in frame.columns if column not in exclude]
    numeric = [column for column in candidates if _is_numeric(frame[column])]
    ignored = [column for column in candidates if column not in numeric]
    if not numeric:
        raise ValueError(
            f"{source} has no numeric feature columns"
            + (f" (besides {', '.join(map(repr, exclude))})" if exclude else "")
        )
    values = frame[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
    _check_finite_rows(values, numeric, source)
    return values, numeric, ignored


def _binary_labels(column, name, source):
    values = column.to_numpy()
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    if values.dtype.kind not in "iuf" or not np.isin(values, (0, 1)).all():
        distinct = column.drop_duplicates()
        shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in distinct.head(4))
        more = f" and {len(distinct) - 4} more" if len(distinct) > 4 else ""
        hint = ""
        if set(distinct.tolist()) <= {-1, 1}:
            hint = "; for scikit-learn's +1 inlier / -1 outlier coding, map -1 to 1 and +1 to 0"
        raise ValueError(
            f"label column {name!r} of {source} must hold only 0 (normal) and 1 (anomaly), "
            f"found {shown}{more}{hint}"
        )
    return values.astype(np.int64)


def _label_column(frame, name, source):
    if name not in frame.columns:
        raise ValueError(
            f"label column {name!r} not found in {source}; columns: "
            + ", ".join(map(str, frame.columns))
        )
    return _binary_labels(frame[name], name, source)


def _check_label_counts(y, name, source):
    """compare's own check, before any fit, naming the column rather than ``y``."""
    from .compare import _check_class_counts

    _check_class_counts(y, f"label column {name!r} of {source}")


# -- compare ----------------------------------------------------------------------------------


def _set_epochs(detectors, epochs):
    """``epochs`` on every detector that has the parameter (this package's GAN detectors)."""
    if epochs is None:
        return
    trained = [detector for detector in detectors.values() if "epochs" in detector.get_params()]
    if not trained:
        raise ValueError(
            "--epochs sets the training epochs of this package's GAN detectors; none of "
            f"{', '.join(detectors)} has an epochs parameter"
        )
    for detector in trained:
        detector.set_params(epochs=epochs)


def _run_compare(args, out, err):
    from .compare import _BUILTIN_DETECTORS, compare, make_detector

    names = args.detectors or list(_BUILTIN_DETECTORS)
    if len(set(names)) != len(names):
        raise ValueError(f"--detectors lists a name twice: {','.join(names)}")
    # every name is resolved, PyOD imported, outputs checked before the first fit
    detectors = {name: make_detector(name) for name in names}
    _set_epochs(detectors, args.epochs)
    _check_table_output(args.output)
    _check_plot_output(args.plot)
    if args.plot:
        from .plotting import _new_figure

        _new_figure((1, 1))  # ImportError now when matplotlib is missing

    if args.file is None:
        from .datasets import load_default_dataset

        X, y = load_default_dataset()
        header = (
            f"Dataset: built-in default (scikit-learn's breast cancer data: "
            f"{int((y == 0).sum())} benign rows as normal, {int(y.sum())} malignant as "
            f"anomalies, {X.shape[1]} features)"
        )
        ignored = []
    else:
        frame = _read_table(args.file)
        y = None
        exclude = ()
        if args.label_column is not None:
            y = _label_column(frame, args.label_column, args.file)
            _check_label_counts(y, args.label_column, args.file)
            exclude = (args.label_column,)
        X, features, ignored = _numeric_features(frame, args.file, exclude)
        header = f"Dataset: {args.file} ({len(X)} rows, {len(features)} numeric features"
        header += (
            f", label column {args.label_column!r} with {int(y.sum())} anomalies)"
            if y is not None
            else ", no labels: only flagged share and times)"
        )
    if not args.quiet:
        print(header, file=out)
        if ignored:
            print("Ignored non-numeric columns: " + ", ".join(map(str, ignored)), file=out)
        print(
            f"Protocol: seeds {','.join(map(str, args.seeds))}, test size {args.test_size}, "
            "StandardScaler and detectors fitted on the unlabelled train part",
            file=out,
        )
        print(file=out)
        out.flush()

    # a progress bar only helps a person watching; in logs it is noise
    result = compare(
        X,
        y,
        detectors,
        seeds=args.seeds,
        test_size=args.test_size,
        progress=not args.quiet and err.isatty(),
    )
    print(result.to_string(), file=out)
    if args.output:
        _write_table(result.runs, args.output)
        if not args.quiet:
            print(f"\nPer-run results written to {args.output}", file=out)
    if args.plot:
        from .plotting import plot_comparison

        plot_comparison(result, args.plot)
        if not args.quiet:
            print(f"Figure written to {args.plot}", file=out)
    return 0


# -- detect -----------------------------------------------------------------------------------


def _run_detect(args, out, err):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .compare import make_detector

    pd = _import_pandas()
    detector = make_detector(args.detector)
    params = detector.get_params()
    if args.contamination is not None:
        if "contamination" not in params:
            raise ValueError(f"detector {args.detector!r} has no contamination parameter")
        detector.set_params(contamination=args.contamination)
    if args.epochs is not None:
        if "epochs" not in params:
            # PyOD's deep models train for their own epoch counts
            raise ValueError(
                f"--epochs sets the training epochs of this package's GAN detectors; "
                f"detector {args.detector!r} has no epochs parameter"
            )
        detector.set_params(epochs=args.epochs)
    if "random_state" in params:
        detector.set_params(random_state=args.seed)
    _check_table_output(args.output)

    train = _read_table(args.train_file)
    to_score = _read_table(args.score_file)
    if to_score.empty:
        # a header alone reads as columns of no known type
        raise ValueError(f"{args.score_file} has no rows to score")
    absent = [column for column in args.ignore_columns if column not in train.columns]
    if absent:
        raise ValueError(
            f"--ignore-columns names columns not in {args.train_file}: "
            + ", ".join(map(repr, absent))
        )
    X_train, features, _ = _numeric_features(train, args.train_file, args.ignore_columns)
    missing = [column for column in features if column not in to_score.columns]
    if missing:
        raise ValueError(
            f"{args.score_file} lacks columns of {args.train_file}: " + ", ".join(map(str, missing))
        )
    not_numeric = [column for column in features if not _is_numeric(to_score[column])]
    if not_numeric:
        raise ValueError(
            f"columns of {args.score_file} that are numeric in "
            f"{args.train_file} are not numeric: " + ", ".join(map(str, not_numeric))
        )
    X_score, _, _ = _numeric_features(to_score[features], args.score_file)

    # the same preprocessing as compare: distance-based detectors need scaled features
    model = make_pipeline(StandardScaler(), detector).fit(X_train)
    normality = model.score_samples(X_score)
    scores = pd.DataFrame(
        {
            "score": -normality,
            "decision_function": model.decision_function(X_score),
            "label": model.predict(X_score).astype(np.int64),
        }
    )
    _write_table(scores, args.output)
    n_flagged = int((scores["label"] == -1).sum())
    print(
        f"{args.detector} fitted on {len(X_train)} rows of {args.train_file}; scored "
        f"{len(scores)} rows of {args.score_file}: {n_flagged} flagged as outliers "
        f"({n_flagged / len(scores):.1%}). Scores written to {args.output}",
        file=out,
    )
    return 0


# -- compare-series ---------------------------------------------------------------------------


def _series_columns(frame, args):
    for option, name in (
        ("--timestamp-column", args.timestamp_column),
        ("--value-column", args.value_column),
    ):
        if name not in frame.columns:
            raise ValueError(
                f"{option} {name!r} not found in {args.file}; columns: "
                + ", ".join(map(str, frame.columns))
            )
    pd = _import_pandas()
    if frame.empty:
        raise ValueError(f"{args.file} has no rows")
    raw_times = frame[args.timestamp_column]
    zone = None
    if _is_numeric(raw_times):
        times = raw_times.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            parsed = pd.to_datetime(raw_times)
        except (ValueError, TypeError) as exc:
            try:
                # several UTC offsets (local time across a daylight-saving
                # change): one instant each, read in UTC
                parsed = pd.to_datetime(raw_times, utc=True)
            except (ValueError, TypeError):
                raise ValueError(
                    f"--timestamp-column {args.timestamp_column!r} holds values that "
                    f"are neither numbers nor dates ({exc})"
                ) from None
        if parsed.dt.tz is not None:
            # numpy datetimes are naive; UTC keeps the order of aware timestamps,
            # and the zone is kept to read labels and write times in it
            zone = parsed.dt.tz
            parsed = parsed.dt.tz_convert(None)
        times = parsed.to_numpy()
    if pd.isna(times).any():
        raise ValueError(f"--timestamp-column {args.timestamp_column!r} has missing values")
    if len(times) > 1 and not (times[1:] > times[:-1]).all():
        raise ValueError(
            f"timestamps of {args.file} must be strictly increasing; sort the "
            "file and drop duplicate timestamps first"
        )
    if not _is_numeric(frame[args.value_column]):
        raise ValueError(
            f"--value-column {args.value_column!r} of {args.file} is not numeric "
            f"(dtype {frame[args.value_column].dtype})"
        )
    values, _, _ = _numeric_features(frame[[args.value_column]], args.file)
    return times, values[:, 0], zone


def _to_timestamp(text, times, zone=None):
    """A label bound as the series' times are held: naive UTC for time-zone-aware series.

    A bound without a zone is read in the series' own zone.
    """
    pd = _import_pandas()
    if not np.issubdtype(times.dtype, np.datetime64):
        return float(text)
    stamp = pd.Timestamp(text)
    if zone is not None and stamp.tzinfo is None:
        stamp = stamp.tz_localize(zone)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_datetime64()


def _in_zone(times, zone):
    """Naive UTC datetimes back in the series' zone (unchanged without one)."""
    if zone is None:
        return times
    pd = _import_pandas()
    return pd.Series(times).dt.tz_localize("UTC").dt.tz_convert(zone)


def _windows_from_json(path, series_file, times, zone=None):
    """Inclusive index intervals of the labelled windows in a JSON file."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None
    if isinstance(content, dict):
        # NAB keys are paths relative to its data folder, e.g. "realKnownCause/x.csv"
        name = Path(series_file).name
        matches = [key for key in content if Path(key).name == name]
        if len(matches) != 1:
            found = "no entry" if not matches else f"{len(matches)} entries"
            raise ValueError(
                f"{path} has {found} for {name!r}; keys must end with the series file's name"
            )
        content = content[matches[0]]
    if not isinstance(content, list):
        raise ValueError(f"{path} must hold a list of [start, end] pairs or NAB's dict of them")
    windows = []
    for i, pair in enumerate(content):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"window {i} of {path} is not a [start, end] pair: {pair!r}")
        try:
            start, end = (_to_timestamp(str(bound), times, zone) for bound in pair)
        except (ValueError, TypeError):
            raise ValueError(
                f"window {i} of {path} has bounds that are not timestamps: {pair!r}"
            ) from None
        first = int(np.searchsorted(times, start, side="left"))
        last = int(np.searchsorted(times, end, side="right")) - 1
        if last < first:
            raise ValueError(
                f"window {i} of {path} ({pair[0]} to {pair[1]}) covers no "
                f"timestamp of {series_file}"
            )
        windows.append((first, last))
    return windows


def _windows_from_labels(labels):
    """Inclusive index intervals of the runs of 1 in a 0/1 array."""
    edges = np.diff(np.concatenate(([0], labels, [0])))
    return list(
        zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist())
    )


def _format_time(value, zone=None):
    if isinstance(value, np.datetime64):
        if zone is not None:
            return str(_in_zone(np.array([value]), zone).iloc[0].floor("s"))
        return str(value.astype("datetime64[s]")).replace("T", " ")
    return f"{value:g}"


def _run_compare_series(args, out, err):
    pd = _import_pandas()
    _check_table_output(args.output)
    _check_plot_output(args.plot)
    frame = _read_table(args.file)
    times, values, zone = _series_columns(frame, args)
    true_windows = None
    if args.labels is not None:
        true_windows = _windows_from_json(args.labels, args.file, times, zone)
    elif args.label_column is not None:
        true_windows = _windows_from_labels(_label_column(frame, args.label_column, args.file))
    if args.window > len(values) - 1:
        # the detectors need two windows to fit
        raise ValueError(
            f"--window {args.window} leaves fewer than two windows in a series of "
            f"{len(values)} timestamps; "
            + (
                f"use a window of at most {len(values) - 1}"
                if len(values) > 1
                else "the series needs at least 2 timestamps"
            )
        )
    if args.step > args.window:
        raise ValueError(f"--step {args.step} is larger than --window {args.window}")
    if args.plot:
        from .plotting import _new_figure

        _new_figure((1, 1))  # ImportError now when matplotlib is missing

    # imported here so that the tabular commands work without these modules
    import time

    from sklearn.ensemble import IsolationForest

    from .lstm import LSTMGANAnomalyDetector
    from .timeseries import (
        detect_intervals,
        intervals_to_labels,
        overlap_segment_scores,
        timestamp_scores_metrics,
    )

    lstm = LSTMGANAnomalyDetector(n_channels=1, random_state=args.seed)
    if args.epochs is not None:
        lstm.set_params(epochs=args.epochs)
    detectors = {
        "LSTMGANAnomalyDetector": lstm,
        "IsolationForest": IsolationForest(random_state=args.seed),
    }

    labels = None
    if true_windows is not None:
        labels = intervals_to_labels(true_windows, len(values))
    # with nothing to find, a recall of 0 would read as "missed everything"
    nothing_labelled = true_windows is not None and not true_windows
    print(
        f"Series: {args.file} ({len(values)} timestamps, window {args.window}, "
        f"step {args.step}"
        + (
            f", {len(true_windows)} labelled windows)"
            if true_windows is not None
            else ", no labels)"
        ),
        file=out,
    )
    rows, found, columns = [], {}, {"timestamp": _in_zone(times, zone), "value": values}
    for name, detector in detectors.items():
        started = time.perf_counter()
        intervals, scores = detect_intervals(values, detector, window=args.window, step=args.step)
        row = {
            "detector": name,
            "intervals": len(intervals),
            "seconds": time.perf_counter() - started,
        }
        if true_windows is not None:
            segment = overlap_segment_scores(intervals, true_windows)
            row.update(
                {key: segment[key] for key in ("tp", "fp", "fn", "precision", "recall", "f1")}
            )
            if nothing_labelled:
                row.update(recall=float("nan"), f1=float("nan"))
            # one class only (no or all anomalies): the ranking metrics are undefined
            if 0 < labels.sum() < len(labels):
                row.update(timestamp_scores_metrics(scores, labels))
        rows.append(row)
        found[name] = intervals
        columns[f"score_{name}"] = scores
        columns[f"flagged_{name}"] = intervals_to_labels(intervals, len(values))
    table = pd.DataFrame(rows).set_index("detector")
    table.index.name = None
    print(table.to_string(float_format=lambda v: f"{v:.3f}"), file=out)
    if nothing_labelled:
        print(
            "The labels mark no anomalous window: recall and F1 are undefined (NaN); "
            "every interval found is a false positive.",
            file=out,
        )
    for name, intervals in found.items():
        print(f"\n{name}: {len(intervals)} intervals", file=out)
        for interval in intervals[:_MAX_INTERVALS_SHOWN]:
            print(
                f"  {_format_time(times[interval.start], zone)} to "
                f"{_format_time(times[interval.end], zone)}  severity {interval.severity:.2f}",
                file=out,
            )
        if len(intervals) > _MAX_INTERVALS_SHOWN:
            print(f"  ... and {len(intervals) - _MAX_INTERVALS_SHOWN} more", file=out)
    if args.output:
        if labels is not None:
            columns["label"] = labels
        _write_table(pd.DataFrame(columns), args.output)
        print(f"\nPer-timestamp scores written to {args.output}", file=out)
    if args.plot:
        from .plotting import plot_series

        plot_series(
            values,
            found,
            args.plot,
            true_windows=true_windows,
            timestamps=_in_zone(times, zone),
        )
        print(f"Figure written to {args.plot}", file=out)
    return 0


# -- entry point ------------------------------------------------------------------------------


def _one_line(error):
    if isinstance(error, KeyError) and error.args:
        message = str(error.args[0])
    else:
        message = str(error) or type(error).__name__
    # notes say where it happened (compare names the detector and seed)
    notes = getattr(error, "__notes__", [])
    return " ".join(" ".join([message, *notes]).split())


def main(argv=None):
    """Run the ``sklearn-gan-ad`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        0 on success; 2 for invalid input (missing file, no numeric columns,
        unknown detector, bad label column or option value), reported as one
        line ``sklearn-gan-ad: error: <message>`` on stderr.

    Examples
    --------
    >>> from sklearn_gan_ad.cli import main
    >>> main(["compare", "--detectors", "IsolationForest", "--seeds", "0"])  # doctest: +SKIP
    0
    """
    out, err = sys.stdout, sys.stderr
    try:
        parser = _build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            raise _UsageError(
                f"choose a command: compare, detect or compare-series (see '{PROG} --help')"
            )
        return args.handler(args, out, err)
    except SystemExit as exit_:
        # --help and --version exit through argparse; return their status instead
        return exit_.code if isinstance(exit_.code, int) else 0
    except (_UsageError, ValueError, KeyError, OSError, ImportError) as error:
        print(f"{PROG}: error: {_one_line(error)}", file=err)
        return _EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=err)
        return 130
