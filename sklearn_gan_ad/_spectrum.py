"""The spectrum of standardised training data: what counts as signal, what as rounding.

Shared by the code size (``latent_dim="auto"``, :func:`signal_rank`) and the
PCA start of the recurrent networks, so that both agree on which principal
directions are empty.
"""

import numpy as np

# A principal direction with less than this share of the leading one's
# variance is numerically empty: rounding noise, not signal
NULL_VARIANCE = 1e-6


def signal_rank(gram, shape):
    """Principal directions above the noise floor, from the Gram matrix of centred data.

    Gavish and Donoho's optimal hard threshold for singular values when the
    noise level is unknown ("The Optimal Hard Threshold for Singular Values is
    4/√3", IEEE Trans. Inf. Theory, 2014): keep the singular values above
    ``ω(β) · median``, with ``β`` the matrix's aspect ratio and ``ω`` their
    cubic approximation. The median is taken of the squared singular values
    (the Gram matrix's eigenvalues), then its square root: the median
    singular value for an odd count, and for an even count the root mean
    square of the two middle ones, a hair above their mean (for windows of
    100 steps this moved one of 82 benchmark windowings by one direction, so
    the code keeps it). Directions below ``NULL_VARIANCE`` of the largest
    (exactly low-rank data) never count.

    The median is a noise value only while signal fills at most about half
    the directions; beyond that the count falls short (28 of 95 signal
    directions for i.i.d. rows of 100 features). Re-estimating the noise
    below the threshold counts more (89 of the 95) but, on windows, also
    directions that reproduce anomalies: a PCA of heartbeat windows at that
    size (57 instead of 43) scored a missing beat 0.220 instead of 0.994
    (``benchmarks/code_size.py``), so the median rule stays.

    Parameters
    ----------
    gram : ndarray of shape (n_features, n_features) or (n_samples, n_samples)
        ``Xᵀ X`` or ``X Xᵀ`` of the centred data ``X``, in float64: both have
        the squared singular values of ``X`` as eigenvalues.
    shape : tuple of int
        ``X.shape``, ``(n_samples, n_features)``.

    Returns
    -------
    rank : int
    """
    n_values = min(shape)
    squared = np.clip(np.linalg.eigvalsh(gram)[::-1][:n_values], 0.0, None)
    if squared[0] <= 0:
        return 0
    beta = n_values / max(shape)
    omega = 0.56 * beta**3 - 0.95 * beta**2 + 1.82 * beta + 1.43
    threshold = max(omega**2 * float(np.median(squared)), NULL_VARIANCE * squared[0])
    return int((squared > threshold).sum())
