"""Arguments shared by the ``nasbench`` commands and the plugins that add commands (``compare``,
``replay``): kept apart from :mod:`nasbench.cli` so that a plugin never imports the CLI that loads it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from nasbench.errors import NasbenchError, shorten


def parse_option(text: str) -> tuple[str, Any]:
    """``--option KEY=VALUE``: the value read as JSON, else kept as the text.

    Example:
        >>> parse_option("population=20"), parse_option("mode=fast")
        (('population', 20), ('mode', 'fast'))
    """
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise NasbenchError(f"--option takes KEY=VALUE, not {shorten(text)}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_objective_arguments(parser: argparse.ArgumentParser) -> None:
    """``--objectives`` and ``--penalty``, shared by ``run`` and ``compare``."""
    parser.add_argument("--objectives", metavar="A,B[,C]",
                        help="2 or 3 metrics to trade off (e.g. valid_accuracy,latency): the trace records the "
                             "archive's hypervolume regret")
    parser.add_argument("--penalty", action="append", default=[], metavar="METRIC=LAMBDA[,...]",
                        help="search accuracy - LAMBDA x the metric scaled to [0, 1] (repeatable)")
