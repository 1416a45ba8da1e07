"""Optuna samplers and pruners as strategies on the simulated clock [optuna:SAMPLER, optuna:SAMPLER+PRUNER].

Reference: Akiba et al., "Optuna: A Next-generation Hyperparameter Optimization Framework" (KDD 2019);
the bridge drives Optuna's own ask-and-tell interface (``optuna/study/study.py`` ``ask``/``tell``).
``optuna:TPESampler`` is Optuna's ``TPESampler`` with the options given (``--option multivariate=true``),
seeded from the strategy's generator, so the same seed gives the same trace.

* Space: each gene is a ``CategoricalDistribution`` named as the space names it, over its labels
  (``Space.gene_choices``). A sampled cell the space does not hold (NAS-Bench-Graph's all-skip cell,
  a NAS-Bench-101 graph cut off from its input) is told to Optuna as a failed trial and sampled again,
  as an Optuna objective raising on it would be; after 1,000 failures in a row the run stops with an error.
* Objectives: the score (validation metric, higher is better), or, when the run declares objectives
  (``SearchContext.objectives``), those values, all maximised (the loop has already oriented them);
  so ``optuna:NSGAIISampler`` searches a Pareto front.
* Workers: each free worker opens a trial; several trials are open at once, as with Optuna's
  parallel workers sharing one study.
* Pruners (``optuna:TPESampler+SuccessiveHalvingPruner``, ``+HyperbandPruner``, ``+MedianPruner``, ...)
  need a table with learning curves: a trial trains epoch by epoch (one job per table fidelity, each
  resuming from the last, so it pays only the epochs trained), reports each epoch's score as an
  intermediate value and stops when the pruner says so. Pruner options are given with a ``pruner_``
  prefix (``--option pruner_reduction_factor=3``).

Optuna is imported only when a bridge strategy is made (``pip install "nasbench[optuna]"``).

Example:
    >>> from nasbench.simulate import run
    >>> trace = run("optuna:RandomSampler", "nbgraph-cora", seed=0, max_evals=5)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import inspect
import warnings
from functools import cache
from typing import Any, ClassVar

from nasbench.errors import NasbenchError, install_hint, shorten
from nasbench.protocol import register_prefix
from nasbench.strategies.base import Arch, Job, Result, Strategy

PRUNER_PREFIX = "pruner_"
MAX_FAILED_SAMPLES = 1000
#: samplers that take several objectives
MULTI_OBJECTIVE = frozenset(("RandomSampler", "TPESampler", "NSGAIISampler", "NSGAIIISampler", "GPSampler",
                             "QMCSampler", "BruteForceSampler"))
_PLAIN = (bool, int, float, str, type(None))


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise NasbenchError(f"Optuna strategies need Optuna: {install_hint('optuna')} (optuna==5.0.0)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _plain_options(cls: type, prefix: str = "") -> list[inspect.Parameter]:
    """The constructor options of an Optuna class a command line can give (plain defaults; no seed)."""
    return [inspect.Parameter(prefix + p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
            for p in inspect.signature(cls).parameters.values()
            if p.name != "seed" and p.kind is not inspect.Parameter.VAR_KEYWORD and isinstance(p.default, _PLAIN)]


def _checked(parameter: inspect.Parameter, value: Any) -> Any:
    """``value`` if it has the type of Optuna's default (any plain value where the default is None)."""
    default = parameter.default
    kinds = (bool,) if isinstance(default, bool) else (int,) if isinstance(default, int) else \
        (int, float) if isinstance(default, float) else (str,) if isinstance(default, str) else _PLAIN
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise NasbenchError(f"option {parameter.name} must be of the type of Optuna's default {default!r}, "
                            f"not {shorten(value)}")
    return value


def _lookup(module: Any, name: str, kind: str) -> type:
    known = sorted(n for n in dir(module) if n.endswith(kind) and not n.startswith("Base"))
    if name not in known:
        raise NasbenchError(f"Optuna has no {kind.lower()} {shorten(name)}; its {kind.lower()}s: {', '.join(known)}")
    return getattr(module, name)


@cache
def resolve(rest: str) -> type:
    """The strategy class of ``optuna:SAMPLER`` or ``optuna:SAMPLER+PRUNER`` (``rest`` is after the colon)."""
    optuna = _optuna()
    sampler_name, _, pruner_name = rest.partition("+")
    sampler = _lookup(optuna.samplers, sampler_name, "Sampler")
    pruner = _lookup(optuna.pruners, pruner_name, "Pruner") if pruner_name else None
    parameters = _plain_options(sampler) + (_plain_options(pruner, PRUNER_PREFIX) if pruner else [])
    attributes = {"name": f"optuna:{rest}", "sampler_name": sampler_name, "pruner_name": pruner_name,
                  "multi_fidelity": pruner is not None,
                  # Optuna's pruners read intermediate values, which it supports for one objective only
                  "multi_objective": sampler_name in MULTI_OBJECTIVE and pruner is None,
                  "summary": f"Optuna's {sampler_name}" + (f" with its {pruner_name}" if pruner else ""),
                  "__signature__": inspect.Signature(parameters)}
    return type(f"Optuna{sampler_name}{pruner_name}", (OptunaStrategy,), attributes)


class OptunaStrategy(Strategy):
    """An Optuna study driven through ask and tell; subclasses made by :func:`resolve` name the sampler."""

    sampler_name: ClassVar[str] = ""
    pruner_name: ClassVar[str] = ""

    def __init__(self, **options: Any) -> None:
        for parameter in inspect.signature(type(self)).parameters.values():
            setattr(self, parameter.name, _checked(parameter, options.get(parameter.name, parameter.default)))

    def start(self) -> None:
        optuna = _optuna()
        options = self.config()
        sampler_options = {k: v for k, v in options.items() if not k.startswith(PRUNER_PREFIX)}
        pruner_options = {k[len(PRUNER_PREFIX):]: v for k, v in options.items() if k.startswith(PRUNER_PREFIX)}
        if self.pruner_name and len(self.context.objectives) > 1:
            raise NasbenchError(f"strategy {self.name!r} prunes on intermediate values, which Optuna supports "
                                f"for a single objective only; drop the pruner or the objectives")
        directions = ["maximize"] * max(1, len(self.context.objectives))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                sampler = getattr(optuna.samplers, self.sampler_name)(seed=int(self.rng.integers(2**31)),
                                                                     **sampler_options)
                pruner = getattr(optuna.pruners, self.pruner_name)(**pruner_options) if self.pruner_name else None
            except (TypeError, ValueError) as exc:
                raise NasbenchError(f"strategy {self.name!r} cannot be built from these options: {exc}") from None
            self._study = optuna.create_study(sampler=sampler, pruner=pruner, directions=directions)
        self._trial_state = optuna.trial.TrialState
        self._choices = self.space.gene_choices()
        self._distributions = {name: optuna.distributions.CategoricalDistribution(labels)
                               for name, labels in self._choices}
        self._trials: dict[int, Any] = {}  # open trials by number
        self._archs: dict[int, Arch] = {}
        self._ready: list[int] = []  # trials whose last epoch finished and that go on (with a pruner)
        self._next_fidelity: dict[int, float] = {}
        fidelities = self.context.fidelities
        self._steps = {f: (int(f) if float(f).is_integer() else k + 1) for k, f in enumerate(fidelities)}

    def _new_trial(self) -> tuple[Any, Arch]:
        for _ in range(MAX_FAILED_SAMPLES):
            trial = self._study.ask(self._distributions)
            arch = tuple(labels.index(trial.params[name]) for name, labels in self._choices)
            if self.space.is_valid(arch):
                return trial, arch
            self._study.tell(trial, state=self._trial_state.FAIL)
        raise NasbenchError(f"{self.name} sampled {MAX_FAILED_SAMPLES} cells in a row outside the {self.space.name} "
                            "space")

    def ask(self) -> Job:
        fidelities = self.context.fidelities
        if self._ready:  # a trial goes on to its next epoch, resuming from the last
            number = self._ready.pop(0)
            trial_fidelity = self._next_fidelity[number]
            position = fidelities.index(trial_fidelity)
            return Job(self._archs[number], trial_fidelity, fidelities[position - 1], tag=number, trial=number)
        trial, arch = self._new_trial()
        self._trials[trial.number], self._archs[trial.number] = trial, arch
        if not self.pruner_name:
            return Job(arch, tag=trial.number)
        return Job(arch, fidelities[0], tag=trial.number, trial=trial.number)

    def tell(self, job: Job, result: Result) -> None:
        number = job.tag
        trial = self._trials[number]
        values = list(result.objectives) if self.context.objectives else [result.score]
        fidelities = self.context.fidelities
        if self.pruner_name and job.fidelity is not None:
            trial.report(result.score, self._steps[job.fidelity])
            last = job.fidelity == fidelities[-1]
            if not last and trial.should_prune():
                self._close(number, state=self._trial_state.PRUNED)
            elif not last:
                self._next_fidelity[number] = fidelities[fidelities.index(job.fidelity) + 1]
                self._ready.append(number)
            else:
                self._close(number, values=values)
            return
        self._close(number, values=values)

    def _close(self, number: int, **outcome: Any) -> None:
        self._study.tell(self._trials.pop(number), **outcome)
        del self._archs[number]

    def describe_last(self) -> dict:
        """The last decision, for a replay: the trial asked for, the open trials and what became of the others."""
        states = [trial.state.name.lower() for trial in self._study.get_trials(deepcopy=False)]
        counts = {state: states.count(state) for state in sorted(set(states)) if state != "running"}
        return {"sampler": self.sampler_name + (f" + {self.pruner_name}" if self.pruner_name else ""),
                "trial": len(states) - 1, "trials so far": counts,
                "marks": {"open trials": [self.space.index(arch) for arch in self._archs.values()]}}


# the contract suite runs these names wherever Optuna is installed
_EXAMPLES = ("optuna:TPESampler", "optuna:RandomSampler", "optuna:TPESampler+SuccessiveHalvingPruner")
register_prefix("optuna", resolve, examples=_EXAMPLES if importlib.util.find_spec("optuna") else ())
