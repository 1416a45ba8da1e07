"""Property-based fuzzing of every CLI subcommand and of the public API.

Every ``nasbench`` subcommand runs in-process (``nasbench.cli.main(argv)``) with generated arguments:
text of any kind (control characters, lone surrogates as a POSIX argv can carry, 100,000 characters),
numbers of every size, paths that cannot be written, options. Whatever comes in, the command either
succeeds (exit 0) or prints exactly one line ``nasbench: error: ...`` on stderr and exits 2; it never
raises. The API answers or raises ``NasbenchError`` (never another exception) for the same kinds of
input: ``load``, ``query``, ``query_many``, ``run`` (budgets, objectives and penalties in every form
``--objectives``/``--penalty`` take and many they refuse, search and cost metrics, prior tasks),
``Benchmark.pareto_front``, ``Trace.save`` and ``planning.plan`` (what ``nasbench compare`` calls).

Budgets are kept tiny and every ``compare``/``build`` argument list carries one invalid argument, so
nothing long runs and nothing trains. The commands run in a scratch working directory; the shipped
tables (``data/``) and the scratch directory are checked unchanged afterwards.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nasbench
from nasbench.cli import main

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
BENCHMARKS = nasbench.list_benchmarks()
STRATEGIES = sorted(name for name, cls in nasbench.strategy_registry().items()
                    if not getattr(cls, "trains_live", False))
SCRATCH_FILES = ("junk.bin", "outdir")


# --- generated values -------------------------------------------------------------------------------
def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """``valid`` three times in four: a command gets past its first argument often enough to reach the rest."""
    return st.integers(0, 3).flatmap(lambda draw: invalid if draw == 0 else valid)


argv_text = st.text(st.characters(blacklist_characters="\x00"), max_size=40)  # an argv cannot hold NUL
junk = st.one_of(
    argv_text,
    st.sampled_from(["", " ", "-", "--", "-1", "0", "nan", "inf", "1e400", "\u00b2", "\u0663", "a\nb", "\udcff",
                     "nbgraph-cora ", "NBGRAPH-CORA", "../data/nbgraph-cora.h5", "data/", "data/missing.h5",
                     "%s", "{}", "null", "[1]", "true"]),
    st.just("x" * 100_000),
    st.just("\u00e9\n" * 5_000),
    st.integers().map(str),
    st.floats().map(str),
)
not_numeric = junk.filter(_not_a_number)
unwritable = st.sampled_from(["missing_dir/x.csv", ".", "/proc/x.csv", "", "/", "x" * 5_000, "outdir",
                              "junk.bin/x.csv", "\udcff/x"])
names = mostly(st.sampled_from(BENCHMARKS), st.one_of(junk, st.sampled_from([str(REPO / "data" / "nbgraph-cora.h5"),
                                                                              "junk.bin", "outdir"])))
archs = mostly(st.sampled_from(["0,1,1,2|gcn,gin,fc,cheb", "3", "26206", "-1", "00003", "720", "0",
                                "0,0,0,0|skip,skip,skip,skip", "layers=1,width=16,act=relu,dropout=0,lr=0.001"]), junk)
small_ints = st.integers(-3, 4).map(str)
objective_text = mostly(st.sampled_from(["valid_accuracy,latency", "latency, params", "latency,params,valid_accuracy"]),
                        st.one_of(junk, st.sampled_from(["latency", "latency,,params", "test_accuracy,latency"])))
penalty_text = mostly(st.sampled_from(["latency=0.1", "latency=0.1,params=0.2", "params=0"]),
                      st.one_of(junk, st.sampled_from(["latency", "latency=-1", "latency=nan", "=1",
                                                       "latency=1,latency=2"])))


def flags(*pairs: tuple[str, st.SearchStrategy | None]) -> st.SearchStrategy[list[str]]:
    """Any subset of ``--flag value`` pairs, in any order (a value strategy of None: a bare flag)."""
    def one(pair: tuple[str, st.SearchStrategy | None]) -> st.SearchStrategy[list[str]]:
        flag, values = pair
        return st.just([flag]) if values is None else values.map(lambda value: [flag, value])

    return st.lists(st.one_of(*(one(p) for p in pairs)), max_size=4).map(lambda items: sum(items, []))


def commands() -> st.SearchStrategy[list[str]]:
    seeds = mostly(st.integers(0, 2**70).map(str), st.one_of(small_ints, not_numeric))
    run_budget = st.one_of(st.tuples(st.just("--evals"), mostly(st.integers(1, 4).map(str), not_numeric)),
                           st.tuples(st.just("--time"), mostly(st.floats(0.1, 4).map(str),
                                                               st.one_of(st.floats(-1, 0).map(str), not_numeric))))
    options = st.one_of(junk, st.tuples(st.sampled_from(["population_size", "sample_size", "eta", "x", ""]),
                                        junk).map("=".join))
    return st.one_of(
        st.tuples(st.sampled_from(["list", "strategies"]), st.lists(junk, max_size=2)).map(lambda t: [t[0], *t[1]]),
        st.tuples(names, flags(("--json", None))).map(lambda t: ["info", t[0], *t[1]]),
        st.tuples(names, archs, flags(("--metric", mostly(st.sampled_from(["latency", "valid_accuracy"]), junk)),
                                      ("--fidelity", mostly(st.sampled_from(["1", "10", "3.0"]), junk)),
                                      ("--seed", mostly(st.sampled_from(["-1", "0", "2"]), junk)),
                                      ("--json", None))).map(
            lambda t: ["query", t[0], t[1], *t[2]]),
        st.tuples(names, unwritable).map(lambda t: ["export", t[0], "--out", t[1]]),
        st.tuples(names).map(lambda t: ["verify", t[0]]),
        st.tuples(mostly(st.sampled_from(STRATEGIES), junk), mostly(st.sampled_from(["nbgraph-cora", "mlp-mnist1d"]),
                                                                            junk),
                  seeds, run_budget, flags(("--workers", st.one_of(small_ints, not_numeric)), ("--option", options),
                                           ("--out", unwritable), ("--objectives", objective_text),
                                           ("--penalty", penalty_text))).map(
            lambda t: ["run", t[0], t[1], "--seed", t[2], *t[3], *t[4]]),
        st.tuples(not_numeric.filter(lambda s: s not in BENCHMARKS and not s.startswith("-")),
                  flags(("--seeds", junk), ("--evals", junk), ("--strategies", junk), ("--option", junk),
                        ("--alpha", junk), ("--out", unwritable), ("--baseline", junk), ("--executor", junk),
                        ("--workers", junk), ("--objectives", objective_text), ("--penalty", penalty_text))).map(
            lambda t: ["compare", "--benchmarks", t[0], *t[1]]),
        st.tuples(st.one_of(st.sampled_from(["nats-tss", "nats-sss", "nb201", "nb101", "hwnas", "nbgraph"]), junk),
                  st.one_of(not_numeric.filter(lambda s: s.strip() not in ("all", "cora", "proteins")),
                            st.sampled_from(["junk.bin", ".", "missing/x.pbz2", "outdir"])),
                  st.one_of(unwritable, st.just("outdir")),
                  flags(("--onto", junk), ("--no-progress", None))).map(
            lambda t: ["import", t[0], t[1], "--out", t[2], *t[3]]),
        st.tuples(st.one_of(st.sampled_from(["mlp", "nb201"]), junk),
                  st.one_of(st.sampled_from(["0", "-1"]), not_numeric), unwritable,
                  flags(("--seeds", junk), ("--dataset", junk), ("--device", junk), ("--archs", junk),
                        ("--workers", junk))).map(lambda t: ["build", t[0], "--epochs", t[1], "--out", t[2], *t[3]]),
    )


# --- the scratch directory and the shipped tables stay as they were ---------------------------------
def _digest(directory: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(directory.iterdir())}


def _listing(directory: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(directory)), p.stat().st_size if p.is_file() else -1)
                  for p in directory.rglob("*"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("fuzz")
    (directory / "junk.bin").write_bytes(bytes(range(256)) * 4)
    (directory / "outdir").mkdir()
    before = _digest(REPO / "data")
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield directory
    finally:
        os.chdir(previous)
    assert _digest(REPO / "data") == before, "the shipped tables changed"


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # --help / -h
            code = exc.code if isinstance(exc.code, int) else 2
            assert code == 0, f"argparse exited {exc.code!r}"
    return code, out.getvalue(), err.getvalue()


@SETTINGS
@given(argv=commands())
def test_cli_never_shows_a_traceback(scratch: Path, argv: list[str]) -> None:
    before = _listing(scratch)
    code, out, err = run_cli(argv)
    if code == 0:
        assert "Traceback" not in err
    else:
        assert code == 2, (argv[:4], code, err[:300])
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("nasbench: error: "), (argv[:4], err[:500])
        assert len(lines[0]) <= 600, (argv[:4], lines[0][:300])
    assert _listing(scratch) == before, f"{argv[:4]} changed the scratch directory"


# --- the API ----------------------------------------------------------------------------------------
anything = st.one_of(
    junk, st.none(), st.booleans(), st.integers(), st.floats(), st.integers(-3, 30),
    st.lists(st.one_of(st.integers(-2, 10), st.floats(), junk, st.booleans()), max_size=6).map(tuple),
    st.lists(st.integers(0, 8), min_size=5, max_size=5).map(tuple),
    st.builds(np.int64, st.integers(-2**63, 2**63 - 1)), st.builds(np.float32, st.floats(width=32)),
    st.binary(max_size=10),
)


# a budget or worker count that is not a number (a number could ask for an endless run)
not_a_count = anything.filter(lambda value: not isinstance(value, (int, float, np.number)))


@pytest.fixture(scope="module")
def cora() -> nasbench.Benchmark:
    return nasbench.load("nbgraph-cora")


@pytest.fixture(scope="module")
def mlp() -> nasbench.Benchmark:
    return nasbench.load("mlp-mnist1d")


@SETTINGS
@given(name=st.one_of(anything, names, st.builds(Path, argv_text)))
def test_load_answers_or_raises_nasbench_error(scratch: Path, name: Any) -> None:
    try:
        nasbench.load(name)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000


@settings(SETTINGS, max_examples=150)
@given(arch=st.one_of(anything, archs), metric=st.one_of(anything, st.sampled_from(["valid_accuracy", "train_time"])),
       fidelity=st.one_of(st.none(), anything, st.sampled_from([1.0, 3, 10])),
       seed=st.one_of(st.none(), anything, st.sampled_from([-1, 0, 2])), use_mlp=st.booleans())
def test_query_answers_a_float_or_raises_nasbench_error(cora: nasbench.Benchmark, mlp: nasbench.Benchmark,
                                                       arch: Any, metric: Any, fidelity: Any, seed: Any,
                                                       use_mlp: bool) -> None:
    b = mlp if use_mlp else cora
    try:
        value = b.query(arch, metric, fidelity=fidelity, seed=seed)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
    else:
        assert isinstance(value, float) and not math.isnan(value)


@settings(SETTINGS, max_examples=80)
@given(rows=st.one_of(anything, st.lists(st.integers(-5, 30_000), max_size=8), st.lists(st.floats(), max_size=3),
                      st.lists(st.lists(st.integers(0, 5), max_size=3), max_size=3)),
       metric=st.one_of(anything, st.just("latency")), fidelity=st.one_of(st.none(), anything),
       seed=st.one_of(st.none(), anything))
def test_query_many_answers_an_array_or_raises_nasbench_error(cora: nasbench.Benchmark, rows: Any, metric: Any,
                                                              fidelity: Any, seed: Any) -> None:
    try:
        values = cora.query_many(rows, metric, fidelity=fidelity, seed=seed)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
    else:
        assert isinstance(values, np.ndarray) and values.dtype.kind == "f"


@settings(SETTINGS, max_examples=60)
@given(strategy=st.one_of(st.sampled_from(STRATEGIES), junk), seed=st.one_of(st.integers(-2, 2**70), anything),
       max_evals=st.one_of(st.integers(-2, 4), st.none(), not_a_count), max_time=st.one_of(st.none(), st.floats(-1, 4),
                                                                                         not_a_count),
       workers=st.one_of(st.integers(-1, 3), not_a_count), benchmark=st.one_of(st.just("nbgraph-cora"), anything))
def test_run_returns_a_trace_or_raises_nasbench_error(scratch: Path, strategy: Any, seed: Any, max_evals: Any,
                                                     max_time: Any, workers: Any, benchmark: Any) -> None:
    try:
        trace = nasbench.run(strategy, benchmark, seed=seed, max_evals=max_evals, max_time=max_time, workers=workers)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(trace, nasbench.Trace) and len(trace.to_frame()) >= 1


@pytest.mark.parametrize("strategy", [False, 3, None, b"rs"])
def test_run_refuses_a_strategy_that_is_neither_a_name_nor_an_instance(strategy: Any) -> None:
    with pytest.raises(nasbench.NasbenchError):
        nasbench.run(strategy, "nbgraph-cora", seed=0, max_evals=1)


@pytest.mark.parametrize("argument", ["max_evals", "max_time", "workers", "seed"])
def test_run_messages_quote_at_most_80_characters_of_the_input(argument: str) -> None:
    arguments: dict[str, Any] = {"seed": 0, "max_evals": 3, argument: "x" * 100_000}
    with pytest.raises(nasbench.NasbenchError) as caught:
        nasbench.run("rs", "nbgraph-cora", **arguments)
    assert len(str(caught.value)) < 400


# objectives and penalties: the CLI's text forms, the API's sequences and mappings, near misses and junk
objective_forms = st.one_of(anything, st.sampled_from([
    "valid_accuracy,latency", " valid_accuracy , params ", "latency", "valid_accuracy,,latency", "latency,latency",
    "test_accuracy,latency", "valid_accuracy,latency,params,train_time", ",", ("valid_accuracy", "latency"),
    ["latency", "params", "valid_accuracy"], ("latency",), (), ("latency", 3), ("latency", None)]))
penalty_forms = st.one_of(
    anything, st.sampled_from(["latency=0.1", "latency=0.1,params=0.2", "latency", "=1", "latency=-1", "latency=nan",
                               "latency=1e400", "test_accuracy=0.1", "latency=0.1,latency=0.2", "", ",", "nope=1"]),
    st.dictionaries(st.one_of(junk, st.sampled_from(["latency", "params", "test_accuracy"]), st.integers(), st.none()),
                    st.one_of(st.floats(), st.integers(-2, 3), st.booleans(), junk, st.none()), max_size=2))
metric_names = st.sampled_from(["valid_accuracy", "test_accuracy", "latency", "params", "unit"])


def usually(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """``valid`` seven times in eight: a call with many arguments gets all of them right often enough."""
    return st.integers(0, 7).flatmap(lambda draw: invalid if draw == 0 else valid)


good_objectives = st.sampled_from([(), None, "valid_accuracy,latency", " valid_accuracy , params ",
                                   ("valid_accuracy", "latency"), ["latency", "params", "valid_accuracy"]])
good_penalties = st.sampled_from([None, {}, "latency=0.1", "latency=0.1,params=0.2", {"params": 2}])


@settings(SETTINGS, max_examples=60)
@given(strategy=st.sampled_from(["rs", "rea", "nsga2"]), objectives=usually(good_objectives, objective_forms),
       penalty=usually(good_penalties, penalty_forms),
       search_metric=usually(st.none(), st.one_of(metric_names, anything)),
       cost=usually(st.none(), st.one_of(metric_names, anything)),
       transfer_from=usually(st.sampled_from([(), ("nbgraph-citeseer",)]),
                             st.one_of(anything, st.sampled_from([("nbgraph-cora",), "nbgraph-citeseer",
                                                                  ("mlp-mnist1d",)]))),
       both_budgets=usually(st.just(False), st.just(True)))
def test_run_arguments_in_any_form_give_a_trace_or_one_sentence(scratch: Path, strategy: str, objectives: Any,
                                                                penalty: Any, search_metric: Any, cost: Any,
                                                                transfer_from: Any, both_budgets: bool) -> None:
    budget = {"max_evals": 3, "max_time": 2.0} if both_budgets else {"max_evals": 3}  # a cost could be 0: no time alone
    try:
        trace = nasbench.run(strategy, "nbgraph-cora", seed=0, objectives=objectives, penalty=penalty,
                             search_metric=search_metric, cost=cost, transfer_from=transfer_from, **budget)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
    else:
        assert not both_budgets and len(trace.to_frame()) == 3


@settings(SETTINGS, max_examples=80)
@given(objectives=objective_forms, split=st.one_of(st.sampled_from(["valid", "test"]), anything), use_mlp=st.booleans())
def test_pareto_front_answers_rows_or_raises_nasbench_error(cora: nasbench.Benchmark, mlp: nasbench.Benchmark,
                                                           objectives: Any, split: Any, use_mlp: bool) -> None:
    try:
        rows = (mlp if use_mlp else cora).pareto_front(objectives, split)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
    else:
        assert isinstance(rows, np.ndarray) and rows.dtype.kind == "i" and len(rows) >= 1


@pytest.fixture(scope="module")
def small_trace() -> nasbench.Trace:
    return nasbench.run("rs", "nbgraph-cora", seed=0, max_evals=3)


@pytest.fixture(scope="module")
def saves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("saves")
    (directory / "outdir").mkdir()
    (directory / "junk.bin").write_bytes(b"\x00")
    return directory


@settings(SETTINGS, max_examples=60)
@given(path=st.one_of(anything, unwritable, junk.filter(lambda text: "data" not in text), st.builds(Path, argv_text),
                      st.sampled_from(["t.csv", "outdir/t.csv", "junk.bin/t.csv", "\udcff.csv", "a\x00b.csv"])))
def test_trace_save_writes_or_raises_nasbench_error(scratch: Path, saves: Path, small_trace: nasbench.Trace,
                                                    path: Any) -> None:
    os.chdir(saves)  # relative paths land here, not in the CLI's scratch directory
    try:
        small_trace.save(path)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
    else:
        assert Path(path).is_file() and Path(str(path) + ".json").is_file()
    finally:
        os.chdir(scratch)


@settings(SETTINGS, max_examples=60)
@given(benchmarks=usually(st.sampled_from([None, ["nbgraph-cora"], ["nbgraph-c*", "mlp-mnist1d"]]),
                          st.one_of(anything, st.lists(names, max_size=2))),
       strategies=usually(st.sampled_from([None, ["rs"], ["rea", "sh"]]),
                          st.one_of(anything, st.lists(st.one_of(st.sampled_from(STRATEGIES), junk), max_size=2))),
       seeds=usually(st.integers(1, 3), st.one_of(st.integers(-1, 0), anything)),
       max_evals=usually(st.sampled_from([None, 5]), st.one_of(st.integers(-1, 0), anything)),
       max_time=usually(st.none(), st.one_of(st.floats(-1, 5), anything)),
       time_units=usually(st.none(), st.one_of(st.floats(-1, 5), anything)),
       workers=usually(st.integers(1, 3), st.one_of(st.integers(-1, 0), anything)),
       objectives=usually(good_objectives, objective_forms), penalty=usually(good_penalties, penalty_forms),
       options=usually(st.sampled_from([None, {"rea": {"population_size": 3}}]),
                       st.one_of(anything, st.dictionaries(st.one_of(junk, st.sampled_from(STRATEGIES)),
                                                           st.dictionaries(st.sampled_from(["population_size", "eta",
                                                                                            "x"]), anything,
                                                                           max_size=2), max_size=2))))
def test_plan_answers_specs_or_raises_nasbench_error(scratch: Path, benchmarks: Any, strategies: Any, seeds: Any,
                                                     max_evals: Any, max_time: Any, time_units: Any, workers: Any,
                                                     objectives: Any, penalty: Any, options: Any) -> None:
    from nasbench.study import RunSpec, plan

    try:
        specs = plan(benchmarks, strategies, seeds=seeds, max_evals=max_evals, max_time=max_time,
                     time_units=time_units, workers=workers, objectives=objectives, penalty=penalty, options=options)
    except nasbench.NasbenchError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1000
    else:
        assert specs and all(isinstance(spec, RunSpec) for spec in specs)
