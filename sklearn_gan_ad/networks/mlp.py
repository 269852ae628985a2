"""Fully connected networks for tabular rows, all ensemble members at once.

Every module maps ``(n_members, batch, n_inputs)`` to
``(n_members, batch, n_outputs)`` with :class:`~.members.MemberLinear` layers:
one batched matrix product per layer serves every member.
"""

from torch import nn

from .members import MemberLinear


def _mlp(n_inputs, hidden_layer_sizes, n_members, negative_slope=0.2):
    """Stack MemberLinear + LeakyReLU blocks; returns the stack and its output width."""
    layers = []
    width = n_inputs
    for size in hidden_layer_sizes:
        # in place: the linear layer's output is not needed by autograd, and
        # not allocating a second activation saves memory traffic
        activation = nn.LeakyReLU(negative_slope, inplace=True)
        layers += [MemberLinear(width, size, n_members), activation]
        width = size
    return nn.Sequential(*layers), width


class MLPEncoder(nn.Module):
    """Map rows ``(n_members, batch, n_features)`` to codes ``(n_members, batch, latent_dim)``."""

    takes_member_axis = True

    def __init__(self, n_features, latent_dim, hidden_layer_sizes=(64, 64), n_members=1):
        super().__init__()
        self.body, width = _mlp(n_features, hidden_layer_sizes, n_members)
        self.head = MemberLinear(width, latent_dim, n_members)

    def forward(self, x):
        return self.head(self.body(x))


class MLPDecoder(nn.Module):
    """The generator: codes ``(n_members, batch, latent_dim)`` to rows.

    The output is linear because rows are standardised, not bounded.
    """

    takes_member_axis = True

    def __init__(self, n_features, latent_dim, hidden_layer_sizes=(64, 64), n_members=1):
        super().__init__()
        self.body, width = _mlp(latent_dim, tuple(reversed(hidden_layer_sizes)), n_members)
        self.head = MemberLinear(width, n_features, n_members)

    def forward(self, z):
        return self.head(self.body(z))


class MLPCritic(nn.Module):
    """Critic on rows; :meth:`features` exposes its last hidden layer.

    The features are what the discriminator score compares (f-AnoGAN's feature
    residual): the raw real/fake output is not informative about anomalies.
    """

    takes_member_axis = True

    def __init__(self, n_features, hidden_layer_sizes=(64, 64), n_members=1):
        super().__init__()
        self.body, width = _mlp(n_features, hidden_layer_sizes, n_members)
        self.head = MemberLinear(width, 1, n_members)

    def features(self, x):
        return self.body(x)

    def embedding(self, x):
        """The first hidden layer: the space in which neighbour distances are measured.

        Deeper layers are shaped by the real/fake game and merge rows the critic
        need not tell apart; on ADBench with clean training rows, 5-neighbour
        distances here scored a higher ROC-AUC than in the last hidden layer,
        the codes or the reconstructions (``benchmarks/novelty_spaces.py``).
        """
        return self.body[:2](x)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(-1)


class LatentCritic(nn.Module):
    """Critic on latent codes: tells prior samples from encoded rows or windows."""

    takes_member_axis = True

    def __init__(self, latent_dim, hidden_layer_sizes=(64,), n_members=1):
        super().__init__()
        self.body, width = _mlp(latent_dim, hidden_layer_sizes, n_members)
        self.head = MemberLinear(width, 1, n_members)

    def forward(self, z):
        return self.head(self.body(z)).squeeze(-1)
