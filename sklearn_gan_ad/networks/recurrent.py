"""Networks for windows ``(batch, window_length, n_channels)``: LSTM encoder and generator."""

from torch import nn

# The LSTMs are unidirectional: on CPU a bidirectional LSTM was 3.5x slower per
# training step (the directions run one after the other), and the generator sees
# the whole window's code at every step anyway.


class LSTMEncoder(nn.Module):
    """LSTM over a window, its final state projected to a latent code."""

    def __init__(self, n_channels, latent_dim, hidden_size=32, num_layers=1):
        super().__init__()
        self.lstm = nn.LSTM(n_channels, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, latent_dim)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


class LSTMDecoder(nn.Module):
    """The generator: a latent code unrolled into a window by an LSTM.

    The code is fed at every step, so the LSTM only has to learn the temporal
    shape, not to remember the code across the whole window.
    """

    def __init__(self, n_channels, latent_dim, window_length, hidden_size=32, num_layers=1):
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

    def forward(self, x):
        return self.head(self._feature_map(x).mean(dim=2)).squeeze(-1)
