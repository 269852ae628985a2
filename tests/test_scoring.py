"""The latent typicality: how far a code's squared norm lies from the typical one."""

import numpy as np
import pytest

from sklearn_gan_ad.scoring import ScoreCombiner, squared_norm_atypicality


def test_latent_typicality_is_zero_at_the_typical_squared_norm():
    assert squared_norm_atypicality(np.array([40.0]), 40.0) == 0.0


def test_latent_typicality_calls_shorter_and_longer_codes_atypical_alike():
    atypicality = squared_norm_atypicality(np.array([10.0, 40.0, 70.0]), 40.0)
    np.testing.assert_array_equal(atypicality, [30.0, 0.0, 30.0])


def test_latent_typicality_of_each_member_is_relative_to_its_own_typical_norm():
    squared_norms = np.array([[10.0, 20.0], [10.0, 20.0]])
    typical = np.array([[10.0], [20.0]])
    np.testing.assert_array_equal(
        squared_norm_atypicality(squared_norms, typical), [[0.0, 10.0], [10.0, 0.0]]
    )


def test_a_combiner_whose_every_weight_is_zero_is_refused():
    with pytest.raises(ValueError, match="every score weight is 0"):
        ScoreCombiner({"reconstruction": 0}).fit({"reconstruction": np.arange(5.0)})


def test_a_weight_that_overflows_against_its_components_spread_is_refused_naming_it():
    components = {"reconstruction": np.arange(5.0) / 10, "latent": np.arange(5.0) / 10}
    with pytest.raises(ValueError, match="weight of the 'latent' score"):
        ScoreCombiner({"reconstruction": 1.0, "latent": 1e308}).fit(components)
