"""Zero-cost proxies: scores of an untrained network on one fixed training minibatch.

Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021), and
Krishnakumar et al., "NAS-Bench-Suite-Zero" (NeurIPS 2022 Datasets and Benchmarks), whose
definitions these follow; each is computed on the network the table trains, initialised exactly as
the trainer initialises it for that seed (so seed 0's proxies score the very network the table
trained from), on the first ``batch_size`` examples of the training split:

* ``zc_synflow``: sum |theta x dR/dtheta|, R the sum of the output of the network with all
  parameters made positive, batch norm in evaluation mode (the reference removes it), input all ones;
* ``zc_snip``: sum |theta x dL/dtheta| (L the cross-entropy of the minibatch);
* ``zc_grasp``: sum -theta x (H g), g = dL/dtheta, H the Hessian (a Hessian-vector product);
* ``zc_grad_norm``: sum over parameter tensors of |dL/dtheta|_2;
* ``zc_fisher``: sum over ReLU activations a of 0.5 mean_batch (sum_position a x dL/da)^2;
* ``zc_jacov``: -sum (log(v + k) + 1/(v + k)), v the eigenvalues of the correlation matrix of the
  input Jacobians of the examples, k = 1e-5 (Mellor et al. 2021, first version);
* ``zc_naswot``: log |K|, K_ij the number of ReLU units on which examples i and j agree (Mellor
  et al., "Neural Architecture Search without Training", ICML 2021); not a number where K is
  singular (log |K| = -inf) or the network has no ReLU;
* ``zc_zen``: log E|f(x) - f(x + 0.01 e)| + sum over batch-norm layers of log sqrt(mean variance),
  f the features before global pooling (or the head's input), x and e Gaussian (Lin et al.,
  "Zen-NAS", ICCV 2021).

Example:
    >>> from nasbench.spaces.mlp import MlpSpace
    >>> from nasbench.train.data import load_mnist1d
    >>> from nasbench.train.schedule import Schedule
    >>> space, data = MlpSpace(), load_mnist1d()
    >>> arch = space.parse("layers=1,width=16,act=relu,dropout=0,lr=0.01")
    >>> scores = proxies(space, arch, seed=0, schedule=Schedule(epochs=1), data=data)
    >>> sorted(scores) == sorted(PROXIES), all(isinstance(v, float) for v in scores.values())
    (True, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from nasbench.spaces.base import Arch, Space
from nasbench.spaces.trainable import TrainableSpace, trainable
from nasbench.train import models, numerics
from nasbench.train.data import Mnist1d
from nasbench.train.schedule import Schedule
from nasbench.zero_cost import PROXY_NAMES, seconds_metric

Proxy = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Generator], float]


def _loss_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, graph: bool = False):
    params = [p for p in model.parameters() if p.requires_grad]
    loss = nn.functional.cross_entropy(model(x), y)
    return params, torch.autograd.grad(loss, params, create_graph=graph, allow_unused=True)


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    model = model.double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    params = list(model.parameters())
    out = model(torch.ones((1, *x.shape[1:]), dtype=torch.float64))
    grads = torch.autograd.grad(out.sum(), params, allow_unused=True)
    return float(sum((p.detach() * g).abs().sum() for p, g in zip(params, grads) if g is not None))


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    params, grads = _loss_gradients(model, x, y)
    return float(sum((p.detach() * g).abs().sum() for p, g in zip(params, grads) if g is not None))


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    _, grads = _loss_gradients(model, x, y)
    return float(sum(g.norm() for g in grads if g is not None))


def grasp(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    params, first = _loss_gradients(model, x, y)
    detached = [torch.zeros_like(p) if g is None else g.detach() for p, g in zip(params, first)]
    _, grads = _loss_gradients(model, x, y, graph=True)
    dot = sum((g * d).sum() for g, d in zip(grads, detached) if g is not None)
    hessian_g = torch.autograd.grad(dot, params, allow_unused=True)
    return float(sum((-p.detach() * h).sum() for p, h in zip(params, hessian_g) if h is not None))


def _relu_outputs(model: nn.Module, x: torch.Tensor, keep_graph: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
    outputs: list[torch.Tensor] = []

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if keep_graph and output.requires_grad:
            output.retain_grad()
        outputs.append(output)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        return model(x), outputs
    finally:
        for handle in handles:
            handle.remove()


def fisher(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    logits, activations = _relu_outputs(model, x, keep_graph=True)
    # a ReLU fed only by zero ('none') paths is a constant: it contributes nothing
    activations = [a for a in activations if a.requires_grad]
    if not activations:
        return 0.0
    grads = torch.autograd.grad(nn.functional.cross_entropy(logits, y), activations, allow_unused=True)
    total = 0.0
    for a, g in zip(activations, grads):
        if g is not None:
            per_channel = (a * g).reshape(a.shape[0], a.shape[1], -1).sum(-1)
            total += float(0.5 * per_channel.detach().pow(2).mean(0).sum())
    return total


def jacov(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    x = x.clone().requires_grad_()
    (gradient,) = torch.autograd.grad(model(x).sum(), x, allow_unused=True)
    if gradient is None:  # the output does not depend on the input (a cell of 'none' paths only)
        gradient = torch.zeros_like(x)
    jacobian = gradient.reshape(len(x), -1).double().numpy()
    with np.errstate(invalid="ignore", divide="ignore"):  # an example with a zero Jacobian: NaN, zeroed below
        correlation = np.corrcoef(jacobian)
    values = np.linalg.eigvalsh(np.nan_to_num(correlation))
    k = 1e-5
    return float(-np.sum(np.log(np.abs(values) + k) + 1.0 / (np.abs(values) + k)))


def naswot(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    with torch.no_grad():
        _, activations = _relu_outputs(model, x, keep_graph=False)
    if not activations:
        return math.nan  # defined on ReLU codes: a network without ReLUs has no score
    codes = torch.cat([(a > 0).reshape(len(x), -1).double() for a in activations], dim=1)
    kernel = codes @ codes.T + (1 - codes) @ (1 - codes).T
    if int(torch.linalg.matrix_rank(kernel, hermitian=True)) < len(kernel):
        # two examples share a code (or codes are dependent): log|K| is -inf, and what an LU factorisation
        # returns instead is rounding noise that differs between processes
        return -math.inf
    return float(torch.linalg.slogdet(kernel)[1])


def zen(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    pooled = [m for m in model.modules() if isinstance(m, nn.AdaptiveAvgPool1d)]
    target = pooled[0] if pooled else [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    features: list[torch.Tensor] = []
    handle = target.register_forward_hook(lambda module, inputs, output: features.append(inputs[0]))
    layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    try:
        model.train()
        with torch.no_grad():
            noise = torch.randn(x.shape, generator=generator)
            model(noise)
            variance = sum(math.log(math.sqrt(float(m.running_var.mean()) + 1e-12)) for m in layers
                           if m.running_var is not None)
            model(noise + 0.01 * torch.randn(x.shape, generator=generator))
    finally:
        handle.remove()
    delta = float((features[0] - features[1]).abs().mean())
    return math.log(delta + 1e-12) + variance


#: proxy name (as stored in tables) -> function of (fresh model, inputs, labels, generator)
PROXIES: dict[str, Proxy] = {"zc_synflow": synflow, "zc_snip": snip, "zc_grasp": grasp, "zc_grad_norm": grad_norm,
                             "zc_fisher": fisher, "zc_jacov": jacov, "zc_naswot": naswot, "zc_zen": zen}
assert tuple(PROXIES) == PROXY_NAMES


def proxies(space: Space, arch: Arch, *, seed: int, schedule: Schedule, data: Mnist1d,
            names: tuple[str, ...] = tuple(PROXIES), timings: dict[str, float] | None = None) -> dict[str, float]:
    """Every proxy of ``names`` for ``arch`` at initialisation seed ``seed`` (a fresh network each).

    ``timings``, when given, receives each proxy's measured CPU seconds (process time).
    """
    space_ = trainable(space)
    arch = space.check(arch)
    text = space.encode(arch)
    x = torch.from_numpy(np.ascontiguousarray(data.x_train[:schedule.batch_size]))
    y = torch.from_numpy(np.ascontiguousarray(data.y_train[:schedule.batch_size]))
    scores: dict[str, float] = {}
    with numerics.backends(schedule.cpu_kernels):
        for name in names:
            scores[name] = _score(space_, arch, name, text, seed=seed, schedule=schedule, x=x, y=y, timings=timings)
    return scores


def _score(space: TrainableSpace, arch: Arch, name: str, text: str, *, seed: int, schedule: Schedule,
           x: torch.Tensor, y: torch.Tensor, timings: dict[str, float] | None) -> float:
    from nasbench.train.trainer import _seed_of

    start = time.process_time()
    model = space.build_model(arch, schedule, torch.Generator().manual_seed(_seed_of(seed, text, "dropout")))
    models.initialise(model, torch.Generator().manual_seed(_seed_of(seed, text, "init")))
    model.train()
    value = PROXIES[name](model, x, y, torch.Generator().manual_seed(_seed_of(seed, text, name)))
    if timings is not None:
        timings[name] = time.process_time() - start
    return value if math.isfinite(value) else math.nan


def proxy_metrics(space: Space, arch: Arch, *, seed: int, schedule: Schedule, data: Mnist1d) -> dict[str, float]:
    """Every proxy of ``arch`` at init seed ``seed`` and its CPU seconds, keyed by their table metric names.

    Example:
        >>> from nasbench.spaces.mlp import MlpSpace
        >>> from nasbench.train.data import load_mnist1d
        >>> values = proxy_metrics(MlpSpace(), MlpSpace().parse("layers=1,width=16,act=relu,dropout=0,lr=0.01"),
        ...                        seed=0, schedule=Schedule(epochs=1), data=load_mnist1d())
        >>> values["zc_snip"] > 0, values["zc_snip_seconds"] > 0, len(values) == 2 * len(PROXIES)
        (True, True, True)
    """
    timings: dict[str, float] = {}
    scores = proxies(space, arch, seed=seed, schedule=schedule, data=data, timings=timings)
    return {**scores, **{seconds_metric(name): seconds for name, seconds in timings.items()}}


__all__ = ["PROXIES", "proxies", "proxy_metrics"]
