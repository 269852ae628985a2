"""scikit-learn's own estimator checks."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector

# Small networks and few epochs: the checks fit the detectors dozens of times.
FAST = dict(epochs=3, batch_size=32, n_estimators=2, random_state=0)
DETECTORS = [
    GANAnomalyDetector(hidden_layer_sizes=(16,), **FAST),
    LSTMGANAnomalyDetector(hidden_size=8, **FAST),
]

# The package API names the score-mode parameter ``score`` (as the literature
# does); these checks look up an optional ``score(X, y)`` *method* by that name,
# find the parameter's string value and try to call it. Outlier detectors have no
# ``score`` method (IsolationForest has none), so nothing else is affected.
SCORE_PARAMETER_SHADOWS_METHOD = (
    "the `score` parameter shadows the optional score(X, y) method these checks call"
)


def expected_failed_checks(estimator):
    return {
        "check_fit_score_takes_y": SCORE_PARAMETER_SHADOWS_METHOD,
        "check_n_features_in_after_fitting": SCORE_PARAMETER_SHADOWS_METHOD,
        "check_pipeline_consistency": SCORE_PARAMETER_SHADOWS_METHOD,
    }


@parametrize_with_checks(DETECTORS, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
