"""LSTMGANAnomalyDetector: the adversarial detector for time-series windows."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .base import BaseAdversarialDetector
from .networks import LatentCritic, LSTMDecoder, LSTMEncoder, WindowCritic


class LSTMGANAnomalyDetector(BaseAdversarialDetector):
    """Anomaly detector for time-series windows with recurrent GAN networks.

    One sample is one window. An LSTM encoder (with a linear path beside it)
    maps a window to a latent code, an LSTM generator (likewise) draws a code
    back into a window, both reading and writing the window in short patches
    of time steps; a
    convolutional critic tells real windows from generated ones and a dense critic tells
    encoded windows from the prior — TadGAN's design (cycle consistency plus
    critics on windows and on codes). Scores, thresholds and training are those
    of :class:`GANAnomalyDetector`; only the networks differ. Use
    :mod:`sklearn_gan_ad.timeseries` to cut a series into windows and to turn
    window scores back into per-timestamp scores and anomaly intervals.

    Parameters
    ----------
    n_channels : int, default=1
        Channels per time step. 2-D input ``(n_windows, window_length *
        n_channels)`` is read row-major: all channels of step 0, then of step 1,
        and so on. 3-D input ``(n_windows, window_length, n_channels)`` is
        accepted too.
    hidden_size : int, default=32
        LSTM units (and critic channels) in every network.
    num_layers : int, default=1
        Stacked LSTM layers in the encoder and generator.
    patch_length : int or "auto", default="auto"
        Consecutive time steps the encoder's and generator's LSTMs read or
        write per recurrent step. ``"auto"`` uses ``round(window_length /
        25)`` (at least 1): about 25 recurrent steps whatever the window, so a
        100-step window costs a quarter of the sequential work of one step per
        time step. Beside each LSTM a linear path maps the whole window to the
        code and the code to the whole window, so that the networks contain a
        linear autoencoder and reproduce normal windows from the first epochs.
    linear_start : {"pca", "random", "auto"}, default="auto"
        How the encoder's and generator's linear paths start. ``"pca"`` sets
        them to whitened PCA of the training windows (the leading
        ``latent_dim`` principal directions, codes scaled to unit variance like
        the prior's) and the LSTM paths' output layers to zero, so that
        training starts from the best linear autoencoder of the windows instead
        of searching for it within the step budget; ``"random"`` keeps torch's
        random initialisation. ``"auto"`` is ``"random"``, or ``"pca"`` with
        ``novelty=True``: on contaminated windows the principal directions also
        carry the anomalies' variance.
    latent_dim : int or "auto", default="auto"
        Size of the latent code. ``"auto"`` uses ``ceil(window_length *
        n_channels / 4)`` clipped to [2, 32], or more where the training
        windows have more principal directions above their noise floor
        (Gavish and Donoho's optimal hard threshold for singular values,
        :func:`sklearn_gan_ad.base.signal_rank`; windows of more than 4,096
        values estimate it from at most 4,096 evenly spaced windows, which
        bounds its memory and time), at most ``window_length * n_channels``.
        A code narrower than the normal windows' signal leaves
        part of every normal window unreproduced, so the error grows with how
        much signal a window holds and an absence (a missing beat) scores as
        more normal than normal windows. On heartbeat-like series
        (``benchmarks/heartbeats.py``, 3 seeds; 43–44 directions in windows of
        100, 87–89 in windows of 200) widening the code took a missing beat's
        per-timestamp ROC-AUC from 0.940 to 0.995 (windows of 100) and from
        0.753 to 0.989 (200) with ``novelty=True``, and from 0.547 to 0.840
        (200) with the defaults, which at windows of 100 lost a little (0.991
        to 0.986; both with the squared norm as latent term, see
        ``latent_weight``). On NAB it widened 14 of the 52 series' codes (mean AUC over
        the Orion subsets 0.758 against 0.756, 3 seeds, ``benchmarks/nab.py``)
        and 4 of the 37 clean cuts' (``benchmarks/nab_clean.py``: 0.701 against
        0.702 with ``novelty=True``). The code is never narrowed below the
        per-feature size: sized by the signal rank alone, the clean NAB cuts
        with fewer directions lost (0.690 against 0.702 with ``novelty=True``;
        an AWS series 0.890 to 0.426 with 3 codes).
    epochs : int or "auto", default="auto"
        Passes over the windows; ``"auto"`` aims at about 300 steps, clipped
        to 20-300 epochs. Beyond 1,920 windows the floor of 20 epochs makes
        the fit grow with the number of windows: 30,000 windows at step 1
        took 4,680 steps and about 140 s on 2 cores, one epoch 8 s. On long
        series (20,000-30,000 windows) the floor bought a mean per-timestamp
        ROC-AUC of 0.998 against 0.996 for one epoch, and AP 0.938 against
        0.924, mostly on frequency and shape changes
        (``benchmarks/long_series.py``); give a small ``epochs`` to trade
        that for time.
    batch_size : int, default=128
        Windows per optimisation step; an LSTM step costs about the same for 64
        or 128 windows, so larger batches train faster.
    learning_rate : float, default=1e-3
        Adam learning rate of the encoder and generator.
    critic_learning_rate : float or None, default=None
        Adam learning rate of the critics; ``None`` uses ``learning_rate``.
    adversarial_loss : {"bce", "wasserstein"}, default="bce"
        Non-saturating GAN loss, or Wasserstein loss with gradient penalty.
    reconstruction_weight : float, default=10.0
        Weight of the reconstruction term against the adversarial terms.
    n_critic : int, default=1
        Critic updates per encoder/generator update (see
        :class:`GANAnomalyDetector`).
    trim_fraction : float in [0, 0.5), default=0.0
        Share of each batch of windows, the worst reconstructed, left out of
        the reconstruction loss (see :class:`GANAnomalyDetector`).
    prune_threshold : float, None or "auto", default="auto"
        Leave the training windows scoring more than this many robust standard
        deviations above the median out of the second half of the epochs (see
        :class:`GANAnomalyDetector`). Off by default for windows: on NAB
        (seed 0, with the networks and interval rule of commit ee8a044,
        ``benchmarks/results/nab_prune/``), ``prune_threshold=2.0`` raised
        the AWS subset's interval F1 (0.644 to 0.700) but lowered KnownCause,
        Traffic and Tweets (mean F1 over the six subsets 0.527 against 0.530).
        ``"auto"`` is ``None`` with or without ``novelty``.
    anomaly_score : {"reconstruction", "discriminator", "neighbours", "combined", "auto"}, \
            default="auto"
        Which anomaly evidence :meth:`score_samples` uses (see
        :class:`GANAnomalyDetector`); ``"auto"`` is ``"combined"``, with or
        without ``novelty``: what it combines is set by the weights below.
    discriminator_weight : float or "auto", default="auto"
        Weight of the standardised discriminator score (the critic's feature
        residual, :meth:`discriminator_score`) in ``anomaly_score="combined"``.
        ``"auto"`` is 0, with or without ``novelty``. On contaminated windows
        it did not help (30 NAB series, train = test, a comparison whose
        result file was not kept: AUC −0.004 to +0.019 per subset, lower
        interval F1 on AWS). On clean training parts it helped on
        NAB (37 series cut before their first anomaly, seed 0: mean AUC 0.716
        added to the reconstruction error, 0.703 without;
        ``benchmarks/nab_clean_scores.py``) but scored a missing heartbeat as
        more normal than normal beats (AUC 0.322 alone, and 0.843 added to the
        reconstruction error against 0.940 without; ``benchmarks/heartbeats.py``):
        a stretch the networks reproduce well leaves no residual in the
        critic's features either.
    latent_weight : float or "auto", default="auto"
        Weight of the standardised latent typicality in
        ``anomaly_score="combined"``: how far the squared norm of a window's
        code (:meth:`latent_score`) lies from the training windows' median
        (``latent_norm_median_``, :func:`sklearn_gan_ad.scoring.squared_norm_atypicality`).
        ``"auto"`` is 1, or 0 with ``novelty=True``. Networks that reproduce
        windows well also learn to reproduce the anomalies hidden in unlabelled
        training windows, but the codes of those windows stay in rare regions
        of the prior. The squared norm itself (the prior's density of the code,
        which :class:`GANAnomalyDetector` scores by) calls the shortest codes the
        most normal; a window's code is wide (its signal rank, see
        ``latent_dim``), and the squared norms of wide codes concentrate away
        from 0, so a window with less signal than any normal one, a missing
        heartbeat, scored as more normal than normal beats. Measured on the same
        fits, the squared norm against the typicality: a missing beat's
        per-timestamp ROC-AUC (``benchmarks/heartbeats.py``, 3 seeds)
        0.853 against 0.994 with windows of 200 and 0.986 against
        0.993 with windows of 100; on NAB (``benchmarks/nab.py``, 3 seeds)
        mean AUC over the Orion subsets 0.755 against 0.764 (0.750 without a
        latent term), interval F1 higher on Art, AWS and Traffic and lower on
        AdEx (0.546 against 0.481), and on realKnownCause, not used to choose,
        AUC 0.797 against 0.779. With clean training windows either lowered
        the AUC of every combination it joined (``benchmarks/nab_clean_scores.py``,
        37 clean NAB cuts, seed 0: reconstruction error alone 0.707, with the
        squared norm 0.694, with the typicality 0.692), hence 0 with ``novelty``.
    neighbour_weight : float or "auto", default="auto"
        Weight of the standardised neighbour score (:meth:`neighbour_distance`,
        in the window critic's first convolution) in ``anomaly_score="combined"``;
        ``"auto"`` is 0 with or without ``novelty``. With the networks started
        from PCA, weight 4 lowered the mean AUC of the reconstruction error on
        the clean NAB cuts (0.703 to 0.698, ``benchmarks/nab_clean_scores.py``).
        A score that uses it (``"neighbours"``, or ``"combined"`` with a
        positive weight) keeps the training windows' embeddings
        (``neighbour_reference_``).
    novelty : bool, default=False
        Whether the training windows are known to be normal (a clean training
        part of a series). It changes what the parameters left at ``"auto"``
        resolve to: ``linear_start="pca"``, and the combined score becomes the
        reconstruction error alone (``latent_weight=0``). ``novelty=False``
        keeps the defaults chosen for unlabelled (possibly contaminated)
        windows.
    contamination : "auto" or float, default="auto"
        Expected share of outliers; ``"auto"`` as in :class:`GANAnomalyDetector`.
    callbacks : list of skorch callbacks or None, default=None
        Extra callbacks. The net trains with deep copies of them, in
        ``net_.callbacks_``; they act on all ensemble members at once.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and score.
    n_threads : int or "auto", default="auto"
        Torch intra-op threads during fit and scoring, restored afterwards.
    n_estimators : int, default=1
        Independently initialised GANs whose standardised scores are averaged;
        more members give steadier scores at proportionally higher cost: the
        critic on codes runs all members as one batched network, but torch's
        LSTM kernel takes one set of weights, so the recurrent networks of the
        members run one after another (one block-diagonal LSTM holding all five
        was slower still: 7.7× one member's time against 4.7×; docs'
        performance page). On NAB three members took 3.4× one member's fit
        and gave steadier AUC (seed spread 0.002 against 0.003) but no better
        interval F1 (docs' benchmark page), so one is the default.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, prior samples and shuffling; an int gives bit-identical
        scores on CPU, also for fits running side by side in threads.
    verbose : int, default=0
        ``1`` prints an epoch table with the losses.

    Attributes
    ----------
    window_length_ : int
        Time steps per window seen during fit.
    net_ : sklearn_gan_ad.training.AdversarialNet
        The fitted skorch net holding every ensemble member (each module's
        weights carry a leading member axis); ``net_.history`` holds the
        members' mean losses per epoch.
    offset_ : float
        ``decision_function = score_samples - offset_``.
    latent_dim_ : int
        The latent size used.
    input_mean_, input_scale_ : ndarray of shape (n_channels,)
        Per-channel standardisation learnt on the training windows.
    neighbour_reference_ : ndarray of shape (n_estimators, n_reference, width)
        Each member's critic embedding of evenly spaced training windows (at
        most 32 MiB per member), kept only when the score uses
        :meth:`neighbour_distance`.
    latent_norm_median_ : ndarray of shape (n_estimators,)
        Each member's median squared code norm of the training windows, which
        the latent typicality is relative to; kept only when the score uses
        the latent typicality (``anomaly_score="combined"`` with a positive
        ``latent_weight``, the default).
    feature_error_scale_ : ndarray of shape (n_estimators, window_length * n_channels)
        Each member's upper quartile of the squared error per time step and
        channel on the training windows (the combined score of this detector does not use it).
    scorer_ : sklearn_gan_ad.scoring.EnsembleScorer
        Robust centre and scale of each member's score components and of
        their average.
    n_threads_ : int
        Torch threads used for training.
    n_channels_ : int
        Channels per time step seen during fit (``n_channels`` at fit time;
        changing ``n_channels`` afterwards takes effect at the next fit).
    n_features_in_ : int
        ``window_length_ * n_channels_``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X was a DataFrame with string column names.

    See Also
    --------
    GANAnomalyDetector : The same detector for tabular rows.
    sklearn_gan_ad.timeseries.detect_intervals : From a raw series to intervals.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gan_ad import LSTMGANAnomalyDetector
    >>> from sklearn_gan_ad.timeseries import make_windows
    >>> series = np.sin(np.arange(600) * 2 * np.pi / 30)
    >>> windows, starts = make_windows(series, window=30, step=3)
    >>> detector = LSTMGANAnomalyDetector(epochs=5, random_state=0).fit(windows)
    >>> detector.score_samples(windows).shape
    (191,)
    """

    # recurrent steps cost far more than dense ones; windows overlap heavily,
    # so fewer passes suffice
    _auto_steps = 300

    _parameter_constraints: dict = {
        **BaseAdversarialDetector._parameter_constraints,
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "patch_length": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "linear_start": [StrOptions({"pca", "random", "auto"})],
        "discriminator_weight": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "latent_weight": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
    }

    _auto_values = {
        **BaseAdversarialDetector._auto_values,
        # windows train on every window (see prune_threshold)
        "anomaly_score": {False: "combined", True: "combined"},
        "prune_threshold": {False: None, True: None},
        "neighbour_weight": {False: 0.0, True: 0.0},
        "linear_start": {False: "random", True: "pca"},
        "latent_weight": {False: 1.0, True: 0.0},
        "discriminator_weight": {False: 0.0, True: 0.0},
        "latent_dim": {False: "signal_rank", True: "signal_rank"},
    }

    # patch_length="auto" aims at this many recurrent steps per window
    _recurrent_steps = 25

    def __init__(
        self,
        *,
        n_channels=1,
        hidden_size=32,
        num_layers=1,
        patch_length="auto",
        linear_start="auto",
        latent_dim="auto",
        epochs="auto",
        batch_size=128,
        learning_rate=1e-3,
        critic_learning_rate=None,
        adversarial_loss="bce",
        reconstruction_weight=10.0,
        n_critic=1,
        trim_fraction=0.0,
        prune_threshold="auto",
        anomaly_score="auto",
        discriminator_weight="auto",
        latent_weight="auto",
        neighbour_weight="auto",
        novelty=False,
        contamination="auto",
        callbacks=None,
        device="cpu",
        n_threads="auto",
        n_estimators=1,
        random_state=None,
        verbose=0,
    ):
        self.n_channels = n_channels
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.patch_length = patch_length
        self.linear_start = linear_start
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.critic_learning_rate = critic_learning_rate
        self.adversarial_loss = adversarial_loss
        self.reconstruction_weight = reconstruction_weight
        self.n_critic = n_critic
        self.trim_fraction = trim_fraction
        self.prune_threshold = prune_threshold
        self.anomaly_score = anomaly_score
        self.discriminator_weight = discriminator_weight
        self.latent_weight = latent_weight
        self.neighbour_weight = neighbour_weight
        self.novelty = novelty
        self.contamination = contamination
        self.callbacks = callbacks
        self.device = device
        self.n_threads = n_threads
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.verbose = verbose

    def _validate_input(self, X, reset):
        if reset:
            # the channel count of the fit, as n_features_in_ is its width: a
            # later set_params(n_channels=...) takes effect at the next fit
            self.n_channels_ = self.n_channels
        X = self._flatten_windows(X, reset)
        try:
            X = super()._validate_input(X, reset)
        except ValueError as error:
            if reset or "features" not in str(error):
                raise
            steps, odd = divmod(X.shape[1], self._fitted_channels)
            got = (
                f"got {X.shape[1]} values per window, not a multiple of the channels"
                if odd
                else f"got windows of length {steps}"
            )
            raise ValueError(
                f"{error} The detector was fitted on windows of length "
                f"{self.window_length_} with {self._fitted_channels} channel(s); {got}."
            ) from None
        if reset:
            if X.shape[1] % self._fitted_channels:
                raise ValueError(
                    f"X has {X.shape[1]} columns, which is not a multiple of "
                    f"n_channels={self._fitted_channels}; 2-D windows are laid out as "
                    "(n_windows, window_length * n_channels)"
                )
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # (n_windows, window_length, n_channels)
        return tags

    @property
    def _fitted_channels(self):
        # files of format 2 written before n_channels_ existed hold the fit's
        # channel count in their parameters
        return getattr(self, "n_channels_", self.n_channels)

    @property
    def window_length_(self):
        """Time steps per window seen during fit (``n_features_in_ / n_channels_``)."""
        check_is_fitted(self, "n_features_in_")
        return self.n_features_in_ // self._fitted_channels

    def _flatten_windows(self, X, reset):
        """Accept 3-D ``(n_windows, window_length, n_channels)`` windows."""
        if not hasattr(X, "ndim"):
            # nested lists: only their array form tells 3-D windows apart
            try:
                array = np.asarray(X)
            except ValueError:
                return X  # ragged: validation names the problem
            if array.ndim == 3:
                X = array
        if getattr(X, "ndim", None) != 3:
            return X
        if X.shape[2] != self._fitted_channels:
            expected = (
                f"n_channels={self._fitted_channels}"
                if reset
                else f"the detector was fitted on {self._fitted_channels}"
            )
            raise ValueError(f"3-D windows have {X.shape[2]} channels but {expected}")
        # not -1: it cannot be inferred for zero windows, which validation then names
        return np.reshape(X, (X.shape[0], X.shape[1] * X.shape[2]))

    def _to_model_shape(self, X):
        return X.reshape(X.shape[0], -1, self._fitted_channels)

    # A window's recurrent networks cost far more than a row's MLPs: 256 windows
    # per scoring call ran at 19k windows/s against 23k with 2,048, but a
    # single window took 14 ms instead of 87 ms, and a NAB series (~1,000
    # windows) pads less (benchmarks/kernels.py)
    _max_chunk_rows = 256

    # the code of a window is wide (its signal rank): a missing beat's code lies
    # closer to the prior's mode than any normal window's (see latent_weight)
    _latent_component = "latent_typicality"

    def _resolved_patch_length(self, window_length):
        if self.patch_length == "auto":
            return max(1, round(window_length / self._recurrent_steps))
        return int(min(self.patch_length, window_length))

    def _network_specs(self, model_shape, latent_dim):
        window_length, n_channels = model_shape
        # torch's LSTM takes Python ints only; a search grid built with
        # np.arange or scipy.stats.randint hands numpy integers
        hidden_size = int(self.hidden_size)
        recurrent = dict(
            n_channels=n_channels,
            latent_dim=latent_dim,
            window_length=window_length,
            hidden_size=hidden_size,
            num_layers=int(self.num_layers),
            patch_length=self._resolved_patch_length(window_length),
        )
        return {
            "module": (LSTMEncoder, {**recurrent, "linear_start": self._resolved("linear_start")}),
            "generator": (LSTMDecoder, recurrent),
            "critic_x": (WindowCritic, dict(n_channels=n_channels, hidden_size=hidden_size)),
            "critic_z": (
                LatentCritic,
                dict(latent_dim=latent_dim, hidden_layer_sizes=(hidden_size,)),
            ),
        }

    def _work_per_step(self, model_shape, latent_dim):
        # each LSTM step is a small sequential matmul: threads rarely pay off
        window_length, n_channels = model_shape
        patch = self._resolved_patch_length(window_length)
        gates = 4 * self.hidden_size * (self.hidden_size + patch * n_channels)
        return self.batch_size * gates * 2  # per recurrent step, not per window
