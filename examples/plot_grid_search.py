"""
=====================================================
Tuning a detector with a Pipeline and GridSearchCV
=====================================================

The detectors are ordinary scikit-learn estimators, so they can be put in a
:class:`~sklearn.pipeline.Pipeline`, cloned and tuned with
:class:`~sklearn.model_selection.GridSearchCV`.

Anomaly detectors are trained without labels, but choosing their
hyper-parameters needs *some* labelled data to compare candidates. Here a few
labelled anomalies are used **only for validation**: every candidate is fitted
on the training folds without looking at ``y``, and the validation fold is
scored with ROC-AUC of the anomaly score ``-score_samples``.
"""

# %%
# Data: benign tumours as normal rows, a few malignant ones as anomalies
# ----------------------------------------------------------------------
# scikit-learn's breast-cancer data (no download needed): all 357 benign
# tumours and 20 malignant ones. Labels use scikit-learn's outlier coding,
# ``+1`` for normal and ``-1`` for anomalous rows.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gan_ad import GANAnomalyDetector

X_all, target = load_breast_cancer(return_X_y=True)
rng = np.random.RandomState(0)
benign = np.flatnonzero(target == 1)
malignant = rng.choice(np.flatnonzero(target == 0), size=20, replace=False)
rows = rng.permutation(np.r_[benign, malignant])
X = X_all[rows]
y = np.where(target[rows] == 1, 1, -1)
print(f"{len(X)} rows, {X.shape[1]} features, {np.sum(y == -1)} anomalies")

# %%
# Pipeline, scorer and grid
# -------------------------
# The scorer receives the fitted pipeline and a validation fold. A higher
# ROC-AUC means the anomalies of the fold rank above its normal rows.
# The grid asks whether a small network does better than the default two
# layers of 64 units on 250 training rows, and which score to use.
pipeline = make_pipeline(
    StandardScaler(),
    GANAnomalyDetector(latent_dim=4, epochs=40, random_state=0),
)
param_grid = {
    "gananomalydetector__hidden_layer_sizes": [(16,), (64, 64)],
    "gananomalydetector__anomaly_score": ["reconstruction", "combined"],
}
search = GridSearchCV(
    pipeline,
    param_grid,
    scoring=lambda est, X, y: roc_auc_score(y == -1, -est.score_samples(X)),
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),  # anomalies in every fold
)
search.fit(X, y)  # y only reaches the scorer, never the detector's fit
print("best parameters:", search.best_params_)
print(f"best validation ROC-AUC: {search.best_score_:.3f}")

# %%
# Compare the candidates
# ----------------------
results = search.cv_results_
labels = [
    f"hidden_layer_sizes={p['gananomalydetector__hidden_layer_sizes']}\n"
    f"anomaly_score={p['gananomalydetector__anomaly_score']}"
    for p in results["params"]
]
fig, ax = plt.subplots(figsize=(8, 3.8))
ax.bar(
    np.arange(len(labels)),
    results["mean_test_score"],
    yerr=results["std_test_score"],
    capsize=4,
    color="tab:blue",
)
best = search.best_index_
ax.bar(best, results["mean_test_score"][best], color="tab:orange", label="best")
ax.set_xticks(np.arange(len(labels)), labels, fontsize=7)
low = np.min(results["mean_test_score"] - results["std_test_score"])
ax.set_ylim(max(0.0, low - 0.05), 1.0)
ax.set_ylabel("validation ROC-AUC (3 folds)")
ax.set_title("GridSearchCV over a Pipeline(StandardScaler, GANAnomalyDetector)")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# The refitted pipeline
# ---------------------
# ``best_estimator_`` was refitted on all rows (without labels) and is an
# ordinary outlier detector: ``predict`` returns +1 / -1.
best_pipeline = search.best_estimator_
predicted = best_pipeline.predict(X)
print(
    f"flagged {np.sum(predicted == -1)} rows, "
    f"{np.sum((predicted == -1) & (y == -1))} of them malignant"
)
plt.show()
