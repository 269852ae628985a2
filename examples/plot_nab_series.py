"""
=====================================================
A NAB-style series end to end
=====================================================

The `Numenta Anomaly Benchmark <https://github.com/numenta/NAB>`_ (NAB) labels
real-world series with *anomaly windows*: stretches around each anomaly
within which a detection counts as a hit. This example runs the whole
time-series workflow of :mod:`sklearn_gan_ad.timeseries` on such a series,
one step at a time:

windows → per-step scores → per-timestamp scores → intervals → overlap F1.

So that the documentation does not depend on downloaded data, the series is
synthesised to look like a NAB traffic series: hourly values with a daily and
a weekly cycle, skewed noise, an outage and a day and a half of unusual night
traffic. ``benchmarks/nab.py`` in the repository runs the same steps on the
real NAB files.
"""

# %%
# Synthesise the series and its anomaly windows
# ---------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_gan_ad import LSTMGANAnomalyDetector
from sklearn_gan_ad.timeseries import (
    find_intervals,
    intervals_to_labels,
    make_windows,
    overlap_segment_scores,
    timestamp_scores_metrics,
    windows_to_timestamps,
)

rng = np.random.RandomState(0)
timestamps = pd.date_range("2024-03-01", periods=24 * 60, freq="h")  # 60 days
hour = timestamps.hour.to_numpy()
weekend = timestamps.day_of_week.to_numpy() >= 5
daily_cycle = np.exp(-0.5 * ((hour - 14) / 3.5) ** 2)  # busiest at 2 pm
values = 20 + 60 * daily_cycle * np.where(weekend, 0.6, 1.0) + rng.gamma(4, 1.5, hour.size)

outage = 24 * 20 + 12  # day 20, noon: five hours of almost no traffic
values[outage : outage + 5] = rng.uniform(0, 2, 5)
surge = 24 * 41  # day 41: a day and a half of heavy night-time traffic
values[surge : surge + 36] += 10 + 35 * np.exp(-0.5 * ((hour[surge : surge + 36] - 2) / 3) ** 2)

# NAB-style labels: a window of one day on each side of every anomaly
true_windows = [(outage - 24, outage + 4 + 24), (surge - 24, surge + 35 + 24)]
series = pd.Series(values, index=timestamps, name="requests per hour")
print(series.describe().round(1).to_string())

# %%
# 1. Windows
# ----------
# One window covers a day (24 hourly values); a new window starts every 3 hours.
window, step = 24, 3
windows, starts = make_windows(series, window=window, step=step)
print(f"{len(windows)} windows of shape {windows.shape[1:]}, first starts: {starts[:4]}")

# %%
# 2. Fit and score every step of every window
# -------------------------------------------
# Unsupervised: the detector is fitted on all windows, anomalies included.
# A slightly higher learning rate than the default lets 60 epochs suffice.
# :meth:`~sklearn_gan_ad.LSTMGANAnomalyDetector.feature_scores` gives the
# squared reconstruction error of every step of every window.
detector = LSTMGANAnomalyDetector(epochs=60, learning_rate=3e-3, random_state=0)
detector.fit(windows)
step_scores = detector.feature_scores(windows)
print("per-step scores:", step_scores.shape)

# %%
# 3. One score per timestamp
# --------------------------
# Every timestamp is covered by up to ``window / step = 8`` windows; the median
# of their per-step scores is robust to a single badly reconstructed window.
timestamp_scores = windows_to_timestamps(step_scores, starts, len(series), aggregate="median")

# %%
# 4. Intervals
# ------------
# A timestamp is flagged when its score exceeds ``mean + 4 std`` of a local
# window of scores (the defaults of
# :func:`~sklearn_gan_ad.timeseries.find_intervals`); flagged stretches less
# than a day apart are merged, and intervals shorter than 3 hours dropped.
intervals = find_intervals(timestamp_scores, min_gap=24, min_length=3)
for interval in intervals:
    print(
        f"{timestamps[interval.start]} to {timestamps[interval.end]}, "
        f"severity {interval.severity:.2f}"
    )

# %%
# 5. Evaluation
# -------------
# :func:`~sklearn_gan_ad.timeseries.overlap_segment_scores` counts a labelled
# window as found when any detected interval overlaps it, and a detected
# interval as a false positive when it overlaps no labelled window (Orion and
# TadGAN's "overlapping segment" F1).
# :func:`~sklearn_gan_ad.timeseries.timestamp_scores_metrics` judges the
# per-timestamp scores without a threshold.
overlap = overlap_segment_scores(intervals, true_windows)
print({key: round(value, 3) for key, value in overlap.items()})
labels = intervals_to_labels(true_windows, len(series))
print(
    {
        key: round(value, 3)
        for key, value in timestamp_scores_metrics(timestamp_scores, labels).items()
    }
)

# %%
# The whole pipeline in one figure
# --------------------------------
fig, (ax_series, ax_scores) = plt.subplots(
    2, 1, figsize=(11, 5.8), sharex=True, height_ratios=[3, 2]
)
ax_series.plot(timestamps, values, color="black", linewidth=0.5)
for start, end in true_windows:
    ax_series.axvspan(
        timestamps[start],
        timestamps[end],
        color="tab:green",
        alpha=0.25,
        linewidth=0,
        label="NAB-style anomaly window",
    )
for start, end, _ in intervals:
    ax_series.axvspan(
        timestamps[start],
        timestamps[end],
        ymin=0.55,
        color="tab:red",
        alpha=0.45,
        linewidth=0,
        label="detected interval",
    )
handles, names = ax_series.get_legend_handles_labels()
unique = dict(zip(names, handles))
ax_series.legend(unique.values(), unique.keys(), loc="upper left", fontsize=8)
ax_series.set_ylabel("requests per hour")
ax_series.set_title(
    f"Overlap F1 = {overlap['f1']:.2f} "
    f"(precision {overlap['precision']:.2f}, recall {overlap['recall']:.2f})"
)

ax_scores.plot(timestamps, timestamp_scores, color="tab:purple", linewidth=0.6)
for start, end, _ in intervals:
    ax_scores.axvspan(timestamps[start], timestamps[end], color="tab:red", alpha=0.2, linewidth=0)
ax_scores.set_ylabel("per-timestamp score")
fig.autofmt_xdate()
fig.tight_layout()

# %%
# Zoom on the two anomalies
# -------------------------
# Both labelled anomalies are found; the first detected interval (11–12 March)
# touches no labelled window and counts as a false positive (precision 2/3
# above). NAB's windows are much wider than the anomalies themselves, to leave
# room for early or late detections; the overlap F1 only asks whether a
# detection touches a window.
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
for ax, (title, centre) in zip(axes, [("Outage", outage), ("Night-time surge", surge)]):
    shown = slice(centre - 72, centre + 96)
    ax.plot(timestamps[shown], values[shown], color="black", linewidth=0.8)
    for start, end in true_windows:
        ax.axvspan(timestamps[start], timestamps[end], color="tab:green", alpha=0.2, linewidth=0)
    for start, end, _ in intervals:
        ax.axvspan(
            timestamps[start], timestamps[end], ymin=0.55, color="tab:red", alpha=0.45, linewidth=0
        )
    ax.set_xlim(timestamps[shown.start], timestamps[shown.stop - 1])
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
axes[0].set_ylabel("requests per hour")
fig.tight_layout()
plt.show()
