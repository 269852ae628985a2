"""
=====================================================
Anomalous intervals in a time series with an LSTM GAN
=====================================================

:class:`~sklearn_gan_ad.LSTMGANAnomalyDetector` scores fixed-length windows of
a series; :mod:`sklearn_gan_ad.timeseries` turns a raw series into windows and
the window scores back into one score per timestamp and a list of anomalous
intervals. :func:`~sklearn_gan_ad.timeseries.detect_intervals` chains all of
it:

1. :func:`~sklearn_gan_ad.timeseries.make_windows` cuts the series into
   overlapping windows (``window`` long, one every ``step`` timestamps);
2. the detector scores every window
   (:meth:`~sklearn_gan_ad.LSTMGANAnomalyDetector.score_samples`; with
   ``scores="step"``, every time step of every window instead, through
   :meth:`~sklearn_gan_ad.LSTMGANAnomalyDetector.feature_scores`);
3. :func:`~sklearn_gan_ad.timeseries.windows_to_timestamps` combines the
   overlapping windows into one score per timestamp (their mean by default);
4. :func:`~sklearn_gan_ad.timeseries.find_intervals` thresholds those scores
   and returns the contiguous anomalous stretches as
   :class:`~sklearn_gan_ad.timeseries.Interval` tuples.
"""

# %%
# A noisy sine wave with a spike and a level shift
# ------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_gan_ad import LSTMGANAnomalyDetector
from sklearn_gan_ad.timeseries import detect_intervals, make_windows

rng = np.random.RandomState(0)
n_timestamps, period = 1200, 50
time = np.arange(n_timestamps)
series = np.sin(2 * np.pi * time / period) + 0.1 * rng.randn(n_timestamps)
series[700:703] += 3.0  # a spike
series[900:1000] += 1.0  # a level shift
true_anomalies = [(700, 702), (900, 999)]

# %%
# Train on a clean stretch of history
# -----------------------------------
# The first 600 timestamps contain no anomaly. One window covers one period;
# small networks and few epochs keep the example fast.
window, step = period, 5
train_windows, _ = make_windows(series[:600], window=window, step=step)
detector = LSTMGANAnomalyDetector(hidden_size=16, epochs=30, random_state=0)
detector.fit(train_windows)
print(f"trained on {len(train_windows)} windows of {detector.window_length_} steps")

# %%
# Detect intervals over the whole series
# --------------------------------------
# ``fit=False`` scores with the detector as trained above (the default,
# ``fit=True``, would first fit it on the windows of the series itself).
# Keyword arguments go to :func:`~sklearn_gan_ad.timeseries.find_intervals`: a
# timestamp is anomalous when its score is more than ``z`` standard deviations
# above the mean of the scores, and flagged stretches closer than ``min_gap``
# timestamps are merged; ``min_gap=period`` makes flags less than a period
# apart one event.
#
# By default the mean and standard deviation are those of the whole series.
# Here the level shift, a hundred steps long, raises them so much that the
# three-step spike stays below that threshold: with anomalies of very
# different sizes in one series, ``local_window`` judges every stretch against
# its own neighbourhood instead (each timestamp is flagged if it stands out in
# some window of a third of the series), and both are found.
intervals, timestamp_scores = detect_intervals(
    series,
    detector,
    window=window,
    step=step,
    fit=False,
    z=3.0,
    min_gap=period,
    local_window=len(series) // 3,
)
for interval in intervals:
    print(interval)

# %%
# Series, scores and intervals
# ----------------------------
fig, (ax_series, ax_scores) = plt.subplots(2, 1, figsize=(10, 5.6), sharex=True)
ax_series.plot(time, series, color="black", linewidth=0.7)
for start, end in true_anomalies:
    ax_series.axvspan(start, end + 1, color="tab:green", alpha=0.25, linewidth=0)
for start, end, _ in intervals:
    ax_series.axvspan(start, end + 1, ymin=0.5, ymax=1.0, color="tab:red", alpha=0.35, linewidth=0)
    ax_series.annotate(
        f"{start}–{end}",
        xy=(end + 1, 2.6),
        xytext=(6, 0),
        textcoords="offset points",
        fontsize=8,
        color="tab:red",
    )
ax_series.axvline(600, color="grey", linestyle="--", linewidth=1)
ax_series.text(590, 3.2, "training data | scored only →", ha="right", fontsize=8)
ax_series.set_ylabel("value")
ax_series.set_title("Green: true anomalies; red (upper half): detected intervals")

ax_scores.plot(time, timestamp_scores, color="tab:purple", linewidth=0.8)
ax_scores.set_ylabel("per-timestamp score\n(higher = more anomalous)")
ax_scores.set_xlabel("timestamp")
for start, end, _ in intervals:
    ax_scores.axvspan(start, end + 1, color="tab:red", alpha=0.2, linewidth=0)
fig.tight_layout()

# %%
# A closer look at the level shift
# --------------------------------
# Over the shifted stretch the score forms one broad hump (highest near 930).
# Only its first part, 905–919, passes the threshold, so the interval marks
# where the shift begins rather than its whole length. The spike's interval
# (665–709) is wider than the spike: every window covering it shares its
# score. The first interval (0–4) is a false alarm at the first timestamps,
# whose scores come from a single window each.
fig, ax = plt.subplots(figsize=(10, 3))
zoom = slice(850, 1050)
ax.plot(time[zoom], series[zoom], color="black", linewidth=0.8, label="series")
ax2 = ax.twinx()
ax2.plot(time[zoom], timestamp_scores[zoom], color="tab:purple", linewidth=0.8, label="score")
ax2.set_ylabel("score", color="tab:purple")
ax.axvspan(900, 1000, color="tab:green", alpha=0.2, linewidth=0)
ax.set(xlabel="timestamp", ylabel="value", title="Level shift (green), series and score")
fig.tight_layout()
plt.show()
