"""Small embedded data sets for examples, the command line and quick checks."""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.utils import check_random_state

__all__ = ["load_default_dataset"]

# Anomalies per normal row. Ten percent keeps them a minority, as an anomaly
# detection benchmark needs, yet leaves enough of them in a 30 % test part
# (about 11) for ROC-AUC and average precision to be more than noise.
_ANOMALY_RATIO = 0.1


def load_default_dataset(random_state=0):
    """Load the default anomaly detection data set (breast cancer, benign vs. malignant).

    The rows come from scikit-learn's bundled Wisconsin breast cancer data
    (:func:`sklearn.datasets.load_breast_cancer`, 569 tumours, 30 numeric
    features computed from cell nuclei images; no download needed). All 357
    benign tumours are the normal rows (label 0) and a random 10 % as many
    malignant tumours (36 of the 212) are the anomalies (label 1): a
    classification set turned into an outlier detection one by keeping the
    second class rare. The rows are shuffled so that anomalies are not grouped
    at the end.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=0
        Chooses which malignant rows become anomalies and the row order. The
        default gives the same data set every time.

    Returns
    -------
    X : pandas.DataFrame of shape (393, 30)
        Feature values, columns named as in scikit-learn (``"mean radius"``,
        ...), with a fresh ``RangeIndex``.
    y : ndarray of shape (393,), dtype int64
        ``1`` for an anomaly (malignant), ``0`` for a normal row (benign).

    Examples
    --------
    >>> from sklearn_gan_ad.datasets import load_default_dataset
    >>> X, y = load_default_dataset()
    >>> X.shape, int(y.sum())
    ((393, 30), 36)
    """
    rng = check_random_state(random_state)
    data = load_breast_cancer(as_frame=True)
    features, target = data.data, data.target.to_numpy()
    # scikit-learn codes this target as 0 = malignant, 1 = benign
    benign = np.flatnonzero(target == 1)
    malignant = np.flatnonzero(target == 0)
    n_anomalies = int(round(_ANOMALY_RATIO * len(benign)))
    anomalies = rng.choice(malignant, size=n_anomalies, replace=False)
    rows = np.concatenate([benign, anomalies])
    labels = np.concatenate(
        [np.zeros(len(benign), dtype=np.int64), np.ones(n_anomalies, dtype=np.int64)]
    )
    order = rng.permutation(len(rows))
    X = features.iloc[rows[order]].reset_index(drop=True)
    X.columns.name = None
    return X, labels[order]
