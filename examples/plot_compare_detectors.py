"""
=====================================================
GANAnomalyDetector against classical detectors
=====================================================

:func:`sklearn_gan_ad.compare() <sklearn_gan_ad.compare.compare>` runs several outlier detectors on the
same repeated train/test splits and reports ROC-AUC, average precision, the
share of flagged rows and the fit and scoring times. Here
:class:`~sklearn_gan_ad.GANAnomalyDetector` meets
:class:`~sklearn.ensemble.IsolationForest`,
:class:`~sklearn.neighbors.LocalOutlierFactor` and
:class:`~sklearn.svm.OneClassSVM` on the package's default data set.

For each seed, ``compare`` splits the rows (stratified on the labels), fits a
``StandardScaler`` on the train part, fits every detector on the train part
*without labels* and ranks the test rows by ``-score_samples``.
"""

# %%
# The default data set
# --------------------
# scikit-learn's breast-cancer data turned into an anomaly detection problem:
# the 357 benign tumours are normal rows, 36 malignant ones are anomalies.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM

from sklearn_gan_ad import GANAnomalyDetector
from sklearn_gan_ad.compare import compare
from sklearn_gan_ad.datasets import load_default_dataset

X, y = load_default_dataset()
print(f"{X.shape[0]} rows, {X.shape[1]} features, {y.sum()} anomalies")

# %%
# Run the comparison
# ------------------
# A small network suits 275 training rows (see
# :ref:`sphx_glr_auto_examples_plot_grid_search.py`) and keeps the example
# fast. The other detectors use scikit-learn's defaults; LOF needs
# ``novelty=True`` to score rows it was not fitted on.
detectors = {
    "GAN": GANAnomalyDetector(hidden_layer_sizes=(16,), latent_dim=4, epochs=40),
    "IsolationForest": IsolationForest(),
    "LOF": LocalOutlierFactor(novelty=True),
    "OneClassSVM": OneClassSVM(),
}
result = compare(X, y, detectors, seeds=(0, 1, 2))
print(result.to_string())

# %%
# Ranking quality over the three seeds
# ------------------------------------
summary = result.summary
names = list(summary.index)
positions = np.arange(len(names))
fig, ax = plt.subplots(figsize=(7.5, 3.6))
for offset, metric, label in [
    (-0.2, "roc_auc", "ROC-AUC"),
    (0.2, "average_precision", "average precision"),
]:
    ax.bar(
        positions + offset,
        summary[f"{metric}_mean"],
        width=0.4,
        yerr=summary[f"{metric}_std"],
        capsize=3,
        label=label,
    )
ax.set_xticks(positions, names)
ax.set_ylim(0, 1.05)
ax.set_ylabel("mean over 3 seeds (± std)")
ax.set_title("Breast-cancer anomalies: higher is better")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# Held-out scores of the last seed
# --------------------------------
# ``result.scores`` keeps, per detector, the test-part anomaly scores
# (``-score_samples``), the labels and the detector's own threshold. A good
# detector puts the anomalies (orange) to the right of the normal rows.
fig, axes = plt.subplots(1, len(names), figsize=(12, 3))
for ax, name in zip(axes, names):
    held_out = result.scores[name]
    scores, labels = held_out.anomaly_scores, held_out.labels
    bins = np.linspace(scores.min(), np.percentile(scores, 99), 30)
    clipped = np.clip(scores, bins[0], bins[-1])
    ax.hist(clipped[labels == 0], bins=bins, alpha=0.6, label="normal")
    ax.hist(clipped[labels == 1], bins=bins, alpha=0.8, label="anomaly")
    if np.isfinite(held_out.threshold):
        ax.axvline(
            np.clip(held_out.threshold, bins[0], bins[-1]),
            color="k",
            linestyle="--",
            label="threshold",
        )
    ax.set_title(name, fontsize=10)
    ax.set_yticks([])
axes[0].legend(fontsize=7)
fig.supxlabel("anomaly score (-score_samples), clipped at the 99th percentile", fontsize=9)
fig.tight_layout()
plt.show()
