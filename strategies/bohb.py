"""BOHB [bohb]: Hyperband whose new configurations come from a TPE-style kernel density model.

Reference: Falkner, Klein & Hutter, "BOHB: Robust and Efficient Hyperparameter Optimization at Scale"
(ICML 2018); the variant is HpBandSter's ``BOHB`` config generator (automl/HpBandSter,
``hpbandster/optimizers/config_generators/bohb.py``), re-written here in numpy:

* every result is stored under its budget (loss = -score), unless a model already exists for a
  larger budget; after each result at budget ``b`` with at least ``min_points`` (default ``d + 1``,
  ``d`` = number of genes) results, the good set is the best ``max(min_points, top_n_percent * N // 100)``
  and the bad set the next ``max(min_points, (100 - top_n_percent) * N // 100)``; both must hold more
  than ``d`` points, then two KDEs are fitted and replace the model at ``b``;
* a KDE treats every gene as unordered categorical (HpBandSter's ``'u'`` var type, statsmodels'
  ``KDEMultivariate`` with ``normal_reference`` bandwidths): bandwidth ``1.06 std n**(-1/(4+d))`` per
  gene (population std of the gene codes, as statsmodels), clipped below at ``min_bandwidth``; kernel
  Aitchison-Aitken, ``1 - h`` on a match and ``h / (c - 1)`` otherwise, where ``c`` counts the distinct
  values *present in the KDE's data* (statsmodels does not pass the true level count). As there,
  nothing bounds ``h`` above, so a wide good set can yield ``h > 1``;
* a new configuration is uniform if no model exists or with probability ``random_fraction``; else
  ``num_samples`` candidates are drawn around random good points (a gene keeps the point's value with
  probability ``1 - h``, else takes a uniform value; ``bandwidth_factor`` widens only continuous
  parameters in HpBandSter, and we have none, so it is accepted and recorded but changes nothing) from
  the model of the largest budget, and the one minimising ``max(1e-32, g(x)) / max(l(x), 1e-32)`` wins
  (a candidate with a non-finite ratio but finite ``l(x)`` is taken at once, as HpBandSter does).
  On spaces with validity constraints, invalid candidates are skipped; if none is left, sample uniformly.

Defaults are HpBandSter's: ``eta 3, top_n_percent 15, num_samples 64, random_fraction 1/3,
bandwidth_factor 3, min_bandwidth 1e-3``. ``preset="nb201"`` gives the NAS-Bench-201 / NATS-Bench
scripts' settings (D-X-Y/AutoDL-Projects ``exps/NATS-algos/bohb.py``: ``--num_samples 4
--random_fraction 0.0 --bandwidth_factor 3`` and its ``--min_bandwidth`` default ``0.3``); their budgets
1..12 epochs are the table's own epoch range here. Explicit options override the preset. The Hyperband
schedule, rung snapping, synchrony and ``resume`` are those of ``hyperband`` (``strategies/_brackets.py``).

Example:
    >>> Bohb(preset="nb201").num_samples
    4
"""

from __future__ import annotations

import numpy as np

from nasbench.strategies._brackets import Bracket, SynchronousHalving, hyperband_brackets
from nasbench.strategies.base import Arch, Job, Result, check_choice, check_float, check_int, register

PRESETS = {
    "hpbandster": {"top_n_percent": 15, "num_samples": 64, "random_fraction": 1 / 3, "bandwidth_factor": 3.0,
                   "min_bandwidth": 1e-3},
    "nb201": {"top_n_percent": 15, "num_samples": 4, "random_fraction": 0.0, "bandwidth_factor": 3.0,
              "min_bandwidth": 0.3},
}


class CategoricalKde:
    """statsmodels ``KDEMultivariate(data, var_type='u' * d, bw='normal_reference')``, bandwidth clipped."""

    def __init__(self, data: np.ndarray, min_bandwidth: float) -> None:
        self.data = np.asarray(data, dtype=np.int64)
        n, d = self.data.shape
        self.bandwidth = np.maximum(1.06 * self.data.std(axis=0) * n ** (-1.0 / (4 + d)), min_bandwidth)
        self.levels = np.array([np.unique(column).size for column in self.data.T])

    def pdf(self, points: np.ndarray) -> np.ndarray:
        """Density at each row of ``points`` (shape ``(m, d)``)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            other = self.bandwidth / (self.levels - 1)  # inf where the data hold one level only
            match = points[:, None, :] == self.data[None, :, :]
            kernel = np.where(match, 1.0 - self.bandwidth, other)
            return kernel.prod(axis=2).mean(axis=1)


@register("bohb")
class Bohb(SynchronousHalving):
    summary = "BOHB: Hyperband with KDE-sampled configurations (HpBandSter defaults; preset nb201)"

    def __init__(self, *, preset: str = "hpbandster", eta: float = 3, min_fidelity: float | None = None,
                 max_fidelity: float | None = None, resume: bool = False, top_n_percent: int | None = None,
                 num_samples: int | None = None, random_fraction: float | None = None,
                 bandwidth_factor: float | None = None, min_bandwidth: float | None = None,
                 min_points_in_model: int | None = None) -> None:
        super().__init__(eta=eta, min_fidelity=min_fidelity, max_fidelity=max_fidelity, resume=resume)
        self.preset = check_choice("preset", preset, tuple(PRESETS))
        given = {"top_n_percent": top_n_percent, "num_samples": num_samples, "random_fraction": random_fraction,
                 "bandwidth_factor": bandwidth_factor, "min_bandwidth": min_bandwidth}
        settings = {**PRESETS[preset], **{key: value for key, value in given.items() if value is not None}}
        self.top_n_percent = check_int("top_n_percent", settings["top_n_percent"], 1, 99)
        self.num_samples = check_int("num_samples", settings["num_samples"], 1)
        self.random_fraction = check_float("random_fraction", settings["random_fraction"], 0.0, 1.0)
        self.bandwidth_factor = check_float("bandwidth_factor", settings["bandwidth_factor"], 0.0, 1e6, open_low=True)
        self.min_bandwidth = check_float("min_bandwidth", settings["min_bandwidth"], 0.0, 1.0, open_low=True)
        if min_points_in_model is not None:
            check_int("min_points_in_model", min_points_in_model, 1)
        self.min_points_in_model = min_points_in_model

    def brackets(self, s_max: int) -> list[Bracket]:
        return hyperband_brackets(s_max, self.eta)

    def start(self) -> None:
        dimensions = len(self.space.n_choices)
        # HpBandSter raises a smaller value to d + 1 (with a warning)
        self._min_points = max(self.min_points_in_model or 0, dimensions + 1)
        self._configs: dict[float, list[Arch]] = {}
        self._losses: dict[float, list[float]] = {}
        self._models: dict[float, tuple[CategoricalKde, CategoricalKde]] = {}
        self._model_based_picks = 0
        super().start()

    def observe(self, job: Job, result: Result) -> None:
        assert job.fidelity is not None  # every job names its rung
        budget = float(job.fidelity)
        configs = self._configs.setdefault(budget, [])
        losses = self._losses.setdefault(budget, [])
        if self._models and max(self._models) > budget:
            return  # HpBandSter records nothing below the budget of its largest model
        configs.append(job.arch)
        losses.append(-result.score if np.isfinite(result.score) else np.inf)
        n = len(configs)
        if n < self._min_points:
            return
        n_good = max(self._min_points, self.top_n_percent * n // 100)
        n_bad = max(self._min_points, (100 - self.top_n_percent) * n // 100)
        order = np.argsort(np.asarray(losses), kind="stable")
        data = np.asarray(configs, dtype=np.int64)
        good, bad = data[order[:n_good]], data[order[n_good:n_good + n_bad]]
        dimensions = data.shape[1]
        if len(good) <= dimensions or len(bad) <= dimensions:
            return
        self._models[budget] = (CategoricalKde(good, self.min_bandwidth), CategoricalKde(bad, self.min_bandwidth))

    @property
    def model_based_picks(self) -> int:
        """How many new configurations came from the model so far in this run."""
        return self._model_based_picks

    def model_budget(self) -> float | None:
        """The budget whose model new configurations come from (the largest with a model), if any."""
        return max(self._models) if self._models else None

    def propose(self, fidelity: float) -> Arch:
        if not self._models or self.rng.random() < self.random_fraction:
            return self.space.sample(self.rng)
        good, bad = self._models[max(self._models)]
        n_choices = np.asarray(self.space.n_choices)
        chosen = good.data[self.rng.integers(len(good.data), size=self.num_samples)]
        keep = self.rng.random(chosen.shape) < 1.0 - good.bandwidth
        uniform = self.rng.integers(0, n_choices, size=chosen.shape)
        candidates = np.where(keep, chosen, uniform)
        good_density, bad_density = good.pdf(candidates), bad.pdf(candidates)
        best, best_arch = np.inf, None
        for candidate, l_value, g_value in zip(candidates.tolist(), good_density.tolist(), bad_density.tolist()):
            arch = tuple(candidate)
            if not self.space.is_valid(arch):
                continue
            ratio = max(1e-32, g_value) / max(l_value, 1e-32)  # Python max: the reference's NaN handling
            if not np.isfinite(ratio) and np.isfinite(l_value):
                best_arch = arch
                break
            if ratio < best:
                best, best_arch = ratio, arch
        if best_arch is None:
            return self.space.sample(self.rng)
        self._model_based_picks += 1
        return best_arch
