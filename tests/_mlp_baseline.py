"""The MLP-ensemble trainer as bananas ran it before its layers went feature-major (kept only as the
baseline the bananas benchmark measures a round against): members stacked on a leading axis,
weights and biases as separate views of one flat buffer, batch-major activations, Keras' Adam."""

from __future__ import annotations

import numpy as np

from nasbench.strategies._models import EnsembleConfig, MLPEnsemble


def train_baseline(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, config: EnsembleConfig) -> MLPEnsemble:
    """The same recipe as :func:`strategies._models.train_mlp_ensemble` (lr 0.01, betas 0.9/0.99 whatever
    ``config`` says)."""
    n_networks, n_layers, width, epochs, batch_size = (config.n_networks, config.n_layers, config.width,
                                                       config.epochs, config.batch_size)
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    sizes = [x.shape[1]] + [width] * n_layers + [1]
    shapes = [(n_networks, a, b) for a, b in zip(sizes[:-1], sizes[1:])] + [(n_networks, 1, b) for b in sizes[1:]]
    params = np.zeros(sum(int(np.prod(s)) for s in shapes), dtype=np.float32)
    grads = np.zeros_like(params)
    views, grad_views, offset = [], [], 0
    for s in shapes:
        views.append(params[offset:offset + int(np.prod(s))].reshape(s))
        grad_views.append(grads[offset:offset + int(np.prod(s))].reshape(s))
        offset += int(np.prod(s))
    n = len(sizes) - 1
    weights, biases, grad_w, grad_b = views[:n], views[n:], grad_views[:n], grad_views[n:]
    for w, (a, b) in zip(weights, zip(sizes[:-1], sizes[1:])):
        w[...] = rng.uniform(-np.sqrt(6.0 / (a + b)), np.sqrt(6.0 / (a + b)), size=w.shape)
    m, v, d = np.zeros_like(params), np.zeros_like(params), np.zeros_like(params)
    step = 0
    for _ in range(epochs):
        order = np.argsort(rng.random((n_networks, len(y))), axis=1)
        for begin in range(0, len(y), batch_size):
            rows = order[:, begin:begin + batch_size]
            acts = [x[rows]]
            for w, b in zip(weights[:-1], biases[:-1]):
                h = acts[-1] @ w
                h += b
                acts.append(np.maximum(h, 0.0, out=h))
            delta = np.sign((acts[-1] @ weights[-1] + biases[-1])[..., 0] - y[rows])[..., None]
            delta *= np.float32(1.0 / rows.shape[1])
            for layer in range(n - 1, -1, -1):
                np.matmul(acts[layer].transpose(0, 2, 1), delta, out=grad_w[layer])
                np.sum(delta, axis=1, keepdims=True, out=grad_b[layer])
                if layer:
                    delta = delta @ weights[layer].transpose(0, 2, 1)
                    delta *= acts[layer] > 0
            step += 1
            rate = np.float32(0.01 * np.sqrt(1 - 0.99 ** step) / (1 - 0.9 ** step))
            m += (grads - m) * np.float32(0.1)
            grads *= grads
            v += (grads - v) * np.float32(0.01)
            np.sqrt(v, out=d)
            d += np.float32(1e-7)
            np.divide(m, d, out=d)
            d *= rate
            params -= d
    return MLPEnsemble([np.concatenate([w, b], axis=1) for w, b in zip(weights, biases)])
