"""Scikit-learn anomaly detectors trained adversarially with torch through skorch."""

from ._version import __version__
from .compare import (
    ComparisonResult,
    HeldOutScores,
    PyODAdapter,
    available_detectors,
    compare,
    make_detector,
)
from .datasets import load_default_dataset
from .lstm import LSTMGANAnomalyDetector
from .persistence import load
from .tabular import GANAnomalyDetector

__all__ = [
    "ComparisonResult",
    "GANAnomalyDetector",
    "HeldOutScores",
    "LSTMGANAnomalyDetector",
    "PyODAdapter",
    "__version__",
    "available_detectors",
    "compare",
    "load",
    "load_default_dataset",
    "make_detector",
]
