"""
=============================================
Which features make a row anomalous?
=============================================

:meth:`~sklearn_gan_ad.GANAnomalyDetector.feature_scores` splits the
reconstruction error of each row into one contribution per feature: the squared
difference between the standardised feature and its reconstruction
``G(E(x))``. A row's mean contribution is its
:meth:`~sklearn_gan_ad.GANAnomalyDetector.reconstruction_error`, so the
features with the largest contributions are the ones the detector could not
reconcile with the rest of the row.

Here we plant an anomaly whose every value is ordinary on its own: only the
*relation* between the features is broken.
"""

# %%
# Sensor-like data driven by two hidden factors
# ---------------------------------------------
# Six readings of a machine depend on its load and its ambient temperature. A
# univariate check (is each value within its usual range?) cannot see an
# anomaly that only breaks the relation between readings.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_gan_ad import GANAnomalyDetector

rng = np.random.RandomState(0)
n = 600
load = rng.uniform(0, 1, n)
ambient = rng.normal(20, 4, n)
X = pd.DataFrame(
    {
        "power_kw": 5 + 40 * load,
        "current_a": 10 + 80 * load,
        "motor_temp_c": ambient + 30 * load,
        "coolant_temp_c": ambient + 12 * load,
        "vibration_mm_s": 1 + 3 * load**2,
        "fan_rpm": 800 + 1200 * load,
    }
)
X += rng.normal(scale=0.03, size=X.shape) * X.std().to_numpy()

# %%
# Plant an anomaly
# ----------------
# We copy the most idle row and give it the motor temperature of a fully
# loaded machine while every other reading still says it is idle: the motor is
# overheating. That temperature is well inside the range of motor temperatures
# seen in the data.
idle = int(np.argmin(load))
anomaly = X.iloc[[idle]].copy()
anomaly["motor_temp_c"] = ambient[idle] + 30.0
print(anomaly.round(1).to_string())
print(
    "motor_temp_c range in the data:",
    f"{X['motor_temp_c'].min():.0f} to {X['motor_temp_c'].max():.0f} °C",
)

# %%
# Fit on the normal rows and score the anomaly
# --------------------------------------------
detector = GANAnomalyDetector(epochs=80, random_state=0).fit(X)
print(
    "predict:",
    detector.predict(anomaly),
    "| score_samples:",
    detector.score_samples(anomaly).round(1),
)

contributions = detector.feature_scores(anomaly)[0]
typical = np.median(detector.feature_scores(X), axis=0)
share = contributions / contributions.sum()
print(
    pd.Series(share, index=detector.feature_names_in_)
    .sort_values(ascending=False)
    .map("{:.0%}".format)
    .to_string()
)

# %%
# Per-feature contributions
# -------------------------
# The bar chart compares the anomaly's contributions with the median
# contribution of the training rows (note the logarithmic axis). The
# overheating motor stands out. The other readings are worse reconstructed than
# usual too, but far less (the coolant temperature five times less, the
# rest some 25 times less): the reconstruction
# ``G(E(x))`` of the whole row is a compromise pulled towards the broken feature.
names = detector.feature_names_in_
order = np.argsort(contributions)
fig, ax = plt.subplots(figsize=(7, 3.8))
positions = np.arange(len(names))
ax.barh(positions + 0.2, contributions[order], height=0.4, color="tab:red", label="planted anomaly")
ax.barh(positions - 0.2, typical[order], height=0.4, color="tab:blue", label="median training row")
ax.set_yticks(positions, names[order])
ax.set_xscale("log")
ax.set_xlabel("feature_scores: squared standardised reconstruction error")
ax.set_title("Which features the detector could not reconstruct")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
