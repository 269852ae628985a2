"""Plotting: every figure is written as a non-empty PNG, without a display."""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor

from sklearn_gan_ad.compare import compare
from sklearn_gan_ad.plotting import (
    _span_bounds,
    plot_comparison,
    plot_decision_boundary,
    plot_series,
)
from sklearn_gan_ad.timeseries import Interval

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert len(data) > 0
    assert data[:8] == PNG_MAGIC


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(80, 2)), rng.normal(loc=5.0, size=(8, 2))])
    y = np.r_[np.zeros(80, dtype=int), np.ones(8, dtype=int)]
    return X, y


@pytest.fixture(scope="module")
def detectors():
    return {"iforest": IsolationForest(random_state=0), "lof": LocalOutlierFactor(novelty=True)}


def test_plot_comparison_writes_png(blobs, detectors, tmp_path):
    result = compare(*blobs, detectors, seeds=(0,))
    path = tmp_path / "report.png"
    assert plot_comparison(result, path) == path
    assert_png(path)


def test_plot_comparison_without_labels_writes_png(blobs, detectors, tmp_path):
    result = compare(blobs[0], None, detectors, seeds=(0,))
    path = plot_comparison(result, tmp_path / "report.png")
    assert_png(path)


def test_plot_decision_boundary_writes_png(blobs, detectors, tmp_path):
    X, y = blobs
    path = plot_decision_boundary(detectors, X, tmp_path / "boundary.png", y=y, resolution=30)
    assert_png(path)


def test_plot_decision_boundary_leaves_given_detectors_unfitted(blobs, detectors, tmp_path):
    plot_decision_boundary(detectors, blobs[0], tmp_path / "boundary.png", resolution=20)
    assert not hasattr(detectors["iforest"], "estimators_")


def test_plot_decision_boundary_rejects_data_without_two_columns(detectors, tmp_path):
    with pytest.raises(ValueError, match="2 columns"):
        plot_decision_boundary(detectors, np.zeros((10, 3)), tmp_path / "boundary.png")


def test_plot_decision_boundary_rejects_plus_minus_one_labels(blobs, detectors, tmp_path):
    X, y = blobs
    # scikit-learn's +1 inlier / -1 outlier coding would draw the inliers as anomalies
    with pytest.raises(ValueError, match=r"\(y == -1\)\.astype\(int\)"):
        plot_decision_boundary(detectors, X, tmp_path / "boundary.png", y=1 - 2 * y)


def test_plot_series_writes_png(tmp_path):
    series = np.sin(np.arange(200) / 5.0)
    path = plot_series(
        series,
        [Interval(50, 60, 1.2), (120, 120)],
        tmp_path / "series.png",
        true_windows=[(48, 62)],
    )
    assert_png(path)


@pytest.mark.parametrize(
    "intervals, message",
    [([(40, 80)], "outside a series of 50"), ([(-5, 3)], ">= 0"), ([(5, 2)], "before start")],
    ids=["past the end", "negative start", "reversed"],
)
def test_plot_series_rejects_an_interval_that_is_not_in_the_series(intervals, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        plot_series(np.zeros(50), intervals, tmp_path / "series.png")


def test_plot_series_rejects_an_empty_dict_of_panels(tmp_path):
    with pytest.raises(ValueError, match="empty dict"):
        plot_series(np.zeros(50), {}, tmp_path / "series.png")


def test_plot_series_with_datetimes_and_one_panel_per_detector_writes_png(tmp_path):
    series = np.cos(np.arange(100) / 4.0)
    timestamps = np.datetime64("2024-01-01T00") + np.arange(100).astype("timedelta64[h]")
    path = plot_series(
        series,
        {"a": [(10, 12)], "b": []},
        tmp_path / "series.png",
        true_windows=[(9, 14)],
        timestamps=timestamps,
    )
    assert_png(path)


def test_a_one_timestamp_interval_at_the_last_timestamp_spans_one_spacing():
    times = np.arange("2024-01-01T00:00", "2024-01-01T00:05", dtype="datetime64[m]")
    start, end = _span_bounds(4, 4, times)
    assert end - start == np.timedelta64(1, "m")


def test_the_figure_format_follows_the_path_extension(tmp_path):
    path = plot_series(np.sin(np.arange(50.0)), [(10, 12)], tmp_path / "series.pdf")
    assert path.read_bytes()[:5] == b"%PDF-"


def test_a_figure_format_matplotlib_cannot_write_is_refused_before_fitting(blobs, tmp_path):
    class MustNotFit(IsolationForest):
        def fit(self, X, y=None):
            raise AssertionError("fitted before the path was checked")

    with pytest.raises(ValueError, match="cannot write a figure as .*report.xlsx"):
        plot_decision_boundary({"x": MustNotFit()}, blobs[0], tmp_path / "report.xlsx")


@pytest.mark.parametrize("resolution", [1, 0, 2.5])
def test_plot_decision_boundary_rejects_a_resolution_below_two_points(blobs, resolution, tmp_path):
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(
            {"iforest": IsolationForest()}, blobs[0], tmp_path / "b.png", resolution=resolution
        )


def test_plot_series_refuses_text_timestamps_saying_to_convert_them(tmp_path):
    text = [str(day) for day in pd.date_range("2024-01-01", periods=10)]
    with pytest.raises(TypeError, match="not text"):
        plot_series(np.zeros(10), [(2, 3)], tmp_path / "series.png", timestamps=text)


def test_plot_series_rejects_timestamps_of_another_length(tmp_path):
    with pytest.raises(ValueError, match="timestamps"):
        plot_series(np.zeros(10), [], tmp_path / "series.png", timestamps=np.arange(9))


def test_plotting_leaves_pyplot_state_alone(blobs, detectors, tmp_path):
    pyplot = pytest.importorskip("matplotlib.pyplot")
    before = pyplot.get_fignums()
    plot_series(np.zeros(10), [(2, 3)], tmp_path / "series.png")
    assert pyplot.get_fignums() == before


def test_missing_matplotlib_raises_import_error_saying_how_to_install(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_series(np.zeros(10), [], tmp_path / "series.png")
