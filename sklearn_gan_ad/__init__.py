"""Scikit-learn anomaly detectors trained adversarially with torch through skorch."""

from ._version import __version__
from .lstm import LSTMGANAnomalyDetector
from .persistence import load
from .tabular import GANAnomalyDetector

__all__ = ["GANAnomalyDetector", "LSTMGANAnomalyDetector", "load", "__version__"]
