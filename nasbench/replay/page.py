"""The replay page: one self-contained HTML file (data, script and style inline; no network).

The page holds the map of every architecture (:mod:`nasbench.replay.layout`) as base64 arrays, one
record per evaluation (the job, its value, the incumbent, the regret, the strategy's decision) and a
small script that draws step ``k``: the map with the first ``k`` evaluations and the incumbent, the
anytime regret curve up to ``k``, and the decision. ``#step=K`` in the address opens step ``K``
(stepping there one step at a time, as the buttons do), which is how a headless browser is driven.

Example:
    >>> from nasbench.benchmark import load
    >>> from nasbench.replay import record
    >>> bench = load("mlp-mnist1d")
    >>> html = render(record("rs", bench, seed=0, max_evals=5), bench)
    >>> html.startswith("<!DOCTYPE html>"), "http" in html.split("<script")[0]
    (True, False)
"""

from __future__ import annotations

import base64
import json
import math
from importlib import resources
from typing import Any

import numpy as np

from nasbench.benchmark import Benchmark
from nasbench.replay import Replay
from nasbench.replay.layout import architecture_map

__all__ = ["page_data", "render"]


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def page_data(replay: Replay, bench: Benchmark) -> dict[str, Any]:
    """Everything the page draws, as JSON types."""
    trace, meta = replay.trace, replay.trace.meta
    points = architecture_map(bench)
    values = bench.final(meta.search_metric)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    shade = np.where(np.isfinite(values), np.round((values - low) / max(high - low, 1e-12) * 254), 255)
    frame = trace.to_frame()
    steps = []
    for position, decision in enumerate(replay.steps):
        line = frame.iloc[position]
        steps.append({"row": int(line["row"]), "arch": str(line["arch"]), "fidelity": _number(line["fidelity"]),
                      "valid": _number(line["valid"]), "end": _number(line["end"]), "regret": _number(line["regret"]),
                      "incumbent": int(line["incumbent_row"]), "decision": decision})
    return {
        "title": f"{meta.strategy} on {meta.benchmark}, seed {meta.seed}",
        "options": meta.options, "metric": meta.search_metric, "range": [low, high], "n_archs": bench.n_archs,
        "x": _b64((points[:, 0] * 65535).round().astype("<u2")),
        "y": _b64((points[:, 1] * 65535).round().astype("<u2")),
        "shade": _b64(shade.astype(np.uint8)), "steps": steps,
    }


def render(replay: Replay, bench: Benchmark) -> str:
    """The page of ``replay`` on ``bench`` as one HTML string."""
    if len(replay.steps) != len(replay.trace.columns["row"]):
        raise ValueError("a replay needs one decision per evaluation")
    data = json.dumps(page_data(replay, bench), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    template = resources.files("nasbench.replay").joinpath("page.html").read_text()
    script = resources.files("nasbench.replay").joinpath("page.js").read_text()
    return template.replace("/*DATA*/", data).replace("/*SCRIPT*/", script)
