"""Time-series helpers: sliding windows, interval detection and scoring.

The detectors in this package work on fixed-size samples. A time series is
turned into such samples by cutting it into (possibly overlapping) windows
with :func:`make_windows`. Window-level or step-level anomaly scores are
mapped back onto the original timestamps with :func:`windows_to_timestamps`,
and anomalous stretches are extracted with :func:`find_intervals`.
:func:`detect_intervals` chains these steps around any estimator exposing
``score_samples``.

Detected intervals are evaluated against labelled ones with
:func:`overlap_segment_scores` (the "overlapping segment" scheme used by
Orion / TadGAN) and per-timestamp scores with
:func:`timestamp_scores_metrics`. :func:`make_seasonal_series` plants one
anomaly of a chosen kind in a synthetic seasonal series, for checks.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "Interval",
    "detect_intervals",
    "smooth_scores",
    "find_intervals",
    "intervals_to_labels",
    "make_seasonal_series",
    "make_windows",
    "overlap_segment_scores",
    "sum_overlap_scores",
    "timestamp_scores_metrics",
    "windows_to_timestamps",
]

_AGGREGATES = ("mean", "median", "max")
_THRESHOLD_RULES = ("zscore", "quantile")


class Interval(NamedTuple):
    """A contiguous anomalous stretch of a time series.

    Attributes
    ----------
    start : int
        Position (0-based) of the first anomalous timestamp; with a pandas
        series, its label is ``series.index[start]``.
    end : int
        Position of the last anomalous timestamp (inclusive).
    severity : float
        How far the interval's scores rise above the threshold, in units of
        the standard deviation of the scores (see :func:`find_intervals`).
    """

    start: int
    end: int
    severity: float


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _check_int(value, name, min_value=None, max_value=None):
    """Return ``value`` as a Python int, or raise ValueError naming ``name``."""
    # bool is an Integral subclass, but window=True is always a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    value = int(value)
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {value}.")
    if max_value is not None and value > max_value:
        raise ValueError(f"{name} must be <= {max_value}, got {value}.")
    return value


def _check_real(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    return value


def _as_numeric_array(values, name):
    """Convert array-likes (including pandas objects) to a float64 ndarray."""
    if hasattr(values, "columns"):
        # name the column a datetime or text column would otherwise hide in
        # the whole frame's object dtype
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        for column, dtype in values.dtypes.items():
            if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype)):
                raise TypeError(
                    f"{name} must have a numeric dtype; column {column!r} has dtype {dtype}."
                )
    if hasattr(values, "to_numpy"):
        _check_time_order(values, name)
        values = _pandas_values(values)
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have a numeric dtype, got dtype {values.dtype}.")
    return values.astype(np.float64, copy=False)


def _check_time_order(values, name):
    """Refuse a pandas time index out of order: windows are cut in row order.

    A shuffled or duplicated DatetimeIndex (or TimedeltaIndex, PeriodIndex)
    would give windows of unrelated timestamps and intervals at meaningless
    positions. Other indexes carry no time and are ignored.
    """
    import pandas as pd

    index = getattr(values, "index", None)
    if not isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex, pd.PeriodIndex)):
        return
    if index.hasnans:
        raise ValueError(f"{name}'s time index holds missing timestamps (NaT).")
    steps = np.diff(index.asi8)
    if (steps <= 0).any():
        position = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise ValueError(
            f"{name}'s time index is not strictly increasing (position {position}: "
            f"{index[position]} after {index[position - 1]}); windows are cut in row "
            "order, so sort it and drop duplicate timestamps first "
            "(series.sort_index(), series[~series.index.duplicated()])."
        )


def _pandas_values(values):
    """A pandas Series or DataFrame as an ndarray; numeric columns as float64, NA as NaN.

    A DataFrame of nullable columns (``Float64``, ``Int64``, ``boolean``)
    otherwise becomes an object array, even without a missing value.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    dtypes = values.dtypes if hasattr(values, "columns") else [values.dtype]
    if all(is_numeric_dtype(dtype) or is_bool_dtype(dtype) for dtype in dtypes):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return values.to_numpy()


def _check_finite(values, name, axis_name="index", advice="drop or impute them before windowing"):
    """Raise ValueError pointing at the first NaN / infinite entry."""
    finite = np.isfinite(values)
    if finite.all():
        return
    bad = np.argwhere(~finite)[0]
    first = int(bad[0])
    kind = "NaN" if np.isnan(values[tuple(bad)]) else "infinite values"
    raise ValueError(
        f"{name} contains {kind} (first non-finite value at {axis_name} {first}); {advice}."
    )


def _check_1d_scores(scores, name="scores"):
    scores = _as_numeric_array(scores, name)
    if scores.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_timestamps,), got shape {scores.shape}.")
    if scores.shape[0] == 0:
        raise ValueError(f"{name} is empty.")
    _check_finite(scores, name, advice="a score must be a finite number at every timestamp")
    return scores


def _grid_starts(n_timestamps, window, step):
    """Window starts on a regular grid plus one window flush with the end."""
    starts = np.arange(0, n_timestamps - window + 1, step, dtype=np.int64)
    last = n_timestamps - window
    if starts[-1] != last:
        # The regular grid stops short of the tail when step does not divide
        # (n_timestamps - window); without this window the last timestamps
        # would receive no score at all.
        starts = np.append(starts, np.int64(last))
    return starts


def _check_intervals(intervals, name, n_timestamps=None):
    """Return (starts, ends) int64 arrays from a list of (start, end) pairs."""
    if isinstance(intervals, np.ndarray):
        intervals = intervals.tolist()
    pairs = []
    for i, interval in enumerate(intervals):
        try:
            start, end = interval[0], interval[1]
        except (TypeError, IndexError, KeyError):
            raise ValueError(
                f"{name}[{i}] must be a (start, end) pair, got {interval!r}."
            ) from None
        start = _check_int(start, f"{name}[{i}].start", min_value=0)
        end = _check_int(end, f"{name}[{i}].end", min_value=0)
        if end < start:
            raise ValueError(
                f"{name}[{i}] has end={end} before start={start}; intervals "
                "are inclusive (start, end) pairs."
            )
        if n_timestamps is not None and end >= n_timestamps:
            raise ValueError(
                f"{name}[{i}] ends at {end}, outside a series of {n_timestamps} timestamps."
            )
        pairs.append((start, end))
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


# ---------------------------------------------------------------------------
# Windowing
# ---------------------------------------------------------------------------


def make_windows(
    series: ArrayLike, window: int, step: int = 1
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Cut a time series into fixed-length sliding windows.

    Parameters
    ----------
    series : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
        Univariate or multivariate series. pandas Series and DataFrames are
        accepted; windows are cut in row order, so a time index (datetime,
        timedelta or period) must be strictly increasing. Values must be
        numeric and finite.
    window : int
        Number of timestamps per window, ``1 <= window <= n_timestamps``.
    step : int, default=1
        Distance between the starts of consecutive windows,
        ``1 <= step <= window`` so that no timestamp falls between windows.

    Returns
    -------
    windows : ndarray of shape (n_windows, window) or \
            (n_windows, window, n_channels)
        float64 copy of the windows; 2-D for univariate input, 3-D for
        multivariate input.
    starts : ndarray of shape (n_windows,), dtype int64
        Index of the first timestamp of each window, in increasing order.

    Raises
    ------
    TypeError
        If ``series`` does not have a numeric dtype.
    ValueError
        If ``series`` is empty, has more than two dimensions, contains NaN or
        infinite values, is shorter than ``window``, or if ``window`` or
        ``step`` is not a positive integer or ``step > window``.

    Notes
    -----
    Windows start at ``0, step, 2 * step, ...``. When ``step > 1`` and that
    grid does not end exactly at the last timestamp, one extra window
    ``series[n_timestamps - window:]`` is appended, so every timestamp is
    covered by at least one window and the last window always ends at the
    last timestamp. That extra window may overlap its predecessor by more
    than ``window - step`` timestamps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gan_ad.timeseries import make_windows
    >>> windows, starts = make_windows(np.arange(7), window=3, step=2)
    >>> windows
    array([[0., 1., 2.],
           [2., 3., 4.],
           [4., 5., 6.]])
    >>> starts
    array([0, 2, 4])
    >>> _, starts = make_windows(np.arange(8), window=3, step=2)
    >>> starts
    array([0, 2, 4, 5])
    """
    window = _check_int(window, "window", min_value=1)
    step = _check_int(step, "step", min_value=1)
    values = _as_numeric_array(series, "series")
    if values.ndim == 0 or values.ndim > 2:
        raise ValueError(
            "series must be 1-D (n_timestamps,) or 2-D (n_timestamps, "
            f"n_channels), got an array with ndim={values.ndim}."
        )
    n_timestamps = values.shape[0]
    if n_timestamps == 0 or values.size == 0:
        raise ValueError(f"series is empty (shape {values.shape}).")
    _check_finite(values, "series", axis_name="timestamp index")
    if n_timestamps < window:
        raise ValueError(f"series has {n_timestamps} timestamps, shorter than window={window}.")

    if step > window:
        raise ValueError(
            f"step={step} is larger than window={window}; timestamps between "
            "windows would be covered by none of them."
        )

    starts = _grid_starts(n_timestamps, window, step)
    # sliding_window_view puts the window axis last: (n, [n_channels,] window).
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    windows = view[starts]
    if values.ndim == 2:
        windows = windows.transpose(0, 2, 1)
    # Copy so callers never hold a strided view aliasing the input series.
    return np.ascontiguousarray(windows, dtype=np.float64), starts


def windows_to_timestamps(
    window_values: ArrayLike,
    starts: ArrayLike,
    n_timestamps: int,
    aggregate: str = "mean",
    *,
    window: int | None = None,
) -> NDArray[np.float64]:
    """Aggregate window-level values back onto the timestamps they cover.

    Parameters
    ----------
    window_values : array-like of shape (n_windows,), (n_windows, window) or \
            (n_windows, window, n_channels)
        Values to spread onto timestamps. A 1-D input holds one value per
        window, assigned to every timestamp of that window. A 2-D input holds
        one value per window step (e.g. per-step reconstruction error). A 3-D
        input is summed over its last (channel) axis first.
    starts : array-like of int of shape (n_windows,)
        First timestamp of each window, as returned by :func:`make_windows`.
    n_timestamps : int
        Length of the original series.
    aggregate : {"mean", "median", "max"}, default="mean"
        How to combine the values of overlapping windows at a timestamp.
    window : int, default=None
        Window length. Needed only for 1-D ``window_values``, where it cannot
        be read from the shape; if None it is inferred as
        ``n_timestamps - max(starts)``, which is exact for windows from
        :func:`make_windows` because their last window always ends at the last
        timestamp. For 2-D/3-D input it must equal ``window_values.shape[1]``
        when given.

    Returns
    -------
    timestamp_values : ndarray of shape (n_timestamps,), dtype float64
        Aggregated value at each timestamp.

    Raises
    ------
    ValueError
        If shapes disagree, a window falls outside ``[0, n_timestamps)``,
        values are not finite, ``aggregate`` is unknown, or some timestamp is
        covered by no window.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gan_ad.timeseries import (
    ...     make_windows, windows_to_timestamps)
    >>> windows, starts = make_windows(np.arange(5.0), window=3)
    >>> windows_to_timestamps(windows, starts, 5)
    array([0., 1., 2., 3., 4.])
    >>> windows_to_timestamps([1.0, 2.0, 3.0], starts, 5, aggregate="max")
    array([1., 2., 3., 3., 3.])
    """
    if aggregate not in _AGGREGATES:
        raise ValueError(f"aggregate must be one of {_AGGREGATES}, got {aggregate!r}.")
    n_timestamps = _check_int(n_timestamps, "n_timestamps", min_value=1)
    values = _as_numeric_array(window_values, "window_values")
    if values.ndim not in (1, 2, 3):
        raise ValueError(
            "window_values must be 1-D (n_windows,), 2-D (n_windows, window) "
            "or 3-D (n_windows, window, n_channels), got ndim="
            f"{values.ndim}."
        )
    if values.shape[0] == 0 or values.size == 0:
        raise ValueError(f"window_values is empty (shape {values.shape}).")
    # these are a detector's scores or errors, not the raw series: imputing
    # "before windowing" would not help, the detector produced them
    _check_finite(
        values,
        "window_values",
        axis_name="window",
        advice="every window needs a finite score or error",
    )

    starts_arr = np.asarray(starts)
    if starts_arr.ndim != 1:
        raise ValueError(f"starts must be 1-D (n_windows,), got shape {starts_arr.shape}.")
    if starts_arr.dtype.kind not in "iu":
        # Accept integral floats (e.g. starts that went through a DataFrame),
        # but never silently truncate 2.5 to 2.
        if starts_arr.dtype.kind != "f" or not np.all(
            np.isfinite(starts_arr) & (starts_arr == np.round(starts_arr))
        ):
            raise ValueError(f"starts must contain integers, got dtype {starts_arr.dtype}.")
    beyond = np.flatnonzero(starts_arr >= n_timestamps)
    if beyond.size:
        # before the cast to int64, which a start of 1e20 would overflow
        bad = int(beyond[0])
        raise ValueError(
            f"starts[{bad}]={starts_arr[bad]:g} is outside a series of {n_timestamps} timestamps."
        )
    starts_arr = starts_arr.astype(np.int64)
    if starts_arr.shape[0] != values.shape[0]:
        raise ValueError(
            f"window_values has {values.shape[0]} windows but starts has "
            f"{starts_arr.shape[0]} entries."
        )

    if values.ndim == 3:
        values = values.sum(axis=2)
    if values.ndim == 2:
        if window is not None:
            window = _check_int(window, "window", min_value=1)
            if window != values.shape[1]:
                raise ValueError(
                    f"window={window} does not match window_values.shape[1]={values.shape[1]}."
                )
        window = values.shape[1]
    elif window is None:
        # inferred: the last window ends at the last timestamp
        window = n_timestamps - int(starts_arr.max())
        if window < 1:
            bad = int(starts_arr.argmax())
            raise ValueError(
                f"starts[{bad}]={int(starts_arr[bad])} is outside a series of "
                f"{n_timestamps} timestamps."
            )
    window = _check_int(window, "window", min_value=1)

    if starts_arr.min() < 0 or starts_arr.max() + window > n_timestamps:
        bad = int(np.flatnonzero((starts_arr < 0) | (starts_arr + window > n_timestamps))[0])
        raise ValueError(
            f"starts[{bad}]={int(starts_arr[bad])} puts a window of length "
            f"{window} outside a series of {n_timestamps} timestamps."
        )

    if values.ndim == 1:
        values = np.broadcast_to(values[:, None], (values.shape[0], window))
    idx = (starts_arr[:, None] + np.arange(window, dtype=np.int64)).ravel()
    flat = values.ravel()

    counts = np.bincount(idx, minlength=n_timestamps)
    uncovered = np.flatnonzero(counts == 0)
    if uncovered.size:
        raise ValueError(
            f"{uncovered.size} timestamps are covered by no window (first at "
            f"index {int(uncovered[0])}); use make_windows to get starts that "
            "cover the whole series."
        )

    if aggregate == "mean":
        return np.bincount(idx, weights=flat, minlength=n_timestamps) / counts
    if aggregate == "max":
        out = np.full(n_timestamps, -np.inf)
        np.maximum.at(out, idx, flat)
        return out
    return _grouped_median(idx, flat, counts)


def _grouped_median(idx, flat, counts):
    """Median of ``flat`` grouped by timestamp ``idx``, without a Python loop.

    Values are scattered into a (n_timestamps, max_count) table padded with
    +inf; sorting each short row puts the padding last, so the median sits at
    the positions given by each row's own count.
    """
    order = np.argsort(idx, kind="stable")
    idx_sorted = idx[order]
    offsets = np.cumsum(counts) - counts
    rank = np.arange(idx.shape[0]) - offsets[idx_sorted]
    table = np.full((counts.shape[0], int(counts.max())), np.inf)
    table[idx_sorted, rank] = flat[order]
    table.sort(axis=1)
    rows = np.arange(counts.shape[0])
    lower = table[rows, (counts - 1) // 2]
    upper = table[rows, counts // 2]
    return (lower + upper) / 2.0


# ---------------------------------------------------------------------------
# Interval extraction
# ---------------------------------------------------------------------------


# Scores below 2**500 (about 3e150) leave room for z-score sums and squares.
_LARGEST_SAFE_EXPONENT = 500


def _pointwise_threshold(scores, threshold, z, contamination, local_window, local_step):
    """Return the per-timestamp cut-off a score must exceed to be flagged."""
    n = scores.shape[0]
    if threshold == "quantile":
        return np.full(n, np.quantile(scores, 1.0 - contamination))
    if threshold != "zscore":
        return np.full(n, threshold)

    # A point is flagged if it is anomalous in *any* local window containing
    # it, i.e. if it exceeds the smallest of those windows' cut-offs.
    starts = _grid_starts(n, local_window, local_step)
    cutoff = np.full(n, np.inf)
    for start in starts:
        segment = scores[start : start + local_window]
        local_cutoff = segment.mean() + z * segment.std()
        if segment.min() == segment.max():
            # a constant stretch has no outlier; its rounded mean and std put
            # mean + z * std a hair below the value when z < 1
            local_cutoff = segment.max()
        view = cutoff[start : start + local_window]
        np.minimum(view, local_cutoff, out=view)
    return cutoff


def find_intervals(
    scores,
    *,
    threshold="zscore",
    z=4.0,
    contamination=0.01,
    local_window=None,
    local_step=None,
    min_gap=1,
    min_length=1,
    prune=None,
    padding=0,
):
    """Extract contiguous anomalous intervals from per-timestamp scores.

    Parameters
    ----------
    scores : array-like of shape (n_timestamps,)
        Anomaly score of each timestamp; higher means more anomalous.
    threshold : {"zscore", "quantile"} or float, default="zscore"
        Rule deciding which timestamps are anomalous:

        - ``"zscore"``: a timestamp is flagged if its score exceeds
          ``mean + z * std`` of the scores in some local window containing it
          (TadGAN-style sliding thresholds). Plain mean and population
          standard deviation are used, as in TadGAN, so a very large anomaly
          inflates the statistics of its own local windows; smaller windows
          limit that effect.
        - ``"quantile"``: flagged if the score exceeds the
          ``1 - contamination`` quantile of all scores.
        - a float: flagged if the score exceeds this absolute value.
    z : float, default=4.0
        Number of standard deviations for ``threshold="zscore"``; must be > 0.
    contamination : float, default=0.01
        Expected fraction of anomalous timestamps for
        ``threshold="quantile"``, in ``(0, 0.5]``.
    local_window : int, default=None
        Length of the local windows for ``threshold="zscore"``. Defaults to a
        third of the series length (at least 1). Pass ``len(scores)`` to use
        a single global threshold.
    local_step : int, default=None
        Distance between local windows, at most ``local_window``. Defaults to
        a tenth of ``local_window`` (at least 1). As in :func:`make_windows`,
        a last window flush with the series end is always included.
    min_gap : int, default=1
        Intervals separated by fewer than ``min_gap`` unflagged timestamps
        are merged. The default never merges.
    min_length : int, default=1
        Intervals (after merging) shorter than this many timestamps are
        dropped.
    prune : float or None, default=None
        TadGAN's pruning: sort the intervals by their peak score, append the
        highest unflagged score, and keep intervals only down to the last
        place where the next peak is at least ``prune`` (relatively) lower.
        Small bumps just above the threshold are then dropped when clearly
        stronger intervals exist. ``None`` keeps every interval.
    padding : int, default=0
        Timestamps on either side of every flagged timestamp that are flagged
        with it, before intervals are formed, merged and pruned (Orion's
        ``anomaly_padding``, 50 for TadGAN's windows of 100). The default
        pads nothing.

    Returns
    -------
    intervals : list of Interval
        Sorted by ``start``. ``end`` is inclusive. ``severity`` is
        ``max(scores[i] - cutoff[i] for i in interval) / std(scores)``, where
        ``cutoff[i]`` is the threshold timestamp ``i`` had to exceed (for
        ``"zscore"`` the smallest cut-off among local windows containing
        ``i``) and ``std(scores)`` is the population standard deviation of
        the whole series (1.0 if the scores are constant). Severities are
        therefore positive and comparable across intervals of one series.

    Raises
    ------
    ValueError
        If ``scores`` is not 1-D, empty or non-finite, or a parameter is out
        of range.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gan_ad.timeseries import find_intervals
    >>> scores = np.zeros(20)
    >>> scores[[5, 6, 12]] = [3.0, 4.0, 1.0]
    >>> [(i.start, i.end) for i in find_intervals(scores, threshold=0.5)]
    [(5, 6), (12, 12)]
    >>> [(i.start, i.end)
    ...  for i in find_intervals(scores, threshold=0.5, min_gap=6)]
    [(5, 12)]
    """
    scores = _check_1d_scores(scores)
    n = scores.shape[0]
    if isinstance(threshold, str):
        if threshold not in _THRESHOLD_RULES:
            raise ValueError(
                f"threshold must be one of {_THRESHOLD_RULES} or a float, got {threshold!r}."
            )
    else:
        threshold = _check_real(threshold, "threshold")
    fixed_threshold, raw_threshold = not isinstance(threshold, str), threshold
    z = _check_real(z, "z")
    if z <= 0:
        raise ValueError(f"z must be > 0, got {z}.")
    contamination = _check_real(contamination, "contamination")
    if not 0.0 < contamination <= 0.5:
        raise ValueError(f"contamination must be in (0, 0.5], got {contamination}.")
    if local_window is None:
        local_window = max(1, n // 3)
    local_window = _check_int(local_window, "local_window", min_value=1, max_value=n)
    if local_step is None:
        local_step = max(1, local_window // 10)
    local_step = _check_int(local_step, "local_step", min_value=1, max_value=local_window)
    min_gap = _check_int(min_gap, "min_gap", min_value=1)
    min_length = _check_int(min_length, "min_length", min_value=1)
    padding = _check_int(padding, "padding", min_value=0)
    if prune is not None:
        prune = _check_real(prune, "prune")
        if not 0.0 <= prune < 1.0:
            raise ValueError(f"prune must be in [0, 1) or None, got {prune}.")

    # mean + z * std overflows for scores beyond about 1e154 (the detectors'
    # reach 1e203); every rule is scale-equivariant and a power of two
    # rescales exactly, except for the smallest values, which underflow: so
    # such scores are brought down for the statistics, while a fixed
    # threshold is compared with the scores as given
    unscaled = scores
    exponent = int(np.frexp(np.abs(scores).max())[1])
    if exponent > _LARGEST_SAFE_EXPONENT:
        scores = np.ldexp(scores, -exponent)
        if not isinstance(threshold, str):
            threshold = float(np.ldexp(threshold, -exponent))
    cutoff = _pointwise_threshold(scores, threshold, z, contamination, local_window, local_step)
    flagged = unscaled > raw_threshold if fixed_threshold else scores > cutoff
    if not flagged.any():
        return []
    if padding:
        flagged = _dilate(flagged, padding)

    # Run boundaries of the boolean mask: +1 where a run starts, -1 after it.
    edges = np.diff(np.concatenate(([0], flagged.astype(np.int8), [0])))
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1) - 1

    gaps = run_starts[1:] - run_ends[:-1] - 1
    keep_break = np.concatenate(([True], gaps >= min_gap))
    merged_starts = run_starts[keep_break]
    merged_ends = run_ends[np.concatenate((keep_break[1:], [True]))]

    scale = scores.std()
    if scale == 0:
        scale = 1.0
    excess = scores - cutoff
    intervals = []
    for start, end in zip(merged_starts, merged_ends):
        if end - start + 1 < min_length:
            continue
        severity = float(excess[start : end + 1].max() / scale)
        intervals.append(Interval(int(start), int(end), severity))
    if prune is not None and intervals:
        intervals = _prune(intervals, scores, flagged, prune)
    return intervals


def _dilate(mask, radius):
    """``mask`` with every True extended ``radius`` places to each side."""
    # a True within [i - radius, i + radius] shows as a positive windowed count
    counts = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    index = np.arange(mask.shape[0])
    upper = np.minimum(index + radius + 1, mask.shape[0])
    lower = np.maximum(index - radius, 0)
    return counts[upper] - counts[lower] > 0


def _prune(intervals, scores, flagged, min_drop):
    """Keep the intervals above the last relative drop of at least ``min_drop``."""
    if flagged.all():
        # no unflagged score to drop to (Orion's pruning drops to 0 then):
        # nothing shows the intervals are less than the series itself
        return list(intervals)
    peaks = np.array([scores[i.start : i.end + 1].max() for i in intervals])
    order = np.argsort(-peaks, kind="stable")
    background = scores[~flagged].max()
    # shifted so every value is positive: ratios of negative scores mean nothing
    ladder = np.concatenate((peaks[order], [background]))
    ladder = ladder - min(ladder.min(), 0.0) + 1e-12
    drops = 1.0 - ladder[1:] / ladder[:-1]
    significant = np.flatnonzero(drops >= min_drop)
    if significant.size == 0:
        return []
    kept = set(order[: significant.max() + 1].tolist())
    return [interval for k, interval in enumerate(intervals) if k in kept]


def intervals_to_labels(intervals, n_timestamps: int) -> NDArray[np.int64]:
    """Turn inclusive (start, end) intervals into a 0/1 label per timestamp.

    Parameters
    ----------
    intervals : list of (int, int) or Interval
        Inclusive anomalous intervals; overlaps are allowed.
    n_timestamps : int
        Length of the series.

    Returns
    -------
    labels : ndarray of shape (n_timestamps,), dtype int64
        1 inside any interval, 0 elsewhere.

    Examples
    --------
    >>> from sklearn_gan_ad.timeseries import intervals_to_labels
    >>> intervals_to_labels([(1, 2), (4, 4)], 6)
    array([0, 1, 1, 0, 1, 0])
    """
    n_timestamps = _check_int(n_timestamps, "n_timestamps", min_value=1)
    starts, ends = _check_intervals(intervals, "intervals", n_timestamps)
    # Difference array: +1 at each start, -1 after each end; the running sum
    # counts covering intervals without looping over their lengths.
    delta = np.zeros(n_timestamps + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends + 1, -1)
    return (np.cumsum(delta[:-1]) > 0).astype(np.int64)


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


def _ratio(numerator, denominator):
    return float(numerator / denominator) if denominator else 0.0


def _scores_from_counts(tp, fp, fn):
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {
        "tp": int(tp),
        "fp": int(fp),
        "fn": int(fn),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def overlap_segment_scores(predicted, true) -> dict[str, float]:
    """Score predicted intervals against true ones by segment overlap.

    This is the "overlapping segment" evaluation of Orion / TadGAN
    (``contextual_f1_score`` with ``weighted=False``): only whether segments
    overlap matters, not by how much.

    Parameters
    ----------
    predicted : list of (int, int) or Interval
        Detected inclusive intervals.
    true : list of (int, int) or Interval
        Labelled inclusive anomalous intervals.

    Returns
    -------
    scores : dict
        - ``"tp"``: number of true intervals overlapped by at least one
          predicted interval;
        - ``"fn"``: number of true intervals overlapped by none;
        - ``"fp"``: number of predicted intervals overlapping no true one;
        - ``"precision"``: ``tp / (tp + fp)``;
        - ``"recall"``: ``tp / (tp + fn)``;
        - ``"f1"``: harmonic mean of precision and recall.

        A ratio whose denominator is zero is reported as 0.0, without
        warning. Because precision uses ``tp`` (counted on true intervals),
        several predictions hitting one true interval count once, and the
        counts of several series can be summed (:func:`sum_overlap_scores`).

    Examples
    --------
    >>> from sklearn_gan_ad.timeseries import overlap_segment_scores
    >>> res = overlap_segment_scores([(10, 20), (50, 55)], [(15, 30), (80, 90)])
    >>> res["tp"], res["fp"], res["fn"], res["precision"], res["recall"]
    (1, 1, 1, 0.5, 0.5)
    """
    pred_starts, pred_ends = _check_intervals(predicted, "predicted")
    true_starts, true_ends = _check_intervals(true, "true")
    # Inclusive intervals [a, b] and [c, d] overlap iff a <= d and c <= b.
    overlap = (pred_starts[:, None] <= true_ends[None, :]) & (
        true_starts[None, :] <= pred_ends[:, None]
    )
    tp = int(overlap.any(axis=0).sum())
    fn = int(true_starts.shape[0] - tp)
    fp = int((~overlap.any(axis=1)).sum())
    return _scores_from_counts(tp, fp, fn)


def sum_overlap_scores(results) -> dict[str, float]:
    """Pool :func:`overlap_segment_scores` results over several series.

    Parameters
    ----------
    results : iterable of dict
        Each with integer ``"tp"``, ``"fp"`` and ``"fn"`` entries.

    Returns
    -------
    scores : dict
        Summed ``tp``, ``fp`` and ``fn`` and the precision, recall and F1
        recomputed from those sums (micro-average, as Orion's benchmark
        does). An empty input gives zero counts and 0.0 scores.

    Examples
    --------
    >>> from sklearn_gan_ad.timeseries import sum_overlap_scores
    >>> sum_overlap_scores([{"tp": 1, "fp": 0, "fn": 1},
    ...                     {"tp": 1, "fp": 2, "fn": 0}])["precision"]
    0.5
    """
    totals = {"tp": 0, "fp": 0, "fn": 0}
    for i, result in enumerate(results):
        for key in totals:
            if key not in result:
                raise ValueError(f"results[{i}] has no {key!r} entry.")
            totals[key] += _check_int(result[key], f"results[{i}][{key!r}]", min_value=0)
    return _scores_from_counts(**totals)


def timestamp_scores_metrics(scores: ArrayLike, labels: ArrayLike) -> dict[str, float]:
    """Threshold-free metrics of per-timestamp scores against 0/1 labels.

    Parameters
    ----------
    scores : array-like of shape (n_timestamps,)
        Anomaly scores; higher means more anomalous.
    labels : array-like of shape (n_timestamps,)
        1 for anomalous timestamps, 0 for normal ones, e.g. from
        :func:`intervals_to_labels`.

    Returns
    -------
    metrics : dict
        ``"roc_auc"`` and ``"average_precision"`` (anomalies as the positive
        class), as floats.

    Raises
    ------
    ValueError
        If the lengths differ, labels are not 0/1, scores are not finite, or
        labels contain a single class (both metrics are then undefined).

    Examples
    --------
    >>> from sklearn_gan_ad.timeseries import timestamp_scores_metrics
    >>> timestamp_scores_metrics([0.1, 0.9, 0.2, 0.8], [0, 1, 0, 1])
    {'roc_auc': 1.0, 'average_precision': 1.0}
    """
    scores = _check_1d_scores(scores)
    labels_arr = _as_numeric_array(labels, "labels")
    if labels_arr.ndim != 1:
        raise ValueError(f"labels must be 1-D (n_timestamps,), got shape {labels_arr.shape}.")
    if labels_arr.shape[0] != scores.shape[0]:
        raise ValueError(
            f"scores has {scores.shape[0]} timestamps but labels has {labels_arr.shape[0]}."
        )
    if not np.isin(labels_arr, (0.0, 1.0)).all():
        raise ValueError("labels must contain only 0 (normal) and 1 (anomaly).")
    n_anomalous = int(labels_arr.sum())
    if n_anomalous in (0, labels_arr.shape[0]):
        only = "anomalous" if n_anomalous else "normal"
        raise ValueError(
            f"labels contain a single class (all {only}); ROC AUC and average "
            "precision need both normal and anomalous timestamps."
        )
    labels_int = labels_arr.astype(np.int64)
    return {
        "roc_auc": float(roc_auc_score(labels_int, scores)),
        "average_precision": float(average_precision_score(labels_int, scores)),
    }


# ---------------------------------------------------------------------------
# End-to-end detection
# ---------------------------------------------------------------------------


def _declared_channel_counts(detector):
    """``(parameter name, value)`` of every integer ``n_channels`` the detector declares.

    Its own parameter, or a nested one (``lstmgananomalydetector__n_channels`` in a
    Pipeline, ``estimator__n_channels`` in a search), so that a wrapped detector is
    checked like a bare one.
    """
    params = {}
    get_params = getattr(detector, "get_params", None)
    if callable(get_params):
        params = get_params(deep=True)
    elif hasattr(detector, "n_channels"):
        params = {"n_channels": detector.n_channels}
    return [
        (name, value)
        for name, value in params.items()
        if (name == "n_channels" or name.endswith("__n_channels"))
        and isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
    ]


def _fitted_window_estimator(detector):
    """The fitted window detector inside ``detector`` (itself, a Pipeline's last
    step, a search's best estimator), or None if there is none."""
    while detector is not None and not hasattr(detector, "window_length_"):
        if hasattr(detector, "best_estimator_"):
            detector = detector.best_estimator_
        else:
            steps = getattr(detector, "steps", None)
            detector = steps[-1][1] if steps else None
    return detector


def detect_intervals(
    series,
    detector,
    *,
    window,
    step=1,
    scores="window",
    aggregate="mean",
    smooth="auto",
    fit=True,
    **interval_kwargs,
):
    """Find anomalous intervals in a series with a window-level detector.

    Parameters
    ----------
    series : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
        The series to inspect (see :func:`make_windows`).
    detector : estimator
        Object with ``score_samples(X)`` returning one score per row where
        *lower* means more anomalous (scikit-learn convention), and ``fit(X)``
        if ``fit=True``. Rows of ``X`` are windows flattened row-major to
        ``window * n_channels`` features (all channels of the first step,
        then of the second, ...). With ``scores="step"`` it needs
        ``feature_scores(X)`` instead, returning per-feature anomaly
        contributions of shape ``(n_windows, window * n_channels)`` (higher =
        more anomalous).
    window : int
        Window length.
    step : int, default=1
        Distance between window starts.
    scores : {"window", "step"}, default="window"
        ``"window"`` spreads each window's anomaly score (``-score_samples``)
        over its time steps; ``"step"`` uses the detector's per-step
        contributions (``feature_scores``, summed over channels). Window
        scores gave the better per-timestamp ROC-AUC on NAB and found the
        spike, level shift and frequency change of the synthetic tests; step
        scores gave a slightly higher interval F1 on NAB (docs' benchmark page).
    aggregate : {"mean", "median", "max"}, default="mean"
        How overlapping window scores are combined per timestamp (see
        :func:`windows_to_timestamps`).
    smooth : int or "auto", default="auto"
        Width of the moving average applied to the per-timestamp scores before
        thresholding (:func:`smooth_scores`); 1 disables it. ``"auto"`` is a
        quarter of ``window`` for step scores — spiky per-step errors would
        otherwise break one anomaly into many tiny intervals — and 1 for window
        scores, which spreading over the window already smooths. The width
        follows the window, not the series length, so results do not depend on
        how long the series is.
    fit : bool, default=True
        If True, ``detector.fit`` is called on the windows first. The passed
        object itself is fitted in place (it is not cloned), so it can be
        inspected or reused afterwards. If False, the detector must already
        be fitted on windows of the same shape.
    **interval_kwargs
        Passed on to :func:`find_intervals` (``threshold``, ``z``,
        ``contamination``, ``local_window``, ...). Unless given, one
        threshold for the whole series (``local_window=n_timestamps``),
        ``z=2.0`` and ``min_gap=2 * window`` are used. A timestamp's score
        comes from every window covering it, so one anomalous moment raises
        the scores of a stretch ``2 * window - 1`` long: flags less than two
        windows apart are one event. On NAB (docs' benchmark page) the
        whole-series threshold gave a higher interval F1 than local windows of
        a third of the series for every detector compared: a local window of
        an anomaly-free third flags its own largest bumps. The price: one
        threshold is set by the series' largest anomaly, and a much smaller
        one elsewhere in the same series can stay below it; pass
        ``local_window`` (for example a third of the series) when a series
        holds anomalies of very different sizes.

    Returns
    -------
    intervals : list of Interval
        Detected anomalous intervals, sorted by start, as positions in the
        series (``series.index[interval.start]`` gives a pandas label).
    timestamp_scores : ndarray of shape (n_timestamps,)
        Per-timestamp anomaly scores (higher = more anomalous), in row order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from sklearn_gan_ad.timeseries import detect_intervals
    >>> rng = np.random.RandomState(0)
    >>> t = np.arange(1000)
    >>> x = np.sin(2 * np.pi * t / 50) + 0.05 * rng.randn(1000)
    >>> x[600:700] += 1.0  # level shift
    >>> intervals, scores = detect_intervals(
    ...     x, IsolationForest(random_state=0), window=50, step=5,
    ...     z=2.5, local_window=len(x))
    >>> [(i.start, i.end) for i in intervals]
    [(595, 674)]
    """
    if not isinstance(fit, (bool, np.bool_)):
        raise ValueError(f"fit must be a bool, got {fit!r}.")
    if scores not in ("window", "step"):
        raise ValueError(f"scores must be 'window' or 'step', got {scores!r}.")
    method = "score_samples" if scores == "window" else "feature_scores"
    if not callable(getattr(detector, method, None)):
        raise TypeError(
            f"detector {type(detector).__name__} has no {method} method, "
            f"needed for scores={scores!r}."
        )
    if fit and not callable(getattr(detector, "fit", None)):
        raise TypeError(
            f"detector {type(detector).__name__} has no fit method; pass "
            "fit=False for a pre-fitted scorer."
        )

    windows, starts = make_windows(series, window, step)
    # make_windows always ends its last window at the last timestamp.
    n_timestamps = int(starts[-1]) + window
    n_windows = windows.shape[0]
    n_channels = 1 if windows.ndim == 2 else windows.shape[2]
    fitted = None if fit else _fitted_window_estimator(detector)
    if fitted is not None:
        fitted_shape = (fitted.window_length_, fitted.n_features_in_ // fitted.window_length_)
        if fitted_shape != (window, n_channels):
            # flattened, 16 one-channel steps pass for 8 two-channel ones
            raise ValueError(
                f"the detector was fitted on windows of {fitted_shape[0]} steps x "
                f"{fitted_shape[1]} channel(s); this call gives {window} steps x "
                f"{n_channels} channel(s)."
            )
    declared = [] if fitted is not None else _declared_channel_counts(detector)
    for name, expected_channels in declared:
        # flattened, the windows would pass for univariate windows of another length
        if expected_channels != n_channels:
            raise ValueError(
                f"the series has {n_channels} channel(s) but the detector's {name}="
                f"{expected_channels}; set {name}={n_channels}."
            )
    X = windows.reshape(n_windows, -1)

    if fit:
        if n_windows < 2:
            # the detector's own "minimum of 2 samples" would not say why
            shorter = (
                f"a window of at most {n_timestamps - 1}"
                if n_timestamps > 1
                else "a series of at least 2 timestamps"
            )
            raise ValueError(
                f"a window of {window} leaves one window in a series of {n_timestamps} "
                f"timestamps; fitting needs at least two ({shorter})."
            )
        detector.fit(X)

    if scores == "step":
        contributions = np.asarray(detector.feature_scores(X), dtype=np.float64)
        if contributions.shape != X.shape:
            raise ValueError(
                f"detector.feature_scores returned shape {contributions.shape}, expected {X.shape}."
            )
        window_values = contributions.reshape(n_windows, window, n_channels).sum(axis=2)
    else:
        window_values = -np.asarray(detector.score_samples(X), dtype=np.float64)
        if window_values.shape != (n_windows,):
            raise ValueError(
                f"detector.score_samples returned shape {window_values.shape}, "
                f"expected ({n_windows},)."
            )

    timestamp_scores = windows_to_timestamps(
        window_values, starts, n_timestamps, aggregate, window=window
    )
    if smooth == "auto":
        smooth = max(1, window // 4) if scores == "step" else 1
    timestamp_scores = smooth_scores(timestamp_scores, smooth)
    interval_kwargs = {**_default_interval_rule(window, n_timestamps), **interval_kwargs}
    intervals = find_intervals(timestamp_scores, **interval_kwargs)
    return intervals, timestamp_scores


def _default_interval_rule(window, n_timestamps):
    """The :func:`find_intervals` settings :func:`detect_intervals` uses unless told otherwise."""
    return {"z": 2.0, "min_gap": 2 * window, "local_window": n_timestamps}


def smooth_scores(scores: ArrayLike, width: int) -> NDArray[np.float64]:
    """Centred moving average of per-timestamp scores, edges padded with their value.

    Parameters
    ----------
    scores : array-like of shape (n_timestamps,)
        Per-timestamp scores.
    width : int
        Number of timestamps averaged; 1 returns the scores unchanged.

    Returns
    -------
    smoothed : ndarray of shape (n_timestamps,)

    Examples
    --------
    >>> from sklearn_gan_ad.timeseries import smooth_scores
    >>> smooth_scores([0.0, 0.0, 3.0, 0.0, 0.0], 3)
    array([0., 1., 1., 1., 0.])
    """
    scores = _check_1d_scores(scores)
    width = _check_int(width, "width", min_value=1)
    if width == 1:
        return scores.copy()  # a new array, as for every other width
    padded = np.pad(scores, (width // 2, width - 1 - width // 2), mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")


SYNTHETIC_ANOMALY_KINDS = ("spike", "level_shift", "frequency", "noise_burst", "flat", "shape")

_ANOMALY_LENGTHS = {
    "spike": 3,
    "level_shift": 150,
    "frequency": 150,
    "noise_burst": 100,
    "flat": 100,
    "shape": 100,
}


def _seasonal_values(t, period, peak_width, speed=1.0):
    """A sharp peak once per period on a slow wave: not a sinusoid, so shape matters."""
    phase = (t * speed % period) / period
    return np.exp(-((phase - 0.3) ** 2) / peak_width) + 0.3 * np.sin(2 * np.pi * t / (4 * period))


def make_seasonal_series(
    kind: str,
    *,
    n_train: int = 3000,
    n_test: int = 2000,
    period: int = 50,
    noise: float = 0.05,
    random_state=None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """A seasonal series with one planted anomaly of a given kind, for checks and benchmarks.

    The normal behaviour is a sharp peak once every ``period`` steps on a
    slower wave, plus Gaussian noise. The training part is clean; the test
    part, which continues it, holds one anomaly starting between 900 and 1,100
    steps in:

    - ``"spike"``: three steps raised by 3;
    - ``"level_shift"``: 150 steps raised by 1;
    - ``"frequency"``: 150 steps at twice the frequency;
    - ``"noise_burst"``: 100 steps with noise of standard deviation 0.4 added;
    - ``"flat"``: 100 steps frozen at their first value;
    - ``"shape"``: 100 steps whose peaks are wide bumps of the same height.

    Parameters
    ----------
    kind : str
        One of :data:`SYNTHETIC_ANOMALY_KINDS`.
    n_train, n_test : int, default=3000, 2000
        Lengths of the clean training part and of the test part
        (``n_test`` at least 1,300).
    period : int, default=50
        Steps per season.
    noise : float, default=0.05
        Standard deviation of the noise.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise and the anomaly's position.

    Returns
    -------
    train : ndarray of shape (n_train,)
    test : ndarray of shape (n_test,)
    labels : ndarray of shape (n_test,) of int
        1 inside the planted anomaly, 0 elsewhere.

    Examples
    --------
    >>> from sklearn_gan_ad.timeseries import make_seasonal_series
    >>> train, test, labels = make_seasonal_series("level_shift", random_state=0)
    >>> train.shape, test.shape, int(labels.sum())
    ((3000,), (2000,), 150)
    """
    from sklearn.utils import check_random_state

    if kind not in SYNTHETIC_ANOMALY_KINDS:
        raise ValueError(f"kind must be one of {SYNTHETIC_ANOMALY_KINDS}, got {kind!r}.")
    n_train = _check_int(n_train, "n_train", min_value=1)
    n_test = _check_int(n_test, "n_test", min_value=1300)
    period = _check_int(period, "period", min_value=4)
    noise = _check_real(noise, "noise")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise}.")
    rng = check_random_state(random_state)
    t = np.arange(n_train + n_test, dtype=np.float64)
    series = _seasonal_values(t, period, 0.002) + noise * rng.randn(len(t))
    train, test = series[:n_train], series[n_train:].copy()
    start = 900 + int(rng.randint(0, 200))
    length = _ANOMALY_LENGTHS[kind]
    segment = slice(start, start + length)
    t_segment = t[n_train:][segment]
    segment_noise = noise * rng.randn(length)
    if kind == "spike":
        test[segment] += 3.0
    elif kind == "level_shift":
        test[segment] += 1.0
    elif kind == "frequency":
        test[segment] = _seasonal_values(t_segment, period, 0.002, speed=2.0) + segment_noise
    elif kind == "noise_burst":
        test[segment] += 0.4 * rng.randn(length)
    elif kind == "flat":
        test[segment] = test[start]
    else:  # shape
        test[segment] = _seasonal_values(t_segment, period, 0.02) + segment_noise
    labels = np.zeros(n_test, dtype=np.int64)
    labels[segment] = 1
    return train, test, labels
