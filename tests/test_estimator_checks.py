"""scikit-learn's own estimator checks, every one of them, with no expected failure."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector

# Small networks and few epochs: the checks fit the detectors dozens of times.
FAST = dict(epochs=3, batch_size=32, n_estimators=2, random_state=0)
DETECTORS = [
    GANAnomalyDetector(hidden_layer_sizes=(16,), **FAST),
    # the neighbour score keeps training embeddings: subset invariance, pickling
    # and fit idempotence must hold for it too
    GANAnomalyDetector(hidden_layer_sizes=(16,), novelty=True, **FAST),
    LSTMGANAnomalyDetector(hidden_size=8, **FAST),
    # a data-dependent start (PCA of the training windows) and the critic's score
    LSTMGANAnomalyDetector(hidden_size=8, novelty=True, **FAST),
]


@parametrize_with_checks(DETECTORS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
