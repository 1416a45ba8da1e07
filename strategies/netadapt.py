"""NetAdapt [netadapt]: shrink the largest network step by step under a resource budget.

Reference: Yang et al., "NetAdapt: Platform-Aware Neural Network Adaptation for Mobile
Applications", ECCV 2018 (Algorithm 1; reference code: denru01/netadapt). The variant, step by step:

* start from the largest configuration: on ``mlp`` the most layers at the widest width (the other
  genes drawn once from the run's generator, as a given pretrained network's); on NAS-Bench-201 every
  edge a 3x3 convolution; on any other space the most resource-hungry of ``n_probe`` uniform samples;
* each iteration proposes one shrink per layer (NetAdapt: one proposal per layer): on ``mlp`` one
  layer fewer and one width narrower; on NAS-Bench-201 one edge's operation replaced by the next
  cheaper one (3x3 conv > 1x1 conv > 3x3 average pool > skip > none); elsewhere every single-gene
  change;
* the proposals are trained to the short fidelity (the smallest tabulated one at least
  ``short_fraction`` of the final: NetAdapt's short-term fine-tuning) and those that cut the resource
  by ``step`` x the start's resource are kept (if none does, any that cut it at all); the best by
  validation score becomes the network, and is trained on to the final fidelity (resumed: long-term
  fine-tuning), so that every kept network is scored in full;
* the run stops when the network's resource is at most ``target`` x the start's, or nothing shrinks it.

The resource is the run's declared objective named ``resource`` (default: the first declared
objective other than the search metric, a lower-is-better one such as ``params`` or ``latency``);
without objectives it is the simulated cost of the short-fidelity training. Multi-fidelity (it needs
a short fidelity); proposals of one iteration run in parallel on several workers.

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("netadapt", "mlp-mnist1d", seed=0, max_evals=40, objectives=("valid_accuracy", "params"))
    >>> frame = trace.to_frame()
    >>> frame["arch"].iloc[0].startswith("layers=4,width=256")
    True
"""

from __future__ import annotations

from nasbench.errors import NasbenchError
from nasbench.spaces.mlp import MlpSpace
from nasbench.spaces.nb201 import OPS, Nb201Space
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_float, check_int, register

#: NAS-Bench-201 operations from the most to the least expensive
NB201_COST_ORDER = tuple(OPS.index(op) for op in ("nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "skip_connect",
                                                  "none"))


@register("netadapt")
class NetAdapt(Strategy):
    summary = "NetAdapt (Yang 2018): shrink the largest network per layer under a resource budget"
    multi_fidelity = True
    multi_objective = True

    def __init__(self, *, resource: str | None = None, step: float = 0.1, target: float = 0.2,
                 short_fraction: float = 0.1, n_probe: int = 10) -> None:
        self.resource = resource
        self.step = check_float("step", step, 0.0, 1.0, open_low=True, open_high=True)
        self.target = check_float("target", target, 0.0, 1.0, open_low=True, open_high=True)
        self.short_fraction = check_float("short_fraction", short_fraction, 0.0, 1.0, open_low=True)
        self.n_probe = check_int("n_probe", n_probe, 1)

    def start(self) -> None:
        context = self.context
        final = context.fidelities[-1]
        self._short = next(f for f in context.fidelities if f >= self.short_fraction * final)
        self._final = final
        self._resource_index = self._resource_position()
        self._probes = 0
        self._pending: list[Job] = self._first_jobs()
        self._waiting = len(self._pending)
        self._told: list[tuple[Arch, float, float, int]] = []  # (arch, score, resource, trial) of this iteration
        self._current: Arch | None = None
        self._resource = self._budget_step = self._goal = 0.0
        self._done = False

    def _resource_position(self) -> int | None:
        objectives = self.context.objectives
        if self.resource is None:
            others = [i for i, name in enumerate(objectives) if name != self.context.search_metric]
            return others[0] if others else None
        if self.resource not in objectives:
            raise NasbenchError(f"netadapt's resource {self.resource!r} is not a declared objective "
                                f"({', '.join(objectives) or 'none declared'})")
        position = objectives.index(self.resource)
        if self.context.objective_higher_is_better[position]:
            raise NasbenchError(f"netadapt's resource {self.resource!r} is higher-is-better; a resource is a cost")
        return position

    def _first_jobs(self) -> list[Job]:
        arch = self.space.sample(self.rng)
        if isinstance(self.space, MlpSpace):
            sizes = self.space.n_choices
            return [self._probe((sizes[0] - 1, sizes[1] - 1, *arch[2:]))]
        if isinstance(self.space, Nb201Space):
            return [self._probe((NB201_COST_ORDER[0],) * len(arch))]
        return [self._probe(sample) for sample in self.space.sample_batch(self.rng, self.n_probe)]

    def _probe(self, arch: Arch) -> Job:
        """A short-term evaluation of ``arch``: a new trial, which the long fine-tuning may resume."""
        self._probes += 1
        return Job(arch, self._short, trial=self._probes)

    def shrinks(self, arch: Arch) -> list[Arch]:
        """One smaller network per layer (see the module docstring), valid ones only."""
        if isinstance(self.space, MlpSpace):
            drafts = [(arch[0] - 1, *arch[1:]), (arch[0], arch[1] - 1, *arch[2:])]
            drafts = [d for d in drafts if min(d[:2]) >= 0]
        elif isinstance(self.space, Nb201Space):
            drafts = []
            for edge, op in enumerate(arch):
                place = NB201_COST_ORDER.index(op)
                if place + 1 < len(NB201_COST_ORDER):
                    drafts.append(arch[:edge] + (NB201_COST_ORDER[place + 1],) + arch[edge + 1:])
        else:
            return self.space.neighbours(arch)
        return [d for d in drafts if self.space.is_valid(d)]

    # --- ask/tell ------------------------------------------------------------------------------
    def ask(self) -> Job | None:
        if self._pending:
            return self._pending.pop(0)
        return None  # the iteration is still being evaluated, or the run is over

    def tell(self, job: Job, result: Result) -> None:
        if job.fidelity != self._short:
            return  # the long-term fine-tuning of a kept network: its score is the record, nothing to decide
        position = self._resource_index
        resource = result.cost if position is None else -result.objectives[position]
        self._told.append((job.arch, result.score, resource, job.trial or 0))
        self._waiting -= 1
        if self._waiting == 0 and not self._done:
            self._choose()

    def _choose(self) -> None:
        told, self._told = self._told, []
        if self._current is None:  # the start: the largest of the probes
            arch, _, resource, trial = max(told, key=lambda t: t[2])
            self._budget_step, self._goal = self.step * resource, self.target * resource
        else:
            cut = [t for t in told if t[2] <= self._resource - self._budget_step] or \
                  [t for t in told if t[2] < self._resource]
            if not cut:
                self._done = True
                return
            arch, _, resource, trial = max(cut, key=lambda t: t[1])
        self._current, self._resource = arch, resource
        self._pending.append(Job(arch, self._final, resume_from=self._short, trial=trial))
        if self._resource <= self._goal:
            self._done = True
            return
        proposals = self.shrinks(arch)
        if not proposals:
            self._done = True
            return
        self._pending.extend(self._probe(p) for p in proposals)
        self._waiting = len(proposals)
