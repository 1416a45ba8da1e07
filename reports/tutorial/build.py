"""Build tutorial.ipynb from the cells below, execute it top to bottom, write it with its outputs and render tutorial.html.

    python reports/tutorial/build.py        (from the checkout, with PYTHONPATH at the checkout)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS = [
    ("md", """# nasbench in 20 minutes: from a table to your own search strategy

nasbench answers "how good is this architecture, and how long would it take to train?" from a table, in
microseconds, and runs search strategies on a **simulated clock**. This notebook goes from loading a table to a
strategy of your own, compared with random search and regularized evolution, a multi-fidelity search and a
step-through replay. Each exercise ends with a self-check cell that prints `correct` or tells you what is off."""),
    ("md", "## 1. A table and its space"),
    ("code", """import numpy as np
import nasbench

b = nasbench.load("nbgraph-cora")
print(b)
print(b.space.string_form)
arch = "0,1,1,2|gcn,gin,fc,cheb"
print("validation accuracy", b.query(arch, "valid_accuracy"), "test accuracy", b.query(arch, "test_accuracy"))"""),
    ("md", """Every architecture is a tuple of genes; `b.space` samples, mutates and encodes them. Strategies only ever see
validation metrics; the test metric is for reporting."""),
    ("code", """rng = np.random.default_rng(0)
cell = b.space.sample(rng)
print(cell, b.space.encode(cell), "->", b.space.encode(b.space.mutate(cell, rng)))
row, best = b.optimum("valid_accuracy")
print("best validation accuracy", round(best, 4), "at row", row, b.archs[row])"""),
    ("md", """**Exercise 1.** How many architectures of this table reach at least 0.80 validation accuracy? Use
`b.final("valid_accuracy")` (the seed-mean at the final fidelity of every row)."""),
    ("code", """n_good = int(np.sum(b.final("valid_accuracy") >= 0.80))   # your answer here
n_good"""),
    ("code", """def check_exercise_1(answer):
    truth = sum(b.query(r, "valid_accuracy") >= 0.80 for r in range(b.n_archs))
    print("correct" if answer == truth else f"not quite: count the rows whose value is >= 0.80 ({answer} given)")
check_exercise_1(n_good)"""),
    ("md", "## 2. Running strategies on the simulated clock"),
    ("code", """from nasbench.simulate import run

trace = run("rea", b, seed=0, max_evals=100)
frame = trace.to_frame()
frame[["end", "arch", "valid", "incumbent_valid", "regret"]].tail()"""),
    ("md", """`regret` is the test regret of the incumbent (the architecture with the best *validation* score so far).
The same seed gives the same trace, always."""),
    ("md", """## 3. Your own strategy, in 20 lines

A strategy is `ask() -> Job` and `tell(job, result)`; options go in the constructor, run state in `start()`.
This one is a first-improvement hill climber that restarts after `patience` failed moves."""),
    ("code", """from nasbench.strategies.base import Job, Result, Strategy, check_int, register


@register("student-hill-climb")
class HillClimb(Strategy):
    summary = "hill climbing with restarts (a tutorial strategy)"

    def __init__(self, *, patience: int = 20) -> None:
        self.patience = check_int("patience", patience, 1)

    def start(self) -> None:
        self._best, self._failures = None, 0   # (score, arch) of the current hill

    def ask(self) -> Job:
        if self._best is None or self._failures >= self.patience:
            self._best, self._failures = None, 0
            return Job(self.space.sample(self.rng))
        return Job(self.space.mutate(self._best[1], self.rng))

    def tell(self, job: Job, result: Result) -> None:
        if self._best is None or result.score > self._best[0]:
            self._best, self._failures = (result.score, job.arch), 0
        else:
            self._failures += 1"""),
    ("code", """def final_regrets(name, seeds=range(8), evals=150, table=b, **options):
    return np.array([run(name, table, seed=s, max_evals=evals, **options).to_frame()["regret"].iloc[-1]
                     for s in seeds])

for name in ("rs", "rea", "student-hill-climb"):
    regrets = final_regrets(name)
    print(f"{name:<20} mean final regret {regrets.mean():.4f} (sd {regrets.std():.4f}, 8 seeds, 150 evaluations)")"""),
    ("md", """On this table the hill climber need not beat random search: NAS-Bench-Graph's accuracies are close
together and noisy across seeds, so a climber stuck on a plateau wastes its evaluations. That is the point of
comparing on several seeds before believing a strategy works."""),
    ("md", """**Exercise 2.** Does a more patient hill climber do better? Run `student-hill-climb` with `patience=60`
and store its mean final regret over the same seeds in `patient`."""),
    ("code", """patient = final_regrets("student-hill-climb", patience=60).mean()   # your answer here
patient"""),
    ("code", """def check_exercise_2(answer):
    truth = final_regrets("student-hill-climb", patience=60).mean()
    print("correct" if np.isclose(answer, truth) else "not quite: same seeds (0..7), 150 evaluations, patience=60")
check_exercise_2(patient)"""),
    ("md", """## 4. Multi-fidelity: stop bad runs early

`nb201-mnist1d` stores learning curves (epochs 1..9) and training times. Hyperband evaluates many cells for a few
epochs and promotes the best; on the same simulated time budget it sees more architectures than random search."""),
    ("code", """curves = nasbench.load("nb201-mnist1d")
budget = 40 * float(np.nanmedian(curves.final(curves.cost_metric)))   # about 40 full trainings
for name in ("rs", "hyperband"):
    f = run(name, curves, seed=0, max_time=budget).to_frame()
    print(f"{name:<10} {len(f):>4} evaluations, {f['row'].nunique():>4} architectures, "
          f"final regret {f['regret'].iloc[-1]:.4f}")"""),
    ("md", """**Exercise 3.** What fraction of Hyperband's evaluations above ran at fewer than 9 epochs? Store it in
`early`."""),
    ("code", """hb = run("hyperband", curves, seed=0, max_time=budget).to_frame()
early = float((hb["fidelity"] < 9).mean())   # your answer here
early"""),
    ("code", """def check_exercise_3(answer):
    truth = sum(f < 9 for f in hb["fidelity"]) / len(hb)
    print("correct" if np.isclose(answer, truth) else "not quite: count the rows of the trace below 9 epochs")
check_exercise_3(early)"""),
    ("md", """## 5. Watch a search decide: a replay

`nasbench replay STRATEGY BENCH --seed S --evals N --out replay.html` (or the two calls below) writes one
self-contained page: the map of every architecture coloured by validation accuracy, the evaluated ones appearing
step by step, the incumbent, the regret curve and the strategy's decision (for REA: its population, the
tournament and the parent of the child)."""),
    ("code", """from nasbench.replay import record
from nasbench.replay.page import render

replay = record("rea", b, seed=0, max_evals=60)
print(replay.steps[30]["phase"], "| parent score", round(replay.steps[30]["parent_score"], 4))
with open("replay.html", "w") as f:
    f.write(render(replay, b))
print("open replay.html in a browser and press 'step' or 'play'")"""),
    ("md", """**Exercise 4.** In REA the parent is the best of the tournament. Check it for every evolved step of the
replay: set `all_best` to whether `parent_score == max(tournament_scores)` holds at each such step."""),
    ("code", """evolved = [s for s in replay.steps if "parent_score" in s]
all_best = all(s["parent_score"] == max(s["tournament_scores"]) for s in evolved)   # your answer here
all_best"""),
    ("code", """print("correct" if all_best is True and len(evolved) == 50 else "not quite: look at the evolved steps only")"""),
    ("md", """## Where next

* `nasbench run optuna:TPESampler nbgraph-cora --seed 0 --evals 100` runs Optuna's samplers on the same clock
  (`pip install -e ".[optuna]"`); `b.space.to_configspace()` gives the space to ConfigSpace-based tools.
* `nasbench compare --preset NAME` runs a whole study; `nasbench strategies` lists what you can compare with."""),
]


def notebook() -> nbformat.NotebookNode:
    """The tutorial notebook (unexecuted)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
                for kind, text in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb: nbformat.NotebookNode, directory: str) -> nbformat.NotebookNode:
    """Run every cell in order in ``directory`` (each cell within 120 s)."""
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": directory}}).execute()
    return nb


def main() -> int:
    from nbconvert import HTMLExporter

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        executed = execute(notebook(), directory)
    seconds = time.perf_counter() - start
    nbformat.write(executed, HERE / "tutorial.ipynb")
    html, _ = HTMLExporter().from_notebook_node(executed)
    (HERE / "tutorial.html").write_text(html)
    print(f"executed in {seconds:.1f} s; wrote tutorial.ipynb and tutorial.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
