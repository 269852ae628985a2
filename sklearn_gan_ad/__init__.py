"""Scikit-learn anomaly detectors trained adversarially with torch through skorch."""

from ._version import __version__
from .tabular import GANAnomalyDetector

__all__ = ["GANAnomalyDetector", "__version__"]
