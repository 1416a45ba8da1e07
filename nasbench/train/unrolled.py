"""Second-order DARTS: the architecture gradient through one unrolled weight step.

Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search" (ICLR 2019), eq. 7-8, as
AutoDL-Projects' DARTS-V2 computes it: a virtual SGD step ``w' = w - xi (momentum + grad + wd w)``
at the current learning rate ``xi``, the validation gradient at ``w'``, and the implicit term by a
central finite difference ``(grad_a L_train(w+) - grad_a L_train(w-)) / 2 eps`` with
``w+- = w +- eps v``, ``v = grad_w' L_valid`` and ``eps = 0.01 / |v|``. The network's weights are
never modified (``torch.func.functional_call`` evaluates it at the shifted weights).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from torch.func import functional_call

Batch = tuple[torch.Tensor, torch.Tensor]


def _loss(net: nn.Module, params: Mapping[str, torch.Tensor], alphas: torch.Tensor, batch: Batch) -> torch.Tensor:
    x, y = batch
    return nn.functional.cross_entropy(functional_call(net, dict(params), (x, alphas.softmax(-1))), y)


def unrolled_arch_gradient(net: nn.Module, alphas: torch.Tensor, optimiser: torch.optim.SGD, rate: float,
                           train: Batch, valid: Batch) -> torch.Tensor:
    """The second-order gradient of the validation loss with respect to ``alphas``."""
    names = [name for name, _ in net.named_parameters()]
    weights = [p.detach() for _, p in net.named_parameters()]
    group = optimiser.param_groups[0]
    momentum, decay = group["momentum"], group["weight_decay"]
    live = {name: p for name, p in net.named_parameters()}
    gradients = torch.autograd.grad(_loss(net, live, alphas.detach(), train), list(live.values()))
    unrolled = {}
    for name, (_, parameter), weight, gradient in zip(names, net.named_parameters(), weights, gradients):
        buffer = optimiser.state.get(parameter, {}).get("momentum_buffer")
        step = gradient + decay * weight + (momentum * buffer if buffer is not None else 0.0)
        unrolled[name] = (weight - rate * step).requires_grad_()
    valid_loss = _loss(net, unrolled, alphas, valid)
    arch_gradient, *vector = torch.autograd.grad(valid_loss, [alphas, *unrolled.values()])
    epsilon = 0.01 / torch.cat([v.flatten() for v in vector]).norm()
    shifted = []
    for sign in (1.0, -1.0):
        params = {name: w + sign * epsilon * v for name, w, v in zip(names, weights, vector)}
        shifted.append(torch.autograd.grad(_loss(net, params, alphas, train), alphas)[0])
    return arch_gradient - rate * (shifted[0] - shifted[1]) / (2 * epsilon)


__all__ = ["unrolled_arch_gradient"]
