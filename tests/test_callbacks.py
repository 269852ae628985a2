"""Callbacks act on every module and optimizer of the adversarial net."""

import numpy as np
import torch

from sklearn_gan_ad import GANAnomalyDetector
from sklearn_gan_ad.callbacks import Checkpoint, EarlyStopping, LRScheduler

X = np.random.RandomState(0).normal(size=(200, 4))
FAST = dict(hidden_layer_sizes=(16,), n_estimators=1, random_state=0)


def test_early_stopping_ends_training_before_the_last_epoch():
    stopper = EarlyStopping(patience=2, threshold=0.5)
    detector = GANAnomalyDetector(epochs=50, callbacks=[stopper], **FAST).fit(X)
    assert len(detector.net_.history) < 50


def test_early_stopping_restores_the_best_state_of_every_module():
    detector = GANAnomalyDetector(
        epochs=50, callbacks=[EarlyStopping(patience=2, threshold=0.5, load_best=True)], **FAST
    ).fit(X)
    stopper = dict(detector.net_.callbacks_)["EarlyStopping"]
    for name in ("module_", "generator_", "critic_x_", "critic_z_"):
        restored = getattr(detector.net_, name).state_dict()
        for key, value in stopper.best_state_[name].items():
            assert torch.equal(restored[key], value)


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
        callbacks=[EarlyStopping(patience=2, threshold=0.5)],
        hidden_layer_sizes=(16,),
        random_state=0,
    ).fit(X)
    stopper = dict(detector.net_.callbacks_)["EarlyStopping"]
    for name, state in stopper.best_state_.items():
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
