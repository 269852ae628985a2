"""Specification tests for sklearn_gan_ad.timeseries."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gan_ad import LSTMGANAnomalyDetector
from sklearn_gan_ad.timeseries import (
    SYNTHETIC_ANOMALY_KINDS,
    Interval,
    detect_intervals,
    find_intervals,
    intervals_to_labels,
    make_seasonal_series,
    make_windows,
    overlap_segment_scores,
    smooth_scores,
    sum_overlap_scores,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

AGGREGATES = ["mean", "median", "max"]


# ---------------------------------------------------------------------------
# make_windows
# ---------------------------------------------------------------------------


def test_make_windows_1d_shapes_and_starts():
    windows, starts = make_windows(np.arange(6), window=3)

    assert_array_equal(windows, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])
    assert_array_equal(starts, [0, 1, 2, 3])
    assert windows.dtype == np.float64
    assert starts.dtype == np.int64


def test_make_windows_2d_puts_channels_last():
    series = np.column_stack([np.arange(5), 10 + np.arange(5)])

    windows, starts = make_windows(series, window=2, step=2)

    assert windows.shape == (3, 2, 2)
    assert_array_equal(starts, [0, 2, 3])
    assert_array_equal(windows[1], [[2, 12], [3, 13]])
    assert_array_equal(windows[2], [[3, 13], [4, 14]])


def test_make_windows_step_adds_tail_window_when_grid_misses_end():
    _, starts = make_windows(np.arange(8), window=3, step=2)

    # Grid 0, 2, 4 ends at timestamp 6; the extra window covers 5..7.
    assert_array_equal(starts, [0, 2, 4, 5])


def test_make_windows_step_adds_no_window_when_grid_reaches_end():
    _, starts = make_windows(np.arange(7), window=3, step=2)

    assert_array_equal(starts, [0, 2, 4])


def test_make_windows_window_equal_to_length_gives_one_window():
    windows, starts = make_windows([1.0, 2.0, 3.0], window=3, step=3)

    assert_array_equal(windows, [[1, 2, 3]])
    assert_array_equal(starts, [0])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    window=st.integers(1, 60),
    step=st.integers(1, 60),
)
def test_make_windows_covers_every_timestamp(n, window, step):
    if window > n or step > window:
        return
    windows, starts = make_windows(np.arange(n), window=window, step=step)

    covered = np.zeros(n, dtype=bool)
    for start in starts:
        covered[start : start + window] = True
    assert covered.all()
    assert starts[-1] + window == n
    assert np.all(np.diff(starts) > 0)
    assert_array_equal(windows[:, 0], starts)


def test_make_windows_accepts_pandas_objects():
    series = pd.Series([0.0, 1.0, 2.0, 3.0])
    frame = pd.DataFrame({"a": [0, 1, 2, 3], "b": [4, 5, 6, 7]})

    w_series, _ = make_windows(series, window=2)
    w_frame, _ = make_windows(frame, window=2)

    assert_array_equal(w_series, [[0, 1], [1, 2], [2, 3]])
    assert_array_equal(w_frame[0], [[0, 4], [1, 5]])


@pytest.mark.parametrize("dtype", ["Float64", "Int64"])
def test_make_windows_reads_nullable_dataframe_columns(dtype):
    frame = pd.DataFrame({"a": [0, 1, 2, 3], "b": [4, 5, 6, 7]})

    windows, _ = make_windows(frame.astype(dtype), window=2)

    assert_array_equal(windows, make_windows(frame, window=2)[0])


def test_make_windows_names_a_missing_value_of_a_nullable_dataframe():
    frame = pd.DataFrame({"a": [0.0, 1.0, None, 3.0], "b": [4.0, 5.0, 6.0, 7.0]}).astype("Float64")

    with pytest.raises(ValueError, match="NaN .*index 2"):
        make_windows(frame, window=2)


def test_make_windows_returns_copy_not_view_of_input():
    series = np.arange(5.0)

    windows, _ = make_windows(series, window=2)
    windows[0, 0] = 99.0

    assert series[0] == 0.0


def test_make_windows_rejects_nan():
    series = np.arange(6.0)
    series[3] = np.nan

    with pytest.raises(ValueError, match=r"series contains NaN.*index 3"):
        make_windows(series, window=2)


def test_make_windows_rejects_infinite_values_with_timestamp_index():
    series = np.zeros((6, 2))
    series[4, 1] = np.inf

    with pytest.raises(ValueError, match=r"infinite.*index 4"):
        make_windows(series, window=2)


def test_make_windows_rejects_series_shorter_than_window():
    with pytest.raises(ValueError, match="series has 5 timestamps, shorter than window=10"):
        make_windows(np.arange(5), window=10)


@pytest.mark.parametrize("window", [0, -3])
def test_make_windows_rejects_nonpositive_window(window):
    with pytest.raises(ValueError, match="window must be >= 1"):
        make_windows(np.arange(5), window=window)


@pytest.mark.parametrize("step", [0, -1])
def test_make_windows_rejects_nonpositive_step(step):
    with pytest.raises(ValueError, match="step must be >= 1"):
        make_windows(np.arange(5), window=2, step=step)


@pytest.mark.parametrize("window", [2.5, 3.0, True, "3"])
def test_make_windows_rejects_non_integer_window(window):
    with pytest.raises(ValueError, match="window must be an integer"):
        make_windows(np.arange(5), window=window)


def test_make_windows_rejects_step_larger_than_window():
    with pytest.raises(ValueError, match="step=3 is larger than window=2"):
        make_windows(np.arange(10), window=2, step=3)


def test_make_windows_rejects_non_integer_step():
    with pytest.raises(ValueError, match="step must be an integer"):
        make_windows(np.arange(5), window=2, step=1.5)


def test_make_windows_rejects_empty_series():
    with pytest.raises(ValueError, match="series is empty"):
        make_windows([], window=1)


@pytest.mark.parametrize("shape", [(), (4, 2, 2)])
def test_make_windows_rejects_wrong_ndim(shape):
    with pytest.raises(ValueError, match="ndim"):
        make_windows(np.zeros(shape), window=1)


def test_make_windows_rejects_non_numeric_dtype():
    with pytest.raises(TypeError, match="numeric dtype"):
        make_windows(np.array(["a", "b", "c"]), window=2)


def test_make_windows_names_the_non_numeric_column_of_a_dataframe():
    frame = pd.DataFrame({"value": np.arange(10.0), "when": pd.date_range("2024", periods=10)})
    with pytest.raises(TypeError, match="column 'when' has dtype datetime64"):
        make_windows(frame, window=3)


# ---------------------------------------------------------------------------
# windows_to_timestamps
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("aggregate", AGGREGATES)
@pytest.mark.parametrize("window, step", [(1, 1), (4, 1), (4, 3), (11, 2)])
def test_windows_to_timestamps_round_trips_windows(aggregate, window, step):
    series = np.arange(11.0)
    windows, starts = make_windows(series, window=window, step=step)

    restored = windows_to_timestamps(windows, starts, 11, aggregate)

    assert_array_equal(restored, series)


@pytest.mark.parametrize(
    "aggregate, expected",
    [
        ("mean", [1, 1, 2.5, 4, 5.5, 7, 7]),
        ("median", [1, 1, 2.5, 4, 5.5, 7, 7]),
        ("max", [1, 1, 4, 4, 7, 7, 7]),
    ],
)
def test_windows_to_timestamps_spreads_one_score_per_window(aggregate, expected):
    # Windows of length 3 start at 0, 2, 4 over 7 timestamps.
    starts = np.array([0, 2, 4])

    result = windows_to_timestamps([1.0, 4.0, 7.0], starts, 7, aggregate)

    assert_allclose(result, expected)


@pytest.mark.parametrize(
    "aggregate, expected",
    [
        ("mean", [1, 6, 41, 115, 300]),
        ("median", [1, 6, 20, 115, 300]),
        ("max", [1, 10, 100, 200, 300]),
    ],
)
def test_windows_to_timestamps_aggregates_per_step_values(aggregate, expected):
    values = np.array([[1, 2, 3], [10, 20, 30], [100, 200, 300]])
    # Timestamp 2 sees (3, 20, 100): odd count; timestamp 3 sees (30, 200).

    result = windows_to_timestamps(values, [0, 1, 2], 5, aggregate)

    assert_allclose(result, expected)


def test_windows_to_timestamps_sums_channels_of_3d_values():
    values = np.arange(24.0).reshape(4, 3, 2)

    result = windows_to_timestamps(values, [0, 1, 2, 3], 6)

    assert_allclose(result, windows_to_timestamps(values.sum(axis=2), [0, 1, 2, 3], 6))


def test_windows_to_timestamps_infers_window_of_1d_values_from_last_start():
    _, starts = make_windows(np.arange(10), window=4, step=4)  # 0, 4, 6
    values = np.array([0.0, 1.0, 2.0])

    inferred = windows_to_timestamps(values, starts, 10, "max")
    explicit = windows_to_timestamps(values, starts, 10, "max", window=4)

    assert_array_equal(inferred, explicit)
    assert_array_equal(inferred, [0, 0, 0, 0, 1, 1, 2, 2, 2, 2])


def _python_calls_during(function, *args):
    """Python-level function calls made while ``function(*args)`` runs."""
    import gc
    import sys

    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "call"

    # finalizers of garbage left by earlier tests (a scoring thread pool's
    # weakref callbacks) would otherwise run, and count, inside the window
    gc.collect()
    gc.disable()
    sys.setprofile(count)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
        gc.enable()
    return calls


@pytest.mark.parametrize("aggregate", ["mean", "median", "max"])
def test_windows_to_timestamps_makes_as_many_python_calls_for_a_long_series_as_a_short_one(
    aggregate,
):
    # vectorised: the work grows inside numpy, not in a Python loop per
    # timestamp or window (its speed is timed in benchmarks/perf.py)
    rng = np.random.RandomState(0)
    calls = []
    for n_timestamps in (1_000, 20_000):
        windows, starts = make_windows(rng.randn(n_timestamps), window=100)
        values = rng.rand(*windows.shape)
        calls.append(
            _python_calls_during(windows_to_timestamps, values, starts, n_timestamps, aggregate)
        )
    assert calls[0] == calls[1]


def test_windows_to_timestamps_rejects_uncovered_timestamps():
    with pytest.raises(ValueError, match=r"covered by no window.*index 2"):
        windows_to_timestamps(np.ones((2, 2)), [0, 5], 7)


def test_windows_to_timestamps_rejects_length_mismatch():
    with pytest.raises(ValueError, match="3 windows but starts has 2"):
        windows_to_timestamps(np.ones((3, 2)), [0, 1], 4)


@pytest.mark.parametrize("starts", [[-1, 1], [0, 3]])
def test_windows_to_timestamps_rejects_window_outside_series(starts):
    with pytest.raises(ValueError, match="outside a series of 4 timestamps"):
        windows_to_timestamps(np.ones((2, 2)), starts, 4)


def test_windows_to_timestamps_names_a_start_past_the_series_when_window_is_inferred():
    with pytest.raises(ValueError, match=r"starts\[3\]=9 is outside a series of 8 timestamps"):
        windows_to_timestamps(np.ones(4), [0, 2, 4, 9], 8)


def test_windows_to_timestamps_rejects_non_integer_starts():
    with pytest.raises(ValueError, match="starts must contain integers"):
        windows_to_timestamps(np.ones((2, 2)), [0.0, 1.5], 4)


def test_windows_to_timestamps_rejects_unknown_aggregate():
    with pytest.raises(ValueError, match="aggregate must be one of"):
        windows_to_timestamps(np.ones((2, 2)), [0, 1], 3, "sum")


def test_windows_to_timestamps_rejects_window_disagreeing_with_shape():
    with pytest.raises(ValueError, match="window=3 does not match"):
        windows_to_timestamps(np.ones((2, 2)), [0, 1], 3, window=3)


def test_windows_to_timestamps_rejects_nan_values():
    with pytest.raises(ValueError, match="window_values contains NaN"):
        windows_to_timestamps([1.0, np.nan], [0, 1], 3, window=2)


def test_windows_to_timestamps_nan_error_does_not_advise_imputing_the_series():
    with pytest.raises(ValueError) as excinfo:
        windows_to_timestamps([1.0, np.nan], [0, 1], 3, window=2)
    message = str(excinfo.value)
    assert "before windowing" not in message
    assert "finite score or error" in message


# ---------------------------------------------------------------------------
# find_intervals
# ---------------------------------------------------------------------------


def test_interval_is_a_named_tuple_of_start_end_severity():
    interval = Interval(3, 5, 1.5)

    assert interval._fields == ("start", "end", "severity")
    assert tuple(interval) == (3, 5, 1.5)


def test_find_intervals_finds_single_spike_with_global_zscore():
    scores = np.zeros(20)
    scores[7] = 10.0
    # Spike z-score is sqrt(19) ~ 4.36 > 3.
    mean, std = 0.5, np.sqrt(100 / 20 - 0.5**2)

    intervals = find_intervals(scores, z=3.0, local_window=20)

    assert [(i.start, i.end) for i in intervals] == [(7, 7)]
    assert intervals[0].severity == pytest.approx((10 - (mean + 3 * std)) / std)


def test_find_intervals_returns_plain_python_types():
    scores = np.zeros(20)
    scores[7] = 10.0

    (interval,) = find_intervals(scores, threshold=1.0)

    assert type(interval.start) is int
    assert type(interval.end) is int
    assert type(interval.severity) is float


def test_find_intervals_local_windows_catch_spike_masked_globally():
    scores = np.zeros(300)
    scores[50] = 100.0
    scores[250] = 5.0

    global_only = find_intervals(scores, local_window=300)
    local = find_intervals(scores, local_window=100, local_step=10)

    assert [(i.start, i.end) for i in global_only] == [(50, 50)]
    assert [(i.start, i.end) for i in local] == [(50, 50), (250, 250)]


def test_find_intervals_default_local_windows_flag_spike():
    scores = np.zeros(300)
    scores[120] = 1.0

    intervals = find_intervals(scores)

    assert [(i.start, i.end) for i in intervals] == [(120, 120)]


def test_find_intervals_constant_scores_give_no_interval():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_intervals(np.full(50, 3.0)) == []


def test_find_intervals_float_threshold_is_strict():
    scores = np.array([0.0, 1.0, 2.0, 1.0, 0.0])

    intervals = find_intervals(scores, threshold=1.0)

    assert [(i.start, i.end) for i in intervals] == [(2, 2)]


def test_find_intervals_merges_intervals_closer_than_min_gap():
    scores = np.zeros(15)
    scores[[5, 6, 9]] = 1.0  # two unflagged points (7, 8) between runs

    separate = find_intervals(scores, threshold=0.5, min_gap=2)
    merged = find_intervals(scores, threshold=0.5, min_gap=3)

    assert [(i.start, i.end) for i in separate] == [(5, 6), (9, 9)]
    assert [(i.start, i.end) for i in merged] == [(5, 9)]


def test_find_intervals_drops_intervals_shorter_than_min_length():
    scores = np.zeros(15)
    scores[[2, 8, 9, 10]] = 1.0

    intervals = find_intervals(scores, threshold=0.5, min_length=2)

    assert [(i.start, i.end) for i in intervals] == [(8, 10)]


def test_find_intervals_applies_min_length_after_merging():
    scores = np.zeros(15)
    scores[[4, 6]] = 1.0

    intervals = find_intervals(scores, threshold=0.5, min_gap=2, min_length=3)

    assert [(i.start, i.end) for i in intervals] == [(4, 6)]


def test_find_intervals_padding_widens_each_flagged_run_within_the_series():
    scores = np.zeros(20)
    scores[[1, 10, 11]] = 1.0

    intervals = find_intervals(scores, threshold=0.5, padding=3)

    assert [(i.start, i.end) for i in intervals] == [(0, 4), (7, 14)]


def test_find_intervals_padding_joins_runs_less_than_twice_the_padding_apart():
    scores = np.zeros(20)
    scores[[5, 10]] = 1.0  # four unflagged timestamps between them

    apart = find_intervals(scores, threshold=0.5, padding=1)
    joined = find_intervals(scores, threshold=0.5, padding=2)

    assert [(i.start, i.end) for i in apart] == [(4, 6), (9, 11)]
    assert [(i.start, i.end) for i in joined] == [(3, 12)]


def test_find_intervals_padding_keeps_the_severity_of_the_flagged_peak():
    scores = np.zeros(20)
    scores[10] = 2.0

    plain = find_intervals(scores, threshold=0.5)
    padded = find_intervals(scores, threshold=0.5, padding=4)

    assert padded[0].severity == plain[0].severity


def test_find_intervals_quantile_rule_flags_top_fraction():
    scores = np.arange(100.0)
    # 0.95 quantile of 0..99 is 94.05, so 95..99 exceed it.

    intervals = find_intervals(scores, threshold="quantile", contamination=0.05)

    assert [(i.start, i.end) for i in intervals] == [(95, 99)]
    assert intervals[0].severity == pytest.approx((99 - 94.05) / scores.std())


def test_find_intervals_severity_ranks_higher_peaks_higher():
    scores = np.zeros(20)
    scores[3] = 3.0
    scores[12] = 6.0
    std = scores.std()

    intervals = find_intervals(scores, threshold=1.0)

    # Sorted by start, not by severity.
    assert [(i.start, i.end) for i in intervals] == [(3, 3), (12, 12)]
    assert intervals[0].severity == pytest.approx(2.0 / std)
    assert intervals[1].severity == pytest.approx(5.0 / std)


def test_find_intervals_returns_empty_list_when_nothing_exceeds():
    assert find_intervals(np.arange(10.0), threshold=100.0) == []


def test_find_intervals_rejects_nan_scores():
    with pytest.raises(ValueError, match=r"scores contains NaN.*index 1"):
        find_intervals([0.0, np.nan, 1.0])


def test_a_nan_score_is_reported_without_advice_about_windowing():
    with pytest.raises(ValueError, match="scores contains NaN") as error:
        find_intervals(np.array([0.0, np.nan, 1.0]))
    assert "windowing" not in str(error.value)


@pytest.mark.parametrize("z", [0.0, -1.0])
def test_find_intervals_rejects_nonpositive_z(z):
    with pytest.raises(ValueError, match="z must be > 0"):
        find_intervals(np.arange(10.0), z=z)


@pytest.mark.parametrize("contamination", [0.0, -0.1, 0.6])
def test_find_intervals_rejects_contamination_out_of_range(contamination):
    with pytest.raises(ValueError, match=r"contamination must be in \(0, 0.5\]"):
        find_intervals(np.arange(10.0), threshold="quantile", contamination=contamination)


def test_find_intervals_rejects_unknown_threshold_rule():
    with pytest.raises(ValueError, match="threshold must be one of"):
        find_intervals(np.arange(10.0), threshold="iqr")


def test_find_intervals_rejects_local_window_longer_than_scores():
    with pytest.raises(ValueError, match="local_window must be <= 10"):
        find_intervals(np.arange(10.0), local_window=11)


def test_find_intervals_rejects_local_step_longer_than_local_window():
    with pytest.raises(ValueError, match="local_step must be <= 5"):
        find_intervals(np.arange(10.0), local_window=5, local_step=6)


@pytest.mark.parametrize("param", ["min_gap", "min_length"])
def test_find_intervals_rejects_nonpositive_gap_and_length(param):
    with pytest.raises(ValueError, match=f"{param} must be >= 1"):
        find_intervals(np.arange(10.0), **{param: 0})


def test_find_intervals_rejects_negative_padding():
    with pytest.raises(ValueError, match="padding must be >= 0"):
        find_intervals(np.arange(10.0), padding=-1)


def test_find_intervals_rejects_2d_scores():
    with pytest.raises(ValueError, match="scores must be 1-D"):
        find_intervals(np.zeros((5, 2)))


# ---------------------------------------------------------------------------
# intervals_to_labels
# ---------------------------------------------------------------------------


def test_intervals_to_labels_marks_inclusive_intervals():
    labels = intervals_to_labels([(1, 2), (4, 4)], 6)

    assert_array_equal(labels, [0, 1, 1, 0, 1, 0])
    assert labels.dtype == np.int64


def test_intervals_to_labels_handles_overlaps_and_interval_objects():
    labels = intervals_to_labels([Interval(0, 3, 1.0), Interval(2, 5, 2.0)], 7)

    assert_array_equal(labels, [1, 1, 1, 1, 1, 1, 0])


def test_intervals_to_labels_of_no_interval_is_all_zero():
    assert_array_equal(intervals_to_labels([], 3), [0, 0, 0])


def test_intervals_to_labels_rejects_interval_past_series_end():
    with pytest.raises(ValueError, match="ends at 6, outside a series of 6"):
        intervals_to_labels([(4, 6)], 6)


def test_intervals_to_labels_rejects_reversed_interval():
    with pytest.raises(ValueError, match="end=1 before start=3"):
        intervals_to_labels([(3, 1)], 6)


# ---------------------------------------------------------------------------
# overlap_segment_scores / sum_overlap_scores
# ---------------------------------------------------------------------------


def _counts(result):
    return result["tp"], result["fp"], result["fn"]


def test_overlap_segment_scores_perfect_detection():
    intervals = [(10, 20), (50, 60)]

    result = overlap_segment_scores(intervals, intervals)

    assert _counts(result) == (2, 0, 0)
    assert result["precision"] == result["recall"] == result["f1"] == 1.0


def test_overlap_segment_scores_counts_unmatched_prediction_as_fp():
    result = overlap_segment_scores([(10, 20), (30, 35)], [(12, 15)])

    assert _counts(result) == (1, 1, 0)
    assert result["precision"] == 0.5
    assert result["recall"] == 1.0
    assert result["f1"] == pytest.approx(2 / 3)


def test_overlap_segment_scores_counts_missed_truth_as_fn():
    result = overlap_segment_scores([(10, 20)], [(12, 15), (40, 45)])

    assert _counts(result) == (1, 0, 1)
    assert result["precision"] == 1.0
    assert result["recall"] == 0.5
    assert result["f1"] == pytest.approx(2 / 3)


def test_overlap_segment_scores_treats_ends_as_inclusive():
    touching = overlap_segment_scores([(0, 5)], [(5, 9)])
    adjacent = overlap_segment_scores([(0, 4)], [(5, 9)])

    assert _counts(touching) == (1, 0, 0)
    assert _counts(adjacent) == (0, 1, 1)


def test_overlap_segment_scores_counts_truth_hit_twice_once():
    result = overlap_segment_scores([(0, 2), (4, 6)], [(1, 5)])

    assert _counts(result) == (1, 0, 0)
    assert result["f1"] == 1.0


def test_overlap_segment_scores_accepts_interval_objects():
    result = overlap_segment_scores([Interval(3, 4, 0.5)], [Interval(4, 8, 0.0)])

    assert _counts(result) == (1, 0, 0)


@pytest.mark.parametrize(
    "predicted, true, counts",
    [
        ([], [(1, 2), (5, 6)], (0, 0, 2)),
        ([(1, 2)], [], (0, 1, 0)),
        ([], [], (0, 0, 0)),
    ],
)
def test_overlap_segment_scores_empty_cases_give_zero_without_warning(predicted, true, counts):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = overlap_segment_scores(predicted, true)

    assert _counts(result) == counts
    assert result["precision"] == result["recall"] == result["f1"] == 0.0


def test_overlap_segment_scores_rejects_reversed_interval():
    with pytest.raises(ValueError, match=r"predicted\[0\] has end=1"):
        overlap_segment_scores([(3, 1)], [(0, 1)])


def test_sum_overlap_scores_pools_counts_before_ratios():
    first = overlap_segment_scores([(10, 20), (30, 35)], [(12, 15)])  # 1,1,0
    second = overlap_segment_scores([(10, 20)], [(12, 15), (40, 45)])  # 1,0,1

    pooled = sum_overlap_scores([first, second])

    assert _counts(pooled) == (2, 1, 1)
    assert pooled["precision"] == pytest.approx(2 / 3)
    assert pooled["recall"] == pytest.approx(2 / 3)
    assert pooled["f1"] == pytest.approx(2 / 3)


def test_sum_overlap_scores_of_nothing_is_zero():
    pooled = sum_overlap_scores([])

    assert _counts(pooled) == (0, 0, 0)
    assert pooled["f1"] == 0.0


def test_sum_overlap_scores_rejects_result_without_counts():
    with pytest.raises(ValueError, match="results\\[0\\] has no 'fn' entry"):
        sum_overlap_scores([{"tp": 1, "fp": 0}])


# ---------------------------------------------------------------------------
# timestamp_scores_metrics
# ---------------------------------------------------------------------------


def test_timestamp_scores_metrics_perfect_ranking():
    result = timestamp_scores_metrics([0.1, 0.9, 0.2, 0.8], [0, 1, 0, 1])

    assert result == {"roc_auc": 1.0, "average_precision": 1.0}


def test_timestamp_scores_metrics_hand_computed_values():
    # One of four (normal, anomaly) pairs is mis-ordered: AUC 3/4.
    # Ranked: 0.8 (hit, P=1), 0.4 (miss), 0.35 (hit, P=2/3) -> AP 5/6.
    result = timestamp_scores_metrics([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])

    assert result["roc_auc"] == pytest.approx(0.75)
    assert result["average_precision"] == pytest.approx(5 / 6)


@pytest.mark.parametrize("labels", [[0, 0, 0], [1, 1, 1]])
def test_timestamp_scores_metrics_rejects_single_class(labels):
    with pytest.raises(ValueError, match="single class"):
        timestamp_scores_metrics([0.1, 0.2, 0.3], labels)


def test_timestamp_scores_metrics_rejects_non_binary_labels():
    with pytest.raises(ValueError, match="only 0"):
        timestamp_scores_metrics([0.1, 0.2, 0.3], [0, 1, 2])


def test_timestamp_scores_metrics_rejects_length_mismatch():
    with pytest.raises(ValueError, match="3 timestamps but labels has 2"):
        timestamp_scores_metrics([0.1, 0.2, 0.3], [0, 1])


# ---------------------------------------------------------------------------
# detect_intervals
# ---------------------------------------------------------------------------

# One setting for every synthetic anomaly: 50-step windows (one sine
# period), and a single global z-score cut. The anomalies below make up to
# 10 % of the series and inflate the score std, hence z=2.5 rather than 4.
DETECT_PARAMS = dict(window=50, step=5, z=2.5, local_window=2000)


def _sine(seed=0, n=2000, period=50):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return np.sin(2 * np.pi * t / period) + 0.05 * rng.randn(n), rng


def _detect(series):
    return detect_intervals(series, IsolationForest(random_state=0), **DETECT_PARAMS)


def test_detect_intervals_finds_short_spike():
    series, _ = _sine()
    # A 3-sample burst: IsolationForest splits on one raw feature at a time,
    # so a single-sample spike (1 of 50 features) is isolated only by chance.
    series[1000:1003] += 3.0

    intervals, scores = _detect(series)

    assert _counts(overlap_segment_scores(intervals, [(1000, 1002)])) == (1, 0, 0)
    assert scores.shape == (2000,)


def test_detect_intervals_finds_level_shift():
    series, _ = _sine()
    series[1200:1350] += 1.0

    intervals, _ = _detect(series)

    assert _counts(overlap_segment_scores(intervals, [(1200, 1349)])) == (1, 0, 0)


def test_detect_intervals_finds_frequency_change():
    series, rng = _sine()
    t = np.arange(700, 900)
    series[700:900] = np.sin(2 * np.pi * t / 20) + 0.05 * rng.randn(200)

    intervals, _ = _detect(series)

    assert _counts(overlap_segment_scores(intervals, [(700, 899)])) == (1, 0, 0)


def test_detect_intervals_fits_passed_detector_in_place():
    detector = IsolationForest(n_estimators=10, random_state=0)

    detect_intervals(np.sin(np.arange(200) / 5), detector, window=20, step=5)

    assert hasattr(detector, "estimators_")


def test_detect_intervals_fit_false_reuses_fitted_detector():
    series = np.sin(np.arange(300) / 5)
    detector = IsolationForest(n_estimators=10, random_state=0)
    _, fitted_scores = detect_intervals(series, detector, window=20, step=5)

    _, reused_scores = detect_intervals(series, detector, window=20, step=5, fit=False)

    assert_array_equal(reused_scores, fitted_scores)


def test_detect_intervals_without_fitting_refuses_another_channel_layout_than_the_fit():
    two_channels = np.column_stack([np.sin(np.arange(120) / 5), np.cos(np.arange(120) / 5)])
    detector = LSTMGANAnomalyDetector(n_channels=2, hidden_size=4, epochs=1, random_state=0)
    detect_intervals(two_channels, detector, window=8, step=4)
    detector.set_params(n_channels=1)  # for the next fit, not this one
    # 16 one-channel steps flatten to as many values as 8 two-channel ones
    with pytest.raises(ValueError, match="fitted on windows of 8 steps x 2 channel"):
        detect_intervals(two_channels[:, 0], detector, window=16, step=4, fit=False)


@pytest.mark.parametrize(
    "index",
    [
        pd.date_range("2024-01-01", periods=60, freq="h")[::-1],
        pd.date_range("2024-01-01", periods=30, freq="h").append(
            pd.date_range("2024-01-01", periods=30, freq="h")
        ),
    ],
    ids=["descending", "duplicated"],
)
def test_make_windows_refuses_a_time_index_that_is_not_strictly_increasing(index):
    series = pd.Series(np.arange(60.0), index=index)
    with pytest.raises(ValueError, match="time index is not strictly increasing"):
        make_windows(series, window=5)


def test_make_windows_ignores_an_index_that_holds_no_time():
    series = pd.Series(np.arange(10.0), index=np.arange(10)[::-1])
    windows, _ = make_windows(series, window=5)
    assert_array_equal(windows[0], np.arange(5.0))


class _RecordingDetector:
    """Scores each window by minus its row index; records what it was fit on."""

    def fit(self, X):
        self.X_fit_ = X
        return self

    def score_samples(self, X):
        return -np.arange(X.shape[0], dtype=float)


class _FeatureScoringDetector(_RecordingDetector):
    def feature_scores(self, X):
        return X

    def score_samples(self, X):
        raise AssertionError("feature_scores should take precedence")


class _FixedWindowScores:
    """Pre-fitted detector whose window anomaly scores are given (higher = more anomalous)."""

    def __init__(self, anomaly_scores):
        self.anomaly_scores = np.asarray(anomaly_scores, dtype=float)

    def score_samples(self, X):
        assert X.shape[0] == self.anomaly_scores.shape[0]
        return -self.anomaly_scores


def _quiet_scores_with_events(n_windows, events, seed=0):
    scores = 0.01 * np.random.RandomState(seed).randn(n_windows)
    for start, stop, value in events:
        scores[start:stop] = value
    return scores


def test_detect_intervals_thresholds_the_whole_series_at_once_by_default():
    # a clear event in the first third, a small bump in a quiet last third:
    # a threshold local to that third would flag the bump as well
    window_scores = _quiet_scores_with_events(2991, [(400, 420, 10.0), (2500, 2505, 0.3)])
    detect = dict(window=10, fit=False)

    default, _ = detect_intervals(np.zeros(3000), _FixedWindowScores(window_scores), **detect)
    local, _ = detect_intervals(
        np.zeros(3000), _FixedWindowScores(window_scores), local_window=1000, **detect
    )

    assert _counts(overlap_segment_scores(default, [(400, 429)])) == (1, 0, 0)
    assert _counts(overlap_segment_scores(local, [(2500, 2514)]))[0] == 1


def test_detect_intervals_merges_flags_less_than_two_windows_apart_by_default():
    # two flagged stretches 15 timestamps apart with windows of 10: one event
    window_scores = _quiet_scores_with_events(2991, [(1000, 1005, 10.0), (1030, 1035, 10.0)])

    intervals, _ = detect_intervals(
        np.zeros(3000), _FixedWindowScores(window_scores), window=10, fit=False
    )

    assert len(intervals) == 1


def test_detect_intervals_flattens_channels_row_major():
    series = np.column_stack([np.arange(6), 100 + np.arange(6)])
    detector = _RecordingDetector()

    detect_intervals(series, detector, window=3, threshold=1e9)

    assert detector.X_fit_.shape == (4, 6)
    assert_array_equal(detector.X_fit_[0], [0, 100, 1, 101, 2, 102])


def test_detect_intervals_spreads_negated_score_samples():
    # Windows of 3 start at 0, 2, 4 and score 0, 1, 2; max per timestamp.
    intervals, scores = detect_intervals(
        np.arange(7.0),
        _RecordingDetector(),
        window=3,
        step=2,
        aggregate="max",
        threshold=1.5,
    )

    assert_array_equal(scores, [0, 0, 1, 1, 2, 2, 2])
    assert [(i.start, i.end) for i in intervals] == [(4, 6)]


def test_detect_intervals_step_scores_are_feature_scores_summed_over_channels():
    series = np.column_stack([np.arange(6.0), 100 + np.arange(6.0)])

    _, scores = detect_intervals(
        series,
        _FeatureScoringDetector(),
        window=3,
        scores="step",
        aggregate="mean",
        smooth=1,
        threshold=1e9,
    )

    # Each step's contribution is x0 + x1 = 2 t + 100 in every window.
    assert_allclose(scores, 2 * np.arange(6) + 100)


def test_detect_intervals_rejects_detector_without_scores():
    with pytest.raises(TypeError, match="no score_samples method"):
        detect_intervals(np.arange(10.0), object(), window=3)


def test_detect_intervals_step_scores_need_feature_scores():
    with pytest.raises(TypeError, match="no feature_scores method"):
        detect_intervals(np.arange(10.0), _RecordingDetector(), window=3, scores="step")


def test_detect_intervals_rejects_unknown_score_source():
    with pytest.raises(ValueError, match="scores must be 'window' or 'step'"):
        detect_intervals(np.arange(10.0), _RecordingDetector(), window=3, scores="point")


def test_detect_intervals_says_a_window_as_long_as_the_series_leaves_one_window():
    with pytest.raises(ValueError, match=r"leaves one window .*\(a window of at most 29\)"):
        detect_intervals(np.sin(np.arange(30.0)), IsolationForest(), window=30)


def test_smooth_scores_is_a_centred_moving_average():
    assert_allclose(smooth_scores([0.0, 0.0, 3.0, 0.0, 0.0], 3), [0, 1, 1, 1, 0])


def test_smooth_scores_of_width_one_returns_the_scores():
    assert_allclose(smooth_scores([1.0, 5.0, 2.0], 1), [1.0, 5.0, 2.0])


def test_smooth_scores_of_width_one_is_a_new_array():
    scores = np.array([1.0, 5.0, 2.0])

    smooth_scores(scores, 1)[0] = 9.0

    assert scores[0] == 1.0


@pytest.mark.parametrize("z", [0.1, 0.5, 0.9])
def test_find_intervals_flags_nothing_in_a_constant_stretch_whatever_z(z):
    scores = np.r_[np.full(300, 0.1), np.random.RandomState(1).rand(300)]

    intervals = find_intervals(scores, z=z, local_window=100, local_step=10)

    assert all(i.start >= 200 for i in intervals)


@pytest.mark.parametrize("size", [1e160, 1e300])
def test_find_intervals_flags_scores_too_large_for_a_plain_z_score(size):
    scores = np.r_[np.zeros(50), size, np.zeros(50)]

    intervals = find_intervals(scores, local_window=101)

    assert [(i.start, i.end) for i in intervals] == [(50, 50)]


def test_find_intervals_of_huge_scores_keeps_a_fixed_threshold_in_their_units():
    scores = np.r_[np.zeros(5), 3e200, 1e200, np.zeros(5)]

    intervals = find_intervals(scores, threshold=2e200)

    assert [(i.start, i.end) for i in intervals] == [(5, 5)]


def test_detect_intervals_rejects_a_detector_expecting_other_channels():
    series = np.column_stack([np.arange(40.0), np.arange(40.0)])
    detector = _RecordingDetector()
    detector.n_channels = 1

    with pytest.raises(ValueError, match="2 channel.*n_channels=1"):
        detect_intervals(series, detector, window=5)


def test_detect_intervals_checks_the_channels_of_a_detector_inside_a_pipeline():
    series = np.column_stack([np.arange(40.0), np.arange(40.0)])
    pipeline = make_pipeline(StandardScaler(), LSTMGANAnomalyDetector(epochs=1))

    with pytest.raises(ValueError, match="2 channel.*lstmgananomalydetector__n_channels=1"):
        detect_intervals(series, pipeline, window=5)


def test_pruning_drops_intervals_far_weaker_than_the_strongest():
    # TadGAN's rule: a weak interval barely above the unflagged background
    # goes when a far stronger one exists
    scores = np.full(100, 0.85)
    scores[10], scores[50] = 10.0, 0.95
    kept = find_intervals(scores, threshold=0.9, prune=0.5)
    assert [(i.start, i.end) for i in kept] == [(10, 10)]


def test_detect_intervals_rejects_bad_interval_kwargs():
    with pytest.raises(TypeError, match="unexpected keyword"):
        detect_intervals(np.arange(10.0), _RecordingDetector(), window=3, zz=2.0)


@pytest.mark.parametrize("kind", SYNTHETIC_ANOMALY_KINDS)
def test_make_seasonal_series_plants_one_contiguous_anomaly_in_the_test_part(kind):
    train, test, labels = make_seasonal_series(kind, random_state=0)
    assert train.shape == (3000,) and test.shape == labels.shape == (2000,)
    inside = np.flatnonzero(labels)
    assert len(inside) > 0 and np.all(np.diff(inside) == 1)


def test_make_seasonal_series_is_reproducible_with_a_random_state():
    first = make_seasonal_series("shape", random_state=3)
    second = make_seasonal_series("shape", random_state=3)
    for a, b in zip(first, second):
        assert_array_equal(a, b)


def test_make_seasonal_series_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        make_seasonal_series("earthquake")


@pytest.mark.parametrize("noise", [np.nan, -0.1, "0.1"])
def test_make_seasonal_series_rejects_a_noise_level_that_is_not_a_standard_deviation(noise):
    with pytest.raises(ValueError, match="noise"):
        make_seasonal_series("spike", noise=noise)


def test_a_fixed_threshold_flags_tiny_scores_beside_huge_ones():
    # the statistics rescale scores beyond 2**500; 2**-500 must not become 0 for it
    intervals = find_intervals(np.array([2.0**600, 2.0**-500, 0.0]), threshold=0.0)
    assert [(i.start, i.end) for i in intervals] == [(0, 1)]


def test_pruning_keeps_an_interval_that_covers_the_whole_series():
    intervals = find_intervals(np.array([2.0, 2.0, 2.0]), threshold=1.0, prune=0.1)
    assert [(i.start, i.end) for i in intervals] == [(0, 2)]


def test_windows_to_timestamps_names_a_float_start_far_beyond_the_series():
    with pytest.raises(ValueError, match=r"starts\[0\]=1e\+20 is outside a series of 1"):
        windows_to_timestamps(np.array([1.0]), np.array([1e20]), 1)
