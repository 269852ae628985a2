"""Figures for comparisons, decision boundaries and time-series detections.

matplotlib is an optional dependency (``pip install 'sklearn-gan-ad[plot]'``)
and is imported only when a function here is called. Figures are drawn on
matplotlib's Agg canvas directly, without pyplot: no display is needed and the
caller's pyplot backend and open figures are left alone. Every function writes
a figure file, in the format its extension names (PNG without one), and
returns its path.
"""

import numbers
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve
from sklearn.utils.validation import check_array

from .timeseries import _check_intervals

__all__ = ["plot_comparison", "plot_decision_boundary", "plot_series"]

_NORMAL_COLOUR = "tab:blue"
_ANOMALY_COLOUR = "tab:orange"
_PREDICTED_COLOUR = "tab:red"
_TRUE_COLOUR = "tab:green"


def _new_figure(figsize):
    """A pyplot-free Figure attached to an Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "plotting needs matplotlib; install it with "
            "`pip install matplotlib` or `pip install 'sklearn-gan-ad[plot]'`"
        ) from exc
    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _figure_format(path):
    """The figure format a path's extension names (``"png"`` without one).

    Raises
    ------
    ValueError
        If matplotlib cannot write that format.
    """
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        return "png"  # drawing will say matplotlib is missing
    suffix = Path(path).suffix.lower().lstrip(".")
    if not suffix:
        return "png"
    supported = FigureCanvasBase.get_supported_filetypes()
    if suffix not in supported:
        raise ValueError(
            f"cannot write a figure as {path!s}: matplotlib writes "
            + ", ".join(f".{kind}" for kind in sorted(supported))
        )
    return suffix


def _save(figure, path):
    figure.savefig(path, format=_figure_format(path), dpi=110)
    return path


def _histogram_edges(values, n_bins=40):
    """Bin edges over the bulk of ``values``; a far tail goes to the last bin.

    Anomaly scores can be heavy-tailed (a few rows scoring 100 times the
    rest), and equal bins over the full range would squash every normal row
    into one bar. The axis is cut only when the top 2 % stretch further beyond
    the 98th percentile than the whole bulk below it spans.
    """
    low, bulk_high, high = np.percentile(values, [0.0, 98.0, 100.0])
    high = min(high, bulk_high + (bulk_high - low))
    if not high > low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, n_bins + 1)


def _score_histogram(ax, name, held_out):
    scores = np.asarray(held_out.anomaly_scores, dtype=np.float64)
    edges = _histogram_edges(scores)
    clipped = np.clip(scores, edges[0], edges[-1])
    labels = held_out.labels
    if labels is None:
        ax.hist(clipped, bins=edges, color=_NORMAL_COLOUR, alpha=0.8, label="test rows")
    else:
        labels = np.asarray(labels)
        ax.hist(clipped[labels == 0], bins=edges, color=_NORMAL_COLOUR, alpha=0.6, label="normal")
        ax.hist(clipped[labels == 1], bins=edges, color=_ANOMALY_COLOUR, alpha=0.8, label="anomaly")
    n_beyond = int((scores > edges[-1]).sum())
    if n_beyond:
        ax.annotate(
            f"+{n_beyond} beyond\nthe axis, in\nthe last bin →",
            xy=(1.0, 0.45),
            xycoords="axes fraction",
            ha="right",
            va="center",
            fontsize=7,
        )
    threshold = held_out.threshold
    if np.isfinite(threshold):
        shown = float(np.clip(threshold, edges[0], edges[-1]))
        ax.axvline(
            shown,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label="threshold" + ("" if shown == threshold else f" ({threshold:.3g})"),
        )
    ax.set_title(name, fontsize=10)
    ax.set_xlabel("anomaly score (−score_samples)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)


def plot_comparison(result, path):
    """Draw ROC curves, precision-recall curves and score histograms of a comparison.

    The curves and histograms use the held-out part of the last seed
    (``result.scores``); the legends quote that split's ROC-AUC and average
    precision, which therefore differ from the seed averages of
    ``result.summary``. Each histogram marks the detector's own threshold on
    the anomaly-score axis, the score above which it flags a row
    (``decision_function < 0``). Without labels only the histograms are drawn.

    Parameters
    ----------
    result : ComparisonResult
        The output of :func:`sklearn_gan_ad.compare() <sklearn_gan_ad.compare.compare>`.
    path : str or path-like
        Where to write the figure; the extension names the format (``.png``,
        ``.pdf``, ``.svg``, ...; PNG without one).

    Returns
    -------
    path : str or path-like
        ``path``, unchanged.

    Raises
    ------
    ValueError
        If ``result`` holds no held-out scores, or the path names a format
        matplotlib cannot write.
    ImportError
        If matplotlib is not installed.
    """
    scores = result.scores
    if not scores:
        raise ValueError("result holds no scores to plot")
    names = list(scores)
    labelled = all(held_out.labels is not None for held_out in scores.values())
    n_hist = len(names)
    hist_columns = min(n_hist, 4)
    hist_rows = -(-n_hist // hist_columns)
    height = 3.0 * hist_rows + (3.8 if labelled else 0.0) + 0.5
    figure = _new_figure((max(10.0, 3.2 * hist_columns), height))
    held_out = scores[names[-1]]
    if labelled:
        top, bottom = figure.subfigures(2, 1, height_ratios=[3.8, 3.0 * hist_rows])
        roc_ax, pr_ax = top.subplots(1, 2)
        for name in names:
            labels, values = scores[name].labels, scores[name].anomaly_scores
            fpr, tpr, _ = roc_curve(labels, values)
            roc_ax.plot(fpr, tpr, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
            precision, recall, _ = precision_recall_curve(labels, values)
            ap = average_precision_score(labels, values)
            # recall decreases along the arrays: draw as PrecisionRecallDisplay does
            pr_ax.plot(recall, precision, drawstyle="steps-post", label=f"{name} (AP {ap:.3f})")
        roc_ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="chance")
        roc_ax.set(
            xlabel="false positive rate",
            ylabel="true positive rate",
            title="ROC curves",
            xlim=(0, 1),
            ylim=(0, 1.02),
        )
        prevalence = float(np.mean(held_out.labels))
        pr_ax.axhline(
            prevalence, color="grey", linestyle=":", linewidth=1, label=f"chance ({prevalence:.3f})"
        )
        pr_ax.set(
            xlabel="recall",
            ylabel="precision",
            title="Precision-recall curves",
            xlim=(0, 1),
            ylim=(0, 1.02),
        )
        for ax in (roc_ax, pr_ax):
            ax.legend(fontsize=8, loc="lower right" if ax is roc_ax else "upper right")
            ax.grid(alpha=0.3)
    else:
        bottom = figure
    hist_axes = np.atleast_1d(bottom.subplots(hist_rows, hist_columns, squeeze=False)).ravel()
    for ax, name in zip(hist_axes, names):
        _score_histogram(ax, name, scores[name])
    for ax in hist_axes[n_hist:]:
        ax.set_visible(False)
    if labelled:
        bottom.suptitle(
            "Anomaly scores of the test rows (dashed: each detector's threshold; "
            "rows above it are flagged)",
            fontsize=10,
        )
    n_test = len(held_out.anomaly_scores)
    detail = f"{n_test} test rows"
    if labelled:
        detail += f", {int(np.sum(held_out.labels))} anomalies"
    figure.suptitle(f"Detector comparison on the held-out part of seed {held_out.seed} ({detail})")
    return _save(figure, path)


def _contour_levels(Z):
    """Increasing fill levels with 0 among them, spaced by quantiles on each side.

    Decision functions are often heavy-tailed far from the data; evenly spaced
    levels would then paint almost the whole plane in one shade.
    """
    negative, positive = Z[Z < 0], Z[Z > 0]
    below = np.percentile(negative, [0, 25, 50, 75, 90]) if negative.size else np.array([-1e-9])
    above = np.percentile(positive, [25, 50, 75, 100]) if positive.size else np.array([1e-9])
    levels = np.unique(np.concatenate([below, [0.0], above]))
    return levels if len(levels) > 1 else np.array([levels[0] - 1.0, levels[0] + 1.0])


def plot_decision_boundary(detectors, X, path, *, y=None, fit=True, resolution=200):
    """Draw each detector's decision function over 2-D data, one panel per detector.

    As in scikit-learn's "Comparing anomaly detection algorithms for outlier
    detection on toy datasets" example: the filled contours show
    ``decision_function`` (darker = more anomalous), the thick red line is its
    zero level, the boundary between predicted inliers and outliers.

    Parameters
    ----------
    detectors : dict of str to estimator
        Outlier detectors with ``decision_function`` (LocalOutlierFactor needs
        ``novelty=True``).
    X : array-like of shape (n_samples, 2)
        Two-feature data drawn as points and, when ``fit=True``, used for
        fitting.
    path : str or path-like
        Where to write the figure; the extension names the format (``.png``,
        ``.pdf``, ``.svg``, ...; PNG without one).
    y : array-like of shape (n_samples,), default=None
        ``1`` for anomalies, ``0`` for normal rows; colours the points.
    fit : bool, default=True
        Fit a clone of every detector on X (the given estimators are left
        untouched). With False, the detectors are used as they are and must
        already be fitted on two features.
    resolution : int, default=200
        Grid points per axis.

    Returns
    -------
    path : str or path-like
        ``path``, unchanged.

    Raises
    ------
    ValueError
        If X does not have exactly two columns, ``detectors`` is empty,
        ``y`` is not one 0/1 label per row, ``resolution`` is below 2 or the
        path names a format matplotlib cannot write.
    ImportError
        If matplotlib is not installed.
    """
    X = check_array(X, dtype=np.float64)
    if X.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary needs 2-D data (2 columns), got {X.shape[1]} columns"
        )
    if not detectors:
        raise ValueError("detectors is empty")
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral):
        raise ValueError(f"resolution must be an integer, got {resolution!r}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2 grid points per axis, got {resolution}")
    _figure_format(path)  # before the detectors are fitted
    # 0/1 labels checked as compare() checks them: scikit-learn's +1/-1 coding
    # would otherwise draw every inlier as an anomaly and the outliers not at all
    from .compare import _check_labels  # the detectors' modules, only when labels are given

    labels = None if y is None else _check_labels(y, len(X))
    figure = _new_figure((3.6 * len(detectors), 3.9))
    axes = np.atleast_1d(figure.subplots(1, len(detectors), squeeze=False)).ravel()
    margin = 0.15 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    for ax, (name, detector) in zip(axes, detectors.items()):
        if fit:
            detector = clone(detector).fit(X)
        Z = np.asarray(detector.decision_function(grid), dtype=np.float64).reshape(xx.shape)
        ax.contourf(xx, yy, Z, levels=_contour_levels(Z), cmap="Blues_r")
        ax.contour(xx, yy, Z, levels=[0.0], linewidths=2, colors="red")
        if labels is None:
            ax.scatter(X[:, 0], X[:, 1], s=8, c="white", edgecolors="black", linewidths=0.4)
        else:
            for value, colour, label in ((0, "white", "normal"), (1, "gold", "anomaly")):
                mask = labels == value
                ax.scatter(
                    X[mask, 0],
                    X[mask, 1],
                    s=10,
                    c=colour,
                    edgecolors="black",
                    linewidths=0.4,
                    label=label,
                )
            ax.legend(fontsize=7, loc="upper left")
        n_flagged = int(np.sum(np.asarray(detector.predict(X)) == -1))
        ax.set_title(f"{name}\n{n_flagged} of {len(X)} flagged", fontsize=9)
        ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), xticks=(), yticks=())
    return _save(figure, path)


def _span_bounds(start, end, x):
    """x-axis extent of inclusive index interval [start, end]."""
    if x is None:
        return start - 0.5, end + 0.5
    # stretch to the next timestamp so one-timestamp intervals stay visible;
    # past the last one, by the last spacing
    if end + 1 < len(x):
        return x[start], x[end + 1]
    if len(x) > 1:
        return x[start], x[end] + (x[end] - x[end - 1])
    return x[start], x[end]


def plot_series(series, intervals, path, true_windows=None, timestamps=None):
    """Draw a time series with predicted anomalous intervals and true windows.

    Parameters
    ----------
    series : array-like of shape (n_timestamps,)
        The values.
    intervals : list of (start, end) or dict of str to list
        Predicted inclusive index intervals (e.g. from
        :func:`sklearn_gan_ad.timeseries.find_intervals`), shaded red. A dict
        of detector name to intervals draws one panel per detector.
    path : str or path-like
        Where to write the figure; the extension names the format (``.png``,
        ``.pdf``, ``.svg``, ...; PNG without one).
    true_windows : list of (start, end), default=None
        Labelled inclusive index intervals, shaded green.
    timestamps : array-like of shape (n_timestamps,), default=None
        x-axis values (numbers or datetimes); positions when None.

    Returns
    -------
    path : str or path-like
        ``path``, unchanged.

    Raises
    ------
    ValueError
        If ``series`` is not 1-D, ``timestamps`` has another length, or an
        interval is not a ``(start, end)`` pair inside the series.
    TypeError
        If ``timestamps`` are text.
    ImportError
        If matplotlib is not installed.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {values.shape}")
    x = None
    if timestamps is not None:
        x = np.asarray(timestamps)
        if len(x) != len(values):
            raise ValueError(f"series has {len(values)} values but timestamps has {len(x)}")
        if x.dtype.kind in "US" or (x.dtype.kind == "O" and any(isinstance(t, str) for t in x)):
            raise TypeError(
                "timestamps must be numbers or datetimes, not text; convert them first "
                "(pandas.to_datetime)"
            )
    panels = intervals if isinstance(intervals, dict) else {"": intervals}
    if not panels:
        raise ValueError("intervals is an empty dict: give one list of intervals per panel")
    # an interval outside the series would shade a wrong span or none
    for name, predicted in panels.items():
        _check_intervals(predicted, f"intervals[{name!r}]" if name else "intervals", len(values))
    if true_windows is not None:
        _check_intervals(true_windows, "true_windows", len(values))
    figure = _new_figure((12.0, 2.6 * len(panels) + 0.6))
    axes = np.atleast_1d(figure.subplots(len(panels), 1, squeeze=False, sharex=True)).ravel()
    positions = np.arange(len(values)) if x is None else x
    for ax, (name, predicted) in zip(axes, panels.items()):
        for start, end, *_ in true_windows or ():
            ax.axvspan(
                *_span_bounds(int(start), int(end), x), color=_TRUE_COLOUR, alpha=0.25, linewidth=0
            )
        for start, end, *_ in predicted:
            ax.axvspan(
                *_span_bounds(int(start), int(end), x),
                color=_PREDICTED_COLOUR,
                alpha=0.3,
                linewidth=0,
            )
        ax.plot(positions, values, color="black", linewidth=0.7)
        # proxy handles: spans are many artists, one legend entry each kind
        from matplotlib.patches import Patch

        handles = [Patch(color=_PREDICTED_COLOUR, alpha=0.3, label=f"predicted ({len(predicted)})")]
        if true_windows is not None:
            handles.append(
                Patch(color=_TRUE_COLOUR, alpha=0.25, label=f"true ({len(true_windows)})")
            )
        ax.legend(handles=handles, fontsize=8, loc="upper left")
        if name:
            ax.set_title(name, fontsize=10)
        ax.margins(x=0.005)
    axes[-1].set_xlabel("timestamp" if x is not None else "index")
    return _save(figure, path)
