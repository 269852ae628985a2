"""novelty=True: defaults for clean training data, and the neighbour score it adds."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector, load
from sklearn_gan_ad import base as base_module

SMALL = dict(hidden_layer_sizes=(16, 16), epochs=6, n_estimators=2, random_state=0)


@pytest.fixture(scope="module")
def clean_rows():
    """Normal training rows on two separate clusters, and test rows between them."""
    rng = np.random.RandomState(0)
    centres = np.array([[-3.0] * 4, [3.0] * 4])
    X_train = np.vstack([c + 0.5 * rng.normal(size=(150, 4)) for c in centres])
    X_normal = np.vstack([c + 0.5 * rng.normal(size=(20, 4)) for c in centres])
    # between the clusters: inside the data's range, far from every normal row
    X_novel = 0.5 * rng.normal(size=(10, 4))
    X_test = np.vstack([X_normal, X_novel])
    y_test = np.r_[np.zeros(len(X_normal)), np.ones(len(X_novel))]
    return X_train, X_test, y_test


@pytest.fixture(scope="module")
def novelty_detector(clean_rows):
    return GANAnomalyDetector(novelty=True, **SMALL).fit(clean_rows[0])


def test_default_is_novelty_false_with_pruning_and_no_neighbour_score():
    detector = GANAnomalyDetector()
    assert detector.novelty is False
    assert detector._resolved("prune_threshold") == 2.0
    assert "neighbours" not in detector._score_weights()


def test_novelty_false_scores_exactly_as_the_explicit_former_defaults(clean_rows):
    X_train, X_test, _ = clean_rows
    auto = GANAnomalyDetector(**SMALL).fit(X_train)
    explicit = GANAnomalyDetector(prune_threshold=2.0, neighbour_weight=0.0, **SMALL).fit(X_train)
    np.testing.assert_array_equal(auto.score_samples(X_test), explicit.score_samples(X_test))
    assert not hasattr(auto, "neighbour_reference_")


def test_novelty_true_trains_every_epoch_on_every_row(clean_rows):
    X_train = clean_rows[0]
    detector = GANAnomalyDetector(novelty=True, batch_size=30, **SMALL).fit(X_train)
    assert set(detector.net_.history[:, "train_batch_count"]) == {10}


def test_novelty_true_scores_by_the_neighbour_distance_alone(novelty_detector):
    assert novelty_detector._score_weights() == {"neighbours": 1.0}
    assert set(novelty_detector.scorer_.combiners_[0].location_scale_) == {"neighbours"}


def test_the_neighbour_score_with_pruning_prunes_by_the_reconstruction_error(clean_rows):
    X_train, X_test, _ = clean_rows
    far = 20.0 + np.random.RandomState(1).normal(size=(10, 4))
    detector = GANAnomalyDetector(
        anomaly_score="neighbours", prune_threshold=2.0, batch_size=30, **SMALL
    ).fit(np.vstack([X_train, far]))
    batch_counts = detector.net_.history[:, "train_batch_count"]
    # 310 rows fill 11 batches; without the 10 far rows, at most 10
    assert batch_counts[0] == 11 and batch_counts[-1] <= 10
    assert np.all(np.isfinite(detector.score_samples(X_test)))


def test_novelty_true_combined_score_weighs_neighbours_above_reconstruction():
    weights = GANAnomalyDetector(novelty=True, anomaly_score="combined")._score_weights()
    assert weights["neighbours"] > weights["scaled_reconstruction"] > 0


def test_explicit_settings_override_what_novelty_resolves():
    detector = GANAnomalyDetector(
        novelty=True, anomaly_score="combined", prune_threshold=2.0, neighbour_weight=0.0
    )
    assert detector._resolved("prune_threshold") == 2.0
    assert "neighbours" not in detector._score_weights()


def test_novelty_finds_rows_between_clusters_of_clean_training_rows(novelty_detector, clean_rows):
    _, X_test, y_test = clean_rows
    assert roc_auc_score(y_test, -novelty_detector.score_samples(X_test)) > 0.95


def test_neighbour_reference_keeps_each_members_embedding_of_every_training_row(
    novelty_detector, clean_rows
):
    n_rows = len(clean_rows[0])
    width = SMALL["hidden_layer_sizes"][0]
    assert novelty_detector.neighbour_reference_.shape == (SMALL["n_estimators"], n_rows, width)


def test_neighbour_reference_is_bounded_by_evenly_spaced_rows(clean_rows, monkeypatch):
    monkeypatch.setattr(base_module, "_NEIGHBOUR_REFERENCE_ROWS", 40)
    detector = GANAnomalyDetector(novelty=True, **SMALL).fit(clean_rows[0])
    assert detector.neighbour_reference_.shape[1] == 40
    assert np.isfinite(detector.score_samples(clean_rows[1])).all()


def test_neighbour_distance_is_the_mean_over_the_five_nearest_reference_rows(
    novelty_detector, clean_rows
):
    X_test = clean_rows[1]
    expected = []
    standardised = (X_test - novelty_detector.input_mean_) / novelty_detector.input_scale_
    as_network_input = torch.as_tensor(standardised, dtype=torch.float32)
    members = novelty_detector.net_.embed(as_network_input).numpy().astype(np.float64)
    for embedded, reference in zip(members, novelty_detector.neighbour_reference_):
        distances, _ = NearestNeighbors(n_neighbors=5).fit(reference).kneighbors(embedded)
        expected.append(distances.mean(axis=1))
    # float32 embeddings: a differently shaped call may round differently
    np.testing.assert_allclose(
        novelty_detector.neighbour_distance(X_test), np.mean(expected, axis=0), rtol=1e-5
    )


def test_offset_is_the_contamination_percentile_of_the_training_rows_scores(clean_rows):
    X_train = clean_rows[0]
    detector = GANAnomalyDetector(novelty=True, contamination=0.1, **SMALL).fit(X_train)
    assert detector.offset_ == pytest.approx(np.percentile(detector.score_samples(X_train), 10.0))


def test_a_training_row_is_not_its_own_neighbour():
    reference = np.array([[0.0], [1.0], [3.0], [6.0], [10.0], [15.0], [21.0]])
    index = NearestNeighbors().fit(reference)
    queries = np.array([[0.0], [0.5]])  # a reference row, and a new row
    distances = GANAnomalyDetector._neighbour_distances(index, reference, queries)
    np.testing.assert_allclose(
        distances, [(1 + 3 + 6 + 10 + 15) / 5, (0.5 + 0.5 + 2.5 + 5.5 + 9.5) / 5]
    )


def test_an_exact_copy_of_a_training_row_counts_the_other_copy():
    reference = np.array([[0.0], [0.0], [3.0], [6.0], [10.0], [15.0]])
    index = NearestNeighbors().fit(reference)
    distances = GANAnomalyDetector._neighbour_distances(index, reference, np.array([[0.0]]))
    np.testing.assert_allclose(distances, [(0 + 3 + 6 + 10 + 15) / 5])


def test_new_normal_rows_are_flagged_about_as_often_as_training_rows():
    # training rows are scored leave-one-out: the threshold set on them holds
    # for new rows of the same distribution
    rng = np.random.RandomState(0)
    X_train, X_new = rng.normal(size=(1000, 10)), rng.normal(size=(2000, 10))
    detector = GANAnomalyDetector(novelty=True, **SMALL).fit(X_train)
    flagged_train = np.mean(detector.predict(X_train) == -1)
    assert np.mean(detector.predict(X_new) == -1) < flagged_train + 0.03


def test_float_contamination_flags_that_share_of_clean_training_rows(clean_rows):
    detector = GANAnomalyDetector(novelty=True, contamination=0.1, **SMALL)
    assert np.mean(detector.fit_predict(clean_rows[0]) == -1) == pytest.approx(0.1)


def test_neighbour_distance_without_the_neighbour_score_raises_a_clear_error(clean_rows):
    detector = GANAnomalyDetector(**SMALL).fit(clean_rows[0])
    with pytest.raises(AttributeError, match="novelty=True"):
        detector.neighbour_distance(clean_rows[1])


def test_a_row_scores_the_same_alone_and_among_others(novelty_detector, clean_rows):
    X_test = clean_rows[1]
    together = novelty_detector.score_samples(X_test)
    alone = np.array([novelty_detector.score_samples(row[None])[0] for row in X_test])
    np.testing.assert_allclose(alone, together, rtol=1e-10, atol=1e-10)


def test_same_random_state_gives_identical_novelty_scores(novelty_detector, clean_rows):
    X_train, X_test, _ = clean_rows
    again = GANAnomalyDetector(novelty=True, **SMALL).fit(X_train)
    np.testing.assert_array_equal(
        again.score_samples(X_test), novelty_detector.score_samples(X_test)
    )


def test_saved_novelty_detector_loads_with_identical_scores(novelty_detector, clean_rows, tmp_path):
    path = tmp_path / "novelty.pt"
    novelty_detector.save(path)
    loaded = load(path)
    X_test = clean_rows[1]
    np.testing.assert_array_equal(
        loaded.score_samples(X_test), novelty_detector.score_samples(X_test)
    )
    np.testing.assert_array_equal(
        loaded.neighbour_distance(X_test), novelty_detector.neighbour_distance(X_test)
    )


def test_feature_scores_still_average_to_the_reconstruction_error(novelty_detector, clean_rows):
    X_test = clean_rows[1]
    np.testing.assert_allclose(
        novelty_detector.feature_scores(X_test).mean(axis=1),
        novelty_detector.reconstruction_error(X_test),
    )


def test_refit_without_the_neighbour_score_drops_the_reference(clean_rows):
    detector = GANAnomalyDetector(novelty=True, **SMALL).fit(clean_rows[0])
    detector.set_params(novelty=False).fit(clean_rows[0])
    assert not hasattr(detector, "neighbour_reference_")


def _two_channel_windows():
    rng = np.random.RandomState(0)
    steps = np.arange(400)
    series = np.c_[np.sin(steps / 5.0), np.cos(steps / 7.0)] + 0.05 * rng.normal(size=(400, 2))
    return np.stack([series[i : i + 20].ravel() for i in range(0, 380, 2)])


def test_lstm_detector_with_novelty_scores_by_reconstruction_alone():
    detector = LSTMGANAnomalyDetector(novelty=True)
    assert detector._scored_components() == ("reconstruction",)
    assert detector._resolved("linear_start") == "pca"


def test_lstm_detector_without_novelty_scores_by_reconstruction_and_latent_typicality():
    detector = LSTMGANAnomalyDetector()
    assert detector._scored_components() == ("reconstruction", "latent_typicality")
    assert detector._resolved("linear_start") == "random"


def test_lstm_detector_scores_multichannel_windows_with_an_explicit_neighbour_weight():
    windows = _two_channel_windows()
    detector = LSTMGANAnomalyDetector(
        n_channels=2, hidden_size=8, epochs=2, novelty=True, neighbour_weight=4.0, random_state=0
    ).fit(windows)
    assert detector._score_weights()["neighbours"] == 4.0
    assert detector.neighbour_reference_.shape[:2] == (1, len(windows))
    assert np.isfinite(detector.score_samples(windows)).all()


def test_saved_lstm_novelty_detector_loads_with_identical_scores(tmp_path):
    windows = _two_channel_windows()
    detector = LSTMGANAnomalyDetector(
        n_channels=2, hidden_size=8, epochs=2, novelty=True, random_state=0
    ).fit(windows)
    detector.save(tmp_path / "windows.pt")
    loaded = load(tmp_path / "windows.pt")
    np.testing.assert_array_equal(loaded.score_samples(windows), detector.score_samples(windows))
