"""The adversarial training loop: a :class:`skorch.NeuralNet` with four modules.

All ensemble members train together: every module takes a leading member axis
(:mod:`sklearn_gan_ad.networks.members`), every batch holds each member's own
rows, and the loss is the sum of the members' losses, so that one call per
layer serves all members while each member's gradient is that of its own loss.
Adam's state is elementwise, so each member's slice of it is what the member
would have alone.

skorch's documented multi-module pattern is followed: the encoder is ``module_``,
the generator and the two critics are created in :meth:`initialize_module` as
``generator_``, ``critic_x_`` and ``critic_z_``, and the two optimizers in
:meth:`initialize_optimizer` as ``optimizer_`` (encoder and generator) and
``optimizer_critic_`` (both critics). skorch then moves all of them between
devices, switches train/eval mode, re-initialises them on
``set_params(generator__...=...)`` and routes ``optimizer_critic__lr``.
"""

import contextlib
import copy
import math
import threading

import skorch.callbacks
import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog
from skorch.utils import TeeGenerator
from torch.nn import functional as F

from .callbacks import DivergenceGuard, StopTraining

# Module constructors draw initial weights from torch's global generator. Fits
# running side by side in threads (joblib's threading backend, a Dask worker
# with several threads) would otherwise reseed it under each other's feet.
_GLOBAL_RNG_LOCK = threading.Lock()

# The networks compute in float32 whatever torch's default dtype is: a caller's
# torch.set_default_dtype must neither change a fit's bits nor break scoring
# a model fitted under another default
NETWORK_DTYPE = torch.float32

# The networks each optimizer updates: encoder and generator, and the critics
_GENERATOR_NETWORKS = ("module", "generator")
_CRITIC_NETWORKS = ("critic_x", "critic_z")


def generator_continuing_global(device, seed):
    """A generator on ``device`` that draws what torch's global generator would draw next.

    Called right after the modules drew their weights from the global generator
    seeded with ``seed``: on CPU it takes over the global state, so a fit draws
    the same numbers as one that kept drawing from the global generator; a CUDA
    device's own global generator was seeded with ``seed`` and not drawn from.
    """
    device = torch.device(device)
    generator = torch.Generator(device=device)
    if device.type == "cpu":
        generator.set_state(torch.get_rng_state())
    else:
        generator.manual_seed(seed)
    return generator


def index_dtype(n_rows):
    """The smallest integer dtype torch indexes with that can number ``n_rows`` rows."""
    return torch.int32 if n_rows <= torch.iinfo(torch.int32).max else torch.int64


@contextlib.contextmanager
def _default_dtype(dtype):
    """torch's default dtype set to ``dtype`` for the body, then the caller's again.

    Module constructors (ours and a user's module classes) create their
    parameters in the default dtype. The default is process-wide; the body
    runs under ``_GLOBAL_RNG_LOCK``, as the seeding of the global generator
    does, so that fits side by side in threads cannot restore each other's.
    """
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


@contextlib.contextmanager
def without_autocast():
    """The body runs without a caller's ``torch.autocast``, in the networks' float32.

    Under the caller's bfloat16 autocast, fitting and scoring failed at
    ``.numpy()``; under float16 the scores changed by 1e-3. Autocast is the
    calling thread's state, so the scoring worker threads never saw it: the
    scores would also have depended on the thread count.
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.autocast("cpu", enabled=False))
        if torch.cuda.is_available():
            stack.enter_context(torch.autocast("cuda", enabled=False))
        yield


class MemberRows(torch.utils.data.Dataset):
    """The training rows of every ensemble member, selected by index without copying them.

    ``rows`` is ``None`` (every member trains on all rows of ``X``) or one index
    tensor per member (the rows a member kept after pruning).
    """

    def __init__(self, X, n_members, rows=None):
        if rows is not None and len(rows) != n_members:
            raise ValueError(f"got row sets for {len(rows)} members, expected {n_members}")
        self.X = X
        self.n_members = n_members
        if rows is not None:
            # one index per row and member: int32 halves what int64 would hold
            dtype = index_dtype(len(X))
            rows = [torch.as_tensor(kept, device=X.device).to(dtype) for kept in rows]
        self.rows = rows

    def member_sizes(self):
        if self.rows is None:
            return [len(self.X)] * self.n_members
        return [len(rows) for rows in self.rows]

    def __len__(self):
        return max(self.member_sizes())

    def __getitem__(self, index):
        if self.rows is None:
            return self.X[index].expand(self.n_members, *self.X.shape[1:])
        return torch.stack([self.X[rows[index % len(rows)]] for rows in self.rows])


class TensorBatches:
    """Mini-batches of shape ``(n_members, batch, ...)``, each member in its own order.

    skorch's default ``DataLoader`` collates every row from a per-item
    ``Dataset``; here one indexing operation per batch gathers every member's
    rows from the tensor. Each member shuffles its rows independently, so
    members see different mini-batches, as separately trained networks would.
    A member with fewer rows than the others (it pruned more) starts its
    permutation again to fill the epoch, so all members take the same number of
    steps. The permutations draw from ``generator`` (the training net's own,
    seeded from the detector's ``random_state``; torch's global generator when
    ``None``), so a given ``random_state`` always visits the rows in the same
    order.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, generator=None):
        if not isinstance(dataset, MemberRows):
            dataset = MemberRows(dataset, n_members=1)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def _member_order(self, member, n_steps_rows, out):
        """Fill ``out`` with the row indices member ``member`` visits this epoch."""
        data = self.dataset
        n_rows = data.member_sizes()[member]
        device = data.X.device
        if self.shuffle:
            order = torch.randperm(n_rows, device=device, generator=self.generator)
        else:
            order = torch.arange(n_rows, device=device)
        if data.rows is not None:
            order = data.rows[member][order]
        for start in range(0, n_steps_rows, n_rows):
            stop = min(start + n_rows, n_steps_rows)
            out[start:stop] = order[: stop - start]

    def __iter__(self):
        n_rows = len(self.dataset)
        X = self.dataset.X
        # filled member by member: the orders of all members never exist twice
        index = torch.empty(
            (self.dataset.n_members, n_rows), dtype=index_dtype(len(X)), device=X.device
        )
        for member, out in enumerate(index):
            self._member_order(member, n_rows, out)
        for start in range(0, n_rows, self.batch_size):
            yield X[index[:, start : start + self.batch_size]]


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
    n_members : int
        Ensemble members trained together; every module gets ``n_members``
        (see :mod:`sklearn_gan_ad.networks.members`).
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
    random_seed : int or None
        Seed of every random draw of a fit: the initial weights (drawn from
        torch's global generator, seeded while no other fit of this package
        draws from it) and, through ``random_generator_``, the members' row
        orders, prior codes and gradient-penalty mixes. ``None`` draws the
        weights from torch's global generator as it stands (advancing it, as a
        plain skorch net would) and seeds ``random_generator_`` from it.
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
        n_members=1,
        adversarial_loss="bce",
        reconstruction_weight=10.0,
        n_critic=1,
        gradient_penalty=10.0,
        trim_fraction=0.0,
        random_seed=None,
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
        self.n_members = n_members
        self.adversarial_loss = adversarial_loss
        self.reconstruction_weight = reconstruction_weight
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
        self.trim_fraction = trim_fraction
        self.random_seed = random_seed

    # -- initialisation ---------------------------------------------------------

    def get_default_callbacks(self):
        # train_loss is recorded once per epoch by run_single_epoch, so skorch's
        # per-batch passthrough scorings are not needed. A DivergenceGuard among
        # the user's callbacks replaces the default one (its settings would
        # otherwise never apply: the default would stop the fit first).
        defaults = [("epoch_timer", EpochTimer())]
        if not any(isinstance(cb, DivergenceGuard) for cb in self._user_callbacks()):
            defaults.append(("divergence_guard", DivergenceGuard()))
        return [*defaults, ("print_log", PrintLog())]

    def _user_callbacks(self):
        """The callbacks passed as ``callbacks``, without their names."""
        return [cb[1] if isinstance(cb, tuple) else cb for cb in self.callbacks or []]

    def notify(self, method_name, **cb_kwargs):
        if method_name != "on_epoch_end":
            super().notify(method_name, **cb_kwargs)
            return
        # skorch's notify, one callback at a time, to know who stopped training
        self.on_epoch_end(self, **cb_kwargs)
        for _, callback in self.callbacks_:
            try:
                callback.on_epoch_end(self, **cb_kwargs)
            except StopTraining as stop:
                self._stop_after_epoch(cb_kwargs, stop.args)
            except KeyboardInterrupt:
                # skorch's EarlyStopping stops by raising KeyboardInterrupt;
                # any other (the user's Ctrl-C) propagates, and partial_fit
                # then keeps the previous fit
                if not isinstance(callback, skorch.callbacks.EarlyStopping):
                    raise
                self._stop_after_epoch(cb_kwargs, ())

    def _stop_after_epoch(self, cb_kwargs, reason):
        # PrintLog runs after every other callback: the epoch that ended
        # training is printed, then why it ended
        for _, callback in self.callbacks_:
            if isinstance(callback, PrintLog):
                callback.on_epoch_end(self, **cb_kwargs)
        if self.verbose and reason:
            print(reason[0])
        raise StopTraining(*reason) from None

    def initialize_module(self):
        with self._seeded_global_generator() as seed, _default_dtype(NETWORK_DTYPE):
            for name in ("module", "generator", "critic_x", "critic_z"):
                kwargs = {"n_members": self.n_members, **self.get_params_for(name)}
                setattr(self, name + "_", self.initialized_instance(getattr(self, name), kwargs))
            # training draws from the net's own generator: fits in other
            # threads cannot change them, nor they the caller's global state
            self.random_generator_ = generator_continuing_global(self.device, seed)
        return self

    @contextlib.contextmanager
    def _seeded_global_generator(self):
        """Hold torch's global generator, seeded with ``random_seed``, for the body.

        Yields the seed. With a seed, the caller's global state (CPU, and the
        net's CUDA device) is restored afterwards; with ``None`` the body draws
        from the global generator as it stands and advances it, as a plain
        skorch net does, and the yielded seed is drawn from it.
        """
        with _GLOBAL_RNG_LOCK:
            if self.random_seed is None:
                yield int(torch.randint(2**62, ()))
                return
            device = torch.device(self.device)
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                torch.manual_seed(self.random_seed)
                yield self.random_seed

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training=training)
        if isinstance(iterator, TensorBatches) and iterator.generator is None:
            iterator.generator = self.random_generator_
        return iterator

    def initialize_from_data(self, X):
        """Let an encoder that can start from the training data do so (with its generator).

        Called by :meth:`fit` after :meth:`initialize`, before the first step;
        modules without ``start_from_data`` keep their random initialisation.
        """
        start = getattr(self.module_, "start_from_data", None)
        if start is not None:
            start(X.to(self.device), self.generator_)

    def fit(self, X, y=None, **fit_params):
        if not self.warm_start or not self.initialized_:
            self.initialize()
            self.initialize_from_data(X)
        self.partial_fit(X, y, _routing_method="fit", **fit_params)
        return self

    def get_dataset(self, X, y=None):
        if isinstance(X, MemberRows):
            return X
        return MemberRows(X, self.n_members)

    def initialize_optimizer(self, triggered_directly=None):
        # Adam's default betas (0.9) make adversarial games oscillate; 0.5 is
        # the DCGAN setting used by every scheme this package draws on.
        defaults = {"betas": (0.5, 0.999)}
        if self.optimizer is torch.optim.Adam:
            # the fused kernel updates all parameters in one call: about 0.4 ms
            # less per optimizer step for the default networks on CPU
            defaults["fused"] = True
        generator_params = list(self._named_parameters(_GENERATOR_NETWORKS))
        args, kwargs = self.get_params_for_optimizer("optimizer", generator_params)
        self.optimizer_ = self.optimizer(*args, **{**defaults, **kwargs})

        critic_params = list(self._named_parameters(_CRITIC_NETWORKS))
        args, kwargs = self.get_params_for_optimizer("optimizer_critic", critic_params)
        self.optimizer_critic_ = self.optimizer(*args, **{**defaults, **kwargs})
        return self

    # -- the adversarial game -----------------------------------------------------

    def sample_prior(self, n_samples, device):
        """Latent codes from the standard normal prior, ``(n_members, n_samples, latent_dim)``."""
        return torch.randn(
            self.n_members,
            n_samples,
            self.latent_dim,
            dtype=NETWORK_DTYPE,
            device=device,
            generator=self.random_generator_,
        )

    @staticmethod
    def member_loss(per_sample):
        """Sum over members of each member's mean over its batch.

        ``per_sample`` has shape ``(n_members, batch)``. The sum, not a mean,
        gives each member the gradient it would get trained alone.
        """
        return per_sample.mean(dim=1).sum()

    def _critic_objective(self, critic, real, fake):
        """Loss the critic minimises to tell ``real`` from ``fake``."""
        # one call on the stacked batch: for recurrent or small networks the
        # per-call overhead, not the batch size, dominates the cost
        out = critic(torch.cat([real, fake], dim=1))
        real_out, fake_out = out[:, : real.shape[1]], out[:, real.shape[1] :]
        if self.adversarial_loss == "wasserstein":
            return (
                self.member_loss(fake_out)
                - self.member_loss(real_out)
                + self.gradient_penalty * (self._gradient_penalty(critic, real, fake))
            )
        return self.member_loss(
            F.binary_cross_entropy_with_logits(
                real_out, torch.ones_like(real_out), reduction="none"
            )
            + F.binary_cross_entropy_with_logits(
                fake_out, torch.zeros_like(fake_out), reduction="none"
            )
        )

    def _fooling_objective(self, critic, fake):
        """Loss the encoder/generator minimise to make ``fake`` pass as real."""
        out = critic(fake)
        if self.adversarial_loss == "wasserstein":
            return -self.member_loss(out)
        return self.member_loss(
            F.binary_cross_entropy_with_logits(out, torch.ones_like(out), reduction="none")
        )

    def _gradient_penalty(self, critic, real, fake):
        shape = real.shape[:2] + (1,) * (real.dim() - 2)
        alpha = torch.rand(
            shape, dtype=real.dtype, device=real.device, generator=self.random_generator_
        )
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        # cuDNN's RNN cannot run double backward in eval mode; the critic is in
        # train mode here, so the penalty works for the LSTM critic too.
        (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
        return self.member_loss((grad.flatten(2).norm(dim=2) - 1) ** 2)

    def critic_step(self, x):
        """One update of both critics; returns their summed loss (detached, mean over members)."""
        z_prior = self.sample_prior(x.shape[1], x.device)
        with torch.no_grad():
            x_fake = self.generator_(z_prior)
            z_encoded = self.module_(x)
        loss = self._critic_objective(self.critic_x_, x, x_fake) + self._critic_objective(
            self.critic_z_, z_prior, z_encoded
        )
        self.optimizer_critic_.zero_grad(set_to_none=True)
        if loss.requires_grad:  # not when a Freezer froze both critics whole
            loss.backward()
            self._notify_grad_computed(_CRITIC_NETWORKS, x)
            self.optimizer_critic_.step()
        return loss.detach() / self.n_members

    def reconstruction_loss(self, reconstruction, x):
        """Each member's mean squared error over the best-reconstructed share of its batch.

        The training data of an unsupervised detector holds a few anomalies;
        leaving the worst-reconstructed ``trim_fraction`` of each batch out of
        the loss keeps the generator from learning to reproduce them. Returns
        one loss per member, shape ``(n_members,)``.
        """
        per_sample = (reconstruction - x).pow(2).flatten(2).mean(dim=2)
        batch = per_sample.shape[1]
        n_keep = batch - int(self.trim_fraction * batch)
        if n_keep < batch:
            per_sample = torch.topk(per_sample, n_keep, dim=1, largest=False, sorted=False).values
        return per_sample.mean(dim=1)

    def generator_step(self, x):
        """One update of encoder and generator; returns (adversarial, reconstruction)."""
        # the critics only pass gradients through here: not computing gradients
        # for their own weights saved about 5 % of a training step. Their
        # optimizer holds exactly their weights, and listing its groups costs
        # less than walking the modules' trees at every step.
        critic_params = [
            p for group in self.optimizer_critic_.param_groups for p in group["params"]
        ]
        # as they were: a Freezer callback may have frozen some on purpose
        trainable = [param.requires_grad for param in critic_params]
        for param in critic_params:
            param.requires_grad_(False)
        try:
            return self._generator_update(x)
        finally:
            for param, flag in zip(critic_params, trainable):
                param.requires_grad_(flag)

    def _generator_update(self, x):
        batch = x.shape[1]
        z_prior = self.sample_prior(batch, x.device)
        z_encoded = self.module_(x)
        # reconstructions and samples from the prior in one generator call
        generated = self.generator_(torch.cat([z_encoded, z_prior], dim=1))
        reconstruction, from_prior = generated[:, :batch], generated[:, batch:]
        adversarial = self._fooling_objective(self.critic_x_, from_prior) + self._fooling_objective(
            self.critic_z_, z_encoded
        )
        rec_loss = self.reconstruction_loss(reconstruction, x)
        loss = adversarial + self.reconstruction_weight * rec_loss.sum()
        self.optimizer_.zero_grad(set_to_none=True)
        if loss.requires_grad:  # not when a Freezer froze encoder and generator whole
            loss.backward()
            self._notify_grad_computed(_GENERATOR_NETWORKS, x)
            self.optimizer_.step()
        return adversarial.detach() / self.n_members, rec_loss.detach().mean()

    def _named_parameters(self, modules):
        """``(name, parameter)`` of ``modules``, named ``"<module>.<parameter>"``."""
        for name in modules:
            yield from getattr(self, name + "_").named_parameters(prefix=name)

    def _notify_grad_computed(self, modules, x):
        """skorch's ``on_grad_computed`` (``GradientNormClipping``, ...) for ``modules``' weights."""
        named = TeeGenerator(self._named_parameters(modules))
        self.notify("on_grad_computed", named_parameters=named, batch=x, training=True)

    def get_all_learnable_params(self):
        """``(name, parameter)`` of every module, named ``"<module>.<parameter>"``.

        skorch's own names leave the module out, so that ``Freezer`` patterns
        could not tell ``generator.head.weight`` from ``critic_x.head.weight``.
        """
        return self._named_parameters(self._modules)

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
            # a running sum: per-step loss tensors kept until the epoch's end
            # would pin small blocks between the steps' large temporaries
            # (+224 MB of peak memory in a fit on 200,000 rows)
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
        of the epochs and returns, for each member, the indices of the rows it
        trains the rest on. It runs inside one training run, so callbacks (early
        stopping, the divergence guard) keep their state across the two halves.
        """
        self._scoring_modules = None  # the weights are about to change
        epochs = self.max_epochs if epochs is None else epochs
        if rows_for_second_half is None or epochs < 2:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        warm_up = epochs // 2
        super().fit_loop(X, y, epochs=warm_up, **fit_params)
        # the kept rows are gathered batch by batch: a copy would cost as much
        # memory as the training data again (and the int64 row lists are not
        # kept beside MemberRows' int32 copy)
        kept = MemberRows(X, self.n_members, rows_for_second_half(self))
        self._scoring_modules = None  # scoring the rows cached the half-trained weights
        return super().fit_loop(kept, y, epochs=epochs - warm_up, **fit_params)

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
        """Copies of encoder, generator and sample critic in eval mode.

        The copies are made once per fit and dropped by :meth:`initialize`. They
        run in float32, as trained; the detectors make every scoring call the
        same shape, so that a sample's score does not depend on which other
        samples are scored with it (see ``BaseAdversarialDetector._network_batches``).
        """
        cached = getattr(self, "_scoring_modules", None)
        if cached is None:
            # copied under a caller's inference_mode, the parameters became
            # inference tensors and the LSTM generator's head rounded otherwise
            # (scores off by 1e-7 for the life of the copies)
            with torch.inference_mode(False):
                cached = tuple(
                    copy.deepcopy(module).eval()
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
        # a training-time draw source: a fitted net only scores
        state.pop("random_generator_", None)
        return state

    def _for_every_member(self, x):
        """``x`` seen by every member: a leading member axis, without a copy."""
        return x.expand(self.n_members, *x.shape)

    def score_parts(self, x, with_residual=True):
        """Everything the scores need from one batch, for every member, without autograd.

        ``x`` is a float32 tensor on the net's device, without a member axis.
        Returns, each with a leading member axis: the reconstruction
        ``G(E(x))``, the sample critic's mean squared feature residual between
        ``x`` and ``G(E(x))`` (``None`` unless ``with_residual``: the critic is
        the costliest network to run), and the squared norm of the code ``E(x)``
        — the prior's negative log-density up to constants, meaningful because
        the critic on codes pushes encoded samples towards the prior.
        """
        encoder, generator, critic = self.scoring_modules()
        residual = None
        x = self._for_every_member(x)
        with torch.inference_mode():
            codes = encoder(x)
            reconstruction = generator(codes)
            if with_residual:
                difference = critic.features(x) - critic.features(reconstruction)
                residual = difference.flatten(2).pow(2).mean(dim=2)
        return reconstruction, residual, codes.pow(2).sum(dim=2)

    def embed(self, x):
        """Every member's sample-critic :meth:`embedding` of a batch, without autograd.

        The neighbour score measures distances between rows in this space.
        Returns shape ``(n_members, batch, width)``.
        """
        _, _, critic = self.scoring_modules()
        with torch.inference_mode():
            return critic.embedding(self._for_every_member(x)).flatten(2)
