"""
=====================================================
Reconstruction, discriminator and combined scores
=====================================================

:class:`~sklearn_gan_ad.GANAnomalyDetector` has three ways of turning its
trained networks into an anomaly score, chosen with ``anomaly_score``:

``"reconstruction"``
    the squared error between a (standardised) row and its reconstruction
    ``G(E(x))``, each feature's error divided by its typical (upper-quartile)
    training error, then averaged over the features;
``"discriminator"``
    the *feature residual* of the critic on rows: the squared difference of the
    critic's last hidden layer on ``x`` and on ``G(E(x))`` (f-AnoGAN). The
    critic's raw real/fake output is not used;
``"combined"`` (default)
    a weighted sum of the reconstruction error, the discriminator score and the
    latent score (the squared norm of the code ``E(x)``), each standardised on
    the training data with a robust centre and scale; the weights are 1,
    ``discriminator_weight`` and ``latent_weight``.

``anomaly_score`` changes the training only through pruning: by default a fit
leaves out, for its second half, the rows the selected score already rates as
clear outliers. With ``prune_threshold=None``, as below, the three detectors
train identical networks (same ``random_state``) and differ only in how they
score.
"""

# %%
# Three clusters of normal rows and a few anomalies between them
# --------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from sklearn_gan_ad import GANAnomalyDetector

rng = np.random.RandomState(0)
centres = np.array([[-2.5, -1.0], [2.0, 2.0], [2.5, -2.0]])
X_normal = np.vstack([centre + 0.5 * rng.randn(100, 2) for centre in centres])
candidates = rng.uniform(-5, 5, size=(200, 2))
distance = np.linalg.norm(candidates[:, None] - centres[None], axis=2).min(axis=1)
X_anomalies = candidates[distance > 2.0][:12]
X = np.vstack([X_normal, X_anomalies])
y = np.r_[np.zeros(len(X_normal)), np.ones(len(X_anomalies))]  # 1 = anomaly

# %%
# One detector per score mode
# ---------------------------
# ``contamination=0.05`` flags the same share of training rows in every panel,
# so the boundaries can be compared directly.
template = GANAnomalyDetector(epochs=100, contamination=0.05, prune_threshold=None, random_state=0)
detectors = {
    score: clone(template).set_params(anomaly_score=score).fit(X)
    for score in ("reconstruction", "discriminator", "combined")
}
for score, detector in detectors.items():
    auc = roc_auc_score(y, -detector.score_samples(X))
    print(f"{score:>14}: ROC-AUC {auc:.3f}")

same = np.allclose(
    detectors["reconstruction"].reconstruction_error(X),
    detectors["combined"].reconstruction_error(X),
)
print("identical networks:", same)

# %%
# Side by side
# ------------
# Filled contours: ``decision_function`` (darker = more anomalous, cut at -15);
# red line: its zero level. The reconstruction error grows with the distance to
# what the generator can produce; the critic's features react to how
# *realistic* a row looks; the combined score adds the standardised
# components with their weights.
xx, yy = np.meshgrid(np.linspace(-5.5, 5.5, 120), np.linspace(-5.5, 5.5, 120))
grid = np.column_stack([xx.ravel(), yy.ravel()])
levels = np.r_[np.linspace(-15, 0, 7), 1.0, 2.0, 4.0]

fig, axes = plt.subplots(1, 3, figsize=(13, 4.8), sharey=True, layout="constrained")
for ax, (score, detector) in zip(axes, detectors.items()):
    Z = detector.decision_function(grid).reshape(xx.shape)
    ax.contourf(xx, yy, np.clip(Z, -15, 4), levels=levels, cmap="Blues_r")
    ax.contour(xx, yy, Z, levels=[0], colors="red", linewidths=2)
    ax.scatter(*X_normal.T, s=8, c="white", edgecolors="k", linewidths=0.4)
    ax.scatter(*X_anomalies.T, s=35, c="gold", edgecolors="k")
    auc = roc_auc_score(y, -detector.score_samples(X))
    ax.set_title(f'anomaly_score="{score}"\nROC-AUC {auc:.3f}')
    ax.set_aspect("equal")
fig.suptitle("Same networks, three anomaly scores (white: normal rows, gold: anomalies)")

# %%
# The two raw components
# ----------------------
# :meth:`~sklearn_gan_ad.GANAnomalyDetector.reconstruction_error` and
# :meth:`~sklearn_gan_ad.GANAnomalyDetector.discriminator_score` give the
# unstandardised components (higher = more anomalous) whatever ``anomaly_score`` is.
# They live on unrelated scales, which is why ``"combined"`` standardises each
# one robustly before adding them. (A third component,
# :meth:`~sklearn_gan_ad.GANAnomalyDetector.latent_score`, is not drawn here.)
detector = detectors["combined"]
fig, ax = plt.subplots(figsize=(5.5, 4.5))
ax.scatter(
    detector.reconstruction_error(X_normal),
    detector.discriminator_score(X_normal),
    s=10,
    label="normal",
)
ax.scatter(
    detector.reconstruction_error(X_anomalies),
    detector.discriminator_score(X_anomalies),
    s=35,
    c="gold",
    edgecolors="k",
    label="anomaly",
)
ax.set(
    xscale="log",
    yscale="log",
    xlabel="reconstruction_error(X)",
    ylabel="discriminator_score(X)",
    title="Score components per row",
)
ax.legend()
fig.tight_layout()
plt.show()
