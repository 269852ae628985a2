"""Scikit-learn anomaly detectors trained adversarially with torch through skorch."""

from ._version import __version__
from .lstm import LSTMGANAnomalyDetector
from .tabular import GANAnomalyDetector

__all__ = ["GANAnomalyDetector", "LSTMGANAnomalyDetector", "__version__"]
