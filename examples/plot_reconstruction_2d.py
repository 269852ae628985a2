"""
==============================================
Reconstruction-error detection on 2-D data
==============================================

The simplest way to use :class:`~sklearn_gan_ad.GANAnomalyDetector`: train it
on (mostly) normal rows and flag the rows that its encoder and generator cannot
reproduce. With ``anomaly_score="reconstruction"`` the anomaly evidence is the squared
reconstruction error of ``G(E(x))`` on standardised features, each feature's
error divided by its typical (upper-quartile) training error.

On two features we can draw what the detector learnt: the filled contours show
:meth:`~sklearn_gan_ad.GANAnomalyDetector.decision_function` over the plane
(darker = more anomalous) and the red line is its zero level, the boundary
between predicted inliers (+1) and outliers (-1).
"""

# %%
# Data: a curved band of normal points plus a few scattered anomalies
# -------------------------------------------------------------------
# The normal rows lie on a noisy arc, so that a linear model (such as PCA)
# could not reconstruct them; 15 anomalies are drawn uniformly over the plane,
# keeping only points at least one unit away from the arc.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_gan_ad import GANAnomalyDetector

rng = np.random.RandomState(0)
angle = rng.uniform(0, np.pi, size=400)
X_normal = np.column_stack([np.cos(angle), np.sin(angle)]) * 3.0
X_normal += 0.25 * rng.randn(*X_normal.shape)
candidates = rng.uniform(-4.5, 4.5, size=(200, 2))
to_arc = np.where(
    candidates[:, 1] >= 0,
    np.abs(np.hypot(*candidates.T) - 3.0),  # distance to the half circle ...
    np.minimum(
        np.hypot(candidates[:, 0] - 3, candidates[:, 1]),  # ... or its ends
        np.hypot(candidates[:, 0] + 3, candidates[:, 1]),
    ),
)
X_anomalies = candidates[to_arc > 1.0][:15]
X = np.vstack([X_normal, X_anomalies])
y = np.r_[np.zeros(len(X_normal)), np.ones(len(X_anomalies))]  # only for plotting

# %%
# Fit the detector
# ----------------
# The training data is unlabelled and contains the anomalies, as in real use.
# A one-dimensional latent code forces the encoder and generator to learn the
# arc itself rather than the identity map. ``contamination=0.05`` puts the
# threshold at the 5th percentile of the training scores (the planted anomalies
# are 3.6 % of the rows).
detector = GANAnomalyDetector(
    anomaly_score="reconstruction",
    latent_dim=1,
    epochs=200,
    contamination=0.05,
    random_state=0,
).fit(X)

labels = detector.predict(X)
print(f"offset_ = {detector.offset_:.2f} (contamination=0.05)")
print(
    f"flagged {np.sum(labels == -1)} rows; "
    f"{np.sum((labels == -1) & (y == 1))} of {int(y.sum())} planted anomalies among them"
)

# %%
# Decision boundary
# -----------------
# ``decision_function = score_samples - offset_`` is negative for outliers.
# Far from the data the reconstruction error grows quickly, so the colour scale
# is cut at -50.
xx, yy = np.meshgrid(np.linspace(-5, 5, 150), np.linspace(-5, 5, 150))
grid = np.column_stack([xx.ravel(), yy.ravel()])
Z = detector.decision_function(grid).reshape(xx.shape)

fig, ax = plt.subplots(figsize=(6.4, 5.6))
levels = np.r_[np.linspace(-50, 0, 11), np.linspace(0, Z.max(), 3)[1:]]
contour = ax.contourf(xx, yy, np.maximum(Z, -50), levels=levels, cmap="Blues_r")
ax.contour(xx, yy, Z, levels=[0], colors="red", linewidths=2)
ax.scatter(*X_normal.T, s=10, c="white", edgecolors="k", linewidths=0.4, label="normal")
ax.scatter(*X_anomalies.T, s=40, c="gold", edgecolors="k", label="planted anomaly")
flagged = labels == -1
ax.scatter(*X[flagged].T, s=110, facecolors="none", edgecolors="red", label="predicted -1")
fig.colorbar(contour, ax=ax, label="decision_function")
ax.set(title="GANAnomalyDetector(anomaly_score='reconstruction')", xlim=(-5, 5), ylim=(-5, 5))
ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()

# %%
# What the networks learnt
# ------------------------
# :meth:`~sklearn_gan_ad.GANAnomalyDetector.reconstruct` returns ``G(E(x))`` in
# the units of ``X``. Through a one-dimensional code every reconstruction lies on
# one curve, the arc the networks learnt; a row's reconstruction error is its
# squared distance from its reconstruction, on standardised features. Normal
# rows sit next to theirs; the planted anomalies' reconstructions lie far from
# them (grey lines), on the arc or on the stretches of the curve that codes
# outside the normal rows' range lead to.
reconstructions = detector.reconstruct(X)

fig, ax = plt.subplots(figsize=(6.4, 5.0))
ax.scatter(*X_normal.T, s=10, c="white", edgecolors="k", linewidths=0.4, label="normal")
ax.scatter(*X_anomalies.T, s=40, c="gold", edgecolors="k", label="planted anomaly")
for row, rebuilt in zip(X_anomalies, reconstructions[len(X_normal) :]):
    ax.plot(*np.column_stack([row, rebuilt]), color="grey", linewidth=0.8)
ax.scatter(*reconstructions.T, s=6, c="tab:red", label="G(E(x)) of every row")
ax.set(title="Reconstructions through a 1-D code", xlim=(-5, 5), ylim=(-5, 5), aspect="equal")
ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()

# %%
# Where the threshold sits
# ------------------------
# Training scores are standardised robustly, so they have median 0 and a robust
# standard deviation of 1. A float ``contamination`` puts ``offset_`` at that
# percentile of the training scores (here the 5th);
# ``contamination="auto"`` would put it at -3, three robust standard deviations
# below the median training row. Squared errors are right-skewed, so on this
# data "auto" would flag more normal rows than the 5 % rule.
train_scores = detector.score_samples(X)
print(f"5th percentile of the training scores: {np.percentile(train_scores, 5):.2f}")
print(f"share of rows below -3 ('auto'):        {np.mean(train_scores < -3):.1%}")

fig, ax = plt.subplots(figsize=(6.4, 3.4))
bins = np.linspace(max(train_scores.min(), -25), train_scores.max(), 60)
clipped = np.clip(train_scores, bins[0], bins[-1])
ax.hist(clipped[y == 0], bins=bins, color="tab:blue", alpha=0.7, label="normal rows")
ax.hist(clipped[y == 1], bins=bins, color="tab:orange", alpha=0.9, label="planted anomalies")
ax.axvline(detector.offset_, color="red", linestyle="--", label="offset_, contamination=0.05")
ax.axvline(-3.0, color="black", linestyle=":", label="offset_, contamination='auto'")
ax.set(
    xlabel="score_samples (higher = more normal; clipped at -25)",
    ylabel="rows",
    title="Training scores and the two threshold rules",
)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
