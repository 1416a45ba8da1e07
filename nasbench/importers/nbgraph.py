"""NAS-Bench-Graph importer: the nine light tables of the ``nas-bench-graph`` package.

Source: Qin et al., "NAS-Bench-Graph: Benchmarking Graph Neural Architecture Search", NeurIPS 2022
Datasets and Benchmarks; package ``nas-bench-graph`` (Apache-2.0). Each light file is a pickle of
``{valid_hash key: {'valid_perf', 'perf', 'latency', 'para'}}`` read here through the restricted
unpickler (numpy scalar globals only). Stored metrics: ``valid_<q>``/``test_<q>`` where ``q`` is
``accuracy`` (fraction) for eight datasets and ``roc_auc`` for ogbn-proteins (the OGB metric of that
dataset, as the paper reports), ``latency`` (seconds, inference) and ``params`` (millions). The light
files hold one value per architecture: one seed column (-1: the source's reported value) and one
fidelity (the final epoch of the paper's schedule). There is no training time: the cost model is one
unit per evaluation.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from nasbench.errors import NasbenchError, install_hint, shorten
from nasbench.importers.registry import Importer, ImportOptions, register_importer
from nasbench.importers.unpickle import NUMPY_SCALARS, restricted_load
from nasbench.spaces import nbgraph
from nasbench.table import MetricInfo, Split, TableContents, write_table

DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
SOURCE = "NAS-Bench-Graph light tables (Qin et al., NeurIPS 2022), package nas-bench-graph"
LICENCE = "Apache-2.0"


def source_path(dataset: str) -> Path:
    if dataset not in DATASETS:
        raise NasbenchError(f"unknown NAS-Bench-Graph dataset {dataset!r}; known: {', '.join(DATASETS)}")
    try:
        root = resources.files("nas_bench_graph")
    except ModuleNotFoundError:
        raise NasbenchError(f"the nas-bench-graph package is not installed ({install_hint('import')})") from None
    return Path(str(root)) / "light" / f"{dataset}.bench"


def read_light(path: Path) -> dict[int, dict[str, float]]:
    """The light table at ``path`` as ``{key: record}``, unpickled with numpy scalars only."""
    with open(path, "rb") as f:
        data = restricted_load(f, NUMPY_SCALARS, what=f"NAS-Bench-Graph table {path}")
    if not isinstance(data, dict):
        raise NasbenchError(f"{path} is not a NAS-Bench-Graph light table (top level is {type(data).__name__})")
    return data


def package_version() -> str:
    from importlib.metadata import version

    return version("nas-bench-graph")


def convert(dataset: str, out: Path, *, space: nbgraph.NbGraphSpace | None = None, source: Path | None = None) -> str:
    """Convert one dataset's light table (the installed package's, or the file ``source``) to ``out``;
    returns the checksum."""
    if dataset not in DATASETS:
        raise NasbenchError(f"unknown NAS-Bench-Graph dataset {dataset!r}; known: {', '.join(DATASETS)}")
    records = read_light(source if source is not None else source_path(dataset))
    ops = nbgraph.PROTEINS_OPS if dataset == "proteins" else nbgraph.OPS
    space = space or nbgraph.NbGraphSpace(ops)
    raw_to_row, row_keys = space.canonical_map()
    if set(records) != set(row_keys.tolist()):
        raise NasbenchError(f"{dataset}: the table's keys differ from the space's canonical keys "
                            f"({len(records)} vs {len(row_keys)})")
    quantity = "roc_auc" if dataset == "proteins" else "accuracy"
    fields = {f"valid_{quantity}": ("valid_perf", Split.VALID, "fraction", True),
              f"test_{quantity}": ("perf", Split.TEST, "fraction", True),
              "latency": ("latency", Split.NONE, "s", False),
              "params": ("para", Split.NONE, "M", False)}
    metrics = {}
    for metric, (field, split, unit, higher) in fields.items():
        values = np.array([float(records[int(k)][field]) for k in row_keys], dtype=np.float64)
        metrics[metric] = (values.reshape(-1, 1, 1), MetricInfo(metric, split, unit, higher))
    archs = [_canonical_string(int(k)) for k in row_keys]
    return write_table(out, TableContents(
        name=f"nbgraph-{dataset}", space=space.name, archs=archs, codes=row_keys, seeds=[-1],
        fidelities=[1.0], fidelity_unit="final",
        metrics=metrics, source=SOURCE, licence=LICENCE, version=f"nas-bench-graph {package_version()}",
        search_metric=f"valid_{quantity}", test_metric=f"test_{quantity}",
        cost_model="one unit per evaluation (the light tables hold no training time)",
        extra={"raw_to_row": raw_to_row.astype(np.int32)},
        attrs={"dataset": dataset, "seed_note": "seed -1: the single value the source reports",
               "fidelity_note": "the light tables hold only the end of training (fidelity 1 = final)",
               "code_note": "code = the package's Arch(link, ops).valid_hash()"},
    ))


@register_importer
class NbGraphImporter(Importer):
    name = "nbgraph"
    help = ("a NAS-Bench-Graph dataset of the installed nas-bench-graph package: "
            f"{', '.join(DATASETS)} or all; or a light table file <dataset>.bench")

    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        sources: dict[str, Path | None]
        if str(path) == "all":
            sources = dict.fromkeys(DATASETS)
        elif str(path) in DATASETS:
            sources = {str(path): None}
        elif path.suffix == ".bench" and path.stem in DATASETS:
            if not path.is_file():
                raise NasbenchError(f"no NAS-Bench-Graph light table at {path}")
            sources = {path.stem: path}
        else:
            raise NasbenchError(f"nbgraph imports a dataset name ({', '.join(DATASETS)} or all) or a light "
                                f"table file <dataset>.bench, not {shorten(str(path))}")
        written = []
        for dataset, source in sources.items():
            table = Path(out) / f"nbgraph-{dataset}.h5"
            convert(dataset, table, source=source)
            written.append(table)
        return written


def _canonical_string(key: int) -> str:
    link, ops = nbgraph.key_to_arch(key)
    return ",".join(map(str, link)) + "|" + ",".join(ops)


def build_all(out_dir: Path) -> None:
    """Convert all nine datasets into ``out_dir`` and record them in its manifest."""
    from nasbench import manifest

    for dataset in DATASETS:
        path = Path(out_dir) / f"nbgraph-{dataset}.h5"
        convert(dataset, path)
        manifest.record(path, command="python -m nasbench.importers.nbgraph data")


if __name__ == "__main__":
    import sys

    build_all(Path(sys.argv[1] if len(sys.argv) > 1 else "data"))
