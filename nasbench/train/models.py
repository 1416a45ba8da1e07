"""PyTorch models for the spaces nasbench trains itself: NAS-Bench-201 cells in 1-D, and MLPs.

``Nb201Network`` follows the NAS-Bench-201 macro skeleton with 1-D convolutions: a 3-wide convolution
stem, three stages of ``cells_per_stage`` cells at C, 2C and 4C channels joined by two reduction
blocks (one strided convolution each, where NAS-Bench-201 has a residual block), then batch norm,
ReLU, global average pooling and a linear head. Cell ops are ``nor_conv_k`` = ReLU, k-wide
convolution, batch norm; ``avg_pool_3x3`` = 3-wide average pooling (padding not counted);
``skip_connect`` = identity; ``none`` = zero. A cell is built from its live
operation instances (:meth:`Nb201Space.live_instances`): zero edges and ops whose result never reaches
the output are left out, which computes the same function with less work.

Parameters are (re)initialised from a ``torch.Generator`` (PyTorch's default schemes), and dropout
draws its masks from a generator too, so nothing here reads torch's global random state.

Example:
    >>> import torch
    >>> from nasbench.spaces.nb201 import Nb201Space
    >>> space = Nb201Space()
    >>> model = Nb201Network(space.arch_of_row(0), channels=8, cells_per_stage=1)
    >>> initialise(model, torch.Generator().manual_seed(0))
    >>> model(torch.zeros(2, 1, 40)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nasbench.spaces.base import Arch
from nasbench.spaces.mlp import MlpConfig
from nasbench.spaces.nb201 import Nb201Space

N_CLASSES = 10


def _relu_conv_bn(c_in: int, c_out: int, width: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReLU(), nn.Conv1d(c_in, c_out, width, stride, width // 2, bias=False),
                         nn.BatchNorm1d(c_out))


class AveragePool3(nn.Module):
    """3-wide average pooling, stride 1, padding not counted (as ``nn.AvgPool1d(3, 1, 1,
    count_include_pad=False)``) written as two shifted adds: several times faster on small CPU tensors."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length = x.shape[-1]
        total = x.clone()
        total[..., 1:] += x[..., :-1]
        total[..., :-1] += x[..., 1:]
        count = torch.full((length,), 3.0, dtype=x.dtype, device=x.device)
        count[0] = count[-1] = 2.0
        return total / count


class Cell(nn.Module):
    """One NAS-Bench-201 cell, reduced to its live operation instances."""

    def __init__(self, arch: Arch, channels: int) -> None:
        super().__init__()
        instances, self.output = Nb201Space.live_instances(arch)
        self.inputs = [inputs for _, inputs in instances]
        self.ops = nn.ModuleList(
            _relu_conv_bn(channels, channels, 1) if op == 2 else
            _relu_conv_bn(channels, channels, 3) if op == 3 else
            AveragePool3()
            for op, _ in instances)

    @staticmethod
    def _sum(values: list[torch.Tensor], refs: tuple[int, ...], x: torch.Tensor) -> torch.Tensor:
        total = x if refs[0] < 0 else values[refs[0]]
        for ref in refs[1:]:
            total = total + (x if ref < 0 else values[ref])
        return total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.output:  # the output is cut off from the input: the cell computes zero
            return torch.zeros_like(x)
        values: list[torch.Tensor] = []
        for op, inputs in zip(self.ops, self.inputs):
            values.append(op(self._sum(values, inputs, x)))
        return self._sum(values, self.output, x)


class ReductionBlock(nn.Module):
    """A reduction block: ReLU, 3-wide convolution of stride 2 doubling the channels, batch norm.

    NAS-Bench-201 uses a residual block here (two convolutions and a pooled shortcut); one strided
    convolution keeps the skeleton's shape at a third of its cost, which is what lets every cell
    of the space be trained on a small CPU.
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.main = _relu_conv_bn(c_in, c_out, 3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class Nb201Network(nn.Module):
    """The NAS-Bench-201 network for 1-D signals of one input channel."""

    def __init__(self, arch: Arch, *, channels: int, cells_per_stage: int, n_classes: int = N_CLASSES) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(1, channels, 3, padding=1, bias=False), nn.BatchNorm1d(channels)]
        width = channels
        for stage in range(3):
            if stage:
                layers.append(ReductionBlock(width, width * 2))
                width *= 2
            layers.extend(Cell(arch, width) for _ in range(cells_per_stage))
        layers.extend([nn.BatchNorm1d(width), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten()])
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class GeneratorDropout(nn.Module):
    """Inverted dropout whose masks come from a given ``torch.Generator`` (not the global one)."""

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.p
        return x * keep / (1.0 - self.p)


_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class MlpNetwork(nn.Module):
    """``layers`` hidden layers of one width, each linear, activation, dropout; then a linear head."""

    def __init__(self, config: MlpConfig, generator: torch.Generator, *, n_inputs: int = 40,
                 n_classes: int = N_CLASSES) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = n_inputs
        for _ in range(config.layers):
            layers.extend([nn.Linear(width, config.width), _ACTIVATIONS[config.activation](),
                           GeneratorDropout(config.dropout, generator)])
            width = config.width
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


@torch.no_grad()
def initialise(model: nn.Module, generator: torch.Generator) -> None:
    """Re-initialise every parameter with PyTorch's default scheme, drawing from ``generator``.

    Convolutions and linear layers: weights Kaiming-uniform (a = sqrt 5), biases uniform in
    ±1/sqrt(fan_in); batch norm: weight 1, bias 0. Modules are visited in a fixed order, so the
    same generator state gives the same network.
    """
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Linear)):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            if module.bias is not None:
                bound = 1.0 / math.sqrt(module.weight[0].numel())
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)
        elif isinstance(module, nn.BatchNorm1d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
            module.reset_running_stats()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_flops(model: nn.Module, example: torch.Tensor) -> int:
    """Multiply-accumulates of one forward pass on one example (convolutions and linear layers).

    Counted from the shapes the layers actually see (hooks on one forward pass of ``example[:1]``),
    so pruned cell edges cost nothing.
    """
    total = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        weight = module.weight
        assert isinstance(weight, torch.Tensor)
        per_output = weight[0].numel()  # (in_channels / groups) x kernel width, or in_features
        total += output[0].numel() * per_output

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Linear))]
    was_training = model.training
    try:
        model.eval()
        with torch.inference_mode():
            model(example[:1])
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return int(total)
