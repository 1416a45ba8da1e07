"""Zero-cost proxies: scores of an untrained network on one fixed training minibatch.

Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021), and
Krishnakumar et al., "NAS-Bench-Suite-Zero" (NeurIPS 2022 Datasets and Benchmarks), whose
definitions these follow; each is computed on the network the table trains, initialised exactly as
the trainer initialises it for that seed (so seed 0's proxies score the very network the table
trained from), on the first ``batch_size`` examples of the training split. As in the reference code,
zero-cost-nas (SamsungLabs/zero-cost-nas, ``foresight/pruners/measures``), the gradient proxies score
the weights of the convolutions and linear layers only (not biases, not batch norm), summed over those
weights; each function's docstring states where it deviates:

* ``zc_synflow``: sum |w x dR/dw|, R the sum of the output of the network with all parameters made
  positive and batch norm removed, on one all-ones input, in float64;
* ``zc_snip``: sum |w x dL/dw| (L the cross-entropy of the minibatch);
* ``zc_grasp``: sum -w x (H g), g = dL/dw, H the Hessian (a Hessian-vector product), in float64;
* ``zc_grad_norm``: sum over layers of |dL/dw|_2;
* ``zc_fisher``: sum over conv/linear outputs z and their channels of 0.5 mean_batch (sum_position z x
  dL/dz)^2, each channel counted once per weight it has (the reference broadcasts it to them);
* ``zc_jacov``: -sum (log(v + k) + 1/(v + k)), v the eigenvalues of the correlation matrix of the
  input Jacobians of the examples, k = 1e-5 (Mellor et al. 2021, first version), in float64 on at most
  D - 1 examples (D the input size), the most whose correlation matrix can be of full rank;
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
from nasbench.train.recipes import recipe_for
from nasbench.train.schedule import Schedule
from nasbench.zero_cost import PROXY_NAMES, seconds_metric

Proxy = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Generator], float]


#: the layers whose weights the reference scores (zero-cost-nas ``get_layer_metric_array``: Conv2d and Linear;
#: our networks are 1-D, so Conv1d in Conv2d's place); batch norm and biases are never scored
_WEIGHTED = (nn.Conv1d, nn.Conv2d, nn.Linear)


def _weight(layer: nn.Module) -> torch.Tensor:
    weight = layer.weight
    assert isinstance(weight, torch.Tensor)
    return weight


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [_weight(m) for m in model.modules() if isinstance(m, _WEIGHTED)]


def _loss_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor, params: list[torch.Tensor], *,
                    graph: bool = False) -> tuple[torch.Tensor | None, ...]:
    loss = nn.functional.cross_entropy(model(x), y)
    return torch.autograd.grad(loss, params, create_graph=graph, allow_unused=True)


def _sum_abs_products(params: list[torch.Tensor], grads: tuple[torch.Tensor | None, ...]) -> float:
    return float(sum(float((p.detach() * g).abs().sum()) for p, g in zip(params, grads) if g is not None))


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    """sum over conv/linear weights of |w x dR/dw|, every parameter made positive, batch norm removed.

    As zero-cost-nas (``synflow``, ``bn=False``): batch-norm layers pass their input through, the network
    runs in float64 on one all-ones input. Deviation: the network is in evaluation mode, so the MLPs'
    dropout is off (the reference's networks have none, and a random mask would make the score a draw).
    """
    model = model.double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    # a forward hook that returns a value replaces the module's output: batch norm becomes the identity
    handles = [m.register_forward_hook(lambda module, inputs, output: inputs[0]) for m in model.modules()
               if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    try:
        weights = _weights(model)
        out = model(torch.ones((1, *x.shape[1:]), dtype=torch.float64))
        grads = torch.autograd.grad(out.sum(), weights, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    return _sum_abs_products(weights, grads)


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    """sum over conv/linear weights of |w x dL/dw| (zero-cost-nas ``snip``: |dL/dm| of a mask m = 1 on w)."""
    weights = _weights(model)
    return _sum_abs_products(weights, _loss_gradients(model, x, y, weights))


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    """sum over conv/linear layers of |dL/dw|_2 of the layer's weight (zero-cost-nas ``grad_norm``)."""
    return float(sum(float(g.norm()) for g in _loss_gradients(model, x, y, _weights(model)) if g is not None))


def grasp(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    """sum over conv/linear weights of -w x (H g), g = dL/dw, H the Hessian (zero-cost-nas ``grasp``, T = 1).

    Deviation: in float64. The sum cancels (terms of both signs), so in float32 the builder and a fresh
    process that rescored the same nb201 cell differed by 3.7e-5 relative, beyond the tables' 1e-5.
    """
    model, x = model.double(), x.double()
    weights = _weights(model)
    first = _loss_gradients(model, x, y, weights)
    grads = _loss_gradients(model, x, y, weights, graph=True)
    dot = sum((g * d.detach()).sum() for g, d in zip(grads, first) if g is not None and d is not None)
    if not isinstance(dot, torch.Tensor):
        return 0.0
    hessian_g = torch.autograd.grad(dot, weights, allow_unused=True)
    return float(sum(float((-w.detach() * h).sum()) for w, h in zip(weights, hessian_g) if h is not None))


def _outputs_of(model: nn.Module, x: torch.Tensor, kinds: tuple[type[nn.Module], ...]
                ) -> tuple[torch.Tensor, list[tuple[nn.Module, torch.Tensor]]]:
    """The network's output on ``x`` and the output of every module of ``kinds``, in call order."""
    outputs: list[tuple[nn.Module, torch.Tensor]] = []

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        outputs.append((module, output))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    try:
        return model(x), outputs
    finally:
        for handle in handles:
            handle.remove()


def fisher(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    """sum over conv/linear layers and their output channels k of n_k x 0.5 mean_batch (sum_position z dL/dz)^2.

    As zero-cost-nas (``fisher``): z is the layer's output (the reference hooks an identity after each
    conv/linear layer), and its per-channel value is broadcast to the channel's n_k weights (the layer's
    fan-in, ``weight[0].numel()``) before everything is summed, so each channel counts n_k times.
    """
    logits, outputs = _outputs_of(model, x, _WEIGHTED)
    outputs = [(layer, z) for layer, z in outputs if z.requires_grad]
    if not outputs:
        return 0.0
    grads = torch.autograd.grad(nn.functional.cross_entropy(logits, y), [z for _, z in outputs], allow_unused=True)
    total = 0.0
    for (layer, z), g in zip(outputs, grads):
        if g is not None:
            per_channel = (z * g).detach().reshape(z.shape[0], z.shape[1], -1).sum(-1)
            fan_in = _weight(layer)[0].numel()
            total += float(0.5 * per_channel.pow(2).mean(0).abs().sum()) * fan_in
    return total


def jacov(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    """-sum (log(v + k) + 1/(v + k)) over the eigenvalues v of the correlation of the examples' input Jacobians.

    As zero-cost-nas (``jacob_cov``), but on the first D - 1 examples when the batch is larger (D the input
    size, 40 for MNIST-1D): each Jacobian is centred over its D entries before correlating, so the matrix
    has rank at most D - 1, and a batch of 100 has 61 zero eigenvalues whose 1/k terms (1e5 each) swamp
    every score (the reference's batch of 64 CIFAR images has D = 3,072). Float64 throughout. Deviations:
    eigenvalues of the symmetric matrix by ``eigvalsh`` (the reference's ``eig`` can return complex rounding
    noise); an example with a zero Jacobian (a network whose output ignores its input) contributes a zero
    row and column, giving the lowest scores, where the reference's ``eig`` of the NaN matrix fails (NaN).
    """
    model = model.double()
    x = x[:min(len(x), x[0].numel() - 1)].double().requires_grad_()
    (gradient,) = torch.autograd.grad(model(x).sum(), x, allow_unused=True)
    if gradient is None:  # the output does not depend on the input (a cell of 'none' paths only)
        gradient = torch.zeros_like(x)
    jacobian = gradient.reshape(len(x), -1).numpy()
    with np.errstate(invalid="ignore", divide="ignore"):  # an example with a zero Jacobian: NaN, zeroed below
        correlation = np.corrcoef(jacobian)
    values = np.linalg.eigvalsh(np.nan_to_num(correlation))
    k = 1e-5
    return float(-np.sum(np.log(np.abs(values) + k) + 1.0 / (np.abs(values) + k)))


def naswot(model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    with torch.no_grad():
        _, outputs = _outputs_of(model, x, (nn.ReLU,))
    activations = [a for _, a in outputs]
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
            start = time.process_time()
            scores[name] = _score(space_, arch, name, text, seed=seed, schedule=schedule, x=x, y=y)
            if timings is not None:
                timings[name] = time.process_time() - start  # building the network included
    return scores


def _score(space: TrainableSpace, arch: Arch, name: str, text: str, *, seed: int, schedule: Schedule,
           x: torch.Tensor, y: torch.Tensor) -> float:
    """Proxy ``name`` of a fresh network of ``arch`` (NaN where it is not finite)."""
    from nasbench.train.trainer import _seed_of

    dropout = torch.Generator().manual_seed(_seed_of(seed, text, "dropout"))
    model = recipe_for(space).build_model(arch, schedule, dropout)
    models.initialise(model, torch.Generator().manual_seed(_seed_of(seed, text, "init")))
    model.train()
    value = PROXIES[name](model, x, y, torch.Generator().manual_seed(_seed_of(seed, text, name)))
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
