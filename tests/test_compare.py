"""compare(): the protocol, its result tables, detector resolution and the default data set."""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gan_ad import GANAnomalyDetector
from sklearn_gan_ad.compare import (
    ComparisonResult,
    HeldOutScores,
    PyODAdapter,
    available_detectors,
    compare,
    make_detector,
)
from sklearn_gan_ad.datasets import load_default_dataset

FAST_GAN = dict(epochs=5, hidden_layer_sizes=(16,), random_state=0)
METRICS = ["roc_auc", "average_precision", "flagged_share", "fit_seconds", "score_seconds"]


@pytest.fixture(scope="module")
def blobs():
    """100 normal rows and 10 far-away anomalies: every sane detector ranks them first."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(100, 3)), rng.normal(loc=6.0, size=(10, 3))])
    y = np.r_[np.zeros(100, dtype=int), np.ones(10, dtype=int)]
    return X, y


class RecordingDetector(OutlierMixin, BaseEstimator):
    """Detector that remembers what each fit saw (class-level, as compare clones it)."""

    fits = []

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        type(self).fits.append({"random_state": self.random_state, "X": np.array(X), "y": y})
        self.offset_ = -1.0
        return self

    def score_samples(self, X):
        return -np.abs(np.asarray(X)).sum(axis=1)

    def decision_function(self, X):
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        return np.where(self.decision_function(X) < 0, -1, 1)


@pytest.fixture
def recording():
    RecordingDetector.fits = []
    yield RecordingDetector
    RecordingDetector.fits = []


def test_runs_has_one_row_per_detector_and_seed(blobs):
    X, y = blobs
    result = compare(X, y, {"a": IsolationForest()}, seeds=(0, 1, 2))
    assert isinstance(result, ComparisonResult)
    assert list(result.runs["detector"]) == ["a"] * 3
    assert list(result.runs["seed"]) == [0, 1, 2]
    assert list(result.runs.columns) == ["detector", "seed", "n_train", "n_test", *METRICS]


def test_pipeline_detector_is_accepted(blobs):
    X, y = blobs
    pipeline = make_pipeline(StandardScaler(), IsolationForest())
    result = compare(X, y, {"scaled iforest": pipeline}, seeds=(0,))
    assert result.runs.loc[0, "roc_auc"] > 0.9


def test_gan_detector_separates_planted_anomalies(blobs):
    X, y = blobs
    result = compare(X, y, {"gan": GANAnomalyDetector(**FAST_GAN)}, seeds=(0,))
    assert result.runs.loc[0, "roc_auc"] > 0.9


def test_summary_has_mean_and_std_of_each_metric(blobs):
    X, y = blobs
    result = compare(X, y, {"a": IsolationForest()}, seeds=(0, 1))
    expected = [f"{metric}_{stat}" for metric in METRICS for stat in ("mean", "std")]
    assert list(result.summary.columns) == expected
    assert result.summary.loc["a", "roc_auc_mean"] == pytest.approx(result.runs["roc_auc"].mean())


def test_summary_keeps_the_order_detectors_were_given(blobs):
    X, y = blobs
    detectors = {"z": IsolationForest(), "a": LocalOutlierFactor(novelty=True)}
    result = compare(X, y, detectors, seeds=(0,))
    assert list(result.summary.index) == ["z", "a"]


def test_without_labels_only_flagged_share_and_times_are_reported(blobs):
    X, _ = blobs
    result = compare(X, None, {"a": IsolationForest()}, seeds=(0,))
    assert not {"roc_auc", "average_precision"} & set(result.runs.columns)
    assert {"flagged_share", "fit_seconds", "score_seconds"} <= set(result.runs.columns)
    assert "ROC-AUC" not in result.to_string()


def test_each_fit_gets_its_seed_as_random_state(blobs, recording):
    X, y = blobs
    compare(X, y, {"r": recording(random_state=99)}, seeds=(3, 7))
    assert [fit["random_state"] for fit in recording.fits] == [3, 7]


def test_nested_random_state_of_a_pipeline_is_seeded(blobs, recording):
    X, y = blobs
    compare(X, y, {"r": make_pipeline(StandardScaler(), recording())}, seeds=(5,))
    assert recording.fits[0]["random_state"] == 5


def test_detectors_are_fitted_on_the_standardised_train_part_without_labels(blobs, recording):
    X, y = blobs
    compare(X, y, {"r": recording()}, seeds=(0,), test_size=0.3)
    seen = recording.fits[0]
    assert seen["y"] is None
    assert len(seen["X"]) == 77  # 70 % of 110 rows
    np.testing.assert_allclose(seen["X"].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(seen["X"].std(axis=0), 1.0)


def test_scale_false_passes_raw_features(blobs, recording):
    X, y = blobs
    compare(X, y, {"r": recording()}, seeds=(0,), scale=False)
    assert np.isin(recording.fits[0]["X"], X).all()


def test_split_is_stratified_on_labels(blobs):
    X, y = blobs
    result = compare(X, y, {"a": IsolationForest()}, seeds=(0, 1))
    for held_out in result.scores.values():
        assert held_out.labels.sum() == 3  # 30 % of the 10 anomalies


def test_scores_hold_the_last_seeds_test_part(blobs):
    X, y = blobs
    result = compare(X, y, {"a": IsolationForest()}, seeds=(0, 4))
    held_out = result.scores["a"]
    assert held_out.seed == 4
    assert held_out.anomaly_scores.shape == held_out.labels.shape == (33,)
    flagged = result.runs.iloc[-1]["flagged_share"]
    assert np.mean(held_out.anomaly_scores > held_out.threshold) == pytest.approx(flagged)


def test_to_string_shows_every_detector_and_metric(blobs):
    X, y = blobs
    result = compare(X, y, {"first": IsolationForest(), "second": IsolationForest()}, seeds=(0, 1))
    text = result.to_string()
    for word in ("first", "second", "ROC-AUC", "AP", "flagged", "fit s", "score s", "±"):
        assert word in text


def test_progress_bar_goes_to_stderr(blobs, capsys):
    X, y = blobs
    compare(X, y, {"a": IsolationForest()}, seeds=(0,), progress=True)
    captured = capsys.readouterr()
    assert "compare" in captured.err
    assert captured.out == ""


def test_names_are_resolved_from_the_registry(blobs):
    X, y = blobs
    result = compare(X, y, ["IsolationForest", "LocalOutlierFactor"], seeds=(0,))
    assert list(result.summary.index) == ["IsolationForest", "LocalOutlierFactor"]


def test_available_detectors_lists_the_default_lineup_and_pyod_names():
    names = available_detectors()
    assert names[:4] == [
        "GANAnomalyDetector",
        "IsolationForest",
        "LocalOutlierFactor",
        "OneClassSVM",
    ]
    assert "pyod:AutoEncoder" in names


def test_make_detector_builds_lof_for_novelty_detection():
    assert make_detector("LocalOutlierFactor").novelty is True


@pytest.mark.parametrize(
    "y, match",
    [
        (np.r_[np.zeros(100), np.full(10, 2)], "binary"),
        (np.r_[np.ones(100), np.full(10, -1)], r"\+1 inlier / -1 outlier"),
        (np.zeros(110), "1 = anomaly|holds 0 anomalies"),
        (np.r_[np.zeros(109), 1], "at least 2"),
        (np.zeros(5), "110 rows but y has 5"),
    ],
)
def test_invalid_labels_raise_value_error(blobs, y, match):
    X, _ = blobs
    with pytest.raises(ValueError, match=match):
        compare(X, y, {"a": IsolationForest()}, seeds=(0,))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(detectors=["NoSuchDetector"]), "unknown detector 'NoSuchDetector'"),
        (dict(detectors={}), "empty"),
        (dict(detectors={"lof": LocalOutlierFactor()}), "novelty=True"),
        (dict(seeds=()), "seeds is empty"),
        (dict(seeds=(0, 0)), "distinct"),
        (dict(seeds=(-1,)), r"integers in \[0, 2\*\*32\)"),
        (dict(seeds=(2**32,)), r"integers in \[0, 2\*\*32\)"),
        (dict(test_size=1.5), "test_size"),
    ],
)
def test_invalid_arguments_raise_value_error(blobs, kwargs, match):
    X, y = blobs
    kwargs = {"detectors": {"a": IsolationForest()}, **kwargs}
    with pytest.raises(ValueError, match=match):
        compare(X, y, **kwargs)


def test_nan_in_X_raises_value_error(blobs):
    X, y = blobs
    X = X.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        compare(X, y, {"a": IsolationForest()}, seeds=(0,))


def test_pyod_name_without_pyod_raises_import_error(monkeypatch):
    # a None entry makes `import pyod...` fail even where PyOD is installed
    monkeypatch.setitem(sys.modules, "pyod", None)
    with pytest.raises(ImportError, match="pip install pyod"):
        make_detector("pyod:AutoEncoder")


def test_pyod_adapter_without_pyod_raises_import_error(blobs, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyod", None)
    with pytest.raises(ImportError, match="needs PyOD"):
        PyODAdapter("ECOD").fit(blobs[0])


class FakePyODDetector(BaseEstimator):
    """PyOD's conventions: decision_function higher = more abnormal, predict 1 = outlier."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        self.threshold_ = 2.0
        return self

    def decision_function(self, X):
        return np.abs(np.asarray(X)[:, 0])

    def predict(self, X):
        return (self.decision_function(X) > self.threshold_).astype(int)


def test_pyod_adapter_converts_pyod_conventions_to_scikit_learns():
    X = np.array([[0.5], [3.0], [1.0]])
    adapter = PyODAdapter(FakePyODDetector(), random_state=4).fit(X)
    np.testing.assert_allclose(adapter.score_samples(X), [-0.5, -3.0, -1.0])
    np.testing.assert_array_equal(adapter.predict(X), [1, -1, 1])
    np.testing.assert_array_equal(adapter.decision_function(X) < 0, [False, True, False])
    assert adapter.detector_.random_state == 4


class FakePyODDetectorWithContamination(FakePyODDetector):
    def __init__(self, random_state=None, contamination=0.1):
        super().__init__(random_state)
        self.contamination = contamination


def test_pyod_adapter_sets_the_wrapped_models_contamination():
    X = np.array([[0.5], [3.0], [1.0]])
    adapter = PyODAdapter(FakePyODDetectorWithContamination(), contamination=0.3).fit(X)
    assert adapter.detector_.contamination == 0.3


def test_pyod_adapter_refuses_rows_of_another_width():
    adapter = PyODAdapter(FakePyODDetector()).fit(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="3 features"):
        adapter.score_samples(np.zeros((2, 2)))


@pytest.mark.parametrize("contamination", [0.7, 0.0, "0.1"])
def test_pyod_adapter_refuses_a_contamination_outside_pyods_range(contamination):
    adapter = PyODAdapter(FakePyODDetectorWithContamination(), contamination=contamination)
    with pytest.raises(ValueError, match=r"contamination must be in \(0, 0.5\]"):
        adapter.fit(np.zeros((5, 1)))


class FakeDeepSVDD(FakePyODDetector):
    """Like PyOD's DeepSVDD: cannot be built without the width of its input."""

    def __init__(self, n_features, random_state=None):
        super().__init__(random_state)
        self.n_features = n_features


def test_pyod_adapter_builds_a_named_model_with_the_width_it_requires(monkeypatch):
    # the module, not the compare function the package exports under its name
    module = sys.modules["sklearn_gan_ad.compare"]
    monkeypatch.setattr(module, "_import_pyod_class", lambda name: FakeDeepSVDD)
    adapter = PyODAdapter("pyod:DeepSVDD").fit(np.zeros((5, 3)))
    assert adapter.detector_.n_features == 3


def test_a_raw_pyod_model_is_refused_with_a_hint_to_wrap_it(blobs):
    raw = type("KNN", (FakePyODDetector,), {"__module__": "pyod.models.knn"})()
    with pytest.raises(ValueError, match="wrap a PyOD model in sklearn_gan_ad.PyODAdapter"):
        compare(*blobs, {"knn": raw}, seeds=(0,))


def test_compare_accepts_a_numpy_float_test_size(blobs):
    result = compare(*blobs, {"a": IsolationForest()}, seeds=(0,), test_size=np.float32(0.3))
    assert result.test_size == pytest.approx(0.3)


def test_compare_refuses_a_test_size_leaving_a_part_without_one_row_per_class():
    X, y = np.arange(8.0).reshape(4, 2), np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="puts 1 of 4 rows in the test part"):
        compare(X, y, {"a": IsolationForest()}, seeds=(0,), test_size=0.25)


def test_the_comparison_helpers_are_importable_from_the_package():
    import sklearn_gan_ad

    assert sklearn_gan_ad.HeldOutScores is HeldOutScores
    assert sklearn_gan_ad.make_detector is make_detector


class FailingDetector(BaseEstimator):
    def fit(self, X, y=None):
        raise RuntimeError("boom")

    def score_samples(self, X):
        return np.zeros(len(X))

    def predict(self, X):
        return np.ones(len(X), dtype=int)


def test_a_failing_detector_is_named_with_its_seed(blobs):
    X, y = blobs
    with pytest.raises(RuntimeError, match="boom") as raised:
        compare(X, y, {"iforest": IsolationForest(), "fails": FailingDetector()}, seeds=(3,))
    assert "(raised by detector 'fails' on seed 3)" in raised.value.__notes__


def test_default_dataset_has_benign_normals_and_ten_percent_malignant_anomalies():
    X, y = load_default_dataset()
    assert isinstance(X, pd.DataFrame)
    assert X.shape == (393, 30)
    assert "mean radius" in X.columns
    assert (y == 0).sum() == 357 and (y == 1).sum() == 36


def test_default_dataset_is_reproducible_per_seed():
    X_a, y_a = load_default_dataset(random_state=0)
    X_b, y_b = load_default_dataset(random_state=0)
    X_c, _ = load_default_dataset(random_state=1)
    pd.testing.assert_frame_equal(X_a, X_b)
    np.testing.assert_array_equal(y_a, y_b)
    assert not X_a.equals(X_c)
