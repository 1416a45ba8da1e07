"""Trainer: MNIST-1D split, models, determinism, curves, sizes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.errors import NasbenchError  # noqa: E402
from nasbench.spaces.mlp import MlpSpace  # noqa: E402
from nasbench.spaces.nb201 import Nb201Space  # noqa: E402
from nasbench.train import models  # noqa: E402
from nasbench.train.data import load_dataset, load_mnist1d  # noqa: E402
from nasbench.train.trainer import Schedule, check_device, train  # noqa: E402

#: SHA-256 of the MNIST-1D split (mnist1d.make_dataset defaults, seed 42; train 3000 / valid 1000 / test 1000)
SPLIT_HASH = "bc2ded1f6b1cfaa55b9eaedf7456b9c6ef873c47b203c96afc5123e56a1db101"
TINY = Schedule(epochs=2, train_examples=200, channels=4)


def test_mnist1d_split_is_fixed_and_disjoint() -> None:
    data = load_mnist1d()
    assert (data.x_train.shape, data.x_valid.shape, data.x_test.shape) == ((3000, 1, 40), (1000, 1, 40), (1000, 1, 40))
    assert data.split_hash == SPLIT_HASH
    assert set(np.unique(data.y_train)) == set(range(10))
    train_rows = {row.tobytes() for row in data.x_train}
    assert not any(row.tobytes() in train_rows for row in data.x_valid)
    with pytest.raises(NasbenchError, match="unknown dataset 'cifar10'"):
        load_dataset("cifar10")


def test_generation_from_scratch_gives_the_recorded_split(tmp_path, monkeypatch) -> None:
    from nasbench.train import data as data_module

    monkeypatch.setenv("NASBENCH_CACHE", str(tmp_path))
    data_module.load_dataset.cache_clear()
    try:
        assert data_module.load_mnist1d().split_hash == SPLIT_HASH
        assert (tmp_path / "mnist1d-split.npz").is_file()
    finally:
        data_module.load_dataset.cache_clear()


def test_training_is_deterministic_for_an_architecture_and_seed() -> None:
    space = MlpSpace()
    arch = space.parse("layers=2,width=32,act=relu,dropout=0.4,lr=0.01")  # dropout: masks from a generator
    first = train(space, arch, seed=3, schedule=TINY)
    again = train(space, arch, seed=3, schedule=TINY)
    other = train(space, arch, seed=4, schedule=TINY)
    for name in ("train_loss", "valid_accuracy", "test_loss"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.train_loss, other.train_loss)


def test_nb201_run_records_every_epoch() -> None:
    space = Nb201Space()
    arch = space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    result = train(space, arch, seed=0, schedule=Schedule(epochs=3, train_examples=300, channels=4))
    for name in ("train_accuracy", "valid_accuracy", "test_accuracy"):
        curve = getattr(result, name)
        assert curve.shape == (3,) and np.all((curve >= 0) & (curve <= 1))
    assert np.all(np.diff(result.train_time) > 0) and result.train_time[0] > 0
    assert np.all(np.isfinite(result.valid_loss))
    assert result.params > 0 and result.flops > 0
    # training lowers the training loss of a reasonable cell
    assert result.train_loss[-1] < result.train_loss[0]


def test_pruned_cell_equals_the_cell_with_every_edge() -> None:
    # The cell keeps only live instances; summing all six edges (none = zero) must give the same output.
    space = Nb201Space()
    arch = space.parse("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|skip_connect~2|")
    cell = models.Cell(arch, 4)
    models.initialise(cell, torch.Generator().manual_seed(0))
    cell.eval()
    x = torch.randn(5, 4, 12, generator=torch.Generator().manual_seed(1))
    assert len(cell.ops) == 3  # the two 'none' edges are gone
    conv3, pool, conv1 = cell.ops
    with torch.no_grad():
        node1 = conv3(x)
        node2 = pool(node1)
        expected = conv1(x) + node2
        np.testing.assert_allclose(cell(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(models.AveragePool3()(x).numpy(),
                                   torch.nn.AvgPool1d(3, 1, 1, count_include_pad=False)(x).numpy(), atol=1e-6)


def test_isomorphic_cells_give_the_same_network_size() -> None:
    space = Nb201Space()
    a = space.parse("|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|")
    b = space.parse("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    assert space.isomorphism_class(a) == space.isomorphism_class(b)
    x = torch.zeros(1, 1, 40)
    sizes = []
    for arch in (a, b):
        model = models.Nb201Network(arch, channels=4, cells_per_stage=1)
        sizes.append((models.count_parameters(model), models.count_flops(model, x)))
    assert sizes[0] == sizes[1]


def test_mlp_size_is_counted_exactly() -> None:
    space = MlpSpace()
    model = models.MlpNetwork(space.config(space.parse("layers=2,width=16,act=tanh,dropout=0,lr=0.001")),
                              torch.Generator())
    assert models.count_parameters(model) == (40 * 16 + 16) + (16 * 16 + 16) + (16 * 10 + 10)
    assert models.count_flops(model, torch.zeros(3, 1, 40)) == 40 * 16 + 16 * 16 + 16 * 10


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_cuda_device_is_refused() -> None:
    with pytest.raises(NasbenchError, match="no CUDA device"):
        check_device("cuda")
    with pytest.raises(NasbenchError, match="device must be cpu or cuda"):
        check_device("tpu")


def test_precise_bn_recomputes_statistics_without_changing_training() -> None:
    space = Nb201Space()
    arch = space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    schedule = Schedule(epochs=2, train_examples=200, batch_size=50, channels=4)
    plain = train(space, arch, seed=1, schedule=schedule)
    precise = train(space, arch, seed=1, schedule=Schedule(**{**schedule.__dict__, "precise_bn": True}))
    # training never reads the running averages, so the training curve is identical ...
    np.testing.assert_array_equal(plain.train_loss, precise.train_loss)
    # ... while evaluation uses other statistics
    assert not np.array_equal(plain.valid_loss, precise.valid_loss)


def test_recomputed_batch_norm_holds_the_statistics_of_the_data() -> None:
    from nasbench.train.trainer import _recompute_batch_norm

    model = torch.nn.Sequential(torch.nn.Conv1d(1, 3, 3, bias=False), torch.nn.BatchNorm1d(3))
    x = torch.randn(64, 1, 20, generator=torch.Generator().manual_seed(0)) * 3 + 2
    with torch.no_grad():
        model.train()
        for _ in range(3):  # running averages from other data
            model(torch.randn(8, 1, 20))
    _recompute_batch_norm(model, x)
    with torch.no_grad():
        features = model[0](x)
    layer = model[1]
    torch.testing.assert_close(layer.running_mean, features.mean(dim=(0, 2)))
    torch.testing.assert_close(layer.running_var, features.var(dim=(0, 2), unbiased=True))
    assert layer.momentum == 0.1 and not model.training


def test_a_schedule_needs_a_positive_learning_rate() -> None:
    with pytest.raises(NasbenchError, match="learning rate"):
        Schedule(epochs=2, learning_rate=0.0)
    with pytest.raises(NasbenchError, match="'wall' or 'process'"):
        Schedule(epochs=2, clock="cpu")
