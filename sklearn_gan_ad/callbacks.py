"""Callbacks that act on every module and optimizer of an adversarial net.

skorch's stock ``EarlyStopping(load_best=True)``, ``Checkpoint`` and
``LRScheduler`` restore, save or schedule only ``module_`` and ``optimizer_``;
in an adversarial net that would leave the generator and the critics behind.
The callbacks here snapshot and schedule all of them.
"""

import copy
import math
import os

import torch
from skorch.callbacks import Callback


class TrainingDivergedError(RuntimeError):
    """Raised when training keeps producing non-finite losses."""


class StopTraining(Exception):
    """Raised by a callback to end training early; the net keeps its state."""


# skorch callbacks that cannot work on an adversarial net, and what to use
_UNSUPPORTED = {
    "EpochScoring": "it scores predictions against targets, and a detector's net has "
    "neither; its recorded losses (train_loss, critic_loss, generator_loss) are in "
    "net_.history",
    "BatchScoring": "it scores predictions against targets, and a detector's net has "
    "neither; its recorded losses (train_loss, critic_loss, generator_loss) are in "
    "net_.history",
    "Checkpoint": "it saves only module_ and optimizer_, not the generator and the "
    "critics; use sklearn_gan_ad.callbacks.Checkpoint",
    "TrainEndCheckpoint": "it saves only module_ and optimizer_, not the generator and "
    "the critics; use sklearn_gan_ad.callbacks.Checkpoint",
    "LoadInitState": "it restores only module_ and optimizer_, leaving the generator "
    "and the critics freshly initialised",
}


# the per-epoch losses a detector's net records, which a callback can watch
MONITORABLE = ("train_loss", "critic_loss", "generator_loss")


def _check_monitor(index, callback):
    monitor = getattr(callback, "monitor", None)
    if isinstance(monitor, str) and monitor not in MONITORABLE:
        # skorch's usual "valid_loss" would otherwise fail after a whole epoch
        raise ValueError(
            f"callbacks[{index}] watches {monitor!r}, which a detector's net does not "
            f"record (it has no validation split); watch one of {', '.join(MONITORABLE)}"
        )


def check_callbacks(callbacks):
    """Raise ValueError for an entry of ``callbacks`` that cannot act on a detector's net.

    Entries are skorch callbacks or ``(name, callback)`` pairs. skorch's own
    callbacks that act on ``module_`` alone, or on targets, are refused with
    what to use instead, rather than doing part of their job silently.
    """
    import skorch.callbacks

    for index, entry in enumerate(callbacks or []):
        callback = entry[1] if isinstance(entry, tuple) and len(entry) == 2 else entry
        if not isinstance(callback, Callback) or (
            isinstance(entry, tuple) and not isinstance(entry[0], str)
        ):
            raise ValueError(
                f"callbacks[{index}] must be a skorch callback or a (name, callback) "
                f"pair, got {entry!r}"
            )
        kind = type(callback).__name__
        if kind in _UNSUPPORTED and isinstance(callback, getattr(skorch.callbacks, kind)):
            raise ValueError(f"callbacks[{index}] is skorch's {kind}: {_UNSUPPORTED[kind]}")
        if isinstance(callback, skorch.callbacks.EarlyStopping) and callback.load_best:
            raise ValueError(
                f"callbacks[{index}] is skorch's EarlyStopping(load_best=True), which "
                "restores only module_; use sklearn_gan_ad.callbacks.EarlyStopping"
            )
        _check_monitor(index, callback)


def _components(net):
    return [name + "_" for name in (*net._modules, *net._optimizers)]


def snapshot_state(net, into=None):
    """Deep copies of the state of every module and optimizer of ``net``.

    ``into``, an earlier snapshot of the same net that nothing else holds, is
    overwritten in place where its tensors match: a snapshot taken every epoch
    then allocates nothing after the first.
    """
    into = into or {}
    return {
        name: _copy_into(into.get(name), getattr(net, name).state_dict())
        for name in _components(net)
    }


def _copy_into(target, source):
    if isinstance(source, torch.Tensor):
        if (
            isinstance(target, torch.Tensor)
            and target.shape == source.shape
            and target.dtype == source.dtype
            and target.device == source.device
        ):
            return target.copy_(source)
        return source.detach().clone()
    if isinstance(source, dict):
        target = target if isinstance(target, dict) else {}
        return {key: _copy_into(target.get(key), value) for key, value in source.items()}
    if isinstance(source, (list, tuple)):
        target = target if isinstance(target, type(source)) and len(target) == len(source) else None
        copied = [
            _copy_into(None if target is None else old, new)
            for old, new in zip(target or [None] * len(source), source)
        ]
        return type(source)(copied)
    return copy.deepcopy(source)


def restore_state(net, state):
    """Load a :func:`snapshot_state` back into ``net``."""
    for name, value in state.items():
        getattr(net, name).load_state_dict(value)


# what to change when training does not stay finite (every divergence error says it)
DIVERGENCE_ADVICE = (
    "lower learning_rate or reconstruction_weight, use "
    "adversarial_loss='wasserstein', or check the input for extreme values"
)


class DivergenceGuard(Callback):
    """Recover from a diverging fit, or stop with advice.

    After every epoch the recorded losses are checked. While they are finite the
    state of all modules and optimizers is kept; when one is NaN or infinite the
    last good state is restored and every learning rate multiplied by
    ``lr_factor``. A divergence after ``max_retries`` recoveries raises a
    :class:`TrainingDivergedError` that says what to change. Every epoch
    records ``diverged`` (True or False) in the history.

    Every detector runs one with the defaults; one passed in ``callbacks``
    replaces it.

    Parameters
    ----------
    lr_factor : float, default=0.5
        Factor applied to every optimizer's learning rates at each recovery.
    max_retries : int, default=3
        Recoveries allowed before training stops with
        :class:`TrainingDivergedError`.
    monitor : tuple of str, default=("train_loss", "critic_loss", "generator_loss")
        History keys of the epoch checked for finite values (those the epoch
        recorded; missing keys are skipped). The weights are checked too.

    Attributes
    ----------
    retries_ : int
        Recoveries made in the current fit.
    good_epochs_ : int
        Epochs of the current fit that ended with finite losses and weights.
    """

    def __init__(
        self, lr_factor=0.5, max_retries=3, monitor=("train_loss", "critic_loss", "generator_loss")
    ):
        self.lr_factor = lr_factor
        self.max_retries = max_retries
        self.monitor = monitor

    def on_train_begin(self, net, **kwargs):
        self.retries_ = 0
        self.good_epochs_ = 0
        self.good_state_ = snapshot_state(net)
        self._gave_up = False

    def _losses_finite(self, net):
        row = net.history[-1]
        return all(math.isfinite(row[key]) for key in self.monitor if key in row)

    @staticmethod
    def _weights_finite(net):
        # the losses are those before each step: the epoch's last update can
        # leave non-finite weights behind finite losses
        return all(
            bool(torch.isfinite(param).all())
            for name in net._modules
            for param in getattr(net, name + "_").parameters()
        )

    def on_epoch_end(self, net, **kwargs):
        # recorded on every epoch: skorch's PrintLog takes its columns from the
        # first epoch and a key only some epochs have shifts the later rows
        if self._losses_finite(net) and self._weights_finite(net):
            net.history.record("diverged", False)
            self.good_state_ = snapshot_state(net, into=self.good_state_)
            self.good_epochs_ += 1
            return
        net.history.record("diverged", True)
        if self.retries_ >= self.max_retries:
            self._gave_up = True  # on_train_end must not raise over this error
            raise TrainingDivergedError(
                f"training diverged (non-finite loss) {self.retries_ + 1} times, "
                f"{self.retries_} recoveries lowering the learning rates by "
                f"{self.lr_factor} each; {DIVERGENCE_ADVICE}"
            )
        self.retries_ += 1
        # the snapshot holds the learning rates of its epoch: each recovery
        # lowers the rates in use, not the snapshot's, by lr_factor
        rates = {
            name: [group["lr"] for group in getattr(net, name + "_").param_groups]
            for name in net._optimizers
        }
        restore_state(net, self.good_state_)
        # the optimizers may now hold the snapshot's tensors as their own state:
        # the next snapshot must not write into them
        self.good_state_ = snapshot_state(net)
        for name, previous in rates.items():
            for group, rate in zip(getattr(net, name + "_").param_groups, previous):
                group["lr"] = rate * self.lr_factor

    def on_train_end(self, net, **kwargs):
        # a copy of every module and optimizer: kept, it would travel with
        # the fitted detector (several times its weights in a pickle)
        self.good_state_ = None
        if self.retries_ and not self.good_epochs_ and not self._gave_up:
            raise TrainingDivergedError(
                f"no epoch of training ended with finite losses and weights "
                f"({self.retries_} recoveries, the learning rates lowered by "
                f"{self.lr_factor} each time): the networks were left untrained; "
                f"{DIVERGENCE_ADVICE}"
            )


class EarlyStopping(Callback):
    """Stop when a training loss stops improving; optionally restore the best epoch.

    Unlike ``skorch.callbacks.EarlyStopping`` the restored state covers the
    generator and the critics, not only ``module_``.

    Parameters
    ----------
    monitor : str, default="train_loss"
        History key to watch; lower is better. ``train_loss`` is the
        reconstruction error.
    patience : int, default=10
        Epochs without improvement before stopping.
    threshold : float, default=1e-4
        Relative improvement that counts: an epoch improves on the best
        loss when it is below it by ``threshold`` times the best's absolute
        value (so for negative losses too).
    load_best : bool, default=True
        Restore the modules of the best epoch when training ends.
    """

    def __init__(self, monitor="train_loss", patience=10, threshold=1e-4, load_best=True):
        self.monitor = monitor
        self.patience = patience
        self.threshold = threshold
        self.load_best = load_best

    def on_train_begin(self, net, **kwargs):
        self.best_score_ = math.inf
        self.best_epoch_ = 0
        self.misses_ = 0
        self.best_state_ = None

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1, self.monitor]
        if not math.isfinite(score):
            # a diverged epoch (the divergence guard restores the weights):
            # never the best, and not a miss of an improvement either
            return
        # relative to the best's size: a Wasserstein loss is negative, where
        # best * (1 - threshold) would lie above the best
        if math.isinf(self.best_score_) or (
            score < self.best_score_ - self.threshold * abs(self.best_score_)
        ):
            self.best_score_ = score
            self.best_epoch_ = net.history[-1, "epoch"]
            self.misses_ = 0
            if self.load_best:
                self.best_state_ = snapshot_state(net)
            return
        self.misses_ += 1
        if self.misses_ >= self.patience:
            raise StopTraining(
                f"Stopping since {self.monitor} has not improved in the last "
                f"{self.patience} epochs (best: epoch {self.best_epoch_})."
            )

    def on_train_end(self, net, **kwargs):
        if self.load_best and self.best_state_ is not None:
            restore_state(net, self.best_state_)
        self.best_state_ = None  # restored: not kept beside the fitted weights


class LRScheduler(Callback):
    """Apply a ``torch.optim.lr_scheduler`` policy to every optimizer of the net.

    Parameters
    ----------
    policy : type or str
        A scheduler class, e.g. ``torch.optim.lr_scheduler.StepLR``, or the
        name of one in ``torch.optim.lr_scheduler`` (``"StepLR"``).
    monitor : str, default="train_loss"
        History key passed to ``ReduceLROnPlateau``.
    **kwargs
        Passed to ``policy``.
    """

    def __init__(self, policy, monitor="train_loss", **kwargs):
        self.policy = policy
        self.monitor = monitor
        vars(self).update(kwargs)

    @property
    def _policy_kwargs(self):
        return {
            k: v
            for k, v in vars(self).items()
            if k not in ("policy", "monitor") and not k.endswith("_")
        }

    def _policy_class(self):
        if not isinstance(self.policy, str):
            return self.policy
        policy = getattr(torch.optim.lr_scheduler, self.policy, None)
        if not isinstance(policy, type):
            raise ValueError(f"torch.optim.lr_scheduler has no scheduler {self.policy!r}")
        return policy

    def on_train_begin(self, net, **kwargs):
        policy = self._policy_class()
        self.schedulers_ = [
            policy(getattr(net, name + "_"), **self._policy_kwargs) for name in net._optimizers
        ]

    def on_epoch_end(self, net, **kwargs):
        for scheduler in self.schedulers_:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(net.history[-1, self.monitor])
            else:
                scheduler.step()

    def on_train_end(self, net, **kwargs):
        # each scheduler holds its optimizer: kept, a pickle of the fitted
        # detector would store the optimizers' state a second time
        self.schedulers_ = None


class Checkpoint(Callback):
    """Save every module and optimizer whenever a training loss improves.

    skorch's ``Checkpoint`` saves ``module_`` and ``optimizer_`` only; this one
    writes the state of all networks and optimizers of the adversarial net as
    one ``torch.save`` file of tensors (readable with ``weights_only=True``).

    Parameters
    ----------
    path : str or path-like
        File to write; overwritten at every improvement.
    monitor : str, default="train_loss"
        History key to watch; lower is better.
    load_best : bool, default=False
        Load the saved state back into the net when training ends.
    """

    def __init__(self, path, monitor="train_loss", load_best=False):
        self.path = path
        self.monitor = monitor
        self.load_best = load_best

    def on_train_begin(self, net, **kwargs):
        folder = os.path.dirname(os.path.abspath(os.fspath(self.path)))
        if not os.path.isdir(folder):
            # before the first epoch, not when the first improvement is saved
            raise ValueError(f"Checkpoint path {self.path!r}: the folder {folder!r} does not exist")
        self.best_score_ = math.inf
        self.saved_epoch_ = None

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1, self.monitor]
        if score < self.best_score_:
            self.best_score_ = score
            self.saved_epoch_ = net.history[-1, "epoch"]
            torch.save(snapshot_state(net), self.path)
            net.history.record("checkpoint", True)

    def on_train_end(self, net, **kwargs):
        if self.load_best and self.saved_epoch_ is not None:
            restore_state(net, torch.load(self.path, weights_only=True))
