"""Networks for windows ``(batch, window_length, n_channels)``: LSTM encoder and generator.

Both recurrent networks read and write the window in *patches* of
``patch_length`` consecutive time steps, one patch per recurrent step, and both
have a linear path beside the LSTM:

- a recurrent step costs the same for one time step or a patch of four, and
  the steps run one after another, so patches cut the sequential work of a
  100-step window four-fold;
- the linear paths (flattened window to code, code to window) make the pair
  contain a linear autoencoder — PCA's model — so the networks reproduce the
  dominant shapes of normal windows from the first epochs, and the LSTMs learn
  what a linear map cannot. A generator that unrolls one repeated code through
  an LSTM (:class:`RepeatedCodeLSTMDecoder`) instead sat on a plateau at the
  mean window for hundreds of steps (docs' benchmark page).

The pair can start *as* that linear autoencoder (``linear_start="pca"``,
:meth:`LSTMEncoder.start_from_data`):
the linear paths are set to whitened PCA of the training windows and the LSTM
paths' output layers to zero, so training refines the best linear model instead
of searching for it within the step budget; whitened codes also have the
prior's mean and covariance on the training windows.

The LSTMs are unidirectional: on CPU a bidirectional LSTM was 3.5x slower per
training step (the directions run one after the other).
"""

import math

import torch
from torch import nn

from .._spectrum import NULL_VARIANCE


def to_patches(x, patch_length):
    """``(batch, steps, channels)`` to ``(batch, n_patches, patch_length * channels)``.

    The last patch is padded with zeros when ``steps`` is not a multiple of
    ``patch_length``.
    """
    batch, steps, channels = x.shape
    n_patches = math.ceil(steps / patch_length)
    padding = n_patches * patch_length - steps
    if padding:
        x = torch.cat([x, x.new_zeros(batch, padding, channels)], dim=1)
    return x.reshape(batch, n_patches, patch_length * channels)


class LSTMEncoder(nn.Module):
    """An LSTM over the window's patches plus a linear map of the whole window, summed into a code."""

    def __init__(
        self,
        n_channels,
        latent_dim,
        window_length,
        hidden_size=32,
        num_layers=1,
        patch_length=1,
        linear_start="random",
    ):
        super().__init__()
        if linear_start not in ("random", "pca"):
            raise ValueError(f"linear_start must be 'random' or 'pca', got {linear_start!r}.")
        self.linear_start = linear_start
        self.patch_length = patch_length
        self.lstm = nn.LSTM(
            patch_length * n_channels, hidden_size, num_layers=num_layers, batch_first=True
        )
        self.head = nn.Linear(hidden_size, latent_dim)
        self.linear = nn.Linear(window_length * n_channels, latent_dim)

    def forward(self, x):
        _, (h, _) = self.lstm(to_patches(x, self.patch_length))
        return self.head(h[-1]) + self.linear(x.flatten(1))

    @torch.no_grad()
    def start_from_data(self, x, generator):
        """With ``linear_start="pca"``, start this encoder and ``generator`` as whitened PCA of ``x``.

        The linear paths become ``z = Λ^-1/2 Vᵀ (x - μ)`` and ``x = μ + V Λ^1/2 z``
        with the leading ``latent_dim`` principal directions ``V`` and variances
        ``Λ`` of the flattened windows; the LSTM paths' output layers are set to
        zero, so both networks begin as that linear autoencoder and the LSTMs
        learn what it leaves over. Codes beyond the windows' rank start at zero.
        With ``linear_start="random"`` the random initialisation is kept.
        """
        if self.linear_start == "random":
            return
        flat = x.flatten(1).double()
        mean = flat.mean(dim=0)
        centred = flat - mean
        variances, directions = _principal_directions(centred)
        # a direction's sign is fixed by its largest entry, so that the start
        # does not depend on the eigen solver's choice
        signs = torch.sign(directions.gather(0, directions.abs().argmax(dim=0, keepdim=True)))
        directions = directions * torch.where(signs == 0, 1.0, signs)
        # directions of no variance (beyond the windows' rank, up to rounding)
        # get no code: whitening them would turn rounding noise into codes
        leading = variances[: self.linear.out_features]
        n_codes = int((leading > NULL_VARIANCE * variances[0]).sum())
        spread = variances[:n_codes].sqrt()
        basis = directions[:, :n_codes]

        encoder_weight = torch.zeros_like(self.linear.weight, dtype=torch.float64)
        encoder_weight[:n_codes] = (basis / spread).T
        self.linear.weight.copy_(encoder_weight)
        self.linear.bias.copy_(-(encoder_weight @ mean))
        decoder_weight = torch.zeros_like(generator.linear.weight, dtype=torch.float64)
        decoder_weight[:, :n_codes] = basis * spread
        generator.linear.weight.copy_(decoder_weight)
        generator.linear.bias.copy_(mean)
        for head in (self.head, generator.head):
            head.weight.zero_()
            head.bias.zero_()


def _principal_directions(centred):
    """Variances (descending) and unit principal directions of centred rows.

    The smaller of the covariance (features²) and the rows' Gram matrix
    (rows²) is decomposed: for few long windows the Gram matrix is far smaller,
    and its eigenvector ``u`` of eigenvalue ``λ`` gives the direction
    ``Xᵀu / sqrt(n λ)`` of the same variance.
    """
    n_rows, n_features = centred.shape
    if n_rows >= n_features:
        variances, directions = torch.linalg.eigh(centred.T @ centred / n_rows)
    else:
        variances, vectors = torch.linalg.eigh(centred @ centred.T / n_rows)
        norms = (n_rows * variances.clamp(min=0)).sqrt()
        # directions of no variance stay (near) zero; they get no code
        directions = (centred.T @ vectors) / torch.where(norms > 0, norms, 1.0)
    # eigh sorts ascending
    return variances.flip(0), directions.flip(1)


class LSTMDecoder(nn.Module):
    """The generator: a code drawn as a window by a linear map plus an LSTM over patches.

    The code is projected to a different input for every recurrent step (as
    TadGAN's generator upsamples its code), so each step knows where in the
    window it is; the LSTM's patches are added to the linear path's window.
    """

    def __init__(
        self, n_channels, latent_dim, window_length, hidden_size=32, num_layers=1, patch_length=1
    ):
        super().__init__()
        self.window_length = window_length
        self.n_channels = n_channels
        self.patch_length = patch_length
        self.n_patches = math.ceil(window_length / patch_length)
        self.hidden_size = hidden_size
        self.step_inputs = nn.Linear(latent_dim, self.n_patches * hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, patch_length * n_channels)
        self.linear = nn.Linear(latent_dim, window_length * n_channels)

    def forward(self, z):
        batch = z.shape[0]
        steps = torch.tanh(self.step_inputs(z)).reshape(batch, self.n_patches, self.hidden_size)
        out, _ = self.lstm(steps)
        patches = self.head(out).reshape(batch, -1, self.n_channels)[:, : self.window_length]
        return patches + self.linear(z).reshape(batch, self.window_length, self.n_channels)


class RepeatedCodeLSTMDecoder(nn.Module):
    """The 0.1 generator: one code fed at every time step of an LSTM.

    Kept for the ablation in ``benchmarks/nab.py`` (``--generator repeated``):
    it reproduced little more than the mean window within the default budget.
    """

    def __init__(self, n_channels, latent_dim, window_length, hidden_size=32, num_layers=1, **_):
        super().__init__()
        self.window_length = window_length
        self.lstm = nn.LSTM(latent_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, n_channels)

    def forward(self, z):
        steps = z.unsqueeze(1).expand(-1, self.window_length, -1)
        out, _ = self.lstm(steps)
        return self.head(out)


class WindowCritic(nn.Module):
    """Critic on windows: 1-D convolutions over time, as TadGAN's critic on x.

    Convolutions see every time step in parallel; an LSTM critic was several
    times slower per training step on CPU for the same detection quality.
    :meth:`features` keeps the (downsampled) time axis, flattened with the
    channels, so the feature residual still reflects *where* a window differs.
    """

    def __init__(self, n_channels, hidden_size=32, n_layers=3, kernel_size=5):
        super().__init__()
        layers, width = [], n_channels
        for layer in range(n_layers):
            # after the first layer every layer halves the time axis: a third
            # of the cost of full-resolution layers, and a wider receptive field
            stride = 1 if layer == 0 else 2
            layers += [
                nn.Conv1d(width, hidden_size, kernel_size, stride=stride, padding=kernel_size // 2),
                nn.LeakyReLU(0.2),
            ]
            width = hidden_size
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden_size, 1)

    def _feature_map(self, x):
        return self.body(x.transpose(1, 2))  # (batch, hidden, steps)

    def features(self, x):
        return self._feature_map(x).flatten(1)

    def embedding(self, x):
        """The first convolution's output, flattened: the space of neighbour distances."""
        return self.body[:2](x.transpose(1, 2)).flatten(1)

    def forward(self, x):
        return self.head(self._feature_map(x).mean(dim=2)).squeeze(-1)
