"""Standardising and combining anomaly-score components.

Reconstruction errors and critic feature residuals live on unrelated scales; a
combination weight only means something once each is expressed in robust
standard units of the training data: ``(score - median) / scale`` where the
scale is the interquartile range divided by 1.349 (the standard deviation for
Gaussian data), falling back to the mean absolute deviation and then to 1 when a
component is (almost) constant.
"""

import numpy as np

_IQR_TO_STD = 1.349


def squared_norm_atypicality(squared_norms, typical_squared_norm):
    """How far each code's squared norm lies from the training codes' typical one.

    The critic on codes pushes the codes of normal samples towards the standard
    normal prior, whose negative log-density is half the squared norm (up to
    constants). That density calls a code at the prior's mode the most normal
    of all, yet in more than a few dimensions no normal sample's code lies
    there: squared norms concentrate around the number of dimensions (a
    chi-squared law), and a sample whose code is much shorter (a window with
    less signal than any normal one, such as a missing heartbeat) is as
    atypical as one whose code is much longer. This is the typicality test of
    Nalisnick et al. (2019, "Detecting out-of-distribution inputs to deep
    generative models using typicality") on the prior's density: the absolute
    difference between a code's squared norm and the training codes' median
    one (robust to the anomalies an unlabelled training set holds, and to codes
    that do not have the prior's exact scale).

    Parameters
    ----------
    squared_norms : ndarray
        Squared norms of codes.
    typical_squared_norm : float or ndarray
        Median squared norm of the training samples' codes (broadcast against
        ``squared_norms``).

    Returns
    -------
    atypicality : ndarray of float64
        Higher means less typical of the training codes.
    """
    return np.abs(np.asarray(squared_norms, dtype=np.float64) - typical_squared_norm)


def robust_location_scale(values):
    """Median and robust scale of a 1-D array; the scale is always positive."""
    values = np.asarray(values, dtype=np.float64)
    median = float(np.median(values))
    q25, q75 = np.percentile(values, [25, 75])
    scale = (q75 - q25) / _IQR_TO_STD
    if not scale > np.finfo(np.float64).tiny:
        scale = float(np.mean(np.abs(values - median))) * 1.2533  # MAD -> std for Gaussians
    if not scale > np.finfo(np.float64).tiny:
        scale = 1.0
    return median, float(scale)


class ScoreCombiner:
    """Fit robust centre/scale per component, then weight and sum them.

    Parameters
    ----------
    weights : dict of str to float
        Weight of each component in the sum; components with weight 0 are
        ignored.
    """

    def __init__(self, weights):
        self.weights = weights

    def fit(self, components):
        """Learn robust centre and scale of each component and of their sum.

        The sum is standardised again so that, whatever the weights, training
        scores have median 0 and robust scale 1: a fixed threshold such as
        ``contamination="auto"`` then means the same for every ``anomaly_score`` mode.
        """
        if not any(self.weights.values()):
            raise ValueError(
                f"every score weight is 0 ({self.weights}); at least one component must count"
            )
        self.location_scale_ = {
            name: robust_location_scale(components[name])
            for name, weight in self.weights.items()
            if weight
        }
        for name, (_, component_scale) in self.location_scale_.items():
            if not np.isfinite(self.weights[name] / component_scale):
                # near float64's largest number: every score would be inf - inf
                raise ValueError(
                    f"the weight of the {name!r} score ({self.weights[name]:g}) overflows "
                    f"once divided by its spread on the training data "
                    f"({component_scale:.3g}); weights count only relative to each "
                    "other, so give smaller ones"
                )
        self.total_location_scale_ = (0.0, 1.0)
        self.total_location_scale_ = robust_location_scale(self.transform(components))
        return self

    def transform(self, components):
        """Standardised weighted sum of the components (higher = more anomalous)."""
        # one multiply-add per component into one buffer: a million-row score
        # otherwise allocates several temporaries per component
        centre, scale = self.total_location_scale_
        total = None
        offset = -centre
        for name, (component_centre, component_scale) in self.location_scale_.items():
            values = np.asarray(components[name], dtype=np.float64)
            factor = self.weights[name] / component_scale
            offset -= factor * component_centre
            if total is None:
                total = values * factor
            else:
                total += values * factor
        total += offset
        total /= scale
        return total


class EnsembleScorer:
    """Average the combined scores of several ensemble members.

    Each member's components are combined by its own :class:`ScoreCombiner`
    (each member's scores live on their own scale); the members' standardised
    scores are averaged and the average standardised once more on the
    training data, so thresholds mean the same for any ensemble size.

    Parameters
    ----------
    weights : dict of str to float
        Component weights, shared by every member.
    """

    def __init__(self, weights):
        self.weights = weights

    def fit(self, member_components):
        """Fit one combiner per member and the scale of their average."""
        self.combiners_ = [ScoreCombiner(self.weights).fit(c) for c in member_components]
        self.location_scale_ = (0.0, 1.0)
        self.location_scale_ = robust_location_scale(self.transform(member_components))
        return self

    def transform(self, member_components):
        """Standardised average of the members' combined scores."""
        total = None
        for combiner, components in zip(self.combiners_, member_components):
            combined = combiner.transform(components)
            total = combined if total is None else np.add(total, combined, out=total)
        centre, scale = self.location_scale_
        total /= len(self.combiners_)
        total -= centre
        total /= scale
        return total
