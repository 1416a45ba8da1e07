"""Rungs, Hyperband brackets and the synchronous successive-halving engine.

Shared by ``sh``, ``hyperband`` and ``bohb`` (and the rung ladder by ``asha``).

**Rungs.** With maximum fidelity ``R`` and minimum ``r_min`` (by default the table's last and first
fidelity), ``s_max = floor(log_eta(R / r_min))`` and the ideal rungs are ``R * eta**-s`` for
``s = s_max..0``. Each is snapped *down* to the largest fidelity the table holds (the NAS-Bench-201
scripts do the same: HpBandSter hands them budgets 12/9, 12/3, 12 and they train ``int(budget)``
epochs, i.e. 1, 4, 12); rungs that collide after snapping are merged, which shortens the ladder.

**Brackets** (Li et al. 2018, Algorithm 1): bracket ``s`` starts ``n = ceil((s_max + 1) eta**s / (s + 1))``
configurations at rung ``s_max - s`` and keeps ``floor(n eta**-i)`` of them at its ``i``-th stage.
(HpBandSter computes ``n = floor((s_max + 1) / (s + 1)) * eta**s`` instead; with ``R = 27`` its middle
bracket starts 9, not 12, configurations. We follow the paper.)

**Cost.** HpBandSter retrains a promoted configuration from scratch: it pays ``t(r)``. With
``resume=True`` a promotion resumes from the previous rung and pays ``t(r_next) - t(r)``
(``Job.resume_from``; see ``nasbench/simulate.py``).

Example:
    >>> rung_fidelities(tuple(float(e) for e in range(1, 13)), eta=3)
    (1.0, 4.0, 12.0)
    >>> [b.sizes for b in hyperband_brackets(3, eta=3)]
    [(27, 9, 3, 1), (12, 4, 1), (6, 2), (4,)]
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from nasbench.errors import NasbenchError
from nasbench.strategies.base import Arch, Job, Result, Strategy, check_float


@dataclass(frozen=True)
class Bracket:
    """One successive-halving bracket: stage ``i`` evaluates ``sizes[i]`` configurations at rung ``rungs[i]``."""

    s: int
    sizes: tuple[int, ...]
    rungs: tuple[int, ...]


def rung_fidelities(fidelities: Sequence[float], eta: float, min_fidelity: float | None = None,
                    max_fidelity: float | None = None) -> tuple[float, ...]:
    """The rung ladder ``r_min .. R`` (geometric with ratio ``eta``) snapped down to ``fidelities``."""
    available = sorted(float(f) for f in fidelities)
    top = available[-1] if max_fidelity is None else float(max_fidelity)
    bottom = available[0] if min_fidelity is None else float(min_fidelity)
    for label, value in (("min_fidelity", bottom), ("max_fidelity", top)):
        if value not in available:
            known = ", ".join(f"{f:g}" for f in available)
            raise NasbenchError(f"option {label} must be one of the table's fidelities ({known}), not {value!r}")
    if not bottom < top:
        raise NasbenchError(f"min_fidelity ({bottom:g}) must be below max_fidelity ({top:g})")
    s_max = int(math.floor(math.log(top / bottom) / math.log(eta) + 1e-9))
    rungs: list[float] = []
    for s in range(s_max, -1, -1):
        ideal = top * eta ** -s
        snapped = max((f for f in available if bottom <= f <= ideal * (1 + 1e-9)), default=bottom)
        if not rungs or snapped > rungs[-1]:
            rungs.append(snapped)
    return tuple(rungs)


def hyperband_brackets(s_max: int, eta: float) -> list[Bracket]:
    """Brackets ``s = s_max..0`` of Hyperband (Li et al. 2018), budget ``B = (s_max + 1) R`` each."""
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta ** s / (s + 1) - 1e-9)
        sizes = tuple(int(math.floor(n * eta ** -i + 1e-9)) for i in range(s + 1))
        brackets.append(Bracket(s, sizes, tuple(range(s_max - s, s_max + 1))))
    return brackets


def check_rung_options(eta: float, min_fidelity: float | None, max_fidelity: float | None) -> tuple:
    """Validate the options every rung-based strategy shares."""
    eta = check_float("eta", eta, 1.0, 1e6, open_low=True)
    for label, value in (("min_fidelity", min_fidelity), ("max_fidelity", max_fidelity)):
        if value is not None:
            check_float(label, value, 0.0, math.inf, open_low=True, open_high=True)
    return eta, min_fidelity, max_fidelity


class SynchronousHalving(Strategy):
    """Successive halving run bracket after bracket, each rung waiting for all its results.

    Subclasses give the bracket cycle (:meth:`brackets`) and the sampler of new configurations
    (:meth:`propose`, called lazily when a bottom-rung job is asked, so it sees every result told so
    far); :meth:`observe` sees every result. ``ask`` returns ``None`` while a rung waits.
    """

    multi_fidelity = True

    def __init__(self, *, eta: float = 3, min_fidelity: float | None = None, max_fidelity: float | None = None,
                 resume: bool = False) -> None:
        self.eta, self.min_fidelity, self.max_fidelity = check_rung_options(eta, min_fidelity, max_fidelity)
        if not isinstance(resume, bool):
            raise NasbenchError(f"option resume must be True or False, not {resume!r}")
        self.resume = resume

    @abstractmethod
    def brackets(self, s_max: int) -> list[Bracket]:
        """The brackets to cycle through, given the top bracket index of the rung ladder."""

    def propose(self, fidelity: float) -> Arch:
        """A new configuration for a bracket whose bottom rung is ``fidelity`` (default: uniform)."""
        return self.space.sample(self.rng)

    def observe(self, job: Job, result: Result) -> None:
        """Hook: every finished result, before the rung bookkeeping."""

    def start(self) -> None:
        self._rungs = rung_fidelities(self.context.fidelities, self.eta, self.min_fidelity, self.max_fidelity)
        self._cycle = self.brackets(len(self._rungs) - 1)
        self._bracket_number = -1
        self._open_bracket()

    def _open_bracket(self) -> None:
        self._bracket_number += 1
        self._bracket = self._cycle[self._bracket_number % len(self._cycle)]
        self._stage = 0
        self._members: list[Arch] = []
        self._first_trial = self._bracket_number * (1 << 32)  # trial numbers unique over the brackets
        self._asked = 0
        self._scores: dict[int, float] = {}

    def ask(self) -> Job | None:
        bracket, stage = self._bracket, self._stage
        if self._asked == bracket.sizes[stage]:
            return None  # synchronous: the rung's remaining results are still running
        position = self._asked
        self._asked += 1
        fidelity = self._rungs[bracket.rungs[stage]]
        if stage == 0:
            self._members.append(self.propose(fidelity))
        resume_from = self._rungs[bracket.rungs[stage - 1]] if self.resume and stage > 0 else None
        return Job(self._members[position], fidelity, resume_from, tag=position, trial=self._first_trial + position)

    def tell(self, job: Job, result: Result) -> None:
        self.observe(job, result)
        self._scores[job.tag] = result.score
        bracket = self._bracket
        if len(self._scores) < bracket.sizes[self._stage]:
            return
        if self._stage + 1 == len(bracket.sizes):
            self._open_bracket()
            return
        # keep the best floor(n eta^-(i+1)); ties go to the earlier configuration
        order = sorted(self._scores, key=lambda position: (-self._scores[position], position))
        self._members = [self._members[p] for p in order[:bracket.sizes[self._stage + 1]]]
        self._stage += 1
        self._asked = 0
        self._scores = {}

    def describe_last(self) -> dict:
        """The last decision, for a replay: the bracket, its rungs and the configurations of this rung."""
        bracket, stage = self._bracket, self._stage
        rungs = [self._rungs[r] for r in bracket.rungs]
        label = "sampled" if stage == 0 else f"promoted to rung {stage}"
        return {"bracket": f"s={bracket.s} (bracket {self._bracket_number + 1} of the run)",
                "configurations per rung": list(bracket.sizes), "rung fidelities": rungs,
                "rung": f"{stage} of {len(rungs) - 1} (fidelity {rungs[stage]:g}), job {self._asked} of "
                        f"{bracket.sizes[stage]}",
                "marks": {label: [self.space.index(arch) for arch in self._members]}}


__all__ = ["Bracket", "SynchronousHalving", "check_rung_options", "hyperband_brackets", "rung_fidelities"]
