"""GANAnomalyDetector: the outlier-detector contract, detection, and sklearn tools."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gan_ad import GANAnomalyDetector

FAST = dict(hidden_layer_sizes=(32, 32), epochs=100, random_state=0)


def auc_scorer(estimator, X, y):
    """ROC-AUC with labels +1 inlier / -1 outlier, as GridSearchCV needs."""
    return roc_auc_score(y == -1, -estimator.score_samples(X))


@pytest.fixture(scope="module")
def correlated_gaussian():
    rng = np.random.RandomState(0)
    X_train = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=400)
    X_test = np.vstack(
        [rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=100), [[5.0, 5.0]]]
    )
    y_test = np.r_[np.zeros(100), 1]
    return X_train, X_test, y_test


@pytest.fixture(scope="module")
def planted_20d():
    rng = np.random.RandomState(1)
    latent = rng.normal(size=(600, 4))
    mixing = rng.normal(size=(4, 20))
    X = latent @ mixing + 0.1 * rng.normal(size=(600, 20))
    X_train, X_normal_test = X[:500], X[500:]
    # anomalies break the low-rank structure without being extreme per feature
    anomalies = rng.normal(size=(10, 20)) * X.std(axis=0)
    X_test = np.vstack([X_normal_test, anomalies])
    y_test = np.r_[np.zeros(100), np.ones(10)]
    return X_train, X_test, y_test


@pytest.fixture(scope="module")
def fitted(correlated_gaussian):
    return GANAnomalyDetector(**FAST).fit(correlated_gaussian[0])


@pytest.mark.parametrize("score", ["reconstruction", "discriminator", "combined"])
def test_every_score_mode_ranks_planted_2d_outlier_first(correlated_gaussian, score):
    X_train, X_test, y_test = correlated_gaussian
    detector = GANAnomalyDetector(anomaly_score=score, **FAST).fit(X_train)
    assert roc_auc_score(y_test, -detector.score_samples(X_test)) >= 0.95


@pytest.mark.parametrize("score", ["reconstruction", "discriminator", "combined"])
def test_every_score_mode_detects_planted_20d_anomalies(planted_20d, score):
    X_train, X_test, y_test = planted_20d
    # a code as wide as the data's rank (4); "auto" gives 3, too narrow for the
    # critic's residual to separate these anomalies
    detector = GANAnomalyDetector(anomaly_score=score, latent_dim=4, **FAST).fit(X_train)
    assert roc_auc_score(y_test, -detector.score_samples(X_test)) >= 0.95


def test_wasserstein_loss_also_detects_planted_outlier(correlated_gaussian):
    X_train, X_test, y_test = correlated_gaussian
    detector = GANAnomalyDetector(adversarial_loss="wasserstein", **FAST).fit(X_train)
    assert roc_auc_score(y_test, -detector.score_samples(X_test)) >= 0.95


def test_decision_function_is_score_samples_minus_offset(fitted, correlated_gaussian):
    X_test = correlated_gaussian[1]
    np.testing.assert_array_equal(
        fitted.decision_function(X_test), fitted.score_samples(X_test) - fitted.offset_
    )


def test_predict_is_int_plus_minus_one_matching_decision_sign(fitted, correlated_gaussian):
    X_test = correlated_gaussian[1]
    labels = fitted.predict(X_test)
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, np.where(fitted.decision_function(X_test) < 0, -1, 1))
    assert labels[-1] == -1


def test_scores_are_float64(fitted, correlated_gaussian):
    assert fitted.score_samples(correlated_gaussian[1]).dtype == np.float64


def test_float_contamination_flags_that_share_of_training_rows(correlated_gaussian):
    X_train = correlated_gaussian[0]
    detector = GANAnomalyDetector(contamination=0.1, **FAST).fit(X_train)
    assert np.mean(detector.predict(X_train) == -1) == pytest.approx(0.1, abs=0.01)


def test_auto_contamination_flags_a_small_minority_of_clean_training_rows(
    correlated_gaussian,
):
    X_train = correlated_gaussian[0]
    detector = GANAnomalyDetector(random_state=0).fit(X_train)
    share = np.mean(detector.predict(X_train) == -1)
    iforest = IsolationForest(random_state=0).fit(X_train)
    iforest_share = np.mean(iforest.predict(X_train) == -1)
    # 16.5 % with the defaults (11 % with 10 epochs), against IsolationForest's 21 %
    assert 0 < share < iforest_share


def test_fit_predict_equals_fit_then_predict(correlated_gaussian):
    X_train = correlated_gaussian[0]
    np.testing.assert_array_equal(
        GANAnomalyDetector(**FAST).fit_predict(X_train),
        GANAnomalyDetector(**FAST).fit(X_train).predict(X_train),
    )


def test_same_random_state_gives_identical_scores(fitted, correlated_gaussian):
    X_train, X_test, _ = correlated_gaussian
    again = GANAnomalyDetector(**FAST).fit(X_train)
    np.testing.assert_array_equal(again.score_samples(X_test), fitted.score_samples(X_test))


def test_different_random_state_gives_different_scores(fitted, correlated_gaussian):
    X_train, X_test, _ = correlated_gaussian
    other = GANAnomalyDetector(**{**FAST, "random_state": 1}).fit(X_train)
    assert not np.array_equal(other.score_samples(X_test), fitted.score_samples(X_test))


def test_clone_refits_to_identical_scores(fitted, correlated_gaussian):
    X_train, X_test, _ = correlated_gaussian
    cloned = clone(fitted).fit(X_train)
    np.testing.assert_array_equal(cloned.score_samples(X_test), fitted.score_samples(X_test))


def test_pickle_round_trip_gives_identical_scores(fitted, correlated_gaussian):
    restored = pickle.loads(pickle.dumps(fitted))
    X_test = correlated_gaussian[1]
    np.testing.assert_array_equal(restored.score_samples(X_test), fitted.score_samples(X_test))


def test_joblib_round_trip_gives_identical_scores(fitted, correlated_gaussian, tmp_path):
    joblib.dump(fitted, tmp_path / "detector.joblib")
    restored = joblib.load(tmp_path / "detector.joblib")
    X_test = correlated_gaussian[1]
    np.testing.assert_array_equal(restored.score_samples(X_test), fitted.score_samples(X_test))


def test_fit_leaves_global_torch_and_numpy_random_state_untouched(correlated_gaussian):
    torch.manual_seed(123)
    np.random.seed(123)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    GANAnomalyDetector(**{**FAST, "epochs": 2}).fit(correlated_gaussian[0])
    GANAnomalyDetector(**{**FAST, "epochs": 2, "random_state": None}).fit(correlated_gaussian[0])
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])


def test_fit_restores_the_callers_torch_thread_count(correlated_gaussian):
    before = torch.get_num_threads()
    GANAnomalyDetector(**{**FAST, "epochs": 2, "n_threads": 2}).fit(correlated_gaussian[0])
    assert torch.get_num_threads() == before


def test_works_inside_a_pipeline(correlated_gaussian):
    X_train, X_test, y_test = correlated_gaussian
    pipeline = make_pipeline(StandardScaler(), GANAnomalyDetector(**FAST)).fit(X_train)
    assert roc_auc_score(y_test, -pipeline.score_samples(X_test)) >= 0.95
    assert set(pipeline.predict(X_test)) <= {-1, 1}


def test_grid_search_over_two_hyperparameters_with_auc_scorer(planted_20d):
    X_train, X_test, y_test = planted_20d
    X = np.vstack([X_train[:200], X_test])
    y = np.r_[np.ones(200), np.where(y_test == 1, -1, 1)]
    search = GridSearchCV(
        GANAnomalyDetector(hidden_layer_sizes=(32,), epochs=60, random_state=0),
        {"latent_dim": [2, 4], "learning_rate": [1e-3, 3e-3]},
        scoring=auc_scorer,
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.8


def test_cross_val_score_returns_one_auc_per_fold(planted_20d):
    X_train, X_test, y_test = planted_20d
    X = np.vstack([X_train[:200], X_test])
    y = np.r_[np.ones(200), np.where(y_test == 1, -1, 1)]
    scores = cross_val_score(
        GANAnomalyDetector(hidden_layer_sizes=(16,), epochs=10, random_state=0),
        X,
        y,
        scoring=auc_scorer,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_dataframe_input_keeps_feature_names(correlated_gaussian):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(correlated_gaussian[0], columns=["a", "b"])
    detector = GANAnomalyDetector(**{**FAST, "epochs": 2}).fit(frame)
    np.testing.assert_array_equal(detector.feature_names_in_, ["a", "b"])


def test_feature_scores_point_at_the_planted_feature(planted_20d):
    X_train = planted_20d[0]
    detector = GANAnomalyDetector(**FAST).fit(X_train)
    rows = X_train[:5].copy()
    rows[:, 7] += 6 * X_train[:, 7].std()
    contributions = detector.feature_scores(rows)
    assert contributions.shape == (5, 20)
    np.testing.assert_array_equal(np.argmax(contributions, axis=1), 7)


def test_feature_scores_average_to_the_reconstruction_error(fitted, correlated_gaussian):
    X_test = correlated_gaussian[1]
    np.testing.assert_allclose(
        fitted.feature_scores(X_test).mean(axis=1), fitted.reconstruction_error(X_test)
    )


@pytest.mark.parametrize("sizes", [(), (-3,), (0,), (8.5,), (True,)])
def test_hidden_layer_sizes_must_be_positive_integers(correlated_gaussian, sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes must be a non-empty sequence"):
        GANAnomalyDetector(hidden_layer_sizes=sizes, epochs=1).fit(correlated_gaussian[0])


def test_reconstructions_are_in_the_units_of_the_input():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) * [1.0, 100.0, 0.01] + [0.0, -500.0, 3.0]
    detector = GANAnomalyDetector(n_estimators=1, epochs=5, random_state=0).fit(X)
    reconstructions = detector.reconstruct(X)
    assert reconstructions.shape == X.shape
    # each feature's reconstructions centre on its own mean, at its own scale
    centre_offsets = (reconstructions.mean(axis=0) - X.mean(axis=0)) / X.std(axis=0)
    assert np.all(np.abs(centre_offsets) < 0.5)
    standardised_errors = ((X - reconstructions) / detector.input_scale_) ** 2
    np.testing.assert_allclose(
        standardised_errors.mean(axis=1), detector.reconstruction_error(X), rtol=1e-9
    )


def test_reconstructions_of_an_ensemble_are_its_members_mean(correlated_gaussian):
    X_train, X_test, _ = correlated_gaussian
    ensemble = GANAnomalyDetector(n_estimators=3, epochs=3, random_state=0).fit(X_train)
    members = ensemble._components_for(X_test, ("reconstructed",))
    np.testing.assert_allclose(
        ensemble.reconstruct(X_test), np.mean([m["reconstructed"] for m in members], axis=0)
    )
    assert not np.allclose(members[0]["reconstructed"], members[1]["reconstructed"])


def test_a_reconstruction_does_not_depend_on_the_other_rows(fitted, correlated_gaussian):
    X_test = correlated_gaussian[1]
    together = fitted.reconstruct(X_test)
    alone = np.vstack([fitted.reconstruct(row[None]) for row in X_test[:5]])
    np.testing.assert_array_equal(alone, together[:5])


@pytest.fixture(scope="module")
def clustered_training_outliers():
    """600 rows near a 2-D plane in 8-D, 5 % of them a tight off-plane cluster."""
    rng = np.random.RandomState(3)
    normal = rng.normal(size=(570, 2)) @ rng.normal(size=(2, 8))
    normal += 0.1 * rng.normal(size=normal.shape)
    cluster = 4.0 * rng.normal(size=8) + 0.1 * rng.normal(size=(30, 8))
    return np.vstack([normal, cluster]), np.r_[np.zeros(570), np.ones(30)]


def test_pruning_keeps_a_cluster_of_training_outliers_from_being_learnt(
    clustered_training_outliers,
):
    X, y = clustered_training_outliers
    auc = {
        threshold: roc_auc_score(
            y,
            -GANAnomalyDetector(prune_threshold=threshold, n_estimators=1, random_state=0)
            .fit(X)
            .score_samples(X),
        )
        for threshold in (2.0, None)
    }
    assert auc[2.0] > auc[None]


def test_pruning_trains_the_second_half_of_the_epochs_on_fewer_rows(
    clustered_training_outliers,
):
    X, _ = clustered_training_outliers
    detector = GANAnomalyDetector(batch_size=10, n_estimators=1, random_state=0).fit(X)
    batches = detector.net_.history[:, "train_batch_count"]
    half = detector.epochs // 2
    assert len(batches) == detector.epochs
    assert set(batches[:half]) == {60}
    assert max(batches[half:]) < 60


def test_reconstruction_score_divides_each_feature_error_by_its_training_upper_quartile(
    correlated_gaussian,
):
    X_train, X_test, _ = correlated_gaussian
    detector = GANAnomalyDetector(**FAST, n_estimators=2).fit(X_train)
    members = detector._components_for(X_train, ("scaled_reconstruction", "element_errors"))
    for member, error_scale in zip(members, detector.feature_error_scale_):
        np.testing.assert_allclose(error_scale, np.quantile(member["element_errors"], 0.75, axis=0))
        np.testing.assert_allclose(
            member["scaled_reconstruction"], (member["element_errors"] / error_scale).mean(axis=1)
        )


def test_history_records_all_losses_per_epoch(fitted):
    row = fitted.net_.history[-1]
    assert {"train_loss", "critic_loss", "generator_loss"} <= set(row)
    assert len(fitted.net_.history) == FAST["epochs"]


def test_default_fit_on_5000_by_20_takes_at_most_600_steps_for_all_members_together():
    # the speed of the default fit is measured in benchmarks/perf.py; what a
    # test can pin is the work it does: 15 epochs of ceil(5000 / 128) batches,
    # fewer once pruning leaves rows out, each step serving all 5 members
    X = np.random.RandomState(0).normal(size=(5000, 20))
    detector = GANAnomalyDetector(random_state=0).fit(X)
    assert detector.net_.n_members == 5
    assert 0 < sum(detector.net_.history[:, "train_batch_count"]) <= 15 * 40


def test_grid_search_without_a_scorer_fails_at_once_as_for_isolation_forest(planted_20d):
    X_train = planted_20d[0]
    for detector in (IsolationForest(), GANAnomalyDetector(**FAST)):
        search = GridSearchCV(detector, {"random_state": [0, 1]}, cv=2)
        with pytest.raises(TypeError, match="should have a 'score' method"):
            search.fit(X_train)
        assert not hasattr(search, "cv_results_")


def test_pipeline_has_no_score_method_as_for_isolation_forest(correlated_gaussian):
    X_train = correlated_gaussian[0]
    for detector in (IsolationForest(random_state=0), GANAnomalyDetector(epochs=2)):
        pipeline = make_pipeline(StandardScaler(), detector).fit(X_train)
        assert not hasattr(pipeline, "score")
        with pytest.raises(AttributeError):
            pipeline.score(X_train)


@pytest.mark.parametrize(
    "method", ["score", "predict_proba", "transform", "fit_transform", "partial_fit"]
)
def test_no_parameter_or_attribute_shadows_a_method_scikit_learn_probes(
    fitted, correlated_gaussian, method
):
    from sklearn_gan_ad import LSTMGANAnomalyDetector

    for detector in (GANAnomalyDetector(), LSTMGANAnomalyDetector(), fitted):
        assert method not in detector.get_params()
        assert not hasattr(detector, method)


def test_html_repr_shows_the_detector_and_its_changed_parameters():
    from sklearn.utils import estimator_html_repr

    html = estimator_html_repr(make_pipeline(StandardScaler(), GANAnomalyDetector(epochs=3)))
    assert "GANAnomalyDetector" in html and "epochs" in html


def test_version_is_exposed():
    import sklearn_gan_ad

    assert sklearn_gan_ad.__version__.count(".") == 2


@pytest.mark.parametrize("novelty", [False, True])
def test_tabular_detector_keeps_the_per_feature_code_size(novelty):
    assert GANAnomalyDetector(novelty=novelty)._resolved("latent_dim") == "per_feature"


def test_a_member_that_judges_no_row_normal_when_pruning_keeps_every_row(monkeypatch):
    X = np.random.RandomState(0).normal(size=(60, 3))
    detector = GANAnomalyDetector(hidden_layer_sizes=(8,), epochs=2, n_estimators=2)
    resolved = GANAnomalyDetector._resolved
    monkeypatch.setattr(
        GANAnomalyDetector,
        "_resolved",
        lambda self, name: -np.inf if name == "prune_threshold" else resolved(self, name),
    )
    kept = []
    rows_to_keep = GANAnomalyDetector._rows_to_keep
    monkeypatch.setattr(
        GANAnomalyDetector,
        "_rows_to_keep",
        lambda self, *args: kept.append(rows_to_keep(self, *args)) or kept[-1],
    )
    detector.fit(X)
    assert [len(rows) for rows in kept[0]] == [60, 60]
