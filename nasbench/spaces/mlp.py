"""Joint architecture and hyperparameter space of a multilayer perceptron (720 configurations).

Genes, in order: number of hidden layers {1, 2, 3, 4}, their shared width {16, 32, 64, 128, 256},
activation {relu, tanh, sigmoid}, dropout {0, 0.2, 0.4} and Adam's learning rate
{0.001, 0.003, 0.01, 0.03} (cosine schedule). Every gene tuple is its own row, in mixed-radix order
of the genes (the last gene changes fastest).

Example:
    >>> space = MlpSpace()
    >>> arch = space.parse("layers=2,width=64,act=relu,dropout=0.2,lr=0.003")
    >>> arch, space.index(arch), space.encode(space.arch_of_row(719))
    ((1, 2, 0, 1, 1), 257, 'layers=4,width=256,act=sigmoid,dropout=0.4,lr=0.03')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nasbench.errors import NasbenchError, shorten
from nasbench.spaces.base import Arch
from nasbench.spaces.registry import register_space
from nasbench.spaces.trainable import TrainableSpace

if TYPE_CHECKING:
    from nasbench.table import Table

LAYERS = (1, 2, 3, 4)
WIDTHS = (16, 32, 64, 128, 256)
ACTIVATIONS = ("relu", "tanh", "sigmoid")
DROPOUTS = (0.0, 0.2, 0.4)
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03)
_KEYS = ("layers", "width", "act", "dropout", "lr")
_VALUES: tuple[tuple[Any, ...], ...] = (LAYERS, WIDTHS, ACTIVATIONS, DROPOUTS, LEARNING_RATES)


@dataclass(frozen=True)
class MlpConfig:
    """The configuration a gene tuple stands for."""

    layers: int
    width: int
    activation: str
    dropout: float
    learning_rate: float


def _format(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class MlpSpace(TrainableSpace):
    """Multilayer perceptrons with their dropout and learning rate."""

    name = "mlp"
    n_choices = tuple(len(v) for v in _VALUES)
    string_form = ("layers=L,width=W,act=A,dropout=D,lr=R with " +
                   "; ".join(f"{k} in {{{', '.join(_format(x) for x in v)}}}" for k, v in zip(_KEYS, _VALUES)))

    @property
    def size(self) -> int:
        return self.n_raw

    def gene_choices(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((key, tuple(_format(v) for v in values)) for key, values in zip(_KEYS, _VALUES))

    def config(self, arch: Arch) -> MlpConfig:
        """The configuration of a gene tuple."""
        layers, width, activation, dropout, rate = self.check(arch)
        return MlpConfig(LAYERS[layers], WIDTHS[width], ACTIVATIONS[activation], DROPOUTS[dropout],
                         LEARNING_RATES[rate])

    def encode(self, arch: Arch) -> str:
        return ",".join(f"{k}={_format(v[g])}" for k, v, g in zip(_KEYS, _VALUES, self.check(arch)))

    def parse(self, text: str) -> Arch:
        fields = [f.split("=", 1) for f in text.strip().split(",")]
        if [f[0].strip() for f in fields] != list(_KEYS) or any(len(f) != 2 for f in fields):
            raise NasbenchError(f"malformed mlp configuration {shorten(text)}: expected {self.string_form}")
        genes = []
        values: tuple[object, ...]
        for (key, raw), values in zip(fields, _VALUES):
            value: object
            try:
                value = type(values[0])(raw.strip())  # type: ignore[call-arg]
            except ValueError:
                value = None
            matches = [i for i, v in enumerate(values) if v == value or (
                isinstance(v, float) and isinstance(value, float) and abs(v - value) < 1e-12)]
            if not matches:
                raise NasbenchError(f"malformed mlp configuration {shorten(text)}: {key}={shorten(raw.strip())} is "
                                    f"not one of {', '.join(_format(v) for v in values)}")
            genes.append(matches[0])
        return tuple(genes)

    def index(self, arch: Arch) -> int:
        row = 0
        for g, n in zip(self.check(arch), self.n_choices):
            row = row * n + g
        return row

    def arch_of_row(self, row: int) -> Arch:
        if not 0 <= row < self.size:
            raise NasbenchError(f"row {row} is outside the mlp space (0..{self.size - 1})")
        genes = []
        for n in reversed(self.n_choices):
            genes.append(row % n)
            row //= n
        return tuple(reversed(genes))


@register_space("mlp", trains_as="mlp")
def _mlp(table: Table | None) -> MlpSpace:
    return MlpSpace()
