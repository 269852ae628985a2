"""Scikit-learn anomaly detectors trained adversarially with torch through skorch."""

from ._version import __version__
from .compare import ComparisonResult, PyODAdapter, available_detectors, compare
from .datasets import load_default_dataset
from .lstm import LSTMGANAnomalyDetector
from .persistence import load
from .tabular import GANAnomalyDetector

__all__ = [
    "ComparisonResult",
    "GANAnomalyDetector",
    "LSTMGANAnomalyDetector",
    "PyODAdapter",
    "__version__",
    "available_detectors",
    "compare",
    "load",
    "load_default_dataset",
]
