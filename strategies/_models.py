"""Small numpy/scipy surrogate models shared by the model-based strategies (no torch, no sklearn;
scipy is imported where it is used, so that importing the strategies stays fast).

* :class:`GaussianProcess` — an isotropic (ARD-free) Matern-5/2 or RBF kernel with signal variance
  and noise; the three hyperparameters maximise the log marginal likelihood (L-BFGS-B on their logs
  with the analytic gradient, several starts); every solve goes through one Cholesky factor, which
  grows by a block when rows are added under fixed hyperparameters.
* :func:`train_mlp_ensemble` — independently initialised fully connected ReLU networks trained
  together with Adam on the mean absolute error: the members are stacked on a leading axis so one
  batched matrix product serves all of them.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 2, size=(30, 6)).astype(float)
    >>> y = x @ np.arange(6.0)
    >>> gp = GaussianProcess("matern52").fit(x, y, rng)
    >>> mean, std = gp.predict(x[:2])
    >>> bool(np.allclose(mean, y[:2], atol=0.5))
    True
    >>> ensemble = train_mlp_ensemble(x, y, rng, EnsembleConfig(n_networks=3, epochs=20))
    >>> ensemble.predict(x).shape
    (3, 30)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench.spaces import Arch, Space

KERNELS = ("matern52", "rbf")
#: bounds of (length-scale, signal variance, noise variance) for standardised targets
GP_BOUNDS = ((1e-2, 1e2), (1e-2, 1e2), (1e-6, 1.0))
#: uniform draws tried for an architecture not asked before, before any draw is taken
SAMPLE_RETRIES = 100


def unasked_sample(space: Space, rng: np.random.Generator, asked_rows: set[int]) -> Arch:
    """A uniform sample whose row is not in ``asked_rows`` (any sample once the retries run out)."""
    for _ in range(SAMPLE_RETRIES):
        arch = space.sample(rng)
        if space.index(arch) not in asked_rows:
            return arch
    return arch


def candidate_pool(space: Space, rng: np.random.Generator, archs: list[Arch], scores: np.ndarray,
                   asked_rows: set[int], size: int, n_top: int) -> list[Arch]:
    """An acquisition pool as NAS-BOWL's: ``size // 2`` single-gene mutations of the ``n_top`` best
    architectures under ``scores`` (the parents taken in turn), then uniform samples; each row once,
    none in ``asked_rows``."""
    best = np.argsort(-np.asarray(scores), kind="stable")[:n_top]
    n_mutations = size // 2
    drafts = [space.mutate(archs[best[i % len(best)]], rng) for i in range(n_mutations)]
    drafts += space.sample_batch(rng, size - n_mutations)
    rows, candidates = set(asked_rows), []
    for arch in drafts:
        row = space.index(arch)
        if row not in rows:
            rows.add(row)
            candidates.append(arch)
    return candidates


_LOG_BOUNDS = [(np.log(low), np.log(high)) for low, high in GP_BOUNDS]
_SQRT5 = np.sqrt(5.0)
_JITTER = 1e-10


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise squared Euclidean distances between the rows of ``a`` and ``b``."""
    out = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(out, 0.0)


def kernel_values(kernel: str, sq_dist: np.ndarray, length_scale: float, signal: float) -> np.ndarray:
    """Kernel values for squared distances (no noise)."""
    if kernel == "rbf":
        return signal * np.exp(-0.5 * sq_dist / length_scale**2)
    r = np.sqrt(sq_dist) / length_scale
    return signal * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r) * np.exp(-_SQRT5 * r)


def _length_scale_derivative(kernel: str, sq_dist: np.ndarray, length_scale: float, signal: float) -> np.ndarray:
    """d kernel / d log length-scale."""
    if kernel == "rbf":
        return kernel_values(kernel, sq_dist, length_scale, signal) * sq_dist / length_scale**2
    r = np.sqrt(sq_dist) / length_scale
    return signal * (5.0 / 3.0) * r * r * (1.0 + _SQRT5 * r) * np.exp(-_SQRT5 * r)


@dataclass(frozen=True)
class DistanceGroups:
    """The distinct squared distances of a training set and where each entry of the matrix falls.

    Encodings of categorical genes give few distinct distances (one-hot: twice the number of
    differing genes), so the kernel is evaluated once per distinct value and gathered, and the
    gradient's sums over the matrix become one ``bincount``.
    """

    values: np.ndarray
    inverse: np.ndarray
    n: int

    @classmethod
    def of(cls, x: np.ndarray) -> DistanceGroups:
        values, inverse = np.unique(np.round(squared_distances(x, x), 9), return_inverse=True)
        return cls(values, inverse.ravel(), len(x))

    def matrix(self, per_value: np.ndarray) -> np.ndarray:
        return per_value[self.inverse].reshape(self.n, self.n)


def log_marginal_likelihood(log_params: np.ndarray, groups: DistanceGroups, y: np.ndarray,
                            kernel: str) -> tuple[float, np.ndarray]:
    """Log marginal likelihood of ``y`` and its gradient in (log length-scale, log signal, log noise).

    >>> groups = DistanceGroups.of(np.eye(3))
    >>> value, gradient = log_marginal_likelihood(np.zeros(3), groups, np.array([1.0, -1.0, 0.0]), "rbf")
    >>> gradient.shape
    (3,)
    """
    from scipy.linalg import cho_solve, cholesky
    from scipy.linalg.lapack import dpotri

    length_scale, signal, noise = np.exp(log_params)
    n = len(y)
    per_value = kernel_values(kernel, groups.values, length_scale, signal)
    k = groups.matrix(per_value)
    k[np.diag_indices(n)] += noise + _JITTER
    try:
        factor = cholesky(k, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return -1e25, np.zeros(3)
    alpha = cho_solve((factor, True), y, check_finite=False)
    value = -0.5 * y @ alpha - np.log(np.diag(factor)).sum() - 0.5 * n * np.log(2 * np.pi)
    # d value / d theta = 0.5 tr((alpha alpha^T - K^-1) dK/dtheta), summed per distinct distance.
    # dpotri leaves K^-1 in the lower triangle (zeros above, as cholesky left them): the symmetric
    # sum is twice the lower one less the diagonal, whose entries all lie at distance 0 (group 0).
    lower_inverse, _ = dpotri(factor, lower=1, overwrite_c=1)
    trace_inverse = np.trace(lower_inverse)
    lower_inverse *= -2.0
    lower_inverse += np.outer(alpha, alpha)
    sums = np.bincount(groups.inverse, weights=lower_inverse.ravel(), minlength=len(groups.values))
    sums[0] += trace_inverse
    d_length = _length_scale_derivative(kernel, groups.values, length_scale, signal)
    gradient = 0.5 * np.array([sums @ d_length, sums @ per_value, noise * (alpha @ alpha - trace_inverse)])
    return float(value), gradient


@dataclass
class GaussianProcess:
    """GP regression with hyperparameters fitted by marginal likelihood on standardised targets.

    ``fit`` runs L-BFGS-B from ``warm_start`` (if given) and from ``n_starts`` points (at least one
    without a warm start) drawn log-uniformly inside :data:`GP_BOUNDS` by ``rng``; the best optimum wins.
    ``extend`` conditions on more rows with the hyperparameters kept (the Cholesky factor grows by a
    block, no refactorisation).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 2, size=(40, 6)).astype(float)
    >>> y = x @ np.arange(6.0)
    >>> grown = GaussianProcess().fit(x[:30], y[:30], rng).extend(x[30:], y)
    >>> whole = GaussianProcess().fit(x, y, rng, warm_start=grown.log_params)
    >>> whole.log_params = grown.log_params
    >>> bool(np.allclose(grown.predict(x[:5])[0], whole.condition().predict(x[:5])[0]))
    True
    """

    kernel: str = "matern52"
    n_starts: int = 2

    def fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
            warm_start: np.ndarray | None = None) -> GaussianProcess:
        from scipy.optimize import minimize

        self.x = np.asarray(x, dtype=np.float64)
        self._standardise(y)
        groups = DistanceGroups.of(self.x)
        low, high = np.array(_LOG_BOUNDS).T
        n_random = self.n_starts if warm_start is not None else max(self.n_starts, 1)
        starts = list(rng.uniform(low, high, size=(n_random, 3)))
        if warm_start is not None:
            starts.insert(0, np.clip(warm_start, low, high))

        def negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient = log_marginal_likelihood(log_params, groups, self.y, self.kernel)
            return -value, -gradient

        best = min((minimize(negative, start, jac=True, method="L-BFGS-B", bounds=_LOG_BOUNDS) for start in starts),
                   key=lambda found: found.fun)
        self.log_params = np.clip(best.x, low, high)
        self.log_likelihood = -float(best.fun)
        return self.condition()

    def condition(self) -> GaussianProcess:
        """Factorise the kernel matrix of ``self.x`` under the current hyperparameters."""
        from scipy.linalg import cholesky, solve_triangular

        self._factor = cholesky(self._covariance(self.x, self.x, noise=True), lower=True, check_finite=False)
        # L^-1 y and L^-1 1 give the posterior mean for any standardisation of y: mean = v^T (w_y - mu w_1)
        self._whitened = solve_triangular(self._factor, np.stack([self._raw, np.ones_like(self._raw)], axis=1),
                                          lower=True, check_finite=False)
        return self

    def extend(self, x_new: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """Condition on the rows ``x_new`` appended to the training inputs, ``y`` being every target
        (old and new, standardised again); the hyperparameters are kept. The factor grows by the block
        ``[[L, 0], [B, chol(K_new - B B^T)]]`` with ``B = (L^-1 K_cross)^T``: O(n^2 m) instead of a new
        O(n^3) factorisation. Raises ``numpy.linalg.LinAlgError`` where the new block is not positive
        definite."""
        from scipy.linalg import cholesky, solve_triangular

        x_new = np.asarray(x_new, dtype=np.float64)
        n, m = len(self.x), len(x_new)
        left = solve_triangular(self._factor, self._covariance(self.x, x_new), lower=True, check_finite=False)
        corner = cholesky(self._covariance(x_new, x_new, noise=True) - left.T @ left, lower=True, check_finite=False)
        factor = np.zeros((n + m, n + m))
        factor[:n, :n] = self._factor
        factor[n:, :n] = left.T
        factor[n:, n:] = corner
        self.x = np.vstack([self.x, x_new])
        self._standardise(y)
        new_rows = np.stack([self._raw[n:], np.ones(m)], axis=1) - left.T @ self._whitened
        whitened_new = solve_triangular(corner, new_rows, lower=True, check_finite=False)
        self._factor = factor
        self._whitened = np.vstack([self._whitened, whitened_new])
        return self

    def _standardise(self, y: np.ndarray) -> None:
        self._raw = np.asarray(y, dtype=np.float64)
        self.y_mean = float(np.mean(self._raw))
        self.y_scale = float(np.std(self._raw)) or 1.0
        self.y = (self._raw - self.y_mean) / self.y_scale

    def _covariance(self, a: np.ndarray, b: np.ndarray, noise: bool = False) -> np.ndarray:
        length_scale, signal, noise_variance = np.exp(self.log_params)
        k = kernel_values(self.kernel, squared_distances(a, b), length_scale, signal)
        if noise:
            k[np.diag_indices(len(a))] += noise_variance + _JITTER
        return k

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent function, in the targets' units."""
        from scipy.linalg import solve_triangular

        cross = self._covariance(np.asarray(x, dtype=np.float64), self.x)
        v = solve_triangular(self._factor, cross.T, lower=True, check_finite=False)
        mean = v.T @ (self._whitened[:, 0] - self.y_mean * self._whitened[:, 1])
        signal = float(np.exp(self.log_params[1]))
        variance = np.maximum(signal - (v * v).sum(0), 1e-12)
        return self.y_mean + mean, self.y_scale * np.sqrt(variance)


@dataclass
class MLPEnsemble:
    """Stacked weights of independent networks: ``weights[layer]`` has shape (members, in + 1, out),
    its last input row being the layer's bias."""

    weights: list[np.ndarray]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions of every member, shape (members, rows)."""
        h = np.broadcast_to(np.asarray(x, dtype=np.float64), (len(self.weights[0]),) + np.shape(x))
        for w in self.weights[:-1]:
            h = np.maximum(h @ w[:, :-1] + w[:, -1:], 0.0)
        return (h @ self.weights[-1][:, :-1] + self.weights[-1][:, -1:])[..., 0]


class _Layers:
    """Buffers for one batch size, feature-major so that each member's activations are one contiguous
    block (elementwise steps on strided views cost several times more): ``rows`` is the input batch
    (members, batch, inputs + 1); ``hidden[k]`` the input of weight layer k + 1 (members, width + 1,
    batch) whose last row stays 1 (one matrix product applies weights and bias; ReLU keeps the 1);
    ``slopes`` ReLU's derivative there and ``errors`` the loss's gradient with respect to it. The
    hidden layers are one array each, so that their gradients are one batched product."""

    def __init__(self, n_networks: int, batch: int, n_inputs: int, n_layers: int, width: int) -> None:
        self.rows = np.ones((n_networks, batch, n_inputs + 1), dtype=np.float32)
        self.hidden = np.ones((n_layers, n_networks, width + 1, batch), dtype=np.float32)
        self.slopes = np.zeros_like(self.hidden)
        self.errors = np.zeros_like(self.hidden)
        self.inputs = [self.rows.transpose(0, 2, 1), *self.hidden]  # the input of each weight layer


@dataclass(frozen=True)
class EnsembleConfig:
    """The networks of an MLP ensemble and how they are trained: ``n_networks`` members of ``n_layers``
    hidden ReLU layers of ``width`` units, ``epochs`` passes in batches of ``batch_size``, Adam with
    ``learning_rate``, ``betas`` and ``epsilon``. The defaults are the BANANAS reference's (naszilla/bananas
    ``meta_neural_net.py``; Keras' epsilon)."""

    n_networks: int = 5
    n_layers: int = 10
    width: int = 20
    epochs: int = 150
    batch_size: int = 32
    learning_rate: float = 0.01
    betas: tuple[float, float] = (0.9, 0.99)
    epsilon: float = 1e-7


class _Stack:
    """The members' weights, one stack of matrices (members, out, in + 1) per layer whose last column is
    the bias, and their gradients: every parameter and gradient is a view into one flat buffer
    (``params``, ``grads``). Glorot-uniform weights, zero biases, as Keras initialises them."""

    def __init__(self, n_inputs: int, config: EnsembleConfig, rng: np.random.Generator) -> None:
        n_networks, n_layers = config.n_networks, config.n_layers
        sizes = [n_inputs] + [config.width] * n_layers + [1]
        shapes = [(n_networks, fan_out, fan_in + 1) for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
        self.params = np.zeros(sum(int(np.prod(shape)) for shape in shapes), dtype=np.float32)
        self.grads = np.zeros_like(self.params)
        self.weights: list[np.ndarray] = []
        self.grad_w: list[np.ndarray] = []
        offset = 0
        for shape in shapes:
            size = int(np.prod(shape))
            self.weights.append(self.params[offset:offset + size].reshape(shape))
            self.grad_w.append(self.grads[offset:offset + size].reshape(shape))
            offset += size
        # the hidden-to-hidden matrices' gradients, one (n_layers - 1, members, width, width + 1) block
        self.grad_hidden = (self.grads[self.grad_w[0].size:self.grads.size - self.grad_w[-1].size]
                            .reshape((n_layers - 1,) + shapes[1]) if n_layers > 1 else None)
        for w, (fan_in, fan_out) in zip(self.weights, zip(sizes[:-1], sizes[1:])):
            limit = np.sqrt(6.0 / (fan_in + fan_out))  # Glorot uniform; the bias column stays zero
            w[:, :, :fan_in] = rng.uniform(-limit, limit, size=(n_networks, fan_in, fan_out)).transpose(0, 2, 1)
        self.backward = [w.transpose(0, 2, 1) for w in self.weights]  # views (members, in + 1, out)

    def gradients(self, x: np.ndarray, y: np.ndarray, rows: np.ndarray, buffers: _Layers) -> None:
        """The mean absolute error's gradient on the batch ``rows`` (members, batch) into ``grads``."""
        weights = self.weights
        np.take(x, rows, axis=0, out=buffers.rows)
        for layer, w in enumerate(weights[:-1]):
            hidden = buffers.hidden[layer]
            np.matmul(w, buffers.inputs[layer], out=hidden[:, :-1])
            np.maximum(hidden, 0.0, out=hidden)  # ReLU; the row of 1s stays
        np.sign(buffers.hidden, out=buffers.slopes)  # ReLU's derivative: its output is 0 or > 0
        output = (weights[-1] @ buffers.hidden[-1])[:, 0]
        delta = np.sign(output - y[rows])[:, None]
        delta *= np.float32(1.0 / rows.shape[1])  # d MAE / d output, (members, 1, batch)
        np.matmul(delta, buffers.hidden[-1].transpose(0, 2, 1), out=self.grad_w[-1])
        for layer in range(len(weights) - 1, 0, -1):
            error = buffers.errors[layer - 1]
            np.matmul(self.backward[layer], delta, out=error)
            error *= buffers.slopes[layer - 1]
            delta = error[:, :-1]
        np.matmul(delta, buffers.rows, out=self.grad_w[0])
        if self.grad_hidden is not None:
            np.matmul(buffers.errors[1:, :, :-1], buffers.hidden[:-1].transpose(0, 1, 3, 2), out=self.grad_hidden)


class _Adam:
    """Adam on one flat buffer. It keeps its moments divided by ``1 - beta`` (``m' = beta1 m' + g``),
    which saves two passes a step; the constants go into the step size and epsilon, so the update is
    Adam's."""

    def __init__(self, params: np.ndarray, config: EnsembleConfig) -> None:
        self.first_moment, self.second_moment = np.zeros_like(params), np.zeros_like(params)
        self.scratch = np.zeros_like(params)
        self.learning_rate, self.betas = config.learning_rate, config.betas
        self.beta1, self.beta2 = np.float32(config.betas[0]), np.float32(config.betas[1])
        # sqrt(v) + eps = sqrt(1 - b2) (sqrt(v') + eps'), and m = (1 - b1) m'
        self.scaled_epsilon = np.float32(config.epsilon / np.sqrt(1 - config.betas[1]))
        self.moment_scale = (1 - config.betas[0]) / np.sqrt(1 - config.betas[1])
        self.steps = 0

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """One update of ``params`` by ``grads`` (which it overwrites)."""
        self.steps += 1
        betas, scratch = self.betas, self.scratch
        rate = np.float32(self.learning_rate * self.moment_scale * np.sqrt(1 - betas[1] ** self.steps)
                          / (1 - betas[0] ** self.steps))
        self.first_moment *= self.beta1
        self.first_moment += grads
        grads *= grads
        self.second_moment *= self.beta2
        self.second_moment += grads
        np.sqrt(self.second_moment, out=scratch)
        scratch += self.scaled_epsilon
        np.divide(self.first_moment, scratch, out=scratch)
        scratch *= rate
        params -= scratch


def train_mlp_ensemble(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                       config: EnsembleConfig = EnsembleConfig()) -> MLPEnsemble:
    """Train the networks of ``config`` on the mean absolute error with Adam, as Keras does it:
    Glorot-uniform weights, zero biases, the rows reshuffled every epoch (each member its own order),
    a smaller last batch.

    The members are one stack of matrices (a batched product per layer serves all of them), each
    matrix (out, in + 1) carrying its bias as an extra column and applied to feature-major
    activations; every parameter and gradient is a view into one flat buffer, so a step is a few
    dozen numpy calls on contiguous blocks whatever the number of members."""
    x = np.hstack([np.asarray(x, dtype=np.float32), np.ones((len(x), 1), dtype=np.float32)])  # float32 as Keras
    y = np.asarray(y, dtype=np.float32)
    n_inputs, batch_size = x.shape[1] - 1, config.batch_size
    stack = _Stack(n_inputs, config, rng)
    layers = {size: _Layers(config.n_networks, size, n_inputs, config.n_layers, config.width)
              for size in {min(batch_size, len(y)), len(y) % batch_size} if size}
    adam = _Adam(stack.params, config)
    for _ in range(config.epochs):
        order = np.argsort(rng.random((config.n_networks, len(y))), axis=1)
        for begin in range(0, len(y), batch_size):
            rows = order[:, begin:begin + batch_size]
            stack.gradients(x, y, rows, layers[rows.shape[1]])
            adam.step(stack.params, stack.grads)
    return MLPEnsemble([w.transpose(0, 2, 1).copy() for w in stack.weights])
