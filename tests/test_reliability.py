"""Bad input, hard data, training faults, reproducibility and safe persistence."""

import io
import json
import pickle
import subprocess
import sys
import threading
import weakref

import numpy as np
import pytest
import scipy.sparse
import torch
from joblib import parallel_backend
from skorch.callbacks import Callback

from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector, load
from sklearn_gan_ad.callbacks import EarlyStopping, TrainingDivergedError

FAST = dict(hidden_layer_sizes=(16,), epochs=5, random_state=0)
RNG = np.random.RandomState(0)
X = RNG.normal(size=(100, 4))


def fitted_detector():
    return GANAnomalyDetector(**FAST).fit(X)


# -- bad input: one clear error each, before any training ------------------------------


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (np.where(np.eye(100, 4) > 0, np.nan, X), ValueError, "NaN"),
        (np.where(np.eye(100, 4) > 0, np.inf, X), ValueError, "infinity"),
        (np.where(np.eye(100, 4) > 0, -np.inf, X), ValueError, "infinity"),
        (np.empty((0, 4)), ValueError, "0 sample"),
        (X[:1], ValueError, "1 sample"),
        (np.empty((100, 0)), ValueError, "0 feature"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), ValueError, "could not convert"),
        (X + 1j, ValueError, "Complex data not supported"),
        (scipy.sparse.csr_matrix(X), TypeError, "dense data is required"),
        (X.reshape(100, 2, 2), ValueError, "dim 3"),
    ],
    ids=[
        "nan",
        "inf",
        "-inf",
        "empty",
        "single-row",
        "no-columns",
        "strings",
        "complex",
        "sparse",
        "3-d",
    ],
)
def test_bad_training_input_raises_a_clear_error(bad, error, message):
    with pytest.raises(error, match=message):
        GANAnomalyDetector(**FAST).fit(bad)


def test_wrong_number_of_features_at_predict_time_is_named():
    with pytest.raises(ValueError, match="X has 3 features, but GANAnomalyDetector is expecting 4"):
        fitted_detector().predict(X[:, :3])


def test_nan_at_predict_time_is_rejected():
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted_detector().score_samples(bad)


def test_dataframe_with_other_column_names_is_rejected_at_predict_time():
    pandas = pytest.importorskip("pandas")
    detector = GANAnomalyDetector(**FAST).fit(pandas.DataFrame(X, columns=list("abcd")))
    with pytest.raises(ValueError, match="feature names"):
        detector.predict(pandas.DataFrame(X, columns=list("abce")))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(contamination=0.7), "contamination"),
        (dict(contamination=0.0), "contamination"),
        (dict(epochs=0), "epochs"),
        (dict(epochs=-3), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(device="tpu"), "device"),
        (dict(anomaly_score="likelihood"), "anomaly_score"),
    ],
)
def test_invalid_parameters_are_named_in_the_error(params, message):
    with pytest.raises(ValueError, match=message):
        GANAnomalyDetector(**{**FAST, **params}).fit(X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        GANAnomalyDetector(**{**FAST, "device": "cuda"}).fit(X)


def test_nan_in_a_series_window_is_rejected_by_the_lstm_detector():
    windows = RNG.normal(size=(20, 10))
    windows[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LSTMGANAnomalyDetector(epochs=1).fit(windows)


# -- hard data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        np.column_stack([X, np.ones(100)]),
        np.repeat(X[:10], 10, axis=0),
        X * np.array([1e9, 1e-9, 1.0, 1e9]),
        (X * 10).astype(np.int64),
        X.astype(np.float32),
        X[:7],
    ],
    ids=[
        "constant-column",
        "duplicated-rows",
        "scales-1e9-and-1e-9",
        "integers",
        "float32",
        "fewer-rows-than-batch",
    ],
)
def test_hard_data_trains_to_finite_float64_scores(data):
    detector = GANAnomalyDetector(**FAST).fit(data)
    scores = detector.score_samples(data)
    assert scores.dtype == np.float64
    assert np.all(np.isfinite(scores))


@pytest.mark.parametrize("unit", [1e-170, 1e-12, 1e12, 1e160])
def test_scores_do_not_depend_on_the_units_of_the_data(unit):
    # a column measured in tiny units is a signal like any other, not a constant
    reference = fitted_detector().score_samples(X)
    rescaled = GANAnomalyDetector(**FAST).fit(X * unit).score_samples(X * unit)
    np.testing.assert_allclose(rescaled, reference, rtol=1e-5, atol=1e-6)


def test_a_column_reaching_the_largest_floats_fits_to_finite_scores():
    data = X.copy()
    data[0, 0] = 1.7e308
    scores = GANAnomalyDetector(**FAST).fit(data).score_samples(data)
    assert np.all(np.isfinite(scores))
    assert scores[0] == scores.min()


def test_a_column_of_subnormal_spread_is_taken_as_constant():
    data = np.column_stack([X, 5e-324 * (np.arange(len(X)) % 2)])
    detector = GANAnomalyDetector(**FAST).fit(data)
    assert detector.input_scale_[-1] == 1.0
    assert np.all(np.isfinite(detector.score_samples(data)))


def test_fortran_ordered_input_fits_and_scores_the_same_bits_as_c_ordered():
    # a DataFrame's values are usually Fortran-ordered
    reference = fitted_detector()
    fortran = GANAnomalyDetector(**FAST).fit(np.asfortranarray(X))
    np.testing.assert_array_equal(fortran.score_samples(X), reference.score_samples(X))
    np.testing.assert_array_equal(
        reference.score_samples(np.asfortranarray(X)), reference.score_samples(X)
    )


def test_extreme_test_values_still_get_finite_scores():
    scores = fitted_detector().score_samples(np.full((2, 4), 1e30))
    assert np.all(np.isfinite(scores))


def test_values_near_the_float64_limit_get_finite_scores_ranked_by_extremity():
    normal = X[:5]
    one_huge = np.c_[np.full(1, 1e300), np.zeros((1, 3))]
    extremes = np.array([[1e10] * 4, [1e300] * 4, [-1e300] * 4, [1e300, -1e300, 1e300, -1e300]])
    scores = fitted_detector().score_samples(np.vstack([normal, one_huge, extremes]))
    assert np.all(np.isfinite(scores))
    # lower = more anomalous: four features at +-1e300 below one, one below a
    # row of 1e10, and that below every normal row
    assert scores[7:].max() < scores[5] < scores[6] < scores[:5].min()


def test_many_rows_are_scored_in_bounded_chunks():
    detector = fitted_detector()
    chunks = list(detector._chunks(np.zeros((1_000_000, 4))))
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= 4096


def test_an_epoch_keeps_no_step_losses_alive_until_its_end():
    # kept per step, they pinned small blocks between the steps' large
    # temporaries: a fit on 200,000 rows peaked 224 MB higher
    net = fitted_detector().net_
    steps = []

    def step_keeping_watch(batch, **fit_params):
        losses = net.train_step(batch, **fit_params)
        alive = [step for step in steps if any(ref() is not None for ref in step)]
        steps.append(
            [weakref.ref(losses[key]) for key in ("loss", "critic_loss", "generator_loss")]
        )
        assert len(alive) <= 1  # the previous step's, still bound in the loop
        return losses

    data = torch.as_tensor(np.random.RandomState(1).normal(size=(640, 4)), dtype=torch.float32)
    iterator = net.get_iterator(net.get_dataset(data), training=True)
    net.run_single_epoch(iterator, True, "train", step_keeping_watch)
    assert len(steps) == len(iterator) > 1


# -- training faults -------------------------------------------------------------------


def test_a_diverging_fit_recovers_with_a_lower_learning_rate():
    detector = GANAnomalyDetector(**{**FAST, "learning_rate": 1e3, "epochs": 4}).fit(X)
    assert np.all(np.isfinite(detector.score_samples(X)))


@pytest.fixture
def always_nan_loss(monkeypatch):
    """Every reconstruction loss of training is NaN."""
    from sklearn_gan_ad import training

    monkeypatch.setattr(
        training.AdversarialNet,
        "reconstruction_loss",
        lambda self, *args, **kwargs: torch.tensor(float("nan")),
    )


def test_a_fit_that_keeps_diverging_stops_with_advice(always_nan_loss):
    with pytest.raises(TrainingDivergedError, match="lower learning_rate"):
        GANAnomalyDetector(**{**FAST, "epochs": 6}).fit(X)


def test_weights_left_non_finite_by_an_epochs_last_step_are_recovered(monkeypatch):
    from sklearn_gan_ad import training

    update = training.AdversarialNet._generator_update
    steps_per_epoch = 2  # 100 rows in batches of 64
    calls = []

    def poisoning_the_first_epochs_last_step(self, x):
        result = update(self, x)
        calls.append(1)
        if len(calls) == steps_per_epoch:  # after the losses of that step were taken
            with torch.no_grad():
                self.generator_.head.weight[0].fill_(float("nan"))
        return result

    monkeypatch.setattr(
        training.AdversarialNet, "_generator_update", poisoning_the_first_epochs_last_step
    )
    detector = GANAnomalyDetector(
        **{**FAST, "epochs": 4, "n_estimators": 2, "batch_size": 64, "prune_threshold": None}
    ).fit(X)
    assert detector.net_.history[0, "diverged"]
    assert np.all(np.isfinite(detector.score_samples(X)))


def test_each_recovery_lowers_the_learning_rates_in_use(monkeypatch):
    from sklearn_gan_ad import training

    losses = iter([float("nan")] * 2 + [1.0] * 10)
    reconstruction_loss = training.AdversarialNet.reconstruction_loss

    def nan_in_the_first_two_epochs(self, *args, **kwargs):
        loss = reconstruction_loss(self, *args, **kwargs)
        return loss * next(losses) if self.history[-1, "epoch"] <= 2 else loss

    monkeypatch.setattr(training.AdversarialNet, "reconstruction_loss", nan_in_the_first_two_epochs)
    detector = GANAnomalyDetector(
        **{**FAST, "epochs": 3, "learning_rate": 1e-3, "batch_size": 100, "prune_threshold": None}
    ).fit(X)
    assert detector.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5**2)


def test_a_fit_whose_every_epoch_diverged_raises_instead_of_returning_untrained_networks(
    always_nan_loss,
):
    with pytest.raises(TrainingDivergedError, match="no epoch of training ended"):
        GANAnomalyDetector(**{**FAST, "epochs": 3}).fit(X)


def test_keyboard_interrupt_leaves_the_previous_fit_intact(monkeypatch):
    from sklearn_gan_ad import training

    detector = fitted_detector()
    before = detector.score_samples(X)

    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training.AdversarialNet, "train_step", interrupt)
    with pytest.raises(KeyboardInterrupt):
        detector.fit(X * 2)
    np.testing.assert_array_equal(detector.score_samples(X), before)


class _InterruptsAtTheSecondEpochsEnd(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt  # as Ctrl-C while a callback runs


def test_a_keyboard_interrupt_at_an_epochs_end_propagates_and_keeps_the_previous_fit():
    detector = fitted_detector()
    before = detector.score_samples(X)
    detector.set_params(callbacks=[_InterruptsAtTheSecondEpochsEnd()])
    with pytest.raises(KeyboardInterrupt):
        detector.fit(X * 2)
    np.testing.assert_array_equal(detector.score_samples(X), before)


def test_the_divergence_error_counts_the_recoveries_made_and_is_not_masked(always_nan_loss):
    from sklearn_gan_ad.callbacks import DivergenceGuard

    guard = DivergenceGuard(max_retries=0)
    with pytest.raises(TrainingDivergedError, match="1 times, 0 recoveries") as raised:
        GANAnomalyDetector(**{**FAST, "epochs": 3}, callbacks=[guard]).fit(X)
    assert raised.value.__context__ is None


def test_every_epoch_records_whether_it_diverged(monkeypatch):
    from sklearn_gan_ad import training

    losses = iter([float("nan")] + [1.0] * 10)
    reconstruction_loss = training.AdversarialNet.reconstruction_loss

    def nan_in_the_first_epoch(self, *args, **kwargs):
        loss = reconstruction_loss(self, *args, **kwargs)
        return loss * next(losses) if self.history[-1, "epoch"] == 1 else loss

    monkeypatch.setattr(training.AdversarialNet, "reconstruction_loss", nan_in_the_first_epoch)
    detector = GANAnomalyDetector(
        **{**FAST, "epochs": 3, "batch_size": 100, "prune_threshold": None}
    ).fit(X)
    # skorch's PrintLog takes its columns from the first epoch's keys
    assert detector.net_.history[:, "diverged"] == [True, False, False]


def test_keyboard_interrupt_on_a_first_fit_leaves_it_unfitted(monkeypatch):
    from sklearn.exceptions import NotFittedError

    from sklearn_gan_ad import training

    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training.AdversarialNet, "train_step", interrupt)
    detector = GANAnomalyDetector(**FAST)
    with pytest.raises(KeyboardInterrupt):
        detector.fit(X)
    with pytest.raises(NotFittedError):
        detector.score_samples(X)


# -- reproducibility -----------------------------------------------------------------

SCORE_IN_FRESH_PROCESS = """
import numpy as np, sys
from sklearn_gan_ad import GANAnomalyDetector
X = np.random.RandomState(0).normal(size=(100, 4))
d = GANAnomalyDetector(hidden_layer_sizes=(16,), epochs=5, random_state=0).fit(X)
sys.stdout.write(d.score_samples(X).tobytes().hex())
"""


def test_same_random_state_is_bit_identical_in_a_fresh_process():
    output = subprocess.run(
        [sys.executable, "-c", SCORE_IN_FRESH_PROCESS], capture_output=True, text=True, check=True
    ).stdout
    fresh = np.frombuffer(bytes.fromhex(output), dtype=np.float64)
    np.testing.assert_array_equal(fresh, fitted_detector().score_samples(X))


@pytest.mark.parametrize("backend", ["loky", "threading"], ids=["processes", "threads"])
def test_parallel_grid_search_matches_a_sequential_one(backend):
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GridSearchCV

    y = np.r_[np.ones(90), -np.ones(10)]
    data = np.vstack([X[:90], X[90:] + 4])

    def auc(est, X_, y_):
        return roc_auc_score(y_ == -1, -est.score_samples(X_))

    def search(n_jobs):
        grid = GridSearchCV(GANAnomalyDetector(**FAST), {"latent_dim": [2, 3]}, scoring=auc, cv=2)
        with parallel_backend(backend, n_jobs=n_jobs):
            return grid.fit(data, y).cv_results_["mean_test_score"]

    np.testing.assert_array_equal(search(2), search(1))


class EpochsInStep(Callback):
    """Holds fits at the end of every epoch until all of them get there.

    A class attribute: the detectors deep-copy their callbacks, and the copies
    must share one barrier.
    """

    barrier = threading.Barrier(1)

    def on_epoch_end(self, net, **kwargs):
        type(self).barrier.wait(timeout=60)


SERIES_WINDOWS = np.sin(np.arange(60)[:, None] / 3 + np.arange(24)[None, :] / 4)


@pytest.mark.parametrize(
    "make_detector, data",
    [
        (lambda: GANAnomalyDetector(**FAST, callbacks=[EpochsInStep()]), X),
        (
            lambda: LSTMGANAnomalyDetector(
                hidden_size=8, epochs=2, random_state=0, callbacks=[EpochsInStep()]
            ),
            SERIES_WINDOWS,
        ),
    ],
    ids=["tabular", "lstm"],
)
def test_fits_side_by_side_in_threads_score_as_each_fit_alone(make_detector, data, monkeypatch):
    alone = make_detector().fit(data).score_samples(data)
    monkeypatch.setattr(EpochsInStep, "barrier", threading.Barrier(2))
    detectors = [make_detector(), make_detector()]
    threads = [threading.Thread(target=d.fit, args=(data,)) for d in detectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for detector in detectors:
        np.testing.assert_array_equal(detector.score_samples(data), alone)


def test_a_failed_refit_leaves_the_previous_fitted_state():
    windows = RNG.normal(size=(30, 40))
    detector = LSTMGANAnomalyDetector(n_channels=2, hidden_size=8, epochs=2, random_state=0)
    scores = detector.fit(windows).score_samples(windows)
    with pytest.raises(ValueError, match="not a multiple of n_channels=2"):
        detector.fit(windows[:, :39])
    assert detector.n_features_in_ == 40
    np.testing.assert_array_equal(detector.score_samples(windows), scores)


def test_a_failed_refit_on_other_columns_keeps_the_previous_feature_names():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=list("abcd"))
    detector = GANAnomalyDetector(**FAST).fit(frame)
    other = pandas.DataFrame(np.c_[X, X[:, :1]], columns=list("vwxyz"))
    other.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        detector.fit(other)
    np.testing.assert_array_equal(detector.feature_names_in_, list("abcd"))
    assert detector.predict(frame).shape == (len(X),)


def test_a_failed_first_fit_leaves_no_fitted_attribute():
    detector = GANAnomalyDetector(**FAST)
    with pytest.raises(ValueError, match="NaN"):
        detector.fit(np.c_[X[:, :3], np.full(len(X), np.nan)])
    assert not [name for name in vars(detector) if name.endswith("_")]


@pytest.fixture
def float64_default():
    """torch's default dtype set to float64, as scientific torch code often does."""
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(torch.float32)


DETECTOR_FACTORIES = {
    "tabular": lambda: GANAnomalyDetector(**FAST, n_estimators=2),
    "lstm": lambda: LSTMGANAnomalyDetector(hidden_size=8, epochs=2, random_state=0),
}


@pytest.mark.parametrize("kind", DETECTOR_FACTORIES)
def test_a_float64_torch_default_does_not_change_the_fit(kind, float64_default):
    under_float64 = DETECTOR_FACTORIES[kind]().fit(X).score_samples(X)
    torch.set_default_dtype(torch.float32)
    expected = DETECTOR_FACTORIES[kind]().fit(X).score_samples(X)
    np.testing.assert_array_equal(under_float64, expected)


@pytest.mark.parametrize("kind", DETECTOR_FACTORIES)
def test_a_detector_fitted_under_one_torch_default_dtype_scores_under_another(kind):
    detector = DETECTOR_FACTORIES[kind]().fit(X)
    expected = detector.score_samples(X)
    torch.set_default_dtype(torch.float64)
    try:
        scores = detector.score_samples(X)
    finally:
        torch.set_default_dtype(torch.float32)
    np.testing.assert_array_equal(scores, expected)


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_fit_inside_a_no_grad_block_trains_as_outside_it(mode):
    expected = fitted_detector().score_samples(X)
    with mode():
        scores = fitted_detector().score_samples(X)
    np.testing.assert_array_equal(scores, expected)


@pytest.mark.parametrize("kind", DETECTOR_FACTORIES)
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_fit_and_scores_under_a_callers_autocast_are_those_outside_it(kind, dtype):
    expected = DETECTOR_FACTORIES[kind]().fit(X).score_samples(X)
    with torch.autocast("cpu", dtype=dtype):
        scores = DETECTOR_FACTORIES[kind]().fit(X).score_samples(X)
    np.testing.assert_array_equal(scores, expected)


@pytest.mark.parametrize(
    "params",
    [dict(batch_size=0), dict(n_estimators=None), dict(hidden_layer_sizes="ab")],
    ids=["batch-size", "n-estimators", "hidden-layers"],
)
def test_parameters_set_after_fit_do_not_reach_the_fitted_networks_scoring(params):
    detector = fitted_detector()
    expected = detector.score_samples(X)
    detector.set_params(**params)  # invalid, and for the next fit only
    np.testing.assert_array_equal(detector.score_samples(X), expected)


def test_an_invalid_n_threads_set_after_fit_is_named_when_scoring():
    detector = fitted_detector().set_params(n_threads="many")
    with pytest.raises(ValueError, match="'n_threads' parameter"):
        detector.score_samples(X)


def test_a_nan_score_under_assume_finite_is_predicted_as_an_outlier():
    import sklearn

    detector = fitted_detector()
    with sklearn.config_context(assume_finite=True):
        assert detector.predict([[np.nan, 0.0, 0.0, 0.0]]).tolist() == [-1]


# -- persistence -----------------------------------------------------------------------


def test_safe_save_and_load_give_identical_scores(tmp_path):
    detector = fitted_detector()
    detector.save(tmp_path / "model.pt")
    restored = load(tmp_path / "model.pt")
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))
    np.testing.assert_array_equal(restored.predict(X), detector.predict(X))


def test_numpy_scalar_parameters_from_a_grid_survive_save_and_load(tmp_path):
    detector = GANAnomalyDetector(
        hidden_layer_sizes=(np.int64(16),),
        epochs=np.int64(5),
        batch_size=np.int32(32),
        contamination=np.float32(0.1),
        novelty=np.bool_(False),
        random_state=np.int64(0),
    ).fit(X)
    detector.save(tmp_path / "model.pt")
    restored = load(tmp_path / "model.pt")
    assert restored.get_params()["epochs"] == 5
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


def test_numpy_scalar_score_weights_from_a_grid_survive_save_and_load(tmp_path):
    detector = GANAnomalyDetector(
        **{**FAST, "anomaly_score": "combined", "latent_weight": np.float32(0.5)},
        discriminator_weight=np.int64(1),
    ).fit(X)
    detector.save(tmp_path / "model.pt")
    restored = load(tmp_path / "model.pt")
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


def test_loading_leaves_the_global_torch_random_state_untouched(tmp_path):
    fitted_detector().save(tmp_path / "model.pt")
    state = torch.get_rng_state()
    load(tmp_path / "model.pt")
    assert torch.equal(torch.get_rng_state(), state)


def test_safe_save_and_load_work_for_the_lstm_detector(tmp_path):
    windows = RNG.normal(size=(40, 12))
    detector = LSTMGANAnomalyDetector(hidden_size=8, epochs=2, random_state=0).fit(windows)
    detector.save(tmp_path / "model.pt")
    np.testing.assert_array_equal(
        load(tmp_path / "model.pt").score_samples(windows), detector.score_samples(windows)
    )


def test_save_after_set_params_writes_the_model_as_fitted(tmp_path):
    detector = fitted_detector()
    expected = detector.score_samples(X)
    detector.set_params(hidden_layer_sizes=(32, 8), n_estimators=3)  # for the next fit
    detector.save(tmp_path / "model.pt")
    restored = load(tmp_path / "model.pt")
    np.testing.assert_array_equal(restored.score_samples(X), expected)
    assert restored.get_params()["hidden_layer_sizes"] == (16,)


def test_a_detector_fitted_with_callbacks_saves_once_they_are_removed(tmp_path):
    detector = GANAnomalyDetector(**FAST, callbacks=[EarlyStopping(patience=2)]).fit(X)
    detector.set_params(callbacks=None)
    detector.save(tmp_path / "model.pt")
    restored = load(tmp_path / "model.pt")
    assert restored.callbacks is None
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


def test_a_model_file_named_safetensors_loads(tmp_path):
    detector = fitted_detector()
    detector.save(tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


class _RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_loading_a_crafted_pickle_is_refused_without_running_it(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"metadata": _RunsCode()}, handle)
    with pytest.raises(ValueError, match="not a safe sklearn-gan-ad model file"):
        load(path)
    assert "this must never run" not in capsys.readouterr().out


def _saved_with(tmp_path, edit, detector=None, edit_arrays=lambda arrays: None):
    """A saved model file whose metadata ``edit(metadata)`` (and arrays) changed in place."""
    (detector or fitted_detector()).save(tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    metadata = json.loads(payload["metadata"])
    edit(metadata)
    edit_arrays(payload["arrays"])
    payload["metadata"] = json.dumps(metadata)
    torch.save(payload, tmp_path / "edited.pt")
    return tmp_path / "edited.pt"


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["fitted"].update(n_features_in_=5),
        lambda m: m.update({"class": "LSTMGANAnomalyDetector"}),
        lambda m: m.update({"class": "Foo"}),
        lambda m: m.pop("scorer"),
        lambda m: m["params"].update(epochs=-3),
    ],
    ids=["feature-count", "other-class", "unknown-class", "no-scorer", "invalid-param"],
)
def test_loading_an_edited_model_file_raises_a_value_error_saying_so(tmp_path, edit):
    with pytest.raises(ValueError, match="not a consistent sklearn-gan-ad model file"):
        load(_saved_with(tmp_path, edit))


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["fitted"].pop("offset_"),
        lambda m: m["fitted"].update(offset_=None),
        lambda m: m["fitted"].update(offset_="x"),
        lambda m: m["scorer"].update(members=[]),
        lambda m: m["scorer"].update(location_scale=[0.0]),
        lambda m: m["fitted"].update(feature_names_in_=["a", "b"]),
    ],
    ids=["no-offset", "offset-none", "offset-text", "no-members", "short-statistics", "names"],
)
def test_loading_a_file_whose_fitted_values_were_edited_raises_a_value_error(tmp_path, edit):
    with pytest.raises(ValueError, match="not a consistent sklearn-gan-ad model file"):
        load(_saved_with(tmp_path, edit))


@pytest.mark.parametrize(
    "edit_arrays",
    [
        lambda a: a.pop("feature_error_scale_"),
        lambda a: a.update(feature_error_scale_=torch.ones(1, 7)),
        lambda a: a.pop("neighbour_reference_"),
        lambda a: a.update(neighbour_reference_=a["neighbour_reference_"][..., :3]),
    ],
    ids=["no-error-scale", "error-scale-shape", "no-references", "reference-width"],
)
def test_loading_a_file_whose_fitted_arrays_were_edited_raises_a_value_error(tmp_path, edit_arrays):
    detector = GANAnomalyDetector(**FAST, novelty=True).fit(X)
    path = _saved_with(tmp_path, lambda m: None, detector=detector, edit_arrays=edit_arrays)
    with pytest.raises(ValueError, match="not a consistent sklearn-gan-ad model file"):
        load(path)


def test_a_loaded_lstm_detector_first_scored_in_inference_mode_scores_as_the_original(
    tmp_path,
):
    windows = RNG.normal(size=(40, 12))
    detector = LSTMGANAnomalyDetector(hidden_size=8, epochs=2, random_state=0).fit(windows)
    detector.save(tmp_path / "model.pt")
    restored = load(tmp_path / "model.pt")
    with torch.inference_mode():
        first = restored.score_samples(windows)
    np.testing.assert_array_equal(first, detector.score_samples(windows))
    np.testing.assert_array_equal(restored.score_samples(windows), first)


def test_save_and_load_work_with_open_binary_files():
    detector = fitted_detector()
    buffer = io.BytesIO()
    detector.save(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(load(buffer).score_samples(X), detector.score_samples(X))


def test_saving_into_a_missing_folder_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        fitted_detector().save(tmp_path / "missing" / "model.pt")


@pytest.mark.parametrize("function", ["save", "load"])
def test_a_path_that_is_neither_a_path_nor_a_file_raises_a_type_error(function):
    call = fitted_detector().save if function == "save" else load
    with pytest.raises(TypeError, match=rf"{function}\(\) needs a file path"):
        call(None)


def test_changing_the_hidden_layer_list_after_fit_does_not_change_the_saved_model(tmp_path):
    sizes = [16]
    detector = GANAnomalyDetector(**{**FAST, "hidden_layer_sizes": sizes}).fit(X)
    sizes.append(4)
    detector.save(tmp_path / "model.pt")
    restored = load(tmp_path / "model.pt")
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


def test_saving_to_a_folder_raises_naming_it(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        fitted_detector().save(tmp_path)


def test_loading_a_folder_raises_naming_it(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load(tmp_path)


def test_loading_a_missing_file_raises_file_not_found_naming_the_path(tmp_path):
    path = tmp_path / "missing.pt"
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load(path)


def test_a_file_saved_with_the_old_score_parameter_loads_as_anomaly_score(tmp_path):
    import json

    detector = GANAnomalyDetector(anomaly_score="reconstruction", **FAST).fit(X)
    detector.save(tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    metadata = json.loads(payload["metadata"])
    metadata["params"]["score"] = metadata["params"].pop("anomaly_score")
    payload["metadata"] = json.dumps(metadata)
    torch.save(payload, tmp_path / "old.pt")
    restored = load(tmp_path / "old.pt")
    assert restored.anomaly_score == "reconstruction"
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


def test_loading_an_incompatible_format_version_is_refused(tmp_path):
    import json

    detector = fitted_detector()
    detector.save(tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    metadata = json.loads(payload["metadata"])
    metadata["format_version"] = 99
    payload["metadata"] = json.dumps(metadata)
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(ValueError, match="format version 99"):
        load(tmp_path / "future.pt")
