"""The weight-sharing supernet of the ``nb201`` cell space, and one search epoch on it.

:class:`Supernet` is :class:`~nasbench.train.models.Nb201Network` with every cell edge replaced by
all five operations at once (:class:`MixedEdge`), built from the same operation modules, stem,
reduction blocks, head and schedule sizes (``channels``, ``cells_per_stage``), so the cell derived
from it is a cell of the table and is looked up there. One forward pass mixes the edges in one of
three ways:

* ``weights`` (6 x 5, rows summing to 1): every op computed, outputs weighted (DARTS);
* ``weights`` and ``path`` (GDAS): only the op ``path[e]`` is computed on edge ``e`` and scaled by
  its (straight-through hard) weight, the other weights enter as constants so gradients reach them;
* ``path`` alone: single-path (RSPS), the sampled op of each edge unweighted.

With neither, every op is weighted 1/5 (used to count the supernet's multiply-accumulates).

Example:
    >>> import torch
    >>> net = Supernet(channels=4, cells_per_stage=1)
    >>> _ = initialise_supernet(net, torch.Generator().manual_seed(0))
    >>> net(torch.zeros(2, 1, 40), path=(3, 0, 1, 2, 4, 3)).shape
    torch.Size([2, 10])
    >>> derive(torch.tensor([[0.0, 1, 0, 0, 0]] * 6))
    (1, 1, 1, 1, 1, 1)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nasbench.spaces.base import Arch
from nasbench.spaces.nb201 import EDGES, OPS
from nasbench.train.models import N_CLASSES, AveragePool3, ReductionBlock, _relu_conv_bn, initialise

N_EDGES, N_OPS = len(EDGES), len(OPS)


class MixedEdge(nn.Module):
    """One cell edge holding an instance of every op (``none`` and ``skip_connect`` have no weights)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _relu_conv_bn(channels, channels, 1)
        self.conv3 = _relu_conv_bn(channels, channels, 3)
        self.pool = AveragePool3()

    def op(self, index: int, x: torch.Tensor) -> torch.Tensor:
        if index == 0:
            return torch.zeros_like(x)
        if index == 1:
            return x
        return self.conv1(x) if index == 2 else self.conv3(x) if index == 3 else self.pool(x)

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None, choice: int | None) -> torch.Tensor:
        if choice is None:  # DARTS: the weighted sum of every op ('none' contributes zero)
            assert weights is not None
            return sum((weights[i] * self.op(i, x) for i in range(1, N_OPS)), torch.zeros_like(x))
        if weights is None:  # single path
            return self.op(choice, x)
        # GDAS: compute only the chosen op; the others' hard weights (0, carrying gradient) are added as is
        out = weights[choice] * self.op(choice, x)
        return out + sum(weights[i] for i in range(N_OPS) if i != choice)


class SuperCell(nn.Module):
    """A NAS-Bench-201 cell with a :class:`MixedEdge` on each of its six edges."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(MixedEdge(channels) for _ in EDGES)

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None, path: Sequence[int] | None) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            total = torch.zeros_like(x)
            for edge, (to, source) in enumerate(EDGES):
                if to == target:
                    total = total + self.edges[edge](nodes[source], None if weights is None else weights[edge],
                                                     None if path is None else path[edge])
            nodes.append(total)
        return nodes[3]


class Supernet(nn.Module):
    """The NAS-Bench-201 skeleton of :class:`~nasbench.train.models.Nb201Network`, cells shared-weight."""

    def __init__(self, *, channels: int, cells_per_stage: int, n_classes: int = N_CLASSES) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(1, channels, 3, padding=1, bias=False), nn.BatchNorm1d(channels))
        blocks: list[nn.Module] = []
        width = channels
        for stage in range(3):
            if stage:
                blocks.append(ReductionBlock(width, width * 2))
                width *= 2
            blocks.extend(SuperCell(width) for _ in range(cells_per_stage))
        self.blocks = nn.ModuleList(blocks)
        self.tail = nn.Sequential(nn.BatchNorm1d(width), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None = None,
                path: Sequence[int] | None = None) -> torch.Tensor:
        if weights is None and path is None:
            weights = torch.full((N_EDGES, N_OPS), 1.0 / N_OPS, device=x.device)
        x = self.stem(x)
        for block in self.blocks:
            x = block(x, weights, path) if isinstance(block, SuperCell) else block(x)
        return self.head(self.tail(x))


def initialise_supernet(model: Supernet, generator: torch.Generator) -> Supernet:
    """PyTorch's default initialisation drawn from ``generator`` (:func:`models.initialise`)."""
    initialise(model, generator)
    return model


def derive(alphas: torch.Tensor) -> Arch:
    """The cell of the strongest op on each edge (argmax over all five, ``none`` included, as
    NAS-Bench-201's DARTS and GDAS genotypes; ties go to the lower op index)."""
    return tuple(int(i) for i in alphas.detach().cpu().argmax(dim=1))


__all__ = ["MixedEdge", "N_EDGES", "N_OPS", "SuperCell", "Supernet", "derive", "initialise_supernet"]
