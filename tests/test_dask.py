"""Grid search on a Dask cluster through joblib's Dask backend."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_gan_ad import GANAnomalyDetector

distributed = pytest.importorskip("dask.distributed")


def auc_scorer(estimator, X, y):
    return roc_auc_score(y == -1, -estimator.score_samples(X))


def make_search():
    return GridSearchCV(
        GANAnomalyDetector(hidden_layer_sizes=(16,), epochs=5, random_state=0),
        {"latent_dim": [2, 3], "learning_rate": [1e-3, 3e-3]},
        scoring=auc_scorer,
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    )


@pytest.fixture(scope="module")
def labelled():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(120, 4)), rng.normal(loc=4, size=(10, 4))])
    y = np.r_[np.ones(120), -np.ones(10)]
    return X, y


def test_search_on_a_local_dask_cluster_equals_the_local_search(labelled):
    X, y = labelled
    local = make_search().fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_backend("dask"),
    ):
        remote = make_search().fit(X, y)
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.best_estimator_.score_samples(X), local.best_estimator_.score_samples(X)
    )
