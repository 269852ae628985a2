"""The adversarial training loop: a :class:`skorch.NeuralNet` with four modules.

skorch's documented multi-module pattern is followed: the encoder is ``module_``,
the generator and the two critics are created in :meth:`initialize_module` as
``generator_``, ``critic_x_`` and ``critic_z_``, and the two optimizers in
:meth:`initialize_optimizer` as ``optimizer_`` (encoder and generator) and
``optimizer_critic_`` (both critics). skorch then moves all of them between
devices, switches train/eval mode, re-initialises them on
``set_params(generator__...=...)`` and routes ``optimizer_critic__lr``.
"""

import copy
import math

import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog
from torch.nn import functional as F

from .callbacks import DivergenceGuard, StopTraining


class RowSubset(torch.utils.data.Dataset):
    """Some rows of a tensor, selected by index without copying them."""

    def __init__(self, X, rows):
        self.X = X
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.X[self.rows[index]]


class TensorBatches:
    """Mini-batches sliced from one tensor (or gathered from a :class:`RowSubset`).

    skorch's default ``DataLoader`` collates every row from a per-item
    ``Dataset``; slicing a tensor costs one indexing operation per batch instead.
    The shuffle draws from torch's global generator, which the detectors fork and
    seed, so a given ``random_state`` always visits the rows in the same order.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False):
        self.X = dataset.X if hasattr(dataset, "X") else dataset
        self.rows = getattr(dataset, "rows", None)
        self.batch_size = batch_size
        self.shuffle = shuffle

    def _n_rows(self):
        return len(self.X) if self.rows is None else len(self.rows)

    def __len__(self):
        return math.ceil(self._n_rows() / self.batch_size)

    def __iter__(self):
        n_rows = self._n_rows()
        order = torch.randperm(n_rows, device=self.X.device) if self.shuffle else None
        if self.rows is not None:
            order = self.rows if order is None else self.rows[order]
        for start in range(0, n_rows, self.batch_size):
            stop = start + self.batch_size
            yield self.X[start:stop] if order is None else self.X[order[start:stop]]


class AdversarialNet(NeuralNet):
    """Train an encoder, a generator and two critics together.

    Each step first updates the critics — one telling real samples ``x`` from
    generated ``G(z)``, one telling prior codes ``z`` from encoded ``E(x)`` — and
    then the encoder and generator, which try to fool both critics while
    reconstructing their input (TadGAN's cycle consistency ``x ≈ G(E(x))``).

    Parameters
    ----------
    module : type of torch.nn.Module
        The encoder ``E``.
    generator, critic_x, critic_z : type of torch.nn.Module
        The generator ``G``, the critic on samples and the critic on codes.
    latent_dim : int
        Size of the latent codes drawn from the standard normal prior.
    adversarial_loss : {"bce", "wasserstein"}
        Non-saturating GAN loss, or Wasserstein loss with gradient penalty.
    reconstruction_weight : float
        Weight of the reconstruction term in the encoder/generator loss.
    n_critic : int
        Critic updates per encoder/generator update.
    gradient_penalty : float
        Weight of the gradient penalty (``"wasserstein"`` only).
    trim_fraction : float
        Share of each batch, the worst reconstructed, left out of the
        reconstruction loss (see :meth:`reconstruction_loss`).
    criterion : type
        skorch requires one; :meth:`reconstruction_loss` is what training uses.
    **kwargs
        Passed to :class:`skorch.NeuralNet` (``lr``, ``max_epochs``,
        ``batch_size``, ``device``, ``callbacks``, ``generator__*`` …).
    """

    def __init__(
        self,
        module,
        *,
        generator,
        critic_x,
        critic_z,
        latent_dim,
        adversarial_loss="bce",
        reconstruction_weight=10.0,
        n_critic=1,
        gradient_penalty=10.0,
        trim_fraction=0.0,
        criterion=torch.nn.MSELoss,
        optimizer=torch.optim.Adam,
        iterator_train=TensorBatches,
        iterator_train__shuffle=True,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            iterator_train=iterator_train,
            iterator_train__shuffle=iterator_train__shuffle,
            train_split=train_split,
            **kwargs,
        )
        self.generator = generator
        self.critic_x = critic_x
        self.critic_z = critic_z
        self.latent_dim = latent_dim
        self.adversarial_loss = adversarial_loss
        self.reconstruction_weight = reconstruction_weight
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
        self.trim_fraction = trim_fraction

    # -- initialisation ---------------------------------------------------------

    def get_default_callbacks(self):
        # train_loss is recorded once per epoch by run_single_epoch, so skorch's
        # per-batch passthrough scorings are not needed.
        return [
            ("epoch_timer", EpochTimer()),
            ("divergence_guard", DivergenceGuard()),
            ("print_log", PrintLog()),
        ]

    def initialize_module(self):
        super().initialize_module()
        self.generator_ = self.initialized_instance(
            self.generator, self.get_params_for("generator")
        )
        self.critic_x_ = self.initialized_instance(self.critic_x, self.get_params_for("critic_x"))
        self.critic_z_ = self.initialized_instance(self.critic_z, self.get_params_for("critic_z"))
        return self

    def initialize_optimizer(self, triggered_directly=None):
        # Adam's default betas (0.9) make adversarial games oscillate; 0.5 is
        # the DCGAN setting used by every scheme this package draws on.
        defaults = {"betas": (0.5, 0.999)}
        if self.optimizer is torch.optim.Adam:
            # the fused kernel updates all parameters in one call: about 0.4 ms
            # less per optimizer step for the default networks on CPU
            defaults["fused"] = True
        generator_params = [
            *self.module_.named_parameters(prefix="module"),
            *self.generator_.named_parameters(prefix="generator"),
        ]
        args, kwargs = self.get_params_for_optimizer("optimizer", generator_params)
        self.optimizer_ = self.optimizer(*args, **{**defaults, **kwargs})

        critic_params = [
            *self.critic_x_.named_parameters(prefix="critic_x"),
            *self.critic_z_.named_parameters(prefix="critic_z"),
        ]
        args, kwargs = self.get_params_for_optimizer("optimizer_critic", critic_params)
        self.optimizer_critic_ = self.optimizer(*args, **{**defaults, **kwargs})
        return self

    # -- the adversarial game -----------------------------------------------------

    def sample_prior(self, n_samples, device):
        """Draw latent codes from the standard normal prior."""
        return torch.randn(n_samples, self.latent_dim, device=device)

    def _critic_objective(self, critic, real, fake):
        """Loss the critic minimises to tell ``real`` from ``fake``."""
        # one call on the stacked batch: for recurrent or small networks the
        # per-call overhead, not the batch size, dominates the cost
        out = critic(torch.cat([real, fake]))
        real_out, fake_out = out[: len(real)], out[len(real) :]
        if self.adversarial_loss == "wasserstein":
            return (
                fake_out.mean()
                - real_out.mean()
                + self.gradient_penalty * (self._gradient_penalty(critic, real, fake))
            )
        return F.binary_cross_entropy_with_logits(
            real_out, torch.ones_like(real_out)
        ) + F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))

    def _fooling_objective(self, critic, fake):
        """Loss the encoder/generator minimise to make ``fake`` pass as real."""
        out = critic(fake)
        if self.adversarial_loss == "wasserstein":
            return -out.mean()
        return F.binary_cross_entropy_with_logits(out, torch.ones_like(out))

    @staticmethod
    def _gradient_penalty(critic, real, fake):
        shape = (real.shape[0],) + (1,) * (real.dim() - 1)
        alpha = torch.rand(shape, device=real.device)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        # cuDNN's RNN cannot run double backward in eval mode; the critic is in
        # train mode here, so the penalty works for the LSTM critic too.
        (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def critic_step(self, x):
        """One update of both critics; returns their summed loss (detached)."""
        z_prior = self.sample_prior(x.shape[0], x.device)
        with torch.no_grad():
            x_fake = self.generator_(z_prior)
            z_encoded = self.module_(x)
        loss = self._critic_objective(self.critic_x_, x, x_fake) + self._critic_objective(
            self.critic_z_, z_prior, z_encoded
        )
        self.optimizer_critic_.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer_critic_.step()
        return loss.detach()

    def reconstruction_loss(self, reconstruction, x):
        """Mean squared error over the best-reconstructed share of the batch.

        The training data of an unsupervised detector holds a few anomalies;
        leaving the worst-reconstructed ``trim_fraction`` of each batch out of
        the loss keeps the generator from learning to reproduce them.
        """
        per_sample = (reconstruction - x).pow(2).flatten(1).mean(dim=1)
        n_keep = per_sample.shape[0] - int(self.trim_fraction * per_sample.shape[0])
        if n_keep < per_sample.shape[0]:
            per_sample = torch.topk(per_sample, n_keep, largest=False, sorted=False).values
        return per_sample.mean()

    def generator_step(self, x):
        """One update of encoder and generator; returns (adversarial, reconstruction)."""
        # the critics only pass gradients through here: not computing gradients
        # for their own weights saved about 5 % of a training step
        critic_params = [*self.critic_x_.parameters(), *self.critic_z_.parameters()]
        for param in critic_params:
            param.requires_grad_(False)
        try:
            return self._generator_update(x)
        finally:
            for param in critic_params:
                param.requires_grad_(True)

    def _generator_update(self, x):
        z_prior = self.sample_prior(x.shape[0], x.device)
        z_encoded = self.module_(x)
        # reconstructions and samples from the prior in one generator call
        generated = self.generator_(torch.cat([z_encoded, z_prior]))
        reconstruction, from_prior = generated[: len(x)], generated[len(x) :]
        adversarial = self._fooling_objective(self.critic_x_, from_prior) + self._fooling_objective(
            self.critic_z_, z_encoded
        )
        rec_loss = self.reconstruction_loss(reconstruction, x)
        loss = adversarial + self.reconstruction_weight * rec_loss
        self.optimizer_.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer_.step()
        return adversarial.detach(), rec_loss.detach()

    def train_step(self, batch, **fit_params):
        x = batch.to(self.device) if hasattr(batch, "to") else batch
        critic_loss = sum(self.critic_step(x) for _ in range(self.n_critic)) / self.n_critic
        adversarial, reconstruction = self.generator_step(x)
        return {
            "loss": reconstruction,
            "critic_loss": critic_loss,
            "generator_loss": adversarial,
            "y_pred": None,
        }

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run one epoch and record per-epoch mean losses.

        Losses are summed on the device and read once per epoch: a per-batch
        ``.item()`` would force a host round trip on every step of a GPU fit.
        """
        if iterator is None:
            return
        totals = None
        n_batches = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            losses = torch.stack([step["loss"], step["critic_loss"], step["generator_loss"]])
            totals = losses if totals is None else totals + losses
            self.notify("on_batch_end", batch=batch, training=training, **step)
            n_batches += 1
        means = (totals / max(n_batches, 1)).tolist()
        for name, value in zip(("loss", "critic_loss", "generator_loss"), means):
            key = f"{prefix}_{name}" if name == "loss" else name
            self.history.record(key, value)
        self.history.record(prefix + "_batch_count", n_batches)

    def fit_loop(self, X, y=None, epochs=None, rows_for_second_half=None, **fit_params):
        """Train for ``epochs``; optionally on fewer rows in the second half.

        ``rows_for_second_half``, when given, is called with the net after half
        of the epochs and returns the indices of the rows to train the rest
        on. It runs inside one training run, so callbacks (early stopping,
        the divergence guard) keep their state across the two halves.
        """
        self._scoring_modules = None  # the weights are about to change
        epochs = self.max_epochs if epochs is None else epochs
        if rows_for_second_half is None or epochs < 2:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        warm_up = epochs // 2
        super().fit_loop(X, y, epochs=warm_up, **fit_params)
        rows = torch.as_tensor(rows_for_second_half(self), device=X.device)
        self._scoring_modules = None  # scoring the rows cached the half-trained weights
        # the kept rows are gathered batch by batch: a copy would cost as much
        # memory as the training data again
        return super().fit_loop(RowSubset(X, rows), y, epochs=epochs - warm_up, **fit_params)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # skorch swallows KeyboardInterrupt and keeps the half-trained modules;
        # an estimator must instead stop and stay in its previous state.
        if not self.initialized_:
            self.initialize()
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        except StopTraining:
            pass
        finally:
            self.notify("on_train_end", X=X, y=y)
        return self

    # -- inference used by the detectors -------------------------------------------

    def scoring_modules(self):
        """Float64 copies of encoder, generator and sample critic, in eval mode.

        Scores are computed in float64: float32 matrix products may round
        differently with the batch composition, and a sample's score must not
        depend on which other samples are scored with it. The copies are made
        once per fit and dropped by :meth:`initialize`.
        """
        cached = getattr(self, "_scoring_modules", None)
        if cached is None:
            cached = tuple(
                copy.deepcopy(module).double().eval()
                for module in (self.module_, self.generator_, self.critic_x_)
            )
            self._scoring_modules = cached
        return cached

    def initialize(self):
        self._scoring_modules = None
        return super().initialize()

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_scoring_modules", None)  # rebuilt on demand after loading
        return state

    def score_parts(self, x, with_residual=True):
        """Everything the scores need from one batch, without autograd.

        ``x`` is a float64 tensor on the net's device. Returns the
        reconstruction ``G(E(x))``, the sample critic's mean squared feature
        residual between ``x`` and ``G(E(x))`` (``None`` unless
        ``with_residual``: the critic is the costliest network to run), and the
        squared norm of the code ``E(x)`` — the prior's negative log-density up
        to constants, meaningful because the critic on codes pushes encoded
        samples towards the prior.
        """
        encoder, generator, critic = self.scoring_modules()
        residual = None
        with torch.inference_mode():
            codes = encoder(x)
            reconstruction = generator(codes)
            if with_residual:
                difference = critic.features(x) - critic.features(reconstruction)
                residual = difference.pow(2).mean(dim=1)
        return reconstruction, residual, codes.pow(2).sum(dim=1)

    def embed(self, x):
        """The sample critic's :meth:`embedding` of a float64 batch, without autograd.

        The neighbour score measures distances between rows in this space.
        """
        _, _, critic = self.scoring_modules()
        with torch.inference_mode():
            return critic.embedding(x)
