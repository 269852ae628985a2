"""Property-based tests: random shapes, dtypes, scales and seeds for both detectors."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw):
    n_rows = draw(st.integers(2, 60))
    n_features = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**16))
    scale = draw(st.sampled_from([1e-9, 1e-3, 1.0, 1e3, 1e9]))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    X = np.random.RandomState(seed).normal(size=(n_rows, n_features)) * scale
    if np.issubdtype(dtype, np.integer):
        X = np.round(X / scale * 10)
    return X.astype(dtype), seed


@SETTINGS
@given(data=tables())
def test_valid_tables_fit_to_finite_float64_scores_of_the_right_length(data):
    X, seed = data
    detector = GANAnomalyDetector(hidden_layer_sizes=(8,), epochs=2, random_state=seed).fit(X)
    scores = detector.score_samples(X)
    assert scores.dtype == np.float64 and scores.shape == (len(X),)
    assert np.all(np.isfinite(scores))


@SETTINGS
@given(data=tables())
def test_predict_matches_the_sign_of_decision_function(data):
    X, seed = data
    detector = GANAnomalyDetector(hidden_layer_sizes=(8,), epochs=2, random_state=seed).fit(X)
    np.testing.assert_array_equal(
        detector.predict(X), np.where(detector.decision_function(X) < 0, -1, 1)
    )


@SETTINGS
@given(
    n_windows=st.integers(2, 30),
    window_length=st.integers(1, 12),
    n_channels=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_valid_windows_fit_to_finite_scores(n_windows, window_length, n_channels, seed):
    X = np.random.RandomState(seed).normal(size=(n_windows, window_length * n_channels))
    detector = LSTMGANAnomalyDetector(
        n_channels=n_channels, hidden_size=4, epochs=1, random_state=seed
    ).fit(X)
    scores = detector.score_samples(X)
    assert scores.shape == (n_windows,) and np.all(np.isfinite(scores))


@SETTINGS
@given(
    position=st.tuples(st.integers(0, 9), st.integers(0, 2)),
    bad_value=st.sampled_from([np.nan, np.inf, -np.inf]),
    detector_class=st.sampled_from([GANAnomalyDetector, LSTMGANAnomalyDetector]),
)
def test_non_finite_input_always_raises_value_error(position, bad_value, detector_class):
    X = np.random.RandomState(0).normal(size=(10, 3))
    X[position] = bad_value
    with pytest.raises(ValueError, match="NaN|infinity"):
        detector_class(epochs=1).fit(X)
