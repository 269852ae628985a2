"""Ensemble members trained and scored as one batched network, yet independent."""

from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector, load
from sklearn_gan_ad.networks import MemberLinear, MemberStack
from sklearn_gan_ad.training import MemberRows, TensorBatches

DATA = Path(__file__).parent / "data"
RNG = np.random.RandomState(0)
X = RNG.normal(size=(120, 4))
SMALL = dict(hidden_layer_sizes=(16,), epochs=3, random_state=0)


def member_slices(module, member):
    return {name: value[member].clone() for name, value in module.state_dict().items()}


def test_every_module_holds_all_members_along_a_leading_axis():
    detector = GANAnomalyDetector(n_estimators=3, **SMALL).fit(X)
    for name in ("module_", "generator_", "critic_x_", "critic_z_"):
        for value in getattr(detector.net_, name).state_dict().values():
            assert value.shape[0] == 3


def test_members_start_from_different_weights():
    layer = MemberLinear(8, 4, n_members=3)
    assert not torch.equal(layer.weight[0], layer.weight[1])
    assert not torch.equal(layer.weight[1], layer.weight[2])


def test_one_member_is_initialised_as_a_torch_linear_layer():
    torch.manual_seed(0)
    reference = torch.nn.Linear(8, 4)
    torch.manual_seed(0)
    layer = MemberLinear(8, 4, n_members=1)
    torch.testing.assert_close(layer.weight[0], reference.weight.T, rtol=0, atol=0)
    torch.testing.assert_close(layer.bias[0, 0], reference.bias, rtol=0, atol=0)


def test_a_member_update_depends_only_on_its_own_batch():
    detector = GANAnomalyDetector(n_estimators=2, **SMALL)
    net = detector._make_net((4,), 2, 64, "cpu").initialize()
    twin = detector._make_net((4,), 2, 64, "cpu").initialize()
    for name in ("module_", "generator_", "critic_x_", "critic_z_"):
        getattr(twin, name).load_state_dict(getattr(net, name).state_dict())
    batch = torch.randn(2, 32, 4)
    other = batch.clone()
    other[1] = torch.randn(32, 4) * 5  # member 1 gets entirely different rows
    for model, x in ((net, batch), (twin, other)):
        model.random_generator_.manual_seed(1)  # the same prior draws
        model.train_step(x)
    for name in ("module_", "generator_", "critic_x_", "critic_z_"):
        first, second = getattr(net, name), getattr(twin, name)
        for key, value in member_slices(first, 0).items():
            torch.testing.assert_close(value, member_slices(second, 0)[key], rtol=0, atol=0)
        assert any(
            not torch.equal(value, member_slices(second, 1)[key])
            for key, value in member_slices(first, 1).items()
        )


def test_every_member_visits_all_rows_in_its_own_order_each_epoch():
    data = torch.arange(10.0)[:, None]
    batches = list(TensorBatches(MemberRows(data, n_members=3), batch_size=4, shuffle=True))
    assert [tuple(b.shape) for b in batches] == [(3, 4, 1), (3, 4, 1), (3, 2, 1)]
    epoch = torch.cat(batches, dim=1)[..., 0]
    for member in epoch:
        assert sorted(member.tolist()) == list(range(10))
    assert not torch.equal(epoch[0], epoch[1])


def test_a_member_that_kept_fewer_rows_revisits_them_to_fill_the_epoch():
    data = torch.arange(10.0)[:, None]
    kept = [torch.arange(10), torch.tensor([1, 3, 5, 7, 9, 2, 4])]
    batches = TensorBatches(MemberRows(data, n_members=2, rows=kept), batch_size=4, shuffle=True)
    epoch = torch.cat(list(batches), dim=1)[..., 0]
    assert sorted(epoch[0].tolist()) == list(range(10))
    assert set(epoch[1].tolist()) == {1, 3, 5, 7, 9, 2, 4}
    assert len(epoch[1]) == 10


def test_row_sets_for_another_number_of_members_are_refused():
    with pytest.raises(ValueError, match="expected 3"):
        MemberRows(torch.zeros(5, 2), n_members=3, rows=[torch.arange(5)])


def test_each_member_prunes_the_planted_outliers_from_its_own_rows():
    rows = np.vstack([RNG.normal(size=(200, 4)), RNG.normal(size=(4, 4)) + 12])
    detector = GANAnomalyDetector(n_estimators=3, hidden_layer_sizes=(16,), epochs=4).fit(rows)
    kept = detector._rows_to_keep(
        detector.net_,
        rows,
        detector.input_mean_,
        detector.input_scale_,
        1,
    )
    assert len(kept) == 3
    for member_rows in kept:
        assert not set(member_rows) & {200, 201, 202, 203}
        assert len(member_rows) > 150


def test_members_stay_independent_scorers():
    detector = GANAnomalyDetector(n_estimators=3, **SMALL).fit(X)
    members = detector._components_for(X, ("scaled_reconstruction",))
    first, second = (member["scaled_reconstruction"] for member in members[:2])
    assert not np.allclose(first, second)


def test_recurrent_members_are_stacked_copies_of_the_single_network():
    windows = np.sin(np.arange(30 * 20) / 3.0).reshape(30, 20)
    detector = LSTMGANAnomalyDetector(hidden_size=4, n_estimators=2, epochs=2, random_state=0)
    detector.fit(windows)
    assert isinstance(detector.net_.module_, MemberStack)
    assert detector.net_.module_.n_members == 2
    members = detector._components_for(windows, ("reconstruction",))
    assert not np.allclose(members[0]["reconstruction"], members[1]["reconstruction"])
    assert np.isfinite(detector.score_samples(windows)).all()


@pytest.mark.parametrize("n_rows", [1, 2, 3, 5, 2049])
def test_a_row_scores_bit_for_bit_the_same_in_a_call_of_any_size(n_rows):
    detector = GANAnomalyDetector(n_estimators=2, **SMALL).fit(X)
    rows = np.vstack([X, RNG.normal(size=(2100, 4))])
    together = detector.score_samples(rows)
    np.testing.assert_array_equal(detector.score_samples(rows[:n_rows]), together[:n_rows])


def test_scoring_with_worker_threads_equals_scoring_in_one_thread():
    detector = GANAnomalyDetector(n_estimators=2, n_threads=1, **SMALL).fit(X)
    rows = RNG.normal(size=(5000, 4))
    single = detector.score_samples(rows)
    detector.set_params(n_threads=2)
    np.testing.assert_array_equal(detector.score_samples(rows), single)


@pytest.mark.parametrize("name", ["gan", "lstm"])
def test_a_model_file_written_by_0_2_0_loads_with_its_scores(name):
    expected = np.load(DATA / "format2_expected.npz")
    detector = load(DATA / f"format2_{name}.pt")
    data = expected["X"] if name == "gan" else expected["W"]
    # 0.2.0 scored in float64, this version in float32
    np.testing.assert_allclose(detector.score_samples(data), expected[name], rtol=1e-5, atol=1e-5)


def test_pruning_in_blocks_keeps_the_rows_pruning_in_one_block_keeps(monkeypatch):
    from sklearn_gan_ad import base

    rows = np.vstack([RNG.normal(size=(200, 4)), RNG.normal(size=(4, 4)) + 12])
    detector = GANAnomalyDetector(n_estimators=2, hidden_layer_sizes=(16,), epochs=4).fit(rows)
    args = (detector.net_, rows, detector.input_mean_, detector.input_scale_, 1)
    whole = detector._rows_to_keep(*args)
    monkeypatch.setattr(base, "_PRUNING_BLOCK_ROWS", 64)
    for in_blocks, in_one in zip(detector._rows_to_keep(*args), whole):
        np.testing.assert_array_equal(in_blocks, in_one)
