"""Search spaces as ConfigSpace configuration spaces (the AutoML tools' space format), and back.

Each gene becomes a categorical hyperparameter named as the space names it
(:meth:`~nasbench.spaces.base.Space.gene_choices`), whose choices are the gene's labels; the gene
combinations a space excludes (:meth:`~nasbench.spaces.base.Space.forbidden`, e.g. the all-skip
NAS-Bench-Graph cell) become forbidden clauses. None of the spaces has a gene that is active only
under another gene's value, so no conditions are emitted; validity rules that are no list of
combinations (a NAS-Bench-101 graph must connect its input to its output) stay with the space and
are checked when a configuration is read. Needs ``pip install "nasbench[configspace]"``.

Example:
    >>> from nasbench.spaces.mlp import MlpSpace
    >>> space = MlpSpace()
    >>> cs = to_configspace(space)
    >>> sorted(cs)
    ['act', 'dropout', 'layers', 'lr', 'width']
    >>> arch_of(space, configuration_of(space, (1, 2, 0, 1, 1)))
    (1, 2, 0, 1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nasbench.errors import NasbenchError, install_hint, shorten

if TYPE_CHECKING:  # annotations only: the space calls this module, not the reverse
    from nasbench.spaces.base import Arch, Space

__all__ = ["arch_of", "configuration_of", "to_configspace"]


def _configspace() -> Any:
    try:
        import ConfigSpace
    except ImportError:
        raise NasbenchError(f"ConfigSpace is not installed: {install_hint('configspace')}") from None
    return ConfigSpace


def to_configspace(space: Space) -> Any:
    """``space`` as a ``ConfigSpace.ConfigurationSpace``."""
    cs_module = _configspace()
    choices = space.gene_choices()
    cs = cs_module.ConfigurationSpace(name=space.name)
    hyperparameters = [cs_module.CategoricalHyperparameter(name, list(labels)) for name, labels in choices]
    cs.add(hyperparameters)
    for combination in space.forbidden():
        clauses = [cs_module.ForbiddenEqualsClause(hyperparameters[gene], choices[gene][1][value])
                   for gene, value in combination]
        cs.add(clauses[0] if len(clauses) == 1 else cs_module.ForbiddenAndConjunction(*clauses))
    return cs


def arch_of(space: Space, configuration: Mapping[str, Any]) -> Arch:
    """The gene tuple of a configuration (a ConfigSpace ``Configuration`` or any mapping of gene
    names to labels); a missing or unknown gene or label raises :class:`NasbenchError`."""
    choices = space.gene_choices()
    names = [name for name, _ in choices]
    unknown = [key for key in configuration if key not in names]
    if unknown:
        raise NasbenchError(f"the {space.name} space has no gene {shorten(unknown[0])}; its genes: {', '.join(names)}")
    genes = []
    for name, labels in choices:
        if name not in configuration:
            raise NasbenchError(f"the configuration lacks gene {name!r} of the {space.name} space")
        label = str(configuration[name])
        if label not in labels:
            raise NasbenchError(f"gene {name!r} of the {space.name} space takes {', '.join(labels)}, "
                                f"not {shorten(configuration[name])}")
        genes.append(labels.index(label))
    return space.check(tuple(genes))


def configuration_of(space: Space, arch: Arch, configspace: Any = None) -> Any:
    """The ConfigSpace ``Configuration`` of a gene tuple (in ``configspace``, default a new one)."""
    cs = to_configspace(space) if configspace is None else configspace
    arch = space.check(arch)
    values = {name: labels[gene] for (name, labels), gene in zip(space.gene_choices(), arch)}
    return _configspace().Configuration(cs, values=values)
