"""Callbacks act on every module and optimizer of the adversarial net."""

import copy

import numpy as np
import pytest
import skorch.callbacks
import torch

from sklearn_gan_ad import GANAnomalyDetector
from sklearn_gan_ad.callbacks import (
    Checkpoint,
    DivergenceGuard,
    EarlyStopping,
    LRScheduler,
)

X = np.random.RandomState(0).normal(size=(200, 4))
FAST = dict(hidden_layer_sizes=(16,), n_estimators=1, random_state=0)


def test_early_stopping_ends_training_before_the_last_epoch():
    stopper = EarlyStopping(patience=2, threshold=0.5)
    detector = GANAnomalyDetector(epochs=50, callbacks=[stopper], **FAST).fit(X)
    assert len(detector.net_.history) < 50


class _KeepsBestState(EarlyStopping):
    """EarlyStopping that keeps a copy of the best state it restores at the end."""

    def on_train_end(self, net, **kwargs):
        self.restored_state = copy.deepcopy(self.best_state_)
        super().on_train_end(net, **kwargs)


def test_early_stopping_restores_the_best_state_of_every_module():
    detector = GANAnomalyDetector(
        epochs=50, callbacks=[_KeepsBestState(patience=2, threshold=0.5, load_best=True)], **FAST
    ).fit(X)
    stopper = dict(detector.net_.callbacks_)["_KeepsBestState"]
    for name in ("module_", "generator_", "critic_x_", "critic_z_"):
        restored = getattr(detector.net_, name).state_dict()
        for key, value in stopper.restored_state[name].items():
            assert torch.equal(restored[key], value)


def test_no_snapshot_of_the_networks_outlives_the_fit():
    detector = GANAnomalyDetector(
        epochs=50, callbacks=[EarlyStopping(patience=2, threshold=0.5)], **FAST
    ).fit(X)
    callbacks = dict(detector.net_.callbacks_)
    # copies of every module and optimizer would travel with the fitted detector
    assert callbacks["EarlyStopping"].best_state_ is None
    assert callbacks["divergence_guard"].good_state_ is None


def test_skorchs_own_early_stopping_ends_the_fit_and_keeps_the_detector_fitted():
    stopper = skorch.callbacks.EarlyStopping(monitor="train_loss", patience=1, threshold=0.5)
    detector = GANAnomalyDetector(epochs=30, callbacks=[stopper], **FAST).fit(X)
    assert len(detector.net_.history) < 30
    assert np.all(np.isfinite(detector.score_samples(X)))


class _History:
    """The part of a net EarlyStopping reads: the last epoch's losses."""

    def __init__(self):
        self.rows = []

    def __getitem__(self, key):
        row, name = key
        return self.rows[row][name]


class _FakeNet:
    verbose = 0

    def __init__(self):
        self.history = _History()


def _best_epoch(losses, threshold):
    net, stopper = _FakeNet(), EarlyStopping(patience=len(losses), threshold=threshold)
    stopper.load_best = False
    stopper.on_train_begin(net)
    for epoch, loss in enumerate(losses, 1):
        net.history.rows.append({"epoch": epoch, "train_loss": loss})
        stopper.on_epoch_end(net)
    return stopper.best_epoch_


def test_early_stopping_does_not_count_a_worse_negative_loss_as_an_improvement():
    assert _best_epoch([-0.147, -0.146, -0.140], threshold=0.01) == 1


def test_early_stopping_takes_a_lower_negative_loss_as_the_best():
    assert _best_epoch([-0.147, -0.146, -0.160], threshold=0.01) == 3


def test_early_stopping_does_not_count_an_equal_negative_loss_as_an_improvement():
    assert _best_epoch([-5.0] * 6, threshold=1e-4) == 1


def test_a_divergence_guard_passed_in_callbacks_replaces_the_default_one():
    guard = DivergenceGuard(max_retries=7)
    detector = GANAnomalyDetector(epochs=1, callbacks=[("divergence_guard", guard)], **FAST)
    guards = [cb for _, cb in detector.fit(X).net_.callbacks_ if isinstance(cb, DivergenceGuard)]
    assert [g.max_retries for g in guards] == [7]


def test_a_verbose_fit_stopped_early_prints_its_last_epoch_and_why(capsys):
    stopper = EarlyStopping(patience=1, threshold=0.9)
    detector = GANAnomalyDetector(epochs=20, verbose=1, callbacks=[stopper], **FAST).fit(X)
    printed = capsys.readouterr().out
    n_epochs = len(detector.net_.history)
    table_rows = [line for line in printed.splitlines() if line.strip()[:1].isdigit()]
    assert len(table_rows) == n_epochs
    assert "Stopping since train_loss has not improved in the last 1 epochs" in printed


def test_lr_scheduler_steps_every_optimizer():
    scheduler = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    detector = GANAnomalyDetector(epochs=3, learning_rate=1e-3, callbacks=[scheduler], **FAST).fit(
        X
    )
    for optimizer in (detector.net_.optimizer_, detector.net_.optimizer_critic_):
        assert optimizer.param_groups[0]["lr"] == 1e-3 * 0.5**3


def test_checkpoint_saves_all_modules_and_optimizers(tmp_path):
    path = tmp_path / "best.pt"
    GANAnomalyDetector(epochs=3, callbacks=[Checkpoint(path)], **FAST).fit(X)
    state = torch.load(path, weights_only=True)
    assert set(state) == {
        "module_",
        "generator_",
        "critic_x_",
        "critic_z_",
        "optimizer_",
        "optimizer_critic_",
    }


def test_verbose_prints_an_epoch_table_with_the_losses(capsys):
    GANAnomalyDetector(epochs=2, verbose=1, **FAST).fit(X)
    printed = capsys.readouterr().out
    assert "train_loss" in printed and "critic_loss" in printed and "generator_loss" in printed


def test_quiet_by_default(capsys):
    GANAnomalyDetector(epochs=2, **FAST).fit(X)
    assert capsys.readouterr().out == ""


def test_fitting_leaves_the_callbacks_passed_by_the_user_untouched():
    stopper = EarlyStopping(patience=5)
    detector = GANAnomalyDetector(
        epochs=2, n_estimators=2, callbacks=[stopper], hidden_layer_sizes=(16,)
    ).fit(X)
    assert dict(detector.net_.callbacks_)["EarlyStopping"] is not stopper
    assert not hasattr(stopper, "best_state_")


def test_early_stopping_restores_the_best_epoch_of_every_ensemble_member():
    detector = GANAnomalyDetector(
        epochs=30,
        n_estimators=3,
        callbacks=[_KeepsBestState(patience=2, threshold=0.5)],
        hidden_layer_sizes=(16,),
        random_state=0,
    ).fit(X)
    stopper = dict(detector.net_.callbacks_)["_KeepsBestState"]
    for name, state in stopper.restored_state.items():
        if name.startswith("optimizer"):
            continue
        for key, value in getattr(detector.net_, name).state_dict().items():
            assert value.shape[0] == 3  # one slice per member, all restored
            torch.testing.assert_close(value, state[key], rtol=0, atol=0)


def test_a_snapshot_taken_into_an_earlier_one_reuses_its_tensors_and_equals_a_fresh_one():
    from sklearn_gan_ad.callbacks import snapshot_state

    net = GANAnomalyDetector(**FAST).fit(X).net_
    earlier = snapshot_state(net)
    weight = earlier["module_"][next(iter(earlier["module_"]))]
    net.partial_fit(torch.as_tensor(X, dtype=torch.float32), epochs=1)
    reused = snapshot_state(net, into=earlier)
    fresh = snapshot_state(net)
    assert reused["module_"][next(iter(reused["module_"]))] is weight
    for name in fresh:
        torch.testing.assert_close(reused[name], fresh[name])


def test_early_stopping_passes_over_a_non_finite_epoch():
    # a diverged first epoch (the guard restores its weights) is never the best
    assert _best_epoch([float("nan"), 1.0, 0.5], threshold=1e-4) == 3


class _GradientSpy(skorch.callbacks.Callback):
    """Records the modules whose gradients each on_grad_computed call announces."""

    def initialize(self):
        self.calls = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.calls.append(sorted({name.split(".")[0] for name, _ in named_parameters}))


def test_skorch_gradient_callbacks_see_the_critic_and_generator_updates_of_every_step():
    detector = GANAnomalyDetector(epochs=2, batch_size=100, callbacks=[_GradientSpy()], **FAST)
    spy = dict(detector.fit(X).net_.callbacks_)["_GradientSpy"]
    one_step = [["critic_x", "critic_z"], ["generator", "module"]]
    assert spy.calls == one_step * 4  # 2 epochs of 2 batches


def test_skorchs_gradient_norm_clipping_changes_the_training():
    clipped = skorch.callbacks.GradientNormClipping(gradient_clip_value=1e-12)
    plain = GANAnomalyDetector(epochs=2, **FAST).fit(X).score_samples(X)
    with_clipping = GANAnomalyDetector(epochs=2, callbacks=[clipped], **FAST).fit(X)
    assert not np.array_equal(with_clipping.score_samples(X), plain)


class _InitialWeights(skorch.callbacks.Callback):
    def on_train_begin(self, net, **kwargs):
        self.critic_x = copy.deepcopy(net.critic_x_.state_dict())


def test_a_skorch_freezer_keeps_the_critic_it_names_unchanged():
    freezer = skorch.callbacks.Freezer("critic_x.*")
    detector = GANAnomalyDetector(epochs=2, callbacks=[_InitialWeights(), freezer], **FAST)
    net = detector.fit(X).net_
    initial = dict(net.callbacks_)["_InitialWeights"].critic_x
    for key, value in net.critic_x_.state_dict().items():
        assert torch.equal(value, initial[key]), key


def test_the_generator_step_computes_no_critic_gradients_and_keeps_what_was_frozen():
    net = GANAnomalyDetector(epochs=1, **{**FAST, "n_estimators": 2}).fit(X).net_
    critics = [*net.critic_x_.parameters(), *net.critic_z_.parameters()]
    critics[0].requires_grad_(False)  # as a Freezer would leave it
    flags = [param.requires_grad for param in critics]
    for param in [*critics, *net.module_.parameters()]:
        param.grad = None
    net.generator_step(torch.randn(2, 16, 4))
    assert all(param.grad is None for param in critics)
    assert [param.requires_grad for param in critics] == flags
    assert all(param.grad is not None for param in net.module_.parameters())


@pytest.mark.parametrize(
    "callback, message",
    [
        (skorch.callbacks.EpochScoring("roc_auc"), "EpochScoring: it scores predictions"),
        (skorch.callbacks.Checkpoint(), "use sklearn_gan_ad.callbacks.Checkpoint"),
        (
            skorch.callbacks.LoadInitState(skorch.callbacks.Checkpoint()),
            "LoadInitState: it restores only module_",
        ),
        (skorch.callbacks.EarlyStopping(load_best=True), "use sklearn_gan_ad.callbacks.Early"),
        ("print_log", "must be a skorch callback or a"),
    ],
    ids=["EpochScoring", "Checkpoint", "LoadInitState", "EarlyStopping(load_best)", "str"],
)
def test_a_callback_that_cannot_act_on_the_adversarial_net_is_refused(callback, message):
    with pytest.raises(ValueError, match=message):
        GANAnomalyDetector(epochs=1, callbacks=[callback], **FAST).fit(X)


def test_lr_scheduler_keeps_no_scheduler_after_the_fit():
    scheduler = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1)
    detector = GANAnomalyDetector(epochs=2, callbacks=[scheduler], **FAST).fit(X)
    # each scheduler holds an optimizer, which a pickle would store a second time
    assert dict(detector.net_.callbacks_)["LRScheduler"].schedulers_ is None


def test_lr_scheduler_takes_a_scheduler_by_its_name():
    by_name = LRScheduler("StepLR", step_size=1, gamma=0.1)
    net = GANAnomalyDetector(epochs=2, callbacks=[by_name], learning_rate=1e-3, **FAST).fit(X).net_
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-5)


def test_a_checkpoint_into_a_missing_folder_is_refused_before_training(tmp_path):
    checkpoint = Checkpoint(tmp_path / "missing" / "best.pt")
    with pytest.raises(ValueError, match="does not exist"):
        GANAnomalyDetector(epochs=2, callbacks=[checkpoint], **FAST).fit(X)


@pytest.mark.parametrize(
    "callback",
    [
        EarlyStopping(monitor="valid_loss"),
        skorch.callbacks.EarlyStopping(monitor="valid_loss"),
        LRScheduler(torch.optim.lr_scheduler.ReduceLROnPlateau, monitor="loss"),
    ],
    ids=["EarlyStopping", "skorch EarlyStopping", "LRScheduler"],
)
def test_a_callback_watching_a_loss_the_net_does_not_record_is_refused_at_fit(callback):
    with pytest.raises(ValueError, match="watch one of train_loss, critic_loss, generator_loss"):
        GANAnomalyDetector(epochs=2, callbacks=[callback], **FAST).fit(X)


def test_setting_a_callbacks_own_parameter_through_the_detector_is_refused():
    detector = GANAnomalyDetector(callbacks=[("stop", EarlyStopping())])
    with pytest.raises(ValueError, match="pass a new list"):
        detector.set_params(callbacks__stop__patience=3)
