"""Order of the examples in the gallery: from tabular basics to time series."""

from pathlib import Path

ORDER = [
    "plot_reconstruction_2d.py",
    "plot_discriminator_score.py",
    "plot_feature_scores.py",
    "plot_grid_search.py",
    "plot_compare_detectors.py",
    "plot_lstm_series_intervals.py",
    "plot_nab_series.py",
]


class ExampleOrder:
    """sphinx-gallery ``within_subsection_order``: listed files first, then the rest."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in ORDER:
            return (0, ORDER.index(name), name)
        return (1, 0, name)

    def __repr__(self):
        return f"<{type(self).__name__}>"
