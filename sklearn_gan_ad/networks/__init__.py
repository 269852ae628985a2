"""Network families: the encoder, generator and critics of each detector.

Every family provides the same four modules so that the adversarial training loop
(:mod:`sklearn_gan_ad.training`) never needs to know which family it trains:

- an encoder ``E`` mapping a sample to a latent code,
- a generator ``G`` mapping a latent code back to a sample,
- a critic on samples whose :meth:`features` give the feature-matching score and
  whose :meth:`embedding` is the space of the neighbour score,
- a critic on latent codes.

Each module takes and returns a leading ensemble-member axis
(:mod:`~sklearn_gan_ad.networks.members`), so one call serves every member.
"""

from .members import MemberLinear, MemberStack
from .mlp import LatentCritic, MLPCritic, MLPDecoder, MLPEncoder
from .recurrent import LSTMDecoder, LSTMEncoder, RepeatedCodeLSTMDecoder, WindowCritic

__all__ = [
    "LatentCritic",
    "LSTMDecoder",
    "LSTMEncoder",
    "MemberLinear",
    "MemberStack",
    "MLPCritic",
    "MLPDecoder",
    "MLPEncoder",
    "RepeatedCodeLSTMDecoder",
    "WindowCritic",
]
