"""Networks for windows ``(batch, window_length, n_channels)``: LSTM encoder and generator."""

import torch
from torch import nn


class LSTMEncoder(nn.Module):
    """Bidirectional LSTM over a window, its final states projected to a latent code."""

    def __init__(self, n_channels, latent_dim, hidden_size=32, num_layers=1):
        super().__init__()
        self.lstm = nn.LSTM(
            n_channels, hidden_size, num_layers=num_layers, batch_first=True,
            bidirectional=True,
        )
        self.head = nn.Linear(2 * hidden_size, latent_dim)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        # the last layer's forward and backward final states summarise the window
        last = torch.cat([h[-2], h[-1]], dim=-1)
        return self.head(last)


class LSTMDecoder(nn.Module):
    """The generator: a latent code unrolled into a window by an LSTM.

    The code is fed at every step, so the LSTM only has to learn the temporal
    shape, not to remember the code across the whole window.
    """

    def __init__(self, n_channels, latent_dim, window_length, hidden_size=32, num_layers=1):
        super().__init__()
        self.window_length = window_length
        self.lstm = nn.LSTM(
            latent_dim, hidden_size, num_layers=num_layers, batch_first=True,
            bidirectional=True,
        )
        self.head = nn.Linear(2 * hidden_size, n_channels)

    def forward(self, z):
        steps = z.unsqueeze(1).expand(-1, self.window_length, -1)
        out, _ = self.lstm(steps)
        return self.head(out)


class WindowCritic(nn.Module):
    """Critic on windows: 1-D convolutions over time, as TadGAN's critic on x.

    Convolutions see every time step in parallel; an LSTM critic was several
    times slower per training step on CPU for the same detection quality.
    :meth:`features` keeps the time axis (channels x steps, flattened) so the
    feature residual still points at *where* a window differs.
    """

    def __init__(self, n_channels, hidden_size=32, n_layers=3, kernel_size=5):
        super().__init__()
        layers, width = [], n_channels
        for _ in range(n_layers):
            layers += [nn.Conv1d(width, hidden_size, kernel_size, padding=kernel_size // 2),
                       nn.LeakyReLU(0.2)]
            width = hidden_size
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden_size, 1)

    def _feature_map(self, x):
        return self.body(x.transpose(1, 2))  # (batch, hidden, steps)

    def features(self, x):
        return self._feature_map(x).flatten(1)

    def forward(self, x):
        return self.head(self._feature_map(x).mean(dim=2)).squeeze(-1)
